//! The rules of the decision, pure: for one destination service, from what the promotion ships and what the
//! destination holds (with the placements a confirmed record proves), which source versions are already
//! there, what the import would do, and what it cannot do.
//!
//! A source version is *present* when the destination service holds its version id (Spark keeps a
//! version's id on import where it can), at its version number where the import keeps numbers (`replace`,
//! `abort`, `copy`); or when a confirmed record placed it there (the destination id and number it got).
//! Then, per `services_existing`:
//! - `replace`: unchanged when every shipped version is present and the service holds nothing else (a
//!   replace leaves exactly the package's versions); otherwise the whole service is replaced;
//! - `abort`: unchanged when every shipped version is present; otherwise the import would fail;
//! - `add_version` with `copy`: the missing versions are added at their numbers, unless a number is taken
//!   by another version (the import would fail);
//! - `add_version` with a bump: unchanged when the newest shipped version is present and is the service's
//!   newest (calls by service URI get it); otherwise the missing versions above the newest present one are
//!   added on top, or the newest again when something was put above it. An older version missing below is
//!   said, not re-added: it would land on top;
//! - a backup put back (a rollback): a version id at the destination proves nothing of its content (a
//!   `replace` over the same numbers keeps the ids), so a version is present only by a record of that
//!   rollback; then as `replace` (exactly, `Mode::Restore`), or with `add_version` (keeping the API call
//!   history, `Mode::OnTop`) the whole backup goes on top again, unless the newest of it is the service's
//!   newest.
use crate::manifest::{ServicesExisting, UpdateVersionType};
use crate::promote::record::Placed;
use crate::promote::version::{Bump, SemVer};
use crate::spark::ServiceVersion;

/// How the import treats one existing destination service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Abort,
    Replace,
    /// `add_version` with `copy`.
    Copy,
    /// `add_version` numbering by a bump.
    Bump(Bump),
    /// `replace` with a backup (an exact rollback): a version id there says nothing of its content (a
    /// `replace` over the same numbers keeps the ids), so only the rollback's own record shows it done.
    Restore,
    /// `add_version` of a backup, numbering by a bump: a rollback that keeps the API call history puts the
    /// whole backup back on top (new version numbers, the old content).
    OnTop(Bump),
}

impl Mode {
    /// The mode of a service from the promotion's `services_existing` and its (per-service) version type.
    pub fn of(existing: ServicesExisting, update: UpdateVersionType) -> Mode {
        match (existing, update) {
            (ServicesExisting::Abort, _) => Mode::Abort,
            (ServicesExisting::Replace, _) => Mode::Replace,
            (ServicesExisting::AddVersion, UpdateVersionType::Copy) => Mode::Copy,
            (ServicesExisting::AddVersion, UpdateVersionType::Major) => Mode::Bump(Bump::Major),
            (ServicesExisting::AddVersion, UpdateVersionType::Minor) => Mode::Bump(Bump::Minor),
            (ServicesExisting::AddVersion, UpdateVersionType::Patch) => Mode::Bump(Bump::Patch),
        }
    }

    /// Whether the import keeps the source's version numbers (so a version is present only at its own).
    pub fn keeps_numbers(self) -> bool {
        !matches!(self, Mode::Bump(_) | Mode::OnTop(_))
    }

    /// The mode of a backup put back (a rollback): exactly with `replace`, on top with `add_version`.
    pub fn restoring(self) -> Mode {
        match self {
            Mode::Replace => Mode::Restore,
            Mode::Bump(bump) => Mode::OnTop(bump),
            mode => mode,
        }
    }

    /// Whether the destination's own version ids show a shipped version present. Not for a backup put back
    /// (a rollback): a `replace` keeps a version's id and changes its content, so only a record of the
    /// rollback itself (where it put each version) shows it done.
    pub fn trusts_ids(self) -> bool {
        !matches!(self, Mode::Restore | Mode::OnTop(_))
    }
}

/// A source version the promotion ships: its id and number, when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippedVersion {
    pub id: Option<String>,
    pub number: Option<String>,
}

/// Whether a shipped version is at the destination, and how that is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// The destination holds it: where, and by which evidence.
    Present {
        placed: Placed,
        by: Evidence,
    },
    Missing,
}

/// What shows a version present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// Its version id is at the destination service.
    SameId,
    /// A confirmed promotion record placed it (index into the records the decision used).
    Record(usize),
}

/// What an import would do to one destination service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Everything shipped is there: left out of the import.
    Unchanged,
    /// The service does not exist: added with its versions.
    Add,
    /// The service exists and is replaced.
    Replace,
    /// The service exists and gets new versions.
    Update,
    /// The import would fail on this service.
    Fail(Failure),
}

/// A failure known before the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The destination folder does not exist.
    FolderMissing { folder: String },
    /// The service exists and `services_existing` is `abort`.
    ExistsAbort,
    /// `copy` onto a version number the destination holds under another id.
    CopyOntoTaken { number: String },
}

/// The destination service as the decision read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    /// It does not exist; whether its folder does.
    Absent { folder_exists: bool },
    /// It exists with these versions.
    Versions(Vec<ServiceVersion>),
}

/// The verdict on one destination service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceVerdict {
    pub action: Action,
    /// Each shipped version (in the order given) and whether it is there.
    pub versions: Vec<(ShippedVersion, Presence)>,
    /// The shipped versions the import must carry (indexes into `versions`); all of them for a `replace`.
    pub import: Vec<usize>,
    /// The numbers the destination would give the imported versions (when they can be known).
    pub next: Vec<String>,
    /// The destination's newest version number now.
    pub current: Option<String>,
    /// Shipped versions missing below the newest present one, which `add_version` cannot put back in place.
    pub missing_below: Vec<ShippedVersion>,
}

fn semver(text: Option<&str>) -> Option<SemVer> {
    text.and_then(SemVer::parse)
}

fn same_number(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => match (SemVer::parse(a), SemVer::parse(b)) {
            (Some(a), Some(b)) => a == b,
            _ => a == b,
        },
        _ => true,
    }
}

/// Where a shipped version is at the destination, if it is: by its id, else by a record's placement.
pub fn presence(
    version: &ShippedVersion,
    held: &[ServiceVersion],
    mode: Mode,
    destination: &str,
    records: &[(usize, &[Placed])],
) -> Presence {
    let number_ok = |held: &ServiceVersion| {
        !mode.keeps_numbers() || same_number(version.number.as_deref(), held.version.as_deref())
    };
    let Some(id) = version.id.as_deref() else {
        return Presence::Missing;
    };
    if let Some(found) = held
        .iter()
        .find(|held| mode.trusts_ids() && held.id == id && number_ok(held))
    {
        return Presence::Present {
            placed: Placed {
                source_version_id: Some(id.to_string()),
                destination: destination.to_string(),
                version_id: found.id.clone(),
                version: found.version.clone(),
            },
            by: Evidence::SameId,
        };
    }
    for (index, placements) in records {
        let placed = placements.iter().find(|placed| {
            placed.destination == destination
                && placed.source_version_id.as_deref() == Some(id)
                && held.iter().any(|held| {
                    held.id == placed.version_id
                        && same_number(placed.version.as_deref(), held.version.as_deref())
                })
        });
        if let Some(placed) = placed {
            return Presence::Present {
                placed: placed.clone(),
                by: Evidence::Record(*index),
            };
        }
    }
    Presence::Missing
}

/// Decides one destination service.
pub fn service(
    shipped: &[ShippedVersion],
    held: &Held,
    mode: Mode,
    destination: &str,
    records: &[(usize, &[Placed])],
) -> ServiceVerdict {
    let (folder_exists, held) = match held {
        Held::Absent { folder_exists } => (*folder_exists, None),
        Held::Versions(versions) => (true, Some(versions.as_slice())),
    };
    let Some(held) = held else {
        let versions: Vec<_> = shipped
            .iter()
            .map(|v| (v.clone(), Presence::Missing))
            .collect();
        let action = if folder_exists {
            Action::Add
        } else {
            let folder = destination.split('/').next().unwrap_or_default();
            Action::Fail(Failure::FolderMissing {
                folder: folder.to_string(),
            })
        };
        return ServiceVerdict {
            action,
            import: (0..shipped.len()).collect(),
            next: numbers(shipped),
            current: None,
            versions,
            missing_below: Vec::new(),
        };
    };
    let versions: Vec<(ShippedVersion, Presence)> = shipped
        .iter()
        .map(|v| (v.clone(), presence(v, held, mode, destination, records)))
        .collect();
    let current = newest(held).and_then(|v| v.version.clone());
    let missing: Vec<usize> = versions
        .iter()
        .enumerate()
        .filter(|(_, (_, presence))| *presence == Presence::Missing)
        .map(|(index, _)| index)
        .collect();
    let placed_ids: Vec<&str> = versions
        .iter()
        .filter_map(|(_, presence)| match presence {
            Presence::Present { placed, .. } => Some(placed.version_id.as_str()),
            Presence::Missing => None,
        })
        .collect();
    let known = !shipped.is_empty() && shipped.iter().all(|v| v.id.is_some());
    let mut verdict = ServiceVerdict {
        action: Action::Unchanged,
        versions: Vec::new(),
        import: Vec::new(),
        next: Vec::new(),
        current,
        missing_below: Vec::new(),
    };
    match mode {
        Mode::Replace | Mode::Restore => {
            let nothing_else = held.iter().all(|v| placed_ids.contains(&v.id.as_str()));
            if !known || !missing.is_empty() || !nothing_else {
                verdict.action = Action::Replace;
                verdict.import = (0..shipped.len()).collect();
                verdict.next = numbers(shipped);
            }
        }
        Mode::Abort => {
            if !known || !missing.is_empty() {
                verdict.action = Action::Fail(Failure::ExistsAbort);
            }
        }
        Mode::Copy => {
            if !known || !missing.is_empty() {
                let taken = missing.iter().find_map(|index| {
                    let number = shipped[*index].number.as_deref()?;
                    held.iter()
                        .any(|v| same_number(Some(number), v.version.as_deref()))
                        .then(|| number.to_string())
                });
                verdict.action = match taken {
                    Some(number) => Action::Fail(Failure::CopyOntoTaken { number }),
                    None => Action::Update,
                };
                verdict.import = if known {
                    missing.clone()
                } else {
                    (0..shipped.len()).collect()
                };
                verdict.next = verdict
                    .import
                    .iter()
                    .filter_map(|index| shipped[*index].number.clone())
                    .collect();
            }
        }
        Mode::Bump(bump) => bumped(&mut verdict, shipped, &versions, held, known, bump),
        Mode::OnTop(bump) => {
            if !known || !missing.is_empty() || !newest_on_top(shipped, &versions, held) {
                verdict.action = Action::Update;
                verdict.import = (0..shipped.len()).collect();
                verdict.next = next_numbers(verdict.current.as_deref(), bump, shipped.len());
            }
        }
    }
    verdict.versions = versions;
    verdict
}

/// Whether the newest shipped version (by the source's numbering) is present as the service's newest.
fn newest_on_top(
    shipped: &[ShippedVersion],
    versions: &[(ShippedVersion, Presence)],
    held: &[ServiceVersion],
) -> bool {
    let top = newest(held).map(|v| v.id.as_str());
    let newest_shipped = (0..shipped.len()).max_by_key(|i| semver(shipped[*i].number.as_deref()));
    newest_shipped.is_some_and(|i| match &versions[i].1 {
        Presence::Present { placed, .. } => top == Some(placed.version_id.as_str()),
        Presence::Missing => false,
    })
}

/// `add_version` with a bump: what goes on top, and what is missing below.
fn bumped(
    verdict: &mut ServiceVerdict,
    shipped: &[ShippedVersion],
    versions: &[(ShippedVersion, Presence)],
    held: &[ServiceVersion],
    known: bool,
    bump: Bump,
) {
    if !known {
        verdict.action = Action::Update;
        verdict.import = (0..shipped.len()).collect();
        verdict.next = next_numbers(verdict.current.as_deref(), bump, shipped.len().max(1));
        return;
    }
    // Source order, by the source's numbering.
    let mut order: Vec<usize> = (0..shipped.len()).collect();
    order.sort_by_key(|index| semver(shipped[*index].number.as_deref()));
    let newest_present = order
        .iter()
        .rev()
        .find(|index| matches!(versions[**index].1, Presence::Present { .. }))
        .copied();
    let top = newest(held).map(|v| v.id.as_str());
    let import: Vec<usize> = match newest_present {
        None => order.clone(),
        Some(present) => {
            let above: Vec<usize> = order
                .iter()
                .skip_while(|index| **index != present)
                .skip(1)
                .copied()
                .collect();
            let on_top = match &versions[present].1 {
                Presence::Present { placed, .. } => top == Some(placed.version_id.as_str()),
                Presence::Missing => false,
            };
            verdict.missing_below = order
                .iter()
                .take_while(|index| **index != present)
                .filter(|index| versions[**index].1 == Presence::Missing)
                .map(|index| shipped[*index].clone())
                .collect();
            match (above.is_empty(), on_top) {
                (true, true) => Vec::new(),
                // Something was put above what was promoted: the newest goes on top again.
                (true, false) => vec![present],
                (false, _) => above,
            }
        }
    };
    if !import.is_empty() {
        verdict.action = Action::Update;
        verdict.next = next_numbers(verdict.current.as_deref(), bump, import.len());
        verdict.import = import;
    }
}

/// The held version with the highest number.
fn newest(held: &[ServiceVersion]) -> Option<&ServiceVersion> {
    held.iter().max_by_key(|v| semver(v.version.as_deref()))
}

fn numbers(shipped: &[ShippedVersion]) -> Vec<String> {
    shipped.iter().filter_map(|v| v.number.clone()).collect()
}

/// `count` bumps from the destination's latest (none when it has no parseable number).
fn next_numbers(latest: Option<&str>, bump: Bump, count: usize) -> Vec<String> {
    let Some(mut version) = semver(latest) else {
        return Vec::new();
    };
    (0..count)
        .map(|_| {
            version = version.bump(bump);
            version.to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests;
