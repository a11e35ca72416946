//! `drift`: in sync after an apply, newer in the source, changed in the destination (exit 0 / 3).
use std::time::Duration;

use serde_json::Value;

use crate::lock::{LATEST_QUOTE, publish_newer_quote_in_uat};
use crate::support::cli::{ENVIRONMENTS, Lab, each_compat};

const QUICK: Duration = Duration::from_millis(300);

fn promotion(report: &Value) -> &Value {
    &report["promotions"][0]
}

/// The versions (`version`) listed under `kind` (newer, missing, added) of the promotion's only service.
fn listed(report: &Value, kind: &str) -> Vec<String> {
    promotion(report)["services"][0][kind]
        .as_array()
        .unwrap_or_else(|| panic!("no {kind} in {report:#}"))
        .iter()
        .map(|version| version["version"].as_str().unwrap().to_string())
        .collect()
}

/// A version of pricing/quote imported into prod by hand, not from uat.
pub(crate) async fn import_by_hand_into_prod(lab: &Lab) {
    crate::support::package::write(&lab.path("hand.zip"), &["pricing/quote"], 16);
    lab.write(
        "hand.yaml",
        &format!(
            "{ENVIRONMENTS}promotions:\n  - name: hand\n    from: {{ package: hand.zip }}\n    to: prod\n    services_existing: add_version\n"
        ),
    );
    let hand = lab.cli(&["apply", "-m", "hand.yaml"]).await;
    assert_eq!(hand.code, 0, "{hand:?}");
}

async fn applied(lab: &Lab) {
    lab.manifest(LATEST_QUOTE);
    let apply = lab.cli(&["apply"]).await;
    assert_eq!(apply.code, 0, "{apply:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_is_in_sync_after_an_apply_then_exit_3_when_the_source_has_a_newer_version() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        applied(&lab).await;
        let in_sync = lab.cli(&["drift", "--json"]).await;
        assert_eq!(in_sync.code, 0, "{in_sync:?}");
        in_sync.assert_no_secret();
        let report = in_sync.json();
        assert_eq!(promotion(&report)["state"], "in_sync", "{report:#}");
        assert_eq!(promotion(&report)["services"], Value::Array(Vec::new()));
        let text = lab.cli(&["drift", "--format", "text"]).await;
        assert_eq!(
            text.stdout,
            "spark-promote drift spark-promote.yaml: in sync\ntotals: 1 in sync, 0 drifted, 0 failed\n\npricing: in sync\n  uat -> prod\n",
            "{text:?}"
        );

        publish_newer_quote_in_uat(&lab).await;
        let newer = lab.cli(&["drift", "--json"]).await;
        assert_eq!(newer.code, 3, "{newer:?}");
        let report = newer.json();
        assert_eq!(promotion(&report)["state"], "source_newer", "{report:#}");
        assert_eq!(listed(&report, "newer"), vec!["1.2.0"]);
        let id = promotion(&report)["services"][0]["newer"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let text = lab.cli(&["drift", "--format", "text"]).await;
        assert_eq!(text.code, 3);
        assert_eq!(
            text.stdout,
            format!(
                "spark-promote drift spark-promote.yaml: drift\ntotals: 0 in sync, 1 drifted, 0 failed\n\npricing: source has newer versions\n  uat -> prod\n  newer in uat: pricing/quote 1.2.0 (id {id})\n"
            ),
            "{text:?}"
        );
        let markdown = lab.cli(&["drift", "--format", "markdown"]).await;
        assert_eq!(markdown.code, 3);
        assert!(
            markdown.stdout.contains(&format!(
                "| pricing | uat → prod | source has newer versions |\n\n**pricing**\n\n- newer in uat: <code>pricing/quote</code> 1.2.0 (id <code>{id}</code>)\n"
            )),
            "{markdown:?}"
        );
        assert!(
            lab.jobs_of("import").await.len() == 2,
            "drift imports nothing (the apply and the publish only)"
        );

        // Applying again brings it back in sync.
        assert_eq!(lab.cli(&["apply"]).await.code, 0);
        assert_eq!(lab.cli(&["drift"]).await.code, 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_with_a_lock_compares_the_locked_versions_and_warns_of_newer_ones() {
    let lab = Lab::start(QUICK).await;
    applied(&lab).await;
    assert_eq!(lab.cli(&["lock"]).await.code, 0);
    publish_newer_quote_in_uat(&lab).await;
    let output = lab.cli(&["drift", "--json"]).await;
    assert_eq!(output.code, 0, "the lock is what ships: {output:?}");
    let report = output.json();
    assert_eq!(promotion(&report)["state"], "in_sync", "{report:#}");
    assert_eq!(
        promotion(&report)["warnings"],
        serde_json::json!([
            "uat has pricing/quote 1.2.0; locked 1.1.0; run `spark-promote lock` to update"
        ])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_says_the_destination_differs_when_a_version_was_added_there_or_the_service_deleted()
{
    let lab = Lab::start(QUICK).await;
    applied(&lab).await;
    import_by_hand_into_prod(&lab).await;
    let added = lab.cli(&["drift", "--json"]).await;
    assert_eq!(added.code, 3, "{added:?}");
    let report = added.json();
    assert_eq!(
        promotion(&report)["state"],
        "destination_differs",
        "{report:#}"
    );
    assert_eq!(listed(&report, "added"), vec!["1.2.0"]);
    assert!(listed(&report, "missing").is_empty());

    lab.remove_service("acme-prod", "pricing/quote").await;
    let deleted = lab.cli(&["drift", "--json"]).await;
    assert_eq!(deleted.code, 3, "{deleted:?}");
    let report = deleted.json();
    assert_eq!(
        promotion(&report)["state"],
        "destination_differs",
        "{report:#}"
    );
    assert_eq!(listed(&report, "missing"), vec!["1.1.0"]);
    assert!(listed(&report, "added").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_exits_2_on_an_unknown_promotion_and_1_when_the_source_cannot_be_read() {
    let lab = Lab::start(QUICK).await;
    lab.manifest(LATEST_QUOTE);
    let unknown = lab.cli(&["drift", "-p", "nope"]).await;
    assert_eq!(unknown.code, 2, "{unknown:?}");
    // The source service is gone: the comparison cannot be made.
    lab.remove_service("acme-uat", "pricing/quote").await;
    let failed = lab.cli(&["drift", "--json"]).await;
    assert_eq!(failed.code, 1, "{failed:?}");
    assert_eq!(promotion(&failed.json())["state"], "failed");
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_and_plan_agree_when_the_destination_holds_the_id_at_another_number() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        // add_version with a major bump: prod holds uat's 1.1.0 under its id, renumbered.
        lab.manifest(&LATEST_QUOTE.replace(
            "services_existing: add_version\n",
            "services_existing: add_version\n    update_version_type: major\n",
        ));
        let apply = lab.cli(&["apply"]).await;
        assert_eq!(apply.code, 0, "{apply:?}");
        let renumbered = lab.cli(&["drift", "--json"]).await;
        assert_eq!(
            renumbered.code, 0,
            "numbering is add_version's own: {renumbered:?}"
        );

        // A replace keeps numbers: what it would import (1.1.0 at 1.1.0) is not there.
        lab.manifest(&LATEST_QUOTE.replace("add_version", "replace"));
        let drift = lab.cli(&["drift", "--json"]).await;
        assert_eq!(drift.code, 3, "{drift:?}");
        let report = drift.json();
        assert_eq!(
            promotion(&report)["state"],
            "destination_differs",
            "{report:#}"
        );
        assert_eq!(listed(&report, "missing"), vec!["1.1.0"]);
        let plan = lab.cli(&["plan", "--json"]).await;
        assert_eq!(plan.code, 0, "{plan:?}");
        assert_eq!(
            promotion(&plan.json())["status"],
            "planned",
            "plan agrees: {plan:?}"
        );
    })
    .await;
}
