//! A sandbox on 127.0.0.1:0 with the demo seed, a work directory, and the real binary run against them.
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use spark_promote::sandbox::{self, Compat, Running};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::bin::Bin;
pub use super::bin::Output;

/// Every secret of the demo seed that tests hand to the binary; none may appear in any output.
pub const SECRETS: &[(&str, &str)] = &[
    ("SPARK_UAT_CLIENT_ID", "ci-uat"),
    ("SPARK_UAT_CLIENT_SECRET", "ci-uat-secret"),
    ("SPARK_PROD_TOKEN", "tok-acme-prod"),
    ("SPARK_PROD_API_KEY", "key-acme-prod"),
];

/// The manifest head every test uses: uat by client credentials, prod by bearer token, and prod again by
/// API key (`prodkey`).
pub const ENVIRONMENTS: &str = r#"version: 1
environments:
  uat:
    url: {{URL}}/acme-uat
    auth:
      oauth2: { client_id: "${SPARK_UAT_CLIENT_ID}", client_secret: "${SPARK_UAT_CLIENT_SECRET}" }
  prod:
    url: {{URL}}/acme-prod
    auth: { bearer: "${SPARK_PROD_TOKEN}" }
  prodkey:
    url: {{URL}}/acme-prod
    auth: { api_key: "${SPARK_PROD_API_KEY}" }
"#;

/// A sandbox and a work directory for one test.
pub struct Lab {
    pub sandbox: Running,
    pub dir: tempfile::TempDir,
    http: reqwest::Client,
}

/// Both answer shapes of the sandbox: the end-to-end scenarios run against each.
pub const COMPATS: [Compat; 2] = [Compat::Rich, Compat::Spec];

/// Runs a scenario against each answer shape of the sandbox, one after the other, saying which on stderr
/// (shown when it fails).
#[allow(
    clippy::print_stderr,
    reason = "names the shape of a failing scenario in the test's output"
)]
pub async fn each_compat<F, Fut>(scenario: F)
where
    F: Fn(Compat) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for compat in COMPATS {
        eprintln!("sandbox --compat {compat:?}");
        scenario(compat).await;
    }
}

impl Lab {
    /// The demo seed with jobs of `job_duration`.
    pub async fn start(job_duration: Duration) -> Lab {
        Lab::start_compat(job_duration, Compat::Rich).await
    }

    /// The demo seed with jobs of `job_duration`, answering in the `compat` shapes.
    pub async fn start_compat(job_duration: Duration, compat: Compat) -> Lab {
        Lab::start_config(sandbox::Config {
            job_duration,
            compat,
            ..sandbox::Config::default()
        })
        .await
    }

    /// The demo seed with a given config, listening on a free port of 127.0.0.1.
    pub async fn start_config(config: sandbox::Config) -> Lab {
        let seed = match &config.seed {
            Some(path) => sandbox::Seed::load(path).expect("the test's seed loads"),
            None => sandbox::Seed::demo(),
        };
        Lab::start_seeded(config, seed).await
    }

    /// A sandbox with `seed` and a given config, listening on a free port of 127.0.0.1.
    pub async fn start_seeded(config: sandbox::Config, seed: sandbox::Seed) -> Lab {
        let sandbox = sandbox::start_with_seed(
            sandbox::Config {
                listen: ([127, 0, 0, 1], 0).into(),
                ..config
            },
            seed,
        )
        .await
        .expect("sandbox starts");
        Lab::around(sandbox)
    }

    /// A sandbox seeded from YAML (instead of the demo's tenants), with jobs of `job_duration`.
    pub async fn start_seed(job_duration: Duration, yaml: &str) -> Lab {
        let sandbox = sandbox::start_with_seed(
            sandbox::Config {
                listen: ([127, 0, 0, 1], 0).into(),
                job_duration,
                ..sandbox::Config::default()
            },
            sandbox::Seed::from_yaml(yaml).expect("a valid test seed"),
        )
        .await
        .expect("sandbox starts");
        Lab::around(sandbox)
    }

    /// A running sandbox and a new work directory.
    fn around(sandbox: Running) -> Lab {
        Lab {
            sandbox,
            dir: tempfile::tempdir().unwrap(),
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.sandbox.addr())
    }

    /// Writes `spark-promote.yaml` (ENVIRONMENTS followed by `promotions`) and returns its path.
    pub fn manifest(&self, promotions: &str) -> PathBuf {
        self.write("spark-promote.yaml", &format!("{ENVIRONMENTS}{promotions}"))
    }

    /// Writes a file in the work directory, with `{{URL}}` replaced by the sandbox's URL.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text.replace("{{URL}}", &self.url())).unwrap();
        path
    }

    /// Runs the binary in the work directory with the secrets in its environment.
    pub async fn cli(&self, args: &[&str]) -> Output {
        self.cli_with(args, &[]).await
    }

    pub async fn cli_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let child = self.command(args, env).spawn().expect("binary runs");
        child.wait_with_output().await.unwrap().into()
    }

    /// The binary as a command, not yet started (for tests that signal it).
    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> tokio::process::Command {
        Bin::new(args)
            .dir(self.dir.path())
            .own_logs()
            .envs(SECRETS.iter().copied())
            .envs(env.iter().copied())
            .piped()
    }

    /// Every job the sandbox ever created.
    pub async fn jobs(&self) -> Vec<Value> {
        self.get(&format!("{}/_sandbox/jobs", self.url()))
            .await
            .as_array()
            .cloned()
            .unwrap()
    }

    /// The jobs of one kind (`import` or `export`).
    pub async fn jobs_of(&self, object: &str) -> Vec<Value> {
        self.jobs()
            .await
            .into_iter()
            .filter(|job| job["object"] == object)
            .collect()
    }

    pub async fn get(&self, url: &str) -> Value {
        json_of(self.http.get(url)).await
    }

    /// GETs an API path of the sandbox (`/acme-prod/api/v4/...`) with a bearer token, as JSON.
    pub async fn api_get(&self, path: &str, token: &str) -> Value {
        json_of(
            self.http
                .get(format!("{}{path}", self.url()))
                .bearer_auth(token),
        )
        .await
    }

    /// Arms a fault (see the sandbox's faults module for the body).
    pub async fn fault(&self, body: Value) {
        let response = self
            .http
            .post(format!("{}/_sandbox/faults", self.url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "fault refused: {}",
            response.text().await.unwrap()
        );
    }

    /// Moves the sandbox's clock forward (`POST /_sandbox/clock`): its job listings then forget jobs that
    /// ended over an hour before, as Spark's do.
    pub async fn advance_clock(&self, seconds: u64) {
        self.admin(
            self.http
                .post(format!("{}/_sandbox/clock", self.url()))
                .json(&serde_json::json!({ "advance_seconds": seconds })),
        )
        .await;
    }

    /// Removes a service with its versions (`DELETE /_sandbox/tenants/..`), as someone deleting it in Spark.
    pub async fn remove_service(&self, tenant: &str, uri: &str) {
        let (folder, service) = uri.split_once('/').expect("folder/service");
        self.admin(self.http.delete(format!(
            "{}/_sandbox/tenants/{tenant}/folders/{folder}/services/{service}",
            self.url()
        )))
        .await;
    }

    /// A service's versions in the sandbox's state, as `version=id`, oldest first (empty when absent).
    pub async fn versions_of(&self, tenant: &str, uri: &str) -> Vec<String> {
        let (folder, service) = uri.split_once('/').expect("folder/service");
        let state = self.get(&format!("{}/_sandbox/state", self.url())).await;
        state["tenants"][tenant]["folders"][folder]["services"][service]["versions"]
            .as_array()
            .map(|versions| {
                versions
                    .iter()
                    .map(|v| {
                        format!(
                            "{}={}",
                            v["version"].as_str().unwrap(),
                            v["id"].as_str().unwrap()
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    async fn admin(&self, request: reqwest::RequestBuilder) {
        let response = request.send().await.unwrap();
        assert!(
            response.status().is_success(),
            "sandbox control refused: {}",
            response.text().await.unwrap()
        );
    }

    /// Starts someone else's export on acme-prod (it occupies the tenant's slot); returns its job id.
    pub async fn occupy_prod(&self) -> String {
        let job: Value = self
            .http
            .post(format!("{}/acme-prod/api/v4/export", self.url()))
            .bearer_auth("tok-acme-prod")
            .json(&serde_json::json!({"inputs": {"folders": ["pricing"]}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        job["id"].as_str().expect("an export job id").to_string()
    }

    /// Exports `args` from acme-uat with the binary into `name` (and `name.json`), returning its path.
    pub async fn export_package(&self, name: &str, args: &[&str]) -> PathBuf {
        let mut all = vec!["export", "--env", "uat", "-o", name];
        all.extend_from_slice(args);
        self.manifest("promotions: []\n");
        let output = self.cli(&all).await;
        assert_eq!(output.code, 0, "export failed: {output:?}");
        self.dir.path().join(name)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Starts the binary and reads its stderr as it comes, so a test can act when a phase begins.
    pub fn spawn(&self, args: &[&str], env: &[(&str, &str)]) -> Spawned {
        let mut child = self.command(args, env).spawn().expect("binary runs");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let sink = stderr.clone();
        let reader = tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let mut text = sink.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        Spawned {
            child,
            stderr,
            reader,
        }
    }

    /// Runs `spark-promote action` as GitHub's runner would on a `workflow_dispatch` event (no pull request,
    /// no comment), with the runner's files in the work directory; `env` adds or overrides variables
    /// (`INPUT_*`, `GITHUB_EVENT_NAME`, ...).
    pub async fn action(&self, env: &[(&str, &str)]) -> ActionRun {
        let mut all = self.runner_env();
        all.extend(
            env.iter()
                .map(|(name, value)| (name.to_string(), value.to_string())),
        );
        let all: Vec<(&str, &str)> = all.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let output = self.cli_with(&["action"], &all).await;
        self.action_run(output)
    }

    /// What an action run in the work directory printed (`output`) and wrote.
    pub fn action_run(&self, output: Output) -> ActionRun {
        let optional = |name: &str| std::fs::read_to_string(self.path(name)).unwrap_or_default();
        ActionRun {
            outputs: read(&self.path("github_output")),
            summary: read(&self.path("github_step_summary")),
            result: optional(".spark-promote/spark-promote/result.json"),
            summary_file: optional(".spark-promote/spark-promote/summary.md"),
            output,
        }
    }
}

impl Lab {
    /// The variables GitHub's runner gives the action on a `workflow_dispatch` event, with the runner's
    /// files (created empty) in the work directory.
    pub fn runner_env(&self) -> Vec<(String, String)> {
        let file = |name: &str, text: &str| self.write(name, text).display().to_string();
        let vars = [
            ("GITHUB_EVENT_NAME", "workflow_dispatch".to_string()),
            ("GITHUB_EVENT_PATH", file("event.json", "{}")),
            ("GITHUB_REPOSITORY", "acme/pricing".to_string()),
            ("GITHUB_SERVER_URL", "https://github.com".to_string()),
            // Nothing listens there: no test of this kind may reach GitHub.
            ("GITHUB_API_URL", "http://127.0.0.1:9".to_string()),
            ("GITHUB_RUN_ID", "4242".to_string()),
            ("GITHUB_WORKSPACE", self.dir.path().display().to_string()),
            ("GITHUB_OUTPUT", file("github_output", "")),
            ("GITHUB_STEP_SUMMARY", file("github_step_summary", "")),
            ("INPUT_GITHUB-TOKEN", GITHUB_TOKEN.to_string()),
            ("INPUT_MANIFEST", "spark-promote.yaml".to_string()),
            ("INPUT_COMMENT", "never".to_string()),
        ];
        vars.into_iter()
            .map(|(name, value)| (name.to_string(), value))
            .collect()
    }
}

/// The GitHub token the action gets in tests; like the Spark secrets, it may appear nowhere.
pub const GITHUB_TOKEN: &str = "ghs_reliability_token";

/// Panics if any secret value (or the GitHub token) appears in `text`.
pub fn assert_no_secret_in(what: &str, text: &str) {
    for (name, value) in SECRETS
        .iter()
        .chain([("INPUT_GITHUB-TOKEN", GITHUB_TOKEN)].iter())
    {
        assert!(!text.contains(value), "{name} leaked to {what}:\n{text}");
    }
}

/// A run of the binary that is still going (see [`Lab::spawn`]).
pub struct Spawned {
    child: tokio::process::Child,
    stderr: Arc<Mutex<String>>,
    reader: tokio::task::JoinHandle<()>,
}

impl Spawned {
    /// Waits until stderr has a line with every one of `markers` (the run reached a phase).
    pub async fn wait_for_stderr(&self, markers: &[&str], within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let reached = self
                .stderr
                .lock()
                .unwrap()
                .lines()
                .any(|line| markers.iter().all(|marker| line.contains(marker)));
            if reached {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no stderr line with {markers:?} within {within:?}:\n{}",
                self.stderr.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Whether the process has ended (it is not reaped: [`Spawned::finish`] still reads its output).
    pub fn ended(&mut self) -> bool {
        self.child
            .try_wait()
            .expect("the process can be polled")
            .is_some()
    }

    /// Sends a signal (`INT`, `TERM`, `KILL`) to the process.
    pub fn signal(&self, name: &str) {
        let pid = self.child.id().expect("still running").to_string();
        let status = std::process::Command::new("kill")
            .args(["-s", name, &pid])
            .status()
            .unwrap();
        assert!(status.success(), "kill -s {name} {pid}");
    }

    /// Waits for the process to end; the second value is how long that took.
    pub async fn finish(self) -> (Output, Duration) {
        let started = Instant::now();
        let output = self.child.wait_with_output().await.unwrap();
        let took = started.elapsed();
        self.reader.await.unwrap();
        let stderr = self.stderr.lock().unwrap().clone();
        (
            Output {
                stderr,
                ..output.into()
            },
            took,
        )
    }
}

/// What `spark-promote action` printed and wrote.
#[derive(Debug)]
pub struct ActionRun {
    pub output: Output,
    /// `$GITHUB_OUTPUT`.
    pub outputs: String,
    /// `$GITHUB_STEP_SUMMARY`.
    pub summary: String,
    /// The result JSON and summary files (empty when not written).
    pub result: String,
    pub summary_file: String,
}

impl ActionRun {
    /// Panics if a secret appears anywhere the action wrote, `::add-mask::` lines excepted.
    pub fn assert_no_secret(&self) {
        let stdout: Vec<&str> = self
            .output
            .stdout
            .lines()
            .filter(|line| !line.starts_with("::add-mask::"))
            .collect();
        assert_no_secret_in("stdout", &stdout.join("\n"));
        assert_no_secret_in("stderr", &self.output.stderr);
        assert_no_secret_in("the outputs", &self.outputs);
        assert_no_secret_in("the step summary", &self.summary);
        assert_no_secret_in("the result JSON", &self.result);
        assert_no_secret_in("the summary file", &self.summary_file);
    }
}

/// Reads a file as text.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// Sends a request and reads its answer as JSON.
async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}
