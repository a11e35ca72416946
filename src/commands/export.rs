//! `export`: export services from an environment into a package (`NAME.zip`) and its index (`NAME.zip.json`).
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;

use super::job::{EnvironmentChoice, check_output_dir};
use crate::exit::{InvalidInput, Outcome};
use crate::promote::RunOptions;
use crate::promote::cancel::Cancel;
use crate::promote::context::default_client;
use crate::promote::source::export::{self, ExportIndex, ExportJob};
use crate::promote::source::request::{ExportSelection, export_of};

/// An `export` from the command line.
pub struct ExportCommand {
    pub environment: EnvironmentChoice,
    pub services: Vec<String>,
    pub folders: Vec<String>,
    pub version_ids: Vec<String>,
    pub version_filter: crate::manifest::VersionFilter,
    pub output: PathBuf,
    pub wait_timeout: Duration,
}

pub async fn export(command: ExportCommand) -> anyhow::Result<Outcome> {
    if command.services.is_empty() && command.folders.is_empty() && command.version_ids.is_empty() {
        return Err(InvalidInput::msg(
            "nothing to export: give --service, --folder or --version-id",
        )
        .into());
    }
    check_output_dir(&command.output)?;
    let client = default_client(&command.environment.resolve()?)?;
    let cancel = Cancel::on_signals().context("failed to listen for signals")?;
    let progress = crate::progress_display::for_stderr();
    let request = export_of(
        &ExportSelection {
            services: &command.services,
            folders: &command.folders,
            version_ids: &command.version_ids,
            version_filter: command.version_filter,
        },
        RunOptions::default().source_system,
    );
    let result = export::run(
        ExportJob {
            client: &client,
            environment: command.environment.name.as_deref(),
            request,
            label: "export",
            wait: command.wait_timeout,
            cancel: &cancel,
            progress: &progress,
        },
        Some(&command.output),
    )
    .await;
    if let Some(signal) = cancel.signal() {
        tracing::error!("export interrupted");
        return Ok(crate::exit::Outcome::Interrupted(signal));
    }
    let exported = result?;
    let summary = serde_json::json!({
        "package": command.output,
        "index": ExportIndex::path_for(&command.output),
        "export_job_id": exported.index.export_job_id,
        "services": exported.index.services.len(),
        "service_versions": exported.index.service_versions.len(),
    });
    writeln!(
        std::io::stdout().lock(),
        "{}",
        serde_json::to_string_pretty(&summary)?
    )
    .context("failed to write the result")?;
    Ok(Outcome::Success)
}
