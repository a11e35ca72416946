//! `plan` and `apply`: run the selected promotions, print the summary (or `--json`) on stdout.
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::exit::Outcome;
use crate::manifest::Manifest;
use crate::promote::record::journal::{self, Journal};
use crate::promote::result::{RunKind, RunResult};
use crate::promote::{self, RunOptions, cancel::Cancel};
use crate::report::{self, RenderOptions};

/// A `plan` or `apply` from the command line.
pub struct RunRequest {
    pub command: RunKind,
    pub selection: super::Selection,
    pub json: bool,
    /// `--locked`: refuse to run without an up-to-date lock.
    pub locked: bool,
    pub wait_timeout: Duration,
}

pub async fn run(request: RunRequest) -> anyhow::Result<Outcome> {
    let manifest = request.selection.load()?;
    let selected = request.selection.of(&manifest);
    super::check_packages(&selected).await?;
    let lock = promote::source::lock::for_run(&manifest, &selected, request.locked).await?;
    let options = RunOptions {
        lock: Arc::new(lock),
        ..with_journal(options(request.wait_timeout)?, &manifest)
    };
    let cancel = options.cancel.clone();
    let result = promote::run(
        request.command,
        manifest,
        &request.selection.promotions,
        options,
    )
    .await?;
    print(&result, request.json)?;
    Ok(result.outcome(&cancel))
}

/// The options of a run from the command line: its deadline, signals and progress on stderr.
pub(super) fn options(wait_timeout: Duration) -> anyhow::Result<RunOptions> {
    Ok(RunOptions {
        wait_timeout,
        cancel: Cancel::on_signals().context("failed to listen for signals")?,
        progress: crate::progress_display::for_stderr(),
        ..RunOptions::default()
    })
}

/// A terminal run keeps its own promotion records in the journal (`.spark-promote/records.json`), as the
/// action keeps GitHub deployments: read before the run, written as each import ends.
pub(super) fn with_journal(options: RunOptions, manifest: &Manifest) -> RunOptions {
    let journal = Arc::new(Journal::at(journal::DEFAULT_PATH));
    RunOptions {
        records: Arc::new(journal.records_for(manifest)),
        recorder: journal,
        ..options
    }
}

/// Prints a run's result on stdout: the summary, or JSON.
pub(super) fn print(result: &RunResult, json: bool) -> anyhow::Result<()> {
    let text = if json {
        report::json(result)
    } else {
        report::markdown(result, &RenderOptions::summary(None))
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}").context("failed to write the result")
}
