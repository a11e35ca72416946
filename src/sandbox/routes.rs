//! The router: API routes (with fault injection), admin routes under `/_sandbox` (no auth: the sandbox is
//! meant for loopback use), and the request-id middleware (echoes `x-request-id`, or makes one, and logs
//! each request at debug).
use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::HeaderValue;
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::Response;
use axum::routing::{delete, get, patch, post};
use serde_json::Value;

use super::error::ApiError;
use super::faults::{self, path};
use super::jobs::{Exports, Imports};
use super::state::SandboxState;
use super::{admin, auth, clock, compat, execute, export, import, jobs, reads, stats};

/// The largest v4 execute body (a batch of records).
const EXECUTE_BODY_LIMIT: usize = 32 << 20;

/// The sandbox's HTTP routes over `state`.
pub fn router(state: SandboxState) -> Router {
    let api = Router::new()
        .route(path("token"), post(auth::token))
        .route(
            path("import"),
            post(import::post).layer(DefaultBodyLimit::max(upload_limit(&state))),
        )
        .route(path("import_status"), get(jobs::status::<Imports>))
        .route(path("import_cancel"), patch(jobs::cancel::<Imports>))
        .route(path("imports"), get(jobs::listing::<Imports>))
        .route(path("export"), post(export::post))
        .route(path("export_status"), get(jobs::status::<Exports>))
        .route(path("export_cancel"), patch(jobs::cancel::<Exports>))
        .route(path("exports"), get(jobs::listing::<Exports>))
        .route(path("download"), get(export::download))
        .route(path("exists"), get(reads::exists))
        .route(path("isproductexists"), post(reads::is_product_exists))
        .route(path("getversions"), get(reads::get_versions))
        .route(path("execute_v3"), post(execute::v3_uri))
        .route(path("execute_v3_version"), post(execute::v3_version))
        .route(path("execute_v3_service"), post(execute::v3_service))
        .route(
            path("execute_v4"),
            post(execute::v4).layer(DefaultBodyLimit::max(EXECUTE_BODY_LIMIT)),
        )
        .route_layer(from_fn_with_state(state.clone(), faults::inject))
        .route_layer(from_fn_with_state(state.clone(), compat::render_errors))
        .route_layer(from_fn_with_state(state.clone(), stats::count));
    let admin = Router::new()
        .route("/_sandbox/faults", post(faults::arm).delete(faults::clear))
        .route("/_sandbox/jobs", get(jobs::all))
        .route("/_sandbox/stats", get(stats::report).delete(stats::reset))
        .route("/_sandbox/state", get(catalog))
        .route("/_sandbox/clock", post(clock::advance))
        .route(
            "/_sandbox/execute/wrong",
            post(execute::mark_wrong).delete(execute::clear_wrong),
        )
        .route(
            "/_sandbox/tenants/{tenant}/folders/{folder}/services/{service}",
            delete(admin::remove_service),
        )
        .layer(from_fn(admin::json_only));
    api.merge(admin)
        .fallback(|| async { ApiError::not_found("no such route in the sandbox") })
        .layer(from_fn(request_id))
        .with_state(state)
}

/// The most an import request body may hold: the package limit and room for the rest of the form.
fn upload_limit(state: &SandboxState) -> usize {
    let bytes = state.settings().max_upload_bytes + import::FRAMING_SLACK;
    usize::try_from(bytes).unwrap_or(usize::MAX)
}

/// `GET /_sandbox/state`: every tenant's folders, services and versions.
async fn catalog(State(state): State<SandboxState>) -> Json<Value> {
    Json(serde_json::to_value(&state.lock().catalog).unwrap_or_default())
}

async fn request_id(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get("x-request-id")
        .cloned()
        .unwrap_or_else(|| {
            HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
                .expect("a uuid is a header value")
        });
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let mut response = next.run(request).await;
    tracing::debug!(%method, %path, status = response.status().as_u16(), request_id = id.to_str().unwrap_or_default(), "sandbox request");
    response.headers_mut().insert("x-request-id", id);
    response
}
