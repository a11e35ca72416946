//! The action as GitHub's runner runs it: INPUT_* and GITHUB_* variables, the event payload and file
//! commands, against a sandbox and a GitHub API mock that records every request.
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::cli::{Output, SECRETS, World, read};

const PUSH_SHA: &str = "0123456789abcdef0123456789abcdef01234567";

const UAT_TO_PROD: &str = r#"promotions:
  - name: pricing
    from: { environment: uat, services: [pricing/quote], version_filter: all }
    to: prod
    services_existing: add_version
"#;

/// The runner's files for one step.
struct Step {
    output: PathBuf,
    summary: PathBuf,
}

async fn run_action(
    world: &World,
    github: &MockServer,
    event: &str,
    payload: Value,
    inputs: &[(&str, &str)],
) -> (Output, Step) {
    let step = Step {
        output: world.path("github_output"),
        summary: world.path("github_step_summary"),
    };
    std::fs::write(&step.output, "").unwrap();
    std::fs::write(&step.summary, "").unwrap();
    let event_path = world.write("event.json", &payload.to_string());
    let workspace = world.dir.path().display().to_string();
    let mut env: Vec<(String, String)> = vec![
        ("GITHUB_EVENT_NAME".into(), event.into()),
        ("GITHUB_EVENT_PATH".into(), event_path.display().to_string()),
        ("GITHUB_REPOSITORY".into(), "acme/pricing".into()),
        ("GITHUB_SERVER_URL".into(), "https://github.com".into()),
        ("GITHUB_API_URL".into(), github.uri()),
        ("GITHUB_RUN_ID".into(), "4242".into()),
        ("GITHUB_WORKSPACE".into(), workspace),
        ("GITHUB_OUTPUT".into(), step.output.display().to_string()),
        (
            "GITHUB_STEP_SUMMARY".into(),
            step.summary.display().to_string(),
        ),
        ("INPUT_GITHUB-TOKEN".into(), "ghs_test_token".into()),
        ("INPUT_MANIFEST".into(), "spark-promote.yaml".into()),
        ("INPUT_COMMENT".into(), "auto".into()),
    ];
    env.extend(
        inputs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string())),
    );
    let env: Vec<(&str, &str)> = env
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    (world.cli_with(&["action"], &env).await, step)
}

fn outputs(step: &Step) -> BTreeMap<String, String> {
    let text = read(&step.output);
    let mut outputs = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let value: Vec<&str> = lines
                .by_ref()
                .take_while(|line| *line != delimiter)
                .collect();
            outputs.insert(name.to_string(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            outputs.insert(name.to_string(), value.to_string());
        }
    }
    outputs
}

/// Masks announce each secret once (`::add-mask::`); nowhere else may a secret appear.
fn assert_secrets_only_masked(output: &Output, step: &Step) {
    let stdout: String = output
        .stdout
        .lines()
        .filter(|line| !line.starts_with("::add-mask::"))
        .collect::<Vec<_>>()
        .join("\n");
    for (name, value) in SECRETS.iter().chain([("token", "ghs_test_token")].iter()) {
        assert!(!stdout.contains(value), "{name} in stdout");
        assert!(!output.stderr.contains(value), "{name} in stderr");
        assert!(!read(&step.output).contains(value), "{name} in outputs");
        assert!(
            !read(&step.summary).contains(value),
            "{name} in the summary"
        );
    }
}

async fn github_with_merged_pull() -> MockServer {
    let github = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/acme/pricing/commits/{PUSH_SHA}/pulls")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"number": 7, "merge_commit_sha": PUSH_SHA, "state": "closed", "merged_at": "2026-11-28T10:00:00Z"}
        ])))
        .mount(&github)
        .await;
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"message": "Resource not accessible by integration"})),
        )
        .mount(&github)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/pricing/issues/7/comments"))
        .and(query_param("per_page", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&github)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/pricing/issues/7/comments"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": 99, "html_url": "https://github.com/acme/pricing/pull/7#issuecomment-99",
            "body": "", "user": {"login": "github-actions[bot]"}
        })))
        .expect(1)
        .mount(&github)
        .await;
    github
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_on_a_push_to_main_writes_outputs_summary_and_comments_on_the_merged_pull_request() {
    let world = World::start(Duration::from_millis(300)).await;
    world.manifest(UAT_TO_PROD);
    let github = github_with_merged_pull().await;
    let payload = json!({"ref": "refs/heads/main", "after": PUSH_SHA, "repository": {"default_branch": "main"}});
    let (output, step) = run_action(&world, &github, "push", payload, &[]).await;
    assert_eq!(output.code, 0, "{output:?}");
    assert_secrets_only_masked(&output, &step);
    for (_, secret) in SECRETS {
        assert!(
            output.stdout.contains(&format!("::add-mask::{secret}")),
            "{secret} not masked"
        );
    }
    let outputs = outputs(&step);
    assert_eq!(outputs["status"], "completed", "{outputs:?}");
    let imports = world.jobs_of("import").await;
    assert_eq!(outputs["job-ids"], imports[0]["id"].as_str().unwrap());
    assert!(outputs["correlation-ids"].starts_with("sp1-"));
    assert_eq!(outputs["result"], ".spark-promote/result.json");
    let result: Value = serde_json::from_str(&read(&world.path(&outputs["result"]))).unwrap();
    assert_eq!(result["promotions"][0]["status"], "completed");
    let summary = read(&step.summary);
    assert!(
        summary.contains("spark-promote apply") && summary.contains("pricing/quote"),
        "{summary}"
    );
    assert!(
        output.stdout.contains("::group::pricing: completed"),
        "{}",
        output.stdout
    );
    let requests = github.received_requests().await.unwrap();
    let posted: Vec<_> = requests
        .iter()
        .filter(|request| request.method.as_str() == "POST")
        .collect();
    assert_eq!(posted.len(), 1);
    let body: Value = serde_json::from_slice(&posted[0].body).unwrap();
    assert!(
        body["body"]
            .as_str()
            .unwrap()
            .starts_with("<!-- spark-promote:"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_manifest_is_annotated_at_its_line_and_exits_2_without_any_call() {
    let world = World::start(Duration::from_millis(300)).await;
    world.manifest("promotions:\n  - name: x\n    from: { environment: uat, services: [a/b] }\n    to: nowhere\n");
    let github = MockServer::start().await;
    let (output, step) = run_action(
        &world,
        &github,
        "pull_request",
        json!({"number": 3, "pull_request": {"number": 3, "head": {"sha": PUSH_SHA}}}),
        &[],
    )
    .await;
    assert_eq!(output.code, 2, "{output:?}");
    assert!(
        output.stdout.contains(
            "::error file=spark-promote.yaml,line=16,col=9,title=spark-promote manifest::"
        ),
        "{}",
        output.stdout
    );
    assert_eq!(outputs(&step)["status"], "invalid");
    assert!(world.jobs().await.is_empty());
    assert!(github.received_requests().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_is_the_default_on_pull_requests_and_changes_nothing() {
    let world = World::start(Duration::from_millis(300)).await;
    world.manifest(UAT_TO_PROD);
    let github = MockServer::start().await;
    let payload = json!({"number": 3, "pull_request": {"number": 3, "head": {"sha": PUSH_SHA}}});
    let (output, step) = run_action(
        &world,
        &github,
        "pull_request",
        payload,
        &[("INPUT_COMMENT", "never")],
    )
    .await;
    assert_eq!(output.code, 0, "{output:?}");
    assert_eq!(outputs(&step)["status"], "planned");
    assert!(world.jobs_of("import").await.is_empty());
    assert!(read(&step.summary).contains("spark-promote plan"));
}
