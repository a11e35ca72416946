//! Integration tests: the sandbox over real HTTP on 127.0.0.1:0.
mod controls;
mod spec;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use spark_promote::sandbox::{Config, Running, Seed};

use crate::support::sandbox::{
    self as sb, arm_fault, jobs, root, start, start_demo, start_seed, stats, world,
};

/// A thin client for the tests (independent of the crate's own Spark client).
pub struct Api {
    pub root: String,
    pub http: reqwest::Client,
}

impl Api {
    pub fn new(running: &Running) -> Api {
        Api {
            root: root(running),
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.root)
    }

    pub async fn import_form(&self, tenant: &str, token: &str, form: Form) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/{tenant}/api/v4/import")))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn import(
        &self,
        tenant: &str,
        token: &str,
        package: Vec<u8>,
        entity: Option<Value>,
    ) -> reqwest::Response {
        let mut form = Form::new().part(
            "file",
            Part::bytes(package)
                .file_name("package.zip")
                .mime_str("application/zip")
                .unwrap(),
        );
        if let Some(entity) = entity {
            form = form.text("importRequestEntity", entity.to_string());
        }
        self.import_form(tenant, token, form).await
    }

    pub async fn import_and_wait(
        &self,
        tenant: &str,
        token: &str,
        package: Vec<u8>,
        entity: Option<Value>,
    ) -> Value {
        let response = self.import(tenant, token, package, entity).await;
        assert_eq!(response.status(), StatusCode::OK);
        let job: Value = response.json().await.unwrap();
        self.wait(tenant, token, "import", job["id"].as_str().unwrap())
            .await
    }

    pub async fn export(&self, tenant: &str, token: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/{tenant}/api/v4/export")))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// Polls a job until it ends.
    pub async fn wait(&self, tenant: &str, token: &str, kind: &str, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let status: Value = self
                .get(&format!("/{tenant}/api/v4/{kind}/{id}/status"), token)
                .await
                .json()
                .await
                .unwrap();
            if !matches!(status["status"].as_str(), Some("created" | "in_progress")) {
                return status;
            }
            assert!(Instant::now() < deadline, "job {id} did not end: {status}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Exports and downloads the package; returns it with the final export status.
    pub async fn export_package(&self, tenant: &str, token: &str, body: Value) -> (Vec<u8>, Value) {
        let response = self.export(tenant, token, body).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{}",
            response.text().await.unwrap()
        );
        let job: Value = response.json().await.unwrap();
        assert_eq!(job["object"], "export");
        let status = self
            .wait(tenant, token, "export", job["id"].as_str().unwrap())
            .await;
        assert_eq!(status["status"], "completed", "{status}");
        let url = status["outputs"]["files"][0]["file"].as_str().unwrap();
        let bytes = reqwest::get(url)
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .bytes()
            .await
            .unwrap();
        (bytes.to_vec(), status)
    }

    /// Exports with the tenant's seeded token (`tok-{tenant}`) and downloads the package.
    pub async fn package_of(&self, tenant: &str, body: Value) -> (Vec<u8>, Value) {
        self.export_package(tenant, &format!("tok-{tenant}"), body)
            .await
    }

    /// Starts an export and returns the created job.
    pub async fn export_job(&self, tenant: &str, token: &str, body: Value) -> Value {
        self.export(tenant, token, body).await.json().await.unwrap()
    }

    /// The status code of a GET.
    pub async fn status_of(&self, path: &str, token: &str) -> StatusCode {
        self.get(path, token).await.status()
    }

    /// GETs a JSON document.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        self.get(path, token).await.json().await.unwrap()
    }
}

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
    let world = world(running).await;
    let service = &world["tenants"][tenant]["folders"][folder]["services"][service];
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

fn column(rows: &Value, key: &str) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r[key].as_str().unwrap().to_owned())
        .collect()
}

/// Exports pricing/quote (all versions) from `src` and imports it into `dst` with `entity`.
async fn promote_quote(running: &Running, entity: Option<Value>) -> Value {
    let api = Api::new(running);
    let package = every_quote_version(&api).await;
    api.import_and_wait("dst", "tok-dst", package, entity).await
}

/// The package of pricing/quote with all its versions, exported from `src`.
async fn every_quote_version(api: &Api) -> Vec<u8> {
    let body = json!({"inputs": {"services": ["pricing/quote"]}, "version_filter": "all"});
    api.package_of("src", body).await.0
}

// ---------------------------------------------------------------- auth

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

// ---------------------------------------------------------------- admin

#[tokio::test]
async fn api_calls_are_counted_per_route_and_tenant_until_reset() {
    let running = start_demo().await;
    let api = Api::new(&running);
    for _ in 0..2 {
        api.get("/acme-uat/api/v4/import/status", "tok-acme-uat")
            .await;
    }
    api.get("/acme-prod/api/v4/export/status", "wrong-token")
        .await;
    api.http
        .post(api.url("/api/v1/product/isproductexists/pricing"))
        .header("x-tenant-name", "acme-prod")
        .bearer_auth("tok-acme-prod")
        .json(&json!({"serviceName": "quote"}))
        .send()
        .await
        .unwrap();
    api.get("/_sandbox/jobs", "").await;
    api.get("/no/such/route", "tok-acme-uat").await;
    assert_eq!(
        stats(&running).await,
        json!({
            "total": 4,
            "requests": [
                {"route": "exports", "tenant": "acme-prod", "count": 1},
                {"route": "imports", "tenant": "acme-uat", "count": 2},
                {"route": "isproductexists", "tenant": "acme-prod", "count": 1},
            ]
        })
    );
    let reset = api
        .http
        .delete(api.url("/_sandbox/stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    assert_eq!(stats(&running).await, json!({"total": 0, "requests": []}));
}

#[tokio::test]
async fn admin_job_list_tells_when_each_job_finished() {
    let running = start_demo().await;
    let api = Api::new(&running);
    let package = some_package(&api).await;
    let job: Value = api
        .import("acme-prod", "tok-acme-prod", package, None)
        .await
        .json()
        .await
        .unwrap();
    let running_import = jobs(&running).await.pop().unwrap();
    assert_eq!(running_import["id"], job["id"]);
    assert_eq!(running_import["finished"], Value::Null);
    api.wait(
        "acme-prod",
        "tok-acme-prod",
        "import",
        job["id"].as_str().unwrap(),
    )
    .await;
    for job in jobs(&running).await {
        let (created, finished) = (job["created"].as_str().unwrap(), job["finished"].as_str());
        let finished = finished.unwrap_or_else(|| panic!("an ended job has a finish time: {job}"));
        let elapsed = humantime::parse_rfc3339(finished)
            .unwrap()
            .duration_since(humantime::parse_rfc3339(created).unwrap())
            .unwrap();
        assert!(elapsed >= sb::JOB_DURATION, "{job}");
    }
}

// ---------------------------------------------------------------- import rules

#[tokio::test]
async fn new_service_is_added_with_all_its_versions_and_their_ids() {
    let running = start_seed(&two_tenants(QUOTE_1_0_AND_1_1, "[{ name: pricing }]")).await;
    let status = promote_quote(&running, None).await;
    assert_eq!(status["status"], "completed", "{status}");
    assert_eq!(status["errors"], Value::Null);
    assert_eq!(status["warnings"], json!([]));
    let service = &status["outputs"]["services"][0];
    assert_eq!(service["status"], "added");
    for key in [
        "service_uri_source",
        "folder_source",
        "service_source",
        "service_id_source",
        "service_uri_destination",
        "folder_destination",
        "service_destination",
        "service_id_destination",
    ] {
        assert!(service[key].is_string(), "{key} in {service}");
    }
    let rows = &status["outputs"]["service_versions"];
    assert_eq!(column(rows, "version_destination"), ["1.0.0", "1.1.0"]);
    assert_eq!(column(rows, "status"), ["added", "added"]);
    assert_eq!(
        column(rows, "version_id_destination"),
        column(rows, "version_id_source"),
        "unused ids migrate"
    );
    assert_eq!(rows[0]["service_uri_source"], "pricing/quote[1.0.0]");
    let source = versions(&running, "src", "pricing", "quote").await;
    assert_eq!(versions(&running, "dst", "pricing", "quote").await, source);
}

async fn existing_service_fails(entity: Option<Value>) {
    let running = start_seed(&two_tenants(
        QUOTE_1_0_AND_1_1,
        r#"[{ name: pricing, services: [{ name: quote, versions: ["0.1.0"] }] }]"#,
    ))
    .await;
    let before = world(&running).await;
    let status = promote_quote(&running, entity).await;
    assert_eq!(status["status"], "failed");
    let message = status["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("pricing/quote already exists"),
        "{message}"
    );
    assert_eq!(
        world(&running).await,
        before,
        "a failed import changes nothing"
    );
}

#[tokio::test]
async fn existing_service_without_services_existing_fails_and_changes_nothing() {
    existing_service_fails(None).await;
}

#[tokio::test]
async fn existing_service_with_abort_fails_and_changes_nothing() {
    existing_service_fails(Some(json!({"services_existing": "abort"}))).await;
}

#[tokio::test]
async fn replace_replaces_the_service_and_keeps_ids_of_overlapping_versions() {
    let running = start_seed(&two_tenants(
        QUOTE_1_0_AND_1_1,
        r#"[{ name: pricing, services: [{ name: quote, versions: ["1.0.0", "0.9.0"] }] }]"#,
    ))
    .await;
    let before = versions(&running, "dst", "pricing", "quote").await;
    let kept_id = before.iter().find(|(v, _)| v == "1.0.0").unwrap().1.clone();
    let status = promote_quote(&running, Some(json!({"services_existing": "replace"}))).await;
    assert_eq!(status["outputs"]["services"][0]["status"], "replaced");
    let rows = &status["outputs"]["service_versions"];
    assert_eq!(column(rows, "status"), ["replaced", "added"]);
    assert_eq!(rows[0]["version_id_destination"], kept_id.as_str());
    let after = versions(&running, "dst", "pricing", "quote").await;
    assert_eq!(
        after.iter().map(|(v, _)| v.as_str()).collect::<Vec<_>>(),
        ["1.0.0", "1.1.0"],
        "0.9.0 is gone"
    );
    assert_eq!(after[0].1, kept_id);
}

/// add_version onto quote 0.5.0 + 2.3.4 with a bump: the expected destination versions of 1.0.0 and 1.1.0.
async fn add_version_with(bump: Option<&str>, expected: [&str; 2]) {
    let running = start_seed(&two_tenants(
        QUOTE_1_0_AND_1_1,
        r#"[{ name: pricing, services: [{ name: quote, versions: ["2.3.4", "0.5.0"] }] }]"#,
    ))
    .await;
    let mut modify = json!({"service_uri_source": "pricing/quote"});
    if let Some(bump) = bump {
        modify["update_version_type"] = json!(bump);
    }
    let entity =
        json!({"services_existing": "add_version", "inputs": {"services_modify": [modify]}});
    let status = promote_quote(&running, Some(entity)).await;
    assert_eq!(status["status"], "completed", "{status}");
    assert_eq!(status["outputs"]["services"][0]["status"], "updated");
    let rows = &status["outputs"]["service_versions"];
    assert_eq!(column(rows, "version_source"), ["1.0.0", "1.1.0"]);
    assert_eq!(column(rows, "version_destination"), expected);
    assert_eq!(column(rows, "status"), ["added", "added"]);
    let after: Vec<String> = versions(&running, "dst", "pricing", "quote")
        .await
        .into_iter()
        .map(|(v, _)| v)
        .collect();
    let mut wanted = vec![
        "0.5.0".to_owned(),
        "2.3.4".to_owned(),
        expected[0].to_owned(),
        expected[1].to_owned(),
    ];
    wanted.sort_by_key(|v| {
        v.split('.')
            .map(|p| p.parse::<u64>().unwrap())
            .collect::<Vec<_>>()
    });
    assert_eq!(after, wanted);
}

#[tokio::test]
async fn add_version_major_bumps_from_the_destination_latest_once_per_version() {
    add_version_with(Some("major"), ["3.0.0", "4.0.0"]).await;
}

#[tokio::test]
async fn add_version_minor_bumps_from_the_destination_latest_once_per_version() {
    add_version_with(Some("minor"), ["2.4.0", "2.5.0"]).await;
}

#[tokio::test]
async fn add_version_patch_bumps_from_the_destination_latest_once_per_version() {
    add_version_with(Some("patch"), ["2.3.5", "2.3.6"]).await;
}

#[tokio::test]
async fn add_version_defaults_to_minor() {
    add_version_with(None, ["2.4.0", "2.5.0"]).await;
}

#[tokio::test]
async fn add_version_copy_keeps_the_source_versions() {
    add_version_with(Some("copy"), ["1.0.0", "1.1.0"]).await;
}

#[tokio::test]
async fn add_version_copy_fails_on_a_clash_and_changes_nothing() {
    let running = start_seed(&two_tenants(
        QUOTE_1_0_AND_1_1,
        r#"[{ name: pricing, services: [{ name: quote, versions: ["1.1.0"] }] }]"#,
    ))
    .await;
    let before = world(&running).await;
    let entity = json!({"services_existing": "add_version", "inputs": {"services_modify": [{"service_uri_source": "pricing/quote", "update_version_type": "copy"}]}});
    let status = promote_quote(&running, Some(entity)).await;
    assert_failed_with(&status, "1.1.0");
    assert_eq!(world(&running).await, before);
}

#[tokio::test]
async fn services_modify_remaps_folder_and_service() {
    let running = start_seed(&two_tenants(
        QUOTE_1_0_AND_1_1,
        r#"[{ name: sales, services: [{ name: quote-v2, versions: ["5.0.0"] }] }]"#,
    ))
    .await;
    let entity = json!({
        "services_existing": "add_version",
        "inputs": {"services_modify": [{"service_uri_source": "pricing/quote", "service_uri_destination": "sales/quote-v2", "update_version_type": "major"}]},
        "source_system": "tests", "correlation_id": "456"
    });
    let status = promote_quote(&running, Some(entity)).await;
    assert_eq!(status["source_system"], "tests");
    assert_eq!(status["correlation_id"], "456");
    let service = &status["outputs"]["services"][0];
    assert_eq!(service["service_uri_destination"], "sales/quote-v2");
    assert_eq!(service["folder_source"], "pricing");
    let rows = &status["outputs"]["service_versions"];
    assert_eq!(column(rows, "version_destination"), ["6.0.0", "7.0.0"]);
    assert_eq!(rows[1]["service_uri_destination"], "/sales/quote-v2[7.0.0]");
    assert!(
        versions(&running, "dst", "pricing", "quote")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn version_ids_migrate_only_when_unused_in_the_target_tenant() {
    let running = start_seed(&two_tenants(QUOTE_1_0_AND_1_1, "[{ name: pricing }]")).await;
    let api = Api::new(&running);
    let package = every_quote_version(&api).await;
    let first = api
        .import_and_wait("dst", "tok-dst", package.clone(), None)
        .await;
    let rows = &first["outputs"]["service_versions"];
    assert_eq!(
        column(rows, "version_id_destination"),
        column(rows, "version_id_source")
    );
    let entity = json!({"services_existing": "add_version"});
    let second = api
        .import_and_wait("dst", "tok-dst", package, Some(entity))
        .await;
    let rows = &second["outputs"]["service_versions"];
    let (sources, destinations) = (
        column(rows, "version_id_source"),
        column(rows, "version_id_destination"),
    );
    assert!(
        sources.iter().zip(&destinations).all(|(s, d)| s != d),
        "ids in use get new ids"
    );
    assert_eq!(column(rows, "version_destination"), ["1.2.0", "1.3.0"]);
}

#[tokio::test]
async fn outputs_are_sorted_by_folder_service_and_version() {
    let src = r#"[{ name: b, services: [{ name: z, versions: ["1.10.0", "1.9.0"] }, { name: a, versions: ["1.0.0"] }] }, { name: a, services: [{ name: s, versions: ["1.0.0"] }] }]"#;
    let running = start_seed(&two_tenants(src, "[{ name: a }, { name: b }]")).await;
    let api = Api::new(&running);
    let (package, _) = api
        .package_of(
            "src",
            json!({"inputs": {"folders": ["b", "a"]}, "version_filter": "all"}),
        )
        .await;
    let status = api.import_and_wait("dst", "tok-dst", package, None).await;
    assert_eq!(
        column(&status["outputs"]["services"], "service_uri_source"),
        ["a/s", "b/a", "b/z"]
    );
    assert_eq!(
        column(&status["outputs"]["service_versions"], "service_uri_source"),
        ["a/s[1.0.0]", "b/a[1.0.0]", "b/z[1.9.0]", "b/z[1.10.0]"]
    );
}

// ---------------------------------------------------------------- job rules

pub async fn some_package(api: &Api) -> Vec<u8> {
    api.package_of(
        "acme-uat",
        json!({"inputs": {"services": ["pricing/quote"]}}),
    )
    .await
    .0
}

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

async fn bad_request(response: reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    body["message"].as_str().unwrap().to_owned()
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
    let before = world(&running).await;
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
    assert_eq!(world(&running).await, before);
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

// ---------------------------------------------------------------- export

const EXPORT_SEED: &str = r#"[{ name: pricing, services: [{ name: quote, versions: ["3.1.0", "3.2.0", "3.2.5", "3.20.0"] }, { name: rating, versions: ["1.0.0"] }] }, { name: empty }]"#;

async fn exported(body: Value) -> Value {
    let running = start_seed(&two_tenants(EXPORT_SEED, "[]")).await;
    Api::new(&running).package_of("src", body).await.1
}

#[tokio::test]
async fn export_by_folder_takes_the_latest_version_of_each_service() {
    let status = exported(json!({"inputs": {"folders": ["pricing"]}})).await;
    assert_eq!(
        column(&status["outputs"]["services"], "service_uri_source"),
        ["pricing/quote", "pricing/rating"]
    );
    assert_eq!(
        column(&status["outputs"]["service_versions"], "service_uri_source"),
        ["pricing/quote[3.20.0]", "pricing/rating[1.0.0]"]
    );
    assert_eq!(
        status["outputs"]["files"][0]["file_hash"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
}

#[tokio::test]
async fn export_with_version_filter_all_takes_every_version() {
    let status =
        exported(json!({"inputs": {"services": ["pricing/quote"]}, "version_filter": "all"})).await;
    assert_eq!(
        column(&status["outputs"]["service_versions"], "version_source"),
        ["3.1.0", "3.2.0", "3.2.5", "3.20.0"]
    );
}

#[tokio::test]
async fn export_with_a_version_prefix_takes_the_latest_match() {
    let status = exported(json!({"inputs": {"services": ["pricing/quote[3.2]"]}})).await;
    assert_eq!(
        column(&status["outputs"]["service_versions"], "version_source"),
        ["3.2.5"]
    );
    let status =
        exported(json!({"inputs": {"services": ["pricing/quote[3.2]"]}, "version_filter": "all"}))
            .await;
    assert_eq!(
        column(&status["outputs"]["service_versions"], "version_source"),
        ["3.2.0", "3.2.5"]
    );
}

#[tokio::test]
async fn export_by_version_id_and_service_id() {
    let running = start_seed(&two_tenants(EXPORT_SEED, "[]")).await;
    let quote = versions(&running, "src", "pricing", "quote").await;
    let world = world(&running).await;
    let rating_id = world["tenants"]["src"]["folders"]["pricing"]["services"]["rating"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({"inputs": {"version_ids": [quote[0].1], "services": [rating_id]}});
    let status = Api::new(&running).package_of("src", body).await.1;
    let rows = &status["outputs"]["service_versions"];
    assert_eq!(
        column(rows, "service_uri_source"),
        ["pricing/quote[3.1.0]", "pricing/rating[1.0.0]"]
    );
    assert_eq!(rows[0]["version_id_source"], quote[0].1.as_str());
}

#[tokio::test]
async fn export_of_missing_objects_or_nothing_gets_400_with_a_clear_error() {
    let running = start_seed(&two_tenants(EXPORT_SEED, "[]")).await;
    let api = Api::new(&running);
    let cases = [
        (
            json!({"inputs": {"services": ["pricing/nope"]}}),
            "pricing/nope",
        ),
        (
            json!({"inputs": {"folders": ["nope"]}}),
            "folder 'nope' does not exist",
        ),
        (
            json!({"inputs": {"folders": ["empty"]}}),
            "holds no service",
        ),
        (
            json!({"inputs": {"services": ["pricing/quote[9]"]}}),
            "no version",
        ),
        (
            json!({"inputs": {"version_ids": ["6c73f2e4-b354-4695-a991-c52817a5f25f"]}}),
            "version id",
        ),
        (json!({"inputs": {}}), "at least one"),
    ];
    for (body, expected) in cases {
        let message = bad_request(api.export("src", "tok-src", body).await).await;
        assert!(message.contains(expected), "{message}");
    }
    assert!(jobs(&running).await.is_empty());
}

#[tokio::test]
async fn export_download_needs_no_authorization_and_is_a_sandbox_package() {
    let running = start_demo().await;
    let api = Api::new(&running);
    let job = export_pricing(&api).await;
    let status = api
        .wait(
            "acme-uat",
            "tok-acme-uat",
            "export",
            job["id"].as_str().unwrap(),
        )
        .await;
    let url = status["outputs"]["files"][0]["file"].as_str().unwrap();
    assert!(
        url.starts_with(&root(&running)) && url.contains("/tokens/"),
        "{url}"
    );
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let bytes = response.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert!(zip.by_name("manifest.json").is_ok());
    let missing = reqwest::get(format!(
        "{}/docstore/api/v1/documents/versions/tokens/nope/package.zip",
        root(&running)
    ))
    .await
    .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn export_from_one_tenant_imports_into_another_with_content_intact() {
    let running = start_demo().await;
    let api = Api::new(&running);
    let (package, _) = api
        .package_of("acme-uat", json!({"inputs": {"folders": ["pricing"]}}))
        .await;
    let entity = json!({"services_existing": "add_version"});
    let status = api
        .import_and_wait("acme-prod", "tok-acme-prod", package.clone(), Some(entity))
        .await;
    assert_eq!(status["status"], "completed", "{status}");
    let services = &status["outputs"]["services"];
    assert_eq!(
        column(services, "service_uri_destination"),
        ["pricing/quote", "pricing/rating"]
    );
    assert_eq!(column(services, "status"), ["updated", "added"]);
    let (again, _) = api
        .package_of(
            "acme-prod",
            json!({"inputs": {"services": ["pricing/rating"]}}),
        )
        .await;
    let content = |bytes: &[u8], name: &str| {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut text).unwrap();
        text
    };
    let rating_id = status["outputs"]["service_versions"][1]["version_id_destination"]
        .as_str()
        .unwrap();
    let name = format!("versions/{rating_id}.bin");
    assert_eq!(content(&again, &name), content(&package, &name));
}

#[tokio::test]
async fn a_package_that_is_not_a_sandbox_zip_fails_the_import_job_clearly() {
    let running = start_demo().await;
    let api = Api::new(&running);
    let status = api
        .import_and_wait("acme-prod", "tok-acme-prod", b"not a zip".to_vec(), None)
        .await;
    assert_failed_with(&status, "not a valid ZIP");
    let mut other = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    other
        .start_file("readme.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    let other = other.finish().unwrap().into_inner();
    let status = api
        .import_and_wait("acme-prod", "tok-acme-prod", other, None)
        .await;
    assert_failed_with(&status, "manifest.json");
}

#[tokio::test]
async fn an_oversized_entry_in_a_package_fails_the_job_instead_of_filling_the_disk() {
    let running = demo_with_upload_limit(100_000).await;
    let api = Api::new(&running);
    let (package, status) = api
        .package_of(
            "acme-uat",
            json!({"inputs": {"services": ["pricing/rating"]}}),
        )
        .await;
    let entry = format!(
        "versions/{}.bin",
        status["outputs"]["service_versions"][0]["version_id_source"]
            .as_str()
            .unwrap()
    );
    // Rebuild the package with a version file that inflates far beyond the limit (a small zip bomb).
    let mut source = zip::ZipArchive::new(std::io::Cursor::new(package)).unwrap();
    let mut bomb = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    bomb.raw_copy_file(source.by_name("manifest.json").unwrap())
        .unwrap();
    bomb.start_file(entry.as_str(), options).unwrap();
    std::io::Write::write_all(&mut bomb, &vec![0u8; 5 << 20]).unwrap();
    let bomb = bomb.finish().unwrap().into_inner();
    assert!(bomb.len() < 100_000);
    let status = api
        .import_and_wait("acme-prod", "tok-acme-prod", bomb, None)
        .await;
    assert_failed_with(&status, "exceeds the limit");
}

// ---------------------------------------------------------------- reads

#[tokio::test]
async fn reads_answer_exists_isproductexists_and_getversions() {
    let running = start_demo().await;
    let api = Api::new(&running);
    let exists = api
        .get_json(
            "/acme-uat/api/v3/folders/pricing/services/quote/exists",
            "tok-acme-uat",
        )
        .await;
    assert_eq!(exists["status"], "Success");
    assert_eq!(exists["response_data"]["is_exists"], true);
    assert_eq!(exists["response_data"]["version"], "1.1.0");
    assert!(exists["response_data"]["latest_version_id"].is_string());
    let missing = api
        .get_json(
            "/acme-prod/api/v3/folders/pricing/services/rating/exists",
            "tok-acme-prod",
        )
        .await;
    assert_eq!(missing["response_data"]["is_exists"], false);
    let product = |folder: &str| {
        api.http
            .post(api.url(&format!("/api/v1/product/isproductexists/{folder}")))
            .header("x-synthetic-key", "key-acme-prod")
            .header("x-tenant-name", "acme-prod")
            .send()
    };
    assert_eq!(
        product("pricing")
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["data"],
        true
    );
    assert_eq!(
        product("other")
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["data"],
        false
    );
    let listed: Value = api
        .http
        .get(api.url("/api/v1/product/pricing/engines/getversions/quote"))
        .bearer_auth("tok-acme-uat")
        .header("x-tenant-name", "acme-uat")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(column(&listed["data"], "revision"), ["1.1.0", "1.0.0"]);
}

// ---------------------------------------------------------------- faults and admin

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
    let before = world(&running).await;
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
    assert_eq!(world(&running).await, before);
}

#[tokio::test]
async fn admin_jobs_lists_every_job_ever_created() {
    let running = start_demo().await;
    let api = Api::new(&running);
    let package = some_package(&api).await;
    let body = json!({"correlation_id": "corr-9"});
    api.import_and_wait("acme-prod", "tok-acme-prod", package, Some(body))
        .await;
    let listed = jobs(&running).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["object"], "export");
    assert_eq!(listed[0]["tenant"], "acme-uat");
    assert_eq!(listed[1]["object"], "import");
    assert_eq!(
        listed[1]["status"], "failed",
        "quote exists in prod and the default is abort"
    );
    assert_eq!(listed[1]["correlation_id"], "corr-9");
    assert!(listed[1]["created"].is_string());
}

#[tokio::test]
async fn state_dir_keeps_the_content_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        state_dir: Some(dir.path().to_owned()),
        ..sb::config()
    };
    let running = start(config.clone(), Seed::demo()).await;
    let api = Api::new(&running);
    let (package, _) = api
        .package_of(
            "acme-uat",
            json!({"inputs": {"services": ["pricing/rating"]}}),
        )
        .await;
    api.import_and_wait("acme-prod", "tok-acme-prod", package, None)
        .await;
    let before = world(&running).await;
    running.shutdown().await;
    let restarted = start(config, Seed::demo()).await;
    assert_eq!(world(&restarted).await, before);
    assert_eq!(
        versions(&restarted, "acme-prod", "pricing", "rating")
            .await
            .len(),
        1
    );
    let api = Api::new(&restarted);
    let (again, _) = api
        .package_of(
            "acme-prod",
            json!({"inputs": {"services": ["pricing/rating"]}}),
        )
        .await;
    assert!(!again.is_empty());
}

// ---------------------------------------------------------------- memory

/// Peak resident memory (VmHWM) of a process, in kB.
#[cfg(target_os = "linux")]
pub fn peak_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Runs `spark-promote sandbox --listen 127.0.0.1:0 ARGS` as a child process (killed on drop) and returns
/// it with its root URL, read from its log.
pub async fn spawn_sandbox(args: &[&str]) -> (tokio::process::Child, String) {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_spark-promote"))
        .args(["sandbox", "--listen", "127.0.0.1:0"])
        .args(args)
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let root = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("the sandbox logs its address");
        if let Some(url) = line.split("listening on ").nth(1) {
            break url.trim().to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, root)
}

#[cfg(target_os = "linux")]
#[tokio::test]
#[allow(clippy::print_stderr)]
async fn a_200_mb_upload_completes_with_the_sandbox_under_64_mb_resident() {
    const SIZE: u64 = 200 << 20;
    let (mut child, root) =
        spawn_sandbox(&["--job-duration", "100ms", "--max-upload-mb", "256"]).await;
    let chunks = futures_util::stream::iter(
        (0..SIZE >> 20).map(|_| Ok::<_, std::io::Error>(vec![7u8; 1 << 20])),
    );
    let part =
        Part::stream_with_length(reqwest::Body::wrap_stream(chunks), SIZE).file_name("package.zip");
    let response = reqwest::Client::new()
        .post(format!("{root}/acme-prod/api/v4/import"))
        .bearer_auth("tok-acme-prod")
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
    let peak = peak_rss_kb(child.id().unwrap());
    eprintln!(
        "sandbox peak resident memory after a 200 MiB upload: {} kB ({:.1} MiB)",
        peak,
        peak as f64 / 1024.0
    );
    assert!(peak < 64 * 1024, "peak RSS {peak} kB");
    child.kill().await.unwrap();
}
