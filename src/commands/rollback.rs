//! `rollback`: re-imports a backup into its environment (exactly with `replace`, or on top with
//! `add_version` to keep the API call history: `--keep-history`), each service to its own place, through
//! the apply engine (idempotency, waiting, cancellation, summary and result JSON as apply).
use std::path::PathBuf;
use std::time::Duration;

use crate::exit::Outcome;
use crate::promote::{self, result::RunKind};

/// Kept here for the action's rollback (`commands/action.rs`); the rules are the engine's.
pub use crate::promote::backup::restore::{origin_of, restore};

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
    /// Exact (`replace`) or keeping the API call history (`add_version` on top).
    pub mode: promote::backup::RollbackMode,
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
            promote::backup::restore(&bare, &request.backup, None)
                .await?
                .to
        }
    };
    let scope = crate::manifest::Scope::Environment(environment.clone());
    let manifest = super::load_manifest_scoped(&request.manifest, &hosts, &scope)?;
    let promotion =
        promote::backup::restore_as(&manifest, &request.backup, Some(&environment), request.mode)
            .await?;
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
