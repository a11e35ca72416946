//! A locked promotion before its export: the lock gives the version ids (and services) its export would
//! list, hence the import's correlation id and what the destination must hold, so the one decision runs
//! first and a re-run of an applied locked promotion exports nothing.
use crate::manifest::{Promotion, Source};
use crate::promote::context::Context;
use crate::promote::decide::{self, Decision, Shipment, Verdict};
use crate::promote::result::PromotionResult;
use crate::promote::source::{self, request};

/// The decision on a locked, environment-sourced promotion, when it is a skip: decided by
/// [`decide::decide`] with the correlation id an export of its locked versions gives. Then `result` gets
/// that id and the source's check against the lock (a locked version gone fails, a newer one is a
/// warning), as after an export, and the caller reports the skip. `None`: export as usual (no lock entry,
/// or anything but a skip, which the usual path decides again after its export).
pub(crate) async fn decided_before_export(
    ctx: &Context,
    promotion: &Promotion,
    result: &mut PromotionResult,
) -> anyhow::Result<Option<Decision>> {
    let Source::Environment { environment, .. } = &promotion.source else {
        return Ok(None);
    };
    let Some(locked) = ctx.options.lock.get(&promotion.name) else {
        return Ok(None);
    };
    if locked.versions.is_empty() {
        return Ok(None);
    }
    let client = ctx.client(environment)?;
    let index = locked.index(client.base_url().as_str());
    let (_, mut correlation_id) = request::import_request(
        ctx,
        promotion,
        Some(&index),
        Some(&index.content()),
        &mut Vec::new(),
    )?;
    let listed = source::listed(Some(&index), promotion);
    let shipment = Shipment {
        index: Some(&index),
        listed: &listed,
        narrowable: true,
        display: source::display(promotion),
    };
    let decision = decide::decide(ctx, promotion, &shipment, &mut correlation_id).await?;
    if !matches!(decision.verdict, Verdict::Skip(_)) {
        return Ok(None);
    }
    result
        .warnings
        .extend(crate::promote::source::locked::check_source(client, environment, locked).await?);
    result.correlation_id = correlation_id;
    tracing::info!(
        "{}: its lock gives the versions it would export: not exported",
        promotion.name
    );
    Ok(Some(decision))
}
