//! Reads of the destination: the v3 service `exists` and the v1 folder `isproductexists`.
use super::*;

#[tokio::test]
async fn service_exists_reads_the_v3_exists_call_with_encoded_names() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/{TENANT}/api/v3/folders/my%20folder/services/quote/exists"
        )))
        .respond_with(ok_json(json!({
            "status": "Success",
            "response_data": {"id": "s-1", "name": "quote", "is_exists": true, "version": "1.1.0",
                              "latest_version_id": "v-11", "service_status": "active"},
            "response_meta": {}, "error": null
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/{TENANT}/api/v3/folders/pricing/services/new/exists"
        )))
        .respond_with(ok_json(
            json!({"status": "Success", "response_data": {"is_exists": false}}),
        ))
        .mount(&server)
        .await;
    let client = client(&server, bearer());

    let info = client.service_exists("my folder", "quote").await.unwrap();
    assert!(info.exists);
    assert_eq!(info.version.as_deref(), Some("1.1.0"));
    assert_eq!(info.latest_version_id.as_deref(), Some("v-11"));
    assert_eq!(info.id.as_deref(), Some("s-1"));
    assert!(
        !client
            .service_exists("pricing", "new")
            .await
            .unwrap()
            .exists
    );
}

#[tokio::test]
async fn folder_exists_posts_to_the_v1_api_at_the_host_root_with_the_tenant_header() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/product/isproductexists/pricing"))
        .and(header("x-tenant-name", TENANT))
        .respond_with(ok_json(json!({"status": "Success", "data": true})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/product/isproductexists/nope"))
        .respond_with(ok_json(json!({"status": "Success", "data": false})))
        .mount(&server)
        .await;
    let client = client(&server, api_key());

    assert!(client.folder_exists("pricing").await.unwrap());
    assert!(!client.folder_exists("nope").await.unwrap());
}

#[tokio::test]
async fn service_versions_reads_getversions_at_the_host_root_and_a_404_is_no_service() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/product/pricing/engines/getversions/quote"))
        .and(header("x-tenant-name", TENANT))
        .respond_with(ok_json(json!({
            "status": "Success",
            "data": [
                {"id": "v-11", "revision": "1.1.0", "serviceId": "s-1", "extra": {"kept": "out"}},
                {"id": "v-10"}
            ],
            "message": null, "errorCode": null
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/product/pricing/engines/getversions/empty"))
        .respond_with(ok_json(json!({"status": "Success", "data": null})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/product/pricing/engines/getversions/gone"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"error": "not_found", "message": "no such service"})),
        )
        .mount(&server)
        .await;
    let client = client(&server, bearer());

    let versions = client
        .service_versions("pricing", "quote")
        .await
        .unwrap()
        .unwrap();
    let got: Vec<(&str, Option<&str>)> = versions
        .iter()
        .map(|v| (v.id.as_str(), v.version.as_deref()))
        .collect();
    assert_eq!(got, vec![("v-11", Some("1.1.0")), ("v-10", None)]);
    assert_eq!(
        client.service_versions("pricing", "empty").await.unwrap(),
        Some(vec![])
    );
    assert_eq!(
        client.service_versions("pricing", "gone").await.unwrap(),
        None
    );
}
