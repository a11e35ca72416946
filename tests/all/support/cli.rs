//! A sandbox on 127.0.0.1:0 with the demo seed, a work directory, and the real binary run against them.
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use spark_promote::sandbox::{self, Running};

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

/// What a run of the binary printed and returned.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|err| {
            panic!(
                "stdout is not JSON ({err}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Panics if any secret value appears in stdout or stderr.
    pub fn assert_no_secret(&self) {
        for (name, value) in SECRETS {
            assert!(
                !self.stdout.contains(value),
                "{name} leaked to stdout:\n{}",
                self.stdout
            );
            assert!(
                !self.stderr.contains(value),
                "{name} leaked to stderr:\n{}",
                self.stderr
            );
        }
    }
}

/// A sandbox and a work directory for one test.
pub struct World {
    pub sandbox: Running,
    pub dir: tempfile::TempDir,
    http: reqwest::Client,
}

impl World {
    /// The demo seed with jobs of `job_duration`.
    pub async fn start(job_duration: Duration) -> World {
        let sandbox = sandbox::start(sandbox::Config {
            listen: ([127, 0, 0, 1], 0).into(),
            job_duration,
            ..sandbox::Config::default()
        })
        .await
        .expect("sandbox starts");
        World {
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
        let output = child.wait_with_output().await.unwrap();
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// The binary as a command, not yet started (for tests that signal it).
    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_spark-promote"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("RUST_LOG")
            .envs(SECRETS.iter().copied())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
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
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
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
}

/// Reads a file as text.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}
