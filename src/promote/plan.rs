//! Plan: a read-only prediction of what apply would do to each service (added, replaced, updated to a
//! version, unchanged, or would fail and why), by the one decision apply makes. The services come from the
//! manifest's `services:`, from the package's export index, or, for an environment source, from an export
//! listing (an export job, not downloaded).
use crate::manifest::Promotion;
use crate::promote::backup;
use crate::promote::context::Context;
use crate::promote::decide::{self, Decision, Shipment, Verdict, locked, mappings};
use crate::promote::result::{PromotionResult, PromotionStatus};
use crate::promote::source;
use crate::promote::source::export::ExportIndex;
use crate::promote::source::request;
use crate::promote::{verification, xcalls};

/// Plans one promotion. Failures to plan are part of the result.
pub async fn plan(ctx: &Context, promotion: &Promotion) -> PromotionResult {
    let started = std::time::Instant::now();
    let mut result = PromotionResult::begin(promotion);
    let outcome = run(ctx, promotion, &mut result).await;
    let status = outcome.as_ref().ok().copied();
    crate::promote::finish::finish(ctx, result, started, outcome.map(|_| ()), status)
}

/// Predicts each service, or finds the promotion already applied: `planned`, `would_fail` or `skipped`.
async fn run(
    ctx: &Context,
    promotion: &Promotion,
    result: &mut PromotionResult,
) -> anyhow::Result<PromotionStatus> {
    if let Some(decision) = locked::decided_before_export(ctx, promotion, result).await? {
        return Ok(report(promotion, result, decision));
    }
    let listing = source::prepare_listing(ctx, promotion, result).await?;
    mappings::check_mappings(promotion, &listing.services, listing.index.is_some())?;
    let (_, mut correlation_id) = request::import_request(
        ctx,
        promotion,
        listing.index.as_ref(),
        listing.content.as_ref(),
        &mut result.warnings,
    )?;
    let shipment = Shipment {
        index: listing.index.as_ref(),
        listed: &listing.services,
        narrowable: promotion.source.is_environment(),
        display: source::display(promotion),
    };
    let decision = decide::decide(ctx, promotion, &shipment, &mut correlation_id).await?;
    result.correlation_id = correlation_id;
    if listing.services.is_empty() {
        result.warnings.push(format!(
            "the services of this package are unknown: add services: to the promotion, or keep its export \
             index {} (written by spark-promote export) beside the package",
            ExportIndex::name_for(&promotion.source)
        ));
    }
    let shipped = verification::shipped(promotion, &listing.services);
    let status = report(promotion, result, decision);
    if status != PromotionStatus::Skipped {
        xcalls::check(ctx, promotion, result).await?;
        verification::in_plan(ctx, promotion, result, shipped).await?;
    }
    Ok(if result.errors.is_empty() {
        status
    } else {
        PromotionStatus::WouldFail
    })
}

/// What the plan says of a decision.
fn report(
    promotion: &Promotion,
    result: &mut PromotionResult,
    decision: Decision,
) -> PromotionStatus {
    result.warnings.extend(decision.warnings);
    match decision.verdict {
        Verdict::Skip(skipped) => {
            let skip = skipped.skip();
            if let decide::Skipped::Job { job_id, .. } = &skipped {
                result.job_id = Some(job_id.clone());
            }
            result.services = decision.services;
            result.warnings.push(skip.to_string());
            result.skip = Some(skip);
            return PromotionStatus::Skipped;
        }
        Verdict::Running { job_id } => result.warnings.push(format!(
            "import job {job_id} with this correlation id is running: apply will attach to it"
        )),
        Verdict::Import { only: Some(ids) } => result.warnings.push(format!(
            "only the {} version{} still missing will be exported and imported; the rest is already there",
            ids.len(),
            if ids.len() == 1 { "" } else { "s" }
        )),
        Verdict::Import { only: None } | Verdict::Fail => {}
    }
    result.services = decision.services;
    backup::note_in_plan(promotion, &mut result.services);
    result.errors.extend(decision.failures);
    if result.errors.is_empty() {
        PromotionStatus::Planned
    } else {
        PromotionStatus::WouldFail
    }
}
