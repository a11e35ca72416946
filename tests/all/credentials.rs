//! Credentials of every environment of a run are checked before its first job, and a refusal names the
//! environment and the variables of its secrets (never a value): the real binary against a sandbox.
use std::time::Duration;

use crate::support::cli::{Lab, Output, each_compat};

const QUICK: Duration = Duration::from_millis(300);

const UAT_TO_PROD: &str = "promotions:\n  - name: pricing\n    from: { environment: uat, services: [pricing/quote], version_filter: all }\n    to: prod\n    services_existing: add_version\n";

/// stderr with the sandbox's port and the request id taken out (they change every run).
fn stable(lab: &Lab, output: &Output) -> String {
    let text = output.stderr.replace(&lab.url(), "http://127.0.0.1:[port]");
    match (text.find("[request id "), text.rfind(']')) {
        (Some(start), Some(end)) if end > start => {
            format!("{}[request id [uuid]]{}", &text[..start], &text[end + 1..])
        }
        _ => text,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_production_token_is_found_before_the_uat_export_starts() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        lab.manifest(UAT_TO_PROD);
        for command in ["plan", "apply"] {
            let output = lab
                .cli_with(&[command], &[("SPARK_PROD_TOKEN", "tok-revoked")])
                .await;
            assert_eq!(output.code, 1, "{output:?}");
            assert!(
                !output.stderr.contains("tok-revoked") && !output.stdout.contains("tok-revoked"),
                "{output:?}"
            );
            insta::assert_snapshot!(
                format!("refused_prod_token_{command}_{compat:?}"),
                stable(&lab, &output)
            );
        }
        assert_eq!(lab.jobs_of("export").await, Vec::<serde_json::Value>::new());
        assert_eq!(lab.jobs_of("import").await, Vec::<serde_json::Value>::new());
        // With the right token the same run goes ahead.
        let output = lab.cli(&["apply"]).await;
        assert_eq!(output.code, 0, "{output:?}");
        assert_eq!(lab.jobs_of("export").await.len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_client_secret_names_both_variables_of_the_environment() {
    let lab = Lab::start(QUICK).await;
    lab.manifest(UAT_TO_PROD);
    let output = lab
        .cli_with(&["apply"], &[("SPARK_UAT_CLIENT_SECRET", "not-the-secret")])
        .await;
    assert_eq!(output.code, 1, "{output:?}");
    assert!(!output.stderr.contains("not-the-secret"), "{output:?}");
    insta::assert_snapshot!(stable(&lab, &output));
    assert!(lab.jobs().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_only_key_passes_the_check_and_imports() {
    let lab = Lab::start(QUICK).await;
    lab.manifest(&UAT_TO_PROD.replace("to: prod", "to: prodkey"));
    let output = lab
        .cli_with(
            &["apply", "--json"],
            &[("SPARK_PROD_API_KEY", "key-acme-prod-imports")],
        )
        .await;
    assert_eq!(output.code, 0, "{output:?}");
    assert_eq!(output.json()["promotions"][0]["status"], "completed");
}
