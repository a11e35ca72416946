//! Test controls under `/_sandbox` that change the catalog: removing a service (as someone deleting it in
//! Spark's UI would; the ImpEx API itself has no delete); and the guard of every admin route.
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
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

/// The guard of the admin routes, which have no authentication (the sandbox is for loopback use): a web
/// page the user visits must not reach them. A CORS preflight is refused (so a browser sends no cross-site
/// `DELETE` or JSON `POST`), and a body must be `application/json` (which a cross-site form cannot send).
pub async fn json_only(request: Request, next: Next) -> Response {
    if request.method() == Method::OPTIONS {
        return ApiError::forbidden("the sandbox's admin routes answer no cross-origin request")
            .into_response();
    }
    let json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
    if request.method() == Method::POST && !json {
        return ApiError::bad_request(
            "the sandbox's admin routes take JSON bodies only (content-type: application/json)",
        )
        .into_response();
    }
    next.run(request).await
}
