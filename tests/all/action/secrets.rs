//! Least privilege in the action: a step that selects promotions needs (and masks) only the secrets of the
//! environments they use. GitHub passes a secret the workflow cannot see as an empty string.
use super::runner::{GITHUB_TOKEN, Scene, Step, Trigger, UAT_TO_PROD};

/// `pricing` goes to prod (`SPARK_PROD_TOKEN`), `nightly-sync` to prodkey (`SPARK_PROD_API_KEY`).
fn promotions() -> String {
    format!(
        "{UAT_TO_PROD}  - name: nightly-sync\n    from: {{ environment: uat, services: [pricing/quote] }}\n    \
         to: prodkey\n    services_existing: replace\n"
    )
}

/// The values the step masked, sorted.
fn masked(step: &Step) -> Vec<&str> {
    let mut masked: Vec<&str> = step
        .lines()
        .filter_map(|line| line.strip_prefix("::add-mask::"))
        .collect();
    masked.sort_unstable();
    masked
}

#[tokio::test(flavor = "multi_thread")]
async fn a_selected_sync_runs_without_the_production_secret_and_masks_only_what_it_resolved() {
    let scene = Scene::start().await;
    scene.lab.manifest(&promotions());
    let inputs = [
        ("INPUT_COMMAND", "apply"),
        ("INPUT_PROMOTIONS", "nightly-sync"),
        ("SPARK_PROD_TOKEN", ""),
    ];
    let step = scene.run_expecting(0, &Trigger::schedule(), &inputs).await;
    assert_eq!(step.outputs["status"], "completed", "{}", step.log);
    // Besides what it resolved, the access token fetched for uat (client credentials), masked as soon as
    // it was known (the sandbox's tokens are 48 hex digits).
    let (fetched, resolved): (Vec<&str>, Vec<&str>) = masked(&step)
        .into_iter()
        .partition(|mask| mask.len() == 48 && mask.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        resolved,
        ["ci-uat", "ci-uat-secret", GITHUB_TOKEN, "key-acme-prod"]
    );
    assert_eq!(fetched.len(), 1, "{fetched:?}");
    let imports = scene.lab.jobs_of("import").await;
    assert_eq!(imports.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_selected_promotion_whose_secret_is_empty_is_invalid_and_annotated() {
    let scene = Scene::start().await;
    scene.lab.manifest(&promotions());
    let inputs = [
        ("INPUT_COMMAND", "apply"),
        ("INPUT_PROMOTIONS", "pricing"),
        ("SPARK_PROD_TOKEN", ""),
    ];
    let step = scene.run_expecting(2, &Trigger::schedule(), &inputs).await;
    assert_eq!(step.outputs["status"], "invalid");
    let errors: Vec<&str> = step
        .lines()
        .filter(|line| line.starts_with("::error "))
        .collect();
    assert_eq!(
        errors,
        [
            "::error file=spark-promote.yaml,line=9,col=21,title=spark-promote manifest::environment \
          variable SPARK_PROD_TOKEN is empty (needed by `bearer`)"
        ]
    );
    assert!(scene.lab.jobs().await.is_empty());
}
