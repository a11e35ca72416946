//! `drift` in the action: the report in the job summary and the `status` output (`in_sync`, `drift` or
//! `failed`), and the one drift issue of the manifest kept as the report says (a refusal is a warning).
//! Exit 0 in sync, 3 on drift, 1 when a comparison failed.
use std::sync::Arc;

use anyhow::Context as _;

use crate::exit::Outcome;
use crate::github::issue::{self, IssueOf, IssueOutcome};
use crate::github::{Marker, Runner, StepStatus, neutralize};
use crate::manifest::{Manifest, Promotion};
use crate::promote::{self, RunOptions, cancel::Cancel};
use crate::report;

pub async fn drift(
    runner: &mut Runner,
    manifest: Arc<Manifest>,
    selected: &[&Promotion],
) -> anyhow::Result<Outcome> {
    let lock = promote::source::lock::for_run(&manifest, selected, runner.inputs.locked).await?;
    let options = RunOptions {
        cancel: Cancel::on_signals().context("failed to listen for signals")?,
        progress: crate::progress_display::for_stderr(),
        lock: Arc::new(lock),
        ..RunOptions::default()
    };
    let report = promote::drift::run(manifest, &runner.inputs.promotions, options).await?;
    // The report quotes the catalog's names: in a fence they cannot close (see `report::escape`).
    let text = format!(
        "## spark-promote drift: `{}`\n\n{}",
        runner.inputs.manifest.display(),
        report::escape::code_block(&neutralize(&report.text()))
    );
    runner.write_summary(&text)?;
    let outcome = report.outcome();
    runner.write_status(StepStatus::of_drift(outcome))?;
    match outcome {
        Outcome::Failed => {}
        Outcome::Drift => keep_issue(runner, Some(&text)).await?,
        _ => keep_issue(runner, None).await?,
    }
    Ok(outcome)
}

/// Keeps the manifest's drift issue as `drifted` says (its report, or in sync: `None`), when there is a
/// token and a repository; what goes wrong is a warning.
async fn keep_issue(runner: &mut Runner, drifted: Option<&str>) -> anyhow::Result<()> {
    let Some(repository) = &runner.context.repository else {
        return Ok(());
    };
    let Some(client) = runner.client()? else {
        return Ok(());
    };
    let manifest = runner.inputs.manifest.to_string_lossy().into_owned();
    let marker = Marker::new(&manifest, &[]);
    let repository = format!("{}/{}", repository.owner, repository.name);
    let of = IssueOf {
        repository: &repository,
        manifest: &manifest,
        marker: &marker,
        labels: &runner.inputs.issue_labels,
    };
    match issue::sync(&client, &of, drifted).await {
        Ok(IssueOutcome::Forbidden(message)) => runner.log.warn(&message),
        Ok(done) => {
            tracing::info!("drift issue: {done:?}");
            Ok(())
        }
        Err(err) => runner
            .log
            .warn(&format!("the drift issue was not kept: {err:#}")),
    }
}
