//! A backup read back: the promotion that puts it into the environment it was exported from (its index
//! names that URL), run by the apply engine like any other. Backups are written (`backup::take`) and read
//! back here, in one module.
use std::path::Path;

use crate::exit::InvalidInput;
use crate::manifest::{Manifest, Promotion, ServicesExisting, Source, UpdateVersionType};
use crate::promote::source::export::ExportIndex;
use crate::promote::source::package;

/// How a backup is put back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RollbackMode {
    /// `replace`: the services become exactly what the backup holds (its version numbers and ids); Spark
    /// deletes their API call history.
    #[default]
    Exact,
    /// `add_version` (patch numbers): the backup's versions put back on top at new version numbers, the old
    /// content; the newer versions and the API call history stay, and calls by service URI get the old
    /// behaviour.
    KeepHistory,
}

impl RollbackMode {
    /// Its name in the action's `rollback_mode` input and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            RollbackMode::Exact => "exact",
            RollbackMode::KeepHistory => "keep-history",
        }
    }
}

/// The promotion that puts a backup back into `environment` (by default, the environment of the manifest
/// whose URL the backup was exported from) exactly (`replace`): see [`restore_as`].
pub async fn restore(
    manifest: &Manifest,
    backup: &Path,
    environment: Option<&str>,
) -> Result<Promotion, InvalidInput> {
    restore_as(manifest, backup, environment, RollbackMode::Exact).await
}

/// The promotion that puts a backup back into `environment` (by default, the environment of the manifest
/// whose URL the backup was exported from), as `mode` says, services to their own place, no backup of its
/// own. The package and its index are checked first (invalid input, exit 2); a backup goes back only where
/// it came from. Run it with `promote::run_promotions` and `RunOptions::rollback` set: the decision then
/// takes it as a backup put back (present only by the rollback's own record, never by version ids, which a
/// `replace` over the same numbers keeps), and its records say it is a rollback (so the record it undoes
/// stops counting).
pub async fn restore_as(
    manifest: &Manifest,
    backup: &Path,
    environment: Option<&str>,
    mode: RollbackMode,
) -> Result<Promotion, InvalidInput> {
    let display = backup.display().to_string();
    let index = index_of(backup, &display)?;
    let to = match environment {
        Some(name) => checked_home(manifest, &index, name, &display)?,
        None => environment_of(manifest, &index, &display)?,
    };
    let stem = backup
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let promotion = Promotion {
        name: match mode {
            RollbackMode::Exact => format!("rollback-{stem}"),
            RollbackMode::KeepHistory => format!("rollback-{stem}-keep-history"),
        },
        source: Source::Package {
            path: backup.to_path_buf(),
            display: display.clone(),
        },
        to,
        services_existing: match mode {
            RollbackMode::Exact => ServicesExisting::Replace,
            RollbackMode::KeepHistory => ServicesExisting::AddVersion,
        },
        update_version_type: match mode {
            RollbackMode::Exact => UpdateVersionType::Copy,
            RollbackMode::KeepHistory => UpdateVersionType::Patch,
        },
        services: Vec::new(),
        source_system: None,
        correlation_id: None,
        backup: Some(false),
        verify: None,
        after: Vec::new(),
        xcalls: Vec::new(),
    };
    package::committed(backup, &display)
        .await
        .map_err(|err| InvalidInput::msg(format!("promotion {}: {err}", promotion.name)))?;
    Ok(promotion)
}

/// The environment a backup goes back to, from its index alone (before any secret is read): the one
/// environment of `manifest` at the URL it was exported from. For loading the manifest scoped to it.
pub fn origin_of(manifest: &Manifest, backup: &Path) -> Option<String> {
    let index = ExportIndex::load_beside(backup).ok()??;
    environment_of(manifest, &index, "").ok()
}

/// The backup's index (beside it); a missing backup or index says what was looked at.
fn index_of(backup: &Path, display: &str) -> Result<ExportIndex, InvalidInput> {
    if !backup.is_file() {
        let looked_at = std::path::absolute(backup).unwrap_or_else(|_| backup.to_path_buf());
        return Err(InvalidInput::msg(format!(
            "backup {display}: no such file (looked at {}); a backup is under .spark-promote/backups/ \
             where apply ran, or in the artifact a workflow kept",
            looked_at.display()
        )));
    }
    ExportIndex::load_beside(backup)
        .map_err(|err| InvalidInput::msg(format!("backup {display}: {err:#}")))?
        .ok_or_else(|| {
            InvalidInput::msg(format!(
                "backup {display}: its index {} is missing (a backup is the package and its .json index)",
                ExportIndex::path_for(backup).display()
            ))
        })
}

/// `name` when it is the environment the backup was exported from; otherwise the refusal naming both.
fn checked_home(
    manifest: &Manifest,
    index: &ExportIndex,
    name: &str,
    display: &str,
) -> Result<String, InvalidInput> {
    let Some(url) = manifest.urls.get(name) else {
        return Err(InvalidInput::msg(format!(
            "environment {name} is not in {}",
            manifest.path.display()
        )));
    };
    if same_url(url, &index.source) {
        return Ok(name.to_string());
    }
    let hint = match origins(manifest, index).as_slice() {
        [] => String::new(),
        names => format!(
            " ({})",
            names
                .iter()
                .map(|name| format!("--env {name}"))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    };
    Err(InvalidInput::msg(format!(
        "backup {display} was exported from {}, not from {name} ({}): a backup goes back only where it \
         came from{hint}",
        index.source.trim_end_matches('/'),
        url.trim_end_matches('/'),
    )))
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
