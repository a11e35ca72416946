//! A locked re-run does not export: the lock gives the version ids an export would list, hence the
//! import's correlation id, so the one "already applied?" decision runs first and an applied promotion is
//! skipped with no export job on the source tenant, within Spark's one-hour job listing and after it.
use std::time::Duration;

use serde_json::Value;

use crate::lock::{LATEST_QUOTE, publish_newer_quote_in_uat};
use crate::support::cli::{Lab, each_compat};

const QUICK: Duration = Duration::from_millis(300);
const TWO_HOURS: u64 = 2 * 3600;

fn promotion(result: &Value) -> &Value {
    &result["promotions"][0]
}

/// The export jobs ever started on the source tenant.
async fn source_exports(lab: &Lab) -> usize {
    lab.jobs_of("export")
        .await
        .iter()
        .filter(|job| job["tenant"] == "acme-uat")
        .count()
}

/// Runs `apply --json` with `extra` arguments and expects the promotion completed; returns the result.
async fn applied(lab: &Lab, extra: &[&str]) -> Value {
    let output = lab.cli(&[&["apply", "--json"], extra].concat()).await;
    assert_eq!(output.code, 0, "{output:?}");
    let result = output.json();
    assert_eq!(promotion(&result)["status"], "completed", "{result:#}");
    result
}

/// Runs `plan --locked` then `apply --locked` and expects each to skip the promotion, for `reason`, with
/// `correlation_id` and no export job.
async fn expect_locked_reruns_skipped(lab: &Lab, correlation_id: &Value, reason: &str) {
    for command in ["plan", "apply"] {
        let output = lab.cli(&[command, "--json", "--locked"]).await;
        assert_eq!(output.code, 0, "{command}: {output:?}");
        let result = output.json();
        let promotion = promotion(&result);
        assert_eq!(promotion["status"], "skipped", "{command}: {result:#}");
        assert_eq!(&promotion["correlation_id"], correlation_id, "{command}");
        assert!(
            promotion["warnings"].to_string().contains(reason),
            "{command}: {result:#}"
        );
        assert_eq!(promotion["export_job_id"], Value::Null, "{command}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_rerun_of_an_applied_promotion_is_skipped_without_an_export_then_and_hours_later()
{
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        lab.manifest(LATEST_QUOTE);
        assert_eq!(lab.cli(&["lock"]).await.code, 0);
        let first = applied(&lab, &["--locked"]).await;
        let correlation_id = &promotion(&first)["correlation_id"];
        let exports = source_exports(&lab).await;
        assert_eq!(exports, 2, "the lock's export and the first apply's");

        expect_locked_reruns_skipped(&lab, correlation_id, "already applied by import job").await;
        lab.advance_clock(TWO_HOURS).await;
        expect_locked_reruns_skipped(&lab, correlation_id, "the destination already holds").await;
        assert_eq!(source_exports(&lab).await, exports, "a re-run exported");
        assert_eq!(lab.jobs_of("import").await.len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_run_finds_the_import_of_an_unlocked_run_of_the_same_versions_by_its_correlation_id()
 {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        lab.manifest(LATEST_QUOTE);
        let unlocked = applied(&lab, &[]).await;
        assert_eq!(lab.cli(&["lock"]).await.code, 0);
        let exports = source_exports(&lab).await;

        // The job listing finds the unlocked run's import (before the destination's versions are read)
        // only when the locked run computes the same correlation id.
        let correlation_id = &promotion(&unlocked)["correlation_id"];
        expect_locked_reruns_skipped(&lab, correlation_id, "already applied by import job").await;
        assert_eq!(
            source_exports(&lab).await,
            exports,
            "a locked re-run exported"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unlocked_rerun_still_exports_and_is_skipped() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        lab.manifest(LATEST_QUOTE);
        let first = applied(&lab, &[]).await;
        let again = lab.cli(&["apply", "--json"]).await;
        assert_eq!(again.code, 0, "{again:?}");
        let again = again.json();
        assert_eq!(promotion(&again)["status"], "skipped", "{again:#}");
        assert_eq!(
            promotion(&again)["correlation_id"],
            promotion(&first)["correlation_id"]
        );
        assert_ne!(promotion(&again)["export_job_id"], Value::Null);
        assert_eq!(source_exports(&lab).await, 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_rerun_skipped_without_an_export_still_says_that_the_source_moved_on() {
    let lab = Lab::start(QUICK).await;
    lab.manifest(LATEST_QUOTE);
    assert_eq!(lab.cli(&["lock"]).await.code, 0);
    let first = applied(&lab, &["--locked"]).await;
    publish_newer_quote_in_uat(&lab).await;
    let exports = source_exports(&lab).await;

    let correlation_id = &promotion(&first)["correlation_id"];
    expect_locked_reruns_skipped(
        &lab,
        correlation_id,
        "uat has pricing/quote 1.2.0; locked 1.1.0; run `spark-promote lock` to update",
    )
    .await;
    assert_eq!(source_exports(&lab).await, exports, "a re-run exported");
}
