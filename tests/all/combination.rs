//! Promises in combination, as teams combine them (issue "true in combination"): each scenario is one that
//! gave a wrong answer looking like success before the one decision from the destination's state.
use serde_json::Value;

use crate::support::cli::{ENVIRONMENTS, Lab, each_compat};
use crate::support::sandbox::JOB_DURATION as QUICK;

fn promotion(result: &Value) -> &Value {
    &result["promotions"][0]
}

fn statuses(result: &Value) -> Vec<(String, String)> {
    promotion(result)["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["destination"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const RELEASE: &str = "promotions:
  - name: release
    from: { environment: uat, services: [pricing/quote, pricing/rating] }
    to: prod
    services_existing: add_version
    update_version_type: copy
";

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_release_with_an_unchanged_service_ships_only_what_is_missing() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        lab.manifest(RELEASE);
        let first = lab.cli(&["apply", "--json"]).await;
        assert_eq!(first.code, 0, "{first:?}");
        let rating = lab.versions_of("acme-prod", "pricing/rating").await;
        assert_eq!(rating.len(), 1, "{rating:?}");
        // UAT moves on for one service only.
        crate::lock::publish_newer_quote_in_uat(&lab).await;
        lab.manifest(RELEASE);

        let plan = lab.cli(&["plan", "--json"]).await;
        assert_eq!(plan.code, 0, "{plan:?}");
        let plan = plan.json();
        assert_eq!(promotion(&plan)["status"], "planned", "{plan:#}");
        assert_eq!(
            statuses(&plan),
            [
                ("pricing/quote".to_string(), "updated".to_string()),
                ("pricing/rating".to_string(), "unchanged".to_string()),
            ],
            "{plan:#}"
        );

        let apply = lab.cli(&["apply", "--json"]).await;
        assert_eq!(apply.code, 0, "{apply:?}");
        let apply = apply.json();
        assert_eq!(promotion(&apply)["status"], "completed", "{apply:#}");
        // Only the missing version was exported (a second, narrowed export: the first apply's, the
        // plan's, this apply's and its narrowed one) and imported.
        assert_eq!(lab.jobs_of("export").await.len(), 4);
        let imported: Vec<&Value> = promotion(&apply)["service_versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| &v["service_destination"])
            .collect();
        assert_eq!(imported, ["pricing/quote"], "{apply:#}");
        let quote = lab.versions_of("acme-prod", "pricing/quote").await;
        assert!(quote.iter().any(|v| v.starts_with("1.2.0=")), "{quote:?}");
        assert_eq!(lab.versions_of("acme-prod", "pricing/rating").await, rating);

        // And the release is done: a re-run imports nothing.
        let imports = lab.jobs_of("import").await.len();
        let again = lab.cli(&["apply", "--json"]).await;
        assert_eq!(again.code, 0, "{again:?}");
        assert_eq!(promotion(&again.json())["status"], "skipped");
        assert_eq!(lab.jobs_of("import").await.len(), imports);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_committed_package_with_one_service_already_there_stops_before_any_post_naming_it() {
    let lab = Lab::start(QUICK).await;
    lab.manifest(RELEASE);
    assert_eq!(lab.cli(&["apply"]).await.code, 0);
    crate::lock::publish_newer_quote_in_uat(&lab).await;
    // The release as a committed package (with its index): quote 1.2.0 is new, rating 2.0.0 is there.
    lab.export_package(
        "release.zip",
        &["--service", "pricing/quote", "--service", "pricing/rating"],
    )
    .await;
    lab.manifest(
        "promotions:
  - name: release
    from: { package: release.zip }
    to: prod
    services_existing: add_version
    update_version_type: copy
",
    );
    let imports = lab.jobs_of("import").await.len();
    let apply = lab.cli(&["apply", "--json"]).await;
    assert_eq!(apply.code, 1, "{apply:?}");
    let errors = promotion(&apply.json())["errors"].to_string();
    assert!(
        errors.contains("the package release.zip cannot be narrowed to what is missing: pricing/rating already holds what it ships"),
        "{errors}"
    );
    assert_eq!(lab.jobs_of("import").await.len(), imports, "nothing POSTed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollback_goes_back_only_where_its_backup_came_from() {
    let lab = Lab::start(QUICK).await;
    lab.manifest("promotions: []\n");
    let export = lab
        .cli(&[
            "export",
            "--env",
            "prod",
            "-o",
            "prod-quote.zip",
            "--service",
            "pricing/quote",
        ])
        .await;
    assert_eq!(export.code, 0, "{export:?}");
    let uat_before = lab.versions_of("acme-uat", "pricing/quote").await;

    let refused = lab
        .cli(&["rollback", "--env", "uat", "--backup", "prod-quote.zip"])
        .await;
    assert_eq!(refused.code, 2, "{refused:?}");
    let url = lab.url();
    assert!(
        refused.stderr.contains(&format!(
            "backup prod-quote.zip was exported from {url}/acme-prod, not from uat ({url}/acme-uat): a \
             backup goes back only where it came from (--env prod or --env prodkey)"
        )),
        "{}",
        refused.stderr
    );
    assert!(lab.jobs_of("import").await.is_empty());
    assert_eq!(
        lab.versions_of("acme-uat", "pricing/quote").await,
        uat_before
    );

    // Without --env it goes home, with only that environment's secret.
    let one_prod = ENVIRONMENTS.split("  prodkey:").next().unwrap();
    lab.write("spark-promote.yaml", &format!("{one_prod}promotions: []\n"));
    let home = lab
        .cli_with(
            &["rollback", "--backup", "prod-quote.zip", "--json"],
            &[("SPARK_UAT_CLIENT_SECRET", "")],
        )
        .await;
    assert_eq!(home.code, 0, "{home:?}");
    assert_eq!(promotion(&home.json())["target"], "prod");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_only_key_imports_with_one_warning_and_is_idempotent_within_the_hour() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        lab.write(
            "spark-promote.yaml",
            &format!(
                "{ENVIRONMENTS}  prodimports:
    url: {{{{URL}}}}/acme-prod
    auth: {{ api_key: \"${{SPARK_PROD_IMPORT_KEY}}\" }}
promotions:
  - name: pricing
    from: {{ environment: uat, services: [pricing/quote], version_filter: all }}
    to: prodimports
    services_existing: add_version
"
            ),
        );
        let key = [("SPARK_PROD_IMPORT_KEY", "key-acme-prod-imports")];
        let before = lab.versions_of("acme-prod", "pricing/quote").await.len();
        let apply = lab.cli_with(&["apply", "--json"], &key).await;
        assert_eq!(apply.code, 0, "{apply:?}");
        let result = apply.json();
        assert_eq!(promotion(&result)["status"], "completed", "{result:#}");
        let warnings = promotion(&result)["warnings"].to_string();
        assert!(
            warnings.contains(
                "could not check the versions of pricing/quote in prodimports: refused (403)"
            ) && warnings.contains("Spark.Imports.json"),
            "{warnings}"
        );
        assert_eq!(
            lab.versions_of("acme-prod", "pricing/quote").await.len(),
            before + 2
        );
        let again = lab.cli_with(&["apply", "--json"], &key).await;
        assert_eq!(again.code, 0, "{again:?}");
        let again = again.json();
        assert_eq!(promotion(&again)["status"], "skipped", "{again:#}");
        assert_eq!(promotion(&again)["skip"]["by"], "job");
        assert_eq!(lab.jobs_of("import").await.len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replace_whose_ids_could_not_migrate_is_recognised_after_the_hour_by_the_journal() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        // The same source service into two destinations of one tenant: the second cannot keep the ids.
        lab.manifest(
            "promotions:
      - name: main
        from: { environment: uat, services: [pricing/rating] }
        to: prod
        services_existing: replace
      - name: copy
        from: { environment: uat, services: [pricing/rating] }
        to: prod
        services_existing: replace
        services:
          - { source: pricing/rating, destination: pricing/rating-b }
    ",
        );
        let first = lab.cli(&["apply", "--json"]).await;
        assert_eq!(first.code, 0, "{first:?}");
        assert_eq!(lab.jobs_of("import").await.len(), 2);
        lab.advance_clock(2 * 3600).await;

        let again = lab.cli(&["apply", "--json"]).await;
        assert_eq!(again.code, 0, "{again:?}");
        let again = again.json();
        let skips: Vec<&Value> = again["promotions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| &p["skip"]["by"])
            .collect();
        assert_eq!(skips, ["destination", "record"], "{again:#}");
        assert!(
            again["promotions"][1]["warnings"]
                .to_string()
                .contains("recorded in .spark-promote/records.json"),
            "{again:#}"
        );
        assert_eq!(lab.jobs_of("import").await.len(), 2, "no needless replace");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_that_predicts_a_failure_says_so_in_its_status_and_the_lock_needs_no_destination_secret()
 {
    let lab = Lab::start(QUICK).await;
    lab.manifest(
        "promotions:
  - name: pricing
    from: { environment: uat, services: [pricing/quote] }
    to: prod
",
    );
    let plan = lab.cli(&["plan", "--json"]).await;
    assert_eq!(plan.code, 1, "{plan:?}");
    assert_eq!(promotion(&plan.json())["status"], "would_fail");

    let lock = lab
        .cli_with(
            &["lock"],
            &[("SPARK_PROD_TOKEN", ""), ("SPARK_PROD_API_KEY", "")],
        )
        .await;
    assert_eq!(lock.code, 0, "{lock:?}");
}
