//! `lock`: pins each selected promotion's source versions (or package sha256) in the lock file; with
//! `--update`, rewrites only the entries that moved and prints them.
use std::io::Write;

use anyhow::Context as _;

use crate::exit::Outcome;
use crate::promote::{self, RunOptions, cancel::Cancel};

/// A `lock` from the command line.
pub struct LockRequest {
    pub selection: super::Selection,
    /// `--update`: rewrite only the entries that moved, and print them.
    pub update: bool,
}

pub async fn lock(request: LockRequest) -> anyhow::Result<Outcome> {
    // Only the sources' secrets: a lock lists the source versions and never calls a destination.
    let manifest = request.selection.load_sources()?;
    let options = RunOptions {
        cancel: Cancel::on_signals().context("failed to listen for signals")?,
        progress: crate::progress_display::for_stderr(),
        ..RunOptions::default()
    };
    let mode = if request.update {
        promote::lock_update::Mode::Update
    } else {
        promote::lock_update::Mode::Write
    };
    let updated =
        promote::lock_update::update(manifest, &request.selection.promotions, options, mode)
            .await?;
    let count = updated.lock.promotions.len();
    if updated.written {
        tracing::info!(
            "wrote {} ({count} promotion{})",
            updated.path.display(),
            if count == 1 { "" } else { "s" }
        );
    } else {
        tracing::info!("{} is up to date", updated.path.display());
    }
    if request.update {
        // What moved, on stdout: the body of an update pull request.
        let text = if updated.moved.is_empty() {
            "no entry moved".to_string()
        } else {
            updated.moved.join("\n")
        };
        writeln!(std::io::stdout().lock(), "{text}").context("failed to write what moved")?;
    }
    Ok(Outcome::Success)
}
