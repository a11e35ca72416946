//! Promotion records: the engine says when an import starts and how it ended (the action writes GitHub
//! deployments from that), and reads the records of earlier promotions (GitHub deployments) before a run.
//!
//! Recording never fails a promotion: a [`Recorder`] keeps its own problems (the action turns them into
//! warnings).
use futures_util::future::BoxFuture;

use crate::promote::result::{PromotionResult, PromotionStatus, VersionResult};
use crate::promote::source::export::ExportIndex;
use crate::promote::uri::service_uri;
use crate::spark::ImportRequestEntity;

/// An earlier successful promotion on record (a GitHub deployment written by the action), read before a run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PromotionRecord {
    pub correlation_id: String,
    /// The environment name of the manifest the import went to (e.g. `prod`).
    pub target: String,
    /// The destination `folder/service`s the import wrote.
    pub destination_services: Vec<String>,
    /// Says where the record came from, for the skip message, e.g. `GitHub deployment 42 (2026-12-01T10:00:00Z)`.
    pub origin: String,
}

/// An import job this run started, or attached to (never an already-applied skip).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportStarted {
    /// The promotion's name.
    pub promotion: String,
    /// The target environment's name.
    pub target: String,
    pub correlation_id: String,
    /// The export job that made the package, when the source is an environment.
    pub export_job_id: Option<String>,
    pub import_job_id: String,
    /// The version ids the package holds, when known (an export, or a package with its index).
    pub source_version_ids: Vec<String>,
    /// The destination `folder/service`s the request names, when known.
    pub destination_services: Vec<String>,
}

/// How an import that [`Recorder::started`] saw ended.
#[derive(Debug, Clone)]
pub struct ImportEnded {
    /// The promotion's name.
    pub promotion: String,
    pub import_job_id: String,
    /// `completed`, `failed` or `cancelled`.
    pub status: PromotionStatus,
    /// What the import did to each version (from the job's outputs).
    pub service_versions: Vec<VersionResult>,
    /// The promotion's errors, first first.
    pub errors: Vec<String>,
}

/// Told when an import starts and ends. Called for each promotion of a run, possibly concurrently.
pub trait Recorder: Send + Sync {
    fn started(&self, event: ImportStarted) -> BoxFuture<'_, ()>;
    fn ended(&self, event: ImportEnded) -> BoxFuture<'_, ()>;
}

/// Records nothing (the CLI, and the action when deployments are off).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRecorder;

impl Recorder for NoRecorder {
    fn started(&self, _: ImportStarted) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }

    fn ended(&self, _: ImportEnded) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// The event of an import job `import_job_id` that `result`'s promotion started (or attached to) with
/// `entity`, for a package whose export index is `index` (if known).
pub(crate) fn started(
    result: &PromotionResult,
    import_job_id: &str,
    index: Option<&ExportIndex>,
    entity: &ImportRequestEntity,
) -> ImportStarted {
    let mut destination_services: Vec<String> = Vec::new();
    for service in &entity.inputs.services_modify {
        let destination = service_uri(
            service
                .service_uri_destination
                .as_deref()
                .unwrap_or(&service.service_uri_source),
        );
        if !destination_services.contains(&destination) {
            destination_services.push(destination);
        }
    }
    ImportStarted {
        promotion: result.name.clone(),
        target: result.target.clone(),
        correlation_id: result.correlation_id.clone(),
        export_job_id: result.export_job_id.clone(),
        import_job_id: import_job_id.to_string(),
        source_version_ids: index.map(ExportIndex::version_ids).unwrap_or_default(),
        destination_services,
    }
}

/// The event of how `result`'s import ended (its job id is set: the import was started).
pub(crate) fn ended(result: &PromotionResult) -> ImportEnded {
    ImportEnded {
        promotion: result.name.clone(),
        import_job_id: result.job_id.clone().unwrap_or_default(),
        status: result.status,
        service_versions: result.service_versions.clone(),
        errors: result.errors.clone(),
    }
}
