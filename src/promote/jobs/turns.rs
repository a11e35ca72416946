//! Several promotions in one run: sequential per target tenant (Spark runs one job per tenant), concurrent
//! across tenants. Results come back in manifest order. Within that, each job (an export from a source, an
//! import into a target) waits for its tenant's turn, so that two promotions of one run never collide on
//! a tenant's one job slot.
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use futures_util::future::join_all;
use tokio::sync::OwnedMutexGuard;

/// Runs `each` over `items`, one at a time among items with the same `key`, concurrently across keys.
/// The output is in the order of `items`.
pub async fn per_key<T, K, R, F, Fut>(items: Vec<T>, key: impl Fn(&T) -> K, each: F) -> Vec<R>
where
    K: PartialEq,
    F: Fn(T) -> Fut,
    Fut: Future<Output = R>,
{
    let mut groups: Vec<(K, Vec<(usize, T)>)> = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        let item_key = key(&item);
        match groups
            .iter_mut()
            .find(|(group_key, _)| *group_key == item_key)
        {
            Some((_, members)) => members.push((index, item)),
            None => groups.push((item_key, vec![(index, item)])),
        }
    }
    let each = &each;
    let lanes = groups.into_iter().map(|(_, members)| async move {
        let mut done = Vec::with_capacity(members.len());
        for (index, item) in members {
            done.push((index, each(item).await));
        }
        done
    });
    let mut results: Vec<(usize, R)> = join_all(lanes).await.into_iter().flatten().collect();
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

/// One job at a time per tenant among the promotions of a run, in the order they ask (a fair queue).
#[derive(Debug, Default)]
pub struct TenantTurns {
    tenants: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// A tenant's turn: held while this run's job on it runs; the next in the queue goes when it is dropped.
pub type Turn = OwnedMutexGuard<()>;

impl TenantTurns {
    /// Waits for the turn of `tenant` (its base URL), saying so when another job of this run holds it.
    pub async fn take(&self, tenant: &str) -> Turn {
        let queue = self
            .tenants
            .lock()
            .expect("the tenant queues are never poisoned")
            .entry(tenant.to_owned())
            .or_default()
            .clone();
        match queue.clone().try_lock_owned() {
            Ok(turn) => turn,
            Err(_) => {
                tracing::info!("{tenant} runs another job of this run; waiting for its turn");
                queue.lock_owned().await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn same_key_runs_in_order_other_keys_overlap_and_results_keep_input_order() {
        let log = Mutex::new(Vec::new());
        let items = vec![("prod", 1), ("uat", 2), ("prod", 3)];
        let results = per_key(
            items,
            |(tenant, _)| *tenant,
            |(tenant, n)| {
                let log = &log;
                async move {
                    log.lock().unwrap().push(format!("start {tenant} {n}"));
                    tokio::time::sleep(Duration::from_millis(if n == 1 { 60 } else { 10 })).await;
                    log.lock().unwrap().push(format!("end {tenant} {n}"));
                    n * 10
                }
            },
        )
        .await;
        assert_eq!(results, vec![10, 20, 30]);
        let log = log.into_inner().unwrap();
        let position = |entry: &str| log.iter().position(|e| e == entry).unwrap();
        // prod 3 starts only after prod 1 ended; uat 2 ran while prod 1 was running.
        assert!(position("start prod 3") > position("end prod 1"));
        assert!(position("end uat 2") < position("end prod 1"));
    }

    #[tokio::test]
    async fn a_tenant_turn_waits_for_the_holder_and_other_tenants_do_not() {
        let turns = TenantTurns::default();
        let held = turns.take("http://spark/uat").await;
        // Another tenant is free at once.
        drop(turns.take("http://spark/prod").await);
        let waiting = turns.take("http://spark/uat");
        tokio::pin!(waiting);
        assert!(
            futures_util::poll!(&mut waiting).is_pending(),
            "the turn was given while held"
        );
        drop(held);
        assert!(futures_util::poll!(&mut waiting).is_ready());
    }
}
