//! `verify`: runs the cases of each selected promotion's `verify:` against one environment (compared with
//! the cases' expected outputs) or against two (`--env A --against B`: A's answers compared with B's);
//! prints markdown (or `--json`) on stdout; exit 0 when every case matches, 1 otherwise. `--version-id`
//! runs them against one version of `--env` by its id.
use std::io::Write;

use anyhow::Context as _;
use serde::Serialize;

use crate::exit::{InvalidInput, Outcome};
use crate::manifest::{Environment, Manifest};
use crate::promote::context::default_client;
use crate::verify::{self, CaseSet, Comparison, Side};

/// A `verify` from the command line.
pub struct VerifyRequest {
    pub selection: super::Selection,
    /// The environment whose answers are checked.
    pub env: String,
    /// The environment it is compared with; none: the cases' expected outputs.
    pub against: Option<String>,
    /// A version id in `env` to run the cases against (default: the service's latest version).
    pub version_id: Option<String>,
    pub json: bool,
}

/// One promotion's verification, as `--json` prints it.
#[derive(Debug, Serialize)]
struct Verified {
    promotion: String,
    service: String,
    cases_sha256: String,
    cases_files: Vec<String>,
    comparison: Comparison,
}

pub async fn verify(request: VerifyRequest) -> anyhow::Result<Outcome> {
    let manifest = request.selection.load()?;
    let after = environment(&manifest, &request.env)?;
    let now = request
        .against
        .as_deref()
        .map(|name| environment(&manifest, name))
        .transpose()?;
    let mut results = Vec::new();
    for promotion in request.selection.of(&manifest) {
        let Some(checks) = &promotion.verify else {
            continue;
        };
        let cases: CaseSet = verify::cases::load(&checks.cases)?;
        let mut checked = Side::of(after, promotion, checks, default_client(after)?)?;
        if let Some(id) = &request.version_id {
            checked = Side::version_id(&after.name, &checked.service, id, checked.client);
        }
        let comparison = match now {
            Some(now) => {
                let now = Side::of(now, promotion, checks, default_client(now)?)?;
                verify::between(&cases, &now, &checked, checks).await?
            }
            None => verify::against_expected(&cases, &checked, checks).await?,
        };
        results.push(Verified {
            promotion: promotion.name.clone(),
            service: checks.service.clone(),
            cases_sha256: cases.sha256,
            cases_files: cases.files,
            comparison,
        });
    }
    if results.is_empty() {
        return Err(InvalidInput::msg("no selected promotion has `verify:` (cases to run)").into());
    }
    let text = if request.json {
        serde_json::to_string_pretty(&results).context("failed to write the result as JSON")?
    } else {
        markdown(&results)
    };
    writeln!(std::io::stdout().lock(), "{text}").context("failed to write the result")?;
    Ok(if results.iter().all(|r| r.comparison.passed()) {
        Outcome::Success
    } else {
        Outcome::Failed
    })
}

fn markdown(results: &[Verified]) -> String {
    results
        .iter()
        .map(|r| {
            let heading = format!("{}: {}", r.promotion, r.service);
            crate::report::comparison_section(
                &heading,
                &r.comparison,
                crate::report::SUMMARY_BUDGET,
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn environment<'m>(manifest: &'m Manifest, name: &str) -> Result<&'m Environment, InvalidInput> {
    manifest.environments.get(name).ok_or_else(|| {
        let known: Vec<&str> = manifest.environments.keys().map(String::as_str).collect();
        InvalidInput::msg(format!(
            "environment `{name}` is not one the selected promotions use (they use: {})",
            known.join(", ")
        ))
    })
}
