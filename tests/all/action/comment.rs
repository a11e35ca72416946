//! The sticky comment across runs on one pull request: the exact requests, a fork's read-only token, and
//! GitHub's rate limits.
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;

use super::fake_github::{self, BOT, FIRST_DEPLOYMENT_ID, Reply, comment_json, lines};
use super::runner::{PULL, REPOSITORY, Scene, Trigger, UAT_TO_PROD, assert_summary_snapshot};

#[tokio::test(flavor = "multi_thread")]
async fn the_comment_is_created_then_updated_then_left_alone_when_nothing_changed() {
    // Someone quoted the marker of another manifest, and a reviewer commented: neither is ours.
    let scene = Scene::with_comments(vec![
        comment_json(1, "octocat", "LGTM"),
        comment_json(
            2,
            "spark-fan",
            "<!-- spark-promote:0000000000000000 --> quoted",
        ),
    ])
    .await;
    let (lab, github) = (&scene.lab, &scene.github);
    let mut trigger = Trigger::pull_request();

    scene.run_expecting(0, &trigger, &[]).await;
    let records = lines::list_deployments("spark-prod");
    assert_eq!(
        github.take_lines(),
        [
            records.clone(),
            lines::user(),
            lines::list(1),
            lines::create()
        ]
    );
    let ours = github.comments().last().unwrap().clone();
    let id = ours["id"].as_u64().unwrap();
    assert_eq!(ours["user"]["login"], BOT);

    // A new commit on the pull request changes what the plan says.
    lab.manifest(&UAT_TO_PROD.replace("add_version", "replace"));
    trigger.run_id += 1;
    scene.run_expecting(0, &trigger, &[]).await;
    assert_eq!(
        github.take_lines(),
        [
            records.clone(),
            lines::user(),
            lines::list(1),
            lines::update(id)
        ]
    );
    let updated = github.comments()[2]["body"].as_str().unwrap().to_string();
    assert_ne!(updated, ours["body"].as_str().unwrap());

    // Another run (a new run id, so a new run link) with nothing new to say writes nothing.
    trigger.run_id += 1;
    scene.run_expecting(0, &trigger, &[]).await;
    assert_eq!(
        github.take_lines(),
        [records, lines::user(), lines::list(1)],
        "second:\n{updated}\nthird:\n{}",
        github.comments()[2]["body"]
    );
    assert_eq!(github.comments()[2]["body"], updated.as_str());
    assert_eq!(github.comments().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_comment_is_found_on_a_later_page_of_a_long_conversation() {
    let others = (1..=150)
        .map(|id| comment_json(id, "octocat", "a review comment"))
        .collect();
    let scene = Scene::with_comments(others).await;
    let github = &scene.github;
    scene.run_expecting(0, &Trigger::pull_request(), &[]).await;
    assert_eq!(
        github.take_lines(),
        [
            lines::list_deployments("spark-prod"),
            lines::user(),
            lines::list(1),
            lines::list(2),
            lines::create()
        ]
    );
    let id = github.comments()[150]["id"].as_u64().unwrap();
    scene
        .run_expecting(0, &Trigger::push_after_merge(), &[])
        .await;
    let requests = github.take_lines();
    assert_eq!(requests[..4], lines::recorded(FIRST_DEPLOYMENT_ID));
    assert_eq!(
        requests[6..],
        [lines::list(1), lines::list(2), lines::update(id)]
    );
}

/// A refusal as a fork's read-only token gets it.
fn refused() -> Reply {
    fake_github::refused("https://docs.github.com/rest/issues/comments#create-an-issue-comment")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fork_token_refused_on_create_warns_and_the_promotion_decides_the_exit_code() {
    let scene = Scene::start().await;
    let (lab, github) = (&scene.lab, &scene.github);
    let create = format!("/repos/{REPOSITORY}/issues/{PULL}/comments");
    github.answer_first(2, "POST", &create, refused()).await;
    let warned = |log: &str| {
        log.lines()
            .any(|line| line.starts_with("::warning::cannot write the pull request comment"))
    };

    let plan = scene.run_expecting(0, &Trigger::pull_request(), &[]).await;
    assert!(warned(&plan.log), "{}", plan.log);
    assert_eq!(plan.outputs["status"], "planned");
    assert_eq!(
        github.take_lines(),
        [
            lines::list_deployments("spark-prod"),
            lines::user(),
            lines::list(1),
            lines::create()
        ],
        "the refused create is not retried"
    );

    lab.fault(json!({"fail_next_job": "service pricing/quote: workbook is locked"}))
        .await;
    let apply = scene
        .run_expecting(1, &Trigger::pull_request(), &[("INPUT_COMMAND", "apply")])
        .await;
    assert!(warned(&apply.log), "{}", apply.log);
    assert_eq!(apply.outputs["status"], "failed");
    assert!(github.comments().is_empty());
}

/// Epoch seconds `ahead` from now.
fn epoch_in(ahead: Duration) -> String {
    (SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + ahead)
        .as_secs()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_answers_are_waited_out_and_the_comment_is_created_once() {
    let scene = Scene::start().await;
    let github = &scene.github;
    let comments = format!("/repos/{REPOSITORY}/issues/{PULL}/comments");
    // The primary limit on the list (no requests left until the reset), a secondary one on the create.
    let primary = Reply::status(403)
        .header("x-ratelimit-remaining", "0")
        .header("x-ratelimit-reset", epoch_in(Duration::ZERO).as_str())
        .json(json!({"message": "API rate limit exceeded"}));
    let secondary = Reply::status(429)
        .header("retry-after", "1")
        .json(json!({"message": "You have exceeded a secondary rate limit"}));
    github.answer_first(1, "GET", &comments, primary).await;
    github.answer_first(1, "POST", &comments, secondary).await;

    let step = scene.run_expecting(0, &Trigger::pull_request(), &[]).await;
    assert!(!step.log.contains("::warning::"), "{}", step.log);
    let seen = github.seen();
    let order: Vec<&str> = seen.iter().map(|s| s.line.as_str()).collect();
    assert_eq!(
        order,
        [
            lines::list_deployments("spark-prod"),
            lines::user(),
            lines::list(1),
            lines::list(1),
            lines::create(),
            lines::create()
        ]
    );
    assert!(
        seen[3].at - seen[2].at >= Duration::from_secs(1),
        "the reset was not waited for"
    );
    assert!(
        seen[5].at - seen[4].at >= Duration::from_secs(1),
        "retry-after was not honoured"
    );
    assert_eq!(github.comments().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_comment_tells_the_truth_from_plan_to_apply_to_a_skipped_rerun_to_an_invalid_manifest()
{
    let scene = Scene::start().await;
    let (lab, github) = (&scene.lab, &scene.github);
    let body = || {
        let comments = github.comments();
        assert_eq!(comments.len(), 1, "one sticky comment");
        comments[0]["body"].as_str().unwrap().to_string()
    };

    scene.run_expecting(0, &Trigger::pull_request(), &[]).await;
    let planned = body();
    assert_summary_snapshot("comment_1_plan", &planned);

    scene
        .run_expecting(0, &Trigger::push_after_merge(), &[])
        .await;
    let applied = body();
    assert_summary_snapshot("comment_2_apply", &applied);

    // The push workflow re-run: nothing to do; the applied result stays and gets one line.
    let mut rerun = Trigger::push_after_merge();
    rerun.run_id += 1;
    let step = scene.run_expecting(0, &rerun, &[]).await;
    assert_eq!(step.outputs["status"], "skipped");
    let rerun_body = body();
    assert!(rerun_body.starts_with(applied.trim_end()), "{rerun_body}");
    assert_summary_snapshot("comment_3_skipped_rerun", &rerun_body);

    // A new commit on a pull request breaks the manifest: the comment says it is stale, and why.
    github.take_lines();
    lab.manifest(&UAT_TO_PROD.replace("to: prod", "to: nowhere"));
    let invalid = scene.run_expecting(2, &Trigger::pull_request(), &[]).await;
    let annotation = invalid
        .lines()
        .find_map(|line| line.split_once("title=spark-promote manifest::"))
        .unwrap_or_else(|| panic!("no annotation: {}", invalid.log))
        .1
        .to_string();
    let id = github.comments()[0]["id"].as_u64().unwrap();
    assert_eq!(
        github.take_lines(),
        [lines::user(), lines::list(1), lines::update(id)]
    );
    let stale = body();
    // Quoted through the one markdown escaper.
    let quoted = spark_promote::report::escape::text(&annotation);
    assert!(stale.contains(&quoted), "{quoted}\n{stale}");
    assert_summary_snapshot("comment_4_invalid_manifest", &stale);

    // Fixed: the next plan replaces the stale comment, even with the same content as before.
    lab.manifest(UAT_TO_PROD);
    scene.run_expecting(0, &Trigger::pull_request(), &[]).await;
    let fixed = body();
    assert!(!fixed.contains("Stale"), "{fixed}");
    assert!(
        fixed.contains("Planned for commit <code>1111111</code>"),
        "{fixed}"
    );
}
