//! Which answer shapes the sandbox speaks: its richer defaults, or exactly those of Coherent's published
//! OpenAPI file (`--compat spec`).
//!
//! In spec mode: the POSTs that create jobs answer `{id, object, status_url}` only; a job status carries
//! `errors: {}` on success and one `{type, code, message}` on failure, and no `warnings`; the tenant
//! listings carry no `correlation_id` / `source_system`; errors are `{type, code, message}`, with an upload
//! over the limit and a bad ZIP answered 500 `EXCEEDED_FILE_SIZE` / `INVALID_IMPORT_ZIP`, an unknown job id
//! 500 `INVALID_JOB_ID`, and missing or bad credentials 401 `{status: "Error", errorCode: "INVALID_TOKEN"}`.
use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::ApiError;
use super::state::SandboxState;

/// The answer shapes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Compat {
    /// The sandbox's defaults: job answers with every field, errors as `{status, error, message, ...}`,
    /// listings with correlation ids, 413 for an upload over the limit, 404 for an unknown job.
    #[default]
    Rich,
    /// Exactly the shapes of Coherent's published OpenAPI file.
    Spec,
}

/// An unknown job id.
pub const INVALID_JOB_ID: &str = "INVALID_JOB_ID";
/// An upload over the limit.
pub const EXCEEDED_FILE_SIZE: &str = "EXCEEDED_FILE_SIZE";
/// An upload that is not a package the sandbox can read.
pub const INVALID_IMPORT_ZIP: &str = "INVALID_IMPORT_ZIP";

/// Middleware: in spec mode, every error answer is rendered in the spec's shape.
pub async fn render_errors(
    State(state): State<SandboxState>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    if state.settings().compat != Compat::Spec {
        return response;
    }
    match response.extensions().get::<ApiError>() {
        Some(error) => spec_error(error),
        None => response,
    }
}

/// An error as the OpenAPI file documents it.
fn spec_error(error: &ApiError) -> Response {
    if error.status == StatusCode::UNAUTHORIZED {
        let mut response = (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "status": "Error", "errorCode": "INVALID_TOKEN" })),
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    let code = match (error.code, error.status) {
        (Some(code), _) => code.to_owned(),
        (None, StatusCode::PAYLOAD_TOO_LARGE) => EXCEEDED_FILE_SIZE.to_owned(),
        (None, status) => status
            .canonical_reason()
            .unwrap_or("ERROR")
            .to_uppercase()
            .replace([' ', '-'], "_"),
    };
    let (status, message, kind) = match code.as_str() {
        INVALID_JOB_ID => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Please Provide valid job id",
            "invalid_input",
        ),
        EXCEEDED_FILE_SIZE | INVALID_IMPORT_ZIP => (
            StatusCode::INTERNAL_SERVER_ERROR,
            error.message.as_str(),
            "invalid_input",
        ),
        _ if error.status.is_client_error() => {
            (error.status, error.message.as_str(), "invalid_input")
        }
        _ => (error.status, error.message.as_str(), "server_error"),
    };
    (
        status,
        Json(json!({ "type": kind, "code": code, "message": message })),
    )
        .into_response()
}
