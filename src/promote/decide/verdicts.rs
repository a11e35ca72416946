//! From the state read and the rules, the decision on a whole promotion (pure): each destination service's
//! row, the failures, and whether to import all, import only what is missing, skip or fail.
use std::collections::BTreeSet;

use super::rules::{self, Action, Evidence, Failure, Mode, Presence, ShippedVersion};
use super::state::{self, Destination};
use super::{Decision, Shipment, Skipped, Verdict};
use crate::manifest::Promotion;
use crate::promote::record::{Placed, PromotionRecord};
use crate::promote::result::{ServiceResult, ServiceStatus, Skip};
use crate::promote::uri::service_uri;

/// One destination service of a promotion and what is shipped to it.
pub(super) struct Target {
    pub source: String,
    pub destination: String,
    pub mode: Mode,
    pub shipped: Vec<ShippedVersion>,
}

/// The promotion's destination services, in the package's order: from the export index (ids and numbers),
/// else from the listing (numbers only, or nothing known).
/// `restoring`: the promotion puts a backup back (a rollback).
pub(super) fn targets(
    promotion: &Promotion,
    shipment: &Shipment<'_>,
    restoring: bool,
) -> Vec<Target> {
    shipment
        .listed
        .iter()
        .map(|listed| {
            let source = service_uri(&listed.uri);
            let shipped = match shipment.index {
                Some(index) => index
                    .service_versions
                    .iter()
                    .filter(|v| service_uri(&v.service_uri_source) == source)
                    .map(|v| ShippedVersion {
                        id: v.version_id_source.clone(),
                        number: v.version_source.clone(),
                    })
                    .collect(),
                None => listed
                    .versions
                    .iter()
                    .map(|number| ShippedVersion {
                        id: None,
                        number: Some(number.clone()),
                    })
                    .collect(),
            };
            let mode = Mode::of(promotion.services_existing, promotion.update_of(&source));
            Target {
                destination: promotion.destination_of(&source),
                mode: if restoring { mode.restoring() } else { mode },
                source,
                shipped,
            }
        })
        .collect()
}

/// What the rules say of every target, gathered.
#[derive(Default)]
struct Tally {
    /// The source version ids the import must carry (`None` where an id is unknown).
    import: Vec<Option<String>>,
    /// Some service is imported only in part.
    partial: bool,
    /// The destination services found unchanged, and how many versions they hold.
    unchanged: Vec<String>,
    unchanged_versions: usize,
    /// The records whose placements were believed.
    records: BTreeSet<usize>,
}

/// Decides the promotion from the state read, the records' placements and the rules.
pub(super) fn judge(
    promotion: &Promotion,
    shipment: &Shipment<'_>,
    targets: &[Target],
    state: &Destination,
    placements: &[(usize, Vec<Placed>)],
    records: &[PromotionRecord],
    correlation_id: &str,
) -> Decision {
    let claims: Vec<(usize, &[Placed])> = placements
        .iter()
        .map(|(index, placed)| (*index, placed.as_slice()))
        .collect();
    let mut decision = Decision {
        verdict: Verdict::Import { only: None },
        services: Vec::new(),
        failures: Vec::new(),
        warnings: Vec::new(),
        present: Vec::new(),
    };
    let mut tally = Tally::default();
    for target in targets {
        let row = judge_one(
            promotion,
            target,
            state,
            &claims,
            records,
            correlation_id,
            &mut decision,
            &mut tally,
        );
        decision.services.push(row);
    }
    decision
        .warnings
        .extend(state::warning(&state.unchecked(), &promotion.to));
    decision.verdict = verdict(shipment, targets, &tally, records, &mut decision.failures);
    decision
}

/// The row of one destination service; what it adds to the decision and the tally.
#[allow(clippy::too_many_arguments)]
fn judge_one(
    promotion: &Promotion,
    target: &Target,
    state: &Destination,
    claims: &[(usize, &[Placed])],
    records: &[PromotionRecord],
    correlation_id: &str,
    decision: &mut Decision,
    tally: &mut Tally,
) -> ServiceResult {
    let mut row = ServiceResult {
        source: target.source.clone(),
        destination: target.destination.clone(),
        status: ServiceStatus::Unchecked,
        current_version: None,
        next_version: numbers_text(target.shipped.iter().filter_map(|v| v.number.clone())),
        detail: None,
        service_id_destination: None,
    };
    let Some(held) = state.held(&target.destination) else {
        tally
            .import
            .extend(target.shipped.iter().map(|v| v.id.clone()));
        return row;
    };
    // A package whose version ids are unknown: a record of this very package (same correlation id) says
    // which versions it carried.
    let shipped = match target.shipped.is_empty() {
        true => {
            let (shipped, record) = carried(claims, records, correlation_id, &target.destination);
            tally.records.extend(record);
            shipped
        }
        false => target.shipped.clone(),
    };
    let verdict = rules::service(&shipped, held, target.mode, &target.destination, claims);
    row.current_version = verdict.current.clone();
    row.next_version = numbers_text(verdict.next.iter().cloned());
    let imported: BTreeSet<usize> = verdict.import.iter().copied().collect();
    for (index, (_, presence)) in verdict.versions.iter().enumerate() {
        if let Presence::Present { placed, by } = presence
            && !imported.contains(&index)
        {
            if let Evidence::Record(record) = by {
                tally.records.insert(*record);
            }
            decision.present.push(placed.clone());
        }
    }
    row.status = match &verdict.action {
        Action::Unchanged => {
            tally.unchanged.push(target.destination.clone());
            tally.unchanged_versions += verdict.versions.len();
            row.next_version = None;
            row.detail = Some(format!(
                "already there: {}",
                numbers_text(present_numbers(&verdict.versions)).unwrap_or_default()
            ));
            return ServiceResult {
                status: ServiceStatus::Unchanged,
                ..row
            };
        }
        Action::Add => ServiceStatus::Added,
        Action::Replace => {
            row.note("Spark deletes its API call history (replace)");
            ServiceStatus::Replaced
        }
        Action::Update if !target.mode.trusts_ids() => {
            row.note("the backup put back on top at new version numbers; its older versions stay, and so does the API call history (add_version)");
            ServiceStatus::Updated
        }
        Action::Update => ServiceStatus::Updated,
        Action::Fail(failure) => {
            let detail = failure_text(failure, &target.destination, &promotion.to);
            decision.failures.push(format!(
                "{} → {} would fail: {detail}",
                target.source, target.destination
            ));
            row.detail = Some(detail);
            return ServiceResult {
                status: ServiceStatus::WouldFail,
                ..row
            };
        }
    };
    if !verdict.missing_below.is_empty() {
        decision.warnings.push(format!(
            "{}: source version{} {} {} missing below the newest one promoted; add_version would put {} on \
             top, so {} not imported",
            target.destination,
            if verdict.missing_below.len() == 1 { "" } else { "s" },
            numbers_text(verdict.missing_below.iter().filter_map(|v| v.number.clone()))
                .unwrap_or_default(),
            if verdict.missing_below.len() == 1 { "is" } else { "are" },
            if verdict.missing_below.len() == 1 { "it" } else { "them" },
            if verdict.missing_below.len() == 1 { "it is" } else { "they are" },
        ));
    }
    if verdict.import.len() < target.shipped.len() {
        tally.partial = true;
        row.note(format!(
            "already there: {}",
            numbers_text(present_numbers(&verdict.versions)).unwrap_or_default()
        ));
    }
    tally.import.extend(
        verdict
            .import
            .iter()
            .map(|index| shipped[*index].id.clone()),
    );
    row
}

/// Import, narrow, skip or fail, from what every service said.
fn verdict(
    shipment: &Shipment<'_>,
    targets: &[Target],
    tally: &Tally,
    records: &[PromotionRecord],
    failures: &mut Vec<String>,
) -> Verdict {
    if !failures.is_empty() {
        return Verdict::Fail;
    }
    if !targets.is_empty() && tally.unchanged.len() == targets.len() {
        let skip = match tally.records.first() {
            Some(record) => Skip::Record {
                origin: records[*record].origin.clone(),
                versions: tally.unchanged_versions,
            },
            None => Skip::Destination {
                versions: tally.unchanged_versions,
                services: tally.unchanged.clone(),
            },
        };
        return Verdict::Skip(Skipped::Found(skip));
    }
    if tally.unchanged.is_empty() && !tally.partial {
        return Verdict::Import { only: None };
    }
    let ids: Option<Vec<String>> = tally.import.iter().cloned().collect();
    match ids {
        Some(ids) if shipment.narrowable && !ids.is_empty() => Verdict::Import { only: Some(ids) },
        _ => {
            let there = if tally.unchanged.is_empty() {
                "some of its versions are".to_string()
            } else {
                format!(
                    "{} already hold{} what it ships",
                    tally.unchanged.join(", "),
                    { if tally.unchanged.len() == 1 { "s" } else { "" } }
                )
            };
            failures.push(format!(
                "{} cannot be narrowed to what is missing: {there} (the same version ids), and importing \
                 it would import them again; nothing was imported. Promote from the source environment \
                 (its export is narrowed), or ship a package without them",
                shipment.display
            ));
            Verdict::Fail
        }
    }
}

/// The versions a record of this same package (correlation id) carried into `destination`, as shipped
/// versions (source ids; numbers unknown), and that record.
fn carried(
    claims: &[(usize, &[Placed])],
    records: &[PromotionRecord],
    correlation_id: &str,
    destination: &str,
) -> (Vec<ShippedVersion>, Option<usize>) {
    let Some((index, placed)) = claims
        .iter()
        .find(|(index, _)| records[*index].correlation_id == correlation_id)
    else {
        return (Vec::new(), None);
    };
    let shipped: Vec<ShippedVersion> = placed
        .iter()
        .filter(|placed| placed.destination == destination)
        .filter_map(|placed| {
            Some(ShippedVersion {
                id: Some(placed.source_version_id.clone()?),
                number: None,
            })
        })
        .collect();
    let record = (!shipped.is_empty()).then_some(*index);
    (shipped, record)
}

fn present_numbers(versions: &[(ShippedVersion, Presence)]) -> impl Iterator<Item = String> + '_ {
    versions
        .iter()
        .filter_map(|(shipped, presence)| match presence {
            Presence::Present { placed, .. } => placed.version.clone().or(shipped.number.clone()),
            Presence::Missing => None,
        })
}

fn failure_text(failure: &Failure, destination: &str, environment: &str) -> String {
    match failure {
        Failure::FolderMissing { folder } => {
            format!("destination folder {folder} does not exist in {environment}")
        }
        Failure::ExistsAbort => {
            format!("{destination} exists in {environment} and services_existing is abort")
        }
        Failure::CopyOntoTaken { number } => format!(
            "version {number} of {destination} already exists in {environment} and update_version_type is copy"
        ),
    }
}

fn numbers_text(numbers: impl Iterator<Item = String>) -> Option<String> {
    let numbers: Vec<String> = numbers.collect();
    (!numbers.is_empty()).then(|| numbers.join(", "))
}
