//! A job by its id, outside a run (`status`, `cancel`): its status, or a cancel and the status after it.
use crate::manifest::Environment;
use crate::promote::context::default_client;
use crate::promote::jobs::Kind;
use crate::spark;

/// A job that is not on the tenant as `kind` may be of the other kind: the error says how to ask for that.
fn with_other_kind(err: spark::Error, kind: Kind, id: &str, action: JobAction) -> anyhow::Error {
    if err.status() != Some(http::StatusCode::NOT_FOUND) {
        return err.into();
    }
    let (other, command) = match (kind, action) {
        (Kind::Import, JobAction::Status) => ("an export", "status --kind export"),
        (Kind::Import, JobAction::Cancel) => ("an export", "cancel --kind export"),
        (Kind::Export, JobAction::Status) => ("an import", "status --kind import"),
        (Kind::Export, JobAction::Cancel) => ("an import", "cancel --kind import"),
    };
    anyhow::anyhow!(
        "{err}; if {id} is {other} job, run `spark-promote {command} {id}` (with the same --env)"
    )
}

/// What to do with a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobAction {
    Status,
    Cancel,
}

/// The job's status after `action`, its files' pre-signed URLs shortened to their host and file name (a
/// status is printed, and a pre-signed URL is a credential).
pub async fn job_by_id(
    environment: &Environment,
    kind: Kind,
    id: &str,
    action: JobAction,
) -> anyhow::Result<spark::JobStatus> {
    let client = default_client(environment)?;
    let answer = match (action, kind) {
        (JobAction::Status, Kind::Import) => client.import_status(id).await,
        (JobAction::Status, Kind::Export) => client.export_status(id).await,
        (JobAction::Cancel, Kind::Import) => client.cancel_import(id).await,
        (JobAction::Cancel, Kind::Export) => client.cancel_export(id).await,
    };
    let mut status = answer.map_err(|err| with_other_kind(err, kind, id, action))?;
    if action == JobAction::Cancel
        && status.status.is_terminal()
        && status.status != spark::JobState::Cancelled
    {
        tracing::warn!(
            "nothing was cancelled: job {id} had already ended ({})",
            status.status.as_str()
        );
    }
    for file in &mut status.outputs.files {
        file.file = file.shown_url();
    }
    Ok(status)
}
