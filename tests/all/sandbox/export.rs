//! Export: what each filter selects, the download, and packages moving between tenants or failing to import.
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{
    Api, assert_failed_with, bad_request, column, demo_with_upload_limit, export_pricing,
    two_tenants, versions,
};
use crate::support::sandbox::{catalog, jobs, root, start_demo, start_seed};

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
    let catalog = catalog(&running).await;
    let rating_id = catalog["tenants"]["src"]["folders"]["pricing"]["services"]["rating"]["id"]
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
