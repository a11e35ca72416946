//! Import and export jobs: their status, outputs, and the tenant's job lists.
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::client::{Call, CallBody};
use super::error::display_url;
use super::wire::{JobMessage, lenient_millis, messages, null_as_default, open_enum};
use super::{Client, Error, Operation};

open_enum! {
    /// The state of an import or export job.
    pub enum JobState {
        Created = "created",
        InProgress = "in_progress",
        Completed = "completed",
        Closed = "closed",
        Cancelled = "cancelled",
        Failed = "failed",
        ClosedByTimeout = "closed_by_timeout",
        CompletedByTimeout = "completed_by_timeout",
    }
}

impl JobState {
    /// True when the job will not change any more. Unknown states are not terminal: keep polling.
    pub fn is_terminal(&self) -> bool {
        !matches!(self, Self::Created | Self::InProgress | Self::Other(_))
    }

    /// True for the states that mean success when the job has no errors (`completed`, `closed`).
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Completed | Self::Closed)
    }
}

open_enum! {
    /// What an import did to a service or a service version.
    pub enum ItemStatus {
        Added = "added",
        Replaced = "replaced",
        Updated = "updated",
    }
}

/// A job as returned when it is created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    #[serde(default)]
    pub object: Option<String>,
    #[serde(default)]
    pub status: Option<JobState>,
    #[serde(default)]
    pub status_url: Option<String>,
    #[serde(default)]
    pub correlation_id: Option<String>,
}

/// The status of an import or export job (`GET .../{jobId}/status`, and the reply of a cancel).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobStatus {
    /// The job id (empty if a reply left it out).
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub object: Option<String>,
    pub status: JobState,
    #[serde(default)]
    pub status_url: Option<String>,
    /// Milliseconds.
    #[serde(default, deserialize_with = "lenient_millis")]
    pub process_time: Option<u64>,
    #[serde(default)]
    pub response_timestamp: Option<String>,
    #[serde(default)]
    pub source_system: Option<String>,
    #[serde(default)]
    pub correlation_id: Option<String>,
    #[serde(default, deserialize_with = "messages")]
    pub errors: Vec<JobMessage>,
    #[serde(default, deserialize_with = "messages")]
    pub warnings: Vec<JobMessage>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub outputs: Outputs,
}

impl JobStatus {
    /// Completed or closed, with no errors.
    pub fn succeeded(&self) -> bool {
        self.status.is_success() && self.errors.is_empty()
    }
}

/// What a job produced: the export's files, and the services and versions exported or imported.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Outputs {
    #[serde(default, deserialize_with = "null_as_default")]
    pub files: Vec<OutputFile>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub services: Vec<ServiceOutput>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub service_versions: Vec<ServiceVersionOutput>,
}

/// An exported package: a pre-signed download URL and its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputFile {
    pub file: String,
    #[serde(default)]
    pub file_hash: Option<String>,
}

impl OutputFile {
    /// The download URL as it may be shown: its host and file name only (its path carries an access token).
    pub fn shown_url(&self) -> String {
        match url::Url::parse(&self.file) {
            Ok(url) => display_url(&url, true),
            Err(_) => "(not a URL)".to_string(),
        }
    }
}

/// A service of an export or import (the destination fields and status come with imports only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceOutput {
    /// `{folder}/{service}` in the source.
    pub service_uri_source: String,
    pub folder_source: Option<String>,
    pub service_source: Option<String>,
    pub service_id_source: Option<String>,
    pub service_uri_destination: Option<String>,
    pub folder_destination: Option<String>,
    pub service_destination: Option<String>,
    pub service_id_destination: Option<String>,
    pub status: Option<ItemStatus>,
}

/// A service version of an export or import.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceVersionOutput {
    /// `{folder}/{service}[{version}]` in the source.
    pub service_uri_source: String,
    pub folder_source: Option<String>,
    pub service_source: Option<String>,
    pub version_source: Option<String>,
    pub service_id_source: Option<String>,
    pub version_id_source: Option<String>,
    pub service_uri_destination: Option<String>,
    pub folder_destination: Option<String>,
    pub service_destination: Option<String>,
    pub version_destination: Option<String>,
    pub service_id_destination: Option<String>,
    pub version_id_destination: Option<String>,
    pub status: Option<ItemStatus>,
}

/// The tenant's jobs of one kind: in progress, and recent (the last hour). A user who is not a supervisor
/// sees only their own.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TenantJobs {
    #[serde(
        default,
        alias = "in_progress_imports",
        alias = "in_progress_exports",
        deserialize_with = "null_as_default"
    )]
    pub in_progress: Vec<TenantJob>,
    #[serde(
        default,
        alias = "recent_imports",
        alias = "recent_exports",
        deserialize_with = "null_as_default"
    )]
    pub recent: Vec<TenantJob>,
    #[serde(default)]
    pub tenant: Option<TenantInfo>,
}

/// One entry of a tenant's job list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantJob {
    pub id: String,
    #[serde(default)]
    pub object: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub data: TenantJobData,
}

/// The details of a listed job. Real Spark may leave out the correlation id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TenantJobData {
    #[serde(alias = "import_status", alias = "export_status")]
    pub status: Option<JobState>,
    pub created_by: Option<String>,
    pub created_timestamp: Option<String>,
    pub updated_timestamp: Option<String>,
    pub correlation_id: Option<String>,
    pub source_system: Option<String>,
    #[serde(deserialize_with = "lenient_millis")]
    pub process_time: Option<u64>,
}

/// The tenant's job limit and how many jobs run now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TenantInfo {
    #[serde(deserialize_with = "null_as_default")]
    pub configuration: TenantLimits,
    #[serde(deserialize_with = "null_as_default")]
    pub status: TenantActivity,
}

/// `tenant.configuration`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TenantLimits {
    #[serde(alias = "import_api_job_limit", alias = "export_api_job_limit")]
    pub job_limit: Option<u32>,
}

/// `tenant.status`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TenantActivity {
    #[serde(
        alias = "import_api_jobs_in_progress",
        alias = "export_api_jobs_in_progress"
    )]
    pub jobs_in_progress: Option<u32>,
}

/// Imports and exports have the same status, cancel and list calls under different names.
#[derive(Debug, Clone, Copy)]
pub(crate) enum JobKind {
    Import,
    Export,
}

impl JobKind {
    fn segment(self) -> &'static str {
        match self {
            Self::Import => "import",
            Self::Export => "export",
        }
    }

    fn ops(self) -> [Operation; 3] {
        match self {
            Self::Import => [
                Operation::ImportStatus,
                Operation::CancelImport,
                Operation::ImportJobs,
            ],
            Self::Export => [
                Operation::ExportStatus,
                Operation::CancelExport,
                Operation::ExportJobs,
            ],
        }
    }
}

impl Client {
    /// `GET /{tenant}/api/v4/{kind}/{job_id}/status`.
    pub(crate) async fn job_status(&self, kind: JobKind, job_id: &str) -> Result<JobStatus, Error> {
        let url = self.tenant_url(&["api", "v4", kind.segment(), job_id, "status"]);
        self.call_json(Call::retried(kind.ops()[0], Method::GET, url))
            .await
    }

    /// `PATCH /{tenant}/api/v4/{kind}/{job_id}` with `{"{kind}_status":"cancelled"}`; idempotent, so retried.
    pub(crate) async fn cancel_job(&self, kind: JobKind, job_id: &str) -> Result<JobStatus, Error> {
        let url = self.tenant_url(&["api", "v4", kind.segment(), job_id]);
        let body = serde_json::json!({ format!("{}_status", kind.segment()): "cancelled" });
        let mut call = Call::retried(kind.ops()[1], Method::PATCH, url);
        call.body = CallBody::Json(body.to_string().into_bytes());
        self.call_json(call).await
    }

    /// `GET /{tenant}/api/v4/{kind}/status`.
    pub(crate) async fn tenant_jobs(&self, kind: JobKind) -> Result<TenantJobs, Error> {
        let url = self.tenant_url(&["api", "v4", kind.segment(), "status"]);
        self.call_json(Call::retried(kind.ops()[2], Method::GET, url))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_decode_and_unknown_ones_are_kept() {
        let state = |s: &str| JobState::from(s);
        assert_eq!(state("in_progress"), JobState::InProgress);
        assert_eq!(state("CLOSED_BY_TIMEOUT"), JobState::ClosedByTimeout);
        assert_eq!(state("paused"), JobState::Other("paused".into()));
        assert!(state("failed").is_terminal() && !state("failed").is_success());
        assert!(!state("paused").is_terminal());
        assert!(state("closed").is_success());
    }

    #[test]
    fn a_completed_job_succeeds_unless_its_errors_hold_something() {
        let cases = [
            (r#""status":"completed""#, true),
            (r#""status":"completed","errors":null"#, true),
            (r#""status":"completed","errors":{}"#, true),
            (r#""status":"closed","errors":[]"#, true),
            (
                r#""status":"completed","errors":{"services":[]},"warnings":{}"#,
                true,
            ),
            (r#""status":"completed","errors":"boom""#, false),
            (
                r#""status":"completed","errors":{"type":"invalid_input","code":"X","message":"m"}"#,
                false,
            ),
            (
                r#""status":"completed","errors":{"services":["a/b"]}"#,
                false,
            ),
            (r#""status":"failed","errors":{}"#, false),
            (r#""status":"in_progress","errors":{}"#, false),
        ];
        for (fields, succeeded) in cases {
            let json = format!(
                r#"{{"id":"j","object":"import","status_url":"u","response_timestamp":"t","process_time":1,{fields},"outputs":{{"services":[],"service_versions":[]}}}}"#
            );
            let status: JobStatus = serde_json::from_str(&json).unwrap();
            assert_eq!(status.succeeded(), succeeded, "{json}");
        }
    }
}
