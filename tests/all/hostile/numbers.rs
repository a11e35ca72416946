//! Numbers from servers are checked: an absurd token lifetime or `Retry-After` ends in an answer or an
//! error, never a panic (exit 101, no summary).
use std::time::Duration;

use super::bodies::status_of;
use super::server::{Act, Hostile};

const TOKEN: &str = "POST /auth/realms/acme-uat/protocol/openid-connect/token";
const STATUS: &str = "GET /acme-uat/api/v4/export/j1/status";
const DONE: &str = r#"{"id":"j1","object":"export","status":"completed","outputs":{"files":[],"services":[],"service_versions":[]}}"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_token_lifetime_of_1e30_or_u64_max_does_not_panic() {
    for expires_in in ["1e30", "18446744073709551615"] {
        let token = format!(r#"{{"access_token":"at-0042-x","expires_in":{expires_in}}}"#);
        let server = Hostile::start(&[
            (TOKEN, Act::Json(200, token)),
            (STATUS, Act::Json(200, DONE.into())),
        ])
        .await;
        let run = status_of(&server, "uat", Duration::from_secs(30)).await;
        assert_eq!(run.output.code, 0, "{expires_in}: {}", run.output.stderr);
        assert!(
            run.output.stdout.contains("completed"),
            "{}",
            run.output.stdout
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_of_1e30_ends_the_retries_at_once() {
    let server = Hostile::start(&[
        (
            TOKEN,
            Act::Json(
                200,
                r#"{"access_token":"at-0042-x","expires_in":300}"#.into(),
            ),
        ),
        (
            STATUS,
            Act::Headed(
                503,
                "retry-after",
                "1e30".into(),
                r#"{"error":"busy"}"#.into(),
            ),
        ),
    ])
    .await;
    let run = status_of(&server, "uat", Duration::from_secs(30)).await;
    assert_eq!(run.output.code, 1, "{}", run.output.stderr);
    assert!(run.took < Duration::from_secs(10), "{:?}", run.took);
    assert_eq!(
        server
            .seen()
            .iter()
            .filter(|seen| seen.path.ends_with("/status"))
            .count(),
        1
    );
}
