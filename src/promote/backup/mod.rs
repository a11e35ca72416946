//! Backups before a destructive import: the destination's services that the import will change, exported
//! with all their versions from the DESTINATION tenant and kept (package and index) under the backup
//! directory, so that `spark-promote rollback` can put them back. A backup that was asked for and cannot
//! be taken stops the promotion before its import.
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::manifest::Promotion;
use crate::promote::context::Context;
use crate::promote::result::{PromotionResult, ServiceResult, ServiceStatus};
use crate::promote::source::export::{self, ExportJob};
use crate::promote::source::request;
use crate::spark;

pub mod restore;
pub use restore::{RollbackMode, restore, restore_as};

/// In a plan: each existing destination service that apply will back up before its import says so.
pub(crate) fn note_in_plan(promotion: &Promotion, services: &mut [ServiceResult]) {
    if !promotion.backs_up() {
        return;
    }
    let existing = |status: ServiceStatus| {
        matches!(
            status,
            ServiceStatus::Replaced | ServiceStatus::Updated | ServiceStatus::Unchecked
        )
    };
    for service in services
        .iter_mut()
        .filter(|service| existing(service.status))
    {
        service.note("backed up first");
    }
}

/// Where the CLI keeps backups, relative to the working directory (the workspace, in the action).
pub const DEFAULT_DIR: &str = ".spark-promote/backups";

/// Takes the backup of a promotion that is about to import (when it backs up), and names it in the
/// result. Destination services that do not exist yet have nothing to back up: the result says so.
pub(crate) async fn take(
    ctx: &Context,
    promotion: &Promotion,
    services: &[ServiceResult],
    result: &mut PromotionResult,
) -> anyhow::Result<()> {
    if !promotion.backs_up() {
        return Ok(());
    }
    if services.is_empty() {
        if promotion.backup == Some(true) {
            anyhow::bail!(
                "cannot back up {}: the services of this package are unknown (add services: to the \
                 promotion, or keep the export index beside the package); nothing was imported",
                promotion.to
            );
        }
        result.warnings.push(
            "no backup: the services of this package are unknown (add services: to the promotion, or keep \
             the export index beside the package)"
                .to_string(),
        );
        return Ok(());
    }
    let client = ctx.client(&promotion.to)?;
    let mut existing = Vec::new();
    for service in services {
        match service.status {
            // What the decision found there (or could not check): the import changes it.
            ServiceStatus::Replaced | ServiceStatus::Updated | ServiceStatus::Unchecked => {
                if !existing.contains(&service.destination) {
                    existing.push(service.destination.clone());
                }
            }
            ServiceStatus::Added => result.warnings.push(format!(
                "{} did not exist in {} before this import: a rollback cannot remove it \
                 (Spark's ImpEx has no delete)",
                service.destination, promotion.to
            )),
            ServiceStatus::Unchanged | ServiceStatus::WouldFail => {}
        }
    }
    if existing.is_empty() {
        return Ok(());
    }
    let path = ctx
        .options
        .backup_dir
        .join(file_name(&promotion.name, std::time::SystemTime::now()));
    if let Some(parent) = path.parent() {
        crate::promote::files::create_dir(parent).context("no backup directory")?;
    }
    let label = format!("{} backup", promotion.name);
    let turn = ctx.turn(client).await?;
    export::run(
        ExportJob {
            client,
            environment: Some(&promotion.to),
            request: export_request(&existing, ctx, promotion),
            label: &label,
            wait: ctx.options.wait_timeout,
            cancel: &ctx.options.cancel,
            progress: &ctx.options.progress,
        },
        Some(&path),
    )
    .await
    .with_context(|| {
        format!(
            "backup of {} in {} failed; nothing was imported",
            existing.join(", "),
            promotion.to
        )
    })?;
    drop(turn);
    tracing::info!(
        "{}: backed up {} from {} to {}",
        promotion.name,
        existing.join(", "),
        promotion.to,
        path.display()
    );
    result.backup = Some(path.display().to_string());
    Ok(())
}

/// The export of the existing destination services with all their versions.
fn export_request(
    services: &[String],
    ctx: &Context,
    promotion: &Promotion,
) -> spark::ExportRequest {
    spark::ExportRequest {
        inputs: spark::ExportInputs {
            services: services.to_vec(),
            ..spark::ExportInputs::default()
        },
        file_filter: Some(spark::FileFilter::Migrate),
        version_filter: Some(spark::VersionFilter::All),
        source_system: Some(request::source_system(
            promotion,
            &ctx.options.source_system,
        )),
        correlation_id: None,
    }
}

/// `NAME-20261201T143110Z.zip`: the promotion and the UTC time, with no `:` (artifact names refuse it).
fn file_name(promotion: &str, now: std::time::SystemTime) -> PathBuf {
    let time: String = humantime::format_rfc3339_seconds(now)
        .to_string()
        .chars()
        .filter(|c| !matches!(c, '-' | ':'))
        .collect();
    Path::new(&format!("{promotion}-{time}.zip")).to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backup_is_named_by_promotion_and_utc_time_without_colons() {
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_796_135_470);
        assert_eq!(
            file_name("pricing", at),
            PathBuf::from("pricing-20261201T143110Z.zip")
        );
    }
}
