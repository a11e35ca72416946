//! Promotion records as GitHub deployments: every import the action starts becomes a deployment of its
//! destination environment (`spark-prod` by default) with the promotion in its payload, and statuses
//! `in_progress` then `success` or `failure` linking to the run. Before a run, the successful ones of the
//! selected promotions are read back as [`PromotionRecord`]s.
//!
//! Recording never fails a promotion. A refusal (403/404: the token lacks `deployments: write`) is one
//! warning, and no further deployment call is made in the run; other failures are warnings too.
use std::collections::BTreeMap;
use std::sync::Mutex;

use futures_util::future::BoxFuture;
use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::api::{ApiError, Client, Retry};
use super::context::Repository;
use crate::promote::record::{
    ImportEnded, ImportStarted, Origin, PromotionRecord, Proof, Recorder,
};
use crate::promote::result::PromotionStatus;

/// The deployments' `task`: names the tool, and finds its deployments among others.
pub const TASK: &str = "deploy:spark-promote";
/// The default name of a destination's GitHub environment; `{environment}` is the manifest's name for it.
pub const DEFAULT_ENVIRONMENT: &str = "spark-{environment}";
/// Deployments read per environment before a run (one page, newest first).
const PER_PAGE: usize = 100;
/// Status lookups per environment before a run, at most (one per correlation id of a selected promotion).
const MAX_STATUS_LOOKUPS: usize = 20;
/// GitHub's limit for a status's description.
const MAX_DESCRIPTION: usize = 140;

/// What a deployment's `payload` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// The manifest's path, as the action was given it.
    pub manifest: String,
    /// The promotion's name.
    pub promotion: String,
    /// The manifest's name of the destination environment.
    pub target: String,
    pub correlation_id: String,
    pub export_job_id: Option<String>,
    pub import_job_id: String,
    #[serde(default)]
    pub source_version_ids: Vec<String>,
    #[serde(default)]
    pub destination_services: Vec<String>,
    /// A rollback: its success undoes the earlier promotions into its destination services.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rollback: bool,
    /// A rollback after a failed verification: the correlation id of the import it undoes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<String>,
    /// The cases the import is verified with (their sha256 and count); its final status says whether
    /// they passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cases: Option<crate::promote::record::Cases>,
}

/// A deployment as GitHub lists it (the fields read here).
#[derive(Debug, Clone, Deserialize)]
pub struct Deployment {
    pub id: u64,
    /// An object, or (for deployments made with a string payload) a JSON string.
    #[serde(default)]
    pub payload: serde_json::Value,
    #[serde(default)]
    pub created_at: Option<String>,
}

impl Deployment {
    /// Its payload, when it is one of ours.
    pub fn payload(&self) -> Option<Payload> {
        match &self.payload {
            serde_json::Value::String(text) => serde_json::from_str(text).ok(),
            value => serde_json::from_value(value.clone()).ok(),
        }
    }

    /// The record it makes when its latest status is `success`.
    pub fn record(&self, payload: Payload) -> PromotionRecord {
        PromotionRecord {
            origin: Origin::Deployment {
                id: self.id,
                created_at: self.created_at.clone(),
            },
            at: self.created_at.clone(),
            correlation_id: payload.correlation_id,
            target: payload.target,
            rollback: payload.rollback,
            undoes: payload.undoes,
            destination_services: payload.destination_services,
            proof: match payload.import_job_id.is_empty() {
                true => Proof::Nothing,
                false => Proof::ImportJob(payload.import_job_id),
            },
        }
    }
}

#[derive(Deserialize)]
struct Created {
    id: u64,
}

#[derive(Deserialize)]
struct Status {
    state: String,
}

/// Among `deployments` (newest first), those whose latest status decides a record of the `selected`
/// promotions (name, target): the newest one of each correlation id; at most `limit`.
pub fn candidates(
    deployments: &[Deployment],
    manifest: &str,
    selected: &[(&str, &str)],
    limit: usize,
) -> Vec<(Deployment, Payload)> {
    // A monorepo's manifests may name their promotions alike: a record is this manifest's.
    let normal = |path: &str| path.replace('\\', "/").trim_start_matches("./").to_string();
    let manifest = normal(manifest);
    let mut chosen: Vec<(Deployment, Payload)> = Vec::new();
    for deployment in deployments {
        let Some(payload) = deployment.payload() else {
            continue;
        };
        // A verification's rollback (named after its backup) is read for the promotion it undid.
        let ours = normal(&payload.manifest) == manifest
            && selected.iter().any(|(name, target)| {
                (*name == payload.promotion || payload.undoes.is_some())
                    && *target == payload.target
            });
        let newer_seen = chosen
            .iter()
            .any(|(_, seen)| seen.correlation_id == payload.correlation_id);
        if ours && !newer_seen && !payload.correlation_id.is_empty() {
            chosen.push((deployment.clone(), payload));
            if chosen.len() == limit {
                break;
            }
        }
    }
    chosen
}

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

    /// The successful earlier promotions on record of the `selected` promotions (name, target environment):
    /// one list of deployments per destination environment, and the latest status of the newest deployment
    /// of each correlation id.
    pub async fn records(&self, selected: &[(&str, &str)]) -> Vec<PromotionRecord> {
        let mut environments: Vec<String> = Vec::new();
        for (_, target) in selected {
            let environment = self.environment_for(target);
            if !environments.contains(&environment) {
                environments.push(environment);
            }
        }
        let mut records = Vec::new();
        for environment in environments {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("environment", &environment)
                .append_pair("task", TASK)
                .append_pair("per_page", &PER_PAGE.to_string())
                .finish();
            let Some(listed) = self
                .call(
                    self.client.get::<Vec<Deployment>>(&format!(
                        "{}/deployments?{query}",
                        self.repo_path()
                    )),
                )
                .await
            else {
                continue;
            };
            let here: Vec<(&str, &str)> = selected
                .iter()
                .copied()
                .filter(|(_, target)| self.environment_for(target) == environment)
                .collect();
            let mut lookups = 0;
            for (deployment, payload) in
                candidates(&listed, &self.manifest, &here, MAX_STATUS_LOOKUPS)
            {
                match self.succeeded(&deployment, &mut lookups).await {
                    None => break,
                    Some(false) => continue,
                    Some(true) => {}
                }
                match self
                    .undone_by(&listed, &deployment, &payload, &mut lookups)
                    .await
                {
                    None => break,
                    Some(Some(rollback)) => tracing::info!(
                        "GitHub deployment {} was undone by the rollback of GitHub deployment {rollback}: \
                         not a record",
                        deployment.id
                    ),
                    Some(None) => records.push(deployment.record(payload)),
                }
            }
        }
        records
    }

    /// Whether a deployment's latest status is `success`; `None` when GitHub could not say or the status
    /// lookups of this environment are spent.
    async fn succeeded(&self, deployment: &Deployment, lookups: &mut usize) -> Option<bool> {
        if *lookups == MAX_STATUS_LOOKUPS {
            return None;
        }
        *lookups += 1;
        let path = format!(
            "{}/deployments/{}/statuses?per_page=1",
            self.repo_path(),
            deployment.id
        );
        let statuses = self.call(self.client.get::<Vec<Status>>(&path)).await?;
        Some(statuses.first().is_some_and(|s| s.state == "success"))
    }

    /// The successful rollback listed after `deployment` (newer: `listed` is newest first) into the same
    /// target and one of its destination services, which undid it; `None` when that cannot be told.
    async fn undone_by(
        &self,
        listed: &[Deployment],
        deployment: &Deployment,
        payload: &Payload,
        lookups: &mut usize,
    ) -> Option<Option<u64>> {
        let newer = listed.iter().take_while(|other| other.id != deployment.id);
        for other in newer {
            let undoes = other.payload().is_some_and(|other| {
                other.rollback
                    && other.target == payload.target
                    && other
                        .destination_services
                        .iter()
                        .any(|service| payload.destination_services.contains(service))
            });
            if undoes && self.succeeded(other, lookups).await? {
                return Some(Some(other.id));
            }
        }
        Some(None)
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

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> Option<T> {
        self.call(
            self.client
                .json(Method::POST, path, Some(&body), Retry::RateLimitOnly),
        )
        .await
    }

    async fn set_status(&self, deployment: u64, state: &str, description: &str) {
        let mut body = json!({
            "state": state,
            "description": truncate(description, MAX_DESCRIPTION),
            "auto_inactive": false,
        });
        if let Some(url) = &self.log_url {
            body["log_url"] = json!(url);
        }
        let path = format!("{}/deployments/{deployment}/statuses", self.repo_path());
        let _: Option<serde_json::Value> = self.post(&path, body).await;
    }

    async fn start(&self, event: ImportStarted) {
        let environment = self.environment_for(&event.target);
        let production = matches!(
            event.target.to_ascii_lowercase().as_str(),
            "prod" | "production"
        );
        let payload = Payload {
            manifest: self.manifest.clone(),
            promotion: event.promotion.clone(),
            target: event.target.clone(),
            correlation_id: event.correlation_id,
            export_job_id: event.export_job_id,
            import_job_id: event.import_job_id.clone(),
            source_version_ids: event.source_version_ids,
            destination_services: event.destination_services,
            rollback: self.rollback || event.rollback,
            undoes: event.undoes,
            cases: event.cases,
        };
        let body = json!({
            "ref": self.sha,
            "task": TASK,
            "auto_merge": false,
            "required_contexts": [],
            "environment": environment,
            "production_environment": production,
            "description": truncate(
                &format!("spark-promote {}: {} → {}", payload.promotion, self.manifest, payload.target),
                MAX_DESCRIPTION
            ),
            "payload": payload,
        });
        let path = format!("{}/deployments", self.repo_path());
        let Some(created) = self.post::<Created>(&path, body).await else {
            return;
        };
        self.state
            .lock()
            .expect("deployments state")
            .created
            .insert(event.promotion, created.id);
        self.set_status(
            created.id,
            "in_progress",
            &format!("import job {} started", event.import_job_id),
        )
        .await;
    }

    async fn end(&self, event: ImportEnded) {
        let created = self
            .state
            .lock()
            .expect("deployments state")
            .created
            .get(&event.promotion)
            .copied();
        let Some(deployment) = created else {
            return;
        };
        let (state, description) = outcome(&event);
        self.set_status(deployment, state, &description).await;
    }
}

/// A deployment's final state and description for how its import ended.
fn outcome(event: &ImportEnded) -> (&'static str, String) {
    let job = &event.import_job_id;
    if event.status == PromotionStatus::Completed {
        let versions = event.service_versions.len();
        let plural = if versions == 1 { "" } else { "s" };
        let verified = match event.verified_cases {
            Some(cases) => format!("; {cases} cases verified"),
            None => String::new(),
        };
        return (
            "success",
            format!("import job {job} completed: {versions} version{plural} imported{verified}"),
        );
    }
    let status = match event.status {
        PromotionStatus::Cancelled => "cancelled",
        _ => "failed",
    };
    let prefix = format!("import job {job} ");
    let description = match event.errors.first() {
        Some(error) => format!(
            "{prefix}{status}: {}",
            error.strip_prefix(&prefix).unwrap_or(error)
        ),
        None => format!("{prefix}{status}"),
    };
    ("failure", description)
}

/// At most `max` characters, with `…` when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

impl Recorder for Deployments {
    fn started(&self, event: ImportStarted) -> BoxFuture<'_, ()> {
        Box::pin(self.start(event))
    }

    fn ended(&self, event: ImportEnded) -> BoxFuture<'_, ()> {
        Box::pin(self.end(event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promote::result::{VersionResult, VersionStatus};

    /// A deployment as GitHub lists it, with the payload the action writes.
    fn listed(id: u64, promotion: &str, target: &str, correlation_id: &str) -> serde_json::Value {
        json!({
            "url": format!("https://api.github.com/repos/acme/pricing/deployments/{id}"),
            "id": id,
            "node_id": "DE_kwDOAAAAAM4AAAAB",
            "sha": "0123456789abcdef0123456789abcdef01234567",
            "ref": "0123456789abcdef0123456789abcdef01234567",
            "task": TASK,
            "payload": {
                "manifest": "spark-promote.yaml",
                "promotion": promotion,
                "target": target,
                "correlation_id": correlation_id,
                "export_job_id": "e-1",
                "import_job_id": format!("i-{id}"),
                "source_version_ids": ["v-1", "v-2"],
                "destination_services": ["pricing/quote"],
            },
            "original_environment": format!("spark-{target}"),
            "environment": format!("spark-{target}"),
            "description": "spark-promote",
            "creator": {"login": "github-actions[bot]", "type": "Bot"},
            "created_at": format!("2026-12-01T10:00:{:02}Z", id % 60),
            "updated_at": "2026-12-01T10:01:00Z",
            "statuses_url": format!("https://api.github.com/repos/acme/pricing/deployments/{id}/statuses"),
            "transient_environment": false,
            "production_environment": true,
        })
    }

    fn parse(list: serde_json::Value) -> Vec<Deployment> {
        serde_json::from_value(list).unwrap()
    }

    #[test]
    fn a_listed_deployment_of_ours_becomes_a_record_naming_its_origin() {
        let deployments = parse(json!([listed(42, "pricing", "prod", "sp1-aa")]));
        let payload = deployments[0].payload().unwrap();
        assert_eq!(payload.import_job_id, "i-42");
        assert_eq!(payload.source_version_ids, ["v-1", "v-2"]);
        assert_eq!(
            deployments[0].record(payload),
            PromotionRecord {
                origin: Origin::Deployment {
                    id: 42,
                    created_at: Some("2026-12-01T10:00:42Z".to_string()),
                },
                at: Some("2026-12-01T10:00:42Z".to_string()),
                correlation_id: "sp1-aa".to_string(),
                target: "prod".to_string(),
                rollback: false,
                undoes: None,
                destination_services: vec!["pricing/quote".to_string()],
                proof: Proof::ImportJob("i-42".to_string()),
            }
        );
    }

    #[test]
    fn a_payload_given_as_a_json_string_is_read_and_foreign_payloads_are_not() {
        let mut as_string = listed(7, "pricing", "prod", "sp1-aa");
        as_string["payload"] = json!(as_string["payload"].to_string());
        let mut foreign = listed(8, "pricing", "prod", "sp1-aa");
        foreign["payload"] = json!({"deploy": "web"});
        let mut empty = listed(9, "pricing", "prod", "sp1-aa");
        empty["payload"] = json!("");
        let deployments = parse(json!([as_string, foreign, empty]));
        assert_eq!(
            deployments[0]
                .payload()
                .map(|p| p.correlation_id)
                .as_deref(),
            Some("sp1-aa")
        );
        assert_eq!(deployments[1].payload(), None);
        assert_eq!(deployments[2].payload(), None);
    }

    #[test]
    fn candidates_are_the_newest_deployment_of_each_correlation_id_of_a_selected_promotion() {
        let deployments = parse(json!([
            listed(6, "pricing", "prod", "sp1-new"),
            listed(5, "rates", "prod", "sp1-rates"),
            listed(4, "pricing", "uat", "sp1-uat"),
            listed(3, "pricing", "prod", "sp1-new"),
            listed(2, "pricing", "prod", "sp1-old"),
            listed(1, "pricing", "prod", "sp1-oldest"),
        ]));
        let ids = |limit| {
            candidates(
                &deployments,
                "./spark-promote.yaml",
                &[("pricing", "prod")],
                limit,
            )
            .into_iter()
            .map(|(deployment, _)| deployment.id)
            .collect::<Vec<_>>()
        };
        assert_eq!(ids(20), [6, 2, 1]);
        assert_eq!(ids(2), [6, 2]);
        assert!(
            candidates(
                &deployments,
                "spark-promote.yaml",
                &[("claims", "prod")],
                20
            )
            .is_empty()
        );
        assert!(
            candidates(
                &deployments,
                "teams/rates/spark-promote.yaml",
                &[("pricing", "prod")],
                20
            )
            .is_empty(),
            "another manifest's promotion of the same name"
        );
    }

    fn ended(status: PromotionStatus, versions: usize, errors: &[&str]) -> ImportEnded {
        let version = VersionResult {
            service_source: "pricing/quote".to_string(),
            service_destination: "pricing/quote".to_string(),
            version_source: "1.1.0".to_string(),
            version_destination: "1.2.0".to_string(),
            status: VersionStatus::Added,
            version_id_source: None,
            version_id_destination: None,
        };
        ImportEnded {
            promotion: "pricing".to_string(),
            import_job_id: "job-1".to_string(),
            status,
            service_versions: vec![version; versions],
            errors: errors.iter().map(|e| e.to_string()).collect(),
            correlation_id: "sp1-aa".to_string(),
            target: "prod".to_string(),
            target_url: "https://excel.prod.example/bank".to_string(),
            rollback: false,
            placed: Vec::new(),
            undoes: None,
            verified_cases: None,
        }
    }

    #[test]
    fn the_final_status_says_how_the_import_ended_within_140_characters() {
        assert_eq!(
            outcome(&ended(PromotionStatus::Completed, 2, &[])),
            (
                "success",
                "import job job-1 completed: 2 versions imported".to_string()
            )
        );
        assert_eq!(
            outcome(&ended(PromotionStatus::Completed, 1, &[])).1,
            "import job job-1 completed: 1 version imported"
        );
        assert_eq!(
            outcome(&ended(PromotionStatus::Cancelled, 0, &[])),
            ("failure", "import job job-1 cancelled".to_string())
        );
        let long = "service pricing/quote: ".repeat(20);
        let (state, description) = outcome(&ended(PromotionStatus::Failed, 0, &[&long]));
        assert_eq!(state, "failure");
        let sent = truncate(&description, MAX_DESCRIPTION);
        assert_eq!(sent.chars().count(), 140);
        assert!(sent.starts_with("import job job-1 failed: service pricing/quote"));
        assert!(sent.ends_with('…'));
        assert_eq!(truncate("short", MAX_DESCRIPTION), "short");
        let timed_out = "import job job-1 did not end within 30m; it is still running";
        assert_eq!(
            outcome(&ended(PromotionStatus::Failed, 0, &[timed_out])).1,
            "import job job-1 failed: did not end within 30m; it is still running"
        );
    }
}
