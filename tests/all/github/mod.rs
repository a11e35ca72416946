//! The GitHub client against the one fake GitHub (`action/fake_github.rs`) on 127.0.0.1:0: the pull request
//! comment, its refusals and retries, and the runner's view of the workflow; every test asserts the exact
//! requests (method, path, query, body).
mod comment;
mod retries;
mod runner;

use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Value, json};
use spark_promote::github::{
    ApiError, Client, CommentOutcome, IfMissing, Marker, PullRequest, RetryPolicy,
};
use spark_promote::promote::result::{
    PromotionResult, PromotionStatus, RunKind, RunResult, ServiceResult, ServiceStatus,
};

use crate::action::fake_github::{FakeGitHub, Reply, comment_json, lines};
use crate::action::runner::{PULL, REPOSITORY};

/// The login of the token's user when `GET /user` answers.
const USER: &str = "spark-bot";

/// A client of `github` with fast retries (the policy's shape is what production uses).
fn client(github: &FakeGitHub) -> Client {
    Client::new(&github.uri(), &SecretString::from("tok-123"))
        .unwrap()
        .with_retry(RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
            max_wait: Duration::from_secs(5),
        })
}

/// The fake with pull request 7 holding `comments`, and the token's user `USER`.
async fn with_user(comments: Vec<Value>) -> FakeGitHub {
    let github = FakeGitHub::start(comments).await;
    github.set_user(USER);
    github
}

/// GitHub's refusal of a token that may not write (a fork's read-only token).
fn not_accessible() -> Reply {
    Reply::status(403).json(json!({ "message": "Resource not accessible by integration" }))
}

/// `count` comments by a reviewer.
fn others(count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| comment_json(1000 + i as u64, "reviewer", "looks good"))
        .collect()
}

fn pull() -> PullRequest {
    let (owner, repo) = REPOSITORY.split_once('/').unwrap();
    PullRequest {
        owner: owner.to_string(),
        repo: repo.to_string(),
        number: PULL,
    }
}

fn marker() -> Marker {
    Marker::new("spark-promote.yaml", &[])
}

fn body(markdown: &str) -> String {
    format!("{}\n{markdown}", marker())
}

fn get(line: String) -> (String, Option<Value>) {
    (line, None)
}

fn list(page: usize) -> (String, Option<Value>) {
    get(lines::list(page))
}

fn user() -> (String, Option<Value>) {
    get(lines::user())
}

fn post(markdown: &str) -> (String, Option<Value>) {
    (lines::create(), Some(json!({ "body": body(markdown) })))
}

fn patch(id: u64, markdown: &str) -> (String, Option<Value>) {
    (lines::update(id), Some(json!({ "body": body(markdown) })))
}

/// Upserts `markdown` on pull request 7 with the test marker.
async fn try_upsert(
    github: &FakeGitHub,
    markdown: &str,
    if_missing: IfMissing,
) -> Result<CommentOutcome, ApiError> {
    spark_promote::github::comment::upsert(
        &client(github),
        &pull(),
        &marker(),
        markdown,
        if_missing,
    )
    .await
}

async fn upsert(github: &FakeGitHub, markdown: &str, if_missing: IfMissing) -> CommentOutcome {
    try_upsert(github, markdown, if_missing).await.unwrap()
}

fn result(status: PromotionStatus) -> RunResult {
    RunResult {
        command: RunKind::Apply,
        manifest: "spark-promote.yaml".to_string(),
        promotions: vec![PromotionResult {
            name: "pricing".to_string(),
            source: "uat".to_string(),
            target: "prod".to_string(),
            status,
            job_id: Some("job-1".to_string()),
            export_job_id: None,
            correlation_id: "corr-1".to_string(),
            skip: None,
            backup: None,
            services: vec![ServiceResult {
                source: "pricing/quote".to_string(),
                destination: "pricing/quote".to_string(),
                status: ServiceStatus::Updated,
                current_version: None,
                next_version: None,
                detail: None,
                service_id_destination: None,
            }],
            service_versions: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            duration_ms: 1500,
            verification: None,
            undoes: None,
        }],
    }
}
