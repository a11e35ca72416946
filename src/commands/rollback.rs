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
    /// The environment to restore (a name of the manifest); none: where the backup came from.
    pub environment: Option<String>,
    /// The backup package (its index beside it, as written by apply).
    pub backup: PathBuf,
    pub allowed_hosts: Vec<String>,
    /// `--format` or `--json`; `None`: the default for where stdout goes.
    pub format: Option<super::run::Format>,
    /// Only show what it would change (the plan path).
    pub dry_run: bool,
    pub wait_timeout: Duration,
}

pub async fn rollback(request: RollbackRequest) -> anyhow::Result<Outcome> {
    let hosts = super::host_policy(&request.allowed_hosts)?;
    // Only the restored environment's secret is resolved: the one named, or the backup's origin (found
    // from the manifest read without any secret).
    let environment = match &request.environment {
        Some(name) => name.clone(),
        None => {
            let bare = super::load_manifest_scoped(
                &request.manifest,
                &hosts,
                &crate::manifest::Scope::Nothing,
            )?;
            restore(&bare, &request.backup, None).await?.to
        }
    };
    let scope = crate::manifest::Scope::Environment(environment.clone());
    let manifest = super::load_manifest_scoped(&request.manifest, &hosts, &scope)?;
    let promotion = restore(&manifest, &request.backup, Some(&environment)).await?;
    let options = promote::RunOptions {
        rollback: true,
        ..super::run::with_journal(super::run::options(request.wait_timeout)?, &manifest)
    };
    let cancel = options.cancel.clone();
    let command = if request.dry_run {
        RunKind::Plan
    } else {
        RunKind::Rollback
    };
    let result = promote::run_promotions(command, manifest, vec![promotion], options).await?;
    super::run::print(&result, request.format)?;
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
    if !backup.is_file() {
        let looked_at = std::path::absolute(backup).unwrap_or_else(|_| backup.to_path_buf());
        return Err(InvalidInput::msg(format!(
            "backup {display}: no such file (looked at {}); a backup is under .spark-promote/backups/ \
             where apply ran, or in the artifact a workflow kept",
            looked_at.display()
        )));
    }
    let index = ExportIndex::load_beside(backup)
        .map_err(|err| InvalidInput::msg(format!("backup {display}: {err:#}")))?
        .ok_or_else(|| {
            InvalidInput::msg(format!(
                "backup {display}: its index {} is missing (a backup is the package and its .json index)",
                ExportIndex::path_for(backup).display()
            ))
        })?;
    let to = match environment {
        Some(name) => match manifest.urls.get(name) {
            Some(url) if same_url(url, &index.source) => name.to_string(),
            Some(url) => {
                return Err(InvalidInput::msg(format!(
                    "backup {display} was exported from {}, not from {name} ({}): a backup goes back \
                     only where it came from{}",
                    index.source.trim_end_matches('/'),
                    url.trim_end_matches('/'),
                    match origins(manifest, &index).as_slice() {
                        [] => String::new(),
                        names => format!(
                            " ({})",
                            names
                                .iter()
                                .map(|name| format!("--env {name}"))
                                .collect::<Vec<_>>()
                                .join(" or ")
                        ),
                    }
                )));
            }
            None => {
                return Err(InvalidInput::msg(format!(
                    "environment {name} is not in {}",
                    manifest.path.display()
                )));
            }
        },
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

/// [`restore`] as the engine calls it after a verification fails with `on_failure: rollback` (the seam
/// stays when `restore` moves into `promote/backup/`).
pub struct Restore;

impl promote::verification::Restorer for Restore {
    fn restore<'a>(
        &'a self,
        manifest: &'a Manifest,
        backup: &'a Path,
        environment: &'a str,
    ) -> futures_util::future::BoxFuture<'a, anyhow::Result<Promotion>> {
        Box::pin(async move { Ok(restore(manifest, backup, Some(environment)).await?) })
    }
}

/// The one environment of the manifest at the URL the backup was exported from.
fn environment_of(
    manifest: &Manifest,
    index: &ExportIndex,
    display: &str,
) -> Result<String, InvalidInput> {
    let source = index.source.trim_end_matches('/');
    match origins(manifest, index).as_slice() {
        [name] => Ok(name.clone()),
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

/// The environments of `manifest` at the URL a backup was exported from.
fn origins(manifest: &Manifest, index: &ExportIndex) -> Vec<String> {
    manifest
        .urls
        .iter()
        .filter(|(_, url)| same_url(url, &index.source))
        .map(|(name, _)| name.clone())
        .collect()
}

/// Whether two base URLs (with the tenant) name the same place.
fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

/// The environment a backup goes back to, from its index alone (before any secret is read): the one
/// environment of `manifest` at the URL it was exported from. For loading the manifest scoped to it.
pub fn origin_of(manifest: &Manifest, backup: &Path) -> Option<String> {
    let index = ExportIndex::load_beside(backup).ok()??;
    environment_of(manifest, &index, "").ok()
}
