//! The one fake of GitHub's REST API, for the action's tests and the GitHub client's, on 127.0.0.1:0: the
//! pull requests of the merge commit, `GET /user` (refused, as for the workflow's installation token,
//! unless a test gives the token a user), pull request 7's comments, the repository's deployments with
//! their statuses, its issues (from number 100) and their comments, kept in memory so that a later run sees
//! what an earlier one wrote. Every request is recorded in order, with its JSON body and authorization.
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::runner::{MERGE_SHA, PULL, REPOSITORY};

/// The login of the `GITHUB_TOKEN`'s comments.
pub const BOT: &str = "github-actions[bot]";
/// The first id the fake gives a created comment (then one more for each comment it holds).
pub const FIRST_ID: u64 = 1_000;
/// The number the fake gives the first issue.
pub const FIRST_ISSUE: u64 = 100;
/// The first id the fake gives a created deployment.
pub const FIRST_DEPLOYMENT_ID: u64 = 500;
/// When the fake says a deployment was created.
pub const CREATED_AT: &str = "2026-12-01T10:00:00Z";

/// A request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    /// `METHOD /path?query`.
    pub line: String,
    /// The JSON body, if any.
    pub body: Option<Value>,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
}

#[derive(Default)]
struct State {
    comments: Vec<Value>,
    /// Oldest first, each with its `statuses` (oldest first).
    deployments: Vec<Value>,
    /// The repository's issues, each with its `comments` (bodies).
    issues: Vec<Value>,
    /// The login `GET /user` answers; none refuses it.
    user: Option<String>,
    seen: Vec<Seen>,
}

/// The fake GitHub API.
pub struct FakeGitHub {
    pub server: MockServer,
    state: Arc<Mutex<State>>,
}

#[derive(Clone, Copy)]
enum Route {
    MergedPulls,
    User,
    ListComments,
    CreateComment,
    UpdateComment,
    ListDeployments,
    CreateDeployment,
    ListStatuses,
    CreateStatus,
    ListIssues,
    CreateIssue,
    UpdateIssue,
    CommentIssue,
}

/// Answers one route from the shared state, or with a fixed answer, recording the request either way.
struct Responder {
    state: Arc<Mutex<State>>,
    answer: Answer,
}

enum Answer {
    Route(Route),
    Fixed(ResponseTemplate),
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap();
        let query = request
            .url
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        state.seen.push(Seen {
            at: Instant::now(),
            line: format!("{} {}{query}", request.method, request.url.path()),
            body: serde_json::from_slice(&request.body).ok(),
            authorization: request
                .headers
                .get("authorization")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
        });
        match &self.answer {
            Answer::Fixed(template) => template.clone(),
            Answer::Route(route) => answer(&mut state, *route, request),
        }
    }
}

/// A numeric query parameter.
fn query_number(request: &Request, name: &str) -> Option<usize> {
    request
        .url
        .query_pairs()
        .find(|(key, _)| key == name)
        .and_then(|(_, value)| value.parse::<usize>().ok())
}

/// The id in `/repos/{owner}/{repo}/deployments/{id}/statuses`.
fn deployment_id(request: &Request) -> u64 {
    request
        .url
        .path()
        .split('/')
        .nth(5)
        .unwrap()
        .parse()
        .unwrap()
}

/// The page of `items` a request asks for with `per_page` (default 30) and `page` (from 1).
fn page_of<'v>(items: &[&'v Value], request: &Request) -> Vec<&'v Value> {
    let per_page = query_number(request, "per_page").unwrap_or(30);
    let page = query_number(request, "page").unwrap_or(1);
    items
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .copied()
        .collect()
}

fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"}))
}

fn answer(state: &mut State, route: Route, request: &Request) -> ResponseTemplate {
    match route {
        Route::ListDeployments => {
            let wanted = |name: &str, value: &Value| {
                request
                    .url
                    .query_pairs()
                    .find(|(key, _)| key == name)
                    .is_none_or(|(_, wanted)| value.as_str() == Some(wanted.as_ref()))
            };
            let listed: Vec<Value> = state
                .deployments
                .iter()
                .rev()
                .filter(|d| wanted("environment", &d["environment"]) && wanted("task", &d["task"]))
                .take(query_number(request, "per_page").unwrap_or(30))
                .map(|d| {
                    let mut d = d.clone();
                    d.as_object_mut().unwrap().remove("statuses");
                    d
                })
                .collect();
            ResponseTemplate::new(200).set_body_json(listed)
        }
        Route::CreateDeployment => {
            let body: Value = serde_json::from_slice(&request.body).expect("a JSON body");
            let id = FIRST_DEPLOYMENT_ID + state.deployments.len() as u64;
            let deployment = json!({
                "id": id,
                "sha": body["ref"],
                "ref": body["ref"],
                "task": body["task"],
                "payload": body["payload"],
                "environment": body["environment"],
                "description": body["description"],
                "production_environment": body["production_environment"],
                "created_at": CREATED_AT,
                "statuses": [],
            });
            state.deployments.push(deployment.clone());
            ResponseTemplate::new(201).set_body_json(deployment)
        }
        Route::ListStatuses => {
            let id = deployment_id(request);
            match state.deployments.iter().find(|d| d["id"] == id) {
                Some(deployment) => {
                    let statuses: Vec<Value> = deployment["statuses"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .rev()
                        .take(query_number(request, "per_page").unwrap_or(30))
                        .cloned()
                        .collect();
                    ResponseTemplate::new(200).set_body_json(statuses)
                }
                None => not_found(),
            }
        }
        Route::CreateStatus => {
            let id = deployment_id(request);
            let body: Value = serde_json::from_slice(&request.body).expect("a JSON body");
            match state.deployments.iter_mut().find(|d| d["id"] == id) {
                Some(deployment) => {
                    let statuses = deployment["statuses"].as_array_mut().unwrap();
                    let status = json!({
                        "id": statuses.len() + 1,
                        "state": body["state"],
                        "description": body["description"],
                        "log_url": body["log_url"],
                    });
                    statuses.push(status.clone());
                    ResponseTemplate::new(201).set_body_json(status)
                }
                None => not_found(),
            }
        }
        Route::ListIssues => {
            let label = request
                .url
                .query_pairs()
                .find(|(key, _)| key == "labels")
                .map(|(_, label)| Value::from(label.as_ref()));
            let open: Vec<&Value> = state
                .issues
                .iter()
                .filter(|issue| issue["state"] == "open")
                .filter(|issue| {
                    label
                        .as_ref()
                        .is_none_or(|label| issue["labels"].as_array().unwrap().contains(label))
                })
                .collect();
            ResponseTemplate::new(200).set_body_json(page_of(&open, request))
        }
        Route::CreateIssue => {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            let issue = json!({
                "number": FIRST_ISSUE + state.issues.len() as u64,
                "title": body["title"],
                "body": body["body"],
                "labels": body["labels"],
                "state": "open",
                "comments": [],
            });
            state.issues.push(issue.clone());
            ResponseTemplate::new(201).set_body_json(issue)
        }
        Route::UpdateIssue | Route::CommentIssue => {
            let number: u64 = request.url.path().split('/').nth(5).unwrap().parse().unwrap();
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            let Some(issue) = state.issues.iter_mut().find(|i| i["number"] == number) else {
                return not_found();
            };
            if matches!(route, Route::CommentIssue) {
                issue["comments"].as_array_mut().unwrap().push(body["body"].clone());
                return ResponseTemplate::new(201).set_body_json(json!({"id": 1}));
            }
            for (key, value) in body.as_object().unwrap() {
                issue[key] = value.clone();
            }
            ResponseTemplate::new(200).set_body_json(issue.clone())
        }
        Route::MergedPulls => ResponseTemplate::new(200).set_body_json(json!([
            {"number": 5, "state": "open", "merged_at": null, "merge_commit_sha": "5555555555555555555555555555555555555555"},
            {"number": PULL, "state": "closed", "merged_at": "2026-11-28T10:00:00Z", "merge_commit_sha": MERGE_SHA},
        ])),
        Route::User => match &state.user {
            Some(login) => ResponseTemplate::new(200).set_body_json(json!({"login": login})),
            None => ResponseTemplate::new(403)
                .set_body_json(json!({"message": "Resource not accessible by integration"})),
        },
        Route::ListComments => {
            let comments: Vec<&Value> = state.comments.iter().collect();
            ResponseTemplate::new(200).set_body_json(page_of(&comments, request))
        }
        Route::CreateComment => {
            let id = FIRST_ID + state.comments.len() as u64;
            let login = state.user.as_deref().unwrap_or(BOT);
            let comment = comment_json(id, login, &body_text(request));
            state.comments.push(comment.clone());
            ResponseTemplate::new(201).set_body_json(comment)
        }
        Route::UpdateComment => {
            let id: u64 = request.url.path().rsplit('/').next().unwrap().parse().unwrap();
            match state.comments.iter_mut().find(|c| c["id"] == id) {
                Some(comment) => {
                    comment["body"] = json!(body_text(request));
                    ResponseTemplate::new(200).set_body_json(comment.clone())
                }
                None => not_found(),
            }
        }
    }
}

/// GitHub's refusal of a token that lacks a permission (a fork's read-only token, a missing
/// `deployments: write`), with the documentation page of the refused route.
pub fn refused(documentation_url: &str) -> Reply {
    Reply::status(403).json(json!({
        "message": "Resource not accessible by integration",
        "documentation_url": documentation_url,
    }))
}

/// A fixed answer: a status with, optionally, headers and a JSON body.
pub struct Reply(ResponseTemplate);

impl Reply {
    pub fn status(code: u16) -> Reply {
        Reply(ResponseTemplate::new(code))
    }

    pub fn header(self, name: &str, value: &str) -> Reply {
        Reply(self.0.insert_header(name, value))
    }

    pub fn json(self, body: Value) -> Reply {
        Reply(self.0.set_body_json(body))
    }
}

fn body_text(request: &Request) -> String {
    let body: Value = serde_json::from_slice(&request.body).expect("a JSON body");
    body["body"].as_str().expect("a body field").to_string()
}

/// A comment as GitHub returns it.
pub fn comment_json(id: u64, login: &str, body: &str) -> Value {
    json!({
        "id": id,
        "body": body,
        "user": {"login": login, "type": if login == BOT { "Bot" } else { "User" }},
        "html_url": format!("https://github.com/{REPOSITORY}/pull/{PULL}#issuecomment-{id}"),
        "created_at": "2026-11-28T09:00:00Z",
        "updated_at": "2026-11-28T09:00:00Z",
    })
}

impl FakeGitHub {
    /// The fake, with pull request 7 holding `comments` (by others) already.
    pub async fn start(comments: Vec<Value>) -> FakeGitHub {
        let github = FakeGitHub {
            server: MockServer::start().await,
            state: Arc::new(Mutex::new(State {
                comments,
                ..State::default()
            })),
        };
        let repo = format!("/repos/{REPOSITORY}");
        let routes = [
            (
                "GET",
                format!("^{repo}/commits/{MERGE_SHA}/pulls$"),
                Route::MergedPulls,
            ),
            ("GET", "^/user$".to_string(), Route::User),
            (
                "GET",
                format!("^{repo}/issues/{PULL}/comments$"),
                Route::ListComments,
            ),
            (
                "POST",
                format!("^{repo}/issues/{PULL}/comments$"),
                Route::CreateComment,
            ),
            (
                "PATCH",
                format!(r"^{repo}/issues/comments/\d+$"),
                Route::UpdateComment,
            ),
            (
                "GET",
                format!("^{repo}/deployments$"),
                Route::ListDeployments,
            ),
            (
                "POST",
                format!("^{repo}/deployments$"),
                Route::CreateDeployment,
            ),
            (
                "GET",
                format!(r"^{repo}/deployments/\d+/statuses$"),
                Route::ListStatuses,
            ),
            (
                "POST",
                format!(r"^{repo}/deployments/\d+/statuses$"),
                Route::CreateStatus,
            ),
            ("GET", format!("^{repo}/issues$"), Route::ListIssues),
            ("POST", format!("^{repo}/issues$"), Route::CreateIssue),
            ("PATCH", format!(r"^{repo}/issues/\d+$"), Route::UpdateIssue),
            (
                "POST",
                format!(r"^{repo}/issues/\d{{3,}}/comments$"),
                Route::CommentIssue,
            ),
        ];
        for (verb, route, answer) in routes {
            Mock::given(method(verb))
                .and(path_regex(route))
                .respond_with(github.responder(Answer::Route(answer)))
                .mount(&github.server)
                .await;
        }
        github
    }

    fn responder(&self, answer: Answer) -> Responder {
        Responder {
            state: self.state.clone(),
            answer,
        }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// `GET /user` answers `login` from now on (a personal token's user).
    pub fn set_user(&self, login: &str) {
        self.state.lock().unwrap().user = Some(login.to_owned());
    }

    /// The first `times` `verb` requests to `route` get `reply`; later ones reach the fake.
    pub async fn answer_first(&self, times: u64, verb: &str, route: &str, reply: Reply) {
        self.fixed(verb, route, reply)
            .up_to_n_times(times)
            .mount(&self.server)
            .await;
    }

    /// Every `verb` request to `route` gets `reply`.
    pub async fn answer_always(&self, verb: &str, route: &str, reply: Reply) {
        self.fixed(verb, route, reply).mount(&self.server).await;
    }

    /// A fixed answer to `verb` `route`, before the fake's own.
    fn fixed(&self, verb: &str, route: &str, reply: Reply) -> Mock {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(self.responder(Answer::Fixed(reply.0)))
            .with_priority(1)
    }

    /// Every request since the last [`FakeGitHub::take_lines`] or [`FakeGitHub::take_requests`], in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// The request lines seen since the last call, and forgets them.
    pub fn take_lines(&self) -> Vec<String> {
        let seen = std::mem::take(&mut self.state.lock().unwrap().seen);
        seen.into_iter().map(|s| s.line).collect()
    }

    /// The comments of pull request 7 now.
    pub fn comments(&self) -> Vec<Value> {
        self.state.lock().unwrap().comments.clone()
    }

    /// The repository's deployments now, oldest first, each with its `statuses` (oldest first).
    pub fn deployments(&self) -> Vec<Value> {
        self.state.lock().unwrap().deployments.clone()
    }

    /// Adds `count` open issues by others with `label`, as a busy repository has.
    pub fn add_issues(&self, count: usize, label: &str) {
        let mut state = self.state.lock().unwrap();
        for _ in 0..count {
            let number = FIRST_ISSUE + state.issues.len() as u64;
            state.issues.push(json!({
                "number": number,
                "title": format!("issue {number}"),
                "body": "not ours",
                "labels": [label],
                "state": "open",
                "comments": [],
            }));
        }
    }

    /// The repository's issues now, oldest first, each with its `comments` (bodies).
    pub fn issues(&self) -> Vec<Value> {
        self.state.lock().unwrap().issues.clone()
    }

    /// Every request since the last [`FakeGitHub::take_lines`] or [`FakeGitHub::take_requests`] with its
    /// JSON body, in order.
    pub fn requests(&self) -> Vec<(String, Option<Value>)> {
        self.seen().into_iter().map(|s| (s.line, s.body)).collect()
    }

    /// The requests seen since the last call with their JSON bodies, and forgets them.
    pub fn take_requests(&self) -> Vec<(String, Option<Value>)> {
        let seen = std::mem::take(&mut self.state.lock().unwrap().seen);
        seen.into_iter().map(|s| (s.line, s.body)).collect()
    }
}

/// Request lines for the routes of the fake.
pub mod lines {
    use super::{PULL, REPOSITORY};

    pub fn user() -> String {
        "GET /user".to_string()
    }

    pub fn merged_pulls(sha: &str) -> String {
        format!("GET /repos/{REPOSITORY}/commits/{sha}/pulls")
    }

    /// The comments of pull request 7, without the query.
    pub fn comments_path() -> String {
        format!("/repos/{REPOSITORY}/issues/{PULL}/comments")
    }

    /// A comment, without the query.
    pub fn comment_path(id: u64) -> String {
        format!("/repos/{REPOSITORY}/issues/comments/{id}")
    }

    pub fn list(page: usize) -> String {
        format!("GET {}?per_page=100&page={page}", comments_path())
    }

    pub fn create() -> String {
        format!("POST {}", comments_path())
    }

    pub fn update(id: u64) -> String {
        format!("PATCH {}", comment_path(id))
    }

    /// The deployments of the action's task in GitHub environment `environment` (one page of 100).
    pub fn list_deployments(environment: &str) -> String {
        format!(
            "GET /repos/{REPOSITORY}/deployments?environment={environment}&task=deploy%3Aspark-promote&per_page=100"
        )
    }

    pub fn create_deployment() -> String {
        format!("POST /repos/{REPOSITORY}/deployments")
    }

    /// The latest status of deployment `id`.
    pub fn latest_status(id: u64) -> String {
        format!("GET /repos/{REPOSITORY}/deployments/{id}/statuses?per_page=1")
    }

    pub fn create_status(id: u64) -> String {
        format!("POST /repos/{REPOSITORY}/deployments/{id}/statuses")
    }

    /// What an apply of the tests' manifest that imports asks of the deployments routes, when `id` is the
    /// deployment the fake creates: the records of `spark-prod`, the deployment, its two statuses.
    pub fn recorded(id: u64) -> [String; 4] {
        [
            list_deployments("spark-prod"),
            create_deployment(),
            create_status(id),
            create_status(id),
        ]
    }
}
