//! Exports: run an export job on a source environment, download its package (streamed, atomic) and keep
//! its index (`NAME.zip.json` beside `NAME.zip`): what the package holds, known from the job's outputs since
//! the ZIP is opaque.
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

use crate::manifest::Source;
use crate::promote::cancel::Cancel;
use crate::promote::jobs::{self, JobRun, JobSpec, Kind, Watched};
use crate::promote::progress::{SharedProgress, Transfer};
use crate::promote::source::correlation::{self, Content, Identity};
use crate::promote::source::package::{self, Package};
use crate::spark::{self, Client, JobState, JobStatus, ServiceOutput, ServiceVersionOutput};

/// What an exported package holds, written beside it with `.json` appended (`NAME.zip.json`). The download
/// URL is left out on purpose: it carries its own access token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportIndex {
    /// The export job that made the package.
    pub export_job_id: String,
    /// The source: base URL including the tenant.
    pub source: String,
    /// The file hashes the export reported.
    pub file_hashes: Vec<String>,
    pub services: Vec<ServiceOutput>,
    pub service_versions: Vec<ServiceVersionOutput>,
}

impl ExportIndex {
    /// The exported version ids: the identity of the content for correlation ids.
    pub fn version_ids(&self) -> Vec<String> {
        self.service_versions
            .iter()
            .filter_map(|version| version.version_id_source.clone())
            .collect()
    }

    /// The content identity of what was exported.
    pub fn content(&self) -> Content {
        Content::SourceVersionIds(self.version_ids())
    }

    /// Where the index of a package is kept: beside it, with `.json` appended.
    pub fn path_for(package: &Path) -> PathBuf {
        let mut name = package.as_os_str().to_owned();
        name.push(".json");
        PathBuf::from(name)
    }

    /// The index file a promotion's package would have beside it, as messages name it (relative to the
    /// manifest like the package: `packages/pricing.zip.json`); `NAME.zip.json` for an environment source.
    pub fn name_for(source: &Source) -> String {
        match source {
            Source::Package { display, .. } => {
                Self::path_for(Path::new(display)).display().to_string()
            }
            Source::Environment { .. } => "NAME.zip.json".to_string(),
        }
    }

    /// Reads the index beside a package, if there is one.
    pub fn load_beside(package: &Path) -> anyhow::Result<Option<ExportIndex>> {
        let path = Self::path_for(package);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .with_context(|| format!("failed to read the export index {}", path.display())),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err).with_context(|| format!("failed to read {}", path.display())),
        }
    }

    /// Writes the index beside a package, atomically.
    pub fn save_beside(&self, package: &Path) -> anyhow::Result<PathBuf> {
        let path = Self::path_for(package);
        let json = serde_json::to_vec_pretty(self)?;
        crate::promote::files::write_atomic(&path, &json)?;
        Ok(path)
    }

    fn from_status(status: &JobStatus, source: &str) -> ExportIndex {
        ExportIndex {
            export_job_id: status.id.clone(),
            source: source.to_string(),
            file_hashes: status
                .outputs
                .files
                .iter()
                .filter_map(|file| file.file_hash.clone())
                .collect(),
            services: status.outputs.services.clone(),
            service_versions: status.outputs.service_versions.clone(),
        }
    }
}

/// An export to run.
pub struct ExportJob<'a> {
    pub client: &'a Client,
    /// The source environment's name in the manifest (none: the official SDK's variables), for hints.
    pub environment: Option<&'a str>,
    pub request: spark::ExportRequest,
    /// A label for logs and progress (the promotion's name or `export`).
    pub label: &'a str,
    pub wait: Duration,
    pub cancel: &'a Cancel,
    pub progress: &'a SharedProgress,
}

/// A finished export: its index, and the package when it was downloaded (else where to download it).
pub struct Exported {
    pub index: ExportIndex,
    pub package: Option<Package>,
    pub pending: Option<PendingDownload>,
}

/// An export's package not downloaded yet: its pre-signed URL (never shown: it carries its own token).
pub struct PendingDownload {
    export_job_id: String,
    url: url::Url,
}

impl PendingDownload {
    /// The single file of a completed export (spark-promote imports single-file exports only).
    fn of(status: &JobStatus) -> anyhow::Result<PendingDownload> {
        let file = match status.outputs.files.as_slice() {
            [file] => file,
            [] => bail!("export job {} produced no file", status.id),
            files => bail!(
                "export job {} produced {} files; spark-promote imports single-file exports only",
                status.id,
                files.len()
            ),
        };
        let url = url::Url::parse(&file.file)
            .with_context(|| format!("export job {} gave an invalid download URL", status.id))?;
        Ok(PendingDownload {
            export_job_id: status.id.clone(),
            url,
        })
    }

    /// Downloads the package to `destination` (streamed, atomic, cancellable) and writes `index` beside it.
    pub async fn download(
        &self,
        job: &ExportJob<'_>,
        destination: &Path,
        index: &ExportIndex,
    ) -> anyhow::Result<Package> {
        let id = &self.export_job_id;
        let label = job.label.to_string();
        let progress = job.progress.clone();
        let report =
            move |done: u64, total: u64| progress.transfer(&label, Transfer::Download, done, total);
        let download = async {
            job.client
                .download(&self.url, destination, Some(&report))
                .await
                .with_context(|| format!("failed to download the package of export job {id}"))
        };
        let what = format!("downloading the package of export job {id}");
        let download = job.cancel.unless(&what, download).await?;
        let display = destination.display().to_string();
        let package =
            package::inspect_downloaded(destination, &display, u64::MAX, &download.sha256).await?;
        index.save_beside(destination)?;
        Ok(package)
    }
}

/// Runs an export to its end. With `download_to`, downloads the package there and writes its index beside it;
/// without, the result says where to download it later.
pub async fn run(job: ExportJob<'_>, download_to: Option<&Path>) -> anyhow::Result<Exported> {
    let client = job.client;
    let mut request = job.request.clone();
    let correlation_id = correlation_id_of(&request, client)?;
    request.correlation_id = Some(correlation_id.clone());
    let spec = JobSpec {
        client,
        kind: Kind::Export,
        correlation_id: &correlation_id,
        wait: job.wait,
        cancel: job.cancel,
    };
    let run = jobs::run_job(&spec, || client.export(&request)).await?;
    let status = completed(&job, run).await?;
    let index = ExportIndex::from_status(&status, client.base_url().as_str());
    let pending = PendingDownload::of(&status)?;
    let package = match download_to {
        Some(destination) => Some(pending.download(&job, destination, &index).await?),
        None => None,
    };
    Ok(Exported {
        index,
        pending: package.is_none().then_some(pending),
        package,
    })
}

/// The correlation id of an export request: what it exports (its tags left out) from which tenant.
fn correlation_id_of(request: &spark::ExportRequest, client: &Client) -> anyhow::Result<String> {
    let canonical = serde_json::to_string(&ExportRequestIdentity {
        inputs: &request.inputs,
        file_filter: request.file_filter,
        version_filter: request.version_filter,
    })?;
    Ok(correlation::correlation_id(&Identity {
        content: &Content::ExportRequest,
        request: &canonical,
        target: client.base_url().as_str(),
    }))
}

/// The status of an export job that completed; a job that ended otherwise (or did not end) is an error.
async fn completed(job: &ExportJob<'_>, run: JobRun) -> anyhow::Result<JobStatus> {
    let status = match run {
        JobRun::AlreadyDone { status, .. } => status,
        JobRun::Ran {
            watched: Watched::Ended(status),
            ..
        } => status,
        JobRun::Ran {
            id,
            started,
            watched: Watched::TimedOut(_),
        } => timed_out(job, &id, started).await?,
        JobRun::Ran {
            watched: Watched::Cancelled(_),
            id,
            ..
        } => bail!("export job {id} was cancelled"),
        JobRun::Ran {
            watched: Watched::Lost(err),
            id,
            ..
        } => {
            return Err(err.context(format!(
                "export job {id} may still be running on the source tenant: cancel it with {}",
                jobs::cancel_command(Kind::Export, job.environment, &id)
            )));
        }
        JobRun::CancelledBeforeStart { .. } => bail!("the export was cancelled before it started"),
    };
    if !status.succeeded() {
        bail!(
            "export job {} ended {}{}",
            status.id,
            status.status.as_str(),
            crate::promote::import::messages::suffix(&status.errors)
        );
    }
    Ok(status)
}

/// An export that did not end in time. One this run started is cancelled, so that it does not hold the
/// source tenant's one job slot for nobody (if it completed meanwhile, it is used); one it attached to, or
/// one that could not be cancelled, is said to be still running, with how to cancel it.
async fn timed_out(job: &ExportJob<'_>, id: &str, started: bool) -> anyhow::Result<JobStatus> {
    let waited = humantime::format_duration(job.wait);
    let still_running = |why: &str| {
        anyhow::anyhow!(
            "export job {id} did not end within {waited}{why}; it is still running on the source tenant: \
             cancel it with {}",
            jobs::cancel_command(Kind::Export, job.environment, id)
        )
    };
    if !started {
        return Err(still_running(" (an earlier run started it)"));
    }
    match jobs::cancel_job(job.client, Kind::Export, id).await {
        Some(status) if status.succeeded() => Ok(status),
        Some(status) if status.status == JobState::Cancelled => {
            bail!("export job {id} did not end within {waited}: cancelled it")
        }
        Some(status) if status.status.is_terminal() => bail!(
            "export job {id} did not end within {waited}, then ended {}{}",
            status.status.as_str(),
            crate::promote::import::messages::suffix(&status.errors)
        ),
        Some(_) => Err(still_running(" and did not confirm its cancellation")),
        None => Err(still_running(" and could not be cancelled")),
    }
}

/// The parts of an export request that decide what is exported (tags left out).
#[derive(Serialize)]
struct ExportRequestIdentity<'a> {
    inputs: &'a spark::ExportInputs,
    file_filter: Option<spark::FileFilter>,
    version_filter: Option<spark::VersionFilter>,
}
