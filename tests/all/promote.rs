//! The promotion engine end to end: the real binary against a sandbox on 127.0.0.1:0.
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::cli::{Lab, each_compat, read};
use crate::support::sandbox::calls;

const QUICK: Duration = Duration::from_millis(300);

fn promotion(result: &Value) -> &Value {
    &result["promotions"][0]
}

fn destination_versions(result: &Value) -> Vec<String> {
    promotion(result)["service_versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|version| {
            format!(
                "{}[{}]",
                version["service_destination"].as_str().unwrap(),
                version["version_destination"].as_str().unwrap()
            )
        })
        .collect()
}

const UAT_TO_PROD: &str = r#"promotions:
  - name: pricing
    from: { environment: uat, services: [pricing/quote], version_filter: all }
    to: prod
    services_existing: add_version
    update_version_type: minor
"#;

#[tokio::test(flavor = "multi_thread")]
async fn apply_exports_from_uat_and_imports_into_prod_with_each_auth_kind() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        for (target, existing) in [("prod", "add_version"), ("prodkey", "replace")] {
            lab.manifest(&format!(
                "promotions:\n  - name: pricing\n    from: {{ environment: uat, services: [pricing/quote], version_filter: all }}\n    to: {target}\n    services_existing: {existing}\n"
            ));
            let output = lab.cli(&["apply", "--json"]).await;
            assert_eq!(output.code, 0, "{output:?}");
            output.assert_no_secret();
            let result = output.json();
            assert_eq!(promotion(&result)["status"], "completed", "{result:#}");
            assert!(promotion(&result)["export_job_id"].is_string());
        }
        // uat's token came from the client-credentials endpoint; the two imports reached acme-prod.
        let imports = lab.jobs_of("import").await;
        assert_eq!(imports.len(), 2);
        assert!(imports.iter().all(|job| job["tenant"] == "acme-prod"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn add_version_bumps_minor_from_the_destination_latest() {
    let lab = Lab::start(QUICK).await;
    lab.manifest(UAT_TO_PROD);
    let result = lab.cli(&["apply", "--json"]).await.json();
    assert_eq!(promotion(&result)["status"], "completed", "{result:#}");
    assert_eq!(promotion(&result)["services"][0]["status"], "updated");
    // prod had pricing/quote 1.0.0; uat's 1.0.0 and 1.1.0 become 1.1.0 and 1.2.0.
    assert_eq!(
        destination_versions(&result),
        vec!["pricing/quote[1.1.0]", "pricing/quote[1.2.0]"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_services_existing_and_update_version_type_does_what_spark_documents() {
    let cases = [
        ("abort", "minor", "failed", vec![]),
        (
            "replace",
            "minor",
            "completed",
            vec!["pricing/quote[1.0.0]", "pricing/quote[1.1.0]"],
        ),
        (
            "add_version",
            "major",
            "completed",
            vec!["pricing/quote[2.0.0]", "pricing/quote[3.0.0]"],
        ),
        (
            "add_version",
            "patch",
            "completed",
            vec!["pricing/quote[1.0.1]", "pricing/quote[1.0.2]"],
        ),
        ("add_version", "copy", "failed", vec![]),
    ];
    for (existing, update, expected, versions) in cases {
        let lab = Lab::start(QUICK).await;
        lab.manifest(&format!(
            "promotions:\n  - name: pricing\n    from: {{ environment: uat, services: [pricing/quote], version_filter: all }}\n    to: prod\n    services_existing: {existing}\n    update_version_type: {update}\n"
        ));
        let output = lab.cli(&["apply", "--json"]).await;
        let result = output.json();
        let case = format!("{existing}/{update}: {result:#}");
        assert_eq!(promotion(&result)["status"], expected, "{case}");
        assert_eq!(
            output.code,
            if expected == "completed" { 0 } else { 1 },
            "{case}"
        );
        if expected == "completed" {
            assert_eq!(destination_versions(&result), versions, "{case}");
        } else {
            assert!(
                !promotion(&result)["errors"].as_array().unwrap().is_empty(),
                "{case}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn services_mapping_remaps_the_destination_with_its_own_version_type() {
    let lab = Lab::start(QUICK).await;
    lab.manifest(
        r#"promotions:
  - name: pricing
    from: { environment: uat, services: [pricing/rating] }
    to: prod
    services:
      - { source: pricing/rating, destination: pricing/rating-v2, update_version_type: major }
"#,
    );
    let result = lab.cli(&["apply", "--json"]).await.json();
    assert_eq!(promotion(&result)["status"], "completed", "{result:#}");
    assert_eq!(
        promotion(&result)["services"][0]["destination"],
        "pricing/rating-v2"
    );
    assert_eq!(promotion(&result)["services"][0]["status"], "added");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_identical_apply_is_skipped_without_a_new_job() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        lab.manifest(UAT_TO_PROD);
        let first = lab.cli(&["apply", "--json"]).await.json();
        assert_eq!(promotion(&first)["status"], "completed", "{first:#}");
        let second = lab.cli(&["apply", "--json"]).await;
        assert_eq!(second.code, 0, "{second:?}");
        let second = second.json();
        assert_eq!(promotion(&second)["status"], "skipped", "{second:#}");
        assert_eq!(promotion(&second)["job_id"], promotion(&first)["job_id"]);
        assert_eq!(
            promotion(&second)["correlation_id"],
            promotion(&first)["correlation_id"]
        );
        assert_eq!(destination_versions(&second), destination_versions(&first));
        assert_eq!(lab.jobs_of("import").await.len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_committed_package_is_imported_and_its_correlation_id_follows_its_bytes() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        let package = lab
            .export_package("quote.zip", &["--service", "pricing/quote"])
            .await;
        assert!(read(&lab.path("quote.zip.json")).contains("pricing/quote"));
        std::fs::create_dir_all(lab.path("packages")).unwrap();
        std::fs::copy(&package, lab.path("packages/quote.zip")).unwrap();
        std::fs::copy(
            lab.path("quote.zip.json"),
            lab.path("packages/quote.zip.json"),
        )
        .unwrap();
        lab.manifest(
            "promotions:\n  - name: quote\n    from: { package: packages/quote.zip }\n    to: prod\n    services_existing: replace\n",
        );
        let plan = lab.cli(&["plan", "--json"]).await;
        assert_eq!(plan.code, 0, "{plan:?}");
        let plan = plan.json();
        assert_eq!(promotion(&plan)["status"], "planned");
        assert_eq!(
            promotion(&plan)["services"][0]["status"],
            "replaced",
            "{plan:#}"
        );
        let apply = lab.cli(&["apply", "--json"]).await.json();
        assert_eq!(promotion(&apply)["status"], "completed", "{apply:#}");
        assert_eq!(
            promotion(&apply)["correlation_id"],
            promotion(&plan)["correlation_id"]
        );
        assert_eq!(
            lab.jobs_of("import").await.len(),
            1,
            "plan made no import"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_predicts_added_updated_and_would_fail_without_importing() {
    let lab = Lab::start(QUICK).await;
    lab.manifest(
        r#"promotions:
  - name: pricing
    from: { environment: uat, folders: [pricing], version_filter: all }
    to: prod
    services_existing: add_version
  - name: strict
    from: { environment: uat, services: [pricing/quote] }
    to: prod
    services:
      - { source: pricing/quote, destination: missing/quote }
"#,
    );
    let output = lab.cli(&["plan", "--json"]).await;
    assert_eq!(
        output.code, 1,
        "a predicted failure fails the plan: {output:?}"
    );
    let result = output.json();
    let services = result["promotions"][0]["services"].as_array().unwrap();
    let find = |uri: &str| {
        services
            .iter()
            .find(|s| s["source"] == uri)
            .unwrap()
            .clone()
    };
    assert_eq!(find("pricing/quote")["status"], "updated");
    assert_eq!(find("pricing/quote")["next_version"], "1.1.0, 1.2.0");
    assert_eq!(find("pricing/rating")["status"], "added");
    let strict = &result["promotions"][1]["services"][0];
    assert_eq!(strict["status"], "would_fail");
    assert!(
        strict["detail"]
            .as_str()
            .unwrap()
            .contains("folder missing"),
        "{strict}"
    );
    assert!(lab.jobs_of("import").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn two_concurrent_identical_applies_create_one_job() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(Duration::from_millis(1500), compat).await;
        lab.manifest(UAT_TO_PROD);
        let (a, b) = tokio::join!(lab.cli(&["apply", "--json"]), lab.cli(&["apply", "--json"]));
        for output in [&a, &b] {
            assert_eq!(output.code, 0, "{output:?}");
            let status = promotion(&output.json())["status"].clone();
            assert!(status == "completed" || status == "skipped", "{output:?}");
        }
        assert_eq!(
            promotion(&a.json())["job_id"],
            promotion(&b.json())["job_id"]
        );
        assert_eq!(lab.jobs_of("import").await.len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_busy_tenant_is_waited_for_and_the_blocking_job_is_named() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(Duration::from_millis(1500), compat).await;
        let package = lab
            .export_package("quote.zip", &["--service", "pricing/quote"])
            .await;
        std::fs::create_dir_all(lab.path("packages")).unwrap();
        std::fs::copy(&package, lab.path("packages/quote.zip")).unwrap();
        // Someone else's export occupies acme-prod.
        let busy_id = lab.occupy_prod().await;
        lab.manifest(
            "promotions:\n  - name: quote\n    from: { package: packages/quote.zip }\n    to: prod\n    services_existing: replace\n",
        );
        let output = lab.cli(&["apply", "--json"]).await;
        assert_eq!(output.code, 0, "{output:?}");
        assert!(
            output.stderr.contains(&busy_id),
            "the wait names the job: {}",
            output.stderr
        );
        assert_eq!(promotion(&output.json())["status"], "completed");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_mid_job_cancels_it_on_the_sandbox_and_exits_143() {
    each_compat(|compat| async move {
        // The package comes from a quick sandbox; the import runs on a slow one.
        let source = Lab::start_compat(QUICK, compat).await;
        let package = source
            .export_package("quote.zip", &["--service", "pricing/quote"])
            .await;
        let lab = Lab::start_compat(Duration::from_secs(20), compat).await;
        std::fs::create_dir_all(lab.path("packages")).unwrap();
        std::fs::copy(&package, lab.path("packages/quote.zip")).unwrap();
        lab.manifest(
            "promotions:\n  - name: quote\n    from: { package: packages/quote.zip }\n    to: prod\n    services_existing: replace\n",
        );
        let child = lab.command(&["apply", "--json"], &[]).spawn().unwrap();
        let pid = child.id().unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while lab.jobs_of("import").await.is_empty() {
            assert!(std::time::Instant::now() < deadline, "no import started");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let signalled = std::time::Instant::now();
        std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        let output = child.wait_with_output().await.unwrap();
        assert!(
            signalled.elapsed() < Duration::from_secs(5),
            "took {:?}",
            signalled.elapsed()
        );
        assert_eq!(output.status.code(), Some(143));
        let imports = lab.jobs_of("import").await;
        assert_eq!(imports.len(), 1);
        assert_eq!(imports[0]["status"], "cancelled", "{imports:?}");
        let result: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(promotion(&result)["status"], "cancelled");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn retries_on_429_503_and_dropped_polls_never_create_a_second_job() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        lab.manifest(UAT_TO_PROD);
        lab.fault(json!({"route": "import_status", "count": 2, "status": 429, "retry_after": 1}))
            .await;
        lab.fault(json!({"route": "imports", "count": 1, "status": 503}))
            .await;
        lab.fault(json!({"route": "export_status", "count": 1, "drop": true}))
            .await;
        lab.fault(json!({"route": "token", "count": 1, "status": 502}))
            .await;
        let output = lab.cli(&["apply", "--json"]).await;
        assert_eq!(output.code, 0, "{output:?}");
        assert_eq!(promotion(&output.json())["status"], "completed");
        assert_eq!(lab.jobs_of("import").await.len(), 1);
        assert_eq!(lab.jobs_of("export").await.len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_refused_with_503_is_not_re_sent_and_a_rerun_imports_once() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        lab.manifest(UAT_TO_PROD);
        lab.fault(json!({"route": "import", "count": 1, "status": 503}))
            .await;
        let refused = lab.cli(&["apply", "--json"]).await;
        assert_eq!(
            refused.code, 1,
            "a refused POST is not retried blindly: {refused:?}"
        );
        assert_eq!(lab.jobs_of("import").await.len(), 0);
        let output = lab.cli(&["apply", "--json"]).await;
        assert_eq!(output.code, 0, "{output:?}");
        assert_eq!(lab.jobs_of("import").await.len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_manifest_exits_2_with_its_location() {
    let lab = Lab::start(QUICK).await;
    lab.manifest("promotions:\n  - name: x\n    from: { environment: uat, services: [a/b] }\n    to: prod\n    service_existing: replace\n");
    let output = lab.cli(&["apply"]).await;
    assert_eq!(output.code, 2, "{output:?}");
    assert!(
        output.stderr.contains("spark-promote.yaml:17:5"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("service_existing"),
        "{}",
        output.stderr
    );
    assert!(lab.jobs().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn status_and_cancel_read_the_official_sdk_variables_without_a_manifest() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(Duration::from_secs(20), compat).await;
        let id = lab.occupy_prod().await;
        let id = id.as_str();
        let base = format!("{}/acme-prod", lab.url());
        let env = [
            ("CSPARK_BASE_URL", base.as_str()),
            ("CSPARK_BEARER_TOKEN", "tok-acme-prod"),
        ];
        let status = lab
            .cli_with(&["status", "--kind", "export", id], &env)
            .await;
        assert_eq!(status.code, 0, "{status:?}");
        assert_eq!(status.json()["id"], id);
        let cancel = lab
            .cli_with(&["cancel", "--kind", "export", id], &env)
            .await;
        assert_eq!(cancel.code, 0, "{cancel:?}");
        assert_eq!(lab.jobs_of("export").await[0]["status"], "cancelled");
        cancel.assert_no_secret();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_post_whose_answer_is_lost_is_found_by_correlation_id_not_sent_twice() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        lab.manifest(UAT_TO_PROD);
        // The sandbox creates the job, then drops the connection instead of answering.
        lab.fault(json!({"route": "import", "drop_response": true}))
            .await;
        let output = lab.cli(&["apply", "--json"]).await;
        assert_eq!(output.code, 0, "{output:?}");
        assert!(
            output.stderr.contains("with our correlation id"),
            "{}",
            output.stderr
        );
        let imports = lab.jobs_of("import").await;
        assert_eq!(imports.len(), 1);
        assert_eq!(promotion(&output.json())["job_id"], imports[0]["id"]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_package_spark_refuses_with_a_documented_500_fails_its_promotion_with_a_hint_sent_once() {
    let lab = Lab::start_config(spark_promote::sandbox::Config {
        job_duration: QUICK,
        max_upload_bytes: 3000,
        compat: spark_promote::sandbox::Compat::Spec,
        ..spark_promote::sandbox::Config::default()
    })
    .await;
    std::fs::create_dir_all(lab.path("packages")).unwrap();
    // Over the tenant's limit, though under the client's own (Spark's default).
    crate::support::package::write(&lab.path("packages/big.zip"), &["pricing/quote"], 6000);
    // A whole ZIP, but not a package Spark can read.
    let mut foreign =
        zip::ZipWriter::new(std::fs::File::create(lab.path("packages/foreign.zip")).unwrap());
    foreign
        .start_file("readme.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    foreign.finish().unwrap();
    for (package, code, hint) in [
        (
            "big",
            "EXCEEDED_FILE_SIZE",
            "package over the tenant's size limit",
        ),
        (
            "foreign",
            "INVALID_IMPORT_ZIP",
            "Spark could not read the package",
        ),
    ] {
        lab.manifest(&format!(
            "promotions:\n  - name: p\n    from: {{ package: packages/{package}.zip }}\n    to: prod\n    services_existing: replace\n"
        ));
        let before = calls(&lab.sandbox, "import").await;
        let output = lab.cli(&["apply", "--json"]).await;
        assert_eq!(output.code, 1, "{output:?}");
        let result = output.json();
        assert_eq!(promotion(&result)["status"], "failed", "{result:#}");
        let errors = promotion(&result)["errors"].to_string();
        assert!(
            errors.contains(&format!("import refused (500): {code}: ")),
            "{errors}"
        );
        assert!(errors.contains(hint), "{errors}");
        // A definite answer: no lookup for a job that may exist, nothing sent again.
        assert!(
            !output.stderr.contains("looking for the job"),
            "{}",
            output.stderr
        );
        assert_eq!(calls(&lab.sandbox, "import").await - before, 1);
    }
    assert!(lab.jobs_of("import").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_completed_import_whose_status_says_errors_empty_object_is_a_success() {
    let lab = Lab::start_compat(QUICK, spark_promote::sandbox::Compat::Spec).await;
    lab.manifest(UAT_TO_PROD);
    let output = lab.cli(&["apply", "--json"]).await;
    assert_eq!(output.code, 0, "{output:?}");
    let result = output.json();
    assert_eq!(promotion(&result)["status"], "completed", "{result:#}");
    assert_eq!(promotion(&result)["errors"], json!([]), "{result:#}");
    // What the sandbox answered for that job: the OpenAPI file's required `errors` object, empty.
    let id = promotion(&result)["job_id"].as_str().unwrap().to_owned();
    let status = lab
        .api_get(
            &format!("/acme-prod/api/v4/import/{id}/status"),
            "tok-acme-prod",
        )
        .await;
    assert_eq!(status["status"], "completed");
    assert_eq!(status["errors"], json!({}), "{status:#}");
}
