//! `status` and `cancel` of a job, and the environment lookup shared with `export`.
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::exit::{InvalidInput, Outcome};
use crate::manifest::{self, Environment, Scope};
pub use crate::promote::job_by_id::JobAction;
use crate::promote::job_by_id::job_by_id;
use crate::promote::jobs::Kind;

/// Where a command without a promotion finds its environment.
pub struct EnvironmentChoice {
    /// An environment of the manifest; `None` reads the official SDK's `CSPARK_*` variables.
    pub name: Option<String>,
    pub manifest: PathBuf,
    pub allowed_hosts: Vec<String>,
}

impl EnvironmentChoice {
    pub fn resolve(&self) -> Result<Environment, InvalidInput> {
        let hosts = super::host_policy(&self.allowed_hosts)?;
        match &self.name {
            Some(name) => {
                let scope = Scope::Environment(name.clone());
                let manifest = super::load_manifest_scoped(&self.manifest, &hosts, &scope)?;
                manifest.environments.get(name).cloned().ok_or_else(|| {
                    InvalidInput::msg(format!(
                        "environment {name} is not in {}",
                        self.manifest.display()
                    ))
                })
            }
            None => manifest::environment_from_sdk_vars(&super::process_env, &hosts)
                .map_err(InvalidInput::of),
        }
    }
}

/// A `status` or `cancel` from the command line.
pub struct JobRequest {
    pub environment: EnvironmentChoice,
    pub kind: Kind,
    pub job_id: String,
    pub action: JobAction,
}

pub async fn status_or_cancel(request: JobRequest) -> anyhow::Result<Outcome> {
    let environment = request.environment.resolve()?;
    let status = job_by_id(&environment, request.kind, &request.job_id, request.action).await?;
    let json = serde_json::to_string_pretty(&status)?;
    writeln!(std::io::stdout().lock(), "{json}").context("failed to write the status")?;
    Ok(
        if status.status.is_terminal() && !status.succeeded() && request.action == JobAction::Status
        {
            Outcome::Failed
        } else {
            Outcome::Success
        },
    )
}

/// Checks that an output path's directory exists before any call is made.
pub fn check_output_dir(path: &Path) -> Result<(), InvalidInput> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => {
            Err(InvalidInput::msg(format!(
                "cannot write {}: directory {} does not exist",
                path.display(),
                dir.display()
            )))
        }
        _ => Ok(()),
    }
}
