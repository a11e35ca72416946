//! Test controls under `/_sandbox` that change the catalog: removing a service (as someone deleting it in
//! Spark's UI would; the ImpEx API itself has no delete).
use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::error::ApiError;
use super::state::SandboxState;

/// `DELETE /_sandbox/tenants/{tenant}/folders/{folder}/services/{service}`: removes the service with all
/// its versions and answers what was removed. The versions' stored files are kept (an export may be
/// reading them).
pub async fn remove_service(
    State(state): State<SandboxState>,
    Path((tenant, folder, service)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let mut inner = state.lock();
    let removed = inner
        .catalog
        .tenants
        .get_mut(&tenant)
        .and_then(|data| data.folders.get_mut(&folder))
        .and_then(|data| data.services.remove(&service))
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "service {folder}/{service} does not exist in tenant '{tenant}'"
            ))
        })?;
    state.save(&inner);
    tracing::info!(%tenant, %folder, %service, "service removed");
    Ok(Json(json!({
        "removed": format!("{folder}/{service}"),
        "service_id": removed.id,
        "version_ids": removed.versions.iter().map(|v| v.id).collect::<Vec<_>>(),
    })))
}
