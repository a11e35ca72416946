//! `rollback`: re-imports a backup into its environment with `replace`, each service to its own place,
//! through the apply engine (idempotency, waiting, cancellation, summary and result JSON as apply).
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::exit::{InvalidInput, Outcome};
use crate::manifest::{Manifest, Promotion, ServicesExisting, Source, UpdateVersionType};
use crate::promote::{self, result::RunKind, source::export::ExportIndex};

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
    let scope = crate::manifest::Scope::Environment(request.environment.clone());
    let manifest = super::load_manifest_scoped(&request.manifest, &hosts, &scope)?;
    let promotion = restore(&manifest, &request.backup, Some(&request.environment)).await?;
    let options = super::run::options(request.wait_timeout)?;
    let cancel = options.cancel.clone();
    let command = if request.dry_run {
        RunKind::Plan
    } else {
        RunKind::Rollback
    };
    let result = promote::run_promotions(command, manifest, vec![promotion], options).await?;
    super::run::print(&result, request.json)?;
    Ok(result.outcome(&cancel))
}

/// The promotion that puts a backup back into `environment` (by default, the environment of the manifest
/// whose URL the backup was exported from): its package imported with `replace`, services to their own
/// place, no backup of its own. The package and its index are checked first (invalid input, exit 2).
pub async fn restore(
    manifest: &Manifest,
    backup: &Path,
    environment: Option<&str>,
) -> Result<Promotion, InvalidInput> {
    let display = backup.display().to_string();
    let index = ExportIndex::load_beside(backup)
        .map_err(|err| InvalidInput::msg(format!("backup {display}: {err:#}")))?
        .ok_or_else(|| {
            InvalidInput::msg(format!(
                "backup {display}: its index {} is missing (a backup is the package and its .json index)",
                ExportIndex::path_for(backup).display()
            ))
        })?;
    let to = match environment {
        Some(name) if manifest.environments.contains_key(name) => name.to_string(),
        Some(name) => {
            return Err(InvalidInput::msg(format!(
                "environment {name} is not in {}",
                manifest.path.display()
            )));
        }
        None => environment_of(manifest, &index, &display)?,
    };
    let stem = backup
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let promotion = Promotion {
        name: format!("rollback-{stem}"),
        source: Source::Package {
            path: backup.to_path_buf(),
            display,
        },
        to,
        services_existing: ServicesExisting::Replace,
        update_version_type: UpdateVersionType::Copy,
        services: Vec::new(),
        source_system: None,
        correlation_id: None,
        backup: Some(false),
        verify: None,
        after: Vec::new(),
        xcalls: Vec::new(),
    };
    let problems = super::validate::package_problems(&[&promotion]).await;
    if !problems.is_empty() {
        return Err(InvalidInput::msg(problems.join("\n")));
    }
    Ok(promotion)
}

/// The one environment of the manifest at the URL the backup was exported from.
fn environment_of(
    manifest: &Manifest,
    index: &ExportIndex,
    display: &str,
) -> Result<String, InvalidInput> {
    let source = index.source.trim_end_matches('/');
    let names: Vec<&String> = manifest
        .environments
        .iter()
        .filter(|(_, environment)| environment.url.as_str().trim_end_matches('/') == source)
        .map(|(name, _)| name)
        .collect();
    match names.as_slice() {
        [name] => Ok((*name).clone()),
        [] => Err(InvalidInput::msg(format!(
            "backup {display} comes from {source}, which no environment of {} has: name the environment",
            manifest.path.display()
        ))),
        _ => Err(InvalidInput::msg(format!(
            "backup {display} comes from {source}, which several environments of {} have: name the environment",
            manifest.path.display()
        ))),
    }
}
