//! The `status` output, the annotations, the job summary and the log agree with the step's result, in the
//! same words.
use super::runner::{GITHUB_TOKEN, Scene, Trigger, UAT_TO_PROD};

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_predicting_a_failure_fails_the_step_with_status_failed_and_an_error_annotation() {
    let scene = Scene::start().await;
    scene
        .lab
        .manifest(&UAT_TO_PROD.replace("add_version", "abort"));
    let step = scene.run_expecting(1, &Trigger::pull_request(), &[]).await;
    assert_eq!(step.outputs["status"], "failed", "{}", step.log);
    let words = "pricing/quote → pricing/quote would fail: pricing/quote exists in prod and \
                 services_existing is abort";
    assert!(
        step.lines()
            .any(|line| line == format!("::error title=spark-promote pricing::{words}")),
        "{}",
        step.log
    );
    assert!(
        step.lines().any(|line| line
            == "pricing/quote → pricing/quote: would fail: pricing/quote exists in prod and \
                services_existing is abort"),
        "{}",
        step.log
    );
    assert!(!step.log.contains("WouldFail"), "{}", step.log);
    assert!(step.summary.contains("would fail"), "{}", step.summary);
    assert!(step.summary.starts_with("## ❌"), "{}", step.summary);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_without_predicted_failures_keeps_status_planned_and_no_error_annotation() {
    let scene = Scene::start().await;
    let step = scene.run_expecting(0, &Trigger::pull_request(), &[]).await;
    assert_eq!(step.outputs["status"], "planned");
    assert!(!step.log.contains("::error"), "{}", step.log);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_input_is_annotated_and_summarised_with_status_invalid_and_no_call() {
    let scene = Scene::start().await;
    let step = scene
        .run_expecting(2, &Trigger::pull_request(), &[("INPUT_COMMAND", "plna")])
        .await;
    assert_eq!(step.outputs["status"], "invalid", "{}", step.log);
    let annotation = step
        .lines()
        .find(|line| line.starts_with("::error title=spark-promote input::"))
        .unwrap_or_else(|| panic!("no annotation: {}", step.log));
    assert!(annotation.contains("plna"), "{annotation}");
    assert!(
        step.summary
            .starts_with("## ❌ spark-promote: invalid input\n"),
        "{}",
        step.summary
    );
    assert!(step.summary.contains("plna"), "{}", step.summary);
    let masked_first = format!("::add-mask::{GITHUB_TOKEN}");
    assert_eq!(step.lines().next(), Some(masked_first.as_str()));
    assert_eq!(step.log.matches(GITHUB_TOKEN).count(), 1, "{}", step.log);
    assert!(scene.github.take_lines().is_empty());
    assert!(scene.lab.jobs().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_summary_never_shows_an_empty_correlation_id() {
    let scene = Scene::start().await;
    scene.lab.manifest(
        &UAT_TO_PROD
            .replace(
                "services_existing: add_version",
                "services:\n      - { source: pricing/qoute, destination: pricing/quote-v3 }",
            )
            .replace("services: [pricing/quote]", "folders: [pricing]"),
    );
    let step = scene.run_expecting(1, &Trigger::pull_request(), &[]).await;
    assert_eq!(step.outputs["status"], "failed", "{}", step.log);
    // The remap fails before the correlation id is known: the facts leave it out.
    assert!(
        step.summary.contains("- **Job id**: none"),
        "{}",
        step.summary
    );
    assert!(!step.summary.contains("Correlation id"), "{}", step.summary);
    assert!(
        step.lines()
            .any(|line| line == "uat → prod: failed (job none)"),
        "{}",
        step.log
    );
}
