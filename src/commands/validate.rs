//! `validate`: the manifest, its secrets and its packages, offline.
use std::path::PathBuf;

use crate::exit::{InvalidInput, Outcome};
use crate::manifest::{Promotion, Scope, Source};
use crate::promote::package;

/// A `validate` from the command line.
pub struct ValidateRequest {
    pub manifest: PathBuf,
    pub promotions: Vec<String>,
    pub allowed_hosts: Vec<String>,
}

pub async fn validate(request: ValidateRequest) -> anyhow::Result<Outcome> {
    let hosts = super::host_policy(&request.allowed_hosts)?;
    let scope = Scope::promotions(&request.promotions);
    let manifest = super::load_manifest_scoped(&request.manifest, &hosts, &scope)?;
    let selected = manifest
        .select(&request.promotions)
        .map_err(|err| InvalidInput(anyhow::Error::new(err)))?;
    let problems = package_problems(&selected).await;
    if !problems.is_empty() {
        return Err(InvalidInput::msg(problems.join("\n")).into());
    }
    tracing::info!(
        "{} is valid: {} environment(s), {} promotion(s) checked",
        request.manifest.display(),
        manifest.environments.len(),
        selected.len()
    );
    Ok(Outcome::Success)
}

/// The packages of the selected promotions that fail their checks, one message each.
pub async fn package_problems(selected: &[&Promotion]) -> Vec<String> {
    let mut problems = Vec::new();
    for promotion in selected {
        if let Source::Package { path, display } = &promotion.source
            && let Err(err) = package::inspect(path, display, package::DEFAULT_MAX_BYTES).await
        {
            problems.push(format!("promotion {}: {err}", promotion.name));
        }
    }
    problems
}
