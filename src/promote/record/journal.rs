//! The journal: the CLI's own promotion records, kept in `.spark-promote/records.json` in the working
//! directory, so that a terminal user's re-run after Spark's one-hour job list has the same evidence the
//! action has in its GitHub deployments (where the version ids could not migrate, say a second destination
//! of one tenant, the destination alone cannot tell that a version is the promoted one).
//!
//! Each entry says where one successful import (or rollback) left every version of its promotion. A newer
//! entry for a destination service supersedes the older ones for it, so the file holds one word per
//! service; at most [`MAX_ENTRIES`] entries are kept. Writing never fails a promotion (a warning in the
//! log), and the file is replaced whole (a reader never sees half an entry).
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::{ImportEnded, ImportStarted, Origin, Placed, PromotionRecord, Proof, Recorder};
use crate::promote::result::PromotionStatus;

/// Where the CLI keeps its journal, relative to the working directory.
pub const DEFAULT_PATH: &str = ".spark-promote/records.json";
/// The most entries kept (the oldest go first).
pub const MAX_ENTRIES: usize = 500;

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    version: u32,
    entries: Vec<Entry>,
}

/// One recorded import.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    at: String,
    /// The target's base URL (with the tenant): names of environments differ between manifests.
    target_url: String,
    correlation_id: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    rollback: bool,
    /// A rollback after a failed verification: the correlation id of the import it undid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    undoes: Option<String>,
    placed: Vec<Placed>,
}

/// The journal file, written as imports end.
pub struct Journal {
    path: PathBuf,
    lock: Mutex<()>,
}

impl Journal {
    pub fn at(path: impl Into<PathBuf>) -> Journal {
        Journal {
            path: path.into(),
            lock: Mutex::new(()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The records of imports into the environment `target` at `target_url` (an unreadable journal is
    /// an empty one, with a warning in the log).
    pub fn records(&self, target: &str, target_url: &str) -> Vec<PromotionRecord> {
        let file = self.load();
        let shown = self.path.display().to_string();
        file.entries
            .into_iter()
            .filter(|entry| same_url(&entry.target_url, target_url))
            .map(|entry| {
                let mut services: Vec<String> =
                    entry.placed.iter().map(|p| p.destination.clone()).collect();
                services.sort();
                services.dedup();
                PromotionRecord {
                    origin: Origin::Journal {
                        at: entry.at.clone(),
                        path: shown.clone(),
                    },
                    at: Some(entry.at),
                    correlation_id: entry.correlation_id,
                    target: target.to_string(),
                    rollback: entry.rollback,
                    undoes: entry.undoes,
                    destination_services: services,
                    proof: Proof::Placed(entry.placed),
                }
            })
            .collect()
    }

    /// The records of imports into every environment of `manifest`.
    pub fn records_for(&self, manifest: &crate::manifest::Manifest) -> Vec<PromotionRecord> {
        manifest
            .environments
            .iter()
            .flat_map(|(name, environment)| self.records(name, environment.url.as_str()))
            .collect()
    }

    fn load(&self) -> File {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|err| {
                tracing::warn!(
                    "ignoring the journal {}: {err}; it is rewritten at the next import",
                    self.path.display()
                );
                File::default()
            }),
            Err(_) => File::default(),
        }
    }

    /// Adds the entry of an import that ended well.
    fn add(&self, event: &ImportEnded) -> anyhow::Result<()> {
        let _guard = self
            .lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut file = self.load();
        file.version = 1;
        let written: Vec<&str> = event
            .placed
            .iter()
            .map(|p| p.destination.as_str())
            .collect();
        for entry in &mut file.entries {
            if same_url(&entry.target_url, &event.target_url) {
                entry
                    .placed
                    .retain(|placed| !written.contains(&placed.destination.as_str()));
            }
        }
        file.entries.retain(|entry| !entry.placed.is_empty());
        file.entries.push(Entry {
            at: humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
            target_url: event.target_url.clone(),
            correlation_id: event.correlation_id.clone(),
            rollback: event.rollback,
            undoes: event.undoes.clone(),
            placed: event.placed.clone(),
        });
        let excess = file.entries.len().saturating_sub(MAX_ENTRIES);
        file.entries.drain(..excess);
        if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            crate::promote::files::create_dir(parent)?;
        }
        crate::promote::files::write_atomic(&self.path, &serde_json::to_vec_pretty(&file)?)
    }
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

impl Recorder for Journal {
    fn started(&self, _: ImportStarted) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }

    fn ended(&self, event: ImportEnded) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if event.status != PromotionStatus::Completed || event.placed.is_empty() {
                return;
            }
            if let Err(err) = self.add(&event) {
                tracing::warn!(
                    "could not write the journal {}: {err:#}",
                    self.path.display()
                );
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ended(correlation_id: &str, placed: &[(&str, &str)]) -> ImportEnded {
        ImportEnded {
            promotion: "pricing".into(),
            import_job_id: "job".into(),
            status: PromotionStatus::Completed,
            service_versions: Vec::new(),
            errors: Vec::new(),
            correlation_id: correlation_id.into(),
            target: "prod".into(),
            target_url: "http://127.0.0.1:1/acme-prod".into(),
            rollback: false,
            undoes: None,
            verified_cases: None,
            placed: placed
                .iter()
                .map(|(destination, id)| Placed {
                    source_version_id: Some(format!("u-{id}")),
                    destination: (*destination).into(),
                    version_id: (*id).into(),
                    version: Some("1.0.0".into()),
                })
                .collect(),
        }
    }

    #[test]
    fn a_newer_entry_supersedes_the_older_ones_of_its_services() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::at(dir.path().join(".spark-promote/records.json"));
        journal
            .add(&ended(
                "first",
                &[("pricing/quote", "a"), ("pricing/rating", "b")],
            ))
            .unwrap();
        journal
            .add(&ended("second", &[("pricing/quote", "c")]))
            .unwrap();
        let records = journal.records("prod", "http://127.0.0.1:1/acme-prod/");
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].correlation_id, "first");
        assert_eq!(records[0].destination_services, ["pricing/rating"]);
        assert_eq!(records[1].destination_services, ["pricing/quote"]);
        assert!(
            journal
                .records("prod", "http://127.0.0.1:1/other")
                .is_empty()
        );
    }

    #[test]
    fn an_unreadable_journal_is_empty_and_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records.json");
        std::fs::write(&path, "{not json").unwrap();
        let journal = Journal::at(&path);
        assert!(
            journal
                .records("prod", "http://127.0.0.1:1/acme-prod")
                .is_empty()
        );
        journal
            .add(&ended("first", &[("pricing/quote", "a")]))
            .unwrap();
        assert_eq!(
            journal
                .records("prod", "http://127.0.0.1:1/acme-prod")
                .len(),
            1
        );
    }
}
