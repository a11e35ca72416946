//! Verification wired into plan and apply, over real HTTP against the sandbox and the real binary: plan
//! shows the behaviour change, apply proves the import by its destination version id, a version answering
//! wrongly fails the promotion (and, with `on_failure: rollback`, restores the backup once).
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::cli::{Lab, each_compat};

const QUICK: Duration = Duration::from_millis(200);

/// Four cases of pricing/quote: 1.1.0 (uat) charges more than 1.0.0 (prod) for all of them.
const CASES: &str = "age,cover\n30,100000\n62,200000\n70,100000\n40,\n";

/// uat's latest pricing/quote into prod, verified with `cases.csv`; `extra` is more of `verify:`.
fn quote(extra: &str) -> String {
    format!(
        "promotions:\n  - name: quote\n    from: {{ environment: uat, services: [pricing/quote] }}\n    to: prod\n    services_existing: add_version\n    backup: true\n    verify:\n      cases: [cases.csv]\n{extra}"
    )
}

fn first(result: &Value) -> &Value {
    &result["promotions"][0]
}

/// Makes every pricing/quote version of acme-prod at `version` answer wrongly.
async fn answer_wrongly(lab: &Lab, version: &str) {
    reqwest::Client::new()
        .post(format!("{}/_sandbox/execute/wrong", lab.url()))
        .json(&json!({ "tenant": "acme-prod", "folder": "pricing", "service": "quote", "version": version }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_shows_the_behaviour_change_of_the_version_it_would_promote() {
    let lab = Lab::start(QUICK).await;
    lab.write("cases.csv", CASES);
    lab.manifest(&quote(""));
    let out = lab.cli(&["plan", "--format", "markdown"]).await;
    assert_eq!(out.code, 0, "{out:?}");
    crate::action::runner::assert_summary_snapshot("verify_plan_markdown", &out.stdout);
    let json = lab.cli(&["plan", "--json"]).await.json();
    let verification = &first(&json)["verification"];
    assert_eq!(verification["cases"], 4, "{verification:#}");
    let comparison = &verification["comparison"];
    assert_eq!(comparison["now"], "prod pricing/quote 1.0.0");
    assert_eq!(comparison["after"], "uat pricing/quote 1.1.0");
    assert_eq!(comparison["changed"], 4);
    assert_eq!(
        first(&json)["status"],
        "planned",
        "a behaviour change is no failure"
    );
    // Nothing was imported, nothing exported for a backup.
    assert!(lab.jobs_of("import").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_of_a_service_new_to_the_destination_shows_its_results_alone() {
    let lab = Lab::start(QUICK).await;
    lab.write("cases.csv", "age,cover\n30,100000\n");
    lab.manifest(
        "promotions:\n  - name: rating\n    from: { environment: uat, services: [pricing/rating] }\n    to: prod\n    verify:\n      cases: [cases.csv]\n",
    );
    let json = lab.cli(&["plan", "--json"]).await.json();
    let verification = &first(&json)["verification"];
    assert_eq!(verification["new_service"], true, "{verification:#}");
    let answers = &verification["comparison"]["answers"];
    assert_eq!(answers[0]["case"], "cases.csv:2", "{verification:#}");
    assert!(!answers[0]["outputs"].as_object().unwrap().is_empty());
    let markdown = lab.cli(&["plan", "--format", "markdown"]).await.stdout;
    assert!(
        markdown.contains("New to the destination: its results alone.\n\n| case | outputs |"),
        "{markdown}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_proves_the_import_by_its_destination_version_id() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        lab.write("cases.csv", CASES);
        lab.manifest(&quote(""));
        let out = lab.cli(&["apply", "--json"]).await;
        assert_eq!(out.code, 0, "{out:?}");
        let result = out.json();
        let promotion = first(&result);
        assert_eq!(promotion["status"], "completed", "{promotion:#}");
        let imported = promotion["service_versions"][0]["version_id_destination"]
            .as_str()
            .unwrap();
        let comparison = &promotion["verification"]["comparison"];
        assert_eq!(
            (comparison["cases"].as_u64(), comparison["changed"].as_u64()),
            (Some(4), Some(0))
        );
        assert!(
            lab.versions_of("acme-prod", "pricing/quote")
                .await
                .iter()
                .any(|v| v.ends_with(&format!("={imported}"))),
            "the imported version is in prod"
        );
        assert_eq!(
            comparison["now"], "uat pricing/quote 1.1.0",
            "{comparison:#}"
        );
        assert!(
            comparison["after"]
                .as_str()
                .unwrap()
                .starts_with("prod pricing/quote "),
            "{comparison:#}"
        );
        assert_eq!(comparison["calls"], 2, "one v4 call per side");
        out.assert_no_secret();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_answer_after_the_import_rolls_back_once_and_says_so() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        lab.write("cases.csv", CASES);
        lab.manifest(&quote("      on_failure: rollback\n"));
        let before = lab.versions_of("acme-prod", "pricing/quote").await;
        let number = planned_number(&lab).await;
        answer_wrongly(&lab, &number).await;
        let out = lab.cli(&["apply", "--json"]).await;
        assert_eq!(out.code, 1, "{out:?}");
        let result = out.json();
        let promotion = first(&result);
        assert_eq!(promotion["status"], "failed");
        let errors: Vec<&str> = promotion["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        assert!(
            errors[0].starts_with("verification failed: 4 of 4 cases differ"),
            "{errors:?}"
        );
        assert!(
            errors[1].starts_with("rolled back: backup .spark-promote/backups/"),
            "{errors:?}"
        );
        let rolled_back = &promotion["verification"]["rolled_back"];
        assert_eq!(rolled_back["status"], "completed", "{rolled_back:#}");
        assert_eq!(
            lab.versions_of("acme-prod", "pricing/quote").await,
            before,
            "prod is as it was"
        );
        // Two imports: the promotion and its rollback, once.
        assert_eq!(lab.jobs_of("import").await.len(), 2);
        // The journal says the rollback undid this promotion's import.
        let journal: Value = serde_json::from_str(
            &std::fs::read_to_string(lab.path(".spark-promote/records.json")).unwrap(),
        )
        .unwrap();
        let entry = journal["entries"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(entry["rollback"], true, "{journal:#}");
        assert_eq!(entry["undoes"], promotion["correlation_id"], "{journal:#}");
        // A re-run does not import the rolled-back content again, so it is never rolled back twice.
        let again = lab.cli(&["apply", "--json"]).await;
        assert_eq!(again.code, 1, "{again:?}");
        let error = first(&again.json())["errors"][0]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            error.contains("failed its verification and was rolled back by the import recorded in"),
            "{error}"
        );
        assert_eq!(
            lab.jobs_of("import").await.len(),
            2,
            "nothing imported again"
        );
        assert_eq!(lab.versions_of("acme-prod", "pricing/quote").await, before);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_answer_with_on_failure_fail_fails_and_leaves_the_import() {
    let lab = Lab::start(QUICK).await;
    lab.write("cases.csv", CASES);
    lab.manifest(&quote(""));
    let number = planned_number(&lab).await;
    answer_wrongly(&lab, &number).await;
    let out = lab.cli(&["apply", "--format", "markdown"]).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout.contains("#### ❌ Verification of pricing/quote"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("| cases.csv:2 | <code>premium</code> |"),
        "{}",
        out.stdout
    );
    assert_eq!(lab.jobs_of("import").await.len(), 1, "no rollback");
    assert!(
        lab.versions_of("acme-prod", "pricing/quote").await.len() == 2,
        "the import stays"
    );
    // A re-run finds the import done and verifies it again: still failed, never green.
    let again = lab.cli(&["apply", "--json"]).await;
    assert_eq!(again.code, 1, "{again:?}");
    assert_eq!(
        lab.jobs_of("import").await.len(),
        1,
        "nothing imported again"
    );
}

/// The version number the plan says prod gets next.
async fn planned_number(lab: &Lab) -> String {
    let plan = lab.cli(&["plan", "--json"]).await.json();
    first(&plan)["services"][0]["next_version"]
        .as_str()
        .unwrap_or_else(|| panic!("no next version: {plan:#}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_imported_package_is_verified_against_the_expected_outputs() {
    let lab = Lab::start(QUICK).await;
    lab.export_package("quote.zip", &["--service", "pricing/quote"])
        .await;
    // uat's latest (1.1.0): cover / 1000 * (1 + age / 80).
    lab.write(
        "cases.csv",
        "age,cover,expected.premium\n40,100000,150\n80,100000,200\n",
    );
    lab.manifest(
        "promotions:\n  - name: quote\n    from: { package: quote.zip }\n    to: prod\n    services_existing: add_version\n    verify:\n      service: pricing/quote\n      cases: [cases.csv]\n",
    );
    let out = lab.cli(&["apply", "--json"]).await;
    assert_eq!(out.code, 0, "{out:?}");
    let result = out.json();
    let comparison = &first(&result)["verification"]["comparison"];
    assert_eq!(comparison["now"], "expected", "{comparison:#}");
    assert_eq!(
        (comparison["cases"].as_u64(), comparison["changed"].as_u64()),
        (Some(2), Some(0))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_runs_the_cases_against_the_version_it_ships_not_the_latest() {
    let lab = Lab::start(QUICK).await;
    lab.write("cases.csv", CASES);
    lab.manifest(&quote("").replace(
        "services: [pricing/quote]",
        "services: [\"pricing/quote[1.0]\"]",
    ));
    let json = lab.cli(&["plan", "--json"]).await.json();
    let comparison = &first(&json)["verification"]["comparison"];
    assert_eq!(comparison["after"], "uat pricing/quote 1.0.0", "{json:#}");
    assert_eq!(comparison["changed"], 0, "uat's 1.0.0 computes as prod's");
}
