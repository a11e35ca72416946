//! Export: the request and the export job calls.
use serde::{Deserialize, Serialize};

use super::client::{Call, CallBody};
use super::jobs::{Job, JobKind, JobStatus, TenantJobs};
use super::{Client, Error, Operation};

/// What an export packages: the union of these lists (at least one must be non-empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportInputs {
    /// Folders: every service in them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub folders: Vec<String>,
    /// `{folder}/{service}`, `{folder}/{service}[{version}]` (prefix match) or a service id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub version_ids: Vec<String>,
}

impl ExportInputs {
    fn is_empty(&self) -> bool {
        self.folders.is_empty() && self.services.is_empty() && self.version_ids.is_empty()
    }
}

/// Which files of each version an export packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFilter {
    /// For importing into another Spark environment (Spark's default).
    Migrate,
    Onpremises,
}

/// Which versions of each service an export packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionFilter {
    /// The latest version only (Spark's default).
    Latest,
    All,
}

/// The body of `POST /{tenant}/api/v4/export`; absent fields are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRequest {
    pub inputs: ExportInputs,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_filter: Option<FileFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_filter: Option<VersionFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
}

impl Client {
    /// Starts an export and returns the created job. Never retried: a connection lost after sending gives
    /// an error with [`Error::is_ambiguous`].
    pub async fn export(&self, request: &ExportRequest) -> Result<Job, Error> {
        if request.inputs.is_empty() {
            return Err(Error::Invalid(
                "an export needs at least one folder, service or version id".into(),
            ));
        }
        let body = serde_json::to_vec(request)
            .map_err(|e| Error::Invalid(format!("could not encode the export request: {e}")))?;
        let url = self.tenant_url(&["api", "v4", "export"]);
        self.call_json(Call::create(Operation::Export, url, CallBody::Json(body)))
            .await
    }

    /// `GET /{tenant}/api/v4/export/{job_id}/status`.
    pub async fn export_status(&self, job_id: &str) -> Result<JobStatus, Error> {
        self.job_status(JobKind::Export, job_id).await
    }

    /// Cancels an export job (`PATCH /{tenant}/api/v4/export/{job_id}`).
    pub async fn cancel_export(&self, job_id: &str) -> Result<JobStatus, Error> {
        self.cancel_job(JobKind::Export, job_id).await
    }

    /// The tenant's exports in progress and of the last hour (`GET /{tenant}/api/v4/export/status`).
    pub async fn export_jobs(&self) -> Result<TenantJobs, Error> {
        self.tenant_jobs(JobKind::Export).await
    }
}
