//! Request counters for benchmarks: every call to an API route is counted by route name (see
//! [`super::faults::ROUTES`]) and tenant. `GET /_sandbox/stats` reads them, `DELETE /_sandbox/stats` resets
//! them. Admin routes are not counted.
//!
//! The tenant is the `{tenant}` path parameter, else the `x-tenant-name` header (v1 routes), else empty (the
//! pre-signed download).
use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{MatchedPath, RawPathParams, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Value, json};

use super::auth::TENANT_HEADER;
use super::faults::route_name;
use super::state::SandboxState;

/// Calls per `(route, tenant)`, in name order.
#[derive(Debug, Default)]
pub struct Stats {
    calls: BTreeMap<(&'static str, String), u64>,
}

impl Stats {
    fn count(&mut self, route: &'static str, tenant: String) {
        *self.calls.entry((route, tenant)).or_default() += 1;
    }

    fn to_json(&self) -> Value {
        let requests: Vec<Value> = self
            .calls
            .iter()
            .map(|((route, tenant), count)| {
                json!({ "route": route, "tenant": tenant, "count": count })
            })
            .collect();
        json!({ "total": self.calls.values().sum::<u64>(), "requests": requests })
    }
}

/// Middleware on the API routes: counts the request before anything else (an injected fault included).
pub async fn count(
    State(state): State<SandboxState>,
    params: Result<RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .and_then(|path| route_name(request.method(), path.as_str()));
    if let Some(route) = route {
        let from_path = params.ok().and_then(|params| {
            params
                .iter()
                .find(|(name, _)| *name == "tenant")
                .map(|(_, value)| value.to_owned())
        });
        let tenant = from_path
            .or_else(|| {
                request
                    .headers()
                    .get(TENANT_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        state.lock().stats.count(route, tenant);
    }
    next.run(request).await
}

/// `GET /_sandbox/stats`: `{"total": N, "requests": [{"route", "tenant", "count"}, ...]}`.
pub async fn report(State(state): State<SandboxState>) -> Json<Value> {
    Json(state.lock().stats.to_json())
}

/// `DELETE /_sandbox/stats`: resets the counters.
pub async fn reset(State(state): State<SandboxState>) -> StatusCode {
    state.lock().stats = Stats::default();
    StatusCode::NO_CONTENT
}
