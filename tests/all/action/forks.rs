//! A pull request from a fork: GitHub gives its `pull_request` run no secrets (they read as empty), so
//! only what runs without them runs, and the check stays green unless the manifest is invalid.
use super::fake_github::lines;
use super::runner::{Scene, Step, Trigger, UAT_TO_PROD, assert_summary_snapshot};
use crate::support::cli::SECRETS;

/// Runs the step as a fork's pull request: every secret empty.
async fn run_from_fork(scene: &Scene, code: i32) -> Step {
    let empty: Vec<(&str, &str)> = SECRETS.iter().map(|(name, _)| (*name, "")).collect();
    scene
        .run_expecting(code, &Trigger::fork_pull_request(), &empty)
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fork_pull_request_validates_without_secrets_passes_and_says_why_the_plan_did_not_run() {
    let scene = Scene::start().await;
    let step = run_from_fork(&scene, 0).await;
    assert_eq!(step.outputs["status"], "valid", "{}", step.log);
    assert!(!step.log.contains("::error"), "{}", step.log);
    assert_summary_snapshot("fork_summary", &step.summary);
    assert!(scene.lab.jobs().await.is_empty(), "Spark was called");
    assert_eq!(
        scene.github.take_lines(),
        [lines::user(), lines::list(1), lines::create()]
    );
    let comment = scene.github.comments()[0]["body"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(comment.ends_with(&step.summary), "{comment}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fork_pull_request_with_an_invalid_manifest_fails_the_check() {
    let scene = Scene::start().await;
    scene
        .lab
        .manifest(&UAT_TO_PROD.replace("to: prod", "to: nowhere"));
    let step = run_from_fork(&scene, 2).await;
    assert_eq!(step.outputs["status"], "invalid");
    assert!(
        step.lines()
            .any(|line| line.starts_with("::error file=spark-promote.yaml")),
        "{}",
        step.log
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fork_pull_request_with_a_stale_lock_fails_as_locked() {
    let scene = Scene::start().await;
    let lab = &scene.lab;
    let locked = lab.cli(&["lock"]).await;
    assert_eq!(locked.code, 0, "{}", locked.stderr);
    let jobs_of_the_lock = lab.jobs().await.len();
    let fine = run_from_fork(&scene, 0).await;
    assert!(
        fine.summary
            .contains("the lock file `spark-promote.lock` covers them"),
        "{}",
        fine.summary
    );

    lab.manifest(&UAT_TO_PROD.replace("add_version", "replace"));
    let stale = run_from_fork(&scene, 2).await;
    assert_eq!(stale.outputs["status"], "invalid");
    let error = stale
        .lines()
        .find(|line| line.starts_with("::error::--locked:"))
        .unwrap_or_else(|| panic!("no annotation: {}", stale.log));
    assert!(error.contains("is stale for promotion pricing"), "{error}");
    assert_eq!(lab.jobs().await.len(), jobs_of_the_lock, "Spark was called");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fork_pull_request_selecting_an_unknown_promotion_is_refused_as_an_invalid_manifest() {
    let scene = Scene::start().await;
    let mut env: Vec<(&str, &str)> = SECRETS.iter().map(|(name, _)| (*name, "")).collect();
    env.push(("INPUT_PROMOTIONS", "pricng"));
    let step = scene
        .run_expecting(2, &Trigger::fork_pull_request(), &env)
        .await;
    assert_eq!(step.outputs["status"], "invalid", "{}", step.log);
    assert!(
        step.lines()
            .any(|line| line.starts_with("::error file=spark-promote.yaml")
                && line.contains("unknown promotion `pricng`, expected one of: pricing")),
        "{}",
        step.log
    );
    assert!(
        step.summary.contains("spark-promote: invalid manifest"),
        "{}",
        step.summary
    );
    assert!(scene.lab.jobs().await.is_empty(), "Spark was called");
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_rollback_and_drift_on_a_fork_pull_request_are_refused_as_such_before_the_manifest_is_read()
 {
    let scene = Scene::start().await;
    for command in ["apply", "rollback", "drift"] {
        let mut env: Vec<(&str, &str)> = SECRETS.iter().map(|(name, _)| (*name, "")).collect();
        env.push(("INPUT_COMMAND", command));
        env.push(("INPUT_BACKUP", "backup.zip"));
        env.push(("INPUT_ENVIRONMENT", "prod"));
        let step = scene
            .run_expecting(2, &Trigger::fork_pull_request(), &env)
            .await;
        assert_eq!(step.outputs["status"], "invalid", "{}", step.log);
        let expected = format!(
            "::error::`command: {command}` does not run on a pull request from a fork: GitHub gives such a run no secrets."
        );
        assert!(step.log.contains(&expected), "{command}: {}", step.log);
        assert!(
            !step.log.contains("SPARK_") && !step.log.contains("file=spark-promote.yaml"),
            "no missing secret, no manifest annotation: {}",
            step.log
        );
        assert!(step.summary.contains("not on a fork's pull request"));
        assert!(scene.lab.jobs().await.is_empty(), "Spark was called");
        assert!(
            scene.github.take_lines().is_empty(),
            "{command}: GitHub was called (the comment is left alone)"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forks_refused_comment_warns_without_suggesting_a_permission_that_cannot_help() {
    let scene = Scene::start().await;
    let create = format!(
        "/repos/{}/issues/{}/comments",
        super::runner::REPOSITORY,
        super::runner::PULL
    );
    scene
        .github
        .answer_first(
            1,
            "POST",
            &create,
            super::fake_github::refused(
                "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
            ),
        )
        .await;
    let step = run_from_fork(&scene, 0).await;
    let warning = step
        .lines()
        .find(|line| line.starts_with("::warning::cannot write the pull request comment"))
        .unwrap_or_else(|| panic!("no warning in {}", step.log));
    assert!(
        warning.contains("a pull request from a fork gets a read-only token"),
        "{warning}"
    );
    assert!(!warning.contains("pull-requests: write"), "{warning}");
}
