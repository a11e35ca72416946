//! `spark-promote verify` over real HTTP against the sandbox: two environments compared (CSV cases), one
//! environment against expected outputs (JSON cases) at the tolerance's edges, a version answering wrongly.
use std::time::Duration;

use serde_json::json;

use crate::support::cli::Lab;

const QUICK: Duration = Duration::from_millis(200);

fn promotion(cases: &str, extra: &str) -> String {
    format!(
        "promotions:\n  - name: quote\n    from: {{ environment: uat, services: [pricing/quote] }}\n    to: prod\n    services_existing: add_version\n    verify:\n      cases: [{cases}]\n{extra}"
    )
}

#[tokio::test]
async fn verify_across_two_environments_shows_the_changed_cases_and_exits_1() {
    let lab = Lab::start(QUICK).await;
    std::fs::create_dir_all(lab.path("cases")).unwrap();
    lab.write(
        "cases/quote.csv",
        "age,cover\n30,100000\n62,200000\n70,100000\n40,\n",
    );
    lab.manifest(&promotion("cases/*.csv", ""));
    let out = lab
        .cli(&["verify", "--env", "uat", "--against", "prod"])
        .await;
    assert_eq!(out.code, 1, "{out:?}");
    insta::assert_snapshot!(out.stdout);
    let json = lab
        .cli(&["verify", "--env", "uat", "--against", "prod", "--json"])
        .await
        .json();
    let comparison = &json[0]["comparison"];
    assert_eq!(comparison["cases"], 4);
    assert_eq!(comparison["changed"], 4, "{comparison:#}");
    assert_eq!(comparison["now"], "prod pricing/quote 1.0.0");
    assert_eq!(comparison["after"], "uat pricing/quote 1.1.0");
    assert_eq!(comparison["calls"], 2, "one v4 call per side");
    assert_eq!(json[0]["cases_files"], json!(["cases/quote.csv"]));
    assert_eq!(json[0]["cases_sha256"].as_str().unwrap().len(), 64);
    let same = lab
        .cli(&["verify", "--env", "prod", "--against", "prod"])
        .await;
    assert_eq!(same.code, 0, "{same:?}");
    out.assert_no_secret();
}

#[tokio::test]
async fn verify_against_expected_outputs_passes_within_the_tolerance_and_fails_past_it() {
    let lab = Lab::start(QUICK).await;
    let cases = |premium: f64| {
        json!([
            { "age": 40, "cover": 100000, "expected.premium": premium, "expected.band": "standard" },
            { "age": 60, "cover": 100000 }
        ])
        .to_string()
    };
    lab.manifest(&promotion(
        "cases.json",
        "      outputs: [premium, band]\n      tolerance: { absolute: 0.01 }\n",
    ));
    lab.write("cases.json", &cases(140.01));
    let edge = lab.cli(&["verify", "--env", "prod", "--json"]).await;
    assert_eq!(edge.code, 0, "{edge:?}");
    let comparison = &edge.json()[0]["comparison"];
    assert_eq!(
        (
            comparison["changed"].as_u64(),
            comparison["unchecked"].as_u64()
        ),
        (Some(0), Some(1))
    );
    lab.write("cases.json", &cases(140.02));
    let past = lab.cli(&["verify", "--env", "prod", "--json"]).await;
    assert_eq!(past.code, 1, "{past:?}");
    let change = &past.json()[0]["comparison"]["largest"][0];
    assert_eq!(change["case"], "cases.json:1");
    assert_eq!(
        (change["now"].as_f64(), change["after"].as_f64()),
        (Some(140.02), Some(140.0))
    );
}

#[tokio::test]
async fn a_version_answering_wrongly_fails_verify_with_the_differing_case() {
    let lab = Lab::start(QUICK).await;
    lab.write("cases.csv", "age,cover,expected.premium\n40,100000,140\n");
    lab.manifest(&promotion("cases.csv", ""));
    assert_eq!(lab.cli(&["verify", "--env", "prod"]).await.code, 0);
    reqwest::Client::new()
        .post(format!("{}/_sandbox/execute/wrong", lab.url()))
        .json(&json!({ "tenant": "acme-prod", "folder": "pricing", "service": "quote", "version": "1.0.0" }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let wrong = lab.cli(&["verify", "--env", "prod"]).await;
    assert_eq!(wrong.code, 1, "{wrong:?}");
    assert!(
        wrong
            .stdout
            .contains("| cases.csv:2 | <code>premium</code> | 140.0 | 141.0 | +1 (+0.7 %) |"),
        "{}",
        wrong.stdout
    );
}

#[tokio::test]
async fn verify_without_cases_or_with_a_missing_file_is_invalid_input() {
    let lab = Lab::start(QUICK).await;
    lab.manifest(&promotion("missing/*.csv", ""));
    let missing = lab.cli(&["verify", "--env", "prod"]).await;
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(
        missing
            .stderr
            .contains("cases `missing/*.csv` match no file"),
        "{}",
        missing.stderr
    );
    let unknown = lab.cli(&["verify", "--env", "staging"]).await;
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("environment `staging` is not one the selected promotions use"),
        "{}",
        unknown.stderr
    );
}

#[tokio::test]
async fn verify_version_id_runs_the_cases_against_that_version() {
    let lab = Lab::start(QUICK).await;
    lab.write("cases.csv", "age,cover\n30,100000\n62,200000\n");
    lab.manifest(&promotion("cases.csv", ""));
    let versions = lab.versions_of("acme-uat", "pricing/quote").await;
    let old = versions[0]
        .strip_prefix("1.0.0=")
        .expect("uat's 1.0.0 first");
    let latest = lab
        .cli(&["verify", "--env", "uat", "--against", "prod", "--json"])
        .await;
    assert_eq!(latest.code, 1, "uat's latest (1.1.0) differs: {latest:?}");
    let out = lab
        .cli(&[
            "verify",
            "--env",
            "uat",
            "--version-id",
            old,
            "--against",
            "prod",
            "--json",
        ])
        .await;
    assert_eq!(out.code, 0, "uat's 1.0.0 answers as prod's: {out:?}");
    assert_eq!(
        out.json()[0]["comparison"]["after"],
        "uat pricing/quote 1.0.0"
    );
}
