//! The admin side: call counts per route and tenant, the job list, and the state dir kept across restarts.
use reqwest::StatusCode;
use serde_json::{Value, json};
use spark_promote::sandbox::{Config, Seed};

use super::{Api, some_package, versions};
use crate::support::sandbox::{self as sb, catalog, jobs, start, start_demo, stats};

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
    let package = api.package_of_service("acme-uat", "pricing/rating").await;
    api.import_and_wait("acme-prod", "tok-acme-prod", package, None)
        .await;
    let before = catalog(&running).await;
    running.shutdown().await;
    let restarted = start(config, Seed::demo()).await;
    assert_eq!(catalog(&restarted).await, before);
    assert_eq!(
        versions(&restarted, "acme-prod", "pricing", "rating")
            .await
            .len(),
        1
    );
    let api = Api::new(&restarted);
    let again = api.package_of_service("acme-prod", "pricing/rating").await;
    assert!(!again.is_empty());
}
