//! Fault injection for tests: `POST /_sandbox/faults` arms faults on named routes, `DELETE /_sandbox/faults`
//! clears them.
//!
//! Body: `{"route": "import_status", "method": "GET", "count": 2, "status": 503, "retry_after": 2}`, or with
//! `"stall_ms": 500` (delay, then answer normally or with `status`), or `"drop": true` (close the connection
//! without any response: the request's task unwinds with `resume_unwind`, which skips the panic hook, so
//! the server drops the socket), or `"drop_response": true` (handle the request, then close the connection
//! instead of answering: the work is done but the client cannot know), or `{"fail_next_job": "message"}`
//! (the next job created fails with it).
//!
//! Route names: see [`ROUTES`]; `*` matches every API route. `count` defaults to 1.
use std::collections::VecDeque;
use std::time::Duration;

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error::ApiError;
use super::fields::{Fields, Text};
use super::state::SandboxState;

/// The names of the routes that faults can target, with their method and path.
pub const ROUTES: &[(&str, &str, &str)] = &[
    (
        "token",
        "POST",
        "/auth/realms/{tenant}/protocol/openid-connect/token",
    ),
    ("import", "POST", "/{tenant}/api/v4/import"),
    (
        "import_status",
        "GET",
        "/{tenant}/api/v4/import/{job}/status",
    ),
    ("import_cancel", "PATCH", "/{tenant}/api/v4/import/{job}"),
    ("imports", "GET", "/{tenant}/api/v4/import/status"),
    ("export", "POST", "/{tenant}/api/v4/export"),
    (
        "export_status",
        "GET",
        "/{tenant}/api/v4/export/{job}/status",
    ),
    ("export_cancel", "PATCH", "/{tenant}/api/v4/export/{job}"),
    ("exports", "GET", "/{tenant}/api/v4/export/status"),
    (
        "download",
        "GET",
        "/docstore/api/v1/documents/versions/tokens/{token}/package.zip",
    ),
    (
        "exists",
        "GET",
        "/{tenant}/api/v3/folders/{folder}/services/{service}/exists",
    ),
    (
        "isproductexists",
        "POST",
        "/api/v1/product/isproductexists/{folder}",
    ),
    (
        "getversions",
        "GET",
        "/api/v1/product/{folder}/engines/getversions/{service}",
    ),
    (
        "execute_v3",
        "POST",
        "/{tenant}/api/v3/folders/{folder}/services/{service}/execute",
    ),
    (
        "execute_v3_version",
        "POST",
        "/{tenant}/api/v3/version/{id}",
    ),
    (
        "execute_v3_service",
        "POST",
        "/{tenant}/api/v3/service/{id}",
    ),
    ("execute_v4", "POST", "/{tenant}/api/v4/execute"),
];

/// The path of a named route.
pub fn path(name: &str) -> &'static str {
    ROUTES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, p)| *p)
        .expect("a known route name")
}

/// The name of the route with this method and matched path.
pub fn route_name(method: &Method, path: &str) -> Option<&'static str> {
    ROUTES
        .iter()
        .find(|(_, m, p)| *m == method.as_str() && *p == path)
        .map(|(n, _, _)| *n)
}

/// An armed fault.
#[derive(Debug, Clone)]
struct Fault {
    route: String,
    method: Option<Method>,
    remaining: u32,
    status: Option<StatusCode>,
    retry_after: Option<u64>,
    stall: Option<Duration>,
    drop: bool,
    drop_response: bool,
}

/// The armed faults.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Vec<Fault>,
    fail_next_job: VecDeque<String>,
}

impl Faults {
    fn take(&mut self, route: &str, method: &Method) -> Option<Fault> {
        let index = self.rules.iter().position(|f| {
            (f.route == "*" || f.route == route)
                && f.method.as_ref().is_none_or(|m| m == method)
                && f.remaining > 0
        })?;
        let rule = &mut self.rules[index];
        rule.remaining -= 1;
        let fault = rule.clone();
        if rule.remaining == 0 {
            self.rules.remove(index);
        }
        Some(fault)
    }

    /// The failure message for the next job, if one was armed.
    pub fn take_job_failure(&mut self) -> Option<String> {
        self.fail_next_job.pop_front()
    }
}

/// `POST /_sandbox/faults`.
pub async fn arm(
    State(state): State<SandboxState>,
    Text(body): Text,
) -> Result<Json<Value>, ApiError> {
    let value = super::fields::parse_json(&body, "fault")?;
    let fields = Fields::object(
        &value,
        "fault",
        &[
            "route",
            "method",
            "count",
            "status",
            "retry_after",
            "stall_ms",
            "drop",
            "drop_response",
            "fail_next_job",
        ],
    )?;
    let mut armed = Vec::new();
    if let Some(message) = fields.opt::<String>("fail_next_job")? {
        state.lock().faults.fail_next_job.push_back(message);
        armed.push("fail_next_job");
    }
    if let Some(route) = fields.opt::<String>("route")? {
        if route != "*" && !ROUTES.iter().any(|(n, _, _)| *n == route) {
            let names: Vec<_> = ROUTES.iter().map(|(n, _, _)| *n).collect();
            return Err(ApiError::bad_request(format!(
                "fault.route: unknown route '{route}', expected * or one of {}",
                names.join(", ")
            )));
        }
        let method = fields
            .opt::<String>("method")?
            .map(|m| m.to_uppercase().parse::<Method>())
            .transpose()
            .map_err(|_| ApiError::bad_request("fault.method: invalid HTTP method"))?;
        let status = fields
            .opt::<u16>("status")?
            .map(StatusCode::from_u16)
            .transpose()
            .map_err(|_| ApiError::bad_request("fault.status: invalid HTTP status"))?;
        let fault = Fault {
            route,
            method,
            remaining: bounded(&fields, "count", MAX_COUNT)?.unwrap_or(1),
            status,
            retry_after: bounded(&fields, "retry_after", MAX_RETRY_AFTER_SECONDS)?,
            stall: bounded(&fields, "stall_ms", MAX_STALL_MS)?.map(Duration::from_millis),
            drop: fields.opt("drop")?.unwrap_or(false),
            drop_response: fields.opt("drop_response")?.unwrap_or(false),
        };
        if fault.status.is_none() && fault.stall.is_none() && !fault.drop && !fault.drop_response {
            return Err(ApiError::bad_request(
                "fault: give status, stall_ms, drop or drop_response",
            ));
        }
        state.lock().faults.rules.push(fault);
        armed.push("route");
    }
    if armed.is_empty() {
        return Err(ApiError::bad_request(
            "fault: give route (with status, stall_ms, drop or drop_response) or fail_next_job",
        ));
    }
    Ok(Json(json!({ "armed": armed })))
}

/// The most times one fault fires.
const MAX_COUNT: u64 = 100_000;
/// The longest `Retry-After` a fault sends: a day.
const MAX_RETRY_AFTER_SECONDS: u64 = 24 * 3600;
/// The longest stall: ten minutes.
const MAX_STALL_MS: u64 = 10 * 60 * 1000;

/// An optional number field of a fault, at most `max`.
fn bounded<T: TryFrom<u64>>(fields: &Fields, key: &str, max: u64) -> Result<Option<T>, ApiError> {
    match fields.opt::<u64>(key)? {
        Some(value) if value <= max => Ok(T::try_from(value).ok()),
        Some(_) => Err(ApiError::bad_request(format!(
            "fault.{key}: expected a number from 0 to {max}"
        ))),
        None => Ok(None),
    }
}

/// `DELETE /_sandbox/faults`.
pub async fn clear(State(state): State<SandboxState>) -> StatusCode {
    state.lock().faults = Faults::default();
    StatusCode::NO_CONTENT
}

/// Middleware on the API routes: applies an armed fault that matches the request.
pub async fn inject(State(state): State<SandboxState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .and_then(|path| route_name(request.method(), path.as_str()));
    let fault = route.and_then(|route| state.lock().faults.take(route, request.method()));
    let Some(fault) = fault else {
        return next.run(request).await;
    };
    tracing::debug!(route = route.unwrap_or_default(), "injecting fault");
    if let Some(stall) = fault.stall {
        tokio::time::sleep(stall).await;
    }
    if fault.drop_response {
        let _handled = next.run(request).await;
        std::panic::resume_unwind(Box::new("sandbox fault: drop the response"));
    }
    if fault.drop {
        std::panic::resume_unwind(Box::new("sandbox fault: drop the connection"));
    }
    let Some(status) = fault.status else {
        return next.run(request).await;
    };
    // Read the request to its end first (streamed, not kept), as a server behind a proxy does: answering in
    // the middle of an upload would reset the connection, and the client would see a transport error
    // instead of the injected status.
    let mut body = request.into_body().into_data_stream();
    while let Some(Ok(_)) = futures_util::StreamExt::next(&mut body).await {}
    let mut response = ApiError::new(
        status,
        format!("injected fault on route {}", route.unwrap_or_default()),
    )
    .into_response();
    if let Some(seconds) = fault.retry_after {
        let value = HeaderValue::from(seconds);
        response.headers_mut().insert("retry-after", value.clone());
        response.headers_mut().insert("x-retry-after", value);
    }
    response
}
