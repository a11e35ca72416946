//! Plan: a read-only prediction of what apply would do to each service (added, replaced, updated to a
//! version, or would fail and why). The services come from the manifest's `services:`, from the package's
//! export index, or, for an environment source, from an export listing (an export job, not downloaded).
use std::collections::BTreeMap;

use anyhow::Context as _;

use super::applied::{self, Applied, Verdict};
use super::context::Context;
use super::outputs::service_uri;
use super::request;
use super::result::{PromotionResult, PromotionStatus, ServiceResult, ServiceStatus};
use super::source::{self, Listed};
use super::version::{Bump, SemVer};
use crate::manifest::{Promotion, ServicesExisting, UpdateVersionType};
use crate::spark::Client;

/// Plans one promotion. Failures to plan are part of the result.
pub async fn plan(ctx: &Context, promotion: &Promotion) -> PromotionResult {
    let started = std::time::Instant::now();
    let mut result = PromotionResult::begin(promotion);
    let outcome = run(ctx, promotion, &mut result).await;
    let status = outcome.as_ref().ok().copied();
    super::run::finish(ctx, result, started, outcome.map(|_| ()), status)
}

/// Predicts each service, or finds the promotion already applied: `planned` or `skipped`.
async fn run(
    ctx: &Context,
    promotion: &Promotion,
    result: &mut PromotionResult,
) -> anyhow::Result<PromotionStatus> {
    let listing = source::prepare_listing(ctx, promotion, result).await?;
    let (_, correlation_id) = request::import_request(
        ctx,
        promotion,
        listing.index.as_ref(),
        listing.content.as_ref(),
        &mut result.warnings,
    )?;
    let client = ctx.client(&promotion.to)?;
    match applied::decide(ctx, promotion, listing.index.as_ref(), &correlation_id).await? {
        Verdict::Applied(applied) => {
            result.correlation_id = correlation_id;
            if let Applied::ByJob { job_id, .. } = &applied {
                result.job_id = Some(job_id.clone());
            }
            result.warnings.push(applied.reason());
            return Ok(PromotionStatus::Skipped);
        }
        Verdict::Running { job_id } => result.warnings.push(format!(
            "import job {job_id} with this correlation id is running: apply will attach to it"
        )),
        Verdict::Import => {}
    }
    result.correlation_id = correlation_id;
    let mut folders: BTreeMap<String, bool> = BTreeMap::new();
    for listed in &listing.services {
        let service = predict(client, promotion, listed, &mut folders).await?;
        if service.status == ServiceStatus::WouldFail {
            result.errors.push(format!(
                "{} → {} would fail: {}",
                service.source,
                service.destination,
                service.detail.as_deref().unwrap_or("")
            ));
        }
        result.services.push(service);
    }
    if listing.services.is_empty() {
        result.warnings.push(
            "the services of this package are unknown: add services: to the promotion, or keep the export \
             index (PACKAGE.json, written by spark-promote export) beside the package"
                .to_string(),
        );
    }
    Ok(PromotionStatus::Planned)
}

/// Predicts what the import does to one service.
async fn predict(
    client: &Client,
    promotion: &Promotion,
    listed: &Listed,
    folders: &mut BTreeMap<String, bool>,
) -> anyhow::Result<ServiceResult> {
    let source = service_uri(&listed.uri);
    let destination = promotion.destination_of(&source);
    let update = promotion
        .mapping(&source)
        .and_then(|mapping| mapping.update_version_type)
        .unwrap_or(promotion.update_version_type);
    let (folder, service) = destination
        .split_once('/')
        .with_context(|| format!("service {destination} is not of the form folder/service"))?;
    let mut row = ServiceResult {
        source: source.clone(),
        destination: destination.clone(),
        status: ServiceStatus::Added,
        next_version: None,
        detail: None,
        service_id_destination: None,
    };
    let folder_exists = match folders.get(folder) {
        Some(known) => *known,
        None => {
            let exists = client
                .folder_exists(folder)
                .await
                .with_context(|| format!("failed to check folder {folder} in {}", promotion.to))?;
            folders.insert(folder.to_string(), exists);
            exists
        }
    };
    if !folder_exists {
        row.status = ServiceStatus::WouldFail;
        row.detail = Some(format!(
            "destination folder {folder} does not exist in {}",
            promotion.to
        ));
        return Ok(row);
    }
    let info = client
        .service_exists(folder, service)
        .await
        .with_context(|| format!("failed to check service {destination} in {}", promotion.to))?;
    row.service_id_destination = info.id.clone();
    if !info.exists {
        row.next_version = versions_text(&listed.versions);
        return Ok(row);
    }
    match promotion.services_existing {
        ServicesExisting::Abort => {
            row.status = ServiceStatus::WouldFail;
            row.detail = Some(format!(
                "{destination} exists in {} and services_existing is abort",
                promotion.to
            ));
        }
        ServicesExisting::Replace => {
            row.status = ServiceStatus::Replaced;
            row.next_version = versions_text(&listed.versions);
        }
        ServicesExisting::AddVersion => {
            row.status = ServiceStatus::Updated;
            row.next_version = next_versions(info.version.as_deref(), update, listed);
        }
    }
    Ok(row)
}

/// The versions `add_version` would create: one bump of the destination's latest per source version
/// (at least one when the source versions are unknown), or the source versions for `copy`.
fn next_versions(
    latest: Option<&str>,
    update: UpdateVersionType,
    listed: &Listed,
) -> Option<String> {
    let bump = match update {
        UpdateVersionType::Copy => return versions_text(&listed.versions),
        UpdateVersionType::Major => Bump::Major,
        UpdateVersionType::Minor => Bump::Minor,
        UpdateVersionType::Patch => Bump::Patch,
    };
    let mut version = SemVer::parse(latest?)?;
    let mut created = Vec::new();
    for _ in 0..listed.versions.len().max(1) {
        version = version.bump(bump);
        created.push(version.to_string());
    }
    versions_text(&created)
}

fn versions_text(versions: &[String]) -> Option<String> {
    (!versions.is_empty()).then(|| versions.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(versions: &[&str]) -> Listed {
        Listed {
            uri: "f/s".into(),
            versions: versions.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn add_version_bumps_once_per_source_version_from_the_latest() {
        let two = listed(&["1.0.0", "1.1.0"]);
        assert_eq!(
            next_versions(Some("1.3.1"), UpdateVersionType::Minor, &two).unwrap(),
            "1.4.0, 1.5.0"
        );
        assert_eq!(
            next_versions(Some("1.3.1"), UpdateVersionType::Major, &listed(&[])).unwrap(),
            "2.0.0"
        );
        assert_eq!(
            next_versions(Some("1.3.1"), UpdateVersionType::Copy, &two).unwrap(),
            "1.0.0, 1.1.0"
        );
        assert_eq!(next_versions(None, UpdateVersionType::Patch, &two), None);
    }
}
