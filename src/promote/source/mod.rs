//! Where a promotion's package comes from: a committed file (checked, hashed) or an export of the source
//! environment (downloaded for apply; only listed for a plan).
pub mod correlation;
pub mod export;
pub mod lock;
pub(crate) mod locked;
pub mod package;
pub mod request;

use anyhow::Context as _;

use crate::manifest::{Promotion, Source};
use crate::promote::context::Context;
use crate::promote::result::PromotionResult;
use crate::promote::source::correlation::Content;
use crate::promote::source::export::{ExportIndex, ExportJob, Exported, PendingDownload};
use crate::promote::source::lock::LockedPromotion;
use crate::promote::source::package::Package;
use crate::promote::uri::service_uri;
use crate::spark;

/// A promotion's package with what identifies its content; an exported one is downloaded only when it is
/// imported ([`Prepared::package`]), so an already-applied promotion downloads nothing.
pub(crate) struct Prepared {
    pub content: Content,
    pub index: Option<ExportIndex>,
    package: Fetch,
    /// The version ids of a narrowed export.
    narrowed: Option<Vec<String>>,
}

enum Fetch {
    Ready(Package),
    Pending(PendingDownload),
}

impl Prepared {
    /// The package to upload: checked from its file, or downloaded from the export into the work directory.
    pub async fn package(self, ctx: &Context, promotion: &Promotion) -> anyhow::Result<Package> {
        match self.package {
            Fetch::Ready(package) => Ok(package),
            Fetch::Pending(pending) => {
                let destination = ctx.work_dir().join(format!("{}.zip", promotion.name));
                let index = self.index.as_ref().context("an export has an index")?;
                let job = export_job(ctx, promotion, self.narrowed.as_deref())?;
                pending.download(&job, &destination, index).await
            }
        }
    }
}

/// The package of a promotion: checked from a file, or exported from the source environment (not yet
/// downloaded).
pub(crate) async fn prepare(
    ctx: &Context,
    promotion: &Promotion,
    result: &mut PromotionResult,
) -> anyhow::Result<Prepared> {
    note_unused_lock(ctx, promotion, result);
    match &promotion.source {
        Source::Package { path, display } => {
            let (package, index) = package::committed(path, display).await?;
            Ok(Prepared {
                content: Content::PackageSha256(package.sha256.clone()),
                package: Fetch::Ready(package),
                narrowed: None,
                index,
            })
        }
        Source::Environment { .. } => {
            let exported = run_export(ctx, promotion, result).await?;
            let pending = exported.pending.context("the export has no package")?;
            Ok(Prepared {
                content: exported.index.content(),
                package: Fetch::Pending(pending),
                narrowed: None,
                index: Some(exported.index),
            })
        }
    }
}

/// How a promotion's package is named in a message: `the export from uat`, `the package packages/p.zip`.
pub(crate) fn display(promotion: &Promotion) -> String {
    match &promotion.source {
        Source::Environment { environment, .. } => format!("the export from {environment}"),
        Source::Package { display, .. } => format!("the package {display}"),
    }
}

/// Says when the lock file is present but its entry for this promotion is missing or stale.
fn note_unused_lock(ctx: &Context, promotion: &Promotion, result: &mut PromotionResult) {
    if let Some(why) = ctx.options.lock.unused(&promotion.name) {
        tracing::warn!("{}: {why}", promotion.name);
        result.warnings.push(why.to_string());
    }
}

/// The export job of an environment-sourced promotion.
fn export_job<'a>(
    ctx: &'a Context,
    promotion: &'a Promotion,
    only: Option<&[String]>,
) -> anyhow::Result<ExportJob<'a>> {
    let Source::Environment { environment, .. } = &promotion.source else {
        anyhow::bail!("promotion {} does not export", promotion.name);
    };
    Ok(ExportJob {
        client: ctx.client(environment)?,
        environment: Some(environment),
        request: export_request(ctx, promotion, only)?,
        label: &promotion.name,
        wait: ctx.options.wait_timeout,
        cancel: &ctx.options.cancel,
        progress: &ctx.options.progress,
    })
}

/// The export request of an environment-sourced promotion: `only` those version ids (a narrowed export),
/// else with its lock exactly the locked versions (the import's correlation id then derives from them),
/// else its selectors.
fn export_request(
    ctx: &Context,
    promotion: &Promotion,
    only: Option<&[String]>,
) -> anyhow::Result<spark::ExportRequest> {
    let mut request = request::export_request(promotion, &ctx.options.source_system)
        .context("not an environment source")?;
    let ids = only.map(<[String]>::to_vec).or_else(|| {
        ctx.options
            .lock
            .get(&promotion.name)
            .map(|l| l.version_ids())
    });
    if let Some(version_ids) = ids {
        request.inputs = spark::ExportInputs {
            folders: Vec::new(),
            services: Vec::new(),
            version_ids,
        };
        request.version_filter = Some(spark::VersionFilter::All);
    }
    Ok(request)
}

/// The package of only the source version ids `ids` (the rest is in place at the destination): a second
/// export, of exactly those versions. Its content identity is its own; the import keeps the correlation id
/// of the whole shipment.
pub(crate) async fn narrow(
    ctx: &Context,
    promotion: &Promotion,
    ids: &[String],
    result: &mut PromotionResult,
) -> anyhow::Result<Prepared> {
    let job = export_job(ctx, promotion, Some(ids))?;
    let environment = job.environment.unwrap_or_default().to_string();
    tracing::info!(
        "{}: exporting only the {} version(s) still missing at {}",
        promotion.name,
        ids.len(),
        promotion.to
    );
    let turn = ctx.turn(job.client).await?;
    let exported = export::run(job, None)
        .await
        .with_context(|| format!("export of the missing versions from {environment} failed"))?;
    drop(turn);
    result.export_job_id = Some(exported.index.export_job_id.clone());
    let pending = exported.pending.context("the export has no package")?;
    Ok(Prepared {
        content: exported.index.content(),
        package: Fetch::Pending(pending),
        narrowed: Some(ids.to_vec()),
        index: Some(exported.index),
    })
}

/// Exports the source environment of a promotion (not downloaded), in its turn on the source tenant; a
/// locked promotion's source is checked against its lock first.
async fn run_export(
    ctx: &Context,
    promotion: &Promotion,
    result: &mut PromotionResult,
) -> anyhow::Result<Exported> {
    let job = export_job(ctx, promotion, None)?;
    let environment = job.environment.unwrap_or_default().to_string();
    if let Some(locked) = ctx.options.lock.get(&promotion.name) {
        result
            .warnings
            .extend(locked::check_source(job.client, &environment, locked).await?);
    }
    let turn = ctx.turn(job.client).await?;
    let exported = export::run(job, None)
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
            let (package, index) = package::committed(path, display).await?;
            (index, Some(Content::PackageSha256(package.sha256)))
        }
        Source::Environment { .. } => {
            let exported = run_export(ctx, promotion, result).await?;
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
            let exported = run_export(ctx, promotion, &mut result).await?;
            LockedPromotion::of_export(promotion, environment, &exported.index)
        }
    }
}
