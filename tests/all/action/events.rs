//! Each event a promotion workflow runs on: what the action runs, what it writes, which GitHub requests it
//! makes.
use serde_json::Value;

use super::fake_github::{FIRST_DEPLOYMENT_ID, lines};
use super::runner::{MERGE_SHA, Scene, Step, Trigger, assert_summary_snapshot};
use crate::support::cli::{Lab, read};

/// The marker line (the first) of a comment body.
fn marker_of(body: &Value) -> String {
    body["body"]
        .as_str()
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string()
}

/// The outputs every run writes, and the result file they name.
fn assert_outputs(lab: &Lab, step: &Step, status: &str) -> Value {
    let outputs = &step.outputs;
    assert_eq!(outputs["status"], status, "{}", step.log);
    assert_eq!(
        outputs["result"],
        ".spark-promote/spark-promote/result.json"
    );
    assert_eq!(
        outputs["summary"],
        ".spark-promote/spark-promote/summary.md"
    );
    assert!(
        outputs["correlation-ids"].starts_with("sp1-"),
        "{outputs:?}"
    );
    assert_eq!(read(&lab.path(&outputs["summary"])), step.summary);
    let result: Value = serde_json::from_str(&read(&lab.path(&outputs["result"]))).unwrap();
    assert_eq!(
        result["promotions"][0]["correlation_id"],
        outputs["correlation-ids"].as_str()
    );
    result
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_is_the_default_on_a_pull_request_and_creates_the_comment() {
    let scene = Scene::start().await;
    let (lab, github) = (&scene.lab, &scene.github);
    let step = scene.run_expecting(0, &Trigger::pull_request(), &[]).await;
    let result = assert_outputs(lab, &step, "planned");
    assert_eq!(result["command"], "plan");
    assert!(lab.jobs_of("import").await.is_empty(), "plan imported");
    // The plan's export (what would be imported) is its only job.
    let exports = lab.jobs_of("export").await;
    assert_eq!(step.outputs["job-ids"], exports[0]["id"].as_str().unwrap());
    assert_eq!(
        github.take_lines(),
        [
            lines::list_deployments("spark-prod"),
            lines::user(),
            lines::list(1),
            lines::create()
        ]
    );
    let comments = github.comments();
    assert_eq!(comments.len(), 1);
    let body = comments[0]["body"].as_str().unwrap();
    assert!(body.starts_with("<!-- spark-promote:"), "{body}");
    assert!(body.contains("pricing/quote"), "{body}");
    assert_summary_snapshot("pull_request_plan_summary", &step.summary);
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_after_the_merge_updates_the_comment_the_plan_created() {
    let scene = Scene::start().await;
    let (lab, github) = (&scene.lab, &scene.github);
    scene.run_expecting(0, &Trigger::pull_request(), &[]).await;
    github.take_lines();
    let created = github.comments()[0].clone();
    let id = created["id"].as_u64().unwrap();

    let apply = scene
        .run_expecting(0, &Trigger::push_after_merge(), &[])
        .await;
    let result = assert_outputs(lab, &apply, "completed");
    assert_eq!(result["command"], "apply");
    let imports = lab.jobs_of("import").await;
    assert_eq!(imports.len(), 1);
    // The run's export job, then its import job.
    let exports = lab.jobs_of("export").await;
    assert_eq!(
        apply.outputs["job-ids"],
        format!(
            "{}\n{}",
            exports.last().unwrap()["id"].as_str().unwrap(),
            imports[0]["id"].as_str().unwrap()
        )
    );
    let requests = github.take_lines();
    assert_eq!(requests[..4], lines::recorded(FIRST_DEPLOYMENT_ID));
    assert_eq!(
        requests[4..],
        [
            lines::merged_pulls(MERGE_SHA),
            lines::user(),
            lines::list(1),
            lines::update(id)
        ]
    );
    let comments = github.comments();
    assert_eq!(comments.len(), 1, "a second comment was made");
    assert_eq!(marker_of(&comments[0]), marker_of(&created));
    assert_ne!(comments[0]["body"], created["body"]);
    assert_summary_snapshot("push_after_merge_apply_summary", &apply.summary);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tag_push_applies_and_makes_no_comment_request() {
    let scene = Scene::start().await;
    let (lab, github) = (&scene.lab, &scene.github);
    let step = scene.run_expecting(0, &Trigger::tag(), &[]).await;
    assert_outputs(lab, &step, "completed");
    assert_eq!(lab.jobs_of("import").await.len(), 1);
    assert_eq!(
        github.take_lines(),
        lines::recorded(FIRST_DEPLOYMENT_ID),
        "a tag has no pull request to comment on"
    );
    assert!(
        step.summary.contains("spark-promote apply"),
        "{}",
        step.summary
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_schedule_applies_with_a_summary_only() {
    let scene = Scene::start().await;
    let (lab, github) = (&scene.lab, &scene.github);
    let step = scene.run_expecting(0, &Trigger::schedule(), &[]).await;
    assert_outputs(lab, &step, "completed");
    assert_eq!(lab.jobs_of("import").await.len(), 1);
    assert_eq!(github.take_lines(), lines::recorded(FIRST_DEPLOYMENT_ID));
    assert!(step.summary.contains("pricing/quote"), "{}", step.summary);

    // The next night finds the same content applied: skipped, with the earlier job's id.
    let again = scene.run_expecting(0, &Trigger::schedule(), &[]).await;
    assert_outputs(lab, &again, "skipped");
    assert_eq!(lab.jobs_of("import").await.len(), 1);
    assert_eq!(
        again.outputs["correlation-ids"],
        step.outputs["correlation-ids"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_manifest_is_annotated_at_its_line_and_exits_2_without_any_spark_call_or_new_comment()
 {
    let scene = Scene::start().await;
    let (lab, github) = (&scene.lab, &scene.github);
    lab.manifest(
        "promotions:\n  - name: x\n    from: { environment: uat, services: [a/b] }\n    to: nowhere\n",
    );
    let step = scene.run_expecting(2, &Trigger::pull_request(), &[]).await;
    assert!(
        step.lines().any(|line| line.starts_with(
            "::error file=spark-promote.yaml,line=16,col=9,title=spark-promote manifest::"
        )),
        "{}",
        step.log
    );
    assert_eq!(step.outputs["status"], "invalid");
    assert!(lab.jobs().await.is_empty());
    // Only a look for a comment to mark stale; there is none, and none is created.
    assert_eq!(github.take_lines(), [lines::user(), lines::list(1)]);
}
