//! Reads: `exists`, `isproductexists` and `getversions`.
use serde_json::Value;

use super::{Api, column};
use crate::support::sandbox::start_demo;

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
