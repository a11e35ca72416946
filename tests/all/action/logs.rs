//! The step's log as the runner reads it for workflow commands: masks first, one group per promotion,
//! and nothing from the Spark API able to start a command.
use serde_json::json;

use super::runner::{GITHUB_TOKEN, Scene, Step, Trigger, UAT_TO_PROD};
use crate::support::cli::{SECRETS, read};

/// Two promotions: into prod by bearer token and into prod by API key, so that every secret is resolved.
fn two_promotions() -> String {
    format!(
        "{UAT_TO_PROD}  - name: rates\n    from: {{ environment: uat, services: [pricing/quote] }}\n    \
         to: prodkey\n    services_existing: add_version\n"
    )
}

/// Whether the runner reads `line` as a workflow command (`::name ...::` after leading whitespace, or the
/// legacy `##[name]` anywhere in the line).
fn is_workflow_command(line: &str) -> bool {
    let trimmed = line.trim_start();
    (trimmed.starts_with("::") && trimmed[2..].contains("::")) || line.contains("##[")
}

/// Every secret value the step knows: the manifest's and the GitHub token.
fn secrets() -> Vec<&'static str> {
    SECRETS
        .iter()
        .map(|(_, value)| *value)
        .chain([GITHUB_TOKEN])
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_secret_is_masked_before_any_other_line_and_appears_nowhere_else() {
    let scene = Scene::start().await;
    let (lab, github) = (&scene.lab, &scene.github);
    lab.manifest(&two_promotions());
    let step = scene
        .run_expecting(0, &Trigger::push_after_merge(), &[])
        .await;
    let lines: Vec<&str> = step.lines().collect();
    let masks = lines
        .iter()
        .take_while(|line| line.starts_with("::add-mask::"))
        .count();
    for secret in secrets() {
        let mask = format!("::add-mask::{secret}");
        assert!(
            lines[..masks].contains(&mask.as_str()),
            "{secret} is not masked before the first other line:\n{}",
            step.log
        );
    }
    let result = read(&lab.path(".spark-promote/spark-promote/result.json"));
    let comments = github.comments().to_vec();
    for secret in secrets() {
        for line in &lines[masks..] {
            assert!(!line.contains(secret), "{secret} in the log: {line}");
        }
        for (what, text) in [
            ("outputs", step.output_file.as_str()),
            ("summary", step.summary.as_str()),
            ("result", result.as_str()),
        ] {
            assert!(!text.contains(secret), "{secret} in the {what}");
        }
        assert!(!json!(comments).to_string().contains(secret));
    }
}

/// The log lines between `::group::{title}` and the next `::endgroup::`.
fn group<'s>(step: &'s Step, title: &str) -> Vec<&'s str> {
    let start = format!("::group::{title}");
    step.lines()
        .skip_while(|line| *line != start)
        .skip(1)
        .take_while(|line| *line != "::endgroup::")
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_promotion_is_logged_in_its_own_group() {
    let scene = Scene::start().await;
    scene.lab.manifest(&two_promotions());
    let step = scene.run_expecting(0, &Trigger::pull_request(), &[]).await;
    let groups: Vec<&str> = step
        .lines()
        .filter(|line| line.starts_with("::group::"))
        .collect();
    assert_eq!(
        groups,
        ["::group::pricing: planned", "::group::rates: planned"]
    );
    assert_eq!(
        step.lines().filter(|line| *line == "::endgroup::").count(),
        2
    );
    let pricing = group(&step, "pricing: planned");
    assert!(pricing[0].starts_with("uat → prod: planned"), "{pricing:?}");
    assert!(
        pricing
            .iter()
            .any(|line| line.starts_with("pricing/quote → pricing/quote")),
        "{pricing:?}"
    );
    assert!(group(&step, "rates: planned")[0].starts_with("uat → prodkey: planned"));
}

#[tokio::test(flavor = "multi_thread")]
async fn text_from_the_spark_api_cannot_start_a_workflow_command() {
    let scene = Scene::start().await;
    let hostile = "workbook is locked\n::error::pwned\n  ::add-mask::pwned\r::set-output name=status::pwned\nsee ##[error]pwned";
    scene.lab.fault(json!({ "fail_next_job": hostile })).await;
    let debug = [("RUST_LOG", "spark_promote=debug")];
    let step = scene
        .run_expecting(1, &Trigger::push_after_merge(), &debug)
        .await;
    assert_eq!(step.outputs["status"], "failed");
    assert!(
        step.log.matches("pwned").count() >= 4,
        "the job's message is not in the log: {}",
        step.log
    );
    // The failure's own annotation carries the text escaped onto its one line, neutralized.
    let annotation = "::error title=spark-promote pricing::";
    for line in step.lines().filter(|line| line.contains("pwned")) {
        if let Some(message) = line.strip_prefix(annotation) {
            assert!(
                !message.contains("##[") && !message.contains("%0A::"),
                "{line:?}"
            );
            continue;
        }
        assert!(
            !is_workflow_command(line),
            "a command from Spark's text: {line:?}"
        );
    }
    assert!(!step.log.contains("##["), "{}", step.log);
    assert!(step.summary.contains("pwned"), "{}", step.summary);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manifest_key_cannot_start_a_workflow_command_from_the_error_log() {
    let scene = Scene::start().await;
    scene.lab.manifest(&format!(
        "{UAT_TO_PROD}    \"x ##[error]pwned ::error::y\": 1\n"
    ));
    let step = scene.run_expecting(2, &Trigger::pull_request(), &[]).await;
    let mentions: Vec<&str> = step.lines().filter(|line| line.contains("pwned")).collect();
    assert!(
        mentions.len() >= 2,
        "the error is not both annotated and logged: {}",
        step.log
    );
    assert!(mentions[0].starts_with("::error file=spark-promote.yaml"));
    for line in mentions {
        assert!(
            !line.contains("##["),
            "a legacy command from the manifest: {line:?}"
        );
    }
}
