//! `validate`: the manifest, its secrets and its packages, offline.

use crate::exit::Outcome;

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

/// The packages of the selected promotions that fail their checks, one message each (the rule is the
/// engine's: `promote::source::package::problems`).
pub use crate::promote::source::package::problems as package_problems;
