//! Jobs on a tenant: finding ours by correlation id (idempotency), waiting for the tenant's one job slot,
//! and watching a job to its end (adaptive polling, cancellation, timeout).
pub mod poll;
pub mod turns;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::promote::cancel::Cancel;
use crate::spark::{Client, Error, JobState, JobStatus, TenantJob, TenantJobs};

/// Imports and exports share the same job calls under different names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Import,
    Export,
}

impl Kind {
    /// Whether a completed job of ours means the work is done: yes for an import (the same content is
    /// there); no for an export, which is run afresh since what it exports may have changed since.
    pub fn reuses_completed(self) -> bool {
        matches!(self, Kind::Import)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Import => "import",
            Kind::Export => "export",
        }
    }

    async fn status(self, client: &Client, id: &str) -> Result<JobStatus, Error> {
        match self {
            Kind::Import => client.import_status(id).await,
            Kind::Export => client.export_status(id).await,
        }
    }

    async fn cancel(self, client: &Client, id: &str) -> Result<JobStatus, Error> {
        match self {
            Kind::Import => client.cancel_import(id).await,
            Kind::Export => client.cancel_export(id).await,
        }
    }

    async fn list(self, client: &Client) -> Result<TenantJobs, Error> {
        match self {
            Kind::Import => client.import_jobs().await,
            Kind::Export => client.export_jobs().await,
        }
    }
}

/// Listed jobs without a correlation id (real Spark may leave it out) are looked up one by one, at most
/// this many.
const MAX_STATUS_LOOKUPS: usize = 20;

/// An earlier job with our correlation id.
#[derive(Debug, Clone)]
pub struct Found {
    pub id: String,
    pub state: JobState,
    /// When the tenant last changed the job (its end, for an ended one), as Spark lists it.
    pub updated: Option<String>,
}

/// Looks for a job of ours (same correlation id) among the tenant's jobs in progress and of the last hour.
/// In progress first, then the most recent.
pub async fn find_ours(
    client: &Client,
    kind: Kind,
    correlation_id: &str,
) -> anyhow::Result<Option<Found>> {
    let jobs = kind
        .list(client)
        .await
        .with_context(|| format!("failed to list the tenant's {} jobs", kind.as_str()))?;
    let mut lookups = 0;
    for job in jobs.in_progress.iter().chain(jobs.recent.iter()) {
        let matches = match &job.data.correlation_id {
            Some(listed) => listed == correlation_id,
            None if lookups < MAX_STATUS_LOOKUPS => {
                lookups += 1;
                let status = kind.status(client, &job.id).await?;
                status.correlation_id.as_deref() == Some(correlation_id)
            }
            None => false,
        };
        if matches {
            let state = job.data.status.clone().unwrap_or(JobState::InProgress);
            return Ok(Some(Found {
                id: job.id.clone(),
                state,
                updated: job.data.updated_timestamp.clone(),
            }));
        }
    }
    Ok(None)
}

/// The tenant's slot: free, or taken by a job of ours that a previous run (or a concurrent one) started.
#[derive(Debug, Clone)]
pub enum Slot {
    Free,
    Ours(String),
}

/// Waits until the tenant runs no import and no export, saying whose job it waits for. A running job with our
/// correlation id is returned instead of waited for. Gives up at `deadline` or on cancellation.
pub async fn wait_for_slot(
    client: &Client,
    kind: Kind,
    correlation_id: &str,
    deadline: Instant,
    cancel: &Cancel,
) -> anyhow::Result<Slot> {
    let started = Instant::now();
    let mut announced: Option<String> = None;
    loop {
        let mut running: Vec<(Kind, TenantJob)> = Vec::new();
        for listed in [Kind::Import, Kind::Export] {
            let list = async {
                listed.list(client).await.with_context(|| {
                    format!("failed to list the tenant's {} jobs", listed.as_str())
                })
            };
            // The deadline holds for the whole wait, a job list's retries included.
            let jobs = tokio::select! {
                jobs = cancel.unless("waiting for the tenant", list) => jobs?,
                () = tokio::time::sleep_until(deadline.into()) => bail!(
                    "gave up waiting for the tenant after {}: its {} job list did not answer in time",
                    format_duration(started.elapsed()),
                    listed.as_str()
                ),
            };
            running.extend(jobs.in_progress.into_iter().map(|job| (listed, job)));
        }
        if let Some((_, ours)) = running.iter().find(|(listed, job)| {
            *listed == kind && job.data.correlation_id.as_deref() == Some(correlation_id)
        }) {
            return Ok(Slot::Ours(ours.id.clone()));
        }
        let Some((blocking_kind, blocking)) = running.first() else {
            return Ok(Slot::Free);
        };
        let who = describe(*blocking_kind, blocking, client.tenant());
        if announced.as_deref() != Some(&who) {
            tracing::info!("{who}; waiting for it to end");
            announced = Some(who.clone());
        }
        if Instant::now() >= deadline {
            bail!(
                "gave up waiting for the tenant after {}: {who}",
                format_duration(started.elapsed())
            );
        }
        tokio::select! {
            _ = tokio::time::sleep(poll::delay(started.elapsed()).max(Duration::from_millis(500))) => {}
            _ = cancel.cancelled() => bail!("cancelled while waiting for the tenant: {who}"),
        }
    }
}

fn describe(kind: Kind, job: &TenantJob, tenant: &str) -> String {
    let by = job
        .data
        .created_by
        .as_deref()
        .map(|user| format!(", started by {user}"))
        .unwrap_or_default();
    format!(
        "tenant {tenant} is busy with {} job {}{by}",
        kind.as_str(),
        job.id
    )
}

/// How a watched job ended.
#[derive(Debug)]
pub enum Watched {
    /// The job reached a terminal state (success or not).
    Ended(JobStatus),
    /// We cancelled it because the run was cancelled; the last status seen (cancelled if confirmed).
    Cancelled(Option<JobStatus>),
    /// It did not end before the deadline (it is left running; a re-run attaches to it).
    TimedOut(Option<JobStatus>),
    /// Its status could not be read, even with retries (it may still be running; a re-run attaches to it).
    Lost(anyhow::Error),
}

/// How long to wait for the server to confirm a cancellation.
const CANCEL_CONFIRMATION: Duration = Duration::from_secs(5);

/// Polls a job until it ends, the deadline passes or the run is cancelled (then the job is cancelled).
pub async fn watch(
    client: &Client,
    kind: Kind,
    id: &str,
    deadline: Instant,
    cancel: &Cancel,
) -> anyhow::Result<Watched> {
    let started = Instant::now();
    let mut last: Option<JobStatus> = None;
    loop {
        if cancel.is_cancelled() {
            return Ok(Watched::Cancelled(cancel_job(client, kind, id).await));
        }
        // The deadline holds for the whole wait, a status call's retries included.
        let status = tokio::select! {
            status = kind.status(client, id) => status,
            _ = cancel.cancelled() => continue,
            () = tokio::time::sleep_until(deadline.into()) => return Ok(Watched::TimedOut(last)),
        };
        let status = match status {
            Ok(status) => status,
            Err(err) => {
                return Ok(Watched::Lost(anyhow::Error::new(err).context(format!(
                    "failed to read the status of {} job {id}",
                    kind.as_str()
                ))));
            }
        };
        if last.as_ref().map(|seen| &seen.status) != Some(&status.status) {
            tracing::info!("{} job {id}: {}", kind.as_str(), status.status.as_str());
        }
        if status.status.is_terminal() {
            return Ok(Watched::Ended(status));
        }
        if Instant::now() >= deadline {
            return Ok(Watched::TimedOut(Some(status)));
        }
        last = Some(status);
        tokio::select! {
            _ = tokio::time::sleep(poll::delay(started.elapsed())) => {}
            _ = cancel.cancelled() => {}
        }
    }
}

/// Cancels a job and waits briefly for the server to confirm; returns the last status seen, or `None` when
/// the cancellation itself failed (then there is nothing to wait for).
pub async fn cancel_job(client: &Client, kind: Kind, id: &str) -> Option<JobStatus> {
    tracing::warn!("cancelling {} job {id}", kind.as_str());
    let mut last = match kind.cancel(client, id).await {
        Ok(status) => Some(status),
        Err(err) => {
            tracing::error!("failed to cancel {} job {id}: {err}", kind.as_str());
            return None;
        }
    };
    let until = Instant::now() + CANCEL_CONFIRMATION;
    while Instant::now() < until {
        if last
            .as_ref()
            .is_some_and(|status| status.status.is_terminal())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        if let Ok(status) = kind.status(client, id).await {
            last = Some(status);
        }
    }
    last
}

/// How to cancel a job by hand, e.g. `` `spark-promote cancel --env uat --kind export ID` `` (no `--env`: the
/// official SDK's variables).
pub fn cancel_command(kind: Kind, environment: Option<&str>, id: &str) -> String {
    let env = environment
        .map(|name| format!(" --env {name}"))
        .unwrap_or_default();
    let kind = match kind {
        Kind::Import => String::new(),
        Kind::Export => " --kind export".to_string(),
    };
    format!("`spark-promote cancel{env}{kind} {id}`")
}

fn format_duration(duration: Duration) -> String {
    humantime::format_duration(Duration::from_secs(duration.as_secs())).to_string()
}

/// How starting (or finding) a job and watching it went.
#[derive(Debug)]
pub enum JobRun {
    /// An earlier job with our correlation id completed: nothing was started.
    AlreadyDone { id: String, status: JobStatus },
    /// A job ran (ours, or an earlier one of ours that was still running) and was watched. `started`: this
    /// run created it (it did not attach to a running one).
    Ran {
        id: String,
        started: bool,
        watched: Watched,
    },
    /// The run was cancelled before the job was known to exist; any job the upload created was cancelled.
    CancelledBeforeStart { id: Option<String> },
}

/// Times an ambiguous POST failure is looked up before the POST is sent again, and the pause between.
const AMBIGUOUS_LOOKUPS: u32 = 3;
const AMBIGUOUS_PAUSE: Duration = Duration::from_secs(1);
/// POSTs sent again after an ambiguous failure whose job could not be found.
const AMBIGUOUS_RESENDS: u32 = 1;

/// A job of ours to start idempotently on a tenant.
pub struct JobSpec<'a> {
    pub client: &'a Client,
    pub kind: Kind,
    /// What makes the job ours: the same id on a running or completed job means the same work.
    pub correlation_id: &'a str,
    /// Bounds the wait for the tenant's slot and, separately, the job.
    pub wait: Duration,
    pub cancel: &'a Cancel,
}

/// Idempotent job start, then [`watch`]: see [`start_job`].
pub async fn run_job<F, Fut>(job: &JobSpec<'_>, post: F) -> anyhow::Result<JobRun>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<crate::spark::Job, Error>>,
{
    match start_job(job, post).await? {
        Start::Finished(run) => Ok(*run),
        Start::Job { id, started } => {
            let deadline = Instant::now() + job.wait;
            let watched = watch(job.client, job.kind, &id, deadline, job.cancel).await?;
            Ok(JobRun::Ran {
                id,
                started,
                watched,
            })
        }
    }
}

/// How [`start_job`] went.
#[derive(Debug)]
pub enum Start {
    /// A job of ours is running: watch it. `started`: this run created it (it did not attach to a running
    /// one).
    Job { id: String, started: bool },
    /// Nothing to watch: an earlier job of ours completed, or the run was cancelled first.
    Finished(Box<JobRun>),
}

/// Idempotent job start: attaches to a running job of ours, reports a completed one, otherwise waits for the
/// tenant's slot (at most `wait`) and POSTs (never blindly again: after an ambiguous failure it looks for the
/// correlation id first). A completed job of ours is reported for imports only (see
/// [`Kind::reuses_completed`]).
pub async fn start_job<F, Fut>(job: &JobSpec<'_>, post: F) -> anyhow::Result<Start>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<crate::spark::Job, Error>>,
{
    let JobSpec {
        client,
        kind,
        correlation_id,
        wait,
        cancel,
    } = *job;
    let name = kind.as_str();
    let look = || {
        cancel.unless(
            "looking for an earlier job",
            earlier(client, kind, correlation_id),
        )
    };
    let slot_deadline = Instant::now() + wait;
    let mut resends = 0;
    let mut earlier_job = look().await?;
    let (id, started) = 'started: loop {
        match earlier_job {
            Earlier::Running(id) => break (id, false),
            Earlier::Done(run) => return Ok(Start::Finished(run)),
            Earlier::None => {}
        }
        if let Slot::Ours(id) =
            wait_for_slot(client, kind, correlation_id, slot_deadline, cancel).await?
        {
            tracing::info!("{name} job {id} with our correlation id is running: attaching to it");
            break (id, false);
        }
        // The slot is free, but while we waited a run like ours may have started and ended its job.
        earlier_job = look().await?;
        if !matches!(earlier_job, Earlier::None) {
            continue;
        }
        let posted = tokio::select! {
            posted = post() => posted,
            _ = cancel.cancelled() => return Ok(Start::Finished(Box::new(abandon(client, kind, correlation_id).await))),
        };
        match posted {
            Ok(job) => {
                tracing::info!(
                    "started {name} job {} (correlation id {correlation_id})",
                    job.id
                );
                break (job.id, true);
            }
            Err(err) if err.is_busy() => {
                tracing::info!("{err}; waiting for the tenant again");
            }
            Err(err) if err.is_ambiguous() => {
                tracing::warn!("{err}; looking for the job before sending again");
                for _ in 0..AMBIGUOUS_LOOKUPS {
                    tokio::select! {
                        _ = tokio::time::sleep(AMBIGUOUS_PAUSE) => {}
                        _ = cancel.cancelled() => return Ok(Start::Finished(Box::new(abandon(client, kind, correlation_id).await))),
                    }
                    if let Ok(Some(found)) = find_ours(client, kind, correlation_id).await {
                        tracing::info!("found {name} job {} with our correlation id", found.id);
                        break 'started (found.id, true);
                    }
                }
                if resends >= AMBIGUOUS_RESENDS {
                    return Err(anyhow::Error::new(err).context(format!(
                        "no {name} job with correlation id {correlation_id} was found"
                    )));
                }
                resends += 1;
                tracing::warn!("no {name} job with our correlation id was created: sending again");
            }
            Err(err) => return Err(err.into()),
        }
    };
    Ok(Start::Job { id, started })
}

/// A job of ours from an earlier (or a concurrent) run.
enum Earlier {
    /// None, or one that failed or was cancelled (or an export, which is run afresh): start one.
    None,
    /// One is running: attach to it.
    Running(String),
    /// One completed: nothing to start.
    Done(Box<JobRun>),
}

async fn earlier(client: &Client, kind: Kind, correlation_id: &str) -> anyhow::Result<Earlier> {
    let name = kind.as_str();
    let Some(found) = find_ours(client, kind, correlation_id).await? else {
        return Ok(Earlier::None);
    };
    if !found.state.is_terminal() {
        tracing::info!(
            "{name} job {} with our correlation id is running: attaching to it",
            found.id
        );
        return Ok(Earlier::Running(found.id));
    }
    let status = kind.status(client, &found.id).await?;
    if status.succeeded() && kind.reuses_completed() {
        tracing::info!(
            "{name} job {} with our correlation id already completed",
            found.id
        );
        return Ok(Earlier::Done(Box::new(JobRun::AlreadyDone {
            id: found.id,
            status,
        })));
    }
    tracing::debug!(
        "an earlier {name} job {} with our correlation id ended {}: starting a new one",
        found.id,
        status.status.as_str()
    );
    Ok(Earlier::None)
}

/// The run was cancelled while a POST was in flight or its outcome unknown: a job it created is cancelled.
async fn abandon(client: &Client, kind: Kind, correlation_id: &str) -> JobRun {
    let id = match find_ours(client, kind, correlation_id).await {
        Ok(Some(found)) => {
            cancel_job(client, kind, &found.id).await;
            Some(found.id)
        }
        _ => None,
    };
    JobRun::CancelledBeforeStart { id }
}
