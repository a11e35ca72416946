//! The order of a run's promotions: `after: [other]` imports `other` first. Promotions linked by `after`
//! (directly or through others) run in one lane, one after another, in an order that puts every
//! promotion after those it names (otherwise in manifest order); the rest keep the run's usual lanes
//! (one per target tenant). Cycles are refused when the manifest is read (`manifest/verify.rs`).
use std::sync::Mutex;

use crate::manifest::Promotion;
use crate::promote::result::{PromotionResult, PromotionStatus};

/// How the promotions of a run ended so far, by name.
pub type Ended = Mutex<Vec<(String, PromotionStatus)>>;

/// Notes how a promotion ended.
pub fn ended(ended: &Ended, result: &PromotionResult) {
    ended
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push((result.name.clone(), result.status));
}

/// The promotion this one comes `after` that failed or was cancelled in this run, if any.
pub fn failed_before(promotion: &Promotion, ended: &Ended) -> Option<String> {
    let ended = ended
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    promotion.after.iter().find_map(|name| {
        ended
            .iter()
            .find(|(done, status)| {
                done == name
                    && matches!(status, PromotionStatus::Failed | PromotionStatus::Cancelled)
            })
            .map(|(done, _)| done.clone())
    })
}

/// The result of a promotion not imported because one it comes after failed.
pub fn not_after(promotion: &Promotion, failed: &str) -> PromotionResult {
    let mut result = PromotionResult::begin(promotion);
    result.errors.push(format!(
        "not imported: it comes after {failed} (after:), which did not complete"
    ));
    result
}

/// `promotions` ordered so that each comes after the selected promotions its `after` names (stable:
/// manifest order where `after` says nothing), each with its lane: the target tenant's, or, when linked by
/// `after`, the lane of the first promotion it is linked with.
pub fn lanes(
    promotions: Vec<Promotion>,
    tenant: impl Fn(&Promotion) -> String,
) -> Vec<(String, Promotion)> {
    let names: Vec<String> = promotions.iter().map(|p| p.name.clone()).collect();
    let index = |name: &str| names.iter().position(|n| n == name);
    // Union-find over `after` links, so that linked promotions share a lane.
    let mut parent: Vec<usize> = (0..promotions.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for (i, promotion) in promotions.iter().enumerate() {
        for j in promotion.after.iter().filter_map(|name| index(name)) {
            let (a, b) = (root(&mut parent, i), root(&mut parent, j));
            parent[a.max(b)] = a.min(b);
        }
    }
    let lane_of: Vec<String> = (0..promotions.len())
        .map(|i| {
            let r = root(&mut parent, i);
            let linked = (0..promotions.len()).any(|j| j != i && root(&mut parent, j) == r);
            if linked {
                format!("after:{}", names[r])
            } else {
                tenant(&promotions[i])
            }
        })
        .collect();
    // Stable topological order: repeatedly the first promotion whose selected predecessors are placed.
    let mut placed = vec![false; promotions.len()];
    let mut order = Vec::with_capacity(promotions.len());
    while order.len() < promotions.len() {
        let next = (0..promotions.len())
            .find(|&i| {
                !placed[i]
                    && promotions[i]
                        .after
                        .iter()
                        .filter_map(|name| index(name))
                        .all(|j| placed[j])
            })
            // A cycle (refused by validation): the rest in manifest order.
            .unwrap_or_else(|| (0..promotions.len()).find(|&i| !placed[i]).unwrap_or(0));
        placed[next] = true;
        order.push(next);
    }
    let mut slots: Vec<Option<Promotion>> = promotions.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|i| Some((lane_of[i].clone(), slots[i].take()?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{ServicesExisting, Source, UpdateVersionType, VersionFilter};

    fn promotion(name: &str, to: &str, after: &[&str]) -> Promotion {
        Promotion {
            name: name.into(),
            source: Source::Environment {
                environment: "uat".into(),
                services: vec![],
                folders: vec!["f".into()],
                version_ids: vec![],
                version_filter: VersionFilter::default(),
            },
            to: to.into(),
            services_existing: ServicesExisting::AddVersion,
            update_version_type: UpdateVersionType::Minor,
            services: vec![],
            source_system: None,
            correlation_id: None,
            backup: None,
            verify: None,
            after: after.iter().map(|a| (*a).to_owned()).collect(),
            xcalls: vec![],
        }
    }

    #[test]
    fn a_promotion_comes_after_those_it_names_and_shares_their_lane() {
        let promotions = vec![
            promotion("caller", "prod", &["callee"]),
            promotion("other", "prod", &[]),
            promotion("callee", "staging", &[]),
            promotion("alone", "staging", &[]),
        ];
        let lanes = lanes(promotions, |p| p.to.clone());
        let seen: Vec<(&str, &str)> = lanes
            .iter()
            .map(|(lane, p)| (lane.as_str(), p.name.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("prod", "other"),
                ("after:caller", "callee"),
                ("after:caller", "caller"),
                ("staging", "alone"),
            ]
        );
    }
}
