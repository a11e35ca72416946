//! `plan`, `apply` and `rollback` in the action: the promotion records (GitHub deployments) read before
//! the run (an apply or a rollback records each import as one), the run, then its log groups, result files,
//! job summary, outputs and comment. The promotion's result decides the exit code; a comment or a
//! deployment that cannot be written is a warning.
use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;

use super::workspace::{self, Dirs};
use super::{CommentBody, modes, post_comment};
use crate::exit::{InvalidInput, Outcome};
use crate::github::{Annotation, Deployments, Runner, neutralize};
use crate::manifest::{Manifest, Promotion};
use crate::promote::{self, RunOptions, cancel::Cancel, result::RunKind, result::RunResult};
use crate::report;

/// What a run of the action sets up before the engine runs: its directories, its options, its records.
struct Prepared {
    dirs: Dirs,
    work_dir: tempfile::TempDir,
    options: RunOptions,
    deployments: Option<Arc<Deployments>>,
}

/// `plan` or `apply` (`command`) of the `selected` promotions: the records of their targets read first
/// (an apply records its imports), the lock as the `locked` input asks.
pub async fn plan_or_apply(
    runner: &mut Runner,
    command: RunKind,
    manifest: Arc<Manifest>,
    selected: &[&Promotion],
) -> anyhow::Result<Outcome> {
    let mut prepared = prepare(runner, std::convert::identity)?;
    if let Some(deployments) = &prepared.deployments {
        let targets: Vec<(&str, &str)> = selected
            .iter()
            .map(|promotion| (promotion.name.as_str(), promotion.to.as_str()))
            .collect();
        let records = deployments.records(&targets).await;
        for record in &records {
            tracing::info!(
                "on record: {} (correlation id {}, into {})",
                record.origin,
                record.correlation_id,
                record.target
            );
        }
        prepared.options.records = Arc::new(records);
        if command == RunKind::Apply {
            prepared.options.recorder = deployments.clone();
        }
        runner.log.warn_all(deployments.take_warnings())?;
    }
    match promote::source::lock::for_run(&manifest, selected, runner.inputs.locked).await {
        Ok(lock) => prepared.options.lock = Arc::new(lock),
        Err(err) => {
            runner.refuse("lock file refused", &format!("{err:#}"))?;
            return Err(err.into());
        }
    }
    let run: Vec<Promotion> = selected.iter().map(|&p| p.clone()).collect();
    finish(runner, prepared, command, manifest, run, modes(selected)).await
}

/// `rollback`: the promotion `restore` gives (the `backup` input put back where it came from) run with
/// `replace`, recorded as deployments that say they roll back (see `Deployments::for_rollback`).
pub async fn rollback(
    runner: &mut Runner,
    manifest: Arc<Manifest>,
    restore: impl Future<Output = Result<Promotion, InvalidInput>>,
) -> anyhow::Result<Outcome> {
    let mut prepared = prepare(runner, Deployments::for_rollback)?;
    prepared.options.rollback = true;
    if let Some(deployments) = &prepared.deployments {
        prepared.options.recorder = deployments.clone();
    }
    let promotion = restore.await?;
    let modes = modes(&[&promotion]);
    let command = RunKind::Rollback;
    finish(runner, prepared, command, manifest, vec![promotion], modes).await
}

/// The directories, the options and the deployments (made by `deployments_for` from the runner's) of a
/// run; no deployments is a warning.
fn prepare(
    runner: &mut Runner,
    deployments_for: fn(Deployments) -> Deployments,
) -> anyhow::Result<Prepared> {
    let dirs = Dirs::create(runner)?;
    let work_dir = workspace::work_dir(&dirs.result)?;
    let mut options = RunOptions {
        cancel: Cancel::on_signals().context("failed to listen for signals")?,
        progress: crate::progress_display::for_stderr(),
        source_system: workspace::source_system(runner),
        work_dir: Some(work_dir.path().to_path_buf()),
        backup_dir: dirs.tool.join("backups"),
        ..RunOptions::default()
    };
    if let Some(wait) = runner.inputs.wait_timeout {
        options.wait_timeout = wait;
    }
    let deployments = match runner.deployments() {
        Ok(deployments) => deployments.map(|d| Arc::new(deployments_for(d))),
        Err(err) => {
            runner
                .log
                .warn(&format!("no GitHub deployments: {err:#}"))?;
            None
        }
    };
    Ok(Prepared {
        dirs,
        work_dir,
        options,
        deployments,
    })
}

/// Runs `promotions` and reports the result (see [`report_run`]).
async fn finish(
    runner: &mut Runner,
    prepared: Prepared,
    command: RunKind,
    manifest: Arc<Manifest>,
    promotions: Vec<Promotion>,
    modes: Vec<(String, String, String)>,
) -> anyhow::Result<Outcome> {
    let Prepared {
        dirs,
        work_dir,
        options,
        deployments,
    } = prepared;
    let cancel = options.cancel.clone();
    let result = promote::run_promotions(command, manifest, promotions, options).await?;
    if let Some(deployments) = &deployments {
        runner.log.warn_all(deployments.take_warnings())?;
    }
    drop(work_dir);
    report_run(runner, &dirs.result, result, modes, &cancel).await
}

/// After a plan, apply or rollback: the log groups, the result files, the job summary, the outputs and the
/// comment; the result decides the exit code.
async fn report_run(
    runner: &mut Runner,
    dir: &Path,
    mut result: RunResult,
    modes: Vec<(String, String, String)>,
    cancel: &Cancel,
) -> anyhow::Result<Outcome> {
    for promotion in &mut result.promotions {
        if let Some(backup) = &promotion.backup {
            let shown = workspace::relative(runner, Path::new(backup));
            promotion.backup = Some(shown.display().to_string());
        }
    }
    log_groups(runner, &result)?;
    annotate_failures(runner, &result)?;
    let summary = runner.summary_markdown(&result);
    let result_path = dir.join("result.json");
    let summary_path = dir.join("summary.md");
    promote::files::write_atomic(&result_path, report::json(&result).as_bytes())?;
    promote::files::write_atomic(&summary_path, summary.as_bytes())?;
    runner.write_summary(&summary)?;
    runner.write_outputs(
        &result,
        &workspace::relative(runner, &result_path),
        &workspace::relative(runner, &summary_path),
    )?;
    post_comment(runner, CommentBody::Result(&result, modes)).await?;
    Ok(result.outcome(cancel))
}

/// One collapsed group per promotion with its outcome; text from Spark is neutralized.
fn log_groups(runner: &mut Runner, result: &RunResult) -> anyhow::Result<()> {
    for promotion in &result.promotions {
        let title = format!(
            "{}: {}",
            promotion.name,
            report::status_label(promotion.status)
        );
        runner.log.commands().group(&title)?;
        let mut text = String::new();
        for line in group_lines(promotion) {
            text.push_str(&neutralize(&line));
            text.push('\n');
        }
        runner.log.print(&text)?;
        runner.log.commands().end_group()?;
    }
    Ok(())
}

/// The lines of a promotion's log group: its outcome, each service's, its errors and warnings.
fn group_lines(promotion: &promote::result::PromotionResult) -> Vec<String> {
    let correlation = match promotion.correlation() {
        Some(id) => format!(", correlation id {id}"),
        None => String::new(),
    };
    let mut lines = vec![format!(
        "{} → {}: {} (job {}{correlation})",
        promotion.source,
        promotion.target,
        report::status_label(promotion.status),
        promotion.job_id.as_deref().unwrap_or("none"),
    )];
    lines.extend(promotion.services.iter().map(|service| {
        let detail = match &service.detail {
            Some(detail) => format!(": {detail}"),
            None => String::new(),
        };
        format!(
            "{} → {}: {}{detail}",
            service.source,
            service.destination,
            service.status.label()
        )
    }));
    lines.extend(
        promotion
            .errors
            .iter()
            .map(|error| format!("error: {error}")),
    );
    lines.extend(promotion.warnings.iter().map(|w| format!("warning: {w}")));
    lines
}

/// Each error of a promotion that fails the run (a plan's predicted failures too) as an `::error`
/// annotation titled with the promotion.
fn annotate_failures(runner: &mut Runner, result: &RunResult) -> anyhow::Result<()> {
    for promotion in result.promotions.iter().filter(|p| p.fails_the_run()) {
        let at = Annotation {
            title: Some(format!("spark-promote {}", promotion.name)),
            ..Annotation::default()
        };
        for error in &promotion.errors {
            runner.log.error(error, &at)?;
        }
    }
    Ok(())
}
