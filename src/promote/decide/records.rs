//! What the records of earlier promotions say of a promotion's destination services: for each service, the
//! newest record that names it (a later import or rollback ends an older record's word), and where that
//! record put each version (its *placements*). A rollback's record places nothing to trust: after it, only
//! the destination's own version ids count; except for a backup put back on top again (a rollback that
//! keeps the call history), which only such a record shows done.
//!
//! The placements are only a claim: [`rules::presence`](super::rules::presence) believes one only where the
//! destination still holds that version id at that number. A GitHub deployment is written before its job
//! ends, so it names the import job, whose status gives the placements (one `GET` per record used).
use std::collections::BTreeMap;

use crate::manifest::Promotion;
use crate::promote::record::{Placed, PromotionRecord, Proof};
use crate::promote::uri::service_uri;
use crate::spark::{Client, JobStatus};

/// The placements of the records that speak for `destinations`: (index into `records`, its placements
/// into those services), at most one record per service.
pub(crate) async fn placements(
    client: &Client,
    promotion: &Promotion,
    records: &[PromotionRecord],
    destinations: &[String],
    rollbacks_too: bool,
) -> Vec<(usize, Vec<Placed>)> {
    let mut chosen: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for destination in destinations {
        if let Some(index) = newest(records, &promotion.to, destination)
            && (rollbacks_too || !records[index].rollback)
        {
            chosen.entry(index).or_default().push(destination);
        }
    }
    let mut out = Vec::new();
    for (index, services) in chosen {
        let placed = match &records[index].proof {
            Proof::Placed(placed) => placed.clone(),
            Proof::ImportJob(job_id) => match client.import_status(job_id).await {
                Ok(status) => of_job(&status),
                Err(err) => {
                    tracing::info!(
                        "{} names import job {job_id}, whose status is not available ({err}): it proves \
                         nothing",
                        records[index].origin
                    );
                    Vec::new()
                }
            },
            Proof::Nothing => Vec::new(),
        };
        let placed: Vec<Placed> = placed
            .into_iter()
            .filter(|p| services.contains(&p.destination.as_str()))
            .collect();
        if !placed.is_empty() {
            out.push((index, placed));
        }
    }
    out
}

/// The record of a later import or rollback into `destination` that ended the word of the import with
/// `correlation_id`, whatever ids the destination shows (an exact rollback after a `replace` over the same
/// numbers puts the same ids back, and so does the import after it): that service's newest record is
/// another one, recorded after the import's own record, or, where that record
/// is gone (the journal keeps only the newest of a service) or was never written, after the time Spark gives
/// the import job's end (`job_ended`; without one, the job's word stands).
pub(crate) fn written_since<'r>(
    records: &'r [PromotionRecord],
    target: &str,
    destination: &str,
    correlation_id: &str,
    job_ended: Option<&str>,
) -> Option<&'r PromotionRecord> {
    let newest = &records[newest(records, target, destination)?];
    if newest.correlation_id == correlation_id {
        return None;
    }
    let ours = records.iter().find(|record| {
        record.target == target
            && record.correlation_id == correlation_id
            && record.destination_services.iter().any(|s| s == destination)
    });
    let after = match ours {
        Some(ours) => newer(newest, ours),
        None => later_than(newest.at.as_deref()?, job_ended?),
    };
    after.then_some(newest)
}

/// Whether the time `a` (RFC 3339) is later than `b` (RFC 3339, as Spark or a record writes it); false
/// when either cannot be read.
fn later_than(a: &str, b: &str) -> bool {
    match (
        humantime::parse_rfc3339_weak(a.trim_end_matches('Z')),
        humantime::parse_rfc3339_weak(b.trim_end_matches('Z')),
    ) {
        (Ok(a), Ok(b)) => a > b,
        _ => false,
    }
}

/// The newest record of `target` that names `destination` (records with a time before those without;
/// among equals, the first listed).
fn newest(records: &[PromotionRecord], target: &str, destination: &str) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (index, record) in records.iter().enumerate() {
        if record.target != target || !record.destination_services.iter().any(|s| s == destination)
        {
            continue;
        }
        best = match best {
            Some(current) if !newer(record, &records[current]) => Some(current),
            _ => Some(index),
        };
    }
    best
}

/// Whether `a` is newer than `b` (RFC 3339 times in UTC compare as text).
fn newer(a: &PromotionRecord, b: &PromotionRecord) -> bool {
    match (&a.at, &b.at) {
        (Some(a), Some(b)) => a > b,
        (Some(_), None) => true,
        _ => false,
    }
}

/// Where an import job put each version, from its outputs.
pub(crate) fn of_job(status: &JobStatus) -> Vec<Placed> {
    status
        .outputs
        .service_versions
        .iter()
        .filter_map(|version| {
            Some(Placed {
                source_version_id: version.version_id_source.clone(),
                destination: service_uri(version.service_uri_destination.as_deref()?),
                version_id: version.version_id_destination.clone()?,
                version: version.version_destination.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promote::result::Origin;

    fn record(at: &str, services: &[&str], rollback: bool) -> PromotionRecord {
        PromotionRecord {
            undoes: None,
            origin: Origin::Journal {
                path: "j".into(),
                at: at.into(),
            },
            at: Some(at.into()),
            correlation_id: "c".into(),
            target: "prod".into(),
            rollback,
            destination_services: services.iter().map(|s| s.to_string()).collect(),
            proof: Proof::Nothing,
        }
    }

    #[test]
    fn the_newest_record_of_a_service_speaks_for_it_whatever_the_order() {
        let records = [
            record("2026-12-01T10:00:00Z", &["f/a", "f/b"], false),
            record("2026-12-01T12:00:00Z", &["f/a"], true),
            record("2026-12-01T11:00:00Z", &["f/b"], false),
        ];
        assert_eq!(newest(&records, "prod", "f/a"), Some(1));
        assert_eq!(newest(&records, "prod", "f/b"), Some(2));
        assert_eq!(newest(&records, "prod", "f/c"), None);
        assert_eq!(newest(&records, "uat", "f/a"), None);
    }

    fn with_id(mut record: PromotionRecord, correlation_id: &str) -> PromotionRecord {
        record.correlation_id = correlation_id.into();
        record
    }

    #[test]
    fn a_rollback_or_import_recorded_after_the_import_ends_its_word_whatever_the_ids() {
        let import = with_id(record("2026-12-01T10:00:00.000Z", &["f/a"], false), "ours");
        let rollback = with_id(record("2026-12-01T10:05:00.000Z", &["f/a"], true), "back");
        let records = [import.clone(), rollback.clone()];
        let found = written_since(&records, "prod", "f/a", "ours", None);
        assert_eq!(found.map(|r| r.correlation_id.as_str()), Some("back"));
        // Our import recorded after the rollback: its word stands.
        let later = with_id(record("2026-12-01T10:09:00.000Z", &["f/a"], false), "ours");
        assert!(written_since(&[rollback.clone(), later], "prod", "f/a", "ours", None).is_none());
        // Another service, another target, the rollback's own job: not undone.
        assert!(written_since(&records, "prod", "f/b", "ours", None).is_none());
        assert!(written_since(&records, "uat", "f/a", "ours", None).is_none());
        assert!(written_since(&records, "prod", "f/a", "back", None).is_none());
        // Another import after ours (e.g. the import that undid a rollback): ours no longer speaks.
        let other = with_id(record("2026-12-01T10:09:00.000Z", &["f/a"], false), "other");
        let records = [import, other];
        let found = written_since(&records, "prod", "f/a", "ours", None);
        assert_eq!(found.map(|r| r.correlation_id.as_str()), Some("other"));
    }

    #[test]
    fn without_the_imports_record_the_jobs_end_tells_which_came_first() {
        let records = [with_id(
            record("2026-12-01T10:05:00.000Z", &["f/a"], true),
            "back",
        )];
        let undone = |ended| written_since(&records, "prod", "f/a", "ours", ended).is_some();
        assert!(undone(Some("2026-12-01T10:00:00.000Z")));
        assert!(undone(Some("2026-12-01T10:04:59Z")));
        assert!(
            !undone(Some("2026-12-01T10:06:00.000Z")),
            "imported after the rollback"
        );
        assert!(
            !undone(Some("yesterday")),
            "unreadable: the job's word stands"
        );
        assert!(!undone(None));
    }
}
