//! The export index has one name everywhere: `export -o NAME.zip` writes `NAME.zip.json`, and a plan of a
//! committed package without it says which file it looked for. A downloaded package's sha256 is the file's.
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use sha2::{Digest, Sha256};
use spark_promote::manifest::VersionFilter;
use spark_promote::promote::cancel::Cancel;
use spark_promote::promote::progress::{SharedProgress, Silent};
use spark_promote::promote::source::export::{self, ExportJob};
use spark_promote::promote::source::request::{ExportSelection, export_of};
use spark_promote::spark::{Auth, Client, ClientOptions};

use crate::support::cli::Lab;

#[tokio::test(flavor = "multi_thread")]
async fn export_writes_name_zip_json_and_a_plan_without_it_names_that_file() {
    let lab = Lab::start(Duration::from_millis(300)).await;
    std::fs::create_dir(lab.path("packages")).unwrap();
    lab.manifest("promotions: []\n");
    let output = lab
        .cli(&[
            "export",
            "--env",
            "uat",
            "--service",
            "pricing/quote",
            "-o",
            "packages/quote.zip",
        ])
        .await;
    assert_eq!(output.code, 0, "{output:?}");
    assert_eq!(output.json()["index"], "packages/quote.zip.json");
    std::fs::remove_file(lab.path("packages/quote.zip.json")).unwrap();

    lab.manifest(
        "promotions:\n  - name: quote\n    from: { package: packages/quote.zip }\n    to: prod\n    \
         services_existing: add_version\n    update_version_type: major\n",
    );
    let plan = lab.cli(&["plan", "--json"]).await;
    assert_eq!(plan.code, 0, "{plan:?}");
    let warnings = plan.json()["promotions"][0]["warnings"].clone();
    insta::assert_json_snapshot!("plan_of_a_package_without_its_index", warnings);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exported_package_records_the_sha256_and_size_of_the_file_it_downloaded() {
    let lab = Lab::start(Duration::from_millis(100)).await;
    let client = Client::new(
        lab.sandbox.base_url("acme-prod").parse().unwrap(),
        Auth::Bearer(SecretString::from("tok-acme-prod")),
        ClientOptions::default(),
    )
    .unwrap();
    let request = export_of(
        &ExportSelection {
            services: &["pricing/quote".to_string()],
            folders: &[],
            version_ids: &[],
            version_filter: VersionFilter::All,
        },
        "spark-promote-test".to_string(),
    );
    let destination = lab.path("quote.zip");
    let progress: SharedProgress = Arc::new(Silent);
    let exported = export::run(
        ExportJob {
            client: &client,
            environment: Some("prod"),
            request,
            label: "export",
            wait: Duration::from_secs(30),
            cancel: &Cancel::new(),
            progress: &progress,
        },
        Some(&destination),
    )
    .await
    .unwrap();

    let package = exported.package.expect("downloaded");
    let bytes = std::fs::read(&destination).unwrap();
    assert_eq!(package.sha256, hex::encode(Sha256::digest(&bytes)));
    assert_eq!(package.size, bytes.len() as u64);
    assert_eq!(package.path, destination);
}
