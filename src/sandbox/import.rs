//! `POST /{tenant}/api/v4/import`: the multipart upload (streamed to disk, size-limited), the
//! `importRequestEntity` (a plain form field or an `application/json` part), and the job's completion.
use axum::Json;
use axum::extract::multipart::{Field, MultipartRejection};
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use super::auth::authenticate;
use super::catalog::check_name;
use super::compat::{Compat, INVALID_IMPORT_ZIP};
use super::error::ApiError;
use super::fields::{Fields, parse_json};
use super::jobs::{self, Job, Kind, Work};
use super::package;
use super::rules::{self, ImportRequest, ServiceModify, split_uri};
use super::semver::Bump;
use super::state::SandboxState;

const MAX_ENTITY_BYTES: usize = 1 << 20;
/// Room for the multipart framing and the request entity on top of the package size limit: the most a
/// whole request body may hold beyond the package (checked on Content-Length before reading, and on the
/// bytes read for chunked bodies).
pub const FRAMING_SLACK: u64 = MAX_ENTITY_BYTES as u64 + (1 << 20);

/// `POST /{tenant}/api/v4/import`.
pub async fn post(
    State(state): State<SandboxState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<Value>, ApiError> {
    let caller = authenticate(&state, &headers, &tenant)?;
    jobs::check_idle(&state.lock(), &tenant)?;
    let limit = state.settings().max_upload_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit + FRAMING_SLACK) {
        return Err(ApiError::too_large(limit));
    }
    let mut multipart = multipart.map_err(|e| {
        ApiError::bad_request(format!("malformed multipart body: {}", e.body_text()))
    })?;
    let mut package = None;
    let mut entity = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| malformed(e.status(), e.body_text()))?
    {
        match field.name() {
            Some("file") => {
                once(package.is_none(), "file")?;
                package = Some(receive(field, &state, limit).await?);
            }
            Some("importRequestEntity") => {
                once(entity.is_none(), "importRequestEntity")?;
                entity = Some(read_entity(field).await?);
            }
            other => tracing::debug!(field = ?other, "ignoring an unknown multipart field"),
        }
    }
    let package = package
        .ok_or_else(|| ApiError::bad_request("multipart field 'file' (the package) is required"))?;
    let request = parse_entity(entity.as_deref())?;
    if state.settings().compat == Compat::Spec {
        // Spark answers a package it cannot read on the POST (500 INVALID_IMPORT_ZIP), not in the job.
        let path = package.to_path_buf();
        tokio::task::spawn_blocking(move || package::check(&path))
            .await
            .unwrap_or_else(|e| Err(format!("failed to read the package: {e}")))
            .map_err(|message| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
                    .with_code(INVALID_IMPORT_ZIP)
            })?;
    }
    let tags = (
        request.source_system.clone(),
        request.correlation_id.clone(),
    );
    let path = package.keep().map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("failed to keep the upload: {e}"),
        )
    })?;
    let job = Job::new(
        Kind::Import,
        &caller,
        jobs::origin(&headers),
        tags,
        Work::Import {
            request,
            package: path.clone(),
        },
    );
    jobs::start(&state, job).map(Json).inspect_err(|_| {
        let _ = std::fs::remove_file(&path);
    })
}

/// 400 when a multipart field comes a second time (which one would count is ambiguous).
fn once(first: bool, name: &str) -> Result<(), ApiError> {
    if first {
        return Ok(());
    }
    Err(
        ApiError::bad_request(format!("multipart field '{name}' is given more than once"))
            .with("field", name.into()),
    )
}

fn malformed(status: StatusCode, text: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(status, text);
    }
    ApiError::bad_request(format!("malformed multipart body: {text}"))
}

/// Streams the `file` part to a temporary file in the uploads directory, counting bytes against the limit.
async fn receive(
    mut field: Field<'_>,
    state: &SandboxState,
    limit: u64,
) -> Result<tempfile::TempPath, ApiError> {
    let internal = |e: std::io::Error| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("failed to store the upload: {e}"),
        )
    };
    let (file, path) = tempfile::Builder::new()
        .prefix("upload-")
        .tempfile_in(state.uploads_dir())
        .map_err(internal)?
        .into_parts();
    let mut file = tokio::fs::File::from_std(file);
    let mut received = 0u64;
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| malformed(e.status(), e.body_text()))?
    {
        received += chunk.len() as u64;
        if received > limit {
            return Err(ApiError::too_large(limit));
        }
        file.write_all(&chunk).await.map_err(internal)?;
    }
    file.flush().await.map_err(internal)?;
    tracing::debug!(bytes = received, "package received");
    Ok(path)
}

async fn read_entity(mut field: Field<'_>) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| malformed(e.status(), e.body_text()))?
    {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_ENTITY_BYTES {
            return Err(ApiError::bad_request(
                "importRequestEntity is larger than 1 MiB",
            ));
        }
    }
    String::from_utf8(bytes)
        .map_err(|_| ApiError::bad_request("importRequestEntity is not UTF-8 text"))
}

/// Parses the `importRequestEntity` JSON; absent or empty gives the defaults.
pub fn parse_entity(text: Option<&str>) -> Result<ImportRequest, ApiError> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(ImportRequest::default());
    };
    const ROOT: &str = "importRequestEntity";
    let value = parse_json(text, ROOT)?;
    let fields = Fields::object(
        &value,
        ROOT,
        &[
            "inputs",
            "services_existing",
            "source_system",
            "correlation_id",
        ],
    )?;
    let mut request = ImportRequest {
        services_modify: vec![],
        services_existing: fields.opt("services_existing")?.unwrap_or_default(),
        source_system: fields.opt("source_system")?,
        correlation_id: fields.opt("correlation_id")?,
    };
    let Some(inputs) = fields.raw("inputs") else {
        return Ok(request);
    };
    let inputs = Fields::object(inputs, &format!("{ROOT}.inputs"), &["services_modify"])?;
    let Some(list) = inputs.raw("services_modify") else {
        return Ok(request);
    };
    let path = inputs.path_of("services_modify");
    let items = list
        .as_array()
        .ok_or_else(|| ApiError::bad_request(format!("{path}: expected an array")))?;
    for (index, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{index}]");
        let item = Fields::object(
            item,
            &item_path,
            &[
                "service_uri_source",
                "service_uri_destination",
                "update_version_type",
            ],
        )?;
        let uri = |key: &str| -> Result<Option<(String, String)>, ApiError> {
            item.opt::<String>(key)?
                .map(|text| {
                    let path = item.path_of(key);
                    let (folder, service) = split_uri(&text).ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "{path}: expected folder/service, got '{}'",
                            text.escape_debug()
                        ))
                    })?;
                    check_name("folder", &folder)
                        .and_then(|()| check_name("service", &service))
                        .map_err(|e| {
                            ApiError::bad_request(format!("{path}: {e}"))
                                .with("field", path.clone().into())
                        })?;
                    Ok((folder, service))
                })
                .transpose()
        };
        let source = uri("service_uri_source")?.ok_or_else(|| {
            ApiError::bad_request(format!("{item_path}.service_uri_source is required"))
        })?;
        let destination = uri("service_uri_destination")?.unwrap_or_else(|| source.clone());
        request.services_modify.push(ServiceModify {
            source: format!("{}/{}", source.0, source.1),
            destination,
            bump: item.opt("update_version_type")?.unwrap_or(Bump::Minor),
        });
    }
    Ok(request)
}

/// Completes an import job: reads the package, plans against the tenant and applies all or nothing (unless
/// the job was cancelled meanwhile).
pub async fn complete(state: &SandboxState, id: Uuid) {
    let Some((tenant, request, path)) = ({
        let mut inner = state.lock();
        inner.job_mut(id).and_then(|job| match &job.work {
            Work::Import { request, package } => {
                Some((job.tenant.clone(), request.clone(), package.clone()))
            }
            Work::Export { .. } => None,
        })
    }) else {
        return;
    };
    let (blobs, cap) = (state.blobs_dir(), state.settings().max_upload_bytes);
    let read = tokio::task::spawn_blocking(move || package::read(&path, &blobs, cap))
        .await
        .unwrap_or_else(|e| Err(format!("failed to read the package: {e}")));
    let services = match read {
        Ok(services) => services,
        Err(error) => {
            state.lock().finish(id, Err(vec![error]));
            return;
        }
    };
    let applied = {
        let mut inner = state.lock();
        let running = inner.job_mut(id).is_some_and(|j| j.is_running());
        let plan = match inner.catalog.tenants.get(&tenant) {
            Some(data) => rules::plan(&tenant, data, &services, &request),
            None => Err(vec![format!("tenant '{tenant}' does not exist")]),
        };
        match plan {
            Ok(plan) if running => {
                let outputs =
                    json!({ "services": plan.services, "service_versions": plan.versions });
                plan.apply(
                    inner
                        .catalog
                        .tenants
                        .get_mut(&tenant)
                        .expect("planned against this tenant"),
                );
                inner.finish(id, Ok(outputs));
                state.save(&inner);
                true
            }
            Ok(_) => false,
            Err(errors) => {
                inner.finish(id, Err(errors));
                false
            }
        }
    };
    if !applied {
        let blobs = state.blobs_dir();
        for version in services.iter().flat_map(|s| &s.versions) {
            let _ = std::fs::remove_file(blobs.join(&version.blob));
        }
    }
}
