//! Promotion records as GitHub deployments: every import the action starts becomes a deployment of its
//! destination environment (`spark-prod` by default) with the promotion in its payload, and statuses
//! `in_progress` then `success` or `failure` linking to the run. Before a run, the successful ones of the
//! selected promotions are read back as [`PromotionRecord`](crate::promote::record::PromotionRecord)s.
//!
//! Recording never fails a promotion. A refusal (403/404: the token lacks `deployments: write`) is one
//! warning, and no further deployment call is made in the run; other failures are warnings too.
//!
//! The payload's format and a listed deployment as a record: `payload.rs`; reading records back before a
//! run (`records`, `undone_by`): `read_back.rs`; creating deployments and their statuses: `create.rs`;
//! here, the calls' one gate (`call`: a refusal stops the rest, failures become warnings).
mod create;
mod payload;
mod read_back;

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::api::{ApiError, Client};
use super::context::Repository;
pub use payload::{Deployment, Payload};
pub use read_back::candidates;

/// The deployments' `task`: names the tool, and finds its deployments among others.
pub const TASK: &str = "deploy:spark-promote";
/// The default name of a destination's GitHub environment; `{environment}` is the manifest's name for it.
pub const DEFAULT_ENVIRONMENT: &str = "spark-{environment}";

/// Where the action records its promotions, and what it has found out about that in the run.
pub struct Deployments {
    client: Client,
    repository: Repository,
    /// The commit the workflow runs on (`GITHUB_SHA`).
    sha: String,
    /// The environment's name, with `{environment}` for the manifest's.
    environment: String,
    manifest: String,
    log_url: Option<String>,
    /// This run rolls back: its deployments say so.
    rollback: bool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// GitHub refused a deployment call: no further ones.
    refused: bool,
    warnings: Vec<String>,
    /// The deployment of each promotion started in this run.
    created: BTreeMap<String, u64>,
}

impl Deployments {
    pub fn new(
        client: Client,
        repository: Repository,
        sha: String,
        environment: String,
        manifest: String,
        log_url: Option<String>,
    ) -> Deployments {
        Deployments {
            client,
            repository,
            sha,
            environment,
            manifest,
            log_url,
            rollback: false,
            state: Mutex::new(State::default()),
        }
    }

    /// The deployments of a rollback run: each says it is one (`rollback: true` in its payload), so that a
    /// later run no longer takes the records it undid as applied.
    pub fn for_rollback(mut self) -> Deployments {
        self.rollback = true;
        self
    }

    /// The GitHub environment of the manifest's environment `target`.
    pub fn environment_for(&self, target: &str) -> String {
        self.environment.replace("{environment}", target)
    }

    /// What went wrong since the last call, as warnings for the log.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut self.state.lock().expect("deployments state").warnings)
    }

    fn repo_path(&self) -> String {
        format!("/repos/{}/{}", self.repository.owner, self.repository.name)
    }

    fn refused(&self) -> bool {
        self.state.lock().expect("deployments state").refused
    }

    /// Runs a call unless GitHub refused one already; a failure becomes a warning (a refusal, only the
    /// first) and `None`.
    async fn call<T>(&self, request: impl Future<Output = Result<T, ApiError>>) -> Option<T> {
        if self.refused() {
            return None;
        }
        let err = match request.await {
            Ok(value) => return Some(value),
            Err(err) => err,
        };
        let mut state = self.state.lock().expect("deployments state");
        if err.is_refused() {
            if !state.refused {
                state.refused = true;
                state.warnings.push(format!(
                    "GitHub deployments are not read or recorded in this run: {err} (the workflow's \
                     token needs the `deployments: write` permission)"
                ));
            }
        } else {
            state
                .warnings
                .push(format!("a GitHub deployment call failed: {err}"));
        }
        None
    }
}

#[cfg(test)]
mod tests;
