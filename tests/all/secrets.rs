//! Least privilege: a run reads only the secrets of the environments its selected promotions (or its
//! `--env`) use. The real binary against a sandbox, with `SPARK_PROD_TOKEN` (the production secret a
//! nightly sync into another environment never needs) unset.
use std::time::Duration;

use crate::support::cli::{Lab, Output};

const QUICK: Duration = Duration::from_millis(300);

/// `release` goes to prod (bearer `SPARK_PROD_TOKEN`); `nightly-sync` to prodkey (`SPARK_PROD_API_KEY`);
/// both export from uat (client credentials).
const PROMOTIONS: &str = r#"promotions:
  - name: release
    from: { environment: uat, services: [pricing/quote] }
    to: prod
    services_existing: add_version
  - name: nightly-sync
    from: { environment: uat, services: [pricing/quote] }
    to: prodkey
    services_existing: replace
"#;

/// The secret no selected promotion below needs.
const UNSELECTED: &str = "SPARK_PROD_TOKEN";

/// Runs the binary with every test secret but `unset`.
async fn cli_without(lab: &Lab, args: &[&str], unset: &str) -> Output {
    let mut command = lab.command(args, &[]);
    command.env_remove(unset);
    command.output().await.expect("binary runs").into()
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_plan_apply_and_export_of_a_selection_need_only_the_secrets_of_its_environments() {
    let lab = Lab::start(QUICK).await;
    lab.manifest(PROMOTIONS);
    let selected = ["-p", "nightly-sync"];
    for args in [
        vec!["validate"],
        vec!["plan", "--json"],
        vec!["apply", "--json"],
    ] {
        let args: Vec<&str> = args.into_iter().chain(selected).collect();
        let output = cli_without(&lab, &args, UNSELECTED).await;
        assert_eq!(output.code, 0, "{args:?}: {output:?}");
        output.assert_no_secret();
    }
    let imports = lab.jobs_of("import").await;
    assert_eq!(imports.len(), 1, "{imports:#?}");
    assert_eq!(imports[0]["tenant"], "acme-prod");

    let export = ["export", "--env", "uat", "--service", "pricing/quote"];
    let output = cli_without(
        &lab,
        &[&export[..], &["-o", "quote.zip"]].concat(),
        UNSELECTED,
    )
    .await;
    assert_eq!(output.code, 0, "{output:?}");
    assert!(lab.path("quote.zip.json").is_file());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_secret_is_still_an_error_for_whatever_uses_its_environment() {
    let lab = Lab::start(QUICK).await;
    lab.manifest(PROMOTIONS);
    let mut messages = Vec::new();
    for args in [
        // Without -p every environment is checked.
        vec!["validate"],
        vec!["validate", "-p", "release"],
        vec!["apply", "-p", "release", "-p", "nightly-sync"],
        vec![
            "export",
            "--env",
            "prod",
            "--service",
            "pricing/quote",
            "-o",
            "q.zip",
        ],
        // A name the manifest lacks is said as such, not as a missing secret.
        vec!["plan", "-p", "nightly-synk"],
        vec![
            "export",
            "--env",
            "stage",
            "--service",
            "pricing/quote",
            "-o",
            "q.zip",
        ],
    ] {
        let output = cli_without(&lab, &args, UNSELECTED).await;
        assert_eq!(output.code, 2, "{args:?}: {output:?}");
        output.assert_no_secret();
        messages.push(format!(
            "$ spark-promote {}\n{}",
            args.join(" "),
            output.stderr
        ));
    }
    assert!(lab.jobs().await.is_empty(), "a job was started");
    insta::assert_snapshot!("missing_secret_of_a_used_environment", messages.join("\n"));
}
