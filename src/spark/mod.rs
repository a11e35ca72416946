//! The Spark ImpEx client: authentication, import, export, job status, cancel, tenant job lists, reads of
//! the destination, downloads of exported packages, execute (v4 batches, v3 one record); a retry policy and
//! typed errors.
//!
//! It is the ImpEx client and nothing more: it depends on no other module of this crate, and orchestration
//! (correlation ids, polling, waiting for the tenant's slot) belongs to `promote`.
//!
//! Idempotent calls (reads, cancels, the token request, downloads, execute) are retried on connection errors, 429,
//! 500, 502, 503 and 504, except a 500 whose body carries a code Spark documents as a definite answer
//! (`INVALID_JOB_ID`; see [`Error::code`]). The POSTs that create jobs are never retried: a connection lost after sending began is
//! reported as ambiguous ([`Error::is_ambiguous`]) so that the caller looks for its job first.
mod auth;
mod client;
mod download;
mod error;
mod execute;
mod export;
mod import;
mod jobs;
mod reads;
mod retry;
mod wire;

pub use auth::Auth;
pub use client::{Client, ClientOptions};
pub use download::Download;
pub use error::{CredentialsLabel, Error, Operation};
pub use execute::{
    ExecuteOptions, ExecuteTarget, Execution, Inputs, RecordResult, SYNC_BATCH_PERMISSION,
};
pub use export::{ExportInputs, ExportRequest, FileFilter, VersionFilter};
pub use import::{
    ImportInputs, ImportRequestEntity, ServiceModify, ServicesExisting, UpdateVersionType,
};
pub use jobs::{
    ItemStatus, Job, JobState, JobStatus, OutputFile, Outputs, ServiceOutput, ServiceVersionOutput,
    TenantActivity, TenantInfo, TenantJob, TenantJobData, TenantJobs, TenantLimits,
};
pub use reads::{ServiceInfo, ServiceVersion};
pub use retry::RetryPolicy;
pub use wire::JobMessage;

/// A progress callback: `(bytes done, bytes in total)`; the total is 0 when the server did not say.
pub type OnBytes<'a> = &'a (dyn Fn(u64, u64) + Send + Sync);

/// Spark's default package limit (200 MB, taken as MiB): a download stops there, a package over it is
/// refused before its upload.
pub const PACKAGE_LIMIT: u64 = 200 * 1024 * 1024;

/// The header carrying a fresh uuid per attempt, for tracing a call on the server.
const REQUEST_ID: &str = "x-request-id";
/// The header naming the tenant (the v1 APIs read it; API keys need it).
const TENANT_NAME: &str = "x-tenant-name";
