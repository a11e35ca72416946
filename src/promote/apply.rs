//! Apply one promotion: get the package (a file, or an export of the source environment), then import it
//! idempotently into the target and report what Spark did.
use std::time::Instant;

use anyhow::Context as _;

use super::context::Context;
use super::correlation::{self, Content, Identity};
use super::export::{self, ExportIndex, ExportJob};
use super::jobs::{self, JobRun, Kind, Watched};
use super::messages;
use super::outputs;
use super::package::{self, Package};
use super::progress::Transfer;
use super::request;
use super::result::{PromotionResult, PromotionStatus};
use crate::manifest::{Promotion, Source};
use crate::spark::JobStatus;

/// Applies one promotion. Failures are part of the result, never an `Err`.
pub async fn apply(ctx: &Context, promotion: &Promotion) -> PromotionResult {
    let started = Instant::now();
    let mut result = PromotionResult::begin(promotion);
    if let Err(err) = run(ctx, promotion, &mut result).await {
        result.status = if ctx.options.cancel.is_cancelled() {
            PromotionStatus::Cancelled
        } else {
            PromotionStatus::Failed
        };
        result.errors.push(format!("{err:#}"));
    }
    result.duration_ms = started.elapsed().as_millis() as u64;
    result
}

/// A package ready to import, with what identifies its content.
pub(crate) struct Prepared {
    pub package: Package,
    pub content: Content,
    pub index: Option<ExportIndex>,
}

async fn run(
    ctx: &Context,
    promotion: &Promotion,
    result: &mut PromotionResult,
) -> anyhow::Result<()> {
    let prepared = prepare(ctx, promotion, result).await?;
    let entity = request::import_entity(
        promotion,
        prepared.index.as_ref(),
        &ctx.options.source_system,
        &mut result.warnings,
    );
    let target = ctx
        .manifest
        .environments
        .get(&promotion.to)
        .context("unknown target")?;
    let correlation_id = match &promotion.correlation_id {
        Some(given) => given.clone(),
        None => correlation::correlation_id(&Identity {
            content: &prepared.content,
            request: &request::identity_json(&entity)?,
            target: target.url.as_str(),
        }),
    };
    result.correlation_id = correlation_id.clone();
    let mut entity = entity;
    entity.correlation_id = Some(correlation_id.clone());

    let client = ctx.client(&promotion.to)?;
    let label = promotion.name.clone();
    let progress = ctx.options.progress.clone();
    let report =
        move |sent: u64, total: u64| progress.transfer(&label, Transfer::Upload, sent, total);
    let path = prepared.package.path.clone();
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
    match run {
        JobRun::AlreadyDone { id, status } => {
            result.job_id = Some(id.clone());
            record(result, &status);
            result.status = PromotionStatus::Skipped;
            result.warnings.push(format!(
                "already applied by import job {id} (same content, request and target): nothing imported"
            ));
        }
        JobRun::Ran { id, watched } => {
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
                    result.errors.push(format!(
                        "cancelled: import job {id} was {}",
                        match &status {
                            Some(status) => format!("left {}", status.status.as_str()),
                            None => "asked to cancel (no confirmation)".to_string(),
                        }
                    ));
                }
                Watched::TimedOut(_) => {
                    result.status = PromotionStatus::Failed;
                    result.errors.push(format!(
                        "import job {id} did not end within {}; it is still running (a re-run attaches to it; \
                         see `spark-promote status --env {} {id}`)",
                        humantime::format_duration(ctx.options.wait_timeout),
                        promotion.to
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

/// Records a job's outputs, errors and warnings in the result.
fn record(result: &mut PromotionResult, status: &JobStatus) {
    result.services = outputs::services(&status.outputs);
    result.service_versions = outputs::versions(&status.outputs);
    result.errors.extend(messages::texts(&status.errors));
    result.warnings.extend(messages::texts(&status.warnings));
}

/// The package of a promotion: checked from a file, or exported from the source environment.
pub(crate) async fn prepare(
    ctx: &Context,
    promotion: &Promotion,
    result: &mut PromotionResult,
) -> anyhow::Result<Prepared> {
    match &promotion.source {
        Source::Package { path, display } => {
            let package = package::inspect(path, display, package::DEFAULT_MAX_BYTES).await?;
            let index = ExportIndex::load_beside(path)?;
            Ok(Prepared {
                content: Content::PackageSha256(package.sha256.clone()),
                package,
                index,
            })
        }
        Source::Environment { environment, .. } => {
            let client = ctx.client(environment)?;
            let destination = ctx.work_dir().join(format!("{}.zip", promotion.name));
            let exported = export::run(
                ExportJob {
                    client,
                    request: request::export_request(promotion, &ctx.options.source_system)
                        .context("not an environment source")?,
                    label: &promotion.name,
                    wait: ctx.options.wait_timeout,
                    cancel: &ctx.options.cancel,
                    progress: &ctx.options.progress,
                },
                Some(&destination),
            )
            .await
            .with_context(|| format!("export from {environment} failed"))?;
            result.export_job_id = Some(exported.index.export_job_id.clone());
            let package = exported.package.context("the export was not downloaded")?;
            Ok(Prepared {
                content: exported.index.content(),
                package,
                index: Some(exported.index),
            })
        }
    }
}

/// What a plan knows of a promotion's package without importing it.
pub(crate) struct Listing {
    pub services: Vec<super::plan::Listed>,
    pub content: Option<Content>,
    pub index: Option<ExportIndex>,
}

/// The services a promotion would import: from the package's export index or the manifest's `services:`
/// (the package is checked too), or from an export listing of the source environment (not downloaded).
pub(crate) async fn prepare_listing(
    ctx: &Context,
    promotion: &Promotion,
    result: &mut PromotionResult,
) -> anyhow::Result<Listing> {
    let (index, content) = match &promotion.source {
        Source::Package { path, display } => {
            let package = package::inspect(path, display, package::DEFAULT_MAX_BYTES).await?;
            (
                ExportIndex::load_beside(path)?,
                Some(Content::PackageSha256(package.sha256)),
            )
        }
        Source::Environment { environment, .. } => {
            let exported = export::run(
                ExportJob {
                    client: ctx.client(environment)?,
                    request: request::export_request(promotion, &ctx.options.source_system)
                        .context("not an environment source")?,
                    label: &promotion.name,
                    wait: ctx.options.wait_timeout,
                    cancel: &ctx.options.cancel,
                    progress: &ctx.options.progress,
                },
                None,
            )
            .await
            .with_context(|| format!("export listing from {environment} failed"))?;
            result.export_job_id = Some(exported.index.export_job_id.clone());
            let content = exported.index.content();
            (Some(exported.index), Some(content))
        }
    };
    let services = match &index {
        Some(index) => index
            .services
            .iter()
            .map(|service| super::plan::Listed {
                uri: service.service_uri_source.clone(),
                versions: index
                    .service_versions
                    .iter()
                    .filter(|version| {
                        super::outputs::service_uri(&version.service_uri_source)
                            == super::outputs::service_uri(&service.service_uri_source)
                    })
                    .filter_map(|version| version.version_source.clone())
                    .collect(),
            })
            .collect(),
        None => promotion
            .services
            .iter()
            .map(|mapping| super::plan::Listed {
                uri: mapping.source.clone(),
                versions: Vec::new(),
            })
            .collect(),
    };
    Ok(Listing {
        services,
        content,
        index,
    })
}
