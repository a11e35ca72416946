//! Armed faults: status answers with Retry-After, stalls, dropped connections and failed jobs.
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use super::{Api, fetch_token, some_package};
use crate::support::sandbox::{arm_fault, catalog, root, start_demo};

#[tokio::test]
async fn status_fault_answers_the_next_n_calls_with_retry_after_then_clears() {
    let running = start_demo().await;
    let api = Api::new(&running);
    arm_fault(
        &running,
        json!({"route": "imports", "count": 2, "status": 503, "retry_after": 2}),
    )
    .await;
    for _ in 0..2 {
        let response = api
            .get("/acme-uat/api/v4/import/status", "tok-acme-uat")
            .await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()["retry-after"], "2");
        assert_eq!(response.headers()["x-retry-after"], "2");
    }
    assert_eq!(
        api.status_of("/acme-uat/api/v4/import/status", "tok-acme-uat")
            .await,
        StatusCode::OK
    );
    arm_fault(
        &running,
        json!({"route": "*", "method": "GET", "count": 5, "status": 429}),
    )
    .await;
    reqwest::Client::new()
        .delete(format!("{}/_sandbox/faults", root(&running)))
        .send()
        .await
        .unwrap();
    assert_eq!(
        api.status_of("/acme-uat/api/v4/import/status", "tok-acme-uat")
            .await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn stall_fault_delays_the_response() {
    let running = start_demo().await;
    arm_fault(&running, json!({"route": "token", "stall_ms": 300})).await;
    let started = Instant::now();
    let response = fetch_token(&running, "acme-uat", "ci-uat", "ci-uat-secret").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn drop_fault_closes_the_connection_without_a_response() {
    let running = start_demo().await;
    let api = Api::new(&running);
    arm_fault(&running, json!({"route": "exports", "drop": true})).await;
    let error = api
        .http
        .get(api.url("/acme-uat/api/v4/export/status"))
        .bearer_auth("tok-acme-uat")
        .send()
        .await
        .unwrap_err();
    assert!(
        error.is_request() || error.is_connect() || error.is_body(),
        "{error:?}"
    );
    assert_eq!(
        api.status_of("/acme-uat/api/v4/export/status", "tok-acme-uat")
            .await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn fail_next_job_fails_the_next_job_with_the_message_and_changes_nothing() {
    let running = start_demo().await;
    let api = Api::new(&running);
    let package = some_package(&api).await;
    let before = catalog(&running).await;
    arm_fault(&running, json!({"fail_next_job": "disk on fire"})).await;
    let status = api
        .import_and_wait(
            "acme-prod",
            "tok-acme-prod",
            package,
            Some(json!({"services_existing": "replace"})),
        )
        .await;
    assert_eq!(status["status"], "failed");
    assert_eq!(status["errors"][0]["message"], "disk on fire");
    assert_eq!(catalog(&running).await, before);
}
