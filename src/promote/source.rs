//! Where a promotion's package comes from: a committed file (checked, hashed) or an export of the source
//! environment (downloaded for apply; only listed for a plan).
use anyhow::Context as _;

use super::context::Context;
use super::correlation::Content;
use super::export::{self, ExportIndex, ExportJob, Exported};
use super::lock::{self, LockedPromotion};
use super::outputs::service_uri;
use super::package::{self, Package};
use super::request;
use super::result::PromotionResult;
use crate::manifest::{Promotion, Source};
use crate::spark;

/// A package ready to import, with what identifies its content.
pub(crate) struct Prepared {
    pub package: Package,
    pub content: Content,
    pub index: Option<ExportIndex>,
}

/// The package of a promotion: checked from a file, or exported from the source environment.
pub(crate) async fn prepare(
    ctx: &Context,
    promotion: &Promotion,
    result: &mut PromotionResult,
) -> anyhow::Result<Prepared> {
    note_unused_lock(ctx, promotion, result);
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
        Source::Environment { .. } => {
            let destination = ctx.work_dir().join(format!("{}.zip", promotion.name));
            let exported = run_export(ctx, promotion, result, Some(&destination)).await?;
            let package = exported.package.context("the export was not downloaded")?;
            Ok(Prepared {
                content: exported.index.content(),
                package,
                index: Some(exported.index),
            })
        }
    }
}

/// Says when the lock file is present but its entry for this promotion is missing or stale.
fn note_unused_lock(ctx: &Context, promotion: &Promotion, result: &mut PromotionResult) {
    if let Some(why) = ctx.options.lock.unused(&promotion.name) {
        tracing::warn!("{}: {why}", promotion.name);
        result.warnings.push(why.to_string());
    }
}

/// Exports the source environment of a promotion (downloading the package to `download_to`, if given).
async fn run_export(
    ctx: &Context,
    promotion: &Promotion,
    result: &mut PromotionResult,
    download_to: Option<&std::path::Path>,
) -> anyhow::Result<Exported> {
    let Source::Environment { environment, .. } = &promotion.source else {
        anyhow::bail!("promotion {} does not export", promotion.name);
    };
    let client = ctx.client(environment)?;
    let mut request = request::export_request(promotion, &ctx.options.source_system)
        .context("not an environment source")?;
    if let Some(locked) = ctx.options.lock.get(&promotion.name) {
        // Exactly the locked versions: the import's correlation id then derives from them.
        result
            .warnings
            .extend(lock::check_source(client, environment, locked).await?);
        request.inputs = spark::ExportInputs {
            folders: Vec::new(),
            services: Vec::new(),
            version_ids: locked.version_ids(),
        };
        request.version_filter = Some(spark::VersionFilter::All);
    }
    let turn = ctx.turn(client).await?;
    let exported = export::run(
        ExportJob {
            client,
            environment: Some(environment),
            request,
            label: &promotion.name,
            wait: ctx.options.wait_timeout,
            cancel: &ctx.options.cancel,
            progress: &ctx.options.progress,
        },
        download_to,
    )
    .await
    .with_context(|| format!("export from {environment} failed"))?;
    drop(turn);
    result.export_job_id = Some(exported.index.export_job_id.clone());
    Ok(exported)
}

/// A source service and its versions (when known).
pub(crate) struct Listed {
    pub uri: String,
    pub versions: Vec<String>,
}

/// What a plan knows of a promotion's package without importing it.
pub(crate) struct Listing {
    pub services: Vec<Listed>,
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
    note_unused_lock(ctx, promotion, result);
    let (index, content) = match &promotion.source {
        Source::Package { path, display } => {
            let package = package::inspect(path, display, package::DEFAULT_MAX_BYTES).await?;
            (
                ExportIndex::load_beside(path)?,
                Some(Content::PackageSha256(package.sha256)),
            )
        }
        Source::Environment { .. } => {
            let exported = run_export(ctx, promotion, result, None).await?;
            let content = exported.index.content();
            (Some(exported.index), Some(content))
        }
    };
    let services = listed(index.as_ref(), promotion);
    Ok(Listing {
        services,
        content,
        index,
    })
}

/// The services a package holds: from its export index, else the manifest's `services:` (versions unknown).
pub(crate) fn listed(index: Option<&ExportIndex>, promotion: &Promotion) -> Vec<Listed> {
    match index {
        Some(index) => index
            .services
            .iter()
            .map(|service| Listed {
                uri: service.service_uri_source.clone(),
                versions: index
                    .service_versions
                    .iter()
                    .filter(|version| {
                        service_uri(&version.service_uri_source)
                            == service_uri(&service.service_uri_source)
                    })
                    .filter_map(|version| version.version_source.clone())
                    .collect(),
            })
            .collect(),
        None => promotion
            .services
            .iter()
            .map(|mapping| Listed {
                uri: mapping.source.clone(),
                versions: Vec::new(),
            })
            .collect(),
    }
}

/// What a promotion's lock entry is now: the versions its selectors resolve to in the source (an export,
/// not downloaded), or its package's sha256.
pub(crate) async fn resolve_lock(
    ctx: &Context,
    promotion: &Promotion,
) -> anyhow::Result<LockedPromotion> {
    let mut result = PromotionResult::begin(promotion);
    match &promotion.source {
        Source::Package { path, display } => {
            let package = package::inspect(path, display, package::DEFAULT_MAX_BYTES).await?;
            Ok(LockedPromotion::of_package(promotion, &package.sha256))
        }
        Source::Environment { environment, .. } => {
            let exported = run_export(ctx, promotion, &mut result, None).await?;
            LockedPromotion::of_export(promotion, environment, &exported.index)
        }
    }
}
