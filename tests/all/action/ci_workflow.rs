//! The CI workflow's `uses: ./` job: its manifest sends the sandbox's tokens over plain http to the docker
//! bridge gateway, which only the workflow's own `allowed-hosts: http://HOST` permits.
use std::path::Path;

use serde_json::Value;

use crate::support::bin::{Bin, Output};

/// The repository's file at `path`.
fn repository_file(path: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The `action` job of ci.yml.
fn action_job() -> Value {
    let workflow: Value =
        serde_saphyr::from_str(&repository_file(".github/workflows/ci.yml")).unwrap();
    workflow["jobs"]["action"].clone()
}

/// `allowed-hosts` of every `uses: ./` step, with `${{ env.NAME }}` filled from the job's env.
fn allowed_hosts(job: &Value) -> Vec<String> {
    let steps = job["steps"].as_array().unwrap();
    let local: Vec<&Value> = steps.iter().filter(|step| step["uses"] == "./").collect();
    assert!(!local.is_empty(), "no `uses: ./` step");
    local
        .iter()
        .map(|step| {
            let mut value = step["with"]["allowed-hosts"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            for (name, env) in job["env"].as_object().unwrap() {
                value = value.replace(&format!("${{{{ env.{name} }}}}"), env.as_str().unwrap());
            }
            value
        })
        .collect()
}

/// `spark-promote validate` of the CI manifest with the job's env and `allow`.
fn validate(job: &Value, allow: &[&str]) -> Output {
    let mut command = Bin::new(["validate", "-m", "examples/ci/spark-promote.yaml"])
        .dir(env!("CARGO_MANIFEST_DIR"));
    for host in allow {
        command = command.args(["--allow-host", host]);
    }
    let env = job["env"].as_object().unwrap();
    command
        .envs(
            env.iter()
                .map(|(name, value)| (name, value.as_str().unwrap())),
        )
        .output()
}

#[test]
fn the_ci_manifest_is_valid_only_with_the_workflows_plain_http_allowance() {
    let job = action_job();
    let hosts = allowed_hosts(&job);
    let sandbox = job["env"]["SANDBOX_HOST"].as_str().unwrap();
    for allowed in &hosts {
        assert_eq!(
            allowed,
            &format!("http://{sandbox}"),
            "a step allows more than the sandbox"
        );
    }
    let with = validate(&job, &[hosts[0].as_str()]);
    assert!(with.code == 0, "{}", with.stderr);

    let without = validate(&job, &[]);
    assert_eq!(without.code, 2);
    let stderr = &without.stderr;
    assert!(
        stderr.contains(&format!("plain http to {sandbox}")),
        "{stderr}"
    );
    // An https allowance for the same host does not open plain http.
    assert_eq!(validate(&job, &[sandbox]).code, 2);
}
