//! Promotion records: the engine says when an import starts and how it ended (the action writes GitHub
//! deployments from that; the CLI its [`journal`]), and reads the records of earlier promotions before a run.
//!
//! Recording never fails a promotion: a [`Recorder`] keeps its own problems (the action turns them into
//! warnings).
pub mod journal;

use futures_util::future::BoxFuture;

pub use crate::promote::result::Origin;

use crate::promote::result::{PromotionResult, PromotionStatus, VersionResult};
use crate::promote::source::export::ExportIndex;
use crate::promote::uri::service_uri;
use crate::spark::ImportRequestEntity;

/// An earlier successful promotion on record, read before a run: a GitHub deployment the action wrote, or
/// an entry of the local journal the CLI keeps ([`journal`]). A record only *suggests* that versions are in
/// place; the decision believes it only while the destination still holds what it put there, and only the
/// newest record of a destination service counts (a later import, a rollback, ends an older one's word).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromotionRecord {
    pub origin: Origin,
    /// When the import was recorded (RFC 3339), to tell the newest record of a service.
    pub at: Option<String>,
    pub correlation_id: String,
    /// The environment name of the manifest the import went to (e.g. `prod`).
    pub target: String,
    /// A rollback's record.
    pub rollback: bool,
    /// A rollback after a failed verification: the correlation id of the import it undid (a re-run does
    /// not import that content again, so it is never rolled back twice).
    pub undoes: Option<String>,
    /// The destination `folder/service`s the import wrote.
    pub destination_services: Vec<String>,
    /// What shows where the import put each version.
    pub proof: Proof,
}

/// How a record says where the versions went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// The placements themselves (the journal writes them when the import has ended).
    Placed(Vec<Placed>),
    /// The import job, whose status gives the placements (a deployment is written before its job ends, so it
    /// names the job).
    ImportJob(String),
    /// Nothing (a record of an older format): it proves nothing.
    Nothing,
}

/// Where an import put one source version: the destination service, and the version id and number it got.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Placed {
    /// The source version id (none when the job's outputs left it out).
    pub source_version_id: Option<String>,
    /// `folder/service` at the destination.
    pub destination: String,
    pub version_id: String,
    pub version: Option<String>,
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
    /// A rollback's import (a rollback run, or the one after a failed verification).
    pub rollback: bool,
    /// A rollback after a failed verification: the correlation id of the import it undoes.
    pub undoes: Option<String>,
    /// The cases the import is verified with (`verify:`), when it has some.
    pub cases: Option<Cases>,
}

/// The cases a promotion is verified with, as its record names them: the sha256 of the case files and
/// how many cases they hold.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cases {
    pub sha256: String,
    pub count: usize,
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
    pub correlation_id: String,
    /// The target environment's name and base URL (with the tenant).
    pub target: String,
    pub target_url: String,
    /// A rollback's import.
    pub rollback: bool,
    /// Where every version of the promotion is now: what the job placed, and what the decision found
    /// already there and left out.
    pub placed: Vec<Placed>,
    /// A rollback after a failed verification: the correlation id of the import it undoes.
    pub undoes: Option<String>,
    /// The cases that ran and matched after the import, when its verification passed.
    pub verified_cases: Option<usize>,
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
/// `entity`, for a package whose export index is `index` (if known); `rollback`: the run is a rollback.
pub(crate) fn started(
    result: &PromotionResult,
    rollback: bool,
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
        rollback: rollback || result.undoes.is_some(),
        undoes: result.undoes.clone(),
        cases: result.verification.as_ref().map(|v| Cases {
            sha256: v.cases_sha256.clone(),
            count: v.cases,
        }),
    }
}

/// The event of how `result`'s import ended (its job id is set: the import was started) into the target at
/// `target_url`; `present`: the versions the decision found in place and left out.
pub(crate) fn ended(
    result: &PromotionResult,
    target_url: String,
    rollback: bool,
    present: Vec<Placed>,
) -> ImportEnded {
    let mut placed = present;
    placed.extend(result.service_versions.iter().filter_map(|version| {
        Some(Placed {
            source_version_id: version.version_id_source.clone(),
            destination: version.service_destination.clone(),
            version_id: version.version_id_destination.clone()?,
            version: Some(version.version_destination.clone()),
        })
    }));
    ImportEnded {
        promotion: result.name.clone(),
        import_job_id: result.job_id.clone().unwrap_or_default(),
        status: result.status,
        service_versions: result.service_versions.clone(),
        errors: result.errors.clone(),
        correlation_id: result.correlation_id.clone(),
        target: result.target.clone(),
        target_url,
        rollback: rollback || result.undoes.is_some(),
        placed,
        undoes: result.undoes.clone(),
        verified_cases: result
            .verification
            .as_ref()
            .filter(|v| v.passed())
            .map(|v| v.cases),
    }
}
