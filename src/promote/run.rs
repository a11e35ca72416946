//! A whole run: the selected promotions of a manifest, sequential per target tenant, concurrent across.
use std::sync::Arc;

use super::{apply, plan};
use crate::exit::{InvalidInput, Outcome};
use crate::manifest::{Manifest, Promotion};
use crate::promote::context::{Context, RunOptions};
use crate::promote::jobs::turns;
use crate::promote::result::{PromotionResult, PromotionStatus, RunKind, RunResult};

/// Runs `plan` or `apply` over the selected promotions (all when `selected` is empty).
pub async fn run(
    command: RunKind,
    manifest: Arc<Manifest>,
    selected: &[String],
    options: RunOptions,
) -> anyhow::Result<RunResult> {
    let promotions: Vec<_> = manifest
        .select(selected)
        .map_err(InvalidInput::of)?
        .into_iter()
        .cloned()
        .collect();
    run_promotions(command, manifest, promotions, options).await
}

/// Runs the given promotions (of `manifest`'s environments): `rollback` passes one made from a backup.
pub async fn run_promotions(
    command: RunKind,
    manifest: Arc<Manifest>,
    promotions: Vec<Promotion>,
    options: RunOptions,
) -> anyhow::Result<RunResult> {
    let ctx = Context::new(manifest.clone(), options)?;
    let ctx = &ctx;
    let results = turns::per_key(
        promotions,
        |promotion| {
            manifest
                .environments
                .get(&promotion.to)
                .map(|environment| environment.url.to_string())
                .unwrap_or_default()
        },
        |promotion| async move {
            match command {
                RunKind::Apply | RunKind::Rollback => apply::apply(ctx, &promotion).await,
                RunKind::Plan => plan::plan(ctx, &promotion).await,
            }
        },
    )
    .await;
    Ok(RunResult {
        command,
        manifest: manifest.path.display().to_string(),
        promotions: results,
    })
}

impl RunResult {
    /// Success when every promotion completed, was skipped, or was planned without predicted failures.
    pub fn outcome(&self, cancel: &crate::promote::cancel::Cancel) -> Outcome {
        if let Some(signal) = cancel.signal() {
            return Outcome::Interrupted(signal);
        }
        let ok = self.promotions.iter().all(|promotion| {
            promotion.status != PromotionStatus::Cancelled && !promotion.fails_the_run()
        });
        if ok {
            Outcome::Success
        } else {
            Outcome::Failed
        }
    }
}

/// Ends one promotion's result: its duration, and the body's outcome. An error fails the promotion (or
/// cancels it, when the run was cancelled); success sets `on_success` (a plan's `planned`), or leaves the
/// status the body set.
pub(crate) fn finish(
    ctx: &Context,
    mut result: PromotionResult,
    started: std::time::Instant,
    outcome: anyhow::Result<()>,
    on_success: Option<PromotionStatus>,
) -> PromotionResult {
    match outcome {
        Ok(()) => {
            if let Some(status) = on_success {
                result.status = status;
            }
        }
        Err(err) => {
            result.status = if ctx.options.cancel.is_cancelled() {
                PromotionStatus::Cancelled
            } else {
                PromotionStatus::Failed
            };
            result.errors.push(format!("{err:#}"));
        }
    }
    result.duration_ms = started.elapsed().as_millis() as u64;
    if matches!(
        result.status,
        PromotionStatus::Failed | PromotionStatus::Cancelled
    ) {
        // The summary goes to stdout (or a file); a failure is said in the logs too.
        let errors = match result.errors.as_slice() {
            [] => String::new(),
            errors => format!(": {}", errors.join("; ")),
        };
        tracing::error!(
            "promotion {} {}{errors}",
            result.name,
            result.status.as_str()
        );
    }
    result
}
