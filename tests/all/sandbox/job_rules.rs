//! Job rules: one job per tenant, upload limits, request validation, the job lifecycle and cancellation.
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use spark_promote::sandbox::{Config, Seed};

use super::{
    Api, QUOTE_1_0_AND_1_1, assert_failed_with, bad_request, demo_with_upload_limit,
    export_pricing, some_package, two_tenants,
};
use crate::support::sandbox::{self as sb, catalog, jobs, start, start_demo, start_seed};

#[tokio::test]
async fn second_job_in_a_tenant_gets_409_naming_the_running_job() {
    let running = start_demo().await;
    let api = Api::new(&running);
    let package = some_package(&api).await;
    let first: Value = api
        .import("acme-prod", "tok-acme-prod", package.clone(), None)
        .await
        .json()
        .await
        .unwrap();
    let second = api
        .export(
            "acme-prod",
            "tok-acme-prod",
            json!({"inputs": {"folders": ["pricing"]}}),
        )
        .await;
    assert_eq!(second.status(), StatusCode::CONFLICT);
    let body: Value = second.json().await.unwrap();
    assert_eq!(body["running_job"]["id"], first["id"]);
    assert_eq!(body["running_job"]["created_by"], "user@acme-prod");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains(first["id"].as_str().unwrap())
    );
    let third = api
        .import("acme-prod", "tok-acme-prod", package, None)
        .await;
    assert_eq!(third.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn missing_destination_folder_fails_the_job_naming_it() {
    let running = start_demo().await;
    let api = Api::new(&running);
    let package = some_package(&api).await;
    let entity = json!({"inputs": {"services_modify": [{"service_uri_source": "pricing/quote", "service_uri_destination": "nowhere/quote"}]}});
    let status = api
        .import_and_wait("acme-prod", "tok-acme-prod", package, Some(entity))
        .await;
    assert_failed_with(&status, "'nowhere'");
}

#[tokio::test]
async fn upload_over_the_limit_gets_413_by_content_length_and_while_streaming() {
    let running = demo_with_upload_limit(10_000).await;
    let api = Api::new(&running);
    let big = api
        .import("acme-prod", "tok-acme-prod", vec![0u8; 2 << 20], None)
        .await;
    assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Within the Content-Length slack, but the file part alone is over the limit.
    let over = api
        .import("acme-prod", "tok-acme-prod", vec![0u8; 20_000], None)
        .await;
    assert_eq!(over.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = over.json().await.unwrap();
    assert_eq!(body["limit_bytes"], 10_000);
    // Streamed without Content-Length.
    let stream =
        futures_util::stream::iter((0..30).map(|_| Ok::<_, std::io::Error>(vec![0u8; 1000])));
    let part = Part::stream(reqwest::Body::wrap_stream(stream)).file_name("package.zip");
    let chunked = api
        .import_form("acme-prod", "tok-acme-prod", Form::new().part("file", part))
        .await;
    assert_eq!(chunked.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(jobs(&running).await.is_empty());
}

#[tokio::test]
async fn unknown_enum_values_get_400_naming_the_field() {
    let running = start_demo().await;
    let api = Api::new(&running);
    for value in ["update", "skip"] {
        let response = api
            .import(
                "acme-prod",
                "tok-acme-prod",
                b"zip".to_vec(),
                Some(json!({"services_existing": value})),
            )
            .await;
        let message = bad_request(response).await;
        assert!(
            message.contains("importRequestEntity.services_existing") && message.contains(value),
            "{message}"
        );
    }
    let entity = json!({"inputs": {"services_modify": [{"service_uri_source": "a/b", "update_version_type": "huge"}]}});
    let message = bad_request(
        api.import("acme-prod", "tok-acme-prod", b"zip".to_vec(), Some(entity))
            .await,
    )
    .await;
    assert!(
        message.contains("services_modify[0].update_version_type"),
        "{message}"
    );
    let message = bad_request(
        api.export(
            "acme-uat",
            "tok-acme-uat",
            json!({"inputs": {"folders": ["pricing"]}, "version_filter": "some"}),
        )
        .await,
    )
    .await;
    assert!(message.contains("body.version_filter"), "{message}");
    assert!(jobs(&running).await.is_empty());
}

#[tokio::test]
async fn malformed_json_multipart_or_missing_file_get_400() {
    let running = start_demo().await;
    let api = Api::new(&running);
    let form = Form::new()
        .part("file", Part::bytes(b"zip".to_vec()))
        .text("importRequestEntity", "{not json");
    assert!(
        bad_request(api.import_form("acme-prod", "tok-acme-prod", form).await)
            .await
            .contains("importRequestEntity is not valid JSON")
    );
    let form = Form::new().text("importRequestEntity", "{}");
    assert!(
        bad_request(api.import_form("acme-prod", "tok-acme-prod", form).await)
            .await
            .contains("'file'")
    );
    let response = api
        .http
        .post(api.url("/acme-prod/api/v4/import"))
        .bearer_auth("tok-acme-prod")
        .header("content-type", "multipart/form-data; boundary=xyz")
        .body("--xyz\r\nbroken")
        .send()
        .await
        .unwrap();
    assert!(bad_request(response).await.contains("multipart"));
    let response = api
        .http
        .post(api.url("/acme-uat/api/v4/export"))
        .bearer_auth("tok-acme-uat")
        .body("[1,")
        .send()
        .await
        .unwrap();
    assert!(bad_request(response).await.contains("not valid JSON"));
}

#[tokio::test]
async fn request_entity_is_accepted_as_an_application_json_part() {
    let running = start_seed(&two_tenants(
        QUOTE_1_0_AND_1_1,
        r#"[{ name: pricing, services: [{ name: quote, versions: ["1.0.0"] }] }]"#,
    ))
    .await;
    let api = Api::new(&running);
    let (package, _) = api
        .package_of("src", json!({"inputs": {"services": ["pricing/quote"]}}))
        .await;
    let entity = Part::text(json!({"services_existing": "add_version"}).to_string())
        .mime_str("application/json")
        .unwrap();
    let form = Form::new()
        .part("importRequestEntity", entity)
        .part("file", Part::bytes(package).file_name("package.zip"));
    let job: Value = api
        .import_form("dst", "tok-dst", form)
        .await
        .json()
        .await
        .unwrap();
    let status = api
        .wait("dst", "tok-dst", "import", job["id"].as_str().unwrap())
        .await;
    assert_eq!(
        status["outputs"]["services"][0]["status"], "updated",
        "{status}"
    );
}

#[tokio::test]
async fn jobs_move_from_created_through_in_progress_to_completed() {
    let config = Config {
        job_duration: Duration::from_millis(600),
        ..sb::config()
    };
    let running = start(config, Seed::demo()).await;
    let api = Api::new(&running);
    let job = export_pricing(&api).await;
    assert_eq!(job["status"], "created");
    let id = job["id"].as_str().unwrap();
    let url = format!("/acme-uat/api/v4/export/{id}/status");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let middle: Value = api.get(&url, "tok-acme-uat").await.json().await.unwrap();
    assert_eq!(middle["status"], "in_progress");
    assert_eq!(
        api.wait("acme-uat", "tok-acme-uat", "export", id).await["status"],
        "completed"
    );
}

#[tokio::test]
async fn cancel_before_completion_wins_and_changes_nothing() {
    let running = start_demo().await;
    let api = Api::new(&running);
    let package = some_package(&api).await;
    let before = catalog(&running).await;
    let entity = json!({"services_existing": "replace"});
    let job: Value = api
        .import("acme-prod", "tok-acme-prod", package, Some(entity))
        .await
        .json()
        .await
        .unwrap();
    let id = job["id"].as_str().unwrap();
    let response = api
        .http
        .patch(api.url(&format!("/acme-prod/api/v4/import/{id}")))
        .bearer_auth("tok-acme-prod")
        .json(&json!({"import_status": "cancelled"}))
        .send()
        .await
        .unwrap();
    let cancelled: Value = response.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    tokio::time::sleep(sb::JOB_DURATION * 2).await;
    assert_eq!(
        api.wait("acme-prod", "tok-acme-prod", "import", id).await["status"],
        "cancelled"
    );
    assert_eq!(catalog(&running).await, before);
    let next = api
        .export(
            "acme-prod",
            "tok-acme-prod",
            json!({"inputs": {"folders": ["pricing"]}}),
        )
        .await;
    assert_eq!(
        next.status(),
        StatusCode::OK,
        "a cancelled job frees the tenant"
    );
}

#[tokio::test]
async fn tenant_listing_shows_running_and_recent_jobs_with_correlation_ids() {
    let running = start_demo().await;
    let api = Api::new(&running);
    let body = json!({"inputs": {"folders": ["pricing"]}, "correlation_id": "c-1", "source_system": "tests"});
    let job = api.export_job("acme-uat", "tok-acme-uat", body).await;
    let listing = api
        .get_json("/acme-uat/api/v4/export/status", "tok-acme-uat")
        .await;
    assert_eq!(listing["in_progress_exports"][0]["id"], job["id"]);
    assert_eq!(
        listing["tenant"]["status"]["export_api_jobs_in_progress"],
        1
    );
    assert_eq!(
        listing["tenant"]["configuration"]["export_api_job_limit"],
        1
    );
    api.wait(
        "acme-uat",
        "tok-acme-uat",
        "export",
        job["id"].as_str().unwrap(),
    )
    .await;
    let listing = api
        .get_json("/acme-uat/api/v4/export/status", "tok-acme-uat")
        .await;
    let data = &listing["recent_exports"][0]["data"];
    assert_eq!(data["export_status"], "completed");
    assert_eq!(data["correlation_id"], "c-1");
    assert_eq!(data["source_system"], "tests");
    assert_eq!(data["created_by"], "user@acme-uat");
    let imports = api
        .get_json("/acme-uat/api/v4/import/status", "tok-acme-uat")
        .await;
    assert_eq!(imports["recent_imports"], json!([]));
    assert_eq!(
        imports["tenant"]["configuration"]["import_api_job_limit"],
        1
    );
}
