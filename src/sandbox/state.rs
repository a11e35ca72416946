//! The sandbox's shared state: settings, credentials (from the seed), on-disk storage and, behind one lock,
//! the catalog, the jobs, issued tokens and injected faults.
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::Context;

use super::catalog::Catalog;
use super::clock::Clock;
use super::compat::Compat;
use super::execute::{Program, Wrong};
use super::faults::Faults;
use super::jobs::Job;
use super::seed::Seed;
use super::stats::Stats;

/// Settings a running sandbox needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a job takes from `created` to its end.
    pub job_duration: Duration,
    /// Largest accepted package upload.
    pub max_upload_bytes: u64,
    /// Lifetime of tokens from the client-credentials endpoint.
    pub token_lifetime: Duration,
    /// The answer shapes.
    pub compat: Compat,
}

/// A token issued by the client-credentials endpoint.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub tenant: String,
    pub client_id: String,
    pub expires: Instant,
}

/// Everything that changes, behind one lock.
#[derive(Debug, Default)]
pub struct Inner {
    pub catalog: Catalog,
    pub jobs: Vec<Job>,
    pub tokens: HashMap<String, IssuedToken>,
    pub faults: Faults,
    /// Download tokens of export packages.
    pub downloads: HashMap<String, PathBuf>,
    /// Request counters (`/_sandbox/stats`).
    pub stats: Stats,
    /// Real time, or later (`POST /_sandbox/clock`).
    pub clock: Clock,
    /// What each version content computes, by stored file (or seeded version), computed once.
    pub programs: HashMap<String, Arc<Program>>,
    /// Versions marked to answer wrongly (`POST /_sandbox/execute/wrong`).
    pub wrong: Vec<Wrong>,
}

/// Where uploads, version files and export packages live: the state directory, or a temporary directory
/// removed with the sandbox.
#[derive(Debug)]
struct Storage {
    root: PathBuf,
    persistent: bool,
    _temp: Option<tempfile::TempDir>,
}

#[derive(Debug)]
struct Shared {
    settings: Settings,
    seed: Seed,
    storage: Storage,
    inner: Mutex<Inner>,
}

/// The state behind the sandbox's router (cheap to clone).
#[derive(Debug, Clone)]
pub struct SandboxState {
    shared: Arc<Shared>,
}

const STATE_FILE: &str = "state.json";

impl SandboxState {
    /// A sandbox holding the seed's content. With `state_dir`, the content saved there by an earlier run is
    /// loaded (tenants missing from it are added from the seed) and every change is saved back.
    pub fn new(seed: Seed, settings: Settings, state_dir: Option<&Path>) -> anyhow::Result<Self> {
        let (storage, catalog) = match state_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("failed to create {}", dir.display()))?;
                let file = dir.join(STATE_FILE);
                let mut catalog = if file.exists() {
                    let text = std::fs::read(&file)
                        .with_context(|| format!("failed to read {}", file.display()))?;
                    serde_json::from_slice(&text)
                        .with_context(|| format!("invalid sandbox state {}", file.display()))?
                } else {
                    Catalog::default()
                };
                catalog.add_missing_tenants(&seed);
                (
                    Storage {
                        root: dir.to_owned(),
                        persistent: true,
                        _temp: None,
                    },
                    catalog,
                )
            }
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("spark-promote-sandbox-")
                    .tempdir()
                    .context("failed to create the sandbox's temporary directory")?;
                let storage = Storage {
                    root: temp.path().to_owned(),
                    persistent: false,
                    _temp: Some(temp),
                };
                (storage, Catalog::from_seed(&seed))
            }
        };
        for dir in ["uploads", "blobs", "exports"] {
            let path = storage.root.join(dir);
            std::fs::create_dir_all(&path)
                .with_context(|| format!("failed to create {}", path.display()))?;
        }
        let state = SandboxState {
            shared: Arc::new(Shared {
                settings,
                seed,
                storage,
                inner: Mutex::new(Inner {
                    catalog,
                    ..Inner::default()
                }),
            }),
        };
        state.save(&state.lock());
        Ok(state)
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.shared.settings
    }

    /// The seed (tenants and their credentials).
    pub fn seed(&self) -> &Seed {
        &self.shared.seed
    }

    /// Locks the changing state. Never held across an await.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.shared
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Directory of uploads being received.
    pub fn uploads_dir(&self) -> PathBuf {
        self.shared.storage.root.join("uploads")
    }

    /// Directory of stored version files.
    pub fn blobs_dir(&self) -> PathBuf {
        self.shared.storage.root.join("blobs")
    }

    /// Directory of export packages.
    pub fn exports_dir(&self) -> PathBuf {
        self.shared.storage.root.join("exports")
    }

    /// Saves the catalog to the state directory, if there is one (write then rename). Failures are logged.
    pub fn save(&self, inner: &Inner) {
        let storage = &self.shared.storage;
        if !storage.persistent {
            return;
        }
        let file = storage.root.join(STATE_FILE);
        let temp = storage.root.join(format!("{STATE_FILE}.tmp"));
        let result = serde_json::to_vec_pretty(&inner.catalog)
            .map_err(anyhow::Error::from)
            .and_then(|bytes| Ok(std::fs::write(&temp, bytes)?))
            .and_then(|()| Ok(std::fs::rename(&temp, &file)?));
        if let Err(error) = result {
            tracing::warn!(
                "failed to save the sandbox state to {}: {error:#}",
                file.display()
            );
        }
    }
}
