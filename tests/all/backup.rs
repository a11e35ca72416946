//! Backups before destructive imports and `spark-promote rollback`: the real binary against a sandbox.
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::cli::{Lab, each_compat};

const QUICK: Duration = Duration::from_millis(300);

fn promotion(result: &Value) -> &Value {
    &result["promotions"][0]
}

/// A promotion of uat's pricing/quote (all its versions) into prod.
fn quote_to_prod(existing: &str, extra: &str) -> String {
    format!(
        "promotions:\n  - name: pricing\n    from: {{ environment: uat, services: [pricing/quote], version_filter: all }}\n    to: prod\n    services_existing: {existing}\n{extra}"
    )
}

/// Applies, expecting success, and returns the backup's path (relative to the work directory).
async fn apply_with_backup(lab: &Lab) -> String {
    let output = lab.cli(&["apply", "--json"]).await;
    assert_eq!(output.code, 0, "{output:?}");
    let result = output.json();
    assert_eq!(promotion(&result)["status"], "completed", "{result:#}");
    let backup = promotion(&result)["backup"]
        .as_str()
        .unwrap_or_else(|| panic!("no backup in {result:#}"))
        .to_string();
    assert!(
        backup.starts_with(".spark-promote/backups/pricing-") && backup.ends_with("Z.zip"),
        "{backup}"
    );
    assert!(lab.path(&backup).is_file(), "{backup} was not written");
    assert!(lab.path(&format!("{backup}.json")).is_file());
    backup
}

async fn rollback(lab: &Lab, backup: &str, extra: &[&str]) -> Value {
    let mut args = vec!["rollback", "--env", "prod", "--backup", backup, "--json"];
    args.extend_from_slice(extra);
    let output = lab.cli(&args).await;
    assert_eq!(output.code, 0, "{output:?}");
    output.assert_no_secret();
    output.json()
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_after_a_replace_restores_the_versions_and_their_ids() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        let before = lab.versions_of("acme-prod", "pricing/quote").await;
        lab.manifest(&quote_to_prod("replace", ""));
        let backup = apply_with_backup(&lab).await;
        // The backup is an export of the destination, with every version.
        let exports = lab.jobs_of("export").await;
        assert_eq!(
            exports
                .iter()
                .map(|job| job["tenant"].clone())
                .collect::<Vec<_>>(),
            [json!("acme-uat"), json!("acme-prod")]
        );
        let index: Value =
            serde_json::from_slice(&std::fs::read(lab.path(&format!("{backup}.json"))).unwrap())
                .unwrap();
        let ids: Vec<String> = index["service_versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                format!(
                    "{}={}",
                    v["version_source"].as_str().unwrap(),
                    v["version_id_source"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(ids, before);
        let replaced = lab.versions_of("acme-prod", "pricing/quote").await;
        assert_ne!(replaced, before);
        // A re-run imports nothing, so it takes no second backup (only the source's export runs again).
        let rerun = lab.cli(&["apply", "--json"]).await;
        assert_eq!(promotion(&rerun.json())["status"], "skipped", "{rerun:?}");
        assert_eq!(promotion(&rerun.json())["backup"], Value::Null);
        assert_eq!(lab.jobs_of("export").await.len(), 3);
        assert_eq!(
            std::fs::read_dir(lab.path(".spark-promote/backups"))
                .unwrap()
                .count(),
            2,
            "one backup and its index"
        );

        let dry = rollback(&lab, &backup, &["--dry-run"]).await;
        assert_eq!(dry["command"], "plan");
        assert_eq!(promotion(&dry)["status"], "planned", "{dry:#}");
        assert_eq!(promotion(&dry)["services"][0]["status"], "replaced");
        assert_eq!(lab.jobs_of("import").await.len(), 1);
        assert_eq!(
            lab.versions_of("acme-prod", "pricing/quote").await,
            replaced
        );

        let restored = rollback(&lab, &backup, &[]).await;
        assert_eq!(restored["command"], "rollback");
        assert_eq!(promotion(&restored)["status"], "completed", "{restored:#}");
        assert_eq!(promotion(&restored)["backup"], Value::Null);
        assert_eq!(lab.versions_of("acme-prod", "pricing/quote").await, before);

        let again = rollback(&lab, &backup, &[]).await;
        assert_eq!(promotion(&again)["status"], "skipped", "{again:#}");
        assert_eq!(lab.jobs_of("import").await.len(), 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_promotion_undone_by_a_rollback_is_imported_again_once_and_so_is_the_rollback() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        let before = lab.versions_of("acme-prod", "pricing/quote").await;
        lab.manifest(&quote_to_prod("replace", ""));
        let first = lab.cli(&["apply", "--json"]).await.json();
        let backup = promotion(&first)["backup"].as_str().unwrap().to_string();
        let replaced = lab.versions_of("acme-prod", "pricing/quote").await;
        assert_eq!(
            promotion(&rollback(&lab, &backup, &[]).await)["status"],
            "completed"
        );
        assert_eq!(lab.versions_of("acme-prod", "pricing/quote").await, before);

        // Within the hour, the first import job is still listed, but what it imported is gone: plan and
        // apply both say it is to be imported, under a new correlation id.
        let plan = lab.cli(&["plan", "--json"]).await;
        assert_eq!(plan.code, 0, "{plan:?}");
        let planned = promotion(&plan.json()).clone();
        assert_eq!(planned["status"], "planned", "{planned:#}");
        assert_eq!(planned["services"][0]["status"], "replaced");
        assert_ne!(
            planned["correlation_id"],
            promotion(&first)["correlation_id"]
        );
        let again = lab.cli(&["apply", "--json"]).await;
        assert_eq!(again.code, 0, "{again:?}");
        let again = promotion(&again.json()).clone();
        assert_eq!(again["status"], "completed", "{again:#}");
        assert_eq!(again["correlation_id"], planned["correlation_id"]);
        assert_eq!(
            lab.versions_of("acme-prod", "pricing/quote").await,
            replaced
        );
        assert_eq!(lab.jobs_of("import").await.len(), 3);

        // Once imported again, it is applied: a re-run imports nothing.
        let rerun = lab.cli(&["apply", "--json"]).await.json();
        assert_eq!(promotion(&rerun)["status"], "skipped", "{rerun:#}");
        assert_eq!(lab.jobs_of("import").await.len(), 3);

        // The rollback was undone by that import: it runs again too, once.
        let second = rollback(&lab, &backup, &[]).await;
        assert_eq!(promotion(&second)["status"], "completed", "{second:#}");
        assert_eq!(lab.versions_of("acme-prod", "pricing/quote").await, before);
        let repeat = rollback(&lab, &backup, &[]).await;
        assert_eq!(promotion(&repeat)["status"], "skipped", "{repeat:#}");
        assert_eq!(lab.jobs_of("import").await.len(), 4);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_after_add_version_with_backup_removes_the_added_versions() {
    let lab = Lab::start(QUICK).await;
    let before = lab.versions_of("acme-prod", "pricing/quote").await;
    lab.manifest(&quote_to_prod("add_version", "    backup: true\n"));
    let output = lab.cli(&["apply", "--format", "markdown"]).await;
    assert_eq!(output.code, 0, "{output:?}");
    let backups: Vec<_> = std::fs::read_dir(lab.path(".spark-promote/backups"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".zip"))
        .collect();
    let [name] = backups.as_slice() else {
        panic!("one backup expected: {backups:?}")
    };
    let backup = format!(".spark-promote/backups/{name}");
    // The summary names the backup and the command that undoes the promotion.
    assert!(
        output.stdout.contains(&format!(
            "- **Backup**: <code>{backup}</code> (undo with <code>spark-promote rollback --env prod \
             --backup {backup}</code>)"
        )),
        "{}",
        output.stdout
    );
    let updated = lab.versions_of("acme-prod", "pricing/quote").await;
    assert_eq!(updated.len(), before.len() + 2, "{updated:?}");

    let restored = rollback(&lab, &backup, &[]).await;
    assert_eq!(promotion(&restored)["status"], "completed", "{restored:#}");
    assert_eq!(lab.versions_of("acme-prod", "pricing/quote").await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn add_version_by_default_and_replace_with_backup_false_take_none() {
    for (existing, extra) in [("add_version", ""), ("replace", "    backup: false\n")] {
        let lab = Lab::start(QUICK).await;
        lab.manifest(&quote_to_prod(existing, extra));
        let output = lab.cli(&["apply", "--json"]).await;
        assert_eq!(output.code, 0, "{existing}: {output:?}");
        assert_eq!(promotion(&output.json())["status"], "completed");
        assert_eq!(promotion(&output.json())["backup"], Value::Null);
        let exports = lab.jobs_of("export").await;
        assert_eq!(exports.len(), 1, "{existing}: only the source's export");
        assert_eq!(exports[0]["tenant"], "acme-uat");
        assert!(!lab.path(".spark-promote/backups").exists());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_says_which_existing_services_apply_will_back_up_first() {
    let lab = Lab::start(QUICK).await;
    for (existing, extra, detail) in [
        (
            "replace",
            "",
            json!("Spark deletes its API call history (replace); backed up first"),
        ),
        (
            "replace",
            "    backup: false\n",
            json!("Spark deletes its API call history (replace)"),
        ),
        ("add_version", "", Value::Null),
        (
            "add_version",
            "    backup: true\n",
            json!("backed up first"),
        ),
    ] {
        lab.manifest(&quote_to_prod(existing, extra));
        let output = lab.cli(&["plan", "--json"]).await;
        assert_eq!(output.code, 0, "{existing}: {output:?}");
        let result = output.json();
        let service = &promotion(&result)["services"][0];
        assert_eq!(service["destination"], "pricing/quote");
        assert_eq!(service["detail"], detail, "{existing} {extra}: {service:#}");
    }
    // The summary says it in the service's row.
    lab.manifest(&quote_to_prod("replace", ""));
    let output = lab.cli(&["plan"]).await;
    assert!(
        output
            .stdout
            .contains("replaced: Spark deletes its API call history (replace); backed up first"),
        "{}",
        output.stdout
    );
    assert!(
        lab.jobs_of("import").await.is_empty(),
        "a plan imports nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_backup_export_stops_the_promotion_before_its_import() {
    let lab = Lab::start(QUICK).await;
    let package = lab
        .export_package("quote.zip", &["--service", "pricing/quote"])
        .await;
    assert!(package.is_file());
    lab.manifest(
        "promotions:\n  - name: pricing\n    from: { package: quote.zip }\n    to: prod\n    services_existing: replace\n",
    );
    lab.fault(json!({ "fail_next_job": "the docstore is unavailable" }))
        .await;
    let before = lab.versions_of("acme-prod", "pricing/quote").await;
    let output = lab.cli(&["apply", "--json"]).await;
    assert_eq!(output.code, 1, "{output:?}");
    let result = output.json();
    assert_eq!(promotion(&result)["status"], "failed");
    let errors = promotion(&result)["errors"].to_string();
    assert!(
        errors.contains("backup of pricing/quote in prod failed; nothing was imported")
            && errors.contains("the docstore is unavailable"),
        "{errors}"
    );
    assert!(lab.jobs_of("import").await.is_empty());
    assert_eq!(lab.versions_of("acme-prod", "pricing/quote").await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_destination_service_has_nothing_to_back_up_and_says_so() {
    let lab = Lab::start(QUICK).await;
    lab.manifest(&quote_to_prod(
        "replace",
        "    services:\n      - { source: pricing/quote, destination: pricing/quote-new }\n",
    ));
    let output = lab.cli(&["apply", "--json"]).await;
    assert_eq!(output.code, 0, "{output:?}");
    let result = output.json();
    assert_eq!(promotion(&result)["backup"], Value::Null);
    let warnings = promotion(&result)["warnings"].to_string();
    assert!(
        warnings.contains(
            "pricing/quote-new did not exist in prod before this import: a rollback cannot remove it"
        ),
        "{warnings}"
    );
    assert_eq!(lab.jobs_of("export").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_refuses_a_backup_without_its_index() {
    let lab = Lab::start(QUICK).await;
    lab.manifest("promotions: []\n");
    let package = lab
        .export_package("quote.zip", &["--service", "pricing/quote"])
        .await;
    std::fs::remove_file(lab.path("quote.zip.json")).unwrap();
    assert!(package.is_file());
    let output = lab
        .cli(&["rollback", "--env", "prod", "--backup", "quote.zip"])
        .await;
    assert_eq!(output.code, 2, "{output:?}");
    assert!(
        output
            .stderr
            .contains("backup quote.zip: its index quote.zip.json is missing"),
        "{}",
        output.stderr
    );
}

/// The value of a step output (`name<<DELIMITER`, value lines, `DELIMITER`).
fn output(outputs: &str, name: &str) -> String {
    let mut lines = outputs.lines();
    let head = lines
        .by_ref()
        .find(|line| line.starts_with(&format!("{name}<<")))
        .unwrap_or_else(|| panic!("no output {name} in {outputs}"));
    let delimiter = head.split_once("<<").unwrap().1;
    lines
        .take_while(|line| *line != delimiter)
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_action_outputs_the_backup_and_its_rollback_command_restores_it() {
    let lab = Lab::start(QUICK).await;
    let before = lab.versions_of("acme-prod", "pricing/quote").await;
    lab.manifest(&quote_to_prod("replace", ""));
    let applied = lab.action(&[("INPUT_COMMAND", "apply")]).await;
    assert_eq!(applied.output.code, 0, "{applied:?}");
    let backup = output(&applied.outputs, "backup");
    assert!(
        backup.starts_with(".spark-promote/backups/pricing-") && backup.ends_with("Z.zip"),
        "the backup is relative to the workspace: {backup}"
    );
    assert!(lab.path(&backup).is_file());
    assert!(
        applied
            .result
            .contains(&format!("\"backup\": \"{backup}\""))
    );
    assert_ne!(lab.versions_of("acme-prod", "pricing/quote").await, before);

    // No environment input: the backup's own (acme-prod is prod's and prodkey's URL, so it is named).
    let ambiguous = lab
        .action(&[("INPUT_COMMAND", "rollback"), ("INPUT_BACKUP", &backup)])
        .await;
    assert_eq!(ambiguous.output.code, 2, "{ambiguous:?}");
    assert!(
        ambiguous.output.stderr.contains(
            "which several environments of spark-promote.yaml have: name the environment"
        ),
        "{}",
        ambiguous.output.stderr
    );
    let restored = lab
        .action(&[
            ("INPUT_COMMAND", "rollback"),
            ("INPUT_BACKUP", &backup),
            ("INPUT_ENVIRONMENT", "prod"),
        ])
        .await;
    assert_eq!(restored.output.code, 0, "{restored:?}");
    restored.assert_no_secret();
    assert_eq!(output(&restored.outputs, "status"), "completed");
    assert!(
        restored.summary.contains("spark-promote rollback"),
        "{}",
        restored.summary
    );
    assert_eq!(lab.versions_of("acme-prod", "pricing/quote").await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_asked_for_backup_of_a_package_whose_services_are_unknown_stops_the_import() {
    let lab = Lab::start(QUICK).await;
    lab.export_package("quote.zip", &["--service", "pricing/quote"])
        .await;
    std::fs::remove_file(lab.path("quote.zip.json")).unwrap();
    lab.manifest(
        "promotions:\n  - name: pricing\n    from: { package: quote.zip }\n    to: prod\n    services_existing: replace\n    backup: true\n",
    );
    let output = lab.cli(&["apply", "--json"]).await;
    assert_eq!(output.code, 1, "{output:?}");
    let errors = promotion(&output.json())["errors"].to_string();
    assert!(
        errors.contains("cannot back up prod: the services of this package are unknown"),
        "{errors}"
    );
    assert!(lab.jobs_of("import").await.is_empty());
}
