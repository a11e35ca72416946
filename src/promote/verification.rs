//! The verification stage of a promotion with `verify:` (the engine of `verify/` runs and compares the
//! cases; this stage says which versions, and what the result does):
//! - plan ([`in_plan`]): the cases against the version it would promote (in the source) and against what
//!   the destination serves now; a service new to the destination shows its results alone. A plan's
//!   verification informs; it never changes the plan's verdict.
//! - apply ([`load`] before the import, [`after_import`] after it): the cases against the imported version
//!   by its destination version id, compared with the source version by its id (or, from a package, with
//!   the cases' expected outputs). A mismatch fails the promotion; with `on_failure: rollback` and a backup
//!   this apply took, the backup is restored once, by the apply engine, and the result says so.
//!
//! The decision is made before, once (`decide`); this is a stage after the import, not a second decision.
use std::path::Path;

use crate::manifest::{OnFailure, Promotion, Source, Verify};
use crate::promote::context::Context;
use crate::promote::record::Placed;
use crate::promote::result::{
    PromotionResult, PromotionStatus, RolledBack, ServiceStatus, Verification,
};
use crate::promote::source::Listed;
use crate::promote::uri::service_uri;
use crate::promote::version::SemVer;
use crate::verify::{self, CaseSet, Side};

/// What the result says until the cases run.
const NOT_RUN: &str = "not run: the import did not complete";

/// Loads a promotion's cases (before anything is imported: a bad case file stops it first) and notes them
/// in the result (their sha256 and count go into the import's record).
pub(crate) fn load(
    promotion: &Promotion,
    result: &mut PromotionResult,
) -> anyhow::Result<Option<CaseSet>> {
    let Some(checks) = &promotion.verify else {
        return Ok(None);
    };
    let cases = verify::cases::load(&checks.cases)?;
    result.verification = Some(Verification {
        service: checks.service.clone(),
        cases_sha256: cases.sha256.clone(),
        cases_files: cases.files.clone(),
        cases: cases.cases.len(),
        comparison: None,
        not_run: Some(NOT_RUN.to_owned()),
        new_service: false,
        rolled_back: None,
    });
    Ok(Some(cases))
}

/// Plan: the behaviour change. Problems running the cases are warnings (the plan itself stands); a bad
/// case file is an error (apply would refuse it).
pub(crate) async fn in_plan(
    ctx: &Context,
    promotion: &Promotion,
    result: &mut PromotionResult,
    shipped: Option<String>,
) -> anyhow::Result<()> {
    let cases = match load(promotion, result) {
        Ok(Some(cases)) => cases,
        Ok(None) => return Ok(()),
        Err(err) => {
            result.errors.push(format!("{err:#}"));
            return Ok(());
        }
    };
    let (Some(checks), Some(verification)) = (&promotion.verify, result.verification.as_mut())
    else {
        return Ok(());
    };
    let Source::Environment { environment, .. } = &promotion.source else {
        verification.not_run = Some(
            "not run in a plan: the package's answers are known once it is imported (apply compares \
             them with the expected outputs)"
                .to_owned(),
        );
        return Ok(());
    };
    let destination = promotion.destination_of(&checks.service);
    let exists = result
        .services
        .iter()
        .find(|service| service.destination == destination)
        .is_none_or(|service| service.status != ServiceStatus::Added);
    let compared = ctx
        .options
        .cancel
        .unless(
            "running the verification cases",
            behaviour(ctx, promotion, checks, &cases, environment, shipped, exists),
        )
        .await;
    verification.new_service = !exists;
    match compared {
        Ok(comparison) => {
            verification.comparison = Some(comparison);
            verification.not_run = None;
        }
        Err(err) if ctx.options.cancel.is_cancelled() => return Err(err),
        Err(err) => {
            result
                .warnings
                .push(format!("the behaviour change is unknown: {err:#}"));
            verification.not_run = Some(format!("{err:#}"));
        }
    }
    Ok(())
}

/// The newest version of the verified service that the promotion ships (from the export listing or the
/// package's index), when known: the version a plan runs the cases against (else the source's latest).
pub(crate) fn shipped(promotion: &Promotion, listed: &[Listed]) -> Option<String> {
    let service = &promotion.verify.as_ref()?.service;
    listed
        .iter()
        .filter(|l| service_uri(&l.uri) == *service)
        .flat_map(|l| &l.versions)
        .max_by_key(|v| SemVer::parse(v))
        .cloned()
}

/// The version a plan would promote (what it ships, else the source's latest) against the destination's latest, or alone
/// when the service is new to the destination.
async fn behaviour(
    ctx: &Context,
    promotion: &Promotion,
    checks: &Verify,
    cases: &CaseSet,
    environment: &str,
    shipped: Option<String>,
    exists: bool,
) -> anyhow::Result<verify::Comparison> {
    let client = ctx.client(environment)?.clone();
    let after = Side::at(environment, &checks.service, shipped, client)?;
    if !exists {
        return verify::alone(cases, &after, checks).await;
    }
    let destination = promotion.destination_of(&checks.service);
    let now = Side::latest(
        &promotion.to,
        &destination,
        ctx.client(&promotion.to)?.clone(),
    )?;
    verify::between(cases, &now, &after, checks).await
}

/// Apply: after the import (or a re-run that found our completed import job), the cases against the
/// imported version by its destination version id. `present`: the versions the decision found in place.
pub(crate) async fn after_import(
    ctx: &Context,
    promotion: &Promotion,
    cases: Option<&CaseSet>,
    present: &[Placed],
    result: &mut PromotionResult,
) -> anyhow::Result<()> {
    let (Some(checks), Some(cases)) = (&promotion.verify, cases) else {
        return Ok(());
    };
    if !matches!(
        result.status,
        PromotionStatus::Completed | PromotionStatus::Skipped
    ) {
        return Ok(());
    }
    let destination = promotion.destination_of(&checks.service);
    let Some(placed) = imported(result, present, &checks.service, &destination) else {
        let why = if result.status == PromotionStatus::Skipped {
            "not run: already applied, and nothing says which destination version to run".to_owned()
        } else {
            format!("the import's outputs give no destination version id of {destination}")
        };
        return conclude(ctx, promotion, checks, result, Err(why)).await;
    };
    let compared = ctx
        .options
        .cancel
        .unless(
            "running the verification cases",
            compare(ctx, promotion, checks, cases, &placed),
        )
        .await;
    match compared {
        Err(err) if ctx.options.cancel.is_cancelled() => Err(err),
        compared => {
            let compared = compared.map_err(|err| format!("{err:#}"));
            conclude(ctx, promotion, checks, result, compared).await
        }
    }
}

/// The imported version against the source version by id (an environment source), or against the
/// cases' expected outputs (a package).
async fn compare(
    ctx: &Context,
    promotion: &Promotion,
    checks: &Verify,
    cases: &CaseSet,
    placed: &Placed,
) -> anyhow::Result<verify::Comparison> {
    let after = Side::version_id(
        &promotion.to,
        &placed.destination,
        &placed.version_id,
        ctx.client(&promotion.to)?.clone(),
    );
    match (&promotion.source, &placed.source_version_id) {
        (Source::Environment { environment, .. }, Some(id)) => {
            let client = ctx.client(environment)?.clone();
            let now = Side::version_id(environment, &checks.service, id, client);
            verify::between(cases, &now, &after, checks).await
        }
        _ => verify::against_expected(cases, &after, checks).await,
    }
}

/// The newest destination version of the verified service: what the import placed, or what the decision
/// found in place.
fn imported(
    result: &PromotionResult,
    present: &[Placed],
    source: &str,
    destination: &str,
) -> Option<Placed> {
    let placed = result
        .service_versions
        .iter()
        .filter(|v| v.service_source == source)
        .filter_map(|v| {
            Some(Placed {
                source_version_id: v.version_id_source.clone(),
                destination: v.service_destination.clone(),
                version_id: v.version_id_destination.clone()?,
                version: Some(v.version_destination.clone()),
            })
        });
    let found = present.iter().filter(|p| p.destination == destination);
    placed
        .chain(found.cloned())
        .max_by_key(|p| p.version.as_deref().and_then(SemVer::parse))
}

/// Records the verification's outcome; a failure fails the promotion and, with `on_failure: rollback`,
/// restores the backup this apply took.
async fn conclude(
    ctx: &Context,
    promotion: &Promotion,
    checks: &Verify,
    result: &mut PromotionResult,
    compared: Result<verify::Comparison, String>,
) -> anyhow::Result<()> {
    let Some(verification) = result.verification.as_mut() else {
        return Ok(());
    };
    let skipped = result.status == PromotionStatus::Skipped;
    let line = match compared {
        Ok(comparison) => {
            let line = (!comparison.passed()).then(|| failure_line(&comparison));
            verification.comparison = Some(comparison);
            verification.not_run = None;
            match line {
                Some(line) => line,
                None => return Ok(()),
            }
        }
        Err(why) if skipped && result.service_versions.is_empty() => {
            verification.not_run = Some(why);
            return Ok(());
        }
        Err(why) => {
            let line = format!("verification failed: the cases could not run: {why}");
            verification.not_run = Some(why);
            line
        }
    };
    result.status = PromotionStatus::Failed;
    result.errors.push(line);
    if checks.on_failure == OnFailure::Rollback {
        roll_back(ctx, promotion, result).await;
    }
    Ok(())
}

/// `verification failed: 3 of 40 cases differ (uat pricing/quote 1.1.0 → prod pricing/quote 1.1.0)`.
fn failure_line(comparison: &verify::Comparison) -> String {
    let failed = match comparison.failed.len() {
        0 => String::new(),
        n => format!(", {n} could not be computed"),
    };
    format!(
        "verification failed: {} of {} cases differ{failed} ({} → {})",
        comparison.changed, comparison.cases, comparison.now, comparison.after
    )
}

/// Restores the backup this apply took, once, through the apply engine (its own record says it is a
/// rollback, and which import it undoes).
async fn roll_back(ctx: &Context, promotion: &Promotion, result: &mut PromotionResult) {
    let Some(backup) = result.backup.clone() else {
        result.errors.push(
            "on_failure: rollback, but this apply took no backup (the services were new, or a re-run \
             found the import done): nothing rolled back"
                .to_owned(),
        );
        return;
    };
    let restored =
        crate::promote::backup::restore(&ctx.manifest, Path::new(&backup), Some(&promotion.to))
            .await;
    let undo = match restored {
        Ok(undo) => undo,
        Err(err) => {
            result
                .errors
                .push(format!("rollback of {backup} refused: {err:#}"));
            return;
        }
    };
    let undone = super::apply::apply_undoing(ctx, &undo, Some(result.correlation_id.clone())).await;
    result.errors.push(match undone.status {
        PromotionStatus::Completed | PromotionStatus::Skipped => format!(
            "rolled back: backup {backup} restored{}",
            undone
                .job_id
                .as_deref()
                .map(|id| format!(" by import job {id}"))
                .unwrap_or_default()
        ),
        status => format!(
            "the rollback of {backup} {}: {}",
            status.as_str(),
            undone.errors.join("; ")
        ),
    });
    if let Some(verification) = result.verification.as_mut() {
        verification.rolled_back = Some(RolledBack {
            backup,
            status: undone.status,
            job_id: undone.job_id,
            errors: undone.errors,
        });
    }
}
