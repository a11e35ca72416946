//! The comment's refusals, server errors and rate limits: which are retried, which are an outcome, which
//! an error.
use std::time::Duration;

use serde_json::json;
use spark_promote::github::{CommentOutcome, IfMissing};

use super::{USER, body, list, not_accessible, patch, try_upsert, upsert, user, with_user};
use crate::action::fake_github::{Reply, comment_json, lines};

#[tokio::test]
async fn a_403_on_create_is_forbidden_and_not_retried() {
    let github = with_user(vec![]).await;
    github
        .answer_always("POST", &lines::comments_path(), not_accessible())
        .await;
    let outcome = upsert(&github, "x", IfMissing::Create).await;
    let CommentOutcome::Forbidden(message) = outcome else {
        panic!("expected Forbidden");
    };
    assert!(
        message.starts_with(
            "cannot write the pull request comment: POST /repos/acme/pricing/issues/7/comments failed with 403 \
             Forbidden: Resource not accessible by integration"
        ),
        "{message}"
    );
    assert_eq!(github.take_requests().len(), 3);
}

#[tokio::test]
async fn a_server_error_on_create_is_an_error_and_never_retried() {
    let github = with_user(vec![]).await;
    github
        .answer_always(
            "POST",
            &lines::comments_path(),
            Reply::status(502).json(json!({})),
        )
        .await;
    let err = try_upsert(&github, "x", IfMissing::Create)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "POST /repos/acme/pricing/issues/7/comments failed with 502 Bad Gateway: no message"
    );
    let posts = github
        .take_requests()
        .into_iter()
        .filter(|(r, _)| r.starts_with("POST"))
        .count();
    assert_eq!(posts, 1);
}

#[tokio::test]
async fn server_errors_on_reads_and_updates_are_retried() {
    let github = with_user(vec![comment_json(5, USER, &body("old"))]).await;
    github
        .answer_first(2, "GET", &lines::comments_path(), Reply::status(503))
        .await;
    github
        .answer_first(1, "PATCH", &lines::comment_path(5), Reply::status(500))
        .await;
    let outcome = upsert(&github, "new", IfMissing::Create).await;
    assert!(matches!(outcome, CommentOutcome::Updated { id: 5, .. }));
    let patch = patch(5, "new");
    assert_eq!(
        github.take_requests(),
        [user(), list(1), list(1), list(1), patch.clone(), patch]
    );
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_within_the_bound_and_is_not_a_refusal_beyond_it() {
    let github = with_user(vec![]).await;
    github
        .answer_first(
            1,
            "GET",
            &lines::comments_path(),
            Reply::status(403)
                .header("retry-after", "1")
                .header("x-ratelimit-remaining", "0")
                .json(json!({ "message": "API rate limit exceeded" })),
        )
        .await;
    let started = std::time::Instant::now();
    let outcome = upsert(&github, "x", IfMissing::Skip).await;
    assert_eq!(outcome, CommentOutcome::NotCreated);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(github.take_requests(), [user(), list(1), list(1)]);

    let github = with_user(vec![]).await;
    github
        .answer_always(
            "GET",
            &lines::comments_path(),
            Reply::status(429).header("retry-after", "3600"),
        )
        .await;
    let err = try_upsert(&github, "x", IfMissing::Create)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("failed with 429 Too Many Requests"),
        "{err}"
    );
    assert_eq!(github.take_requests(), [user(), list(1)]);
}
