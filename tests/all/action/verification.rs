//! Verification in the action: the plan's sticky comment shows the behaviour change, and an apply's
//! GitHub deployment names the cases it was verified with (their sha256 and count) and says they passed.
use serde_json::json;
use sha2::{Digest, Sha256};

use super::runner::{Scene, Trigger, UAT_TO_PROD, assert_summary_snapshot};

const CASES: &str = "age,cover\n30,100000\n62,200000\n70,100000\n40,\n";

fn verified(scene: &Scene) {
    scene.lab.write("cases.csv", CASES);
    scene.lab.manifest(&format!(
        "{UAT_TO_PROD}    verify:\n      cases: [cases.csv]\n"
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_plan_comment_shows_how_many_cases_change_and_the_largest_changes() {
    let scene = Scene::start().await;
    verified(&scene);
    scene.run_expecting(0, &Trigger::pull_request(), &[]).await;
    let comments = scene.github.comments();
    assert_eq!(comments.len(), 1);
    let body = comments[0]["body"].as_str().unwrap();
    assert!(body.contains("**4 cases, 4 changed**"), "{body}");
    assert_summary_snapshot("comment_verify_plan", body);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_verified_apply_names_the_cases_sha256_and_count_in_its_deployment() {
    let scene = Scene::start().await;
    verified(&scene);
    let step = scene.run_expecting(0, &Trigger::tag(), &[]).await;
    assert_eq!(step.outputs["status"], "completed", "{}", step.log);
    let requests = scene.github.requests();
    let created = requests[1].1.as_ref().unwrap();
    assert_eq!(
        created["payload"]["cases"],
        json!({ "sha256": hex::encode(Sha256::digest(CASES)), "count": 4 }),
        "{created:#}"
    );
    let status = requests[3].1.as_ref().unwrap();
    assert_eq!(status["state"], "success");
    assert!(
        status["description"]
            .as_str()
            .unwrap()
            .ends_with("imported; 4 cases verified"),
        "{status:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_verification_rolls_back_and_both_deployments_say_so() {
    let scene = Scene::start().await;
    scene.lab.write("cases.csv", CASES);
    scene.lab.manifest(&format!(
        "{UAT_TO_PROD}    backup: true\n    verify:\n      cases: [cases.csv]\n      on_failure: rollback\n"
    ));
    // uat's 1.1.0 becomes prod's 1.2.0 (the plan's next versions are 1.1.0, 1.2.0): it answers wrongly.
    reqwest::Client::new()
        .post(format!("{}/_sandbox/execute/wrong", scene.lab.url()))
        .json(&json!({ "tenant": "acme-prod", "folder": "pricing", "service": "quote", "version": "1.2.0" }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let step = scene.run_expecting(1, &Trigger::tag(), &[]).await;
    assert_eq!(step.outputs["status"], "failed", "{}", step.log);
    let requests = scene.github.requests();
    let bodies: Vec<&serde_json::Value> = requests
        .iter()
        .filter(|(line, _)| line.ends_with("/deployments"))
        .filter_map(|(_, body)| body.as_ref())
        .collect();
    assert_eq!(
        bodies.len(),
        2,
        "the promotion and its rollback: {requests:#?}"
    );
    let (promotion, rollback) = (&bodies[0]["payload"], &bodies[1]["payload"]);
    assert_eq!(promotion["cases"]["count"], 4);
    assert_eq!(rollback["rollback"], true, "{rollback:#}");
    assert_eq!(
        rollback["undoes"], promotion["correlation_id"],
        "{rollback:#}"
    );
    let failure = requests
        .iter()
        .filter_map(|(_, body)| body.as_ref())
        .find(|body| body["state"] == "failure")
        .unwrap_or_else(|| panic!("no failure status: {requests:#?}"));
    assert!(
        failure["description"]
            .as_str()
            .unwrap()
            .contains("verification failed: 4 of 4 cases differ"),
        "{failure:#}"
    );
}
