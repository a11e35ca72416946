//! A monorepo: several manifests, each a step of one job. Each keeps its own result files, its own drift
//! issue (found again by its marker, titled and described with its manifest) and its own records; labels
//! with a space or `&` are encoded in the issue lookup.
use serde_json::Value;

use super::runner::{REPOSITORY, Scene, Trigger};
use crate::support::cli::read;

const TEAM: &str = "teams/rates/spark-promote.yaml";

/// A scene whose workspace holds a second manifest, [`TEAM`], with the same promotion names.
async fn monorepo() -> Scene {
    let scene = Scene::start().await;
    std::fs::create_dir_all(scene.lab.path("teams/rates")).unwrap();
    std::fs::copy(scene.lab.path("spark-promote.yaml"), scene.lab.path(TEAM)).unwrap();
    scene
}

#[tokio::test(flavor = "multi_thread")]
async fn two_manifests_in_one_job_keep_their_own_result_files_and_the_directory_ignores_itself() {
    let scene = monorepo().await;
    let lab = &scene.lab;
    let trigger = Trigger::schedule();
    let mut steps = Vec::new();
    for manifest in ["spark-promote.yaml", TEAM] {
        let inputs = [("INPUT_COMMAND", "apply"), ("INPUT_MANIFEST", manifest)];
        steps.push((manifest, scene.run_expecting(0, &trigger, &inputs).await));
    }
    assert_eq!(
        steps[0].1.outputs["result"],
        ".spark-promote/spark-promote/result.json"
    );
    assert_eq!(
        steps[1].1.outputs["result"],
        ".spark-promote/teams-rates-spark-promote/result.json"
    );
    assert_ne!(steps[0].1.outputs["summary"], steps[1].1.outputs["summary"]);
    for (manifest, step) in &steps {
        let result: Value =
            serde_json::from_str(&read(&lab.path(&step.outputs["result"]))).unwrap();
        assert_eq!(result["manifest"], *manifest);
        let summary = read(&lab.path(&step.outputs["summary"]));
        assert!(
            summary.contains(&format!("<code>{manifest}</code>")),
            "{summary}"
        );
    }
    assert_eq!(
        read(&lab.path(".spark-promote/.gitignore")).lines().last(),
        Some("*")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_manifest_keeps_its_own_drift_issue_found_by_an_encoded_label() {
    let scene = monorepo().await;
    let (lab, github) = (&scene.lab, &scene.github);
    let trigger = Trigger::schedule();
    for manifest in ["spark-promote.yaml", TEAM] {
        assert_eq!(lab.cli(&["apply", "-m", manifest]).await.code, 0);
    }
    crate::lock::publish_newer_quote_in_uat(lab).await;
    let list = format!(
        "GET /repos/{REPOSITORY}/issues?state=open&labels=needs%20review%20%26%20spark&per_page=100&page=1"
    );
    let drift = |manifest| {
        [
            ("INPUT_COMMAND", "drift"),
            ("INPUT_MANIFEST", manifest),
            ("INPUT_ISSUE-LABELS", "needs review & spark, spark-promote"),
        ]
    };
    for manifest in ["spark-promote.yaml", TEAM] {
        let step = scene.run_expecting(3, &trigger, &drift(manifest)).await;
        assert!(
            step.summary
                .contains(&format!("spark-promote drift: `{manifest}`")),
            "{}",
            step.summary
        );
    }
    let created = format!("POST /repos/{REPOSITORY}/issues");
    assert_eq!(
        github.take_lines(),
        [list.clone(), created.clone(), list.clone(), created]
    );
    let issues = github.issues();
    let titles: Vec<&str> = issues
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "spark-promote: drift in spark-promote.yaml",
            "spark-promote: drift in teams/rates/spark-promote.yaml"
        ]
    );
    let body = issues[1]["body"].as_str().unwrap();
    assert!(
        body.starts_with("<!-- spark-promote:")
            && body.contains(&format!("manifest: {TEAM} -->"))
            && body.contains(&format!("Manifest: `{TEAM}`")),
        "{body}"
    );
    assert_eq!(
        issues[1]["labels"],
        serde_json::json!(["needs review & spark", "spark-promote"])
    );

    // Each finds its own issue again: nothing new is opened.
    for manifest in ["spark-promote.yaml", TEAM] {
        scene.run_expecting(3, &trigger, &drift(manifest)).await;
    }
    assert_eq!(github.take_lines(), [list.clone(), list]);
    assert_eq!(github.issues().len(), 2);
}
