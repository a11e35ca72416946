//! Predicted failures: every verdict an import would reach that can be known before it starts (a remap of a
//! service the package does not hold, a missing destination folder, `abort` on an existing service, `copy`
//! onto a version number the destination holds). Plan reports them; apply stops on them before importing.
//! Both call this module, so they say the same thing in the same words.
use std::collections::BTreeMap;

use anyhow::Context as _;

use crate::manifest::{Promotion, ServicesExisting, Source, UpdateVersionType};
use crate::promote::result::{ServiceResult, ServiceStatus};
use crate::promote::source::Listed;
use crate::promote::uri::service_uri;
use crate::promote::version::{Bump, SemVer};
use crate::spark::Client;

/// Fails when a `services:` entry remaps a source service that the package does not hold (known only when
/// the package's services are: an export, or a package with its index), naming the closest one.
pub(crate) fn check_mappings(
    promotion: &Promotion,
    listed: &[Listed],
    known: bool,
) -> anyhow::Result<()> {
    if !known {
        return Ok(());
    }
    let held: Vec<String> = listed.iter().map(|l| service_uri(&l.uri)).collect();
    let origin = match &promotion.source {
        Source::Environment { environment, .. } => format!("the export from {environment}"),
        Source::Package { display, .. } => format!("the package {display}"),
    };
    for (index, mapping) in promotion.services.iter().enumerate() {
        if held.contains(&mapping.source) {
            continue;
        }
        let hint = closest(&mapping.source, &held)
            .map(|name| format!(" (did you mean {name}?)"))
            .unwrap_or_default();
        anyhow::bail!(
            "services[{index}].source {} is not in {origin}{hint}",
            mapping.source
        );
    }
    Ok(())
}

/// The candidate nearest to `wanted` by edit distance, when it is near enough to be a typo.
fn closest<'a>(wanted: &str, candidates: &'a [String]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|candidate| (distance(wanted, candidate), candidate))
        .filter(|(distance, _)| *distance <= wanted.chars().count().div_ceil(3).max(2))
        .min()
        .map(|(_, candidate)| candidate.as_str())
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let replaced = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = replaced.min(previous + 1).min(row[j] + 1);
        }
    }
    row[b.len()]
}

/// Predicts what the import does to each listed service.
pub(crate) async fn services(
    client: &Client,
    promotion: &Promotion,
    listed: &[Listed],
) -> anyhow::Result<Vec<ServiceResult>> {
    let mut folders = BTreeMap::new();
    let mut rows = Vec::with_capacity(listed.len());
    for service in listed {
        rows.push(service_verdict(client, promotion, service, &mut folders).await?);
    }
    Ok(rows)
}

/// The predicted failures, one line each, as both plan and apply report them.
pub(crate) fn failures(rows: &[ServiceResult]) -> Vec<String> {
    rows.iter()
        .filter(|row| row.status == ServiceStatus::WouldFail)
        .map(|row| {
            format!(
                "{} → {} would fail: {}",
                row.source,
                row.destination,
                row.detail.as_deref().unwrap_or("")
            )
        })
        .collect()
}

/// Predicts what the import does to one service.
async fn service_verdict(
    client: &Client,
    promotion: &Promotion,
    listed: &Listed,
    folders: &mut BTreeMap<String, bool>,
) -> anyhow::Result<ServiceResult> {
    let source = service_uri(&listed.uri);
    let destination = promotion.destination_of(&source);
    let update = promotion
        .mapping(&source)
        .and_then(|mapping| mapping.update_version_type)
        .unwrap_or(promotion.update_version_type);
    let (folder, service) = destination
        .split_once('/')
        .with_context(|| format!("service {destination} is not of the form folder/service"))?;
    let mut row = ServiceResult {
        source: source.clone(),
        destination: destination.clone(),
        status: ServiceStatus::Added,
        current_version: None,
        next_version: None,
        detail: None,
        service_id_destination: None,
    };
    let folder_exists = match folders.get(folder) {
        Some(known) => *known,
        None => {
            let exists = client
                .folder_exists(folder)
                .await
                .with_context(|| format!("failed to check folder {folder} in {}", promotion.to))?;
            folders.insert(folder.to_string(), exists);
            exists
        }
    };
    if !folder_exists {
        row.status = ServiceStatus::WouldFail;
        row.detail = Some(format!(
            "destination folder {folder} does not exist in {}",
            promotion.to
        ));
        return Ok(row);
    }
    let info = client
        .service_exists(folder, service)
        .await
        .with_context(|| format!("failed to check service {destination} in {}", promotion.to))?;
    row.service_id_destination = info.id.clone();
    row.current_version = info.version.clone().filter(|_| info.exists);
    if !info.exists {
        row.next_version = versions_text(&listed.versions);
        return Ok(row);
    }
    match promotion.services_existing {
        ServicesExisting::Abort => {
            row.status = ServiceStatus::WouldFail;
            row.detail = Some(format!(
                "{destination} exists in {} and services_existing is abort",
                promotion.to
            ));
        }
        ServicesExisting::Replace => {
            row.status = ServiceStatus::Replaced;
            row.next_version = versions_text(&listed.versions);
        }
        ServicesExisting::AddVersion => {
            if update == UpdateVersionType::Copy
                && let Some(taken) =
                    copied_onto_existing(client, promotion, listed, folder, service).await?
            {
                row.status = ServiceStatus::WouldFail;
                row.detail = Some(format!(
                    "version {taken} of {destination} already exists in {} and update_version_type is copy",
                    promotion.to
                ));
                return Ok(row);
            }
            row.status = ServiceStatus::Updated;
            row.next_version = next_versions(info.version.as_deref(), update, listed);
        }
    }
    Ok(row)
}

/// The first source version number that `copy` would add to a destination service that already has it.
async fn copied_onto_existing(
    client: &Client,
    promotion: &Promotion,
    listed: &Listed,
    folder: &str,
    service: &str,
) -> anyhow::Result<Option<String>> {
    if listed.versions.is_empty() {
        return Ok(None);
    }
    let held = client
        .service_versions(folder, service)
        .await
        .with_context(|| {
            format!(
                "failed to read the versions of {folder}/{service} in {}",
                promotion.to
            )
        })?
        .unwrap_or_default();
    let same = |a: &str, b: &str| match (SemVer::parse(a), SemVer::parse(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    };
    Ok(listed
        .versions
        .iter()
        .find(|wanted| {
            held.iter()
                .any(|version| version.version.as_deref().is_some_and(|v| same(v, wanted)))
        })
        .cloned())
}

/// The versions `add_version` would create: one bump of the destination's latest per source version
/// (at least one when the source versions are unknown), or the source versions for `copy`.
fn next_versions(
    latest: Option<&str>,
    update: UpdateVersionType,
    listed: &Listed,
) -> Option<String> {
    let bump = match update {
        UpdateVersionType::Copy => return versions_text(&listed.versions),
        UpdateVersionType::Major => Bump::Major,
        UpdateVersionType::Minor => Bump::Minor,
        UpdateVersionType::Patch => Bump::Patch,
    };
    let mut version = SemVer::parse(latest?)?;
    let mut created = Vec::new();
    for _ in 0..listed.versions.len().max(1) {
        version = version.bump(bump);
        created.push(version.to_string());
    }
    versions_text(&created)
}

fn versions_text(versions: &[String]) -> Option<String> {
    (!versions.is_empty()).then(|| versions.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(versions: &[&str]) -> Listed {
        Listed {
            uri: "f/s".into(),
            versions: versions.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn add_version_bumps_once_per_source_version_from_the_latest() {
        let two = listed(&["1.0.0", "1.1.0"]);
        assert_eq!(
            next_versions(Some("1.3.1"), UpdateVersionType::Minor, &two).unwrap(),
            "1.4.0, 1.5.0"
        );
        assert_eq!(
            next_versions(Some("1.3.1"), UpdateVersionType::Major, &listed(&[])).unwrap(),
            "2.0.0"
        );
        assert_eq!(
            next_versions(Some("1.3.1"), UpdateVersionType::Copy, &two).unwrap(),
            "1.0.0, 1.1.0"
        );
        assert_eq!(next_versions(None, UpdateVersionType::Patch, &two), None);
    }

    #[test]
    fn a_typo_gets_the_closest_name_and_a_stranger_gets_none() {
        let held = vec!["pricing/quote".to_string(), "pricing/rating".to_string()];
        assert_eq!(closest("pricing/qoute", &held), Some("pricing/quote"));
        assert_eq!(closest("billing/invoice", &held), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
