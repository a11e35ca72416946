//! The import rules of the seed's table, as a pure function from (destination tenant, package, request) to
//! a plan: the outputs to report and the services to write. A plan with any error changes nothing.
use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::catalog::{Service, TenantData, Version};
use super::package::PackageService;
use super::semver::{Bump, SemVer};

/// What to do when the destination service exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServicesExisting {
    /// Fail the import (the API's default).
    #[default]
    Abort,
    /// Replace the service, keeping the version ids of overlapping semantic versions.
    Replace,
    /// Add the imported versions to the service, numbered by `update_version_type`.
    AddVersion,
}

/// One `services_modify` entry.
#[derive(Debug, Clone)]
pub struct ServiceModify {
    pub source: String,
    pub destination: (String, String),
    pub bump: Bump,
}

/// A parsed `importRequestEntity`.
#[derive(Debug, Clone, Default)]
pub struct ImportRequest {
    pub services_modify: Vec<ServiceModify>,
    pub services_existing: ServicesExisting,
    pub source_system: Option<String>,
    pub correlation_id: Option<String>,
}

/// The result of planning an import.
#[derive(Debug)]
pub struct Plan {
    /// `outputs.services`, sorted by folder_source, service_source.
    pub services: Vec<Value>,
    /// `outputs.service_versions`, sorted by folder_source, service_source, version_source.
    pub versions: Vec<Value>,
    writes: Vec<(String, String, Service)>,
}

impl Plan {
    /// Writes the planned services into the tenant.
    pub fn apply(self, tenant: &mut TenantData) {
        for (folder, name, service) in self.writes {
            tenant
                .folders
                .entry(folder)
                .or_default()
                .services
                .insert(name, service);
        }
    }
}

/// Splits `folder/service` (a leading `/` is tolerated).
pub fn split_uri(uri: &str) -> Option<(String, String)> {
    let (folder, service) = uri.trim_start_matches('/').split_once('/')?;
    (!folder.is_empty() && !service.is_empty() && !service.contains('/'))
        .then(|| (folder.to_owned(), service.to_owned()))
}

struct Target<'a> {
    source: &'a PackageService,
    folder: String,
    service: String,
    bump: Bump,
}

/// Plans an import of `package` into `tenant` (named `tenant_name` in messages).
pub fn plan(
    tenant_name: &str,
    tenant: &TenantData,
    package: &[PackageService],
    request: &ImportRequest,
) -> Result<Plan, Vec<String>> {
    let mut errors = Vec::new();
    let mut sources: Vec<&PackageService> = package.iter().collect();
    sources.sort_by(|a, b| (&a.folder, &a.service).cmp(&(&b.folder, &b.service)));

    for modify in &request.services_modify {
        if !sources
            .iter()
            .any(|s| format!("{}/{}", s.folder, s.service) == modify.source)
        {
            errors.push(format!(
                "services_modify names {} which is not in the package",
                modify.source
            ));
        }
    }

    let mut targets = Vec::new();
    let mut destinations = BTreeMap::new();
    for source in sources {
        let uri = format!("{}/{}", source.folder, source.service);
        let modify = request.services_modify.iter().find(|m| m.source == uri);
        let (folder, service) = modify
            .map(|m| m.destination.clone())
            .unwrap_or_else(|| (source.folder.clone(), source.service.clone()));
        if let Some(other) = destinations.insert((folder.clone(), service.clone()), uri.clone()) {
            errors.push(format!("{other} and {uri} both map to {folder}/{service}"));
        }
        if !tenant.folders.contains_key(&folder) {
            errors.push(format!(
                "destination folder '{folder}' does not exist in tenant '{tenant_name}'"
            ));
        }
        targets.push(Target {
            source,
            folder,
            service,
            bump: modify.map_or(Bump::Minor, |m| m.bump),
        });
    }

    let mut used = tenant.version_ids();
    let mut used_services = tenant.service_ids();
    let mut plan = Plan {
        services: vec![],
        versions: vec![],
        writes: vec![],
    };
    for target in &targets {
        let existing = tenant.service(&target.folder, &target.service);
        let result = match (existing, request.services_existing) {
            (None, _) => Ok(add_service(target, &mut used, &mut used_services)),
            (Some(_), ServicesExisting::Abort) => Err(format!(
                "service {}/{} already exists in tenant '{tenant_name}' and services_existing is abort",
                target.folder, target.service
            )),
            (Some(existing), ServicesExisting::Replace) => {
                Ok(replace_service(target, existing, &mut used))
            }
            (Some(existing), ServicesExisting::AddVersion) => {
                add_versions(target, existing, &mut used)
            }
        };
        match result {
            Ok((status, service, version_statuses)) => {
                record(&mut plan, target, status, &service, &version_statuses);
                plan.writes
                    .push((target.folder.clone(), target.service.clone(), service));
            }
            Err(error) => errors.push(error),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    plan.versions.sort_by_key(version_key);
    Ok(plan)
}

/// For each source version (in package order): its destination version, id and status.
/// (source version, source version id, destination version id, status).
type VersionOutcome = (SemVer, Uuid, Uuid, &'static str);
type Planned = (&'static str, Service, Vec<VersionOutcome>);

fn migrate(id: Uuid, used: &mut HashSet<Uuid>) -> Uuid {
    let id = if used.contains(&id) {
        Uuid::new_v4()
    } else {
        id
    };
    used.insert(id);
    id
}

fn add_service(
    target: &Target,
    used: &mut HashSet<Uuid>,
    used_services: &mut HashSet<Uuid>,
) -> Planned {
    let mut versions = Vec::new();
    let mut statuses = Vec::new();
    for v in &target.source.versions {
        let id = migrate(v.version_id, used);
        versions.push(Version {
            version: v.version,
            id,
            blob: Some(v.blob.clone()),
        });
        statuses.push((v.version, v.version_id, id, "added"));
    }
    versions.sort_by_key(|v| v.version);
    let id = migrate(target.source.service_id, used_services);
    ("added", Service { id, versions }, statuses)
}

fn replace_service(target: &Target, existing: &Service, used: &mut HashSet<Uuid>) -> Planned {
    for old in &existing.versions {
        used.remove(&old.id);
    }
    let kept = |version: SemVer| {
        existing
            .versions
            .iter()
            .find(|old| old.version == version)
            .map(|old| old.id)
    };
    for v in &target.source.versions {
        if let Some(id) = kept(v.version) {
            used.insert(id);
        }
    }
    let mut versions = Vec::new();
    let mut statuses = Vec::new();
    for v in &target.source.versions {
        let (id, status) = match kept(v.version) {
            Some(id) => (id, "replaced"),
            None => (migrate(v.version_id, used), "added"),
        };
        versions.push(Version {
            version: v.version,
            id,
            blob: Some(v.blob.clone()),
        });
        statuses.push((v.version, v.version_id, id, status));
    }
    versions.sort_by_key(|v| v.version);
    (
        "replaced",
        Service {
            id: existing.id,
            versions,
        },
        statuses,
    )
}

fn add_versions(
    target: &Target,
    existing: &Service,
    used: &mut HashSet<Uuid>,
) -> Result<Planned, String> {
    let mut service = existing.clone();
    let mut statuses = Vec::new();
    let mut latest = existing.latest().map_or(
        SemVer {
            major: 0,
            minor: 0,
            patch: 0,
        },
        |v| v.version,
    );
    let mut sources: Vec<_> = target.source.versions.iter().collect();
    sources.sort_by_key(|v| v.version);
    for v in sources {
        let version = match target.bump {
            Bump::Copy => {
                if service.versions.iter().any(|old| old.version == v.version) {
                    return Err(format!(
                        "version {} of {}/{} already exists in the destination and update_version_type is copy",
                        v.version, target.folder, target.service
                    ));
                }
                v.version
            }
            bump => {
                latest = latest.bump(bump);
                latest
            }
        };
        let id = migrate(v.version_id, used);
        service.versions.push(Version {
            version,
            id,
            blob: Some(v.blob.clone()),
        });
        statuses.push((v.version, v.version_id, id, "added"));
    }
    service.versions.sort_by_key(|v| v.version);
    Ok(("updated", service, statuses))
}

fn record(
    plan: &mut Plan,
    target: &Target,
    status: &str,
    service: &Service,
    versions: &[VersionOutcome],
) {
    let source = target.source;
    let (folder, name) = (&target.folder, &target.service);
    plan.services.push(json!({
        "service_uri_source": format!("{}/{}", source.folder, source.service),
        "folder_source": source.folder,
        "service_source": source.service,
        "service_id_source": source.service_id,
        "service_uri_destination": format!("{folder}/{name}"),
        "folder_destination": folder,
        "service_destination": name,
        "service_id_destination": service.id,
        "status": status,
    }));
    for (version_source, version_id_source, id, status) in versions {
        let destination = service
            .versions
            .iter()
            .find(|v| v.id == *id)
            .map_or(*version_source, |v| v.version);
        plan.versions.push(json!({
            "service_uri_source": format!("{}/{}[{version_source}]", source.folder, source.service),
            "folder_source": source.folder,
            "service_source": source.service,
            "version_source": version_source,
            "service_id_source": source.service_id,
            "version_id_source": version_id_source,
            // The documented sample response writes this one URI with a leading slash; so does the sandbox.
            "service_uri_destination": format!("/{folder}/{name}[{destination}]"),
            "folder_destination": folder,
            "service_destination": name,
            "version_destination": destination,
            "service_id_destination": service.id,
            "version_id_destination": id,
            "status": status,
        }));
    }
}

fn version_key(row: &Value) -> (String, String, Option<SemVer>) {
    let text = |k: &str| row[k].as_str().unwrap_or_default().to_owned();
    (
        text("folder_source"),
        text("service_source"),
        text("version_source").parse().ok(),
    )
}
