//! The Execute API: v3 one-record calls (`/{tenant}/api/v3/folders/{folder}/services/{service}/execute`,
//! `/{tenant}/api/v3/version/{version_id}`, `/{tenant}/api/v3/service/{service_id}`) and v4 batches
//! (`POST /{tenant}/api/v4/execute`). A version computes what its content says (see `program`); input
//! validation failures and formula errors are per-record `errors` with HTTP 200; an unknown version or
//! service is 404 `SERVICE_NOT_FOUND`; an API key without `Spark.SyncBatch.json` (or
//! `Spark.AllEncompassingProxy.json`) is refused v4 with 403. The `/public/` forms are not emulated.
mod answer;
mod control;
mod program;
mod request;

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Map, Value};
use uuid::Uuid;

pub use control::{Wrong, clear as clear_wrong, mark as mark_wrong};
pub use program::{Program, seeded_content};

use super::auth::authenticate;
use super::catalog::TenantData;
use super::error::ApiError;
use super::fields::Text;
use super::semver::SemVer;
use super::state::SandboxState;
use request::{Locator, V3Request, V4Request};

/// The feature permission an API key needs for v4 batches.
pub const SYNC_BATCH: &str = "Spark.SyncBatch.json";
/// The permission that includes every other.
pub const ALL_ENCOMPASSING: &str = "Spark.AllEncompassingProxy.json";
/// The most records one v4 call may carry (a request over it is refused, as a call over 55 s would be).
pub const MAX_BATCH_RECORDS: usize = 10_000;

/// The version a call runs.
#[derive(Debug, Clone)]
pub struct Target {
    pub folder: String,
    pub service: String,
    pub service_id: Uuid,
    pub version: SemVer,
    pub version_id: Uuid,
    blob: Option<String>,
}

/// `POST /{tenant}/api/v3/folders/{folder}/services/{service}/execute`.
pub async fn v3_uri(
    State(state): State<SandboxState>,
    Path((tenant, folder, service)): Path<(String, String, String)>,
    headers: HeaderMap,
    Text(body): Text,
) -> Result<Json<Value>, ApiError> {
    let path = Locator::Uri {
        folder,
        service,
        version: None,
    };
    v3(&state, &headers, &tenant, &body, path).await
}

/// `POST /{tenant}/api/v3/version/{version_id}`.
pub async fn v3_version(
    State(state): State<SandboxState>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    Text(body): Text,
) -> Result<Json<Value>, ApiError> {
    v3(&state, &headers, &tenant, &body, Locator::VersionId(id)).await
}

/// `POST /{tenant}/api/v3/service/{service_id}`.
pub async fn v3_service(
    State(state): State<SandboxState>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    Text(body): Text,
) -> Result<Json<Value>, ApiError> {
    v3(
        &state,
        &headers,
        &tenant,
        &body,
        Locator::ServiceId(id, None),
    )
    .await
}

async fn v3(
    state: &SandboxState,
    headers: &HeaderMap,
    tenant: &str,
    body: &str,
    path: Locator,
) -> Result<Json<Value>, ApiError> {
    authenticate(state, headers, tenant)?;
    let request = V3Request::parse(body)?;
    let target = find(state, tenant, &request.locator(path))?;
    let program = program(state, tenant, &target).await?;
    let call = call_of(state, &target, &program, request.correlation_id.clone());
    let wrong = is_wrong(state, tenant, &target);
    let (outcome, millis) = run(
        &program,
        &request.inputs,
        wrong,
        request.requested.as_deref(),
    );
    Ok(Json(answer::v3(&call, outcome, millis)))
}

/// `POST /{tenant}/api/v4/execute`.
pub async fn v4(
    State(state): State<SandboxState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    Text(body): Text,
) -> Result<Json<Value>, ApiError> {
    let caller = authenticate(&state, &headers, &tenant)?;
    caller.require(&[SYNC_BATCH, ALL_ENCOMPASSING], "v4 execute")?;
    let request = V4Request::parse(&body)?;
    if request.records.len() > MAX_BATCH_RECORDS {
        return Err(ApiError::bad_request(format!(
            "inputs: {} records, more than the {MAX_BATCH_RECORDS} one call may carry",
            request.records.len()
        )));
    }
    let target = find(&state, &tenant, &request.locator)?;
    let program = program(&state, &tenant, &target).await?;
    let wrong = is_wrong(&state, &tenant, &target);
    let outcomes = request
        .records
        .iter()
        .enumerate()
        .map(|(index, record)| match record {
            Value::Object(inputs) => run(&program, inputs, wrong, request.requested.as_deref()),
            _ => (not_a_record(index), 0.0),
        })
        .collect();
    let call = call_of(&state, &target, &program, request.correlation_id.clone());
    Ok(Json(answer::v4(&call, outcomes)))
}

fn call_of<'a>(
    state: &SandboxState,
    target: &'a Target,
    program: &'a Program,
    correlation_id: Option<String>,
) -> answer::Call<'a> {
    answer::Call {
        compat: state.settings().compat,
        target,
        source_hash: &program.hash,
        model: program.kind(),
        correlation_id,
    }
}

fn not_a_record(index: usize) -> program::Outcome {
    program::Outcome {
        errors: vec![program::error_item(
            "Validation",
            "InvalidInput",
            &format!("inputs[{index}]"),
            format!("inputs[{index}]: expected an object of inputs"),
        )],
        ..program::Outcome::default()
    }
}

/// Runs one record: its outcome (wrong when marked so, only the requested outputs) and milliseconds.
fn run(
    program: &Program,
    inputs: &Map<String, Value>,
    wrong: bool,
    requested: Option<&[String]>,
) -> (program::Outcome, f64) {
    let started = Instant::now();
    let mut outcome = program.run(inputs);
    if wrong {
        outcome.outputs.values_mut().for_each(control::skew);
    }
    outcome.outputs = answer::select(outcome.outputs, requested);
    (outcome, started.elapsed().as_secs_f64() * 1000.0)
}

fn is_wrong(state: &SandboxState, tenant: &str, target: &Target) -> bool {
    state.lock().wrong.iter().any(|w| w.covers(tenant, target))
}

fn not_found() -> ApiError {
    ApiError::not_found("service could not be found").with_code("SERVICE_NOT_FOUND")
}

/// The version a locator names in the tenant.
fn find(state: &SandboxState, tenant: &str, locator: &Locator) -> Result<Target, ApiError> {
    let inner = state.lock();
    let data = inner.catalog.tenants.get(tenant).ok_or_else(not_found)?;
    resolve(data, locator).ok_or_else(not_found)
}

fn resolve(data: &TenantData, locator: &Locator) -> Option<Target> {
    let mut services = data.services();
    let (folder, name, service, version) = match locator {
        Locator::VersionId(id) => services.find_map(|(folder, name, service)| {
            let version = service.versions.iter().find(|v| v.id.to_string() == *id)?;
            Some((folder, name, service, version))
        })?,
        Locator::ServiceId(id, wanted) => {
            let (folder, name, service) =
                services.find(|(_, _, service)| service.id.to_string() == *id)?;
            (folder, name, service, pick(service, wanted.as_deref())?)
        }
        Locator::Uri {
            folder,
            service,
            version,
        } => {
            let found = data.service(folder, service)?;
            (
                folder.as_str(),
                service.as_str(),
                found,
                pick(found, version.as_deref())?,
            )
        }
    };
    Some(Target {
        folder: folder.to_owned(),
        service: name.to_owned(),
        service_id: service.id,
        version: version.version,
        version_id: version.id,
        blob: version.blob.clone(),
    })
}

/// The latest version matching a version prefix, or the latest of all.
fn pick<'a>(
    service: &'a super::catalog::Service,
    wanted: Option<&str>,
) -> Option<&'a super::catalog::Version> {
    service
        .versions
        .iter()
        .filter(|v| wanted.is_none_or(|w| v.version.matches_prefix(w)))
        .max_by_key(|v| v.version)
}

/// The program of a target, from the cache or computed from its content (stored file or seed).
async fn program(
    state: &SandboxState,
    tenant: &str,
    target: &Target,
) -> Result<Arc<Program>, ApiError> {
    let key = match &target.blob {
        Some(blob) => blob.clone(),
        None => format!(
            "seeded:{tenant}/{}/{}/{}",
            target.folder, target.service, target.version
        ),
    };
    if let Some(program) = state.lock().programs.get(&key) {
        return Ok(program.clone());
    }
    let program = match &target.blob {
        Some(blob) => {
            let path = state.blobs_dir().join(blob);
            tokio::task::spawn_blocking(move || Program::from_file(&path))
                .await
                .map_err(|e| {
                    ApiError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
                })?
                .map_err(|e| {
                    ApiError::new(
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                        format!("failed to read the version's content: {e}"),
                    )
                })?
        }
        None => {
            let model = state
                .seed()
                .model(tenant, &target.folder, &target.service, target.version);
            let content = seeded_content(&target.folder, &target.service, target.version, model);
            Program::from_bytes(content.as_bytes())
        }
    };
    let program = Arc::new(program);
    state.lock().programs.insert(key, program.clone());
    Ok(program)
}
