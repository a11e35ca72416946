//! Plan: a read-only prediction of what apply would do to each service (added, replaced, updated to a
//! version, or would fail and why). The services come from the manifest's `services:`, from the package's
//! export index, or, for an environment source, from an export listing (an export job, not downloaded).
use crate::manifest::Promotion;
use crate::promote::backup;
use crate::promote::context::Context;
use crate::promote::decide::applied::{self, Applied, Verdict};
use crate::promote::decide::locked;
use crate::promote::decide::predict;
use crate::promote::result::{PromotionResult, PromotionStatus};
use crate::promote::source;
use crate::promote::source::export::ExportIndex;
use crate::promote::source::request;

/// Plans one promotion. Failures to plan are part of the result.
pub async fn plan(ctx: &Context, promotion: &Promotion) -> PromotionResult {
    let started = std::time::Instant::now();
    let mut result = PromotionResult::begin(promotion);
    let outcome = run(ctx, promotion, &mut result).await;
    let status = outcome.as_ref().ok().copied();
    crate::promote::run::finish(ctx, result, started, outcome.map(|_| ()), status)
}

/// Predicts each service, or finds the promotion already applied: `planned` or `skipped`.
async fn run(
    ctx: &Context,
    promotion: &Promotion,
    result: &mut PromotionResult,
) -> anyhow::Result<PromotionStatus> {
    if let Some(applied) = locked::applied_before_export(ctx, promotion, result).await? {
        return Ok(skipped(result, &applied));
    }
    let listing = source::prepare_listing(ctx, promotion, result).await?;
    predict::check_mappings(promotion, &listing.services, listing.index.is_some())?;
    let (_, mut correlation_id) = request::import_request(
        ctx,
        promotion,
        listing.index.as_ref(),
        listing.content.as_ref(),
        &mut result.warnings,
    )?;
    let client = ctx.client(&promotion.to)?;
    match applied::decide(ctx, promotion, listing.index.as_ref(), &mut correlation_id).await? {
        Verdict::Applied(applied) => {
            result.correlation_id = correlation_id;
            return Ok(skipped(result, &applied));
        }
        Verdict::Running { job_id } => result.warnings.push(format!(
            "import job {job_id} with this correlation id is running: apply will attach to it"
        )),
        Verdict::Import => {}
    }
    result.correlation_id = correlation_id;
    result.services = predict::services(client, promotion, &listing.services).await?;
    backup::note_in_plan(promotion, &mut result.services);
    result.errors.extend(predict::failures(&result.services));
    if listing.services.is_empty() {
        result.warnings.push(format!(
            "the services of this package are unknown: add services: to the promotion, or keep its export \
             index {} (written by spark-promote export) beside the package",
            ExportIndex::name_for(&promotion.source)
        ));
    }
    Ok(PromotionStatus::Planned)
}

/// A promotion found already applied: `skipped`, with the job that applied it and why.
fn skipped(result: &mut PromotionResult, applied: &Applied) -> PromotionStatus {
    if let Applied::ByJob { job_id, .. } = applied {
        result.job_id = Some(job_id.clone());
    }
    result.warnings.push(applied.reason());
    PromotionStatus::Skipped
}
