//! "Already applied?": the one decision that plan and apply make before importing, so that a re-run
//! imports nothing twice however long after the first run it comes.
//!
//! In order:
//! 1. the tenant's import jobs (Spark lists the last hour's): a job of ours that is running is attached to,
//!    one that completed means nothing to do, unless what it imported was undone since (a rollback, a
//!    deletion: a destination version id its status gives is gone, or, after a `replace`, the service
//!    holds a version it did not import). Then the promotion is imported again
//!    under a new correlation id derived from the undone job's ([`correlation::again`]), so that the import
//!    again is found by a re-run like any other, and a record of the undone import no longer counts;
//! 2. the destination: Spark keeps a version's `version_id` on import where it can, so when every source
//!    version id of the package is already at its destination service (`getversions`), the promotion has
//!    nothing to do. Where the import keeps version numbers (`replace`, and `add_version` with `copy`),
//!    each id must also be at its source's version number; after a `replace` (and a rollback) the service
//!    holds no other version. A version or service deleted since is imported again.
//! 3. a promotion record (a GitHub deployment that the action wrote and reads back before the run): one
//!    with our correlation id that succeeded, while the destination still holds its services, means
//!    nothing to do. It covers what the version ids cannot: ids that did not migrate (a `replace` over
//!    existing version numbers, or tenant to tenant on one environment) and packages without an index.
use std::collections::BTreeMap;

use anyhow::Context as _;

use crate::manifest::{Promotion, ServicesExisting, UpdateVersionType};
use crate::promote::context::Context;
use crate::promote::jobs::{self, Kind};
use crate::promote::record::PromotionRecord;
use crate::promote::source::correlation;
use crate::promote::source::export::ExportIndex;
use crate::promote::uri::service_uri;
use crate::spark::{Client, JobStatus, ServiceVersion};

/// What a run should do with a promotion whose package (and correlation id) is known.
pub(crate) enum Verdict {
    /// Nothing says it was applied: import.
    Import,
    /// A job of ours is running (another run started it): apply attaches to it.
    Running { job_id: String },
    /// Already applied: nothing to import.
    Applied(Applied),
}

/// Why a promotion is already applied.
pub(crate) enum Applied {
    /// A completed import job with our correlation id (within Spark's one-hour listing).
    ByJob {
        job_id: String,
        status: Box<JobStatus>,
    },
    /// The destination holds every source version id.
    InDestination {
        versions: usize,
        services: Vec<String>,
    },
    /// A successful promotion on record, whose destination services are still there.
    OnRecord { origin: String },
}

impl Applied {
    /// The reason, as the summary and the log say it.
    pub fn reason(&self) -> String {
        match self {
            Applied::ByJob { job_id, .. } => format!(
                "already applied by import job {job_id} (same content, request and target): nothing imported"
            ),
            Applied::InDestination { versions, services } => format!(
                "already applied: the destination already holds all {versions} source version id{} ({}): \
                 nothing imported",
                if *versions == 1 { "" } else { "s" },
                services.join(", ")
            ),
            Applied::OnRecord { origin } => format!(
                "already applied by {origin} (same correlation id; the destination still holds its \
                 services): nothing imported"
            ),
        }
    }
}

/// The most imports of one content undone and imported again within Spark's one-hour job list that are
/// followed.
const MAX_AGAIN: usize = 5;

/// Decides whether the promotion still has something to import into its target (cancellable, like every
/// call of a run). `correlation_id` becomes a new one when an earlier import with it was undone since: the
/// caller imports (or attaches) with it.
pub(crate) async fn decide(
    ctx: &Context,
    promotion: &Promotion,
    index: Option<&ExportIndex>,
    correlation_id: &mut String,
) -> anyhow::Result<Verdict> {
    let client = ctx.client(&promotion.to)?;
    let records = &ctx.options.records;
    ctx.options
        .cancel
        .unless(
            "checking whether it was already applied",
            decide_with(client, promotion, index, correlation_id, records),
        )
        .await
}

async fn decide_with(
    client: &Client,
    promotion: &Promotion,
    index: Option<&ExportIndex>,
    correlation_id: &mut String,
    records: &[PromotionRecord],
) -> anyhow::Result<Verdict> {
    let mut undone = 0;
    while let Some(found) = jobs::find_ours(client, Kind::Import, correlation_id).await? {
        if !found.state.is_terminal() {
            return Ok(Verdict::Running { job_id: found.id });
        }
        let status = client
            .import_status(&found.id)
            .await
            .with_context(|| format!("failed to read import job {}", found.id))?;
        if !status.succeeded() {
            break;
        }
        match changed_since(client, promotion, &status).await? {
            Some(change) if undone < MAX_AGAIN => {
                tracing::info!(
                    "import job {} imported this promotion into {}, but {change}: it was undone since, so \
                     it is imported again",
                    found.id,
                    promotion.to
                );
                *correlation_id = correlation::again(correlation_id, &found.id);
                undone += 1;
            }
            _ => {
                return Ok(Verdict::Applied(Applied::ByJob {
                    job_id: found.id,
                    status: Box::new(status),
                }));
            }
        }
    }
    if let Some(index) = index
        && let Some(applied) = in_destination(client, promotion, index).await?
    {
        return Ok(Verdict::Applied(applied));
    }
    for record in records
        .iter()
        .filter(|record| record.correlation_id == *correlation_id && record.target == promotion.to)
    {
        if still_there(client, promotion, &record.destination_services).await? {
            return Ok(Verdict::Applied(Applied::OnRecord {
                origin: record.origin.clone(),
            }));
        }
    }
    Ok(Verdict::Import)
}

/// How a destination differs from what a completed import job left there: a version id it imported is
/// gone, or (after a `replace`, which leaves a service with the package's versions only) a version is
/// there that it did not import. None when it does not differ, or when the job's status gives no
/// destination ids.
async fn changed_since(
    client: &Client,
    promotion: &Promotion,
    status: &JobStatus,
) -> anyhow::Result<Option<String>> {
    let mut imported: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for version in &status.outputs.service_versions {
        if let (Some(uri), Some(id)) = (
            version.service_uri_destination.as_deref(),
            version.version_id_destination.as_deref(),
        ) {
            imported.entry(service_uri(uri)).or_default().push(id);
        }
    }
    let replaced = promotion.services_existing == ServicesExisting::Replace;
    for (destination, ids) in imported {
        let held = read_versions(client, promotion, &destination).await?;
        if let Some(id) = ids.iter().find(|id| !held.iter().any(|v| v.id == **id)) {
            return Ok(Some(format!("{destination} version id {id} is gone")));
        }
        if replaced && let Some(other) = held.iter().find(|v| !ids.contains(&v.id.as_str())) {
            return Ok(Some(format!(
                "{destination} holds version {} (id {}) that it did not import",
                other.version.as_deref().unwrap_or("?"),
                other.id
            )));
        }
    }
    Ok(None)
}

/// Whether every service a record names still has versions in the destination (a record that names none
/// proves nothing).
async fn still_there(
    client: &Client,
    promotion: &Promotion,
    services: &[String],
) -> anyhow::Result<bool> {
    if services.is_empty() {
        return Ok(false);
    }
    for destination in services {
        if read_versions(client, promotion, destination)
            .await?
            .is_empty()
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The versions a destination service (`folder/service`) holds: none when it does not exist.
async fn read_versions(
    client: &Client,
    promotion: &Promotion,
    destination: &str,
) -> anyhow::Result<Vec<ServiceVersion>> {
    let Some((folder, service)) = destination.split_once('/') else {
        return Ok(Vec::new());
    };
    Ok(client
        .service_versions(folder, service)
        .await
        .with_context(|| {
            format!(
                "failed to read the versions of {destination} in {}",
                promotion.to
            )
        })?
        .unwrap_or_default())
}

/// Whether every source version id of the package is at its destination service.
async fn in_destination(
    client: &Client,
    promotion: &Promotion,
    index: &ExportIndex,
) -> anyhow::Result<Option<Applied>> {
    let mut wanted: BTreeMap<String, Vec<Wanted>> = BTreeMap::new();
    for version in &index.service_versions {
        let Some(id) = version.version_id_source.as_deref() else {
            // A version without an id cannot be found in the destination.
            return Ok(None);
        };
        let source = service_uri(&version.service_uri_source);
        let number = keeps_numbers(promotion, &source)
            .then_some(version.version_source.as_deref())
            .flatten();
        wanted
            .entry(promotion.destination_of(&source))
            .or_default()
            .push(Wanted { id, number });
    }
    if wanted.is_empty() {
        return Ok(None);
    }
    for (destination, ids) in &wanted {
        let held = read_versions(client, promotion, destination).await?;
        // A replace leaves the service with the package's versions only: one more (an add_version since,
        // or what a rollback removes) is something to import.
        let extra =
            promotion.services_existing == ServicesExisting::Replace && held.len() > ids.len();
        if extra || !ids.iter().all(|wanted| wanted.is_in(&held)) {
            return Ok(None);
        }
    }
    Ok(Some(Applied::InDestination {
        versions: wanted.values().map(Vec::len).sum(),
        services: wanted.into_keys().collect(),
    }))
}

/// A source version to find in the destination: its id and, where the import keeps version numbers, its
/// number.
struct Wanted<'a> {
    id: &'a str,
    number: Option<&'a str>,
}

impl Wanted<'_> {
    fn is_in(&self, held: &[ServiceVersion]) -> bool {
        held.iter().any(|version| {
            version.id == self.id
                && match (self.number, version.version.as_deref()) {
                    (Some(wanted), Some(held)) => wanted == held,
                    _ => true,
                }
        })
    }
}

/// Whether an import of this source service keeps its version numbers: `replace`, or `add_version` with
/// `copy` (an `abort` import adds the service as it is).
pub(crate) fn keeps_numbers(promotion: &Promotion, source: &str) -> bool {
    let update = promotion
        .mapping(source)
        .and_then(|mapping| mapping.update_version_type)
        .unwrap_or(promotion.update_version_type);
    match promotion.services_existing {
        ServicesExisting::Replace | ServicesExisting::Abort => true,
        ServicesExisting::AddVersion => update == UpdateVersionType::Copy,
    }
}
