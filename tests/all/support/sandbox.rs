//! Starts a sandbox on 127.0.0.1:0 for a test, and reads its admin routes.
use std::time::Duration;

use serde_json::Value;
use spark_promote::sandbox::{self, Config, Running, Seed};

/// The job duration tests use: long enough to observe states, short enough to keep tests fast.
pub const JOB_DURATION: Duration = Duration::from_millis(200);

/// A config for tests: a free port on loopback and short jobs.
pub fn config() -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        job_duration: JOB_DURATION,
        ..Config::default()
    }
}

/// A sandbox with the demo's tenants (`acme-uat`, `acme-prod`).
pub async fn start_demo() -> Running {
    start(config(), Seed::demo()).await
}

/// A sandbox with the demo's tenants answering in the given shapes.
pub async fn start_demo_in(compat: sandbox::Compat) -> Running {
    start(Config { compat, ..config() }, Seed::demo()).await
}

/// A sandbox seeded from YAML.
pub async fn start_seed(yaml: &str) -> Running {
    start(config(), Seed::from_yaml(yaml).expect("a valid test seed")).await
}

/// A sandbox with a given config and seed.
pub async fn start(config: Config, seed: Seed) -> Running {
    sandbox::start_with_seed(config, seed)
        .await
        .expect("the sandbox starts")
}

/// The sandbox's root URL (`http://127.0.0.1:PORT`).
pub fn root(running: &Running) -> String {
    format!("http://{}", running.addr())
}

/// `GET /_sandbox/jobs`: every job the sandbox has created.
pub async fn jobs(running: &Running) -> Vec<Value> {
    admin_get(running, "jobs")
        .await
        .as_array()
        .cloned()
        .expect("a JSON array of jobs")
}

/// `GET /_sandbox/stats`: API calls per route and tenant since the last reset.
pub async fn stats(running: &Running) -> Value {
    admin_get(running, "stats").await
}

/// Calls to a named route (all tenants) counted by `GET /_sandbox/stats`.
pub async fn calls(running: &Running, route: &str) -> u64 {
    stats(running).await["requests"]
        .as_array()
        .expect("a list of counters")
        .iter()
        .filter(|r| r["route"] == route)
        .map(|r| r["count"].as_u64().unwrap())
        .sum()
}

/// `GET /_sandbox/state`: every tenant's folders, services and versions.
pub async fn catalog(running: &Running) -> Value {
    admin_get(running, "state").await
}

async fn admin_get(running: &Running, what: &str) -> Value {
    reqwest::get(format!("{}/_sandbox/{what}", root(running)))
        .await
        .and_then(|r| r.error_for_status())
        .expect("the admin route answers")
        .json()
        .await
        .expect("JSON")
}

/// `POST /_sandbox/faults` with a fault description.
pub async fn arm_fault(running: &Running, fault: Value) {
    reqwest::Client::new()
        .post(format!("{}/_sandbox/faults", root(running)))
        .json(&fault)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .expect("the fault is armed");
}
