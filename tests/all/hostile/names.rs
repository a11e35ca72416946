//! Path-like names (`../`, `..%2F`, absolute paths, NUL, very long names) as tenants, folders, services and
//! download tokens in URLs, and as folders and services in packages and import requests: each is refused
//! or kept as plain data, and nothing is written outside the state directory.
use reqwest::StatusCode;
use serde_json::json;

use super::packages::{Package, import};
use super::{assert_nothing_outside, assert_only_sandbox_files, sandbox_in, tree};
use crate::sandbox::{Api, assert_failed_with};
use crate::support::sandbox::catalog;

/// Names as they go into a URL path segment (already percent-encoded where needed).
fn url_names() -> Vec<String> {
    let mut names: Vec<String> = [
        "..",
        "%2E%2E",
        "..%2F..%2Fetc",
        "%2Fetc%2Fpasswd",
        "a%00b",
        "%2F",
        "..%5C..%5Cwin",
        "state.json",
        "blobs",
        "%252E%252E",
    ]
    .map(str::to_owned)
    .into();
    names.push("x".repeat(5_000));
    names
}

#[tokio::test]
async fn path_like_names_in_urls_get_client_errors_or_not_found_answers_and_write_nothing() {
    let root = tempfile::tempdir().unwrap();
    let state = root.path().join("state");
    let running = sandbox_in(&state, 1 << 20).await;
    let api = Api::new(&running);
    let before = tree(&state);
    for name in url_names() {
        let gets = [
            format!("/{name}/api/v4/import/status"),
            format!("/acme-uat/api/v4/import/{name}/status"),
            format!("/acme-uat/api/v3/folders/{name}/services/{name}/exists"),
            format!("/docstore/api/v1/documents/versions/tokens/{name}/package.zip"),
            format!("/api/v1/product/{name}/engines/getversions/{name}"),
        ];
        for path in gets {
            let response = api.get(&path, "tok-acme-uat").await;
            let status = response.status();
            let text = response.text().await.unwrap();
            assert!(
                status.is_success() || status.is_client_error(),
                "{path}: {status} {text}"
            );
            if status.is_success() {
                assert!(!text.contains("\"is_exists\":true"), "{path}: {text}");
            }
        }
        let exported = api
            .export(
                "acme-uat",
                "tok-acme-uat",
                json!({"inputs": {"folders": [name]}}),
            )
            .await;
        assert_eq!(
            exported.status(),
            StatusCode::BAD_REQUEST,
            "export of {name}"
        );
    }
    assert_eq!(tree(&state), before, "no file was written");
    assert_only_sandbox_files(&state);
    assert_nothing_outside(root.path());
}

#[tokio::test]
async fn path_like_names_in_packages_and_requests_are_refused_or_kept_as_data() {
    let root = tempfile::tempdir().unwrap();
    let state = root.path().join("state");
    let running = sandbox_in(&state, 1 << 20).await;
    let api = Api::new(&running);
    let long = "x".repeat(300);
    let refused = [
        ("../../escape", "quote", "contains '/'"),
        ("/abs", "quote", "contains '/'"),
        ("pricing", "a\u{0}b", "contains a control character"),
        ("pricing", long.as_str(), "longer than 255"),
        ("", "quote", "is empty"),
    ];
    for (folder, service, expected) in refused {
        let package = Package::new()
            .entry("v.bin", b"content")
            .service(folder, service, &["v.bin"])
            .finish();
        assert_failed_with(&import(&api, package).await, expected);
    }
    // `..` as a name is data: stored, listed and exported back like any other name.
    let package = Package::new()
        .entry("v.bin", b"content")
        .service("pricing", "..", &["v.bin"])
        .finish();
    let status = import(&api, package).await;
    assert_eq!(status["status"], "completed", "{status}");
    let stored = catalog(&running).await;
    let service = &stored["tenants"]["acme-prod"]["folders"]["pricing"]["services"][".."];
    assert!(service["id"].is_string(), "{stored}");
    let (package, _) = api
        .package_of("acme-prod", json!({"inputs": {"services": ["pricing/.."]}}))
        .await;
    assert!(!package.is_empty());
    for destination in ["pricing/a\u{0}b", "../x/quote", &format!("pricing/{long}")] {
        let entity = json!({"inputs": {"services_modify": [{"service_uri_source": "pricing/quote", "service_uri_destination": destination}]}});
        let response = api
            .import("acme-prod", "tok-acme-prod", b"zip".to_vec(), Some(entity))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{destination:?}"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        let message = body["message"].as_str().unwrap();
        assert!(message.contains("service_uri_destination"), "{message}");
    }
    assert_only_sandbox_files(&state);
    assert_nothing_outside(root.path());
}
