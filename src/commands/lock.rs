//! `lock`: pins each selected promotion's source versions (or package sha256) in the lock file.
use std::path::PathBuf;

use anyhow::Context as _;

use crate::exit::Outcome;
use crate::promote::{self, RunOptions, cancel::Cancel};

/// A `lock` from the command line.
pub struct LockRequest {
    pub manifest: PathBuf,
    pub promotions: Vec<String>,
    pub allowed_hosts: Vec<String>,
}

pub async fn lock(request: LockRequest) -> anyhow::Result<Outcome> {
    let hosts = super::host_policy(&request.allowed_hosts)?;
    let manifest = super::load_manifest(&request.manifest, &hosts)?;
    let options = RunOptions {
        cancel: Cancel::on_signals().context("failed to listen for signals")?,
        progress: crate::progress::for_stderr(),
        ..RunOptions::default()
    };
    let (path, lock) = promote::lock::update(manifest, &request.promotions, options).await?;
    tracing::info!(
        "wrote {} ({} promotion{})",
        path.display(),
        lock.promotions.len(),
        if lock.promotions.len() == 1 { "" } else { "s" }
    );
    Ok(Outcome::Success)
}
