//! The sandbox's test controls for time and deletions: `POST /_sandbox/clock` and
//! `DELETE /_sandbox/tenants/{t}/folders/{f}/services/{s}`, over real HTTP.
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Api, fetch_token};
use crate::support::sandbox::start_demo;

async fn control(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn advance(api: &Api, body: Value) -> (StatusCode, Value) {
    control(api.http.post(api.url("/_sandbox/clock")).json(&body)).await
}

/// Runs an export on acme-uat to its end; returns its id.
async fn export_to_end(api: &Api) -> String {
    let job: Value = api
        .export(
            "acme-uat",
            "tok-acme-uat",
            json!({"inputs": {"folders": ["pricing"]}}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = job["id"].as_str().unwrap().to_string();
    api.wait("acme-uat", "tok-acme-uat", "export", &id).await;
    id
}

/// How many ended exports acme-uat's listing holds.
async fn recent_exports(api: &Api) -> usize {
    let listing: Value = api
        .get("/acme-uat/api/v4/export/status", "tok-acme-uat")
        .await
        .json()
        .await
        .unwrap();
    listing["recent_exports"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_job_that_ended_leaves_the_listing_once_the_clock_passes_its_hour() {
    let running = start_demo().await;
    let api = Api::new(&running);
    let id = export_to_end(&api).await;
    assert_eq!(recent_exports(&api).await, 1);

    let (status, body) = advance(&api, json!({"advance_seconds": 3599})).await;
    assert_eq!(
        (status, &body["advanced_seconds"]),
        (StatusCode::OK, &json!(3599))
    );
    assert_eq!(recent_exports(&api).await, 1, "still within the hour");

    advance(&api, json!({"advance_seconds": 2})).await;
    assert_eq!(recent_exports(&api).await, 0);

    // A job that ends after the move is listed again: job times follow the sandbox's clock.
    export_to_end(&api).await;
    assert_eq!(recent_exports(&api).await, 1);
    // The first job itself is still there to read, as Spark keeps a job's status.
    let status = api
        .get(
            &format!("/acme-uat/api/v4/export/{id}/status"),
            "tok-acme-uat",
        )
        .await;
    assert_eq!(status.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_issued_token_expires_by_the_sandbox_clock() {
    let running = start_demo().await;
    let api = Api::new(&running);
    let token: Value = fetch_token(&running, "acme-uat", "ci-uat", "ci-uat-secret")
        .await
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap();
    let path = "/acme-uat/api/v4/import/status";
    assert_eq!(api.get(path, token).await.status(), StatusCode::OK);
    advance(&api, json!({"advance_seconds": 301})).await;
    let response = api.get(path, token).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.text().await.unwrap().contains("expired"));
}

#[tokio::test]
async fn a_clock_move_that_is_not_a_number_of_seconds_is_refused_with_the_field() {
    let running = start_demo().await;
    let api = Api::new(&running);
    for body in [
        json!({}),
        json!({"advance_seconds": -1}),
        json!({"advance_seconds": "1h"}),
        json!({"advance_seconds": 1e12}),
        json!({"advance_seconds": 1, "rewind": true}),
    ] {
        let (status, error) = advance(&api, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {error}");
        assert!(
            error.to_string().contains("advance_seconds") || error.to_string().contains("rewind"),
            "{body}: {error}"
        );
    }
}

#[tokio::test]
async fn a_removed_service_is_gone_from_every_read_and_a_second_removal_is_404() {
    let running = start_demo().await;
    let api = Api::new(&running);
    let remove = || {
        api.http
            .delete(api.url("/_sandbox/tenants/acme-prod/folders/pricing/services/quote"))
    };
    let (status, removed) = control(remove()).await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_eq!(removed["removed"], "pricing/quote");
    assert_eq!(removed["version_ids"].as_array().unwrap().len(), 1);

    let exists: Value = api
        .get(
            "/acme-prod/api/v3/folders/pricing/services/quote/exists",
            "tok-acme-prod",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(exists["response_data"]["is_exists"], false, "{exists}");
    let versions = api
        .http
        .get(api.url("/api/v1/product/pricing/engines/getversions/quote"))
        .header("x-tenant-name", "acme-prod")
        .bearer_auth("tok-acme-prod")
        .send()
        .await
        .unwrap();
    assert_eq!(versions.status(), StatusCode::NOT_FOUND);

    let (status, error) = control(remove()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("pricing/quote"),
        "{error}"
    );
}
