//! `POST /{tenant}/api/v4/export`: the selection (folders, services with an optional `[version]` prefix or a
//! service id, version ids; `latest` or `all` versions), the package built at completion and its download
//! URL, which carries its own token and needs no Authorization header.
use std::collections::BTreeMap;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::auth::authenticate;
use super::catalog::TenantData;
use super::error::ApiError;
use super::execute;
use super::fields::{Fields, Text, parse_json};
use super::jobs::{self, Job, Kind, Work};
use super::package::{self, Content, ExportService};
use super::semver::SemVer;
use super::state::SandboxState;

/// `file_filter`.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFilter {
    #[default]
    Migrate,
    Onpremises,
}

/// `version_filter`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionFilter {
    #[default]
    Latest,
    All,
}

/// A parsed export request.
#[derive(Debug, Clone, Default)]
pub struct ExportRequest {
    pub folders: Vec<String>,
    pub services: Vec<String>,
    pub version_ids: Vec<String>,
    pub file_filter: FileFilter,
    pub version_filter: VersionFilter,
}

/// Parses the request body: the selection, `source_system` and `correlation_id`.
pub fn parse(body: &str) -> Result<(ExportRequest, Option<String>, Option<String>), ApiError> {
    let value = parse_json(body, "body")?;
    let fields = Fields::object(
        &value,
        "body",
        &[
            "inputs",
            "file_filter",
            "version_filter",
            "source_system",
            "correlation_id",
        ],
    )?;
    let inputs = fields.raw("inputs").ok_or_else(|| {
        ApiError::bad_request("body.inputs is required").with("field", json!("body.inputs"))
    })?;
    let inputs = Fields::object(
        inputs,
        "body.inputs",
        &["folders", "services", "version_ids"],
    )?;
    let request = ExportRequest {
        folders: inputs.opt("folders")?.unwrap_or_default(),
        services: inputs.opt("services")?.unwrap_or_default(),
        version_ids: inputs.opt("version_ids")?.unwrap_or_default(),
        file_filter: fields.opt("file_filter")?.unwrap_or_default(),
        version_filter: fields.opt("version_filter")?.unwrap_or_default(),
    };
    if request.folders.is_empty() && request.services.is_empty() && request.version_ids.is_empty() {
        return Err(ApiError::bad_request(
            "body.inputs: at least one of folders, services or version_ids must be non-empty",
        ));
    }
    Ok((
        request,
        fields.opt("source_system")?,
        fields.opt("correlation_id")?,
    ))
}

/// The selected versions of each service: `(folder, service)` → versions.
type Selection = BTreeMap<(String, String), Vec<SemVer>>;

/// Resolves the request against the tenant; every missing object is an error.
fn select(
    tenant_name: &str,
    tenant: &TenantData,
    request: &ExportRequest,
) -> Result<Selection, Vec<String>> {
    let mut selection = Selection::new();
    let mut errors = Vec::new();
    let filter = request.version_filter;
    let mut add = |folder: &str, service: &str, versions: Vec<SemVer>| {
        let entry = selection
            .entry((folder.to_owned(), service.to_owned()))
            .or_default();
        entry.extend(versions);
        entry.sort();
        entry.dedup();
    };
    let pick = |versions: Vec<SemVer>| match filter {
        VersionFilter::All => versions,
        VersionFilter::Latest => versions.into_iter().max().into_iter().collect(),
    };
    for folder in &request.folders {
        match tenant.folders.get(folder) {
            None => errors.push(format!(
                "folder '{folder}' does not exist in tenant '{tenant_name}'"
            )),
            Some(f) if f.services.is_empty() => {
                errors.push(format!("folder '{folder}' holds no service"))
            }
            Some(f) => {
                for (name, service) in &f.services {
                    add(
                        folder,
                        name,
                        pick(service.versions.iter().map(|v| v.version).collect()),
                    );
                }
            }
        }
    }
    for uri in &request.services {
        let by_id = uri
            .parse::<Uuid>()
            .ok()
            .and_then(|id| tenant.services().find(|(_, _, s)| s.id == id));
        if let Some((folder, name, service)) = by_id {
            add(
                folder,
                name,
                pick(service.versions.iter().map(|v| v.version).collect()),
            );
            continue;
        }
        let (path, prefix) = match uri.strip_suffix(']').and_then(|u| u.split_once('[')) {
            Some((path, prefix)) => (path, Some(prefix)),
            None => (uri.as_str(), None),
        };
        let found = path
            .split_once('/')
            .and_then(|(f, s)| Some((f, s, tenant.service(f, s)?)));
        let Some((folder, name, service)) = found else {
            errors.push(format!(
                "service '{uri}' does not exist in tenant '{tenant_name}'"
            ));
            continue;
        };
        let versions: Vec<SemVer> = service
            .versions
            .iter()
            .map(|v| v.version)
            .filter(|v| prefix.is_none_or(|p| v.matches_prefix(p)))
            .collect();
        if versions.is_empty() {
            errors.push(format!("no version of {folder}/{name} matches '{uri}'"));
        }
        add(folder, name, pick(versions));
    }
    for id in &request.version_ids {
        let found = id.parse::<Uuid>().ok().and_then(|id| {
            tenant.services().find_map(|(f, s, service)| {
                service
                    .versions
                    .iter()
                    .find(|v| v.id == id)
                    .map(|v| (f, s, v.version))
            })
        });
        match found {
            Some((folder, name, version)) => add(folder, name, vec![version]),
            None => errors.push(format!(
                "version id '{id}' does not exist in tenant '{tenant_name}'"
            )),
        }
    }
    if errors.is_empty() {
        Ok(selection)
    } else {
        Err(errors)
    }
}

/// `POST /{tenant}/api/v4/export`.
pub async fn post(
    State(state): State<SandboxState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    Text(body): Text,
) -> Result<Json<Value>, ApiError> {
    let caller = authenticate(&state, &headers, &tenant)?;
    caller.require(&[super::execute::ALL_ENCOMPASSING], "an export")?;
    let (request, source_system, correlation_id) = parse(&body)?;
    {
        let inner = state.lock();
        let data = inner
            .catalog
            .tenants
            .get(&tenant)
            .ok_or_else(|| ApiError::not_found(format!("tenant '{tenant}' does not exist")))?;
        select(&tenant, data, &request).map_err(|errors| {
            ApiError::bad_request(errors.join("; ")).with("errors", json!(errors))
        })?;
    }
    let job = Job::new(
        Kind::Export,
        &caller,
        jobs::origin(&headers),
        (source_system, correlation_id),
        Work::Export { request },
    );
    jobs::start(&state, job).map(Json)
}

/// Completes an export job: writes the package and publishes its download URL.
pub async fn complete(state: &SandboxState, id: Uuid) {
    let built = {
        let mut inner = state.lock();
        let Some(job) = inner.job_mut(id) else { return };
        let Work::Export { request } = &job.work else {
            return;
        };
        let (tenant, origin, request) = (job.tenant.clone(), job.origin.clone(), request.clone());
        let data = inner
            .catalog
            .tenants
            .get(&tenant)
            .cloned()
            .unwrap_or_default();
        select(&tenant, &data, &request).map(|selection| {
            let prepared = prepare(state, &tenant, &data, selection);
            (tenant, origin, request, prepared)
        })
    };
    let (tenant, origin, request, (services, outputs)) = match built {
        Ok(built) => built,
        Err(errors) => {
            state.lock().finish(id, Err(errors));
            return;
        }
    };
    let token = hex::encode(rand::rng().random::<[u8; 24]>());
    let path = state.exports_dir().join(format!("{token}.zip"));
    let filter = match request.file_filter {
        FileFilter::Migrate => "migrate",
        FileFilter::Onpremises => "onpremises",
    };
    let target = path.clone();
    let written =
        tokio::task::spawn_blocking(move || package::write(&target, &tenant, filter, services))
            .await
            .map_err(anyhow::Error::from)
            .and_then(|r| r);
    let mut inner = state.lock();
    let hash = match written {
        Ok(hash) => hash,
        Err(error) => {
            inner.finish(
                id,
                Err(vec![format!("failed to write the package: {error:#}")]),
            );
            return;
        }
    };
    let url = format!("{origin}/docstore/api/v1/documents/versions/tokens/{token}/package.zip");
    let mut outputs = outputs;
    outputs["files"] = json!([{ "file": url, "file_hash": hash }]);
    if inner.finish(id, Ok(outputs)) {
        inner.downloads.insert(token, path);
    } else {
        let _ = std::fs::remove_file(&path);
    }
}

/// The package content and the `services` / `service_versions` outputs of a selection.
fn prepare(
    state: &SandboxState,
    tenant_name: &str,
    tenant: &TenantData,
    selection: Selection,
) -> (Vec<ExportService>, Value) {
    let mut services = Vec::new();
    let mut service_rows = Vec::new();
    let mut version_rows = Vec::new();
    for ((folder, name), versions) in selection {
        let Some(service) = tenant.service(&folder, &name) else {
            continue;
        };
        service_rows.push(json!({
            "service_uri_source": format!("{folder}/{name}"),
            "folder_source": folder,
            "service_source": name,
            "service_id_source": service.id,
        }));
        let mut contents = Vec::new();
        for version in service
            .versions
            .iter()
            .filter(|v| versions.contains(&v.version))
        {
            version_rows.push(json!({
                "service_uri_source": format!("{folder}/{name}[{}]", version.version),
                "folder_source": folder,
                "service_source": name,
                "version_source": version.version,
                "service_id_source": service.id,
                "version_id_source": version.id,
            }));
            let content = match &version.blob {
                Some(blob) => Content::Blob(state.blobs_dir().join(blob)),
                None => Content::Generated(execute::seeded_content(
                    &folder,
                    &name,
                    version.version,
                    state
                        .seed()
                        .model(tenant_name, &folder, &name, version.version),
                )),
            };
            contents.push((version.version, version.id, content));
        }
        services.push(ExportService {
            folder,
            service: name,
            service_id: service.id,
            versions: contents,
        });
    }
    (
        services,
        json!({ "files": [], "services": service_rows, "service_versions": version_rows }),
    )
}

/// `GET /docstore/api/v1/documents/versions/tokens/{token}/package.zip` (no Authorization needed).
pub async fn download(
    State(state): State<SandboxState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let path = state
        .lock()
        .downloads
        .get(&token)
        .cloned()
        .ok_or_else(|| ApiError::not_found("unknown or expired download token"))?;
    let file = tokio::fs::File::open(&path).await.map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("failed to open the package: {e}"),
        )
    })?;
    let length = file.metadata().await.map(|m| m.len()).unwrap_or_default();
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::CONTENT_LENGTH, length.to_string()),
        ],
        body,
    )
        .into_response())
}
