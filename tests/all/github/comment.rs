//! The pull request comment: created once, then patched in place or left alone, found among the token
//! user's comments on every page.
use spark_promote::github::comment::{ACTIONS_BOT, PER_PAGE};
use spark_promote::github::{CommentOutcome, IfMissing};

use super::{USER, body, list, others, patch, post, upsert, user, with_user};
use crate::action::fake_github::{FIRST_ID, FakeGitHub, comment_json, lines};
use crate::action::runner::{PULL, REPOSITORY};

#[tokio::test]
async fn first_run_creates_the_comment_then_a_new_body_patches_it_then_the_same_body_writes_nothing()
 {
    let github = with_user(others(2)).await;
    let id = FIRST_ID + 2;

    // First run: no comment yet.
    let outcome = upsert(&github, "plan: 1 updated", IfMissing::Create).await;
    assert_eq!(
        outcome,
        CommentOutcome::Created {
            id,
            url: format!("https://github.com/{REPOSITORY}/pull/{PULL}#issuecomment-{id}")
        }
    );
    assert_eq!(
        github.take_requests(),
        [user(), list(1), post("plan: 1 updated")]
    );

    // Second run (apply on merge): the same marker, another body.
    let outcome = upsert(&github, "apply: 1 updated", IfMissing::Create).await;
    assert!(matches!(outcome, CommentOutcome::Updated { id: found, .. } if found == id));
    assert_eq!(
        github.take_requests(),
        [user(), list(1), patch(id, "apply: 1 updated")]
    );

    // Third run: nothing new to say, nothing written.
    let outcome = upsert(&github, "apply: 1 updated", IfMissing::Create).await;
    assert!(matches!(outcome, CommentOutcome::Unchanged { id: found, .. } if found == id));
    assert_eq!(github.take_requests(), [user(), list(1)]);
}

#[tokio::test]
async fn requests_carry_the_token_as_a_bearer() {
    let github = with_user(vec![]).await;
    upsert(&github, "x", IfMissing::Skip).await;
    let seen = github.seen();
    assert!(!seen.is_empty());
    for request in seen {
        assert_eq!(request.authorization.as_deref(), Some("Bearer tok-123"));
    }
}

#[tokio::test]
async fn marked_comments_by_other_users_are_ignored() {
    let github = with_user(vec![
        comment_json(1, "mallory", &body("a copy of our marker")),
        comment_json(2, USER, "an unrelated comment by the same user"),
    ])
    .await;
    let outcome = upsert(&github, "fresh", IfMissing::Create).await;
    assert!(matches!(outcome, CommentOutcome::Created { id, .. } if id == FIRST_ID + 2));
    assert_eq!(github.take_requests(), [user(), list(1), post("fresh")]);
}

#[tokio::test]
async fn every_page_is_read_until_a_short_one_before_creating() {
    let github = with_user([others(PER_PAGE), others(PER_PAGE), others(3)].concat()).await;
    let outcome = upsert(&github, "x", IfMissing::Create).await;
    let held = (2 * PER_PAGE + 3) as u64;
    assert!(matches!(outcome, CommentOutcome::Created { id, .. } if id == FIRST_ID + held));
    let requests = github.take_requests();
    assert_eq!(requests[..4], [user(), list(1), list(2), list(3)]);
    assert_eq!(requests.len(), 5);
}

#[tokio::test]
async fn the_comment_on_the_second_page_is_updated() {
    let mut second = others(10);
    second.insert(4, comment_json(77, USER, &body("old")));
    let github = with_user([others(PER_PAGE), second].concat()).await;
    let outcome = upsert(&github, "new", IfMissing::Create).await;
    assert!(matches!(outcome, CommentOutcome::Updated { id: 77, .. }));
    assert_eq!(
        github.take_requests(),
        [user(), list(1), list(2), patch(77, "new")]
    );
}

#[tokio::test]
async fn an_installation_token_refused_get_user_matches_the_actions_bot() {
    let github = FakeGitHub::start(vec![
        comment_json(1, USER, &body("by a personal token")),
        comment_json(2, ACTIONS_BOT, &body("by the workflow token")),
    ])
    .await;
    let outcome = upsert(&github, "new", IfMissing::Create).await;
    assert!(matches!(outcome, CommentOutcome::Updated { id: 2, .. }));
    let requests = github.take_requests();
    assert_eq!(requests[2].0, lines::update(2));
}

#[tokio::test]
async fn a_no_op_run_in_auto_mode_does_not_create_a_comment() {
    let github = with_user(others(1)).await;
    let outcome = upsert(&github, "x", IfMissing::Skip).await;
    assert_eq!(outcome, CommentOutcome::NotCreated);
    assert_eq!(github.take_requests(), [user(), list(1)]);
}
