//! Redaction at the edge: a server that echoes what it was sent (the token request's form, the request's
//! headers) gets every secret known to the run back as `***` in every output; an access token fetched at
//! run time is masked in the action as soon as it is known; a download's redirect carries no `Referer`.
use std::time::Duration;

use super::bodies::status_of;
use super::server::{Act, Hostile};
use crate::support::cli::{ActionRun, ENVIRONMENTS, Lab, assert_no_secret_in};

const TOKEN: &str = "POST /auth/realms/acme-uat/protocol/openid-connect/token";
const FETCHED: &str = "at-fetched-0042-secret";

/// Runs the action's `plan` of uat → prod (uat by client credentials) against `server`.
async fn action_plan(server: &Hostile) -> ActionRun {
    let lab = Lab::start(Duration::from_secs(1)).await;
    let manifest = format!(
        "{ENVIRONMENTS}promotions:\n  - name: pricing\n    from: {{ environment: uat, services: [pricing/quote] }}\n    to: prod\n"
    )
    .replace("{{URL}}", &server.url());
    std::fs::write(lab.path("spark-promote.yaml"), manifest).unwrap();
    lab.action(&[("INPUT_COMMAND", "plan")]).await
}

/// Every output of the action but its `::add-mask::` lines.
fn everything(run: &ActionRun) -> String {
    let stdout: Vec<&str> = run
        .output
        .stdout
        .lines()
        .filter(|line| !line.starts_with("::add-mask::"))
        .collect();
    [
        stdout.join("\n"),
        run.output.stderr.clone(),
        run.outputs.clone(),
        run.summary.clone(),
        run.result.clone(),
        run.summary_file.clone(),
    ]
    .join("\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_endpoint_echoing_its_form_gets_the_client_secret_back_as_stars_everywhere() {
    let server = Hostile::start(&[(TOKEN, Act::Echo(401))]).await;
    let run = action_plan(&server).await;
    assert_eq!(run.output.code, 1, "{}", run.output.stderr);
    run.assert_no_secret();
    // The echo did come back, redacted.
    let all = everything(&run);
    assert!(all.contains("client_secret=***"), "{all}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fetched_access_token_is_masked_at_once_and_removed_from_an_echo_of_the_headers() {
    let token = format!(r#"{{"access_token":"{FETCHED}","expires_in":300}}"#);
    let server = Hostile::start(&[(TOKEN, Act::Json(200, token)), ("*", Act::Echo(400))]).await;
    let run = action_plan(&server).await;
    assert_eq!(run.output.code, 1, "{}", run.output.stderr);
    assert!(
        run.output
            .stdout
            .contains(&format!("::add-mask::{FETCHED}")),
        "{}",
        run.output.stdout
    );
    let all = everything(&run);
    assert!(!all.contains(FETCHED), "the access token leaked:\n{all}");
    assert!(all.contains("Bearer ***"), "{all}");
    run.assert_no_secret();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_echoing_the_request_headers_gets_the_bearer_token_back_as_stars() {
    let server = Hostile::start(&[("*", Act::Echo(400))]).await;
    let run = status_of(&server, "prod", Duration::from_secs(30)).await;
    assert_eq!(run.output.code, 1, "{}", run.output.stderr);
    assert!(
        run.output.stderr.contains("Bearer ***"),
        "{}",
        run.output.stderr
    );
    run.output.assert_no_secret();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_comment_quoting_a_secret_reaches_github_with_stars() {
    use secrecy::SecretString;
    use spark_promote::github::comment::upsert;
    use spark_promote::github::{Client, IfMissing, Marker, PullRequest};
    let server = Hostile::start(&[
        (
            "GET /user",
            Act::Json(200, r#"{"login":"bot","id":1}"#.into()),
        ),
        (
            "GET /repos/acme/pricing/issues/7/comments",
            Act::Json(200, "[]".into()),
        ),
        (
            "POST /repos/acme/pricing/issues/7/comments",
            Act::Json(
                201,
                r#"{"id":9,"body":"x","user":{"login":"bot","id":1}}"#.into(),
            ),
        ),
    ])
    .await;
    spark_promote::redact::register("echoed-secret-in-a-comment");
    let client = Client::new(&server.url(), &SecretString::from("ghs_x")).unwrap();
    let pull = PullRequest {
        owner: "acme".into(),
        repo: "pricing".into(),
        number: 7,
    };
    let marker = Marker::new("spark-promote.yaml", &[]);
    let markdown = "import failed: the server said echoed-secret-in-a-comment";
    // Whatever this server answers, what matters is what was sent.
    let _ = upsert(&client, &pull, &marker, markdown, IfMissing::Create).await;
    let post = server
        .seen()
        .into_iter()
        .find(|seen| seen.method == "POST")
        .expect("the comment was posted");
    assert_no_secret_in("the comment", &post.body);
    assert!(
        !post.body.contains("echoed-secret-in-a-comment"),
        "{}",
        post.body
    );
    assert!(post.body.contains("the server said ***"), "{}", post.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_download_redirect_carries_no_referer() {
    use spark_promote::spark::{Auth, Client, ClientOptions};
    let server = Hostile::start(&[
        (
            "GET /docstore/signed.zip",
            Act::Redirect("/docstore/moved.zip".into()),
        ),
        ("GET /docstore/moved.zip", Act::Echo(200)),
    ])
    .await;
    let client = Client::new(
        format!("{}/acme-uat", server.url()).parse().unwrap(),
        Auth::Bearer("tok-acme-uat".into()),
        ClientOptions::default(),
    )
    .unwrap();
    let url = format!(
        "{}/docstore/signed.zip?X-Amz-Signature=sig0042",
        server.url()
    );
    let dir = tempfile::tempdir().unwrap();
    client
        .download(&url.parse().unwrap(), &dir.path().join("p.zip"), None)
        .await
        .unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for request in &seen {
        assert!(
            request
                .headers
                .iter()
                .all(|(name, _)| name != "referer" && name != "authorization"),
            "{request:?}"
        );
    }
}
