//! Import and export jobs: their states (`created` → `in_progress` → `completed` | `failed` | `cancelled`
//! over the job duration), one running job per tenant, status JSON, cancellation and the tenant listings.
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};
use uuid::Uuid;

use super::auth::{Caller, authenticate};
use super::compat::{Compat, INVALID_JOB_ID};
use super::error::ApiError;
use super::export::ExportRequest;
use super::fields::{Fields, Text, parse_json};
use super::rules::ImportRequest;
use super::state::{Inner, SandboxState};

/// Import or export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Import,
    Export,
}

impl Kind {
    /// `import` or `export`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Import => "import",
            Kind::Export => "export",
        }
    }
}

/// A job's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Created,
    InProgress,
    Completed,
    Failed,
    Cancelled,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }
}

/// What a job does at completion.
#[derive(Debug)]
pub enum Work {
    /// Import the uploaded package (a file in the uploads directory).
    Import {
        request: ImportRequest,
        package: PathBuf,
    },
    /// Export the selection.
    Export { request: ExportRequest },
}

/// A job.
#[derive(Debug)]
pub struct Job {
    pub id: Uuid,
    pub kind: Kind,
    pub tenant: String,
    pub created_by: String,
    pub created: SystemTime,
    pub updated: SystemTime,
    pub finished: Option<SystemTime>,
    pub status: Status,
    pub source_system: Option<String>,
    pub correlation_id: Option<String>,
    /// `http://host:port` as the caller reached the sandbox, for `status_url` and download URLs.
    pub origin: String,
    pub outputs: Value,
    pub errors: Option<Vec<Value>>,
    forced_failure: Option<String>,
    pub work: Work,
}

fn timestamp(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

/// `http://{Host}` of a request.
pub fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

impl Job {
    /// A new job in state `created`.
    pub fn new(
        kind: Kind,
        caller: &Caller,
        origin: String,
        tags: (Option<String>, Option<String>),
        work: Work,
    ) -> Job {
        let now = SystemTime::now();
        Job {
            id: Uuid::new_v4(),
            kind,
            tenant: caller.tenant.clone(),
            created_by: caller.user.clone(),
            created: now,
            updated: now,
            finished: None,
            status: Status::Created,
            source_system: tags.0,
            correlation_id: tags.1,
            origin,
            outputs: json!({}),
            errors: None,
            forced_failure: None,
            work,
        }
    }

    /// Whether the job is `created` or `in_progress`.
    pub fn is_running(&self) -> bool {
        matches!(self.status, Status::Created | Status::InProgress)
    }

    fn process_time(&self) -> u128 {
        let end = self.finished.unwrap_or_else(SystemTime::now);
        end.duration_since(self.created)
            .unwrap_or_default()
            .as_millis()
    }

    fn status_url(&self) -> String {
        format!(
            "{}/{}/api/v4/{}/{}/status",
            self.origin,
            self.tenant,
            self.kind.as_str(),
            self.id
        )
    }

    /// The answer to the POST that created the job.
    fn created_json(&self, compat: Compat) -> Value {
        match compat {
            Compat::Rich => self.status_json(compat),
            Compat::Spec => json!({
                "id": self.id,
                "object": self.kind.as_str(),
                "status_url": self.status_url(),
            }),
        }
    }

    /// The job status document.
    pub fn status_json(&self, compat: Compat) -> Value {
        let mut status = json!({
            "object": self.kind.as_str(),
            "id": self.id,
            "response_timestamp": timestamp(SystemTime::now()),
            "status": self.status.as_str(),
            "status_url": self.status_url(),
            "process_time": self.process_time(),
            "outputs": self.outputs,
            "errors": self.errors,
            "warnings": [],
            "source_system": self.source_system,
            "correlation_id": self.correlation_id,
        });
        if compat == Compat::Spec {
            // `errors` is an object, `outputs` always has its lists, there are no `warnings`, and the
            // optional strings are left out rather than null.
            status["errors"] = self.spec_errors();
            for list in ["services", "service_versions"] {
                if status["outputs"].get(list).is_none() {
                    status["outputs"][list] = json!([]);
                }
            }
            let map = status.as_object_mut().expect("an object");
            map.remove("warnings");
            map.retain(|_, value| !value.is_null());
        }
        status
    }

    /// `{}`, or one `{type, code, message}` holding every error of a failed job.
    fn spec_errors(&self) -> Value {
        let Some(errors) = self.errors.as_ref().filter(|e| !e.is_empty()) else {
            return json!({});
        };
        let message = errors
            .iter()
            .filter_map(|e| e["message"].as_str())
            .collect::<Vec<_>>()
            .join("; ");
        json!({
            "type": "invalid_input",
            "code": format!("{}_FAILED", self.kind.as_str().to_uppercase()),
            "message": message,
        })
    }

    /// The entry in the tenant listing (`GET .../import/status`). `correlation_id` and `source_system` are an
    /// emulator extension (real Spark may not return them there), left out in spec mode.
    fn listing_json(&self, compat: Compat) -> Value {
        let mut entry = json!({
            "object": self.kind.as_str(),
            "id": self.id,
            "data": {
                format!("{}_status", self.kind.as_str()): self.status.as_str(),
                "response_timestamp": timestamp(SystemTime::now()),
                "created_by": self.created_by,
                "created_timestamp": timestamp(self.created),
                "updated_timestamp": timestamp(self.updated),
                "process_time": self.process_time(),
                "correlation_id": self.correlation_id,
                "source_system": self.source_system,
            }
        });
        if compat == Compat::Spec {
            let data = entry["data"].as_object_mut().expect("an object");
            data.remove("correlation_id");
            data.remove("source_system");
        }
        entry
    }

    /// The entry in `GET /_sandbox/jobs`.
    pub fn admin_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": self.kind.as_str(),
            "tenant": self.tenant,
            "status": self.status.as_str(),
            "correlation_id": self.correlation_id,
            "created_by": self.created_by,
            "created": timestamp(self.created),
            "finished": self.finished.map(timestamp),
        })
    }
}

impl Inner {
    /// The tenant's running job, if any.
    pub fn running_job(&self, tenant: &str) -> Option<&Job> {
        self.jobs
            .iter()
            .find(|j| j.tenant == tenant && j.is_running())
    }

    /// A job by id.
    pub fn job_mut(&mut self, id: Uuid) -> Option<&mut Job> {
        self.jobs.iter_mut().find(|j| j.id == id)
    }

    /// Ends a running job: `completed` with outputs, or `failed` with errors. Returns false (and changes
    /// nothing) when the job is no longer running, e.g. it was cancelled.
    pub fn finish(&mut self, id: Uuid, result: Result<Value, Vec<String>>) -> bool {
        let now = self.clock.now();
        let Some(job) = self.job_mut(id).filter(|j| j.is_running()) else {
            return false;
        };
        (job.updated, job.finished) = (now, Some(now));
        match result {
            Ok(outputs) => (job.status, job.outputs) = (Status::Completed, outputs),
            Err(errors) => {
                job.status = Status::Failed;
                job.errors = Some(
                    errors
                        .into_iter()
                        .map(|message| json!({ "message": message }))
                        .collect(),
                );
            }
        }
        true
    }
}

/// Creates a job unless the tenant already runs one (409 naming it), and starts its clock.
pub fn start(state: &SandboxState, mut job: Job) -> Result<Value, ApiError> {
    let mut inner = state.lock();
    check_idle(&inner, &job.tenant)?;
    (job.created, job.updated) = (inner.clock.now(), inner.clock.now());
    job.forced_failure = inner.faults.take_job_failure();
    let reply = job.created_json(state.settings().compat);
    let id = job.id;
    tracing::info!(tenant = %job.tenant, job = %id, kind = job.kind.as_str(), "job created");
    inner.jobs.push(job);
    drop(inner);
    tokio::spawn(lifecycle(state.clone(), id));
    Ok(reply)
}

/// 409 if the tenant runs a job.
pub fn check_idle(inner: &Inner, tenant: &str) -> Result<(), ApiError> {
    match inner.running_job(tenant) {
        None => Ok(()),
        Some(job) => Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            format!(
                "another job is running for tenant '{tenant}': {} job {} started by {} (one job at a time per tenant)",
                job.kind.as_str(),
                job.id,
                job.created_by
            ),
        )
        .with("running_job", json!({ "id": job.id, "object": job.kind.as_str(), "created_by": job.created_by }))),
    }
}

async fn lifecycle(state: SandboxState, id: Uuid) {
    let duration = state.settings().job_duration;
    run(&state, id, duration).await;
    let mut inner = state.lock();
    if let Some(Job {
        work: Work::Import { package, .. },
        ..
    }) = inner.job_mut(id)
    {
        let _ = std::fs::remove_file(&*package);
    }
}

async fn run(state: &SandboxState, id: Uuid, duration: Duration) {
    tokio::time::sleep(duration / 2).await;
    let (kind, forced) = {
        let mut inner = state.lock();
        let now = inner.clock.now();
        let Some(job) = inner.job_mut(id).filter(|j| j.status == Status::Created) else {
            return;
        };
        (job.status, job.updated) = (Status::InProgress, now);
        (job.kind, job.forced_failure.take())
    };
    tokio::time::sleep(duration - duration / 2).await;
    if let Some(message) = forced {
        state.lock().finish(id, Err(vec![message]));
        return;
    }
    match kind {
        Kind::Import => super::import::complete(state, id).await,
        Kind::Export => super::export::complete(state, id).await,
    }
}

fn find<'a>(
    inner: &'a mut Inner,
    tenant: &str,
    kind: Kind,
    id: &str,
) -> Result<&'a mut Job, ApiError> {
    let not_found = || {
        ApiError::not_found(format!(
            "no {} job {id} in tenant '{tenant}'",
            kind.as_str()
        ))
        .with_code(INVALID_JOB_ID)
    };
    let id: Uuid = id.parse().map_err(|_| not_found())?;
    inner
        .jobs
        .iter_mut()
        .find(|j| j.id == id && j.tenant == tenant && j.kind == kind)
        .ok_or_else(not_found)
}

/// Import or export as a type, so that one handler serves the routes of both.
pub trait JobKind: Send + Sync + 'static {
    /// The kind.
    const KIND: Kind;
}

/// The import routes.
pub struct Imports;

/// The export routes.
pub struct Exports;

impl JobKind for Imports {
    const KIND: Kind = Kind::Import;
}

impl JobKind for Exports {
    const KIND: Kind = Kind::Export;
}

/// `GET /{tenant}/api/v4/{kind}/{id}/status`.
pub async fn status<K: JobKind>(
    State(state): State<SandboxState>,
    Path((tenant, id)): JobPath,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    authenticate(&state, &headers, &tenant)?;
    let mut inner = state.lock();
    let job = find(&mut inner, &tenant, K::KIND, &id)?;
    Ok(Json(job.status_json(state.settings().compat)))
}

/// `PATCH /{tenant}/api/v4/{kind}/{id}` with `{"{kind}_status": "cancelled"}`. A job that already ended is
/// left as it is; the reply shows its state.
pub async fn cancel<K: JobKind>(
    State(state): State<SandboxState>,
    Path((tenant, id)): JobPath,
    headers: HeaderMap,
    Text(body): Text,
) -> Result<Json<Value>, ApiError> {
    authenticate(&state, &headers, &tenant)?;
    let field = format!("{}_status", K::KIND.as_str());
    let value = parse_json(&body, "body")?;
    let fields = Fields::object(&value, "body", &[field.as_str()])?;
    match fields.opt::<String>(&field)?.as_deref() {
        Some("cancelled") => {}
        _ => {
            return Err(
                ApiError::bad_request(format!("body.{field}: expected \"cancelled\""))
                    .with("field", json!(field)),
            );
        }
    }
    let mut inner = state.lock();
    let now = inner.clock.now();
    let job = find(&mut inner, &tenant, K::KIND, &id)?;
    if job.is_running() {
        (job.status, job.updated, job.finished) = (Status::Cancelled, now, Some(now));
        tracing::info!(tenant = %tenant, job = %job.id, "job cancelled");
    }
    Ok(Json(job.status_json(state.settings().compat)))
}

/// `GET /{tenant}/api/v4/{kind}/status`: running jobs and those that ended within the last hour. Every job
/// of the tenant is listed (the sandbox treats every caller as a supervisor).
pub async fn listing<K: JobKind>(
    State(state): State<SandboxState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let (kind, compat) = (K::KIND, state.settings().compat);
    authenticate(&state, &headers, &tenant)?;
    let inner = state.lock();
    let hour_ago = inner.clock.now() - Duration::from_secs(3600);
    let jobs = || {
        inner
            .jobs
            .iter()
            .filter(|j| j.tenant == tenant && j.kind == kind)
    };
    let running: Vec<Value> = jobs()
        .filter(|j| j.is_running())
        .map(|j| j.listing_json(compat))
        .collect();
    let recent: Vec<Value> = jobs()
        .filter(|j| j.finished.is_some_and(|f| f >= hour_ago))
        .map(|j| j.listing_json(compat))
        .collect();
    let name = kind.as_str();
    Ok(Json(json!({
        format!("in_progress_{name}s"): running,
        format!("recent_{name}s"): recent,
        "tenant": {
            "configuration": { format!("{name}_api_job_limit"): 1 },
            "status": { format!("{name}_api_jobs_in_progress"): running.len() },
        }
    })))
}

/// `GET /_sandbox/jobs`: every job ever created.
pub async fn all(State(state): State<SandboxState>) -> Json<Value> {
    Json(Value::Array(
        state.lock().jobs.iter().map(Job::admin_json).collect(),
    ))
}

/// Path of a job route: `(tenant, id)`.
pub type JobPath = Path<(String, String)>;
