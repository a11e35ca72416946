//! The Spark requests a promotion makes, built from the manifest.
use crate::manifest::{self, Promotion, Source};
use crate::spark;

use anyhow::Context as _;

use crate::promote::context::Context;
use crate::promote::source::correlation::{self, Content, Identity};
use crate::promote::source::export::ExportIndex;

fn services_existing(value: manifest::ServicesExisting) -> spark::ServicesExisting {
    match value {
        manifest::ServicesExisting::Abort => spark::ServicesExisting::Abort,
        manifest::ServicesExisting::Replace => spark::ServicesExisting::Replace,
        manifest::ServicesExisting::AddVersion => spark::ServicesExisting::AddVersion,
    }
}

fn update_version_type(value: manifest::UpdateVersionType) -> spark::UpdateVersionType {
    match value {
        manifest::UpdateVersionType::Major => spark::UpdateVersionType::Major,
        manifest::UpdateVersionType::Minor => spark::UpdateVersionType::Minor,
        manifest::UpdateVersionType::Patch => spark::UpdateVersionType::Patch,
        manifest::UpdateVersionType::Copy => spark::UpdateVersionType::Copy,
    }
}

/// The `importRequestEntity` of a promotion, without its correlation id.
///
/// Spark takes `update_version_type` per entry of `services_modify` only, so the promotion's own
/// `update_version_type` is sent on an entry for every service: the manifest's `services:` and, when the
/// package's export index is known, every other service it holds (destination unchanged).
pub fn import_entity(
    promotion: &Promotion,
    index: Option<&ExportIndex>,
    default_source_system: &str,
    warnings: &mut Vec<String>,
) -> spark::ImportRequestEntity {
    let mut services_modify: Vec<spark::ServiceModify> = promotion
        .services
        .iter()
        .map(|mapping| spark::ServiceModify {
            service_uri_source: mapping.source.clone(),
            service_uri_destination: Some(mapping.destination.clone()),
            update_version_type: Some(update_version_type(promotion.update_of(&mapping.source))),
        })
        .collect();
    match index {
        Some(index) => {
            let mut held: Vec<&str> = index
                .services
                .iter()
                .map(|service| service.service_uri_source.as_str())
                .filter(|uri| {
                    !services_modify
                        .iter()
                        .any(|entry| entry.service_uri_source == *uri)
                })
                .collect();
            // In (folder, service) order, whatever order the export listed them in: the request (hence the
            // correlation id) of a locked promotion is then known from its lock before any export.
            held.sort_by_key(|uri| uri.split_once('/'));
            held.dedup();
            services_modify.extend(held.into_iter().map(|uri| spark::ServiceModify {
                service_uri_source: uri.to_string(),
                service_uri_destination: Some(uri.to_string()),
                update_version_type: Some(update_version_type(promotion.update_version_type)),
            }));
        }
        None if promotion.services.is_empty()
            && promotion.update_version_type != manifest::UpdateVersionType::Minor =>
        {
            warnings.push(format!(
                "update_version_type {} is sent per service, and the services of this package are unknown \
                 (no services: and no export index {}): Spark applies its default, minor",
                promotion.update_version_type.as_str(),
                ExportIndex::name_for(&promotion.source)
            ));
        }
        None => {}
    }
    spark::ImportRequestEntity {
        inputs: spark::ImportInputs { services_modify },
        services_existing: Some(services_existing(promotion.services_existing)),
        source_system: Some(source_system(promotion, default_source_system)),
        correlation_id: None,
    }
}

/// The request as it decides the correlation id: tags (`source_system`, `correlation_id`) left out.
pub fn identity_json(entity: &spark::ImportRequestEntity) -> anyhow::Result<String> {
    let mut entity = entity.clone();
    entity.correlation_id = None;
    entity.source_system = None;
    Ok(serde_json::to_string(&entity)?)
}

/// The export request of a promotion whose source is an environment.
pub fn export_request(
    promotion: &Promotion,
    default_source_system: &str,
) -> Option<spark::ExportRequest> {
    let Source::Environment {
        services,
        folders,
        version_ids,
        version_filter,
        ..
    } = &promotion.source
    else {
        return None;
    };
    Some(export_of(
        &ExportSelection {
            services,
            folders,
            version_ids,
            version_filter: *version_filter,
        },
        source_system(promotion, default_source_system),
    ))
}

/// What an export selects: a promotion's `from:` keys, or `export`'s flags.
pub struct ExportSelection<'a> {
    pub services: &'a [String],
    pub folders: &'a [String],
    pub version_ids: &'a [String],
    pub version_filter: manifest::VersionFilter,
}

/// The export request of a selection: its migration files, tagged with `source_system`.
pub fn export_of(selection: &ExportSelection<'_>, source_system: String) -> spark::ExportRequest {
    spark::ExportRequest {
        inputs: spark::ExportInputs {
            folders: selection.folders.to_vec(),
            services: selection.services.to_vec(),
            version_ids: selection.version_ids.to_vec(),
        },
        file_filter: Some(spark::FileFilter::Migrate),
        version_filter: Some(match selection.version_filter {
            manifest::VersionFilter::Latest => spark::VersionFilter::Latest,
            manifest::VersionFilter::All => spark::VersionFilter::All,
        }),
        source_system: Some(source_system),
        correlation_id: None,
    }
}

/// The import request of a promotion and its correlation id: the manifest's, or derived from the content
/// (when known: a plan of an unlisted package has none), the request and the target.
pub fn import_request(
    ctx: &Context,
    promotion: &Promotion,
    index: Option<&ExportIndex>,
    content: Option<&Content>,
    warnings: &mut Vec<String>,
) -> anyhow::Result<(spark::ImportRequestEntity, String)> {
    let entity = import_entity(promotion, index, &ctx.options.source_system, warnings);
    let target = ctx
        .manifest
        .environments
        .get(&promotion.to)
        .with_context(|| format!("environment {} is not in the manifest", promotion.to))?;
    let correlation_id = match (&promotion.correlation_id, content) {
        (Some(given), _) => given.clone(),
        (None, Some(content)) => correlation::correlation_id(&Identity {
            content,
            request: &identity_json(&entity)?,
            target: target.url.as_str(),
        }),
        (None, None) => String::new(),
    };
    Ok((entity, correlation_id))
}

/// The promotion's `source_system` tag, or the run's default.
pub(crate) fn source_system(promotion: &Promotion, default: &str) -> String {
    promotion
        .source_system
        .clone()
        .unwrap_or_else(|| default.to_string())
}
