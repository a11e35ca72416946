//! Apply one promotion: get the package (a file, or an export of the source environment), then import it
//! idempotently into the target and report what Spark did.
use super::context::Context;
use super::jobs::{self, JobRun, Kind, Watched};
use super::messages;
use super::outputs;
use super::progress::Transfer;
use super::request;
use super::result::{PromotionResult, PromotionStatus};
use super::source;
use crate::manifest::Promotion;
use crate::spark::JobStatus;

/// Applies one promotion. Failures are part of the result, never an `Err`.
pub async fn apply(ctx: &Context, promotion: &Promotion) -> PromotionResult {
    let started = std::time::Instant::now();
    let mut result = PromotionResult::begin(promotion);
    let outcome = run(ctx, promotion, &mut result).await;
    super::run::finish(ctx, result, started, outcome, None)
}

async fn run(
    ctx: &Context,
    promotion: &Promotion,
    result: &mut PromotionResult,
) -> anyhow::Result<()> {
    let prepared = source::prepare(ctx, promotion, result).await?;
    let (mut entity, correlation_id) = request::import_request(
        ctx,
        promotion,
        prepared.index.as_ref(),
        Some(&prepared.content),
        &mut result.warnings,
    )?;
    result.correlation_id = correlation_id.clone();
    entity.correlation_id = Some(correlation_id.clone());

    let client = ctx.client(&promotion.to)?;
    let label = promotion.name.clone();
    let progress = ctx.options.progress.clone();
    let report =
        move |sent: u64, total: u64| progress.transfer(&label, Transfer::Upload, sent, total);
    let path = prepared.package.path.clone();
    let turn = ctx.turn(client).await?;
    let run = jobs::run_job(
        client,
        Kind::Import,
        &correlation_id,
        true,
        ctx.options.wait_timeout,
        &ctx.options.cancel,
        || client.import(&path, &entity, Some(&report)),
    )
    .await?;
    drop(turn);
    match run {
        JobRun::AlreadyDone { id, status } => {
            result.job_id = Some(id.clone());
            record(result, &status);
            result.status = PromotionStatus::Skipped;
            result.warnings.push(format!(
                "already applied by import job {id} (same content, request and target): nothing imported"
            ));
        }
        JobRun::Ran { id, watched, .. } => {
            result.job_id = Some(id.clone());
            match watched {
                Watched::Ended(status) => {
                    record(result, &status);
                    result.status = if status.succeeded() {
                        PromotionStatus::Completed
                    } else if status.status == crate::spark::JobState::Cancelled {
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
                Watched::Cancelled(status) => {
                    if let Some(status) = &status {
                        record(result, status);
                    }
                    result.status = PromotionStatus::Cancelled;
                    result.errors.push(match &status {
                        Some(status) => format!(
                            "cancelled: import job {id} was left {}",
                            status.status.as_str()
                        ),
                        None => format!(
                            "cancelled: import job {id} could not be cancelled and may still be running; \
                             cancel it with {}",
                            jobs::cancel_command(Kind::Import, Some(&promotion.to), &id)
                        ),
                    });
                }
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
    Ok(())
}

/// How to find a job this run stopped watching.
fn reattach_hint(promotion: &Promotion, id: &str) -> String {
    format!(
        "(a re-run attaches to it; see `spark-promote status --env {} {id}`)",
        promotion.to
    )
}

/// Records a job's outputs, errors and warnings in the result.
fn record(result: &mut PromotionResult, status: &JobStatus) {
    result.services = outputs::services(&status.outputs);
    result.service_versions = outputs::versions(&status.outputs);
    result.errors.extend(messages::texts(&status.errors));
    result.warnings.extend(messages::texts(&status.warnings));
}
