//! The end of one promotion's run (plan or apply): its duration, its outcome, and a failure said in the log.
use crate::promote::context::Context;
use crate::promote::result::{PromotionResult, PromotionStatus};

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
