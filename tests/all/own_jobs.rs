//! A run's own jobs and messages: an export that outlives `--wait-timeout` is cancelled (or said to be still
//! running, with how to cancel it); promotions of one run take turns on a shared source tenant; `status`
//! never shows a pre-signed URL; each failed promotion is said on stderr as in the summary.
use std::time::Duration;

use serde_json::{Value, json};
use spark_promote::sandbox;

use crate::support::cli::{ENVIRONMENTS, Lab};

const UAT_TO_PROD: &str = r#"promotions:
  - name: pricing
    from: { environment: uat, services: [pricing/quote], version_filter: all }
    to: prod
    services_existing: add_version
"#;

/// A job id as the snapshots show it.
const JOB_ID: &str = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

/// The stderr lines that say a promotion failed.
fn failure_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| line.contains("ERROR") && line.contains("promotion "))
        .collect()
}

fn route_count(stats: &Value, route: &str, tenant: &str) -> u64 {
    stats["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["route"] == route && r["tenant"] == tenant)
        .map(|r| r["count"].as_u64().unwrap())
        .sum()
}

async fn stats(lab: &Lab) -> Value {
    lab.get(&format!("{}/_sandbox/stats", lab.url())).await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_this_run_started_is_cancelled_when_the_wait_timeout_expires() {
    let lab = Lab::start(Duration::from_secs(60)).await;
    lab.manifest(UAT_TO_PROD);
    let output = lab.cli(&["apply", "--json", "--wait-timeout", "1s"]).await;
    assert_eq!(output.code, 1, "{output:?}");
    let exports = lab.jobs_of("export").await;
    assert_eq!(exports.len(), 1);
    assert_eq!(exports[0]["status"], "cancelled", "{exports:?}");
    assert!(lab.jobs_of("import").await.is_empty());
    let id = exports[0]["id"].as_str().unwrap();
    let error = output.json()["promotions"][0]["errors"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        error,
        format!("export from uat failed: export job {id} did not end within 1s: cancelled it")
    );
    assert_eq!(
        failure_lines(&output.stderr),
        [format!("ERROR promotion pricing failed: {error}")]
    );
    output.assert_no_secret();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_that_cannot_be_cancelled_or_was_started_earlier_is_said_to_run_on_with_how_to_cancel_it()
 {
    let lab = Lab::start(Duration::from_secs(60)).await;
    lab.manifest(UAT_TO_PROD);
    lab.fault(json!({"route": "export_cancel", "status": 403}))
        .await;
    let refused = lab.cli(&["apply", "--json", "--wait-timeout", "1s"]).await;
    assert_eq!(refused.code, 1, "{refused:?}");
    // A second run attaches to the export that is still running; not its own, it leaves it alone.
    let attached = lab.cli(&["apply", "--json", "--wait-timeout", "1s"]).await;
    assert_eq!(attached.code, 1, "{attached:?}");
    let exports = lab.jobs_of("export").await;
    assert_eq!(exports.len(), 1, "{exports:?}");
    let state = exports[0]["status"].as_str().unwrap();
    assert!(matches!(state, "created" | "in_progress"), "{state}");
    assert_eq!(
        route_count(&stats(&lab).await, "export_cancel", "acme-uat"),
        1,
        "only the run that started the export asks to cancel it"
    );
    let id = exports[0]["id"].as_str().unwrap();
    let hint = format!("cancel it with `spark-promote cancel --env uat --kind export {id}`");
    let mut said = String::new();
    for output in [&refused, &attached] {
        let error = output.json()["promotions"][0]["errors"][0]
            .as_str()
            .unwrap()
            .to_string();
        assert!(error.ends_with(&hint), "{error}");
        assert_eq!(
            failure_lines(&output.stderr),
            [format!("ERROR promotion pricing failed: {error}")]
        );
        said.push_str(&error);
        said.push('\n');
    }
    insta::with_settings!({filters => vec![(JOB_ID, "[job id]")]}, {
        insta::assert_snapshot!(said);
    });
}

/// The demo's tenants and a third one, `acme-dr`, that receives pricing too.
const THREE_TENANTS: &str = r#"tenants:
  - name: acme-uat
    bearer_tokens: [tok-acme-uat]
    clients: [{ id: ci-uat, secret: ci-uat-secret }]
    folders:
      - name: pricing
        services:
          - { name: quote, versions: ["1.0.0", "1.1.0"] }
          - { name: rating, versions: ["2.0.0"] }
  - name: acme-prod
    bearer_tokens: [tok-acme-prod]
    api_keys: [key-acme-prod]
    folders: [{ name: pricing }]
  - name: acme-dr
    bearer_tokens: [tok-acme-dr]
    folders: [{ name: pricing }]
"#;

#[tokio::test(flavor = "multi_thread")]
async fn two_promotions_exporting_from_one_tenant_take_turns_and_both_complete() {
    let seed = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(seed.path(), THREE_TENANTS).unwrap();
    let lab = Lab::start_config(sandbox::Config {
        seed: Some(seed.path().to_path_buf()),
        job_duration: Duration::from_millis(300),
        ..sandbox::Config::default()
    })
    .await;
    lab.write(
        "spark-promote.yaml",
        &format!(
            r#"{ENVIRONMENTS}  dr:
    url: {{{{URL}}}}/acme-dr
    auth: {{ bearer: "${{SPARK_DR_TOKEN}}" }}
promotions:
  - name: quote
    from: {{ environment: uat, services: [pricing/quote] }}
    to: prod
  - name: rating
    from: {{ environment: uat, services: [pricing/rating] }}
    to: dr
"#
        ),
    );
    // Both exports' POSTs are held a while: without turns, both would be sent to the free tenant at once.
    lab.fault(json!({"route": "export", "stall_ms": 500, "count": 2}))
        .await;
    let output = lab
        .cli_with(&["apply", "--json"], &[("SPARK_DR_TOKEN", "tok-acme-dr")])
        .await;
    assert_eq!(output.code, 0, "{output:?}");
    let result = output.json();
    for promotion in result["promotions"].as_array().unwrap() {
        assert_eq!(promotion["status"], "completed", "{promotion:#}");
    }
    let exports = lab.jobs_of("export").await;
    assert_eq!(exports.len(), 2);
    assert!(exports.iter().all(|job| job["status"] == "completed"));
    assert_eq!(lab.jobs_of("import").await.len(), 2);
    // Two export POSTs in all: none was refused with 409 and sent again.
    assert_eq!(route_count(&stats(&lab).await, "export", "acme-uat"), 2);
    assert!(
        output.stderr.contains("runs another job of this run"),
        "{}",
        output.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn status_of_an_export_hides_its_pre_signed_download_url() {
    let lab = Lab::start(Duration::from_millis(300)).await;
    let id = lab.occupy_prod().await;
    let status_url = format!("{}/acme-prod/api/v4/export/{id}/status", lab.url());
    let file = loop {
        let status: Value = reqwest::Client::new()
            .get(&status_url)
            .bearer_auth("tok-acme-prod")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if status["status"] == "completed" {
            break status["outputs"]["files"][0]["file"]
                .as_str()
                .unwrap()
                .to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let token = file
        .split("/tokens/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    let base = format!("{}/acme-prod", lab.url());
    let env = [
        ("CSPARK_BASE_URL", base.as_str()),
        ("CSPARK_BEARER_TOKEN", "tok-acme-prod"),
    ];
    let output = lab
        .cli_with(&["status", "--kind", "export", &id], &env)
        .await;
    assert_eq!(output.code, 0, "{output:?}");
    assert!(!output.stdout.contains(token), "{}", output.stdout);
    assert_eq!(
        output.json()["outputs"]["files"][0]["file"],
        format!("http://{}/…/package.zip", lab.sandbox.addr())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_apply_says_each_failure_on_stderr_in_the_words_of_the_summary() {
    let lab = Lab::start(Duration::from_millis(300)).await;
    lab.manifest(UAT_TO_PROD);
    lab.fault(json!({"fail_next_job": "the source service is locked"}))
        .await;
    let output = lab.cli(&["apply"]).await;
    assert_eq!(output.code, 1, "{output:?}");
    let lines = failure_lines(&output.stderr);
    assert_eq!(lines.len(), 1, "{}", output.stderr);
    let said = lines[0]
        .strip_prefix("ERROR promotion pricing failed: ")
        .unwrap_or_else(|| panic!("{}", lines[0]));
    assert!(said.contains("the source service is locked"), "{said}");
    // The summary on stdout lists the same error.
    assert!(output.stdout.contains(said), "{}", output.stdout);
}
