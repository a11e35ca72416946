//! A job by its id, outside a run (`status`, `cancel`): its status, or a cancel and the status after it.
use crate::manifest::Environment;
use crate::promote::context::default_client;
use crate::promote::jobs::Kind;
use crate::spark;

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
    let mut status = match (action, kind) {
        (JobAction::Status, Kind::Import) => client.import_status(id).await,
        (JobAction::Status, Kind::Export) => client.export_status(id).await,
        (JobAction::Cancel, Kind::Import) => client.cancel_import(id).await,
        (JobAction::Cancel, Kind::Export) => client.cancel_export(id).await,
    }?;
    for file in &mut status.outputs.files {
        file.file = file.shown_url();
    }
    Ok(status)
}
