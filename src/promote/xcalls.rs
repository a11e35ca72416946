//! A plan's check of `xcalls:` (the services a promoted service calls, which Spark cannot list): a callee
//! the destination lacks, that neither this promotion nor one it comes `after` brings, is a warning (the
//! calls would fail once imported). The promotion's own destination services come from the decision's
//! rows; any other callee is read once (`decide::state::versions`, the decision's reader).
use crate::manifest::{Promotion, Source};
use crate::promote::context::Context;
use crate::promote::decide::state::{self, Versions};
use crate::promote::result::PromotionResult;

/// Adds a warning to `result` for each callee the destination lacks.
pub(crate) async fn check(
    ctx: &Context,
    promotion: &Promotion,
    result: &mut PromotionResult,
) -> anyhow::Result<()> {
    if promotion.xcalls.is_empty() {
        return Ok(());
    }
    let client = ctx.client(&promotion.to)?;
    for callee in &promotion.xcalls {
        let (uri, version) = match callee.split_once('[') {
            Some((uri, rest)) => (uri, Some(rest.trim_end_matches(']'))),
            None => (callee.as_str(), None),
        };
        if result.services.iter().any(|s| s.destination == uri) {
            continue;
        }
        let promotions = &ctx.manifest.promotions;
        let before = promotions
            .iter()
            .filter(|p| promotion.after.contains(&p.name));
        if bringer(before, promotion, uri).is_some() {
            continue;
        }
        let held = match state::versions(client, &promotion.to, uri).await? {
            Versions::Held(held) => held,
            Versions::Absent => Vec::new(),
            Versions::Refused(unchecked) => {
                result.warnings.push(format!(
                    "xcalls: whether {} has {callee} is unknown ({} answered {})",
                    promotion.to, unchecked.check, unchecked.status
                ));
                continue;
            }
        };
        if has(&held, version) {
            continue;
        }
        let hint = match bringer(promotions.iter(), promotion, uri) {
            Some(name) => format!("add `after: [{name}]`, which promotes it"),
            None => "promote it first".to_owned(),
        };
        result.warnings.push(format!(
            "xcalls: {} calls {callee}, which {} lacks: its calls would fail after the import ({hint})",
            result
                .services
                .first()
                .map_or(promotion.name.as_str(), |s| s.destination.as_str()),
            promotion.to
        ));
    }
    Ok(())
}

/// Whether `held` has a version at `version` (a prefix: `1.2` is any 1.2.x; none: any version).
fn has(held: &[crate::spark::ServiceVersion], version: Option<&str>) -> bool {
    held.iter().any(|v| match (version, v.version.as_deref()) {
        (None, _) => true,
        (Some(wanted), Some(number)) => {
            number == wanted || number.starts_with(&format!("{wanted}."))
        }
        (Some(_), None) => false,
    })
}

/// The first of `candidates` (other than `promotion`) that brings `uri` into `promotion`'s target.
fn bringer<'a>(
    mut candidates: impl Iterator<Item = &'a Promotion>,
    promotion: &Promotion,
    uri: &str,
) -> Option<String> {
    candidates
        .find(|other| other.name != promotion.name && brings(other, &promotion.to, uri))
        .map(|other| other.name.clone())
}

/// Whether `promotion` imports the service `uri` (`folder/service`) into `to`.
fn brings(promotion: &Promotion, to: &str, uri: &str) -> bool {
    if promotion.to != to {
        return false;
    }
    let Source::Environment { services, .. } = &promotion.source else {
        return promotion.services.iter().any(|m| m.destination == uri);
    };
    services
        .iter()
        .map(|s| s.split('[').next().unwrap_or(s))
        .any(|s| promotion.destination_of(s) == uri)
        || promotion.services.iter().any(|m| m.destination == uri)
}
