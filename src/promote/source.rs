//! Where a promotion's package comes from: a committed file (checked, hashed) or an export of the source
//! environment (downloaded for apply; only listed for a plan).
use anyhow::Context as _;

use super::context::Context;
use super::correlation::Content;
use super::export::{self, ExportIndex, ExportJob, Exported, PendingDownload};
use super::outputs::service_uri;
use super::package::{self, Package};
use super::request;
use super::result::PromotionResult;
use crate::manifest::{Promotion, Source};

/// A promotion's package with what identifies its content; an exported one is downloaded only when it is
/// imported ([`Prepared::package`]), so an already-applied promotion downloads nothing.
pub(crate) struct Prepared {
    pub content: Content,
    pub index: Option<ExportIndex>,
    package: Fetch,
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
                pending
                    .download(&export_job(ctx, promotion)?, &destination, index)
                    .await
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
    match &promotion.source {
        Source::Package { path, display } => {
            let package = package::inspect(path, display, package::DEFAULT_MAX_BYTES).await?;
            let index = ExportIndex::load_beside(path)?;
            Ok(Prepared {
                content: Content::PackageSha256(package.sha256.clone()),
                package: Fetch::Ready(package),
                index,
            })
        }
        Source::Environment { .. } => {
            let exported = run_export(ctx, promotion, result).await?;
            let pending = exported.pending.context("the export has no package")?;
            Ok(Prepared {
                content: exported.index.content(),
                package: Fetch::Pending(pending),
                index: Some(exported.index),
            })
        }
    }
}

/// The export job of an environment-sourced promotion.
fn export_job<'a>(ctx: &'a Context, promotion: &'a Promotion) -> anyhow::Result<ExportJob<'a>> {
    let Source::Environment { environment, .. } = &promotion.source else {
        anyhow::bail!("promotion {} does not export", promotion.name);
    };
    Ok(ExportJob {
        client: ctx.client(environment)?,
        environment: Some(environment),
        request: request::export_request(promotion, &ctx.options.source_system)
            .context("not an environment source")?,
        label: &promotion.name,
        wait: ctx.options.wait_timeout,
        cancel: &ctx.options.cancel,
        progress: &ctx.options.progress,
    })
}

/// Exports the source environment of a promotion (not downloaded), in its turn on the source tenant.
async fn run_export(
    ctx: &Context,
    promotion: &Promotion,
    result: &mut PromotionResult,
) -> anyhow::Result<Exported> {
    let job = export_job(ctx, promotion)?;
    let environment = job.environment.unwrap_or_default().to_string();
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
    let (index, content) = match &promotion.source {
        Source::Package { path, display } => {
            let package = package::inspect(path, display, package::DEFAULT_MAX_BYTES).await?;
            (
                ExportIndex::load_beside(path)?,
                Some(Content::PackageSha256(package.sha256)),
            )
        }
        Source::Environment { .. } => {
            let exported = run_export(ctx, promotion, result).await?;
            let content = exported.index.content();
            (Some(exported.index), Some(content))
        }
    };
    let services = match &index {
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
    };
    Ok(Listing {
        services,
        content,
        index,
    })
}
