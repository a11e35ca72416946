//! The Execute API over real HTTP: v3's three forms and v4 batches, what versions compute (seeded formulas,
//! content hashes across tenants), the answer shapes of both modes, the wrong-answer control and the
//! `Spark.SyncBatch.json` permission.
use reqwest::StatusCode;
use serde_json::{Value, json};
use spark_promote::sandbox::{Compat, Running};

use super::{Api, versions};
use crate::support::sandbox::{self as sb, start_demo, start_seed};

const UAT: (&str, &str) = ("acme-uat", "tok-acme-uat");
const PROD: (&str, &str) = ("acme-prod", "tok-acme-prod");

async fn post(api: &Api, tenant: (&str, &str), path: &str, body: Value) -> (StatusCode, Value) {
    let response = api
        .http
        .post(api.url(&format!("/{}{path}", tenant.0)))
        .bearer_auth(tenant.1)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

/// `POST /{tenant}/api/v4/execute` with `body`.
async fn execute(api: &Api, tenant: (&str, &str), body: Value) -> (StatusCode, Value) {
    post(api, tenant, "/api/v4/execute", body).await
}

fn v3_body(inputs: Value, meta: Value) -> Value {
    json!({ "request_data": { "inputs": inputs }, "request_meta": meta })
}

async fn version_id(running: &Running, tenant: &str, service: &str, version: &str) -> String {
    versions(running, tenant, "pricing", service)
        .await
        .into_iter()
        .find(|(v, _)| v == version)
        .unwrap_or_else(|| panic!("{tenant} has pricing/{service} {version}"))
        .1
}

#[tokio::test]
async fn v3_by_folder_and_service_by_version_id_and_by_service_id_run_the_seeded_formulas() {
    let running = start_demo().await;
    let api = Api::new(&running);
    let inputs = json!({ "age": 60, "cover": 200000 });
    let (status, latest) = post(
        &api,
        UAT,
        "/api/v3/folders/pricing/services/quote/execute",
        v3_body(inputs.clone(), json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{latest}");
    assert_eq!(latest["response_meta"]["version"], "1.1.0");
    assert_eq!(
        latest["response_data"]["outputs"],
        json!({ "premium": 350.0, "band": "standard" })
    );
    let old = version_id(&running, "acme-uat", "quote", "1.0.0").await;
    let (_, by_id) = post(
        &api,
        UAT,
        &format!("/api/v3/version/{old}"),
        v3_body(inputs.clone(), json!({})),
    )
    .await;
    assert_eq!(
        by_id["response_data"]["outputs"],
        json!({ "premium": 320.0, "band": "senior" })
    );
    assert_eq!(by_id["response_meta"]["version_id"], old.as_str());
    let service_id = latest["response_meta"]["service_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, by_service) = post(
        &api,
        UAT,
        &format!("/api/v3/service/{service_id}"),
        v3_body(inputs.clone(), json!({"version": "1.0.0"})),
    )
    .await;
    assert_eq!(
        by_service["response_data"]["outputs"],
        by_id["response_data"]["outputs"]
    );
    let (_, meta_wins) = post(
        &api,
        UAT,
        "/api/v3/folders/pricing/services/quote/execute",
        v3_body(inputs, json!({"version_id": old})),
    )
    .await;
    assert_eq!(meta_wins["response_meta"]["version"], "1.0.0");
}

#[tokio::test]
async fn v3_fills_a_missing_input_with_its_default_and_warns_and_reports_a_bad_input_as_an_error_with_200()
 {
    let running = start_demo().await;
    let api = Api::new(&running);
    let path = "/api/v3/folders/pricing/services/quote/execute";
    let (status, answer) = post(
        &api,
        UAT,
        path,
        v3_body(json!({ "cover": 100000 }), json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let warnings = &answer["response_data"]["warnings"];
    assert_eq!(warnings[0]["source_path"], "inputs.age", "{answer}");
    assert_eq!(answer["response_data"]["outputs"]["premium"], 150.0);
    let (status, bad) = post(
        &api,
        UAT,
        path,
        v3_body(json!({ "age": "forty" }), json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        bad["response_data"]["errors"][0]["error_category"], "Validation",
        "{bad}"
    );
    assert_eq!(bad["response_data"]["outputs"], json!({}));
}

#[tokio::test]
async fn v4_answers_every_record_of_a_batch_in_order_with_its_own_errors_and_one_call_id() {
    let running = start_demo().await;
    let api = Api::new(&running);
    let body = json!({
        "inputs": [{ "age": 20, "cover": 100000 }, { "age": "x" }, { "age": 80, "cover": 100000 }],
        "service": "pricing/quote[1.0]",
        "output": "premium",
        "call_purpose": "Sync Batch Execution",
    });
    let (status, answer) = execute(&api, UAT, body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["version"], "1.0.0");
    assert_eq!(
        answer["outputs"],
        json!([{ "premium": 120.0 }, {}, { "premium": 180.0 }])
    );
    let errors = answer["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 3);
    assert_eq!(errors[0], json!([]));
    assert_eq!(errors[1][0]["source_path"], "inputs.age");
    assert_eq!(answer["process_time"].as_array().unwrap().len(), 3);
    assert!(answer["call_id"].is_string());
    let (status, missing) = execute(
        &api,
        UAT,
        json!({ "inputs": [{}], "version_id": uuid::Uuid::new_v4() }),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
}

#[tokio::test]
async fn the_same_content_computes_the_same_in_another_tenant_and_another_version_differently() {
    let running = start_demo().await;
    let api = Api::new(&running);
    let package = api.package_of_service("acme-uat", "pricing/rating").await;
    let job = api
        .import_and_wait("acme-prod", PROD.1, package, None)
        .await;
    assert_eq!(job["status"], "completed", "{job}");
    let body = json!({ "inputs": [{ "a": 1, "b": 2 }, { "a": 10 }], "service": "pricing/rating" });
    let (_, uat) = execute(&api, UAT, body.clone()).await;
    let (_, prod) = execute(&api, PROD, body).await;
    assert_eq!(uat["outputs"], prod["outputs"], "{uat}\n{prod}");
    assert_eq!(uat["sandbox_model"], "derived");
    let records = json!([{ "age": 30, "cover": 100000 }]);
    let (_, new) = execute(
        &api,
        UAT,
        json!({ "inputs": records, "service": "pricing/quote[1.1.0]" }),
    )
    .await;
    let (_, old) = execute(
        &api,
        PROD,
        json!({ "inputs": records, "service": "pricing/quote" }),
    )
    .await;
    assert_ne!(new["outputs"], old["outputs"]);
    let (_, same) = execute(
        &api,
        UAT,
        json!({ "inputs": records, "service": "pricing/quote[1.0.0]" }),
    )
    .await;
    assert_eq!(
        same["outputs"], old["outputs"],
        "uat's 1.0.0 has prod's content"
    );
}

#[tokio::test]
async fn spec_mode_answers_only_the_documented_fields_with_null_for_no_errors() {
    let running = sb::start_demo_in(Compat::Spec).await;
    let api = Api::new(&running);
    let (_, v4) = execute(
        &api,
        UAT,
        json!({ "inputs": [{ "age": 1, "cover": 1 }], "service": "pricing/quote" }),
    )
    .await;
    let mut keys: Vec<&str> = v4.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "call_id",
            "compiler_version",
            "correlation_id",
            "errors",
            "outputs",
            "process_time",
            "request_timestamp",
            "service_id",
            "version",
            "version_id",
            "warnings"
        ]
    );
    assert_eq!(v4["errors"], json!([null]));
    let (_, v3) = post(
        &api,
        UAT,
        "/api/v3/folders/pricing/services/quote/execute",
        v3_body(json!({ "age": 1, "cover": 1 }), json!({})),
    )
    .await;
    assert_eq!(v3["response_data"]["errors"], Value::Null);
    assert!(v3["response_meta"].get("sandbox_model").is_none(), "{v3}");
    let (status, missing) = post(
        &api,
        UAT,
        "/api/v3/version/nope",
        v3_body(json!({}), json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(missing["code"], "SERVICE_NOT_FOUND", "{missing}");
}

#[tokio::test]
async fn a_version_marked_wrong_answers_wrongly_until_cleared_and_other_versions_do_not() {
    let running = start_demo().await;
    let api = Api::new(&running);
    let body = json!({ "inputs": [{ "age": 40, "cover": 100000 }], "service": "pricing/quote" });
    let (_, right) = execute(&api, PROD, body.clone()).await;
    let marked = api.http.post(api.url("/_sandbox/execute/wrong"))
        .json(&json!({ "tenant": "acme-prod", "folder": "pricing", "service": "quote", "version": "1.0.0" }))
        .send().await.unwrap();
    assert_eq!(marked.status(), StatusCode::OK);
    let (_, wrong) = execute(&api, PROD, body.clone()).await;
    assert_eq!(
        wrong["outputs"],
        json!([{ "premium": 141.0, "band": "standard (wrong)" }])
    );
    assert_eq!(
        right["outputs"],
        json!([{ "premium": 140.0, "band": "standard" }])
    );
    let (_, uat) = execute(
        &api,
        UAT,
        json!({ "inputs": [{ "age": 40, "cover": 100000 }], "service": "pricing/quote[1.0.0]" }),
    )
    .await;
    assert_eq!(
        uat["outputs"], right["outputs"],
        "the mark is on one tenant's version"
    );
    let bad = api
        .http
        .post(api.url("/_sandbox/execute/wrong"))
        .body("tenant=acme-prod")
        .send()
        .await
        .unwrap();
    assert_eq!(
        bad.status(),
        StatusCode::BAD_REQUEST,
        "the control takes JSON only"
    );
    api.http
        .delete(api.url("/_sandbox/execute/wrong"))
        .send()
        .await
        .unwrap();
    let (_, again) = execute(&api, PROD, body).await;
    assert_eq!(again["outputs"], right["outputs"]);
}

#[tokio::test]
async fn an_api_key_without_sync_batch_is_refused_v4_with_403_naming_it_but_may_run_v3() {
    let running = start_seed(
        r#"
tenants:
  - name: t
    api_keys: [key-limited, key-proxy, key-full]
    api_key_permissions:
      key-limited: [Spark.Imports.json]
      key-proxy: [Spark.AllEncompassingProxy.json]
    folders: [{ name: f, services: [{ name: s, versions: ["1.0.0"] }] }]
"#,
    )
    .await;
    let api = Api::new(&running);
    let call = |key: &'static str, path: &'static str, body: Value| {
        api.http
            .post(api.url(&format!("/t{path}")))
            .header("x-synthetic-key", key)
            .header("x-tenant-name", "t")
            .json(&body)
            .send()
    };
    let batch = json!({ "inputs": [{ "x": 1 }], "service": "f/s" });
    let refused = call("key-limited", "/api/v4/execute", batch.clone())
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let message: Value = refused.json().await.unwrap();
    assert!(
        message["message"]
            .as_str()
            .unwrap()
            .contains("Spark.SyncBatch.json"),
        "{message}"
    );
    let one = call(
        "key-limited",
        "/api/v3/folders/f/services/s/execute",
        v3_body(json!({ "x": 1 }), json!({})),
    )
    .await
    .unwrap();
    assert_eq!(one.status(), StatusCode::OK);
    for key in ["key-proxy", "key-full"] {
        assert_eq!(
            call(key, "/api/v4/execute", batch.clone())
                .await
                .unwrap()
                .status(),
            StatusCode::OK,
            "{key}"
        );
    }
}
