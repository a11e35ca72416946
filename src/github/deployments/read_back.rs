//! Reading the records back before a run: the deployments of each destination environment, the newest
//! of each correlation id, its latest status, and whether a later rollback undid it (`undone_by`).
use serde::Deserialize;

use super::{Deployment, Deployments, Payload, TASK};
use crate::promote::record::PromotionRecord;

/// Deployments read per environment before a run (one page, newest first).
const PER_PAGE: usize = 100;
/// Status lookups per environment before a run, at most (one per correlation id of a selected promotion).
const MAX_STATUS_LOOKUPS: usize = 20;

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

impl Deployments {
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
}
