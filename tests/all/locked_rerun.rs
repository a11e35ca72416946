//! A locked re-run does not export: the lock gives the version ids an export would list, hence the
//! import's correlation id, so the one "already applied?" decision runs first and an applied promotion is
//! skipped with no export job on the source tenant, within Spark's one-hour job listing and after it.
use std::time::Duration;

use serde_json::Value;

use crate::lock::LATEST_QUOTE;
use crate::support::cli::{World, each_compat};

const QUICK: Duration = Duration::from_millis(300);
const TWO_HOURS: u64 = 2 * 3600;

fn promotion(result: &Value) -> &Value {
    &result["promotions"][0]
}

/// The export jobs ever started on the source tenant.
async fn source_exports(world: &World) -> usize {
    world
        .jobs_of("export")
        .await
        .iter()
        .filter(|job| job["tenant"] == "acme-uat")
        .count()
}

/// Runs `args` (a plan or an apply, with `--json`) and expects a skipped promotion, for `reason`, with
/// `correlation_id` and no export job.
async fn expect_skipped(world: &World, args: &[&str], correlation_id: &Value, reason: &str) {
    let output = world.cli(args).await;
    assert_eq!(output.code, 0, "{args:?}: {output:?}");
    let result = output.json();
    let promotion = promotion(&result);
    assert_eq!(promotion["status"], "skipped", "{args:?}: {result:#}");
    assert_eq!(&promotion["correlation_id"], correlation_id, "{args:?}");
    assert!(
        promotion["warnings"].to_string().contains(reason),
        "{args:?}: {result:#}"
    );
    assert_eq!(promotion["export_job_id"], Value::Null, "{args:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_rerun_of_an_applied_promotion_is_skipped_without_an_export_then_and_hours_later()
{
    each_compat(|compat| async move {
        let world = World::start_compat(QUICK, compat).await;
        world.manifest(LATEST_QUOTE);
        assert_eq!(world.cli(&["lock"]).await.code, 0);
        let first = world.cli(&["apply", "--json", "--locked"]).await;
        assert_eq!(first.code, 0, "{first:?}");
        let first = first.json();
        assert_eq!(promotion(&first)["status"], "completed", "{first:#}");
        let correlation_id = &promotion(&first)["correlation_id"];
        let exports = source_exports(&world).await;
        assert_eq!(exports, 2, "the lock's export and the first apply's");

        for command in ["plan", "apply"] {
            let args = [command, "--json", "--locked"];
            expect_skipped(
                &world,
                &args,
                correlation_id,
                "already applied by import job",
            )
            .await;
        }
        world.advance_clock(TWO_HOURS).await;
        for command in ["plan", "apply"] {
            let args = [command, "--json", "--locked"];
            expect_skipped(
                &world,
                &args,
                correlation_id,
                "the destination already holds",
            )
            .await;
        }
        assert_eq!(source_exports(&world).await, exports, "a re-run exported");
        assert_eq!(world.jobs_of("import").await.len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_run_finds_the_import_of_an_unlocked_run_of_the_same_versions_by_its_correlation_id()
 {
    each_compat(|compat| async move {
        let world = World::start_compat(QUICK, compat).await;
        world.manifest(LATEST_QUOTE);
        let unlocked = world.cli(&["apply", "--json"]).await;
        assert_eq!(unlocked.code, 0, "{unlocked:?}");
        let unlocked = unlocked.json();
        assert_eq!(promotion(&unlocked)["status"], "completed", "{unlocked:#}");
        assert_eq!(world.cli(&["lock"]).await.code, 0);
        let exports = source_exports(&world).await;

        // The job listing finds the unlocked run's import (before the destination's versions are read)
        // only when the locked run computes the same correlation id.
        let correlation_id = &promotion(&unlocked)["correlation_id"];
        for command in ["plan", "apply"] {
            let args = [command, "--json", "--locked"];
            expect_skipped(
                &world,
                &args,
                correlation_id,
                "already applied by import job",
            )
            .await;
        }
        assert_eq!(
            source_exports(&world).await,
            exports,
            "a locked re-run exported"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unlocked_rerun_still_exports_and_is_skipped() {
    each_compat(|compat| async move {
        let world = World::start_compat(QUICK, compat).await;
        world.manifest(LATEST_QUOTE);
        let first = world.cli(&["apply", "--json"]).await;
        assert_eq!(first.code, 0, "{first:?}");
        let first = first.json();
        let again = world.cli(&["apply", "--json"]).await;
        assert_eq!(again.code, 0, "{again:?}");
        let again = again.json();
        assert_eq!(promotion(&again)["status"], "skipped", "{again:#}");
        assert_eq!(
            promotion(&again)["correlation_id"],
            promotion(&first)["correlation_id"]
        );
        assert_ne!(promotion(&again)["export_job_id"], Value::Null);
        assert_eq!(source_exports(&world).await, 2);
    })
    .await;
}
