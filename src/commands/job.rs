//! `status` and `cancel` of a job, and the environment lookup shared with `export`.
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::exit::{InvalidInput, Outcome};
use crate::manifest::{self, Environment};
use crate::promote::context::client_for;
use crate::promote::jobs::Kind;
use crate::spark;

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
                let manifest = super::load_manifest(&self.manifest, &hosts)?;
                manifest.environments.get(name).cloned().ok_or_else(|| {
                    InvalidInput::msg(format!(
                        "environment {name} is not in {} (it has: {})",
                        self.manifest.display(),
                        manifest
                            .environments
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
            }
            None => manifest::environment_from_sdk_vars(&super::process_env, &hosts)
                .map_err(|err| InvalidInput(anyhow::anyhow!("{err}"))),
        }
    }

    pub fn client(&self) -> anyhow::Result<spark::Client> {
        client_for(&self.resolve()?, &spark::ClientOptions::default())
    }
}

/// What to do with a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobAction {
    Status,
    Cancel,
}

/// A `status` or `cancel` from the command line.
pub struct JobRequest {
    pub environment: EnvironmentChoice,
    pub kind: Kind,
    pub job_id: String,
    pub action: JobAction,
}

pub async fn job(request: JobRequest) -> anyhow::Result<Outcome> {
    let client = request.environment.client()?;
    let id = &request.job_id;
    let mut status = match (request.action, request.kind) {
        (JobAction::Status, Kind::Import) => client.import_status(id).await,
        (JobAction::Status, Kind::Export) => client.export_status(id).await,
        (JobAction::Cancel, Kind::Import) => client.cancel_import(id).await,
        (JobAction::Cancel, Kind::Export) => client.cancel_export(id).await,
    }?;
    for file in &mut status.outputs.files {
        file.file = file.shown_url();
    }
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
