//! The lock file: `lock` pins the source versions, plan and apply export exactly those, `--locked` refuses
//! to run without an up-to-date lock.
use std::time::Duration;

use serde_json::Value;

use crate::support::cli::{Lab, each_compat, read};

const QUICK: Duration = Duration::from_millis(300);

pub(crate) const LATEST_QUOTE: &str = r#"promotions:
  - name: pricing
    from: { environment: uat, services: [pricing/quote], version_filter: latest }
    to: prod
    services_existing: add_version
"#;

fn promotion(result: &Value) -> &Value {
    &result["promotions"][0]
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item.as_str().unwrap().to_string())
        .collect()
}

/// The version id of `version` of a service in the sandbox.
async fn version_id(lab: &Lab, tenant: &str, uri: &str, version: &str) -> String {
    lab.versions_of(tenant, uri)
        .await
        .iter()
        .find_map(|held| {
            held.strip_prefix(&format!("{version}="))
                .map(str::to_string)
        })
        .unwrap_or_else(|| panic!("{uri} {version} is not in {tenant}"))
}

/// Adds pricing/quote 1.2.0 to acme-uat, as a team publishing a new version would (an import of a new
/// package into uat, driven by a second manifest).
pub(crate) async fn publish_newer_quote_in_uat(lab: &Lab) {
    crate::support::package::write(&lab.path("new-quote.zip"), &["pricing/quote"], 16);
    lab.write(
        "publish.yaml",
        &format!(
            "{}promotions:\n  - name: publish\n    from: {{ package: new-quote.zip }}\n    to: uat\n    services_existing: add_version\n",
            crate::support::cli::ENVIRONMENTS
        ),
    );
    let output = lab.cli(&["apply", "-m", "publish.yaml"]).await;
    assert_eq!(output.code, 0, "{output:?}");
    let versions = lab.versions_of("acme-uat", "pricing/quote").await;
    assert!(versions[2].starts_with("1.2.0="), "{versions:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_ships_the_locked_versions_after_the_source_moved_on_and_plan_says_so() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        lab.manifest(LATEST_QUOTE);
        let locked = lab.cli(&["lock"]).await;
        assert_eq!(locked.code, 0, "{locked:?}");
        locked.assert_no_secret();
        let locked_id = version_id(&lab, "acme-uat", "pricing/quote", "1.1.0").await;
        assert!(read(&lab.path("spark-promote.lock")).contains(&locked_id));

        publish_newer_quote_in_uat(&lab).await;

        let plan = lab.cli(&["plan", "--json", "--locked"]).await;
        assert_eq!(plan.code, 0, "{plan:?}");
        let plan = plan.json();
        assert!(
            strings(&promotion(&plan)["warnings"]).contains(
                &"uat has pricing/quote 1.2.0; locked 1.1.0; run `spark-promote lock` to update"
                    .to_string()
            ),
            "{plan:#}"
        );
        assert_eq!(promotion(&plan)["services"][0]["next_version"], "1.1.0");

        let apply = lab.cli(&["apply", "--json", "--locked"]).await;
        assert_eq!(apply.code, 0, "{apply:?}");
        let apply = apply.json();
        assert_eq!(promotion(&apply)["status"], "completed", "{apply:#}");
        let shipped: Vec<&Value> = promotion(&apply)["service_versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|version| &version["version_id_source"])
            .collect();
        assert_eq!(shipped, vec![&Value::String(locked_id)], "{apply:#}");
        assert_eq!(
            promotion(&apply)["correlation_id"],
            promotion(&plan)["correlation_id"],
            "the correlation id derives from the locked ids"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_version_gone_from_the_source_fails_before_any_import() {
    let lab = Lab::start(QUICK).await;
    lab.manifest(LATEST_QUOTE);
    assert_eq!(lab.cli(&["lock"]).await.code, 0);
    let locked_id = version_id(&lab, "acme-uat", "pricing/quote", "1.1.0").await;
    lab.remove_service("acme-uat", "pricing/quote").await;

    for command in ["plan", "apply"] {
        let output = lab.cli(&[command, "--json"]).await;
        assert_eq!(output.code, 1, "{command}: {output:?}");
        let result = output.json();
        assert_eq!(promotion(&result)["status"], "failed", "{result:#}");
        assert_eq!(
            strings(&promotion(&result)["errors"]),
            vec![format!(
                "locked version pricing/quote 1.1.0 (id {locked_id}) no longer exists in uat; nothing \
                 imported; run `spark-promote lock` to update"
            )],
            "{command}"
        );
    }
    assert!(lab.jobs_of("import").await.is_empty());
    assert!(
        lab.jobs_of("export").await.len() == 1,
        "only the lock's export ran"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn locked_refuses_a_missing_stale_or_partial_lock_with_exit_2() {
    let lab = Lab::start(QUICK).await;
    let lock = "spark-promote.lock";
    lab.manifest(LATEST_QUOTE);
    let missing = lab.cli(&["apply", "--locked"]).await;
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(
        missing.stderr.contains(&format!(
            "--locked: {lock} is missing; run `spark-promote lock` and commit it"
        )),
        "{missing:?}"
    );

    assert_eq!(lab.cli(&["lock"]).await.code, 0);
    lab.manifest(&LATEST_QUOTE.replace("add_version", "replace"));
    let without = lab.cli(&["plan", "--json"]).await;
    assert_eq!(
        without.code, 0,
        "without --locked a stale entry is a warning: {without:?}"
    );
    assert!(
        strings(&promotion(&without.json())["warnings"]).contains(&format!(
            "{lock} is stale for promotion pricing (its manifest entry changed); run \
             `spark-promote lock -p pricing`; its selectors were resolved without the lock"
        )),
        "{without:?}"
    );
    let stale = lab.cli(&["plan", "--locked"]).await;
    assert_eq!(stale.code, 2, "{stale:?}");
    assert!(
        stale.stderr.contains(&format!(
            "--locked: {lock} is stale for promotion pricing (its manifest entry changed); run \
             `spark-promote lock -p pricing`"
        )),
        "{stale:?}"
    );

    assert_eq!(lab.cli(&["lock"]).await.code, 0);
    lab.manifest(&format!(
        "{}  - name: rating\n    from: {{ environment: uat, services: [pricing/rating] }}\n    to: prod\n",
        LATEST_QUOTE.replace("add_version", "replace")
    ));
    let partial = lab.cli(&["apply", "--locked"]).await;
    assert_eq!(partial.code, 2, "{partial:?}");
    assert!(
        partial.stderr.contains(&format!(
            "--locked: {lock} does not cover promotion rating; run `spark-promote lock -p rating`"
        )),
        "{partial:?}"
    );
    // Selecting only what the lock covers runs.
    let covered = lab.cli(&["plan", "--locked", "-p", "pricing"]).await;
    assert_eq!(covered.code, 0, "{covered:?}");

    let action = lab
        .action(&[("INPUT_COMMAND", "apply"), ("INPUT_LOCKED", "true")])
        .await;
    assert_eq!(action.output.code, 2, "{:?}", action.output);
    assert!(action.outputs.contains("invalid"), "{}", action.outputs);
    assert!(
        action.output.stdout.contains("::error::--locked:"),
        "{}",
        action.output.stdout
    );
    assert!(lab.jobs_of("import").await.is_empty());

    // Locking the other one keeps the first's entry as it was.
    let before = read(&lab.path(lock));
    assert_eq!(lab.cli(&["lock", "-p", "rating"]).await.code, 0);
    let after = read(&lab.path(lock));
    assert!(after.starts_with(&before[..before.find("  pricing:").unwrap()]));
    assert!(
        after.contains(&before[before.find("  pricing:").unwrap()..]),
        "{after}"
    );
    assert!(after.contains("  rating:"), "{after}");
    assert_eq!(lab.cli(&["plan", "--locked"]).await.code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn lock_writes_a_reviewed_stable_file_and_a_changed_package_makes_its_entry_stale() {
    let lab = Lab::start(QUICK).await;
    std::fs::create_dir_all(lab.path("packages")).unwrap();
    crate::support::package::write(&lab.path("packages/quote.zip"), &["pricing/quote"], 16);
    lab.manifest(
        r#"promotions:
  - name: pricing
    from: { environment: uat, folders: [pricing], version_filter: all }
    to: prod
    services_existing: add_version
  - name: committed
    from: { package: packages/quote.zip }
    to: prod
    services_existing: replace
"#,
    );
    let output = lab.cli(&["lock"]).await;
    assert_eq!(output.code, 0, "{output:?}");
    let written = read(&lab.path("spark-promote.lock"));
    let mut text = written
        .lines()
        .map(|line| match line.split_once("package_sha256: ") {
            Some((indent, _)) => format!("{indent}package_sha256: <sha256 of packages/quote.zip>"),
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    for (uri, version) in [
        ("pricing/quote", "1.0.0"),
        ("pricing/quote", "1.1.0"),
        ("pricing/rating", "2.0.0"),
    ] {
        let id = version_id(&lab, "acme-uat", uri, version).await;
        text = text.replace(&id, &format!("<id of {uri} {version}>"));
    }
    insta::assert_snapshot!(text);
    // Locking again with nothing changed writes the same bytes: a lock's diff is only real change.
    assert_eq!(lab.cli(&["lock"]).await.code, 0);
    assert_eq!(read(&lab.path("spark-promote.lock")), written);

    // A committed package that changed since it was locked makes its entry stale.
    crate::support::package::write(&lab.path("packages/quote.zip"), &["pricing/quote"], 16);
    let changed = lab.cli(&["plan", "--locked", "-p", "committed"]).await;
    assert_eq!(changed.code, 2, "{changed:?}");
    assert!(
        changed.stderr.contains(
            "--locked: spark-promote.lock is stale for promotion committed (package packages/quote.zip \
             changed); run `spark-promote lock -p committed`"
        ),
        "{changed:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn lock_update_rewrites_only_the_entries_that_moved_and_prints_them() {
    let lab = Lab::start(QUICK).await;
    let lock = lab.path("spark-promote.lock");
    lab.manifest(&format!(
        "{LATEST_QUOTE}  - name: rating\n    from: {{ environment: uat, services: [pricing/rating] }}\n    to: prod\n"
    ));
    let missing = lab.cli(&["lock", "--update"]).await;
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(
        missing
            .stderr
            .contains("--update: spark-promote.lock is missing; run `spark-promote lock` first"),
        "{missing:?}"
    );
    assert_eq!(lab.cli(&["lock"]).await.code, 0);
    let before = read(&lock);
    let modified = std::fs::metadata(&lock).unwrap().modified().unwrap();

    let nothing = lab.cli(&["lock", "--update"]).await;
    assert_eq!(nothing.code, 0, "{nothing:?}");
    assert_eq!(nothing.stdout, "no entry moved\n");
    assert_eq!(
        std::fs::metadata(&lock).unwrap().modified().unwrap(),
        modified,
        "a lock with nothing moved is not rewritten"
    );

    publish_newer_quote_in_uat(&lab).await;
    let moved = lab.cli(&["lock", "--update"]).await;
    assert_eq!(moved.code, 0, "{moved:?}");
    assert_eq!(moved.stdout, "pricing: pricing/quote 1.1.0 -> 1.2.0\n");
    let after = read(&lock);
    let rating = |text: &str| text[text.find("  rating:").unwrap()..].to_string();
    assert_eq!(rating(&after), rating(&before), "rating did not move");
    let newest = version_id(&lab, "acme-uat", "pricing/quote", "1.2.0").await;
    let locked = version_id(&lab, "acme-uat", "pricing/quote", "1.1.0").await;
    assert!(
        after.contains(&newest) && !after.contains(&locked),
        "{after}"
    );
    assert!(before.contains(&locked));
    // Only pricing's version lines changed.
    let changed: Vec<(&str, &str)> = before
        .lines()
        .zip(after.lines())
        .filter(|(was, is)| was != is)
        .collect();
    assert_eq!(changed.len(), 2, "{changed:?}");
    assert_eq!(before.lines().count(), after.lines().count());
}
