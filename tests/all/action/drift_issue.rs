//! `command: drift` keeps one issue per manifest: opened on drift, updated when the drift changes, left
//! alone when it does not, commented and closed when it is gone; a token without `issues: write` is a
//! warning.
use super::fake_github::{self, FIRST_ISSUE};
use super::runner::{REPOSITORY, Scene, Trigger};

const DRIFT: &[(&str, &str)] = &[("INPUT_COMMAND", "drift")];

fn list() -> String {
    list_page(1)
}

fn list_page(page: usize) -> String {
    format!(
        "GET /repos/{REPOSITORY}/issues?state=open&labels=spark-promote&per_page=100&page={page}"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_drift_issue_is_opened_updated_and_closed_with_exact_requests() {
    let scene = Scene::start().await;
    let (lab, github) = (&scene.lab, &scene.github);
    let trigger = Trigger::schedule();
    assert_eq!(lab.cli(&["apply"]).await.code, 0);

    // Without `issues: write`: a warning, and the exit code is drift's.
    github
        .answer_first(
            1,
            "GET",
            &format!("/repos/{REPOSITORY}/issues"),
            fake_github::refused(
                "https://docs.github.com/rest/issues/issues#list-repository-issues",
            ),
        )
        .await;
    let refused = scene.run_expecting(0, &trigger, DRIFT).await;
    assert!(
        refused
            .log
            .contains("::warning::cannot keep the drift issue: "),
        "{}",
        refused.log
    );
    assert_eq!(refused.outputs["status"], "in_sync");
    assert_eq!(github.take_lines(), [list()]);

    // In sync and no issue: nothing written.
    scene.run_expecting(0, &trigger, DRIFT).await;
    assert_eq!(github.take_lines(), [list()]);

    crate::lock::publish_newer_quote_in_uat(lab).await;
    let opened = scene.run_expecting(3, &trigger, DRIFT).await;
    assert_eq!(opened.outputs["status"], "drift");
    assert_eq!(
        github.take_lines(),
        [list(), format!("POST /repos/{REPOSITORY}/issues")]
    );
    let issue = github.issues()[0].clone();
    assert_eq!(issue["number"], FIRST_ISSUE);
    assert_eq!(issue["labels"], serde_json::json!(["spark-promote"]));
    let body = issue["body"].as_str().unwrap().to_string();
    assert!(body.starts_with("<!-- spark-promote:"), "{body}");
    assert!(
        body.contains("pricing (uat -> prod): source has newer versions"),
        "{body}"
    );
    assert!(opened.summary.contains("newer in uat: pricing/quote 1.2.0"));

    // The same drift again: the issue is left alone.
    scene.run_expecting(3, &trigger, DRIFT).await;
    assert_eq!(github.take_lines(), [list()]);

    // The drift changes: the body is updated.
    crate::drift::import_by_hand_into_prod(lab).await;
    scene.run_expecting(3, &trigger, DRIFT).await;
    let issue_path = format!("/repos/{REPOSITORY}/issues/{FIRST_ISSUE}");
    assert_eq!(github.take_lines(), [list(), format!("PATCH {issue_path}")]);
    let updated = github.issues()[0]["body"].as_str().unwrap().to_string();
    assert!(
        updated.contains("destination differs from what was promoted")
            && updated.contains("added in prod"),
        "{updated}"
    );

    // Back in sync (prod's service rebuilt from uat): a comment, then the close.
    lab.remove_service("acme-prod", "pricing/quote").await;
    assert_eq!(lab.cli(&["apply"]).await.code, 0);
    scene.run_expecting(0, &trigger, DRIFT).await;
    assert_eq!(
        github.take_lines(),
        [
            list(),
            format!("POST {issue_path}/comments"),
            format!("PATCH {issue_path}")
        ]
    );
    let closed = &github.issues()[0];
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["comments"].as_array().unwrap().len(), 1);
    assert_eq!(github.issues().len(), 1, "exactly one issue");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_drift_issue_is_found_past_the_first_page_of_labelled_issues() {
    let scene = Scene::start().await;
    let (lab, github) = (&scene.lab, &scene.github);
    let trigger = Trigger::schedule();
    assert_eq!(lab.cli(&["apply"]).await.code, 0);
    crate::lock::publish_newer_quote_in_uat(lab).await;
    // A busy repository: a hundred open issues with the label come before ours.
    github.add_issues(100, "spark-promote");
    scene.run_expecting(3, &trigger, DRIFT).await;
    let ours = FIRST_ISSUE + 100;
    assert_eq!(
        github.take_lines(),
        [
            list_page(1),
            list_page(2),
            format!("POST /repos/{REPOSITORY}/issues")
        ]
    );

    // The next drift run finds it on page 2 and leaves it alone: no second issue.
    scene.run_expecting(3, &trigger, DRIFT).await;
    assert_eq!(github.take_lines(), [list_page(1), list_page(2)]);
    let issues = github.issues();
    assert_eq!(issues.len(), 101, "exactly one issue of ours");
    assert_eq!(issues[100]["number"], ours);
}
