//! `rollback`: re-imports a backup into its environment with `replace`, each service to its own place,
//! through the apply engine (idempotency, waiting, cancellation, summary and result JSON as apply).
use std::path::PathBuf;
use std::time::Duration;

use crate::exit::{InvalidInput, Outcome};
use crate::manifest::{Promotion, ServicesExisting, Source, UpdateVersionType};
use crate::promote::{self, export::ExportIndex, result::Command};

/// A `rollback` from the command line.
pub struct RollbackRequest {
    pub manifest: PathBuf,
    /// The environment to restore (a name of the manifest).
    pub environment: String,
    /// The backup package (its index beside it, as written by apply).
    pub backup: PathBuf,
    pub allowed_hosts: Vec<String>,
    pub json: bool,
    /// Only show what it would change (the plan path).
    pub dry_run: bool,
    pub wait_timeout: Duration,
}

pub async fn rollback(request: RollbackRequest) -> anyhow::Result<Outcome> {
    let hosts = super::host_policy(&request.allowed_hosts)?;
    let manifest = super::load_manifest(&request.manifest, &hosts)?;
    if !manifest.environments.contains_key(&request.environment) {
        return Err(InvalidInput::msg(format!(
            "environment {} is not in {}",
            request.environment,
            request.manifest.display()
        ))
        .into());
    }
    let promotion = restore(&request)?;
    let problems = super::validate::package_problems(&[&promotion]).await;
    if !problems.is_empty() {
        return Err(InvalidInput::msg(problems.join("\n")).into());
    }
    let options = super::run::options(request.wait_timeout)?;
    let cancel = options.cancel.clone();
    let command = if request.dry_run {
        Command::Plan
    } else {
        Command::Rollback
    };
    let result = promote::run_promotions(command, manifest, vec![promotion], options).await?;
    super::run::print(&result, request.json)?;
    Ok(result.outcome(&cancel))
}

/// The promotion that puts a backup back: its package imported with `replace`, services to their own
/// place, no backup of its own.
fn restore(request: &RollbackRequest) -> Result<Promotion, InvalidInput> {
    let display = request.backup.display().to_string();
    let index = ExportIndex::load_beside(&request.backup)
        .map_err(|err| InvalidInput::msg(format!("backup {display}: {err:#}")))?;
    if index.is_none() {
        return Err(InvalidInput::msg(format!(
            "backup {display}: its index {} is missing (a backup is the package and its .json index)",
            ExportIndex::path_for(&request.backup).display()
        )));
    }
    let stem = request
        .backup
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Promotion {
        name: format!("rollback-{stem}"),
        source: Source::Package {
            path: request.backup.clone(),
            display,
        },
        to: request.environment.clone(),
        services_existing: ServicesExisting::Replace,
        update_version_type: UpdateVersionType::Copy,
        services: Vec::new(),
        source_system: None,
        correlation_id: None,
        backup: Some(false),
    })
}
