//! Promotion records as GitHub deployments: the exact requests per imported promotion, none for a skipped
//! re-run, a missing `deployments: write` permission as one warning, and the records read before a run.
use serde_json::{Value, json};

use super::fake_github::{self, CREATED_AT, FIRST_DEPLOYMENT_ID, Reply, lines};
use super::runner::{MERGE_SHA, REPOSITORY, Scene, Step, Trigger};
use crate::support::cli::Lab;

const DEPLOYMENT: u64 = FIRST_DEPLOYMENT_ID;

/// The ids of uat's pricing/quote versions, oldest first.
async fn uat_quote_version_ids(lab: &Lab) -> Vec<Value> {
    let state = lab.get(&format!("{}/_sandbox/state", lab.url())).await;
    state["tenants"]["acme-uat"]["folders"]["pricing"]["services"]["quote"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|version| version["id"].clone())
        .collect()
}

/// A committed package of uat's pricing/quote without its index, replacing `destination` in prod: after the
/// hour only the record knows it was imported.
async fn committed_without_index(lab: &Lab, destination: &str) {
    lab.export_package("quote.zip", &["--service", "pricing/quote"])
        .await;
    std::fs::remove_file(lab.path("quote.zip.json")).unwrap();
    lab.manifest(&format!(
        "promotions:\n  - name: pricing\n    from: {{ package: quote.zip }}\n    to: prod\n    \
         services_existing: replace\n    services:\n      - {{ source: pricing/quote, destination: {destination} }}\n",
    ));
}

/// The run's page, as the statuses link it.
fn log_url(trigger: &Trigger) -> String {
    format!(
        "https://github.com/{REPOSITORY}/actions/runs/{}",
        trigger.run_id
    )
}

/// The `::warning::` lines of a step's log.
fn warnings(step: &Step) -> Vec<&str> {
    step.lines()
        .filter(|line| line.starts_with("::warning::"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_imported_promotion_is_one_deployment_with_its_payload_then_in_progress_and_success() {
    let scene = Scene::start().await;
    let (lab, github) = (&scene.lab, &scene.github);
    let trigger = Trigger::tag();
    let step = scene.run_expecting(0, &trigger, &[]).await;
    assert_eq!(step.outputs["status"], "completed", "{}", step.log);
    let export_job = lab.jobs_of("export").await[0]["id"].clone();
    let import_job = lab.jobs_of("import").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        step.outputs["job-ids"],
        format!("{}\n{import_job}", export_job.as_str().unwrap())
    );

    let requests = github.requests();
    let lines_seen: Vec<&str> = requests.iter().map(|(line, _)| line.as_str()).collect();
    assert_eq!(lines_seen, lines::recorded(DEPLOYMENT));
    assert_eq!(
        requests[1].1.as_ref().unwrap(),
        &json!({
            "ref": MERGE_SHA,
            "task": "deploy:spark-promote",
            "auto_merge": false,
            "required_contexts": [],
            "environment": "spark-prod",
            "production_environment": true,
            "description": "spark-promote pricing: spark-promote.yaml → prod",
            "payload": {
                "manifest": "spark-promote.yaml",
                "promotion": "pricing",
                "target": "prod",
                "correlation_id": step.outputs["correlation-ids"],
                "export_job_id": export_job,
                "import_job_id": import_job,
                "source_version_ids": uat_quote_version_ids(lab).await,
                "destination_services": ["pricing/quote"],
            },
        })
    );
    assert_eq!(
        requests[2].1.as_ref().unwrap(),
        &json!({
            "state": "in_progress",
            "description": format!("import job {import_job} started"),
            "auto_inactive": false,
            "log_url": log_url(&trigger),
        })
    );
    assert_eq!(
        requests[3].1.as_ref().unwrap(),
        &json!({
            "state": "success",
            "description": format!("import job {import_job} completed: 2 versions imported"),
            "auto_inactive": false,
            "log_url": log_url(&trigger),
        })
    );
    assert!(warnings(&step).is_empty(), "{}", step.log);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_skipped_rerun_reads_the_record_and_writes_no_deployment() {
    let scene = Scene::start().await;
    let (lab, github) = (&scene.lab, &scene.github);
    scene.run_expecting(0, &Trigger::schedule(), &[]).await;
    github.take_lines();
    assert_eq!(github.deployments().len(), 1);

    let again = scene.run_expecting(0, &Trigger::schedule(), &[]).await;
    assert_eq!(again.outputs["status"], "skipped", "{}", again.log);
    assert_eq!(lab.jobs_of("import").await.len(), 1);
    assert_eq!(
        github.take_lines(),
        [
            lines::list_deployments("spark-prod"),
            lines::latest_status(DEPLOYMENT),
        ],
        "the earlier deployment is read; nothing is written"
    );
    let on_record = format!(
        "on record: GitHub deployment {DEPLOYMENT} ({CREATED_AT}) (correlation id {}, into prod)",
        again.outputs["correlation-ids"]
    );
    assert!(again.log.contains(&on_record), "{}", again.log);
    let deployments = github.deployments();
    assert_eq!(deployments.len(), 1);
    let states: Vec<&Value> = deployments[0]["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|status| &status["state"])
        .collect();
    assert_eq!(states, ["in_progress", "success"]);
    assert_eq!(deployments[0]["created_at"], CREATED_AT);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_import_of_a_package_is_recorded_with_a_failure_status_and_its_error() {
    let scene = Scene::start().await;
    let (lab, github) = (&scene.lab, &scene.github);
    lab.export_package("quote.zip", &["--service", "pricing/quote"])
        .await;
    lab.manifest(
        "promotions:\n  - name: pricing\n    from: { package: quote.zip }\n    to: prod\n    \
         services_existing: add_version\n",
    );
    lab.fault(json!({"fail_next_job": "service pricing/quote: workbook is locked"}))
        .await;
    let step = scene.run_expecting(1, &Trigger::tag(), &[]).await;
    assert_eq!(step.outputs["status"], "failed");
    let deployments = github.deployments();
    assert_eq!(deployments.len(), 1);
    let payload = &deployments[0]["payload"];
    assert_eq!(payload["export_job_id"], Value::Null);
    assert_eq!(payload["import_job_id"], step.outputs["job-ids"].as_str());
    // `export` takes the latest version by default.
    let latest = uat_quote_version_ids(lab).await.pop().unwrap();
    assert_eq!(payload["source_version_ids"], json!([latest]));
    let last = deployments[0]["statuses"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["state"], "failure");
    let description = last["description"].as_str().unwrap();
    assert!(
        description.starts_with(&format!("import job {} failed: ", step.outputs["job-ids"]))
            && description.contains("workbook is locked"),
        "{description}"
    );
    assert!(description.chars().count() <= 140, "{description}");
}

/// A refusal as GitHub answers a token without the `deployments` permission.
fn refused() -> Reply {
    fake_github::refused("https://docs.github.com/rest/deployments/deployments")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_deployment_is_one_warning_and_the_result_and_outputs_stand() {
    let scene = Scene::start().await;
    let (lab, github) = (&scene.lab, &scene.github);
    let create = format!("/repos/{REPOSITORY}/deployments");
    github.answer_first(1, "POST", &create, refused()).await;

    let step = scene.run_expecting(0, &Trigger::tag(), &[]).await;
    assert_eq!(
        warnings(&step),
        [
            "::warning::GitHub deployments are not read or recorded in this run: POST \
          /repos/acme/pricing/deployments failed with 403 Forbidden: Resource not accessible by \
          integration (the workflow's token needs the `deployments: write` permission)"
        ]
    );
    assert_eq!(step.outputs["status"], "completed");
    let imports = lab.jobs_of("import").await;
    assert_eq!(imports.len(), 1);
    let exports = lab.jobs_of("export").await;
    assert_eq!(
        step.outputs["job-ids"],
        format!(
            "{}\n{}",
            exports[0]["id"].as_str().unwrap(),
            imports[0]["id"].as_str().unwrap()
        )
    );
    assert!(step.outputs["correlation-ids"].starts_with("sp1-"));
    assert_eq!(
        github.take_lines(),
        [
            lines::list_deployments("spark-prod"),
            lines::create_deployment(),
        ],
        "the refused create is not retried and no status follows"
    );
    assert!(github.deployments().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_read_is_one_warning_and_no_deployment_call_follows() {
    let scene = Scene::start().await;
    let github = &scene.github;
    let list = format!("/repos/{REPOSITORY}/deployments");
    github.answer_first(1, "GET", &list, refused()).await;

    let step = scene.run_expecting(0, &Trigger::tag(), &[]).await;
    assert_eq!(warnings(&step).len(), 1, "{}", step.log);
    assert!(
        warnings(&step)[0].starts_with("::warning::GitHub deployments are not read or recorded"),
        "{}",
        step.log
    );
    assert_eq!(step.outputs["status"], "completed");
    assert_eq!(github.take_lines(), [lines::list_deployments("spark-prod")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_deployment_environment_input_names_the_environment_and_empty_turns_deployments_off() {
    let scene = Scene::start().await;
    let github = &scene.github;
    let off = scene
        .run_expecting(0, &Trigger::tag(), &[("INPUT_DEPLOYMENT-ENVIRONMENT", "")])
        .await;
    assert_eq!(off.outputs["status"], "completed");
    assert!(github.take_lines().is_empty());

    scene
        .lab
        .manifest(&super::runner::UAT_TO_PROD.replace("add_version", "replace"));
    scene
        .run_expecting(
            0,
            &Trigger::tag(),
            &[("INPUT_DEPLOYMENT-ENVIRONMENT", "Spark {environment}")],
        )
        .await;
    assert_eq!(
        github.take_lines()[..2],
        [
            lines::list_deployments("Spark+prod"),
            lines::create_deployment(),
        ]
    );
    assert_eq!(github.deployments()[0]["environment"], "Spark prod");
}

#[tokio::test(flavor = "multi_thread")]
async fn promotions_to_one_environment_read_it_once_and_get_one_deployment_each() {
    let scene = Scene::start().await;
    let github = &scene.github;
    scene.lab.manifest(
        "promotions:
  - name: pricing
    from: { environment: uat, services: [pricing/quote] }
    to: prod
    services_existing: add_version
  - name: rating
    from: { environment: uat, services: [pricing/rating] }
    to: prod
",
    );
    let step = scene.run_expecting(0, &Trigger::tag(), &[]).await;
    assert_eq!(step.outputs["status"], "completed", "{}", step.log);
    let next = DEPLOYMENT + 1;
    assert_eq!(
        github.take_lines(),
        [
            lines::list_deployments("spark-prod"),
            lines::create_deployment(),
            lines::create_status(DEPLOYMENT),
            lines::create_status(DEPLOYMENT),
            lines::create_deployment(),
            lines::create_status(next),
            lines::create_status(next),
        ]
    );
    let deployments = github.deployments();
    let promotions: Vec<&Value> = deployments
        .iter()
        .map(|deployment| &deployment["payload"]["promotion"])
        .collect();
    assert_eq!(promotions, ["pricing", "rating"]);
    assert_eq!(
        deployments[1]["payload"]["destination_services"],
        json!(["pricing/rating"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_after_an_apply_reads_the_record_and_writes_nothing() {
    let scene = Scene::start().await;
    let github = &scene.github;
    scene.run_expecting(0, &Trigger::tag(), &[]).await;
    github.take_lines();

    let plan = scene
        .run_expecting(0, &Trigger::pull_request(), &[("INPUT_COMMENT", "never")])
        .await;
    assert_eq!(plan.outputs["status"], "planned", "{}", plan.log);
    assert_eq!(
        github.take_lines(),
        [
            lines::list_deployments("spark-prod"),
            lines::latest_status(DEPLOYMENT),
        ]
    );
    assert!(
        plan.log
            .contains(&format!("on record: GitHub deployment {DEPLOYMENT} (")),
        "{}",
        plan.log
    );
    assert_eq!(github.deployments().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_decides_a_rerun_that_the_job_list_and_version_ids_cannot_until_the_service_is_removed()
 {
    let scene = Scene::start().await;
    let (lab, github) = (&scene.lab, &scene.github);
    committed_without_index(lab, "pricing/quote-v9").await;
    let first = scene.run_expecting(0, &Trigger::schedule(), &[]).await;
    assert_eq!(first.outputs["status"], "completed", "{}", first.log);
    lab.advance_clock(2 * 3600).await;

    let again = scene.run_expecting(0, &Trigger::schedule(), &[]).await;
    assert_eq!(again.outputs["status"], "skipped", "{}", again.log);
    assert!(
        again.log.contains(&format!(
            "already applied by GitHub deployment {DEPLOYMENT}"
        )),
        "{}",
        again.log
    );
    assert_eq!(lab.jobs_of("import").await.len(), 1);
    assert_eq!(github.deployments().len(), 1);

    // The destination lost the service: the record no longer holds, and the promotion imports once more.
    lab.remove_service("acme-prod", "pricing/quote-v9").await;
    let third = scene.run_expecting(0, &Trigger::schedule(), &[]).await;
    assert_eq!(third.outputs["status"], "completed", "{}", third.log);
    assert_eq!(lab.jobs_of("import").await.len(), 2);
    assert_eq!(github.deployments().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollback_is_a_deployment_that_says_so_and_the_record_it_undid_no_longer_skips_an_apply()
{
    let scene = Scene::start().await;
    let (lab, github) = (&scene.lab, &scene.github);
    // Into an existing service this time, so that the apply takes a backup to roll back to.
    committed_without_index(lab, "pricing/quote").await;
    let applied = scene.run_expecting(0, &Trigger::schedule(), &[]).await;
    assert_eq!(applied.outputs["status"], "completed", "{}", applied.log);
    let backup = applied.outputs["backup"].clone();
    assert!(!backup.is_empty(), "{}", applied.log);
    github.take_lines();

    let rollback = [
        ("INPUT_COMMAND", "rollback"),
        ("INPUT_BACKUP", backup.as_str()),
        ("INPUT_ENVIRONMENT", "prod"),
    ];
    let rolled_back = scene
        .run_expecting(0, &Trigger::schedule(), &rollback)
        .await;
    assert_eq!(
        rolled_back.outputs["status"], "completed",
        "{}",
        rolled_back.log
    );
    let second = DEPLOYMENT + 1;
    assert_eq!(github.take_lines(), lines::recorded(second)[1..]);
    let deployments = github.deployments();
    assert_eq!(deployments[1]["payload"]["rollback"], true);
    assert_eq!(
        deployments[1]["payload"]["destination_services"],
        json!(["pricing/quote"])
    );
    assert_eq!(deployments[0]["payload"].get("rollback"), None);

    // Two hours later the job list is empty and the package has no index: the first deployment alone
    // would say "already applied", but the rollback after it undid it, so the promotion is imported again.
    lab.advance_clock(2 * 3600).await;
    let again = scene.run_expecting(0, &Trigger::schedule(), &[]).await;
    assert_eq!(again.outputs["status"], "completed", "{}", again.log);
    assert_eq!(lab.jobs_of("import").await.len(), 3);
    let third = DEPLOYMENT + 2;
    assert_eq!(
        github.take_lines(),
        [
            lines::list_deployments("spark-prod"),
            lines::latest_status(DEPLOYMENT),
            lines::latest_status(second),
        ]
        .into_iter()
        .chain(lines::recorded(third)[1..].iter().cloned())
        .collect::<Vec<_>>()
    );

    // Its own deployment is newer than the rollback: a re-run after the hour is skipped by it.
    lab.advance_clock(2 * 3600).await;
    let rerun = scene.run_expecting(0, &Trigger::schedule(), &[]).await;
    assert_eq!(rerun.outputs["status"], "skipped", "{}", rerun.log);
    assert!(
        rerun
            .log
            .contains(&format!("already applied by GitHub deployment {third}")),
        "{}",
        rerun.log
    );
    assert_eq!(lab.jobs_of("import").await.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_rollback_from_a_terminal_the_record_no_longer_skips_an_apply() {
    let scene = Scene::start().await;
    let (lab, github) = (&scene.lab, &scene.github);
    committed_without_index(lab, "pricing/quote").await;
    let applied = scene.run_expecting(0, &Trigger::schedule(), &[]).await;
    assert_eq!(applied.outputs["status"], "completed", "{}", applied.log);
    let promoted = lab.versions_of("acme-prod", "pricing/quote").await;
    let backup = applied.outputs["backup"].clone();
    // Someone rolls back from a terminal: no deployment says so.
    let rolled_back = lab
        .cli(&["rollback", "--env", "prod", "--backup", &backup])
        .await;
    assert_eq!(rolled_back.code, 0, "{rolled_back:?}");
    assert_ne!(
        lab.versions_of("acme-prod", "pricing/quote").await,
        promoted
    );

    // Two hours later the job list is empty and the package has no index: the deployment names its import
    // job, whose versions prod no longer holds, so it says nothing and the promotion is imported again.
    lab.advance_clock(2 * 3600).await;
    let again = scene.run_expecting(0, &Trigger::schedule(), &[]).await;
    assert_eq!(again.outputs["status"], "completed", "{}", again.log);
    assert_eq!(
        lab.versions_of("acme-prod", "pricing/quote").await.len(),
        promoted.len()
    );
    assert_eq!(github.deployments().len(), 2);
    assert_eq!(lab.jobs_of("import").await.len(), 3);
}
