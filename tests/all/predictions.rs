//! Plan predicts apply: each failure an import would meet that can be known beforehand is the plan's
//! verdict, and apply stops on it before importing, in the same words.
use std::time::Duration;

use serde_json::Value;

use crate::support::cli::{Lab, Output, each_compat};

const QUICK: Duration = Duration::from_millis(300);

/// What a run concluded: its exit code and its error lines (the JSON result's, or the refusal on stderr).
fn verdict(output: &Output) -> (i32, Vec<String>) {
    let errors = match serde_json::from_str::<Value>(&output.stdout) {
        Ok(result) => result["promotions"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|promotion| promotion["errors"].as_array().unwrap().clone())
            .map(|error| error.as_str().unwrap().to_string())
            .collect(),
        Err(_) => output
            .stderr
            .lines()
            .filter(|line| line.contains("ERROR"))
            .map(|line| line.split("ERROR").nth(1).unwrap().trim().to_string())
            .collect(),
    };
    (output.code, errors)
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_and_apply_reach_the_same_verdict_in_the_same_words_on_the_same_state() {
    let from_uat = "from: { environment: uat, services: [pricing/quote], version_filter: all }";
    let cases: Vec<(&str, String, i32, &str)> = vec![
        (
            "copy onto a version number the destination holds",
            format!(
                "{from_uat}\n    to: prod\n    services_existing: add_version\n    update_version_type: copy"
            ),
            1,
            "pricing/quote → pricing/quote would fail: version 1.0.0 of pricing/quote already exists in prod \
             and update_version_type is copy",
        ),
        (
            "abort on an existing service",
            format!("{from_uat}\n    to: prod\n    services_existing: abort"),
            1,
            "pricing/quote → pricing/quote would fail: pricing/quote exists in prod and services_existing is abort",
        ),
        (
            "a missing destination folder",
            format!(
                "{from_uat}\n    to: prod\n    services:\n      - {{ source: pricing/quote, destination: billing/quote }}"
            ),
            1,
            "pricing/quote → billing/quote would fail: destination folder billing does not exist in prod",
        ),
        (
            "a remap of a service the export of a folder does not hold",
            "from: { environment: uat, folders: [pricing], version_filter: all }\n    to: prod\n    services:\n      - { source: pricing/qoute, destination: pricing/quote-v3 }".to_string(),
            1,
            "services[0].source pricing/qoute is not in the export from uat (did you mean pricing/quote?)",
        ),
        (
            "a remap of a service that from.services does not name (known offline)",
            format!(
                "{from_uat}\n    to: prod\n    services:\n      - {{ source: pricing/qoute, destination: pricing/quote-v3 }}"
            ),
            2,
            "spark-promote.yaml:18:19: `pricing/qoute` is not exported from uat by this promotion's `from:` (it exports `pricing/quote`): add it to `from.services`, or map one of those",
        ),
        (
            "a package over the size limit",
            "from: { package: big.zip }\n    to: prod".to_string(),
            2,
            "promotion pricing: package big.zip: is 210763776 bytes, over the tenant's upload limit of 209715200 bytes",
        ),
    ];
    each_compat(|compat| {
        let cases = cases.clone();
        async move {
            for (case, promotion, code, words) in cases {
                let lab = Lab::start_compat(QUICK, compat).await;
                let big = std::fs::File::create(lab.path("big.zip")).unwrap();
                big.set_len(201 * 1024 * 1024).unwrap();
                lab.manifest(&format!(
                    "promotions:\n  - name: pricing\n    {promotion}\n"
                ));
                let plan = lab.cli(&["plan", "--json"]).await;
                let apply = lab.cli(&["apply", "--json"]).await;
                let (plan, apply) = (verdict(&plan), verdict(&apply));
                assert_eq!(plan, apply, "{case}: plan and apply differ");
                assert_eq!(plan.0, code, "{case}: {plan:?}");
                assert!(
                    plan.1.iter().any(|error| error == words),
                    "{case}: {:?} should hold {words:?}",
                    plan.1
                );
                assert!(
                    lab.jobs_of("import").await.is_empty(),
                    "{case}: apply imported"
                );
                assert_eq!(
                    lab.versions_of("acme-prod", "pricing/quote").await.len(),
                    1,
                    "{case}: prod changed"
                );
            }
        }
    })
    .await;
}
