//! `--compat spec`: the sandbox answers exactly the shapes of Coherent's published OpenAPI file
//! (`../shared/spark-api.md`, section Errors).
use reqwest::StatusCode;
use serde_json::{Value, json};
use spark_promote::sandbox::{Compat, Config, Running, Seed};

use super::{Api, some_package};
use crate::support::bin::spawn_sandbox;
use crate::support::sandbox::{self as sb, arm_fault, jobs, start};

async fn start_spec(config: Config) -> Running {
    start(
        Config {
            compat: Compat::Spec,
            ..config
        },
        Seed::demo(),
    )
    .await
}

/// The keys of a JSON object, sorted.
fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// Asserts a 500 `{type, code, message}` with this code; returns the message.
async fn spec_500(response: reqwest::Response, code: &str) -> String {
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body: Value = response.json().await.unwrap();
    assert_eq!(keys(&body), ["code", "message", "type"], "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["type"], "invalid_input", "{body}");
    body["message"].as_str().unwrap().to_owned()
}

const STATUS_KEYS: [&str; 10] = [
    "correlation_id",
    "errors",
    "id",
    "object",
    "outputs",
    "process_time",
    "response_timestamp",
    "source_system",
    "status",
    "status_url",
];

#[tokio::test]
async fn an_import_answers_id_object_and_status_url_then_a_status_with_empty_errors() {
    let running = start_spec(sb::config()).await;
    let api = Api::new(&running);
    let package = some_package(&api).await;
    let entity =
        json!({"services_existing": "add_version", "correlation_id": "c-1", "source_system": "ci"});
    let response = api
        .import("acme-prod", "tok-acme-prod", package, Some(entity))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let job: Value = response.json().await.unwrap();
    assert_eq!(keys(&job), ["id", "object", "status_url"], "{job}");
    let id = job["id"].as_str().unwrap();
    assert!(
        job["status_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/acme-prod/api/v4/import/{id}/status"))
    );
    let running_status = api
        .get_json(
            &format!("/acme-prod/api/v4/import/{id}/status"),
            "tok-acme-prod",
        )
        .await;
    assert_eq!(running_status["errors"], json!({}), "{running_status}");
    assert_eq!(
        keys(&running_status["outputs"]),
        ["service_versions", "services"]
    );
    let status = api.wait("acme-prod", "tok-acme-prod", "import", id).await;
    assert_eq!(status["status"], "completed", "{status}");
    assert_eq!(keys(&status), STATUS_KEYS, "{status}");
    assert_eq!(status["errors"], json!({}));
    assert_eq!(status["outputs"]["services"][0]["status"], "updated");
}

#[tokio::test]
async fn a_failed_job_carries_one_type_code_message_error_and_no_warnings() {
    let running = start_spec(sb::config()).await;
    let api = Api::new(&running);
    let package = some_package(&api).await;
    // The service exists in acme-prod and services_existing defaults to abort.
    let status = api
        .import_and_wait("acme-prod", "tok-acme-prod", package, None)
        .await;
    assert_eq!(status["status"], "failed", "{status}");
    assert_eq!(
        keys(&status["errors"]),
        ["code", "message", "type"],
        "{status}"
    );
    assert_eq!(status["errors"]["code"], "IMPORT_FAILED");
    assert!(
        status["errors"]["message"]
            .as_str()
            .unwrap()
            .contains("pricing/quote"),
        "{status}"
    );
    // Without tags, the optional strings are left out rather than null.
    let mut expected = STATUS_KEYS.to_vec();
    expected.retain(|k| !matches!(*k, "correlation_id" | "source_system"));
    assert_eq!(keys(&status), expected, "{status}");
}

#[tokio::test]
async fn tenant_listings_carry_no_correlation_id_or_source_system() {
    let running = start_spec(sb::config()).await;
    let api = Api::new(&running);
    let body =
        json!({"inputs": {"folders": ["pricing"]}, "correlation_id": "c-2", "source_system": "ci"});
    let job = api.export_job("acme-uat", "tok-acme-uat", body).await;
    assert_eq!(keys(&job), ["id", "object", "status_url"], "{job}");
    let listing = api
        .get_json("/acme-uat/api/v4/export/status", "tok-acme-uat")
        .await;
    let entry = &listing["in_progress_exports"][0];
    assert_eq!(entry["id"], job["id"], "{listing}");
    assert_eq!(
        keys(&entry["data"]),
        [
            "created_by",
            "created_timestamp",
            "export_status",
            "process_time",
            "response_timestamp",
            "updated_timestamp"
        ],
        "{listing}"
    );
    // The status still carries the tags.
    let id = job["id"].as_str().unwrap();
    let status = api.wait("acme-uat", "tok-acme-uat", "export", id).await;
    assert_eq!(status["correlation_id"], "c-2", "{status}");
}

#[tokio::test]
async fn an_unknown_job_id_gets_500_invalid_job_id_on_status_and_cancel() {
    let running = start_spec(sb::config()).await;
    let api = Api::new(&running);
    for id in ["not-a-uuid", "5d14d6a4-392c-4c51-be4b-6d2b98e162fe"] {
        let status = api
            .get(
                &format!("/acme-prod/api/v4/import/{id}/status"),
                "tok-acme-prod",
            )
            .await;
        assert_eq!(
            spec_500(status, "INVALID_JOB_ID").await,
            "Please Provide valid job id"
        );
        let cancel = api
            .http
            .patch(api.url(&format!("/acme-prod/api/v4/export/{id}")))
            .bearer_auth("tok-acme-prod")
            .json(&json!({"export_status": "cancelled"}))
            .send()
            .await
            .unwrap();
        spec_500(cancel, "INVALID_JOB_ID").await;
    }
}

#[tokio::test]
async fn missing_or_unknown_credentials_get_401_status_error_invalid_token() {
    let running = start_spec(sb::config()).await;
    let api = Api::new(&running);
    for token in ["nope", ""] {
        let response = api.get("/acme-prod/api/v4/import/status", token).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body,
            json!({"status": "Error", "errorCode": "INVALID_TOKEN"})
        );
    }
}

#[tokio::test]
async fn an_upload_over_the_limit_and_a_bad_zip_get_500_on_the_post_and_create_no_job() {
    let running = start_spec(Config {
        max_upload_bytes: 10_000,
        ..sb::config()
    })
    .await;
    let api = Api::new(&running);
    for size in [2 << 20, 20_000] {
        let over = api
            .import("acme-prod", "tok-acme-prod", vec![0u8; size], None)
            .await;
        spec_500(over, "EXCEEDED_FILE_SIZE").await;
    }
    let not_zip = api
        .import("acme-prod", "tok-acme-prod", b"not a zip".to_vec(), None)
        .await;
    let message = spec_500(not_zip, "INVALID_IMPORT_ZIP").await;
    assert!(message.contains("not a valid ZIP"), "{message}");
    let mut other = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    other
        .start_file("readme.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    let other = other.finish().unwrap().into_inner();
    let foreign = api.import("acme-prod", "tok-acme-prod", other, None).await;
    let message = spec_500(foreign, "INVALID_IMPORT_ZIP").await;
    assert!(message.contains("manifest.json"), "{message}");
    assert!(jobs(&running).await.is_empty());
}

#[tokio::test]
async fn other_refusals_are_type_code_message() {
    let running = start_spec(sb::config()).await;
    let api = Api::new(&running);
    let pricing = json!({"inputs": {"folders": ["pricing"]}});
    let job = api
        .export_job("acme-prod", "tok-acme-prod", pricing.clone())
        .await;
    let busy = api.export("acme-prod", "tok-acme-prod", pricing).await;
    assert_eq!(busy.status(), StatusCode::CONFLICT);
    let body: Value = busy.json().await.unwrap();
    assert_eq!(keys(&body), ["code", "message", "type"], "{body}");
    assert_eq!(body["code"], "CONFLICT");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains(job["id"].as_str().unwrap())
    );
    // An injected fault is answered in the same shape, and is no documented answer.
    arm_fault(&running, json!({"route": "imports", "status": 503})).await;
    let fault = api
        .get("/acme-prod/api/v4/import/status", "tok-acme-prod")
        .await;
    assert_eq!(fault.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = fault.json().await.unwrap();
    assert_eq!(body["code"], "SERVICE_UNAVAILABLE", "{body}");
    assert_eq!(body["type"], "server_error", "{body}");
}

#[tokio::test]
async fn the_sandbox_command_answers_in_the_spec_shapes_with_compat_spec() {
    let (_child, root) = spawn_sandbox(&["--compat", "spec"]).await;
    let response = reqwest::Client::new()
        .get(format!(
            "{root}/acme-prod/api/v4/import/{}/status",
            uuid::Uuid::new_v4()
        ))
        .bearer_auth("tok-acme-prod")
        .send()
        .await
        .unwrap();
    spec_500(response, "INVALID_JOB_ID").await;
}
