//! Apply one promotion: get the package (a file, or an export of the source environment), then import it
//! idempotently into the target and report what Spark did.
use std::path::Path;
use std::time::Instant;

use crate::manifest::Promotion;
use futures_util::future::BoxFuture;

use crate::promote::backup;
use crate::promote::context::Context;
use crate::promote::decide::{self, Decision, Shipment, Skipped, Verdict, locked, mappings};
use crate::promote::import::messages;
use crate::promote::import::outputs;
use crate::promote::jobs::{self, JobRun, JobSpec, Kind, Start, Watched};
use crate::promote::progress::Transfer;
use crate::promote::record::{self, Placed};
use crate::promote::result::{PromotionResult, PromotionStatus};
use crate::promote::source::export::ExportIndex;
use crate::promote::source::{self, request};
use crate::promote::verification;
use crate::spark::{ImportRequestEntity, JobState, JobStatus};

/// Applies one promotion. Failures are part of the result, never an `Err`.
pub async fn apply(ctx: &Context, promotion: &Promotion) -> PromotionResult {
    apply_undoing(ctx, promotion, None).await
}

/// Applies one promotion; `undoes`: it is the rollback after a failed verification of the import with
/// this correlation id (its record says so). Boxed: the verification stage calls it from inside an apply.
pub(crate) fn apply_undoing<'a>(
    ctx: &'a Context,
    promotion: &'a Promotion,
    undoes: Option<String>,
) -> BoxFuture<'a, PromotionResult> {
    Box::pin(async move {
        let started = std::time::Instant::now();
        let mut result = PromotionResult::begin(promotion);
        result.undoes = undoes;
        // Where the versions left out of the import are, once its start is recorded.
        let mut recorded: Option<Vec<Placed>> = None;
        let outcome = run(ctx, promotion, &mut result, &mut recorded).await;
        let result = crate::promote::finish::finish(ctx, result, started, outcome, None);
        if let Some(present) = recorded {
            let event = record::ended(
                &result,
                ctx.target_url(&promotion.to),
                ctx.options.rollback,
                present,
            );
            ctx.options.recorder.ended(event).await;
        }
        result
    })
}

async fn run(
    ctx: &Context,
    promotion: &Promotion,
    result: &mut PromotionResult,
    recorded: &mut Option<Vec<Placed>>,
) -> anyhow::Result<()> {
    let cases = verification::load(promotion, result)?;
    if let Some(decision) = locked::decided_before_export(ctx, promotion, result).await? {
        decided(result, decision);
        return verification::after_import(ctx, promotion, cases.as_ref(), &[], result).await;
    }
    let prepared = source::prepare(ctx, promotion, result).await?;
    let listed = source::listed(prepared.index.as_ref(), promotion);
    mappings::check_mappings(promotion, &listed, prepared.index.is_some())?;
    let (_, correlation_id) = request::import_request(
        ctx,
        promotion,
        prepared.index.as_ref(),
        Some(&prepared.content),
        &mut result.warnings,
    )?;
    result.correlation_id = correlation_id;
    let shipment = Shipment {
        index: prepared.index.as_ref(),
        listed: &listed,
        narrowable: promotion.source.is_environment(),
        display: source::display(promotion),
    };
    let decision = decide::decide(ctx, promotion, &shipment, &mut result.correlation_id).await?;
    let Some((prepared, present)) = ready(ctx, promotion, prepared, decision, result).await? else {
        // A re-run that found our completed import job verifies what it imported.
        return verification::after_import(ctx, promotion, cases.as_ref(), &[], result).await;
    };
    // The request follows the package imported (narrowed or not); the correlation id stays the one of the
    // whole shipment (or the one the decision gave), so that a re-run finds this import.
    let (mut entity, _) = request::import_request(
        ctx,
        promotion,
        prepared.index.as_ref(),
        Some(&prepared.content),
        &mut Vec::new(),
    )?;
    entity.correlation_id = Some(result.correlation_id.clone());
    let index = prepared.index.clone();
    let path = prepared.package(ctx, promotion).await?.path;
    let upload = Upload {
        path: &path,
        entity: &entity,
        index: index.as_ref(),
        present: &present,
    };
    let run = import(ctx, promotion, &upload, result, recorded).await?;
    report(ctx, promotion, result, run);
    verification::after_import(ctx, promotion, cases.as_ref(), &present, result).await
}

/// What the decision leaves to import: the package (narrowed to the versions still missing when some are
/// in place), after the backup; `None` when nothing is imported (already applied, reported as skipped; or
/// a failure known beforehand, reported as failed). Attaching to a running job of ours takes no backup:
/// what it does is already decided (and its own backup was taken before it started).
async fn ready(
    ctx: &Context,
    promotion: &Promotion,
    prepared: source::Prepared,
    decision: Decision,
    result: &mut PromotionResult,
) -> anyhow::Result<Option<(source::Prepared, Vec<Placed>)>> {
    let prepared = match &decision.verdict {
        Verdict::Skip(_) | Verdict::Fail => {
            decided(result, decision);
            return Ok(None);
        }
        Verdict::Running { .. } => prepared,
        Verdict::Import { only } => {
            let prepared = match only {
                Some(ids) => source::narrow(ctx, promotion, ids, result).await?,
                None => prepared,
            };
            backup::take(ctx, promotion, &decision.services, result).await?;
            prepared
        }
    };
    // The decided rows, until the job's outputs replace them (keeping their notes: see `record`).
    result.services = decision.services;
    result.warnings.extend(decision.warnings);
    Ok(Some((prepared, decision.present)))
}

/// Reports a decision that imports nothing: a skip, or a failure known before the import.
fn decided(result: &mut PromotionResult, decision: Decision) {
    result.warnings.extend(decision.warnings);
    match decision.verdict {
        Verdict::Skip(skipped) => {
            result.services = decision.services;
            skipped_by(result, skipped);
        }
        _ => {
            result.services = decision.services;
            result.errors.extend(decision.failures);
            result.status = PromotionStatus::Failed;
        }
    }
}

/// What an import sends (the package and the request with its correlation id), and the index it records.
struct Upload<'a> {
    path: &'a Path,
    entity: &'a ImportRequestEntity,
    index: Option<&'a ExportIndex>,
    /// The versions the decision found in place (left out of a narrowed import).
    present: &'a [Placed],
}

/// Starts the import (or attaches to ours, or finds it done) in this run's turn on the tenant; a job it
/// watches is recorded as started first.
async fn import(
    ctx: &Context,
    promotion: &Promotion,
    upload: &Upload<'_>,
    result: &mut PromotionResult,
    recorded: &mut Option<Vec<Placed>>,
) -> anyhow::Result<JobRun> {
    let client = ctx.client(&promotion.to)?;
    let label = promotion.name.clone();
    let progress = ctx.options.progress.clone();
    let report =
        move |sent: u64, total: u64| progress.transfer(&label, Transfer::Upload, sent, total);
    let turn = ctx.turn(client).await?;
    let correlation_id = result.correlation_id.clone();
    let spec = JobSpec {
        client,
        kind: Kind::Import,
        correlation_id: &correlation_id,
        wait: ctx.options.wait_timeout,
        cancel: &ctx.options.cancel,
    };
    let post = || client.import(upload.path, upload.entity, Some(&report));
    let run = match jobs::start_job(&spec, post).await? {
        Start::Finished(run) => *run,
        Start::Job { id, started } => {
            result.job_id = Some(id.clone());
            let event = record::started(
                result,
                ctx.options.rollback,
                &id,
                upload.index,
                upload.entity,
            );
            ctx.options.recorder.started(event).await;
            *recorded = Some(upload.present.to_vec());
            let deadline = Instant::now() + ctx.options.wait_timeout;
            let watched =
                jobs::watch(client, Kind::Import, &id, deadline, &ctx.options.cancel).await?;
            JobRun::Ran {
                id,
                started,
                watched,
            }
        }
    };
    drop(turn);
    Ok(run)
}

/// Reports how the import job ran.
fn report(ctx: &Context, promotion: &Promotion, result: &mut PromotionResult, run: JobRun) {
    match run {
        JobRun::AlreadyDone { id, status } => skipped_by(
            result,
            Skipped::Job {
                job_id: id,
                status: Box::new(status),
            },
        ),
        JobRun::Ran { id, watched, .. } => {
            result.job_id = Some(id.clone());
            match watched {
                Watched::Ended(status) => ended(result, &id, &status),
                Watched::Cancelled(status) => cancelled(promotion, result, &id, status.as_ref()),
                Watched::TimedOut(_) => {
                    result.status = PromotionStatus::Failed;
                    result.errors.push(format!(
                        "import job {id} did not end within {}; it is still running {}",
                        humantime::format_duration(ctx.options.wait_timeout),
                        reattach_hint(promotion, &id)
                    ));
                }
                Watched::Lost(err) => {
                    result.status = PromotionStatus::Failed;
                    result.errors.push(format!(
                        "{err:#}; the job may still be running {}",
                        reattach_hint(promotion, &id)
                    ));
                }
            }
        }
        JobRun::CancelledBeforeStart { id } => {
            result.job_id = id;
            result.status = PromotionStatus::Cancelled;
            result
                .errors
                .push("cancelled before the import job started".to_string());
        }
    }
}

/// Reports an import job that ended: completed, cancelled or failed, with its outputs and messages.
fn ended(result: &mut PromotionResult, id: &str, status: &JobStatus) {
    record(result, status);
    result.status = if status.succeeded() {
        PromotionStatus::Completed
    } else if status.status == JobState::Cancelled {
        PromotionStatus::Cancelled
    } else {
        PromotionStatus::Failed
    };
    if result.status != PromotionStatus::Completed && status.errors.is_empty() {
        result
            .errors
            .push(format!("import job {id} ended {}", status.status.as_str()));
    }
}

/// Reports an import job this run cancelled (the run was cancelled): what it was left as, or how to cancel
/// it when it could not be.
fn cancelled(
    promotion: &Promotion,
    result: &mut PromotionResult,
    id: &str,
    status: Option<&JobStatus>,
) {
    if let Some(status) = status {
        record(result, status);
    }
    result.status = PromotionStatus::Cancelled;
    result.errors.push(match status {
        Some(status) => format!(
            "cancelled: import job {id} was left {}",
            status.status.as_str()
        ),
        None => format!(
            "cancelled: import job {id} could not be cancelled and may still be running; \
             cancel it with {}",
            jobs::cancel_command(Kind::Import, Some(&promotion.to), id)
        ),
    });
}

/// Reports a promotion that was already applied: the earlier job's outputs when a job says so.
fn skipped_by(result: &mut PromotionResult, skipped: Skipped) {
    let skip = skipped.skip();
    tracing::info!("{}: {skip}", result.name);
    if let Skipped::Job { job_id, status } = &skipped {
        result.job_id = Some(job_id.clone());
        record(result, status);
    }
    result.status = PromotionStatus::Skipped;
    result.warnings.push(skip.to_string());
    result.skip = Some(skip);
}

/// How to find a job this run stopped watching.
fn reattach_hint(promotion: &Promotion, id: &str) -> String {
    format!(
        "(a re-run attaches to it; see `spark-promote status --env {} {id}`)",
        promotion.to
    )
}

/// Records a job's outputs, errors and warnings in the result.
/// Each row keeps what the decision noted of its service (what a `replace` or a rollback on top costs).
fn record(result: &mut PromotionResult, status: &JobStatus) {
    let decided = std::mem::take(&mut result.services);
    result.services = outputs::services(&status.outputs);
    for row in &mut result.services {
        let note = decided
            .iter()
            .find(|decided| decided.destination == row.destination)
            .and_then(|decided| decided.detail.clone());
        if let Some(note) = note {
            row.note(note);
        }
    }
    result.service_versions = outputs::versions(&status.outputs);
    result.errors.extend(messages::texts(&status.errors));
    result.warnings.extend(messages::texts(&status.warnings));
}
