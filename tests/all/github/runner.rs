//! The runner's view of a workflow run: which pull request a push comments on, events without one, a
//! fork's read-only token, and the outputs and summary files.
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use spark_promote::github::comment;
use spark_promote::github::{CommentOutcome, Runner};
use spark_promote::promote::result::PromotionStatus;

use super::{list, not_accessible, post, result, user, with_user};
use crate::action::fake_github::{FIRST_ID, FakeGitHub, lines};
use crate::action::runner::{MERGE_SHA, PULL, REPOSITORY};

/// Captures what the runner prints (workflow commands).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// A runner for `event` with `payload`, talking to `github`, with the token `tok-123`.
fn runner_for(
    github: &FakeGitHub,
    dir: &Path,
    event: &str,
    payload: Value,
    extra: &[(&str, &str)],
) -> (Runner, Captured) {
    let event_path = dir.join("event.json");
    std::fs::write(&event_path, payload.to_string()).unwrap();
    let mut vars: HashMap<String, String> = [
        ("GITHUB_EVENT_NAME", event),
        ("GITHUB_REPOSITORY", REPOSITORY),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_RUN_ID", "4242"),
        ("INPUT_GITHUB-TOKEN", "tok-123"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    vars.insert(
        "GITHUB_EVENT_PATH".to_string(),
        event_path.display().to_string(),
    );
    vars.insert("GITHUB_API_URL".to_string(), github.uri());
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    let captured = Captured::default();
    let runner =
        Runner::from_env(&|name| vars.get(name).cloned(), Box::new(captured.clone())).unwrap();
    (runner, captured)
}

#[tokio::test]
async fn a_push_to_the_default_branch_comments_on_the_pull_request_merged_as_that_commit() {
    // The fake answers that pull request 7 was merged as MERGE_SHA (and lists an open one before it).
    let github = with_user(vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    let payload = json!({ "ref": "refs/heads/main", "after": MERGE_SHA, "repository": { "default_branch": "main" } });
    let (mut runner, captured) = runner_for(&github, dir.path(), "push", payload, &[]);
    let result = result(PromotionStatus::Completed);
    let client = runner.comment_client().unwrap().unwrap();
    let modes = vec![(
        "pricing".to_string(),
        "add_version".to_string(),
        "minor".to_string(),
    )];
    let outcome = runner
        .comment(&client, &result, modes.clone())
        .await
        .unwrap();
    assert!(matches!(outcome, CommentOutcome::Created { id, .. } if id == FIRST_ID));
    let run_for = comment::RunFor {
        commit: Some(MERGE_SHA.to_string()),
        modes,
    };
    let markdown = comment::markdown(
        &result,
        Some("https://github.com/acme/pricing/actions/runs/4242".to_string()),
        &run_for,
    );
    assert!(markdown.ends_with(
        "Run on commit <code>0123456</code> · pricing: <code>services_existing: add\\_version</code>, \
         <code>update_version_type: minor</code>\n"
    ));
    assert!(markdown.contains("[View the run](https://github.com/acme/pricing/actions/runs/4242)"));
    assert_eq!(
        github.take_requests(),
        [
            (lines::merged_pulls(MERGE_SHA), None),
            user(),
            list(1),
            post(&format!(
                "{}\n{markdown}",
                comment::content_line(&comment::content_key(&result, &run_for))
            )),
        ]
    );
    assert_eq!(captured.text(), "::add-mask::tok-123\n");
}

#[tokio::test]
async fn tags_and_schedules_make_no_request_and_never_means_no_client() {
    let github = FakeGitHub::start(vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    let events = [
        (
            "push",
            json!({ "ref": "refs/tags/v1.0.0", "after": MERGE_SHA }),
            "tag v1.0.0 has no pull request",
        ),
        (
            "schedule",
            json!({}),
            "a schedule event has no pull request",
        ),
    ];
    for (event, payload, reason) in events {
        let (mut runner, _) = runner_for(&github, dir.path(), event, payload, &[]);
        let client = runner.comment_client().unwrap().unwrap();
        let outcome = runner
            .comment(&client, &result(PromotionStatus::Completed), Vec::new())
            .await
            .unwrap();
        assert_eq!(
            outcome,
            CommentOutcome::Skipped(reason.to_string()),
            "{event}"
        );
    }
    assert_eq!(github.take_requests(), []);
    let never = json!({ "pull_request": { "number": PULL, "head": { "sha": MERGE_SHA } } });
    let (runner, _) = runner_for(
        &github,
        dir.path(),
        "pull_request",
        never,
        &[("INPUT_COMMENT", "never")],
    );
    assert!(runner.comment_client().unwrap().is_none());
}

#[tokio::test]
async fn a_forks_read_only_token_gets_a_warning_and_the_forbidden_outcome() {
    let github = FakeGitHub::start(vec![]).await;
    github
        .answer_always("POST", &lines::comments_path(), not_accessible())
        .await;
    let dir = tempfile::tempdir().unwrap();
    let payload = json!({ "pull_request": { "number": PULL, "head": { "sha": MERGE_SHA } } });
    let (mut runner, captured) = runner_for(&github, dir.path(), "pull_request", payload, &[]);
    let client = runner.comment_client().unwrap().unwrap();
    let outcome = runner
        .comment(&client, &result(PromotionStatus::Failed), Vec::new())
        .await
        .unwrap();
    assert!(matches!(outcome, CommentOutcome::Forbidden(_)));
    let printed = captured.text();
    assert!(
        printed.starts_with(
            "::add-mask::tok-123\n::warning::cannot write the pull request comment: POST /repos/acme/pricing/issues/7/comments failed with 403 Forbidden"
        ),
        "{printed}"
    );
    assert_eq!(printed.lines().count(), 2);
}

#[tokio::test]
async fn the_runner_appends_outputs_and_the_summary_to_the_runner_files() {
    let github = FakeGitHub::start(vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("output");
    let summary = dir.path().join("summary.md");
    std::fs::write(&output, "earlier<<EOF\nx\nEOF\n").unwrap();
    let extra = [
        ("GITHUB_OUTPUT", output.to_str().unwrap()),
        ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
    ];
    let (runner, _) = runner_for(
        &github,
        dir.path(),
        "push",
        json!({ "ref": "refs/heads/main", "after": MERGE_SHA }),
        &extra,
    );
    let mut two = result(PromotionStatus::Completed);
    let mut second = two.promotions[0].clone();
    second.job_id = Some("job-2".to_string());
    second.export_job_id = Some("export-2".to_string());
    second.correlation_id = "corr-2".to_string();
    two.promotions.push(second);
    runner
        .write_outputs(
            &two,
            Path::new("out/result.json"),
            Path::new("out/summary.md"),
        )
        .unwrap();
    let markdown = runner.summary_markdown(&two);
    runner.write_summary(&markdown).unwrap();

    let text = std::fs::read_to_string(&output).unwrap();
    let mut parsed = HashMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let (name, delimiter) = line.split_once("<<").unwrap();
        let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
        parsed.insert(name.to_string(), value.join("\n"));
    }
    assert_eq!(parsed["earlier"], "x");
    assert_eq!(parsed["status"], "completed");
    // Each promotion's export job (when it had one), then its import job.
    assert_eq!(parsed["job-ids"], "job-1\nexport-2\njob-2");
    assert_eq!(parsed["correlation-ids"], "corr-1\ncorr-2");
    assert_eq!(parsed["result"], "out/result.json");
    assert_eq!(parsed["summary"], "out/summary.md");
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), markdown);
    assert!(markdown.starts_with("## ✅ spark-promote apply: <code>spark-promote.yaml</code>"));
}
