//! `validate`: the manifest, its secrets and its packages, offline.

use crate::exit::Outcome;
use crate::manifest::{Promotion, Source};
use crate::promote::source::package;

/// A `validate` from the command line.
pub struct ValidateRequest {
    pub selection: super::Selection,
}

pub async fn validate(request: ValidateRequest) -> anyhow::Result<Outcome> {
    let manifest = request.selection.load()?;
    let selected = request.selection.of(&manifest);
    super::check_packages(&selected).await?;
    tracing::info!(
        "{} is valid: {} environment(s), {} promotion(s) checked",
        request.selection.manifest.display(),
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
            && let Err(err) = package::committed(path, display).await
        {
            problems.push(format!("promotion {}: {err}", promotion.name));
        }
    }
    problems
}
