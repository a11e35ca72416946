//! Several promotions in one run: sequential per target tenant (Spark runs one job per tenant), concurrent
//! across tenants. Results come back in manifest order.
use std::future::Future;

use futures_util::future::join_all;

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
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
}
