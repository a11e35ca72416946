//! Import rules: new and existing services, `services_existing`, version bumps, remapping and version ids.
use serde_json::{Value, json};
use spark_promote::sandbox::Running;

use super::{Api, QUOTE_1_0_AND_1_1, assert_failed_with, column, two_tenants, versions};
use crate::support::sandbox::{catalog, start_seed};

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
    let before = catalog(&running).await;
    let status = promote_quote(&running, entity).await;
    assert_eq!(status["status"], "failed");
    let message = status["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("pricing/quote already exists"),
        "{message}"
    );
    assert_eq!(
        catalog(&running).await,
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
    let before = catalog(&running).await;
    let entity = json!({"services_existing": "add_version", "inputs": {"services_modify": [{"service_uri_source": "pricing/quote", "update_version_type": "copy"}]}});
    let status = promote_quote(&running, Some(entity)).await;
    assert_failed_with(&status, "1.1.0");
    assert_eq!(catalog(&running).await, before);
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
