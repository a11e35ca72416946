//! The commands' bodies: each takes a plain request (built by `cli`) and returns an outcome.
pub mod action;
pub mod demo;
pub mod drift;
pub mod export;
pub mod job;
pub mod lock;
pub mod rollback;
pub mod run;
pub mod validate;

use secrecy::ExposeSecret;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::exit::InvalidInput;
use crate::manifest::{self, HostPolicy, Manifest, ManifestError, Promotion, Scope};

/// The process environment, as the manifest's `${VAR}` references see it.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The host policy from `--allow-host` values.
pub fn host_policy(allowed: &[String]) -> Result<HostPolicy, InvalidInput> {
    HostPolicy::new(allowed).map_err(InvalidInput::msg)
}

/// The manifest and the promotions a command over promotions works on, as the command line gives them
/// (`-m`, `-p`, `--allow-host`): validate, plan, apply, drift, lock.
#[derive(Debug, Clone)]
pub struct Selection {
    pub manifest: PathBuf,
    /// By name; empty: all.
    pub promotions: Vec<String>,
    pub allowed_hosts: Vec<String>,
}

impl Selection {
    /// What every command over promotions starts with: the manifest with only the selected promotions'
    /// environments resolved (least privilege), its selection checked; errors are invalid input (exit 2).
    pub fn load(&self) -> Result<Arc<Manifest>, InvalidInput> {
        self.load_in(&Scope::promotions(&self.promotions))
    }

    /// As [`Selection::load`], with only the selected promotions' source environments resolved (`lock`).
    pub fn load_sources(&self) -> Result<Arc<Manifest>, InvalidInput> {
        self.load_in(&Scope::Sources(self.promotions.clone()))
    }

    fn load_in(&self, scope: &Scope) -> Result<Arc<Manifest>, InvalidInput> {
        let hosts = host_policy(&self.allowed_hosts)?;
        open(&self.manifest, &hosts, scope, &self.promotions).map_err(InvalidInput::of)
    }

    /// The selected promotions of a manifest that [`Selection::load`] gave.
    pub fn of<'m>(&self, manifest: &'m Manifest) -> Vec<&'m Promotion> {
        selected(manifest, &self.promotions)
    }
}

/// The one opening of the CLI's commands and the action's: the manifest with only the environments in
/// `scope` resolved, its selection of `promotions` checked. The error is the manifest's own (each
/// diagnostic at file:line:col), for the action to annotate.
pub fn open(
    path: &Path,
    hosts: &HostPolicy,
    scope: &Scope,
    promotions: &[String],
) -> Result<Arc<Manifest>, ManifestError> {
    let manifest = manifest::load_scoped(path, &process_env, hosts, scope)?;
    // Known to the run before anything is sent (the action masks them itself: no hook).
    for secret in manifest.secret_values() {
        crate::redact::remember(secret.expose_secret());
    }
    manifest.select(promotions)?;
    Ok(Arc::new(manifest))
}

/// The selected promotions of a manifest whose selection [`open`] checked.
pub fn selected<'m>(manifest: &'m Manifest, promotions: &[String]) -> Vec<&'m Promotion> {
    manifest
        .select(promotions)
        .expect("the selection was checked when the manifest was loaded")
}

/// A committed package that is missing, empty, not a ZIP or too large is the caller's to fix (exit 2),
/// found before any call.
pub async fn check_packages(selected: &[&Promotion]) -> Result<(), InvalidInput> {
    let problems = validate::package_problems(selected).await;
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InvalidInput::msg(problems.join("\n")))
    }
}

/// Loads and validates a manifest with every environment's secrets; errors are invalid input (exit code 2) with
/// file:line:col.
pub fn load_manifest(path: &Path, hosts: &HostPolicy) -> Result<Arc<Manifest>, InvalidInput> {
    load_manifest_scoped(path, hosts, &Scope::All)
}

/// Loads and validates a manifest, resolving only the secrets of the environments in `scope` (least
/// privilege: a run needs only the secrets of the environments it calls).
pub fn load_manifest_scoped(
    path: &Path,
    hosts: &HostPolicy,
    scope: &Scope,
) -> Result<Arc<Manifest>, InvalidInput> {
    manifest::load_scoped(path, &process_env, hosts, scope)
        .map(Arc::new)
        .map_err(InvalidInput::of)
}
