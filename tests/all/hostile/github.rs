//! GitHub answers against the hostile server: a comment list that never ends is cut at its cap, a call
//! that hangs ends at its total timeout.
use std::time::{Duration, Instant};

use secrecy::SecretString;
use spark_promote::github::comment::upsert;
use spark_promote::github::{Client, IfMissing, Marker, PullRequest, RetryPolicy};

use super::server::{Act, Hostile};

const COMMENTS: &str = "GET /repos/acme/pricing/issues/7/comments";

fn client(server: &Hostile) -> Client {
    Client::new(&server.url(), &SecretString::from("ghs_hostile_token")).unwrap()
}

fn pull() -> PullRequest {
    PullRequest {
        owner: "acme".into(),
        repo: "pricing".into(),
        number: 7,
    }
}

fn user() -> (&'static str, Act) {
    (
        "GET /user",
        Act::Json(200, r#"{"login":"bot","id":1}"#.into()),
    )
}

/// The peak resident memory of this process so far, in kB (nextest runs each test in its own process).
fn own_peak_kb() -> u64 {
    crate::support::bin::peak_rss_kb(std::process::id())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_comment_list_is_cut_at_its_cap() {
    let server = Hostile::start(&[user(), (COMMENTS, Act::Flood(200))]).await;
    let before = own_peak_kb();
    let marker = Marker::new("spark-promote.yaml", &[]);
    let err = upsert(&client(&server), &pull(), &marker, "x", IfMissing::Create)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("the answer is over 16 MiB"), "{err}");
    assert!(err.len() < 500, "{err}");
    let grown = own_peak_kb().saturating_sub(before);
    assert!(grown < 64 * 1024, "the peak grew by {grown} kB");
    assert!(server.sent() < 64 << 20, "{} bytes sent", server.sent());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_error_body_from_github_gives_a_short_message() {
    let server = Hostile::start(&[user(), (COMMENTS, Act::Flood(422))]).await;
    let marker = Marker::new("spark-promote.yaml", &[]);
    let err = upsert(&client(&server), &pull(), &marker, "x", IfMissing::Create)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("failed with 422"), "{err}");
    assert!(err.len() < 500, "{} bytes: {}", err.len(), &err[..300]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_github_call_ends_at_its_total_timeout() {
    let server = Hostile::start(&[("GET /user", Act::Hang)]).await;
    let client = client(&server)
        .with_timeout(Duration::from_millis(800))
        .with_retry(RetryPolicy {
            max_retries: 1,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(10),
            max_wait: Duration::from_secs(1),
        });
    let started = Instant::now();
    let marker = Marker::new("spark-promote.yaml", &[]);
    let err = upsert(&client, &pull(), &marker, "x", IfMissing::Create)
        .await
        .unwrap_err()
        .to_string();
    let took = started.elapsed();
    assert_eq!(err, "GET /user failed: no answer within 800ms");
    // Two attempts of 0.8 s.
    assert!(took < Duration::from_secs(4), "{took:?}");
    assert_eq!(server.seen().len(), 2);
}
