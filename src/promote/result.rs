//! The result of a run (plan or apply): what `report` renders and `--json` prints.
use serde::Serialize;

/// Which kind of run produced a result: a plan, an apply or a rollback (`command` in the JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    Plan,
    Apply,
    /// `rollback`: a backup re-imported with `replace` (by the apply engine).
    Rollback,
}

/// Everything one run did, promotion by promotion.
#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    pub command: RunKind,
    /// The manifest path as given (relative to the workspace).
    pub manifest: String,
    pub promotions: Vec<PromotionResult>,
}

/// The terminal state of one promotion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PromotionStatus {
    /// The import job completed without errors.
    Completed,
    /// The export or import failed, timed out, or could not start.
    Failed,
    /// The job was cancelled (by a signal, or by someone else).
    Cancelled,
    /// The same content was already imported to the same place (the earlier job's outputs are shown).
    Skipped,
    /// A plan: nothing was changed.
    Planned,
    /// A plan that predicts the import would fail (its errors say why): nothing was changed.
    WouldFail,
}

impl PromotionStatus {
    /// The status as a word, as the reports and logs say it.
    pub fn as_str(self) -> &'static str {
        match self {
            PromotionStatus::Completed => "completed",
            PromotionStatus::Failed => "failed",
            PromotionStatus::Cancelled => "cancelled",
            PromotionStatus::Skipped => "skipped",
            PromotionStatus::Planned => "planned",
            PromotionStatus::WouldFail => "would fail",
        }
    }
}

/// One promotion's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct PromotionResult {
    pub name: String,
    /// Where the package came from, e.g. `uat` (an environment) or `packages/pricing.zip` (a file).
    pub source: String,
    /// The target environment's name.
    pub target: String,
    pub status: PromotionStatus,
    /// The import job's id (the earlier job's when skipped); none for a plan.
    pub job_id: Option<String>,
    /// The export job's id, when the package came from an environment.
    pub export_job_id: Option<String>,
    /// Empty until it is known (a promotion that failed before): read it through
    /// [`PromotionResult::correlation`]. Kept a string so that the JSON result says `""` as it always has.
    pub correlation_id: String,
    /// Why nothing was imported, when the promotion was already applied (`skipped`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip: Option<Skip>,
    /// The backup taken before the import (a package; its index beside it as `.json`), if any.
    pub backup: Option<String>,
    pub services: Vec<ServiceResult>,
    pub service_versions: Vec<VersionResult>,
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    pub duration_ms: u64,
    /// The promotion's `verify:`: in a plan, the behaviour change; in an apply, the proof after the import.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// A rollback after a failed verification: the correlation id of the import it undoes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undoes: Option<String>,
}

/// A promotion's cases run and compared (see `promote::verification`).
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// `folder/service` in the source.
    pub service: String,
    /// The sha256 of the case files (read in name order, hashed together) and how many cases they hold.
    pub cases_sha256: String,
    pub cases_files: Vec<String>,
    pub cases: usize,
    /// How the answers compared; none when the cases did not run (see `not_run`).
    pub comparison: Option<crate::verify::Comparison>,
    /// Why the cases did not run (the import did not complete, an execute call failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_run: Option<String>,
    /// A plan of a service new to the destination: the source's results alone.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub new_service: bool,
    /// The automatic rollback after a failed verification (`on_failure: rollback`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rolled_back: Option<RolledBack>,
}

impl Verification {
    /// The cases ran and every one matched.
    pub fn passed(&self) -> bool {
        self.comparison.as_ref().is_some_and(|c| c.passed())
    }
}

/// The rollback an apply ran after its verification failed.
#[derive(Debug, Clone, Serialize)]
pub struct RolledBack {
    /// The backup put back.
    pub backup: String,
    /// How the rollback's import ended, its job, and its errors.
    pub status: PromotionStatus,
    pub job_id: Option<String>,
    pub errors: Vec<String>,
}

/// What happened (or, in a plan, would happen) to one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    /// The service did not exist and was added with all its versions.
    Added,
    /// The service existed and was replaced.
    Replaced,
    /// The service existed and new versions were added.
    Updated,
    /// A plan predicts the import would fail for this service (see `detail`).
    WouldFail,
    /// Everything shipped for it is already there: left out of the import.
    Unchanged,
    /// The destination refused the reads that would tell (see the warnings): the import decides.
    Unchecked,
}

impl ServiceStatus {
    /// The status in words, as the summary, the comment and the log say it.
    pub fn label(self) -> &'static str {
        match self {
            ServiceStatus::Added => "added",
            ServiceStatus::Replaced => "replaced",
            ServiceStatus::Updated => "updated",
            ServiceStatus::WouldFail => "would fail",
            ServiceStatus::Unchanged => "unchanged",
            ServiceStatus::Unchecked => "unchecked",
        }
    }
}

/// One service of a promotion.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceResult {
    /// `folder/service` in the source.
    pub source: String,
    /// `folder/service` in the target.
    pub destination: String,
    pub status: ServiceStatus,
    /// For a plan: the destination's latest version now (none when the service does not exist there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<String>,
    /// For a plan: the version the destination would get next (add_version), if known.
    pub next_version: Option<String>,
    /// Why a plan predicts a failure, or any other note about this service.
    pub detail: Option<String>,
    pub service_id_destination: Option<String>,
}

impl ServiceResult {
    /// Adds a note to the row's detail (after any there).
    pub fn note(&mut self, text: impl Into<String>) {
        let text = text.into();
        self.detail = Some(match self.detail.take() {
            Some(detail) => format!("{detail}; {text}"),
            None => text,
        });
    }
}

/// What happened to one service version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    Added,
    Replaced,
}

/// One service version of a promotion (from the import job's outputs).
#[derive(Debug, Clone, Serialize)]
pub struct VersionResult {
    /// `folder/service` in the source.
    pub service_source: String,
    /// `folder/service` in the target.
    pub service_destination: String,
    pub version_source: String,
    pub version_destination: String,
    pub status: VersionStatus,
    pub version_id_source: Option<String>,
    pub version_id_destination: Option<String>,
}

impl PromotionResult {
    /// The correlation id, once known.
    pub fn correlation(&self) -> Option<&str> {
        Some(self.correlation_id.as_str()).filter(|id| !id.is_empty())
    }

    /// Whether this promotion fails the run: it failed, or it is a plan that predicts a failure (the
    /// status output, the summary's heading and the exit code all follow this one rule).
    pub fn fails_the_run(&self) -> bool {
        match self.status {
            PromotionStatus::Failed | PromotionStatus::WouldFail => true,
            PromotionStatus::Planned => !self.errors.is_empty(),
            PromotionStatus::Completed | PromotionStatus::Skipped | PromotionStatus::Cancelled => {
                false
            }
        }
    }

    /// A result for a promotion about to run: failed until it succeeds.
    pub fn begin(promotion: &crate::manifest::Promotion) -> PromotionResult {
        PromotionResult {
            name: promotion.name.clone(),
            source: match &promotion.source {
                crate::manifest::Source::Environment { environment, .. } => environment.clone(),
                crate::manifest::Source::Package { display, .. } => display.clone(),
            },
            target: promotion.to.clone(),
            status: PromotionStatus::Failed,
            job_id: None,
            export_job_id: None,
            correlation_id: String::new(),
            skip: None,
            backup: None,
            services: Vec::new(),
            service_versions: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            duration_ms: 0,
            verification: None,
            undoes: None,
        }
    }
}

/// Why a promotion was already applied: what the summary, the comment's re-run line and `--json` say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Skip {
    /// A completed import job with this correlation id (within Spark's one-hour listing), whose versions
    /// are still there.
    Job { job_id: String },
    /// The destination holds every source version (by its id, at its number where the import keeps numbers).
    Destination {
        versions: usize,
        services: Vec<String>,
    },
    /// A record of an earlier promotion placed the versions that the destination still holds.
    Record { origin: Origin, versions: usize },
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skip::Job { job_id } => write!(
                f,
                "already applied by import job {job_id} (same content, request and target): nothing imported"
            ),
            Skip::Destination { versions, services } => write!(
                f,
                "already applied: the destination already holds all {versions} source version id{} ({}): \
                 nothing imported",
                plural(*versions),
                services.join(", ")
            ),
            Skip::Record { origin, versions } => write!(
                f,
                "already applied by {origin} (the destination still holds the {versions} version{} it \
                 placed): nothing imported",
                plural(*versions)
            ),
        }
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// Where a promotion record comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A GitHub deployment the action wrote.
    Deployment { id: u64, created_at: Option<String> },
    /// An entry of the CLI's journal.
    Journal { path: String, at: String },
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Deployment {
                id,
                created_at: Some(at),
            } => write!(f, "GitHub deployment {id} ({at})"),
            Origin::Deployment {
                id,
                created_at: None,
            } => write!(f, "GitHub deployment {id}"),
            Origin::Journal { path, at } => write!(f, "the import recorded in {path} ({at})"),
        }
    }
}
