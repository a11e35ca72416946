//! Recording an import: a deployment of its destination environment with the promotion in its
//! payload, status `in_progress`, then `success` or `failure` for how it ended.
use futures_util::future::BoxFuture;
use http::Method;
use serde::Deserialize;
use serde_json::json;

use super::{Deployments, Payload, TASK};
use crate::github::api::Retry;
use crate::promote::record::{ImportEnded, ImportStarted, Recorder};
use crate::promote::result::PromotionStatus;

/// GitHub's limit for a status's description.
pub(super) const MAX_DESCRIPTION: usize = 140;

#[derive(Deserialize)]
struct Created {
    id: u64,
}

impl Deployments {
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
pub(super) fn outcome(event: &ImportEnded) -> (&'static str, String) {
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
pub(super) fn truncate(text: &str, max: usize) -> String {
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
