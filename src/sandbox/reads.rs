//! Read-only calls a plan needs: v3 `exists`, v1 `isproductexists` and v1 `getversions`.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::auth::{authenticate, authenticate_v1};
use super::error::ApiError;
use super::execute::ALL_ENCOMPASSING;
use super::state::SandboxState;

/// `GET /{tenant}/api/v3/folders/{folder}/services/{service}/exists`.
pub async fn exists(
    State(state): State<SandboxState>,
    Path((tenant, folder, service)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    authenticate(&state, &headers, &tenant)?.require(&[ALL_ENCOMPASSING], "a catalog read")?;
    let inner = state.lock();
    let found = inner
        .catalog
        .tenants
        .get(&tenant)
        .and_then(|t| t.service(&folder, &service));
    let latest = found.and_then(|s| s.latest());
    Ok(Json(json!({
        "status": "Success",
        "response_data": {
            "id": found.map(|s| s.id),
            "name": service,
            "folder_name": folder,
            "is_exists": found.is_some(),
            "version": latest.map(|v| v.version),
            "latest_version_id": latest.map(|v| v.id),
            "service_status": found.map(|_| "Active"),
            "version_count": found.map_or(0, |s| s.versions.len()),
        },
        "response_meta": { "system": "SPARK", "request_timestamp": humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string() },
        "error": null,
    })))
}

/// `POST /api/v1/product/isproductexists/{folder}` (tenant in `x-tenant-name`).
pub async fn is_product_exists(
    State(state): State<SandboxState>,
    Path(folder): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let caller = authenticate_v1(&state, &headers)?;
    caller.require(&[ALL_ENCOMPASSING], "a catalog read")?;
    let inner = state.lock();
    let exists = inner
        .catalog
        .tenants
        .get(&caller.tenant)
        .is_some_and(|t| t.folders.contains_key(&folder));
    Ok(Json(
        json!({ "status": "Success", "data": exists, "message": null, "errorCode": null }),
    ))
}

/// `GET /api/v1/product/{folder}/engines/getversions/{service}` (tenant in `x-tenant-name`): newest first.
pub async fn get_versions(
    State(state): State<SandboxState>,
    Path((folder, service)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let caller = authenticate_v1(&state, &headers)?;
    caller.require(&[ALL_ENCOMPASSING], "a catalog read")?;
    let inner = state.lock();
    let found = inner
        .catalog
        .tenants
        .get(&caller.tenant)
        .and_then(|t| t.service(&folder, &service))
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "service {folder}/{service} does not exist in tenant '{}'",
                caller.tenant
            ))
        })?;
    let versions: Vec<Value> = found
        .versions
        .iter()
        .rev()
        .map(|v| json!({ "id": v.id, "revision": v.version, "serviceId": found.id }))
        .collect();
    Ok(Json(
        json!({ "status": "Success", "data": versions, "message": null, "errorCode": null }),
    ))
}
