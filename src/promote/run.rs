//! A whole run: the selected promotions of a manifest, sequential per target tenant, concurrent across.
use std::sync::Arc;

use super::{apply, order, plan};
use anyhow::Context as _;

use crate::exit::{InvalidInput, Outcome};
use crate::manifest::{Manifest, Promotion, Source};
use crate::promote::context::{Context, RunOptions};
use crate::promote::jobs::turns;
use crate::promote::result::{PromotionStatus, RunKind, RunResult};

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
    check_credentials(ctx, &promotions).await?;
    let names: Vec<String> = promotions.iter().map(|p| p.name.clone()).collect();
    let tenant = |promotion: &Promotion| {
        manifest
            .environments
            .get(&promotion.to)
            .map(|environment| environment.url.to_string())
            .unwrap_or_default()
    };
    let ended = &std::sync::Mutex::new(Vec::<(String, PromotionStatus)>::new());
    let mut results = turns::per_key(
        order::lanes(promotions, tenant),
        |(lane, _)| lane.clone(),
        |(_, promotion)| async move {
            let result = match (command, order::failed_before(&promotion, ended)) {
                (RunKind::Apply, Some(failed)) => order::not_after(&promotion, &failed),
                (RunKind::Apply | RunKind::Rollback, _) => apply::apply(ctx, &promotion).await,
                (RunKind::Plan, _) => plan::plan(ctx, &promotion).await,
            };
            order::ended(ended, &result);
            result
        },
    )
    .await;
    // Reported in the order given, whatever order `after` imported them in.
    results.sort_by_key(|result| names.iter().position(|name| *name == result.name));
    Ok(RunResult {
        command,
        manifest: manifest.path.display().to_string(),
        promotions: results,
    })
}

/// Every environment the promotions talk to takes its credentials, before the first job of the run: a bad
/// production key is found before the UAT export runs. One cheap call per environment
/// (`spark::Client::check_credentials`); a refusal of the credentials ends the run, naming the environment
/// and its variables.
async fn check_credentials(ctx: &Context, promotions: &[Promotion]) -> anyhow::Result<()> {
    let mut environments: Vec<&str> = Vec::new();
    for promotion in promotions {
        let source = match &promotion.source {
            Source::Environment { environment, .. } => Some(environment.as_str()),
            Source::Package { .. } => None,
        };
        for name in source.into_iter().chain([promotion.to.as_str()]) {
            if !environments.contains(&name) {
                environments.push(name);
            }
        }
    }
    let checks = environments.iter().map(|name| async move {
        let client = ctx.client(name)?;
        ctx.options
            .cancel
            .unless("checking credentials", async {
                client.check_credentials().await.map_err(anyhow::Error::new)
            })
            .await
            .context("checked before any job (nothing was started)")
    });
    let checked = futures_util::future::join_all(checks).await;
    // Cancelled meanwhile: each promotion says so, as in any other phase.
    if ctx.options.cancel.signal().is_some() {
        return Ok(());
    }
    checked.into_iter().collect()
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
