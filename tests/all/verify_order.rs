//! `after:` and `xcalls:` over real HTTP against the sandbox and the real binary: a run imports in the
//! order `after` gives (seen in the sandbox's job order), a plan warns of a callee the destination lacks.
use std::time::Duration;

use crate::support::cli::{Lab, each_compat};

const QUICK: Duration = Duration::from_millis(200);

/// quote (into prod, where pricing/quote exists) calls rating (new to prod); `quote_extra` is more of
/// quote's keys.
fn quote_and_rating(quote_extra: &str) -> String {
    format!(
        "promotions:\n  - name: quote\n    from: {{ environment: uat, services: [pricing/quote] }}\n    to: prod\n    services_existing: add_version\n{quote_extra}  - name: rating\n    from: {{ environment: uat, services: [pricing/rating] }}\n    to: prod\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_imports_in_the_order_after_gives_and_reports_in_manifest_order() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        lab.manifest(&quote_and_rating("    after: [rating]\n"));
        let out = lab.cli(&["apply", "--json"]).await;
        assert_eq!(out.code, 0, "{out:?}");
        let result = out.json();
        let names: Vec<&str> = result["promotions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["quote", "rating"], "reported in manifest order");
        let job = |i: usize| result["promotions"][i]["job_id"].clone();
        assert_eq!(
            imports(&lab).await,
            [job(1), job(0)],
            "rating was imported first"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_after_the_same_tenant_imports_in_manifest_order() {
    let lab = Lab::start(QUICK).await;
    lab.manifest(&quote_and_rating(""));
    let result = lab.cli(&["apply", "--json"]).await.json();
    let job = |i: usize| result["promotions"][i]["job_id"].clone();
    assert_eq!(imports(&lab).await, [job(0), job(1)]);
}

/// The ids of the sandbox's import jobs, in the order they were created.
async fn imports(lab: &Lab) -> Vec<serde_json::Value> {
    lab.jobs_of("import")
        .await
        .into_iter()
        .map(|job| job["id"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_warns_of_a_callee_the_destination_lacks_unless_a_promotion_before_brings_it() {
    let lab = Lab::start(QUICK).await;
    let warnings = |result: &serde_json::Value| -> Vec<String> {
        result["promotions"][0]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap().to_owned())
            .collect()
    };
    lab.manifest(&quote_and_rating("    xcalls: [pricing/rating]\n"));
    let out = lab.cli(&["plan", "--json"]).await;
    assert_eq!(out.code, 0, "a warning, not a failure: {out:?}");
    let seen = warnings(&out.json());
    assert!(
        seen.iter().any(|w| w
            == "xcalls: pricing/quote calls pricing/rating, which prod lacks: its calls would fail after \
                the import (add `after: [rating]`, which promotes it)"),
        "{seen:?}"
    );
    lab.manifest(&quote_and_rating(
        "    xcalls: [pricing/rating]\n    after: [rating]\n",
    ));
    let seen = warnings(&lab.cli(&["plan", "--json"]).await.json());
    assert!(!seen.iter().any(|w| w.starts_with("xcalls:")), "{seen:?}");
    // The promotion's own service is no warning; a callee at a version the destination lacks is.
    lab.manifest(&quote_and_rating("    xcalls: [\"pricing/quote[1.0]\"]\n"));
    let seen = warnings(&lab.cli(&["plan", "--json"]).await.json());
    assert!(!seen.iter().any(|w| w.starts_with("xcalls:")), "{seen:?}");
    lab.manifest(&quote_and_rating("    xcalls: [\"pricing/other[2]\"]\n"));
    let seen = warnings(&lab.cli(&["plan", "--json"]).await.json());
    assert!(
        seen.iter()
            .any(|w| w.contains("calls pricing/other[2], which prod lacks")
                && w.ends_with("(promote it first)")),
        "{seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_promotion_after_one_that_failed_is_not_imported() {
    let lab = Lab::start(QUICK).await;
    lab.manifest(
        &quote_and_rating("    after: [rating]\n")
            .replace("services: [pricing/rating]", "services: [pricing/missing]"),
    );
    let out = lab.cli(&["apply", "--json"]).await;
    assert_eq!(out.code, 1, "{out:?}");
    let result = out.json();
    assert_eq!(result["promotions"][1]["status"], "failed", "{result:#}");
    assert_eq!(result["promotions"][0]["status"], "failed");
    assert_eq!(
        result["promotions"][0]["errors"][0],
        "not imported: it comes after rating (after:), which did not complete"
    );
    assert!(imports(&lab).await.is_empty(), "quote was not imported");
}
