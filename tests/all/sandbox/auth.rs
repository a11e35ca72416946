//! Authentication: bearer tokens, API keys, client-credentials tokens, and the JSON errors of refused calls.
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use spark_promote::sandbox::{Config, Seed};

use super::{Api, fetch_token};
use crate::support::sandbox::{self as sb, root, start, start_demo};

#[tokio::test]
async fn bearer_token_of_the_tenant_is_accepted() {
    let running = start_demo().await;
    let response = Api::new(&running)
        .get("/acme-uat/api/v4/import/status", "tok-acme-uat")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn api_key_with_tenant_header_is_accepted() {
    let running = start_demo().await;
    let response = reqwest::Client::new()
        .get(format!("{}/acme-uat/api/v4/export/status", root(&running)))
        .header("x-synthetic-key", "key-acme-uat")
        .header("x-tenant-name", "acme-uat")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn client_credentials_token_is_issued_and_accepted() {
    let running = start_demo().await;
    let response = fetch_token(&running, "acme-prod", "ci-prod", "ci-prod-secret").await;
    assert_eq!(response.status(), StatusCode::OK);
    let token: Value = response.json().await.unwrap();
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 300);
    assert!(token["refresh_expires_in"].is_number() && token["scope"].is_string());
    let access = token["access_token"].as_str().unwrap();
    let response = Api::new(&running)
        .get("/acme-prod/api/v4/import/status", access)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn wrong_client_secret_gets_401_from_the_token_endpoint() {
    let running = start_demo().await;
    let response = fetch_token(&running, "acme-prod", "ci-prod", "nope").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn expired_token_gets_401() {
    let config = Config {
        token_lifetime: Duration::from_millis(100),
        ..sb::config()
    };
    let running = start(config, Seed::demo()).await;
    let token: Value = fetch_token(&running, "acme-uat", "ci-uat", "ci-uat-secret")
        .await
        .json()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let response = Api::new(&running)
        .get(
            "/acme-uat/api/v4/import/status",
            token["access_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.text().await.unwrap().contains("expired"));
}

#[tokio::test]
async fn token_of_one_tenant_used_on_another_gets_403_with_a_json_error() {
    let running = start_demo().await;
    let response = Api::new(&running)
        .get("/acme-prod/api/v4/import/status", "tok-acme-uat")
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("acme-uat"),
        "{body}"
    );
}

#[tokio::test]
async fn missing_or_unknown_credentials_get_401_with_a_json_error() {
    let running = start_demo().await;
    let url = format!("{}/acme-uat/api/v4/import/status", root(&running));
    let client = reqwest::Client::new();
    for request in [
        client.get(&url),
        client.get(&url).bearer_auth("None"),
        client
            .get(&url)
            .header("x-synthetic-key", "wrong")
            .header("x-tenant-name", "acme-uat"),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], 401);
    }
}

#[tokio::test]
async fn every_request_gets_an_x_request_id_and_a_given_one_is_echoed() {
    let running = start_demo().await;
    let url = format!("{}/acme-uat/api/v4/import/status", root(&running));
    let response = reqwest::Client::new()
        .get(&url)
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "abc-123");
    let response = reqwest::get(&url).await.unwrap();
    assert!(!response.headers()["x-request-id"].is_empty());
}
