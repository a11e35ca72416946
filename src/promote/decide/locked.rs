//! A locked promotion before its export: the lock gives the version ids (and services) its export would
//! list, hence the import's correlation id and what the destination must hold, so the one "already
//! applied?" decision runs first and a re-run of an applied locked promotion exports nothing.
use crate::manifest::{Promotion, Source};
use crate::promote::context::Context;
use crate::promote::decide::applied::{self, Applied, Verdict};
use crate::promote::result::PromotionResult;
use crate::promote::source::request;

/// Whether a locked, environment-sourced promotion is already applied, decided by [`applied::decide`]
/// with the correlation id an export of its locked versions gives. When it is, `result` gets that id and
/// the source's check against the lock (a locked version gone fails, a newer one is a warning), as after
/// an export, and the caller skips the promotion. `None`: export as usual (no lock entry, or not applied,
/// or a job of ours running, which the usual path attaches to).
pub(crate) async fn applied_before_export(
    ctx: &Context,
    promotion: &Promotion,
    result: &mut PromotionResult,
) -> anyhow::Result<Option<Applied>> {
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
    let Verdict::Applied(applied) =
        applied::decide(ctx, promotion, Some(&index), &mut correlation_id).await?
    else {
        return Ok(None);
    };
    result
        .warnings
        .extend(crate::promote::source::locked::check_source(client, environment, locked).await?);
    result.correlation_id = correlation_id;
    tracing::info!(
        "{}: its lock gives the versions it would export: not exported",
        promotion.name
    );
    Ok(Some(applied))
}
