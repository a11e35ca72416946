//! `plan` and `apply`: run the selected promotions, print the summary (or `--json`) on stdout.
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::exit::{InvalidInput, Outcome};
use crate::promote::{self, RunOptions, cancel::Cancel, result::Command};
use crate::report::{self, RenderOptions};

/// A `plan` or `apply` from the command line.
pub struct RunRequest {
    pub command: Command,
    pub manifest: PathBuf,
    pub promotions: Vec<String>,
    pub allowed_hosts: Vec<String>,
    pub json: bool,
    /// `--locked`: refuse to run without an up-to-date lock.
    pub locked: bool,
    pub wait_timeout: Duration,
}

pub async fn run(request: RunRequest) -> anyhow::Result<Outcome> {
    let hosts = super::host_policy(&request.allowed_hosts)?;
    let manifest = super::load_manifest(&request.manifest, &hosts)?;
    // A committed package that is missing, empty, not a ZIP or too large is the caller's to fix (exit 2),
    // found before any call.
    let selected = manifest
        .select(&request.promotions)
        .map_err(|err| InvalidInput(anyhow::Error::new(err)))?;
    let problems = super::validate::package_problems(&selected).await;
    if !problems.is_empty() {
        return Err(InvalidInput::msg(problems.join("\n")).into());
    }
    let lock = promote::lock::for_run(&manifest, &selected, request.locked).await?;
    let cancel = Cancel::on_signals().context("failed to listen for signals")?;
    let options = RunOptions {
        lock: Arc::new(lock),
        wait_timeout: request.wait_timeout,
        cancel: cancel.clone(),
        progress: crate::progress::for_stderr(),
        ..RunOptions::default()
    };
    let result = promote::run(request.command, manifest, &request.promotions, options).await?;
    let text = if request.json {
        report::json(&result)
    } else {
        report::markdown(&result, &RenderOptions::summary(None))
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}").context("failed to write the result")?;
    Ok(result.outcome(&cancel))
}
