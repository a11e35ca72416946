//! The crate's Execute client against the sandbox over real HTTP: v4 chunks, the v3 fallback when v4 is
//! refused, per-record errors kept, retries of a transient failure, both answer shapes.
use std::time::Duration;

use serde_json::{Value, json};
use spark_promote::sandbox::{Compat, Running};
use spark_promote::spark::{
    Auth, Client, ClientOptions, ExecuteOptions, ExecuteTarget, Inputs, RetryPolicy,
};
use url::Url;

use crate::support::sandbox::{self as sb, arm_fault, calls, root, start_seed};

fn client(running: &Running, tenant: &str, auth: Auth) -> Client {
    let options = ClientOptions {
        retry: RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            max_wait: Duration::from_secs(5),
        },
        ..ClientOptions::default()
    };
    Client::new(
        Url::parse(&format!("{}/{tenant}", root(running))).unwrap(),
        auth,
        options,
    )
    .unwrap()
}

fn records(count: usize) -> Vec<Inputs> {
    (0..count)
        .map(|i| {
            json!({ "age": 20 + i % 50, "cover": 100000 })
                .as_object()
                .unwrap()
                .clone()
        })
        .collect()
}

fn quote(version: Option<&str>) -> ExecuteTarget {
    ExecuteTarget::Uri {
        folder: "pricing".into(),
        service: "quote".into(),
        version: version.map(str::to_owned),
    }
}

#[tokio::test]
async fn records_go_in_v4_chunks_one_call_each_in_order_against_both_shapes() {
    for compat in [Compat::Rich, Compat::Spec] {
        let running = sb::start_demo_in(compat).await;
        let spark = client(&running, "acme-uat", Auth::Bearer("tok-acme-uat".into()));
        let options = ExecuteOptions {
            first_chunk: 40,
            max_chunk: 40,
            ..ExecuteOptions::default()
        };
        let mut input = records(100);
        input[7].insert("age".into(), json!("old"));
        let done = spark
            .execute(&quote(Some("1.0.0")), &input, &options)
            .await
            .unwrap();
        assert_eq!(done.calls, 3, "100 records in chunks of 40");
        assert_eq!(calls(&running, "execute_v4").await, 3);
        assert_eq!(done.records.len(), 100);
        assert_eq!(done.version.as_deref(), Some("1.0.0"));
        let age = |i: usize| 20.0 + (i % 50) as f64;
        assert_eq!(
            done.records[0].outputs["premium"],
            json!(100.0 * (1.0 + age(0) / 100.0))
        );
        assert_eq!(
            done.records[99].outputs["premium"],
            json!(100.0 * (1.0 + age(99) / 100.0))
        );
        assert_eq!(
            done.records[7].errors[0].message, "input 'age' must be a number, got \"old\"",
            "{compat:?}"
        );
        assert!(
            done.records
                .iter()
                .enumerate()
                .all(|(i, r)| i == 7 || r.errors.is_empty())
        );
        assert!(!done.fell_back_to_v3 && done.warnings.is_empty());
    }
}

#[tokio::test]
async fn a_key_refused_v4_falls_back_to_v3_one_call_per_record_with_a_warning_naming_the_permission()
 {
    let running = start_seed(
        r#"
tenants:
  - name: t
    api_keys: [key-limited]
    api_key_permissions: { key-limited: [Spark.Imports.json] }
    folders: [{ name: f, services: [{ name: s, versions: ["1.0.0"] }] }]
"#,
    )
    .await;
    let spark = client(&running, "t", Auth::ApiKey("key-limited".into()));
    let target = ExecuteTarget::Uri {
        folder: "f".into(),
        service: "s".into(),
        version: None,
    };
    let input = records(5);
    let done = spark
        .execute(&target, &input, &ExecuteOptions::default())
        .await
        .unwrap();
    assert!(done.fell_back_to_v3);
    assert_eq!(done.calls, 6, "one refused v4 call, then five v3 calls");
    assert_eq!(calls(&running, "execute_v3").await, 5);
    assert!(
        done.warnings[0].contains("Spark.SyncBatch.json"),
        "{:?}",
        done.warnings
    );
    assert_eq!(done.records.len(), 5);
    assert!(done.records.iter().all(|r| r.outputs["result"].is_f64()));
    assert_ne!(
        done.records[0].outputs, done.records[1].outputs,
        "different inputs, different answers"
    );
}

#[tokio::test]
async fn a_transient_failure_of_a_chunk_is_retried_and_a_version_id_runs_that_version() {
    let running = sb::start_demo().await;
    arm_fault(
        &running,
        json!({ "route": "execute_v4", "status": 503, "count": 1 }),
    )
    .await;
    let spark = client(&running, "acme-prod", Auth::Bearer("tok-acme-prod".into()));
    let first = spark
        .execute(&quote(None), &records(3), &ExecuteOptions::default())
        .await
        .unwrap();
    assert_eq!(
        calls(&running, "execute_v4").await,
        2,
        "the 503 was retried once"
    );
    let id = first
        .version_id
        .clone()
        .expect("the answer names the version");
    let by_id = spark
        .execute(
            &ExecuteTarget::VersionId(id),
            &records(3),
            &ExecuteOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(by_id.records, first.records);
    let missing = spark
        .execute(
            &ExecuteTarget::VersionId("nope".into()),
            &records(1),
            &ExecuteOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(missing.to_string().contains("404"), "{missing}");
}

#[tokio::test]
async fn requested_outputs_are_the_only_ones_answered() {
    let running = sb::start_demo().await;
    let spark = client(&running, "acme-uat", Auth::Bearer("tok-acme-uat".into()));
    let options = ExecuteOptions {
        outputs: vec!["band".into()],
        ..ExecuteOptions::default()
    };
    let done = spark
        .execute(&quote(None), &records(2), &options)
        .await
        .unwrap();
    let keys: Vec<&String> = done.records[0].outputs.keys().collect();
    assert_eq!(keys, ["band"]);
    let _: &Value = &done.records[1].outputs["band"];
}
