//! A thin client of the sandbox for the tests, independent of the crate's own Spark client.
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use spark_promote::sandbox::Running;

use crate::support::sandbox::root;

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

    /// Exports one service (`folder/service`) of `tenant` with its seeded token and downloads the package.
    pub async fn package_of_service(&self, tenant: &str, service: &str) -> Vec<u8> {
        self.package_of(
            tenant,
            serde_json::json!({"inputs": {"services": [service]}}),
        )
        .await
        .0
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
