//! The import job of ours: Spark lists the tenant's import jobs of the last hour, and a job with our
//! correlation id that is running is attached to; one that completed means nothing to do, unless what it
//! imported was undone since (a rollback, a deletion: a destination version id its status gives is gone,
//! or, after a `replace`, the service holds a version it did not import). Then the promotion is imported
//! again under a new correlation id derived from the undone job's ([`correlation::again`]), so that the
//! import again is found by a re-run like any other.
use std::collections::BTreeMap;

use anyhow::Context as _;

use crate::manifest::{Promotion, ServicesExisting};
use crate::promote::decide::records;
use crate::promote::decide::state::{Versions, versions};
use crate::promote::jobs::{self, Kind};
use crate::promote::record::PromotionRecord;
use crate::promote::source::correlation;
use crate::promote::uri::service_uri;
use crate::spark::{Client, JobStatus};

/// What the tenant's job list says of our correlation id.
pub(crate) enum Ours {
    /// A job of ours is running (another run started it): apply attaches to it.
    Running { job_id: String },
    /// A completed import job with our correlation id whose work is still there.
    Completed {
        job_id: String,
        status: Box<JobStatus>,
    },
}

/// The most imports of one content undone and imported again within Spark's one-hour job list that are
/// followed; past it the decision fails rather than take an undone import for done.
const MAX_AGAIN: usize = 20;

/// Our import job, if the tenant lists one. `correlation_id` becomes a new one when an earlier import with
/// it was undone since: the caller imports (or attaches) with it.
pub(crate) async fn ours(
    client: &Client,
    promotion: &Promotion,
    correlation_id: &mut String,
    records: &[PromotionRecord],
) -> anyhow::Result<Option<Ours>> {
    let mut undone = 0;
    while let Some(found) = jobs::find_ours(client, Kind::Import, correlation_id).await? {
        if !found.state.is_terminal() {
            return Ok(Some(Ours::Running { job_id: found.id }));
        }
        let status = client
            .import_status(&found.id)
            .await
            .with_context(|| format!("failed to read import job {}", found.id))?;
        if !status.succeeded() {
            return Ok(None);
        }
        let undone_by = Undone {
            records,
            correlation_id,
            job_ended: found.updated.as_deref(),
        };
        match changed_since(client, promotion, &status, &undone_by).await? {
            Some(change) if undone == MAX_AGAIN => anyhow::bail!(
                "this content was imported into {} and undone since {MAX_AGAIN} times within Spark's \
                 one-hour job list (last: {change}): nothing imported; run again after the hour",
                promotion.to
            ),
            Some(_)
                if let Some(rollback) =
                    verification_rollback(records, promotion, correlation_id) =>
            {
                anyhow::bail!(
                    "import job {} of this content into {} failed its verification and was rolled back by \
                     {}: nothing imported again (promote a corrected version, or correct the cases)",
                    found.id,
                    promotion.to,
                    rollback.origin
                )
            }
            Some(change) => {
                tracing::info!(
                    "import job {} imported this promotion into {}, but {change}: it was undone since, so \
                     it is imported again",
                    found.id,
                    promotion.to
                );
                *correlation_id = correlation::again(correlation_id, &found.id);
                undone += 1;
            }
            None => {
                return Ok(Some(Ours::Completed {
                    job_id: found.id,
                    status: Box::new(status),
                }));
            }
        }
    }
    Ok(None)
}

/// What tells that a later import or rollback ended the word of our completed import job: the run's records, the job's correlation id
/// and the time Spark gives its end.
struct Undone<'a> {
    records: &'a [PromotionRecord],
    correlation_id: &'a str,
    job_ended: Option<&'a str>,
}

/// The record of the rollback that undid the import with `correlation_id` after its verification failed.
fn verification_rollback<'r>(
    records: &'r [PromotionRecord],
    promotion: &Promotion,
    correlation_id: &str,
) -> Option<&'r PromotionRecord> {
    records
        .iter()
        .find(|r| r.target == promotion.to && r.undoes.as_deref() == Some(correlation_id))
}

/// How a destination differs from what a completed import job left there: a version id it imported is
/// gone, or (after a `replace`, which leaves a service with the package's versions only) a version is
/// there that it did not import. None when it does not differ, or when the job's status gives no
/// destination ids; or another import or rollback into one of its services was recorded after it.
async fn changed_since(
    client: &Client,
    promotion: &Promotion,
    status: &JobStatus,
    undone_by: &Undone<'_>,
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
    for destination in imported.keys() {
        if let Some(later) = records::written_since(
            undone_by.records,
            &promotion.to,
            destination,
            undone_by.correlation_id,
            undone_by.job_ended,
        ) {
            return Ok(Some(format!(
                "{destination} was written since by {}",
                later.origin
            )));
        }
    }
    for (destination, ids) in imported {
        let held = match versions(client, &promotion.to, &destination).await? {
            Versions::Held(held) => held,
            Versions::Absent => Vec::new(),
            // Cannot be told: the job's word stands.
            Versions::Refused(_) => continue,
        };
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
