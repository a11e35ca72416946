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

use std::path::Path;
use std::sync::Arc;

use crate::exit::InvalidInput;
use crate::manifest::{self, HostPolicy, Manifest, Scope};

/// The process environment, as the manifest's `${VAR}` references see it.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The host policy from `--allow-host` values.
pub fn host_policy(allowed: &[String]) -> Result<HostPolicy, InvalidInput> {
    HostPolicy::new(allowed).map_err(InvalidInput::msg)
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
        .map_err(|err| InvalidInput(anyhow::Error::new(err)))
}
