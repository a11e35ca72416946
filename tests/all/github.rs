//! Integration tests: github. GitHub's REST API is a wiremock server on 127.0.0.1:0; every test asserts
//! the exact requests the action sent (method, path, query, body).
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Value, json};
use spark_promote::github::comment::{self, ACTIONS_BOT, PER_PAGE};
use spark_promote::github::{
    ApiError, Client, CommentOutcome, IfMissing, Marker, PullRequest, RetryPolicy, Runner,
};
use spark_promote::promote::result::{
    Command, PromotionResult, PromotionStatus, RunResult, ServiceResult, ServiceStatus,
};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const USER: &str = "spark-bot";
/// The comments of pull request 7.
const COMMENTS: &str = "/repos/acme/pricing/issues/7/comments";
const SHA: &str = "3f786850e387550fdab836ed7e6dc881de23001b";

/// A GitHub API mock with helpers for the routes the comment uses.
struct GitHub {
    server: MockServer,
}

impl GitHub {
    async fn start() -> GitHub {
        GitHub {
            server: MockServer::start().await,
        }
    }

    /// A client with fast retries (the policy's shape is what production uses).
    fn client(&self) -> Client {
        Client::new(&self.server.uri(), &SecretString::from("tok-123"))
            .unwrap()
            .with_retry(RetryPolicy {
                max_retries: 2,
                base_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(40),
                max_wait: Duration::from_secs(5),
            })
    }

    async fn user(&self, login: &str) {
        Mock::given(method("GET"))
            .and(path("/user"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "login": login })))
            .mount(&self.server)
            .await;
    }

    /// `GET /user` refused, as for an installation token (the workflow's `GITHUB_TOKEN`).
    async fn user_refused(&self) {
        self.responds("GET", "/user", 403, not_accessible()).await;
    }

    /// Serves `pages` of the comments of pull request 7 (page N at `page=N`).
    async fn comments(&self, pages: Vec<Vec<Value>>) {
        for (index, page) in pages.into_iter().enumerate() {
            Mock::given(method("GET"))
                .and(path(COMMENTS))
                .and(query_param("per_page", "100"))
                .and(query_param("page", (index + 1).to_string()))
                .respond_with(ResponseTemplate::new(200).set_body_json(page))
                .mount(&self.server)
                .await;
        }
    }

    async fn creates(&self, id: u64) {
        Mock::given(method("POST"))
            .and(path(COMMENTS))
            .respond_with(
                ResponseTemplate::new(201).set_body_json(comment_json(id, USER, "created")),
            )
            .mount(&self.server)
            .await;
    }

    async fn updates(&self, id: u64) {
        Mock::given(method("PATCH"))
            .and(path(format!("/repos/acme/pricing/issues/comments/{id}")))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(comment_json(id, USER, "updated")),
            )
            .mount(&self.server)
            .await;
    }

    /// An empty pull request whose comment create fails with `status` and `body`.
    async fn create_fails(&self, status: u16, body: Value) {
        self.comments(vec![vec![]]).await;
        self.responds("POST", COMMENTS, status, body).await;
    }

    async fn responds(&self, verb: &str, route: &str, status: u16, body: Value) {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .mount(&self.server)
            .await;
    }

    /// The first `times` `verb` requests to `route` get `response`; later ones fall through to the other mocks.
    async fn fails_first(&self, times: u64, verb: &str, route: &str, response: ResponseTemplate) {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(response)
            .up_to_n_times(times)
            .with_priority(1)
            .mount(&self.server)
            .await;
    }

    /// Every request received, as `METHOD /path?query` and the JSON body (if any).
    async fn requests(&self) -> Vec<(String, Option<Value>)> {
        self.server
            .received_requests()
            .await
            .unwrap()
            .into_iter()
            .map(|request| {
                let query = request
                    .url
                    .query()
                    .map(|q| format!("?{q}"))
                    .unwrap_or_default();
                let body = (!request.body.is_empty())
                    .then(|| serde_json::from_slice(&request.body).unwrap());
                (
                    format!("{} {}{query}", request.method, request.url.path()),
                    body,
                )
            })
            .collect()
    }
}

fn not_accessible() -> Value {
    json!({ "message": "Resource not accessible by integration" })
}

fn comment_json(id: u64, login: &str, body: &str) -> Value {
    json!({
        "id": id,
        "body": body,
        "html_url": format!("https://github.com/acme/pricing/pull/7#issuecomment-{id}"),
        "user": { "login": login, "type": "Bot" },
    })
}

fn others(count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| comment_json(1000 + i as u64, "reviewer", "looks good"))
        .collect()
}

fn pull() -> PullRequest {
    PullRequest {
        owner: "acme".to_string(),
        repo: "pricing".to_string(),
        number: 7,
    }
}

fn marker() -> Marker {
    Marker::new("spark-promote.yaml", &[])
}

fn body(markdown: &str) -> String {
    format!("{}\n{markdown}", marker())
}

fn get(route: &str) -> (String, Option<Value>) {
    (format!("GET {route}"), None)
}

fn list(page: usize) -> (String, Option<Value>) {
    get(&format!(
        "/repos/acme/pricing/issues/7/comments?per_page=100&page={page}"
    ))
}

fn post(markdown: &str) -> (String, Option<Value>) {
    (
        "POST /repos/acme/pricing/issues/7/comments".to_string(),
        Some(json!({ "body": body(markdown) })),
    )
}

fn patch(id: u64, markdown: &str) -> (String, Option<Value>) {
    (
        format!("PATCH /repos/acme/pricing/issues/comments/{id}"),
        Some(json!({ "body": body(markdown) })),
    )
}

/// Upserts `markdown` on pull request 7 with the test marker.
async fn try_upsert(
    github: &GitHub,
    markdown: &str,
    if_missing: IfMissing,
) -> Result<CommentOutcome, ApiError> {
    comment::upsert(&github.client(), &pull(), &marker(), markdown, if_missing).await
}

async fn upsert(github: &GitHub, markdown: &str, if_missing: IfMissing) -> CommentOutcome {
    try_upsert(github, markdown, if_missing).await.unwrap()
}

fn result(status: PromotionStatus) -> RunResult {
    RunResult {
        command: Command::Apply,
        manifest: "spark-promote.yaml".to_string(),
        promotions: vec![PromotionResult {
            name: "pricing".to_string(),
            source: "uat".to_string(),
            target: "prod".to_string(),
            status,
            job_id: Some("job-1".to_string()),
            export_job_id: None,
            correlation_id: "corr-1".to_string(),
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
        }],
    }
}

#[tokio::test]
async fn first_run_creates_the_comment_then_a_new_body_patches_it_then_the_same_body_writes_nothing()
 {
    let github = GitHub::start().await;

    // First run: no comment yet.
    github.user(USER).await;
    github.comments(vec![others(2)]).await;
    github.creates(555).await;
    let outcome = upsert(&github, "plan: 1 updated", IfMissing::Create).await;
    assert_eq!(
        outcome,
        CommentOutcome::Created {
            id: 555,
            url: "https://github.com/acme/pricing/pull/7#issuecomment-555".to_string()
        }
    );
    let first = github.requests().await;
    assert_eq!(first, [get("/user"), list(1), post("plan: 1 updated"),]);
    let stored = first[2].1.as_ref().unwrap()["body"]
        .as_str()
        .unwrap()
        .to_string();

    // Second run (apply on merge): the same marker, another body.
    github.server.reset().await;
    github.user(USER).await;
    let mut page = others(2);
    page.push(comment_json(555, USER, &stored));
    github.comments(vec![page.clone()]).await;
    github.updates(555).await;
    let outcome = upsert(&github, "apply: 1 updated", IfMissing::Create).await;
    assert!(matches!(outcome, CommentOutcome::Updated { id: 555, .. }));
    assert_eq!(
        github.requests().await,
        [get("/user"), list(1), patch(555, "apply: 1 updated"),]
    );

    // Third run: nothing new to say, nothing written.
    github.server.reset().await;
    github.user(USER).await;
    page[2] = comment_json(555, USER, &body("apply: 1 updated"));
    github.comments(vec![page]).await;
    let outcome = upsert(&github, "apply: 1 updated", IfMissing::Create).await;
    assert!(matches!(outcome, CommentOutcome::Unchanged { id: 555, .. }));
    assert_eq!(github.requests().await, [get("/user"), list(1)]);
}

#[tokio::test]
async fn requests_carry_the_token_as_a_bearer() {
    let github = GitHub::start().await;
    github.user(USER).await;
    github.comments(vec![vec![]]).await;
    comment::upsert(&github.client(), &pull(), &marker(), "x", IfMissing::Skip)
        .await
        .unwrap();
    for request in github.server.received_requests().await.unwrap() {
        assert_eq!(
            request.headers.get("authorization").unwrap(),
            "Bearer tok-123"
        );
    }
}

#[tokio::test]
async fn marked_comments_by_other_users_are_ignored() {
    let github = GitHub::start().await;
    github.user(USER).await;
    github
        .comments(vec![vec![
            comment_json(1, "mallory", &body("a copy of our marker")),
            comment_json(2, USER, "an unrelated comment by the same user"),
        ]])
        .await;
    github.creates(3).await;
    let outcome = upsert(&github, "fresh", IfMissing::Create).await;
    assert!(matches!(outcome, CommentOutcome::Created { id: 3, .. }));
    assert_eq!(
        github.requests().await,
        [get("/user"), list(1), post("fresh"),]
    );
}

#[tokio::test]
async fn every_page_is_read_until_a_short_one_before_creating() {
    let github = GitHub::start().await;
    github.user(USER).await;
    github
        .comments(vec![others(PER_PAGE), others(PER_PAGE), others(3)])
        .await;
    github.creates(9).await;
    let outcome = upsert(&github, "x", IfMissing::Create).await;
    assert!(matches!(outcome, CommentOutcome::Created { id: 9, .. }));
    let requests = github.requests().await;
    assert_eq!(requests[..4], [get("/user"), list(1), list(2), list(3)]);
    assert_eq!(requests.len(), 5);
}

#[tokio::test]
async fn the_comment_on_the_second_page_is_updated() {
    let github = GitHub::start().await;
    github.user(USER).await;
    let mut second = others(10);
    second.insert(4, comment_json(77, USER, &body("old")));
    github.comments(vec![others(PER_PAGE), second]).await;
    github.updates(77).await;
    let outcome = upsert(&github, "new", IfMissing::Create).await;
    assert!(matches!(outcome, CommentOutcome::Updated { id: 77, .. }));
    assert_eq!(
        github.requests().await,
        [get("/user"), list(1), list(2), patch(77, "new"),]
    );
}

#[tokio::test]
async fn an_installation_token_refused_get_user_matches_the_actions_bot() {
    let github = GitHub::start().await;
    github.user_refused().await;
    github
        .comments(vec![vec![
            comment_json(1, USER, &body("by a personal token")),
            comment_json(2, ACTIONS_BOT, &body("by the workflow token")),
        ]])
        .await;
    github.updates(2).await;
    let outcome = upsert(&github, "new", IfMissing::Create).await;
    assert!(matches!(outcome, CommentOutcome::Updated { id: 2, .. }));
    let requests = github.requests().await;
    assert_eq!(requests[2].0, "PATCH /repos/acme/pricing/issues/comments/2");
}

#[tokio::test]
async fn a_403_on_create_is_forbidden_and_not_retried() {
    let github = GitHub::start().await;
    github.user(USER).await;
    github.create_fails(403, not_accessible()).await;
    let outcome = upsert(&github, "x", IfMissing::Create).await;
    let CommentOutcome::Forbidden(message) = outcome else {
        panic!("expected Forbidden");
    };
    assert!(
        message.starts_with(
            "cannot write the pull request comment: POST /repos/acme/pricing/issues/7/comments failed with 403 \
             Forbidden: Resource not accessible by integration"
        ),
        "{message}"
    );
    assert_eq!(github.requests().await.len(), 3);
}

#[tokio::test]
async fn a_server_error_on_create_is_an_error_and_never_retried() {
    let github = GitHub::start().await;
    github.user(USER).await;
    github.create_fails(502, json!({})).await;
    let err = try_upsert(&github, "x", IfMissing::Create)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "POST /repos/acme/pricing/issues/7/comments failed with 502 Bad Gateway: no message"
    );
    let posts = github
        .requests()
        .await
        .into_iter()
        .filter(|(r, _)| r.starts_with("POST"))
        .count();
    assert_eq!(posts, 1);
}

#[tokio::test]
async fn server_errors_on_reads_and_updates_are_retried() {
    let github = GitHub::start().await;
    github.user(USER).await;
    github
        .fails_first(2, "GET", COMMENTS, ResponseTemplate::new(503))
        .await;
    github
        .comments(vec![vec![comment_json(5, USER, &body("old"))]])
        .await;
    github
        .fails_first(
            1,
            "PATCH",
            "/repos/acme/pricing/issues/comments/5",
            ResponseTemplate::new(500),
        )
        .await;
    github.updates(5).await;
    let outcome = upsert(&github, "new", IfMissing::Create).await;
    assert!(matches!(outcome, CommentOutcome::Updated { id: 5, .. }));
    let patch = patch(5, "new");
    assert_eq!(
        github.requests().await,
        [
            get("/user"),
            list(1),
            list(1),
            list(1),
            patch.clone(),
            patch
        ]
    );
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_within_the_bound_and_is_not_a_refusal_beyond_it() {
    let github = GitHub::start().await;
    github.user(USER).await;
    github
        .fails_first(
            1,
            "GET",
            COMMENTS,
            ResponseTemplate::new(403)
                .insert_header("retry-after", "1")
                .insert_header("x-ratelimit-remaining", "0")
                .set_body_json(json!({ "message": "API rate limit exceeded" })),
        )
        .await;
    github.comments(vec![vec![]]).await;
    let started = std::time::Instant::now();
    let outcome = upsert(&github, "x", IfMissing::Skip).await;
    assert_eq!(outcome, CommentOutcome::NotCreated);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(github.requests().await, [get("/user"), list(1), list(1)]);

    github.server.reset().await;
    github.user(USER).await;
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .mount(&github.server)
        .await;
    let err = try_upsert(&github, "x", IfMissing::Create)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("failed with 429 Too Many Requests"),
        "{err}"
    );
    assert_eq!(github.requests().await, [get("/user"), list(1)]);
}

#[tokio::test]
async fn a_no_op_run_in_auto_mode_does_not_create_a_comment() {
    let github = GitHub::start().await;
    github.user(USER).await;
    github.comments(vec![others(1)]).await;
    let outcome = upsert(&github, "x", IfMissing::Skip).await;
    assert_eq!(outcome, CommentOutcome::NotCreated);
    assert_eq!(github.requests().await, [get("/user"), list(1)]);
}

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
    github: &GitHub,
    dir: &Path,
    event: &str,
    payload: Value,
    extra: &[(&str, &str)],
) -> (Runner, Captured) {
    let event_path = dir.join("event.json");
    std::fs::write(&event_path, payload.to_string()).unwrap();
    let mut vars: HashMap<String, String> = [
        ("GITHUB_EVENT_NAME", event),
        ("GITHUB_REPOSITORY", "acme/pricing"),
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
    vars.insert("GITHUB_API_URL".to_string(), github.server.uri());
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
    let github = GitHub::start().await;
    let dir = tempfile::tempdir().unwrap();
    let payload = json!({ "ref": "refs/heads/main", "after": SHA, "repository": { "default_branch": "main" } });
    let (mut runner, captured) = runner_for(&github, dir.path(), "push", payload, &[]);
    github
        .responds(
            "GET",
            &format!("/repos/acme/pricing/commits/{SHA}/pulls"),
            200,
            json!([
                { "number": 3, "merged_at": null, "merge_commit_sha": "aaaa" },
                { "number": 7, "merged_at": "2026-11-28T12:00:00Z", "merge_commit_sha": SHA },
            ]),
        )
        .await;
    github.user(USER).await;
    github.comments(vec![vec![]]).await;
    github.creates(11).await;
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
    assert!(matches!(outcome, CommentOutcome::Created { id: 11, .. }));
    let run_for = comment::RunFor {
        commit: Some(SHA.to_string()),
        modes,
    };
    let markdown = comment::markdown(
        &result,
        Some("https://github.com/acme/pricing/actions/runs/4242".to_string()),
        &run_for,
    );
    assert!(markdown.ends_with(
        "Run on commit <code>3f78685</code> · pricing: <code>services_existing: add_version</code>, \
         <code>update_version_type: minor</code>\n"
    ));
    assert!(markdown.contains("[View the run](https://github.com/acme/pricing/actions/runs/4242)"));
    assert_eq!(
        github.requests().await,
        [
            get(&format!("/repos/acme/pricing/commits/{SHA}/pulls")),
            get("/user"),
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
    let github = GitHub::start().await;
    let dir = tempfile::tempdir().unwrap();
    let events = [
        (
            "push",
            json!({ "ref": "refs/tags/v1.0.0", "after": SHA }),
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
    assert_eq!(github.requests().await, []);
    let never = json!({ "pull_request": { "number": 7, "head": { "sha": SHA } } });
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
    let github = GitHub::start().await;
    let dir = tempfile::tempdir().unwrap();
    let payload = json!({ "pull_request": { "number": 7, "head": { "sha": SHA } } });
    let (mut runner, captured) = runner_for(&github, dir.path(), "pull_request", payload, &[]);
    github.user_refused().await;
    github.create_fails(403, not_accessible()).await;
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
    let github = GitHub::start().await;
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
        json!({ "ref": "refs/heads/main", "after": SHA }),
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
