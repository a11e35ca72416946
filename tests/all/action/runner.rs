//! One step of a workflow job, as the runner prepares it for a docker action: the `INPUT_*` variables
//! (upper-cased names, hyphens kept), the `GITHUB_*` variables, the event payload and the file-command
//! files under the runner's temp directory, the workspace as the working directory. Stdout and stderr go
//! to one log, in order, as the runner reads them for workflow commands.
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;

use serde_json::{Value, json};

use super::fake_github::FakeGitHub;
use crate::support::cli::{Lab, read};

/// The repository the workflow runs in.
pub const REPOSITORY: &str = "acme/pricing";
/// The pull request's head commit.
pub const HEAD_SHA: &str = "1111111111111111111111111111111111111111";
/// The merge commit pushed to main when pull request 7 was merged.
pub const MERGE_SHA: &str = "0123456789abcdef0123456789abcdef01234567";
/// The pull request the tests comment on.
pub const PULL: u64 = 7;
/// The step's `${{ github.token }}`.
pub const GITHUB_TOKEN: &str = "ghs_0123456789abcdefTOKEN";

/// The promotions of the tests' manifest: uat's pricing/quote into prod.
pub const UAT_TO_PROD: &str = r#"promotions:
  - name: pricing
    from: { environment: uat, services: [pricing/quote], version_filter: all }
    to: prod
    services_existing: add_version
"#;

/// What triggered the workflow: `GITHUB_EVENT_NAME`, the payload, `GITHUB_REF` and `GITHUB_SHA`.
pub struct Trigger {
    pub name: &'static str,
    pub payload: Value,
    pub git_ref: String,
    pub sha: &'static str,
    /// `GITHUB_RUN_ID`: a new workflow run gets a new one.
    pub run_id: u64,
}

impl Trigger {
    /// A `pull_request` event (`synchronize`) for pull request 7.
    pub fn pull_request() -> Trigger {
        Trigger {
            name: "pull_request",
            payload: json!({
                "action": "synchronize",
                "number": PULL,
                "pull_request": {
                    "number": PULL,
                    "state": "open",
                    "head": {"ref": "promote-pricing", "sha": HEAD_SHA},
                    "base": {"ref": "main"},
                },
                "repository": {"full_name": REPOSITORY, "default_branch": "main"},
            }),
            git_ref: format!("refs/pull/{PULL}/merge"),
            sha: HEAD_SHA,
            run_id: 4242,
        }
    }

    /// A `pull_request` event for pull request 7 opened from a fork (GitHub gives its run no secrets).
    pub fn fork_pull_request() -> Trigger {
        let mut trigger = Trigger::pull_request();
        trigger.payload["pull_request"]["head"]["repo"] = json!({"full_name": "mallory/pricing"});
        trigger.payload["pull_request"]["base"]["repo"] = json!({"full_name": REPOSITORY});
        trigger
    }

    /// The `push` to main of pull request 7's merge commit.
    pub fn push_after_merge() -> Trigger {
        Trigger {
            name: "push",
            payload: json!({
                "ref": "refs/heads/main",
                "before": HEAD_SHA,
                "after": MERGE_SHA,
                "created": false,
                "deleted": false,
                "head_commit": {"id": MERGE_SHA, "message": "Merge pull request #7 from acme/promote-pricing"},
                "repository": {"full_name": REPOSITORY, "default_branch": "main"},
            }),
            git_ref: "refs/heads/main".to_string(),
            sha: MERGE_SHA,
            run_id: 4300,
        }
    }

    /// The `push` of tag `v1.4.0` on the merge commit.
    pub fn tag() -> Trigger {
        Trigger {
            name: "push",
            payload: json!({
                "ref": "refs/tags/v1.4.0",
                "before": "0000000000000000000000000000000000000000",
                "after": MERGE_SHA,
                "base_ref": "refs/heads/main",
                "created": true,
                "deleted": false,
                "repository": {"full_name": REPOSITORY, "default_branch": "main"},
            }),
            git_ref: "refs/tags/v1.4.0".to_string(),
            sha: MERGE_SHA,
            run_id: 4400,
        }
    }

    /// A `schedule` run on main.
    pub fn schedule() -> Trigger {
        Trigger {
            name: "schedule",
            payload: json!({"schedule": "0 3 * * *", "workflow": ".github/workflows/sync.yml"}),
            git_ref: "refs/heads/main".to_string(),
            sha: MERGE_SHA,
            run_id: 4500,
        }
    }
}

/// Jobs short enough for fast tests.
pub const JOB: std::time::Duration = std::time::Duration::from_millis(200);

/// A sandbox with the [`UAT_TO_PROD`] manifest in its workspace and a fake GitHub API.
pub struct Scene {
    pub lab: Lab,
    pub github: FakeGitHub,
}

impl Scene {
    pub async fn start() -> Scene {
        Scene::with_comments(Vec::new()).await
    }

    /// As [`Scene::start`], with pull request 7 holding `comments` already.
    pub async fn with_comments(comments: Vec<Value>) -> Scene {
        let lab = Lab::start(JOB).await;
        lab.manifest(UAT_TO_PROD);
        Scene {
            lab,
            github: FakeGitHub::start(comments).await,
        }
    }

    /// Runs the step for `trigger` with `inputs`.
    pub async fn run(&self, trigger: &Trigger, inputs: &[(&str, &str)]) -> Step {
        run_step(&self.lab, &self.github.uri(), trigger, inputs).await
    }

    /// Runs the step and checks that it exited with `code`.
    pub async fn run_expecting(
        &self,
        code: i32,
        trigger: &Trigger,
        inputs: &[(&str, &str)],
    ) -> Step {
        let step = self.run(trigger, inputs).await;
        assert_eq!(step.code, code, "{}", step.log);
        step
    }
}

/// What one step left: its exit code, the log (stdout and stderr interleaved), the file commands.
#[derive(Debug)]
pub struct Step {
    pub code: i32,
    pub log: String,
    pub outputs: BTreeMap<String, String>,
    pub summary: String,
    /// The raw `$GITHUB_OUTPUT` file.
    pub output_file: String,
}

impl Step {
    /// The log's lines as the runner splits them.
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.log.split(['\n', '\r'])
    }
}

/// Writes the manifest with `promotions` and runs the action for `trigger` with the step's `inputs`
/// (besides `github-token`, `manifest` and `comment: auto`), against `github_api`.
pub async fn run_step(
    lab: &Lab,
    github_api: &str,
    trigger: &Trigger,
    inputs: &[(&str, &str)],
) -> Step {
    let temp = tempfile::tempdir().unwrap();
    let file_commands = temp.path().join("_runner_file_commands");
    let workflow = temp.path().join("_github_workflow");
    std::fs::create_dir_all(&file_commands).unwrap();
    std::fs::create_dir_all(&workflow).unwrap();
    let output = file_commands.join("set_output_0d3f");
    let summary = file_commands.join("step_summary_0d3f");
    std::fs::write(&output, "").unwrap();
    std::fs::write(&summary, "").unwrap();
    let event = workflow.join("event.json");
    std::fs::write(&event, trigger.payload.to_string()).unwrap();
    let log_path = temp.path().join("log");
    let env = step_env(
        lab,
        github_api,
        trigger,
        &event,
        &output,
        &summary,
        temp.path(),
    );
    let mut env: Vec<(&str, &str)> = env.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    env.extend_from_slice(inputs);

    let mut command = lab.command(&["action"], &env);
    for (name, _) in std::env::vars() {
        let inherited_from_a_runner = ["GITHUB_", "INPUT_", "RUNNER_"]
            .iter()
            .any(|prefix| name.starts_with(prefix));
        if inherited_from_a_runner && !env.iter().any(|(set, _)| *set == name) {
            command.env_remove(&name);
        }
    }
    let log = std::fs::File::create(&log_path).unwrap();
    command
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log));
    let status = command.status().await.expect("the binary runs");
    Step {
        code: status.code().unwrap_or(-1),
        log: read(&log_path),
        outputs: parse_outputs(&read(&output)),
        summary: read(&summary),
        output_file: read(&output),
    }
}

/// The variables the runner sets for a docker action's step (those the action may read).
fn step_env(
    lab: &Lab,
    github_api: &str,
    trigger: &Trigger,
    event: &Path,
    output: &Path,
    summary: &Path,
    temp: &Path,
) -> Vec<(String, String)> {
    let path = |p: &Path| p.display().to_string();
    let ref_name = trigger.git_ref.rsplit('/').next().unwrap_or_default();
    [
        ("CI", "true".to_string()),
        ("GITHUB_ACTIONS", "true".to_string()),
        ("GITHUB_EVENT_NAME", trigger.name.to_string()),
        ("GITHUB_EVENT_PATH", path(event)),
        ("GITHUB_REF", trigger.git_ref.clone()),
        ("GITHUB_REF_NAME", ref_name.to_string()),
        ("GITHUB_SHA", trigger.sha.to_string()),
        ("GITHUB_REPOSITORY", REPOSITORY.to_string()),
        ("GITHUB_REPOSITORY_OWNER", "acme".to_string()),
        ("GITHUB_SERVER_URL", "https://github.com".to_string()),
        ("GITHUB_API_URL", github_api.to_string()),
        ("GITHUB_RUN_ID", trigger.run_id.to_string()),
        ("GITHUB_RUN_ATTEMPT", "1".to_string()),
        ("GITHUB_ACTOR", "octocat".to_string()),
        ("GITHUB_WORKFLOW", "promote".to_string()),
        ("GITHUB_WORKSPACE", path(lab.dir.path())),
        ("GITHUB_OUTPUT", path(output)),
        ("GITHUB_STEP_SUMMARY", path(summary)),
        ("RUNNER_TEMP", path(temp)),
        ("INPUT_GITHUB-TOKEN", GITHUB_TOKEN.to_string()),
        ("INPUT_MANIFEST", "spark-promote.yaml".to_string()),
        ("INPUT_COMMAND", String::new()),
        ("INPUT_PROMOTIONS", String::new()),
        ("INPUT_COMMENT", "auto".to_string()),
        ("INPUT_WAIT-TIMEOUT", "30m".to_string()),
        ("INPUT_ALLOWED-HOSTS", String::new()),
        // action.yml's default.
        (
            "INPUT_DEPLOYMENT-ENVIRONMENT",
            "spark-{environment}".to_string(),
        ),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value))
    .collect()
}

/// Parses `$GITHUB_OUTPUT`: `name=value` lines and `name<<DELIMITER` blocks.
pub fn parse_outputs(text: &str) -> BTreeMap<String, String> {
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

/// The job summary (or a comment) with what differs between runs replaced: ids, durations, ports, times.
pub fn assert_summary_snapshot(name: &str, summary: &str) {
    insta::with_settings!({
        filters => vec![
            (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[uuid]"),
            (r"sp1-[0-9a-f]+", "[correlation-id]"),
            (r"(\*\*Duration\*\*: )[^\n]+", "$1[duration]"),
            (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
            (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[time]"),
            (r"spark-promote-content:[0-9a-f]{16}", "spark-promote-content:[key]"),
        ],
    }, {
        insta::assert_snapshot!(name, summary);
    });
}
