//! The sandbox over real HTTP on 127.0.0.1:0, one file per topic; shared helpers live here.
mod admin;
mod api;
mod auth;
mod controls;
mod execute;
mod execute_client;
mod export;
mod faults;
mod import_rules;
mod job_rules;
#[cfg(target_os = "linux")]
mod memory;
mod reads;
mod spec;

use reqwest::StatusCode;
use serde_json::{Value, json};
use spark_promote::sandbox::{Config, Running, Seed};

pub use self::api::Api;
use crate::support::sandbox::{self as sb, catalog, root, start};

/// Asserts that a job failed and that its first error says `text`.
pub fn assert_failed_with(status: &Value, text: &str) {
    assert_eq!(status["status"], "failed", "{status}");
    let message = status["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains(text), "{status}");
}

/// Two tenants, `src` (token tok-src) and `dst` (token tok-dst), with the given folders in YAML flow style.
fn two_tenants(src_folders: &str, dst_folders: &str) -> String {
    format!(
        "tenants:\n  - name: src\n    bearer_tokens: [tok-src]\n    folders: {src_folders}\n  - name: dst\n    bearer_tokens: [tok-dst]\n    folders: {dst_folders}\n"
    )
}

const QUOTE_1_0_AND_1_1: &str =
    r#"[{ name: pricing, services: [{ name: quote, versions: ["1.0.0", "1.1.0"] }] }]"#;

/// `(version, id)` of a service's versions in the sandbox's state.
async fn versions(
    running: &Running,
    tenant: &str,
    folder: &str,
    service: &str,
) -> Vec<(String, String)> {
    let catalog = catalog(running).await;
    let service = &catalog["tenants"][tenant]["folders"][folder]["services"][service];
    service["versions"]
        .as_array()
        .map(|vs| {
            vs.iter()
                .map(|v| {
                    (
                        v["version"].as_str().unwrap().to_owned(),
                        v["id"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The string `key` of each row.
fn column(rows: &Value, key: &str) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r[key].as_str().unwrap().to_owned())
        .collect()
}

/// Asks the token endpoint of `tenant` for a client-credentials token.
pub async fn fetch_token(
    running: &Running,
    tenant: &str,
    id: &str,
    secret: &str,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!(
            "{}/auth/realms/{tenant}/protocol/openid-connect/token",
            root(running)
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap()
}

/// A package of acme-uat's pricing/quote (its latest version).
pub async fn some_package(api: &Api) -> Vec<u8> {
    api.package_of(
        "acme-uat",
        json!({"inputs": {"services": ["pricing/quote"]}}),
    )
    .await
    .0
}

/// Starts an export of acme-uat's pricing folder; returns the created job.
async fn export_pricing(api: &Api) -> Value {
    let body = json!({"inputs": {"folders": ["pricing"]}});
    api.export_job("acme-uat", "tok-acme-uat", body).await
}

/// A demo sandbox accepting packages of at most `bytes`.
async fn demo_with_upload_limit(bytes: u64) -> Running {
    let config = Config {
        max_upload_bytes: bytes,
        ..sb::config()
    };
    start(config, Seed::demo()).await
}

/// Asserts a 400 and returns its message.
async fn bad_request(response: reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    body["message"].as_str().unwrap().to_owned()
}
