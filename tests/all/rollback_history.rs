//! `spark-promote rollback --keep-history`: a backup put back on top with `add_version` (new version
//! numbers, the old content), so that Spark keeps the service's API call history; the real binary against
//! a sandbox, under both answer shapes. Exact rollback (`replace`) is in `backup.rs`.
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::cli::{Lab, each_compat};

const QUICK: Duration = Duration::from_millis(300);

const REPLACE_ALL_OF_QUOTE: &str = "promotions:\n  - name: pricing\n    from: { environment: uat, services: [pricing/quote], version_filter: all }\n    to: prod\n    services_existing: replace\n";

fn promotion(result: &Value) -> &Value {
    &result["promotions"][0]
}

/// What prod's pricing/quote computes from its defaults, called by service URI (its newest version) or by
/// a version id.
async fn premium(lab: &Lab, version_id: Option<&str>) -> Value {
    let path = match version_id {
        Some(id) => format!("/acme-prod/api/v3/version/{id}"),
        None => "/acme-prod/api/v3/folders/pricing/services/quote/execute".to_string(),
    };
    let answer: Value = reqwest::Client::new()
        .post(format!("{}{path}", lab.url()))
        .bearer_auth("tok-acme-prod")
        .json(&json!({ "request_data": { "inputs": {} } }))
        .send()
        .await
        .and_then(|response| response.error_for_status())
        .expect("the execute call answers")
        .json()
        .await
        .expect("JSON");
    answer["response_data"]["outputs"]["premium"].clone()
}

async fn rollback(lab: &Lab, backup: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "rollback",
        "--env",
        "prod",
        "--backup",
        backup,
        "--keep-history",
        "--json",
    ];
    args.extend_from_slice(extra);
    let output = lab.cli(&args).await;
    assert_eq!(output.code, 0, "{output:?}");
    output.assert_no_secret();
    output.json()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollback_that_keeps_history_puts_the_backup_on_top_and_leaves_the_older_versions() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        let before = lab.versions_of("acme-prod", "pricing/quote").await;
        let old = premium(&lab, None).await;
        lab.manifest(REPLACE_ALL_OF_QUOTE);
        let applied = lab.cli(&["apply", "--json"]).await;
        assert_eq!(applied.code, 0, "{applied:?}");
        let backup = promotion(&applied.json())["backup"]
            .as_str()
            .expect("a backup")
            .to_string();
        let replaced = lab.versions_of("acme-prod", "pricing/quote").await;
        assert_eq!(replaced.len(), 2, "{replaced:?}");
        let new = premium(&lab, None).await;
        assert_ne!(new, old, "uat's 1.1.0 computes otherwise than prod's 1.0.0");

        let dry = rollback(&lab, &backup, &["--dry-run"]).await;
        let row = &promotion(&dry)["services"][0];
        assert_eq!(promotion(&dry)["status"], "planned", "{dry:#}");
        assert_eq!(row["status"], "updated", "{dry:#}");
        assert_eq!(row["next_version"], "1.1.1", "{dry:#}");
        assert_eq!(
            lab.versions_of("acme-prod", "pricing/quote").await,
            replaced
        );

        let restored = rollback(&lab, &backup, &[]).await;
        let row = &promotion(&restored)["services"][0];
        assert_eq!(restored["command"], "rollback");
        assert_eq!(promotion(&restored)["status"], "completed", "{restored:#}");
        assert!(
            promotion(&restored)["name"]
                .as_str()
                .unwrap()
                .ends_with("-keep-history"),
            "{restored:#}"
        );
        assert_eq!(row["status"], "updated", "{restored:#}");
        let detail = row["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("older versions stay, and so does the API call history (add_version)"),
            "{detail}"
        );
        // The older versions stay, with their ids; the backup's content is on top, at a new number.
        let after = lab.versions_of("acme-prod", "pricing/quote").await;
        assert_eq!(after[..2], replaced[..], "{after:?}");
        assert_eq!(after.len(), 3, "{after:?}");
        let (number, id) = after[2].split_once('=').unwrap();
        assert_eq!(number, "1.1.1");
        assert!(
            !before.iter().chain(&replaced).any(|v| v.ends_with(id)),
            "a new version id: {after:?}"
        );
        assert_eq!(
            premium(&lab, None).await,
            old,
            "calls by URI: the old behaviour"
        );
        assert_eq!(premium(&lab, Some(id)).await, old);

        // Done once: a re-run within Spark's hour, and after it (the journal's record of this rollback).
        let imports = lab.jobs_of("import").await.len();
        let again = rollback(&lab, &backup, &[]).await;
        assert_eq!(promotion(&again)["status"], "skipped", "{again:#}");
        lab.advance_clock(2 * 3600).await;
        let later = rollback(&lab, &backup, &[]).await;
        assert_eq!(promotion(&later)["status"], "skipped", "{later:#}");
        assert_eq!(lab.jobs_of("import").await.len(), imports);
        assert_eq!(lab.versions_of("acme-prod", "pricing/quote").await, after);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_keep_history_rollback_after_an_exact_one_finds_the_backup_there() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(QUICK, compat).await;
        let before = lab.versions_of("acme-prod", "pricing/quote").await;
        lab.manifest(REPLACE_ALL_OF_QUOTE);
        let applied = lab.cli(&["apply", "--json"]).await;
        assert_eq!(applied.code, 0, "{applied:?}");
        let backup = promotion(&applied.json())["backup"]
            .as_str()
            .expect("a backup")
            .to_string();
        let exact = lab
            .cli(&["rollback", "--env", "prod", "--backup", &backup, "--json"])
            .await;
        assert_eq!(exact.code, 0, "{exact:?}");
        let exact = exact.json();
        let row = &promotion(&exact)["services"][0];
        assert_eq!(row["status"], "replaced");
        assert!(
            row["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("Spark deletes its API call history (replace)"),
            "{row:#}"
        );
        assert_eq!(lab.versions_of("acme-prod", "pricing/quote").await, before);
        lab.advance_clock(2 * 3600).await;
        let kept = rollback(&lab, &backup, &[]).await;
        assert_eq!(promotion(&kept)["status"], "skipped", "{kept:#}");
        assert_eq!(lab.versions_of("acme-prod", "pricing/quote").await, before);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_action_rolls_back_keeping_history_with_rollback_mode_and_refuses_an_unknown_mode() {
    let lab = Lab::start(QUICK).await;
    lab.manifest(REPLACE_ALL_OF_QUOTE);
    let applied = lab.cli(&["apply", "--json"]).await;
    assert_eq!(applied.code, 0, "{applied:?}");
    let backup = promotion(&applied.json())["backup"]
        .as_str()
        .expect("a backup")
        .to_string();
    let replaced = lab.versions_of("acme-prod", "pricing/quote").await;
    let wrong = lab
        .action(&[
            ("INPUT_COMMAND", "rollback"),
            ("INPUT_BACKUP", &backup),
            ("INPUT_ENVIRONMENT", "prod"),
            ("INPUT_ROLLBACK-MODE", "gentle"),
        ])
        .await;
    assert_eq!(wrong.output.code, 2, "{:?}", wrong.output);
    assert!(
        wrong.output.stderr.contains("rollback-mode"),
        "{:?}",
        wrong.output
    );
    let run = lab
        .action(&[
            ("INPUT_COMMAND", "rollback"),
            ("INPUT_BACKUP", &backup),
            ("INPUT_ENVIRONMENT", "prod"),
            ("INPUT_ROLLBACK-MODE", "keep-history"),
        ])
        .await;
    assert_eq!(run.output.code, 0, "{:?}", run.output);
    assert!(
        run.summary
            .contains("and so does the API call history (add\\_version)"),
        "{}",
        run.summary
    );
    let after = lab.versions_of("acme-prod", "pricing/quote").await;
    assert_eq!(after[..2], replaced[..]);
    assert!(after[2].starts_with("1.1.1="), "{after:?}");
}

/// uat's and prod's pricing/quote 1.0.0 compute otherwise (premium 200 and 100 from the defaults).
const SAME_NUMBERS: &str = r#"
tenants:
  - name: acme-uat
    bearer_tokens: [tok-acme-uat]
    clients: [{ id: ci-uat, secret: ci-uat-secret }]
    folders:
      - name: pricing
        services:
          - name: quote
            versions: ["1.0.0"]
            models: { "1.0.0": { inputs: { cover: 100000 }, outputs: { premium: "cover / 500" } } }
  - name: acme-prod
    bearer_tokens: [tok-acme-prod]
    api_keys: [key-acme-prod]
    folders:
      - name: pricing
        services:
          - name: quote
            versions: ["1.0.0"]
            models: { "1.0.0": { inputs: { cover: 100000 }, outputs: { premium: "cover / 1000" } } }
"#;

async fn apply(lab: &Lab) -> Value {
    let output = lab.cli(&["apply", "--json"]).await;
    assert_eq!(output.code, 0, "{output:?}");
    output.json()
}

async fn exact_rollback(lab: &Lab, backup: &str) {
    let output = lab
        .cli(&["rollback", "--env", "prod", "--backup", backup, "--json"])
        .await;
    assert_eq!(output.code, 0, "{output:?}");
    assert_eq!(
        promotion(&output.json())["status"],
        "completed",
        "{output:?}"
    );
}

/// The limit README's "What the decision cannot see" states, as it is: a `replace` over the same version
/// numbers keeps the destination's ids, so an exact rollback of it leaves the same ids at the same numbers
/// (only the content differs). Seen after Spark's hour when the rollback is in the journal the next run
/// reads; not seen within the hour, nor after it when the rollback was recorded elsewhere.
#[tokio::test(flavor = "multi_thread")]
async fn a_replace_over_the_same_numbers_undone_by_an_exact_rollback_is_seen_only_through_its_record()
 {
    let lab = Lab::start_seed(QUICK, SAME_NUMBERS).await;
    lab.manifest(REPLACE_ALL_OF_QUOTE);
    let before = lab.versions_of("acme-prod", "pricing/quote").await;
    assert_eq!(premium(&lab, None).await, json!(100.0));
    let applied = apply(&lab).await;
    let backup = promotion(&applied)["backup"].as_str().unwrap().to_string();
    assert_eq!(premium(&lab, None).await, json!(200.0));
    assert_eq!(
        lab.versions_of("acme-prod", "pricing/quote").await,
        before,
        "same id, same number"
    );

    // Within the hour, a recorded rollback ends the word of the completed import job, although all of its
    // ids are still there: imported again.
    exact_rollback(&lab, &backup).await;
    assert_eq!(premium(&lab, None).await, json!(100.0));
    let again = apply(&lab).await;
    assert_eq!(promotion(&again)["status"], "completed", "{again:#}");
    assert_eq!(premium(&lab, None).await, json!(200.0));
    assert_eq!(promotion(&apply(&lab).await)["status"], "skipped", "once");

    // After the hour, the journal's rollback ends the promotion's record: imported again.
    let backup = promotion(&again)["backup"].as_str().unwrap().to_string();
    exact_rollback(&lab, &backup).await;
    lab.advance_clock(2 * 3600).await;
    let again = apply(&lab).await;
    assert_eq!(promotion(&again)["status"], "completed", "{again:#}");
    assert_eq!(premium(&lab, None).await, json!(200.0));

    // A rollback recorded elsewhere (another checkout's journal), after the hour: not seen.
    let backup = promotion(&again)["backup"].as_str().unwrap().to_string();
    let journal = lab.path(".spark-promote/records.json");
    let kept = std::fs::read(&journal).unwrap();
    exact_rollback(&lab, &backup).await;
    std::fs::write(&journal, kept).unwrap();
    lab.advance_clock(2 * 3600).await;
    assert_eq!(premium(&lab, None).await, json!(100.0));
    assert_eq!(promotion(&apply(&lab).await)["status"], "skipped");
    assert_eq!(premium(&lab, None).await, json!(100.0), "not seen");
}
