//! Verification: a promotion's cases (`verify:` in the manifest) run against a service version in an
//! environment, compared with another environment's answers or with the expected outputs, within the
//! tolerance. Used by `spark-promote verify`, and by the engine's verification stage
//! (src/promote/verification.rs: plan's behaviour diff, apply's proof after the import), which calls [`between`]
//! and [`against_expected`]. It takes the client of each side ([`Side`]): it never imports `promote`, which
//! imports it.
pub mod cases;
pub mod compare;

use crate::manifest::{Environment, Promotion, Verify};
use crate::spark::{self, ExecuteOptions, ExecuteTarget};

pub use cases::{Case, CaseSet};
pub use compare::{Answer, Baseline, Change, Comparison, Failure, SPREAD};

/// One side of a comparison: an environment, the service (or version) in it, and its label.
pub struct Side {
    pub label: String,
    /// `folder/service` in the side's environment.
    pub service: String,
    pub client: spark::Client,
    pub target: ExecuteTarget,
}

impl Side {
    /// The side of `environment` for a promotion's verified service: its destination name in the
    /// promotion's target environment, its source name elsewhere; the latest version, or `version_id`.
    pub fn of(
        environment: &Environment,
        promotion: &Promotion,
        verify: &Verify,
        client: spark::Client,
    ) -> anyhow::Result<Side> {
        let service = if environment.name == promotion.to {
            promotion.destination_of(&verify.service)
        } else {
            verify.service.clone()
        };
        Side::latest(&environment.name, &service, client)
    }

    /// The latest version of `service` (`folder/service`) in the environment `environment`.
    pub fn latest(environment: &str, service: &str, client: spark::Client) -> anyhow::Result<Side> {
        Side::at(environment, service, None, client)
    }

    /// `service` at `version` (the latest when none) in the environment `environment`.
    pub fn at(
        environment: &str,
        service: &str,
        version: Option<String>,
        client: spark::Client,
    ) -> anyhow::Result<Side> {
        let (folder, name) = service
            .split_once('/')
            .ok_or_else(|| anyhow::anyhow!("verify.service `{service}` is not folder/service"))?;
        Ok(Side {
            label: format!("{environment} {service}"),
            service: service.to_owned(),
            client,
            target: ExecuteTarget::Uri {
                folder: folder.to_owned(),
                service: name.to_owned(),
                version,
            },
        })
    }

    /// One version of `service` by its id, in the environment `environment`.
    pub fn version_id(environment: &str, service: &str, id: &str, client: spark::Client) -> Side {
        Side {
            label: format!("{environment} {service}"),
            service: service.to_owned(),
            client,
            target: ExecuteTarget::VersionId(id.to_owned()),
        }
    }
}

fn options(verify: &Verify) -> ExecuteOptions {
    ExecuteOptions {
        outputs: verify.outputs.clone(),
        ..ExecuteOptions::default()
    }
}

async fn run(side: &Side, cases: &CaseSet, verify: &Verify) -> anyhow::Result<spark::Execution> {
    let records: Vec<spark::Inputs> = cases.cases.iter().map(|c| c.inputs.clone()).collect();
    side.client
        .execute(&side.target, &records, &options(verify))
        .await
        .map_err(|e| anyhow::anyhow!("failed to run the cases against {}: {e}", side.label))
}

/// Runs the cases on both sides (at once) and compares `after`'s answers with `now`'s.
pub async fn between(
    cases: &CaseSet,
    now: &Side,
    after: &Side,
    verify: &Verify,
) -> anyhow::Result<Comparison> {
    let (baseline, checked) = tokio::try_join!(run(now, cases, verify), run(after, cases, verify))?;
    let mut comparison = compare::compare(
        &cases.cases,
        &Baseline::Answers(&baseline.records),
        &checked.records,
        &verify.outputs,
        verify.tolerance,
    );
    comparison.now = labelled(now, &baseline);
    comparison.after = labelled(after, &checked);
    comparison.calls = baseline.calls + checked.calls;
    comparison
        .warnings
        .splice(0..0, baseline.warnings.into_iter().chain(checked.warnings));
    Ok(comparison)
}

/// Runs the cases on one side and compares its answers with the cases' expected outputs.
pub async fn against_expected(
    cases: &CaseSet,
    side: &Side,
    verify: &Verify,
) -> anyhow::Result<Comparison> {
    expected_with(cases, side, verify, false).await
}

/// [`against_expected`], keeping the first answers too: the results of a service with nothing to compare
/// them with (new to the destination).
pub async fn alone(cases: &CaseSet, side: &Side, verify: &Verify) -> anyhow::Result<Comparison> {
    expected_with(cases, side, verify, true).await
}

async fn expected_with(
    cases: &CaseSet,
    side: &Side,
    verify: &Verify,
    keep_answers: bool,
) -> anyhow::Result<Comparison> {
    let checked = run(side, cases, verify).await?;
    let mut comparison = compare::compare(
        &cases.cases,
        &Baseline::Expected,
        &checked.records,
        &verify.outputs,
        verify.tolerance,
    );
    comparison.now = "expected".to_owned();
    comparison.after = labelled(side, &checked);
    comparison.calls = checked.calls;
    comparison.warnings.splice(0..0, checked.warnings);
    if keep_answers {
        comparison.answers = cases
            .cases
            .iter()
            .zip(&checked.records)
            .take(compare::LARGEST)
            .map(|(case, answer)| Answer {
                case: case.id.clone(),
                outputs: answer.outputs.clone(),
            })
            .collect();
    }
    Ok(comparison)
}

/// A side's label with the version that answered (`prod pricing/quote 1.2.0`).
fn labelled(side: &Side, execution: &spark::Execution) -> String {
    match &execution.version {
        Some(version) => format!("{} {version}", side.label),
        None => side.label.clone(),
    }
}
