//! Bounded bodies: a Spark answer, an error body, a token answer or a package download that never ends is
//! cut at its cap; memory stays flat, nothing large is written, and the message quotes a short snippet.
use std::path::Path;
use std::time::Duration;

use super::server::{Act, Hostile, Measured, measure};
use crate::support::bin::Bin;
use crate::support::cli::{ENVIRONMENTS, SECRETS};

/// Most the binary's peak memory may reach against a flood (the debug binary idles at about 20 MB; a Spark
/// answer is capped at 16 MiB).
pub const PEAK_BOUND_KB: u64 = 96 * 1024;
/// Most the binary may print (stdout and stderr together) about one flooded call.
pub const PRINTED_BOUND: usize = 16 * 1024;

/// A work directory with a manifest whose environments are on `server`.
pub fn workdir(server: &Hostile) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let manifest = format!(
        "{ENVIRONMENTS}promotions:\n  - name: pricing\n    from: {{ environment: uat, services: [pricing/quote] }}\n    to: prod\n"
    )
    .replace("{{URL}}", &server.url());
    std::fs::write(dir.path().join("spark-promote.yaml"), manifest).unwrap();
    dir
}

/// The binary in `dir` with the tests' secrets.
pub fn binary(dir: &Path, args: &[&str]) -> tokio::process::Command {
    Bin::new(args)
        .dir(dir)
        .own_logs()
        .envs(SECRETS.iter().copied())
        .piped()
}

/// `status --env ENV --kind export j1` against `server`, measured (the call most hostile cases answer).
pub async fn status_of(server: &Hostile, env: &str, within: Duration) -> Measured {
    let dir = workdir(server);
    let args = ["status", "--env", env, "--kind", "export", "j1"];
    measure(binary(dir.path(), &args), within).await
}

/// Checks the bounds every flooded call keeps: memory, what was printed, no secret.
pub fn assert_bounded(run: &Measured) {
    let printed = run.output.stdout.len() + run.output.stderr.len();
    assert!(
        run.peak_kb < PEAK_BOUND_KB,
        "peak memory {} kB over {PEAK_BOUND_KB} kB",
        run.peak_kb
    );
    assert!(
        printed < PRINTED_BOUND,
        "{printed} bytes printed:\n{}",
        &run.output.stderr[..run.output.stderr.len().min(2000)]
    );
    run.output.assert_no_secret();
}

const STATUS: &str = "GET /acme-prod/api/v4/export/j1/status";

#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::print_stderr, reason = "the figures of docs/hostile-input.md")]
async fn an_endless_status_answer_is_cut_at_its_cap_with_a_short_message() {
    let server = Hostile::start(&[(STATUS, Act::Flood(200))]).await;
    let run = status_of(&server, "prod", Duration::from_secs(60)).await;
    assert_eq!(run.output.code, 1, "{}", run.output.stderr);
    assert!(
        run.output.stderr.contains("the answer is over 16 MiB"),
        "{}",
        run.output.stderr
    );
    assert_bounded(&run);
    // What the kernel buffers aside, the server stopped soon after the cap.
    assert!(server.sent() < 64 << 20, "{} bytes sent", server.sent());
    eprintln!(
        "flooded status: peak {} kB, {} bytes sent",
        run.peak_kb,
        server.sent()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_declared_huge_answer_is_not_read_at_all() {
    let server = Hostile::start(&[(STATUS, Act::Declared(200, 1 << 40))]).await;
    let run = status_of(&server, "prod", Duration::from_secs(60)).await;
    assert_eq!(run.output.code, 1, "{}", run.output.stderr);
    assert!(run.output.stderr.contains("the answer is over 16 MiB"));
    assert_bounded(&run);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_error_body_is_quoted_as_a_short_snippet() {
    let server = Hostile::start(&[(STATUS, Act::Flood(400))]).await;
    let run = status_of(&server, "prod", Duration::from_secs(60)).await;
    assert_eq!(run.output.code, 1, "{}", run.output.stderr);
    assert!(
        run.output
            .stderr
            .contains("export status refused (400): xxxx"),
        "{}",
        run.output.stderr
    );
    assert_bounded(&run);
    assert!(server.sent() < 32 << 20, "{} bytes sent", server.sent());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_json_string_of_megabytes_is_not_quoted_whole_by_the_decoder() {
    // serde's message quotes a whole string value: the client cuts it.
    let huge = format!(
        r#"{{"id":"j1","status":{{"x":"{}"}}}}"#,
        "y".repeat(4 << 20)
    );
    let server = Hostile::start(&[(STATUS, Act::Json(200, huge))]).await;
    let run = status_of(&server, "prod", Duration::from_secs(60)).await;
    assert_eq!(run.output.code, 1, "{}", run.output.stderr);
    assert!(
        run.output.stderr.contains("unexpected response"),
        "{}",
        run.output.stderr
    );
    assert_bounded(&run);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_token_answer_is_cut_at_its_cap() {
    let server = Hostile::start(&[(
        "POST /auth/realms/acme-uat/protocol/openid-connect/token",
        Act::Flood(200),
    )])
    .await;
    let run = status_of(&server, "uat", Duration::from_secs(60)).await;
    assert_eq!(run.output.code, 1, "{}", run.output.stderr);
    assert!(
        run.output.stderr.contains("the answer is over 16 MiB"),
        "{}",
        run.output.stderr
    );
    assert_bounded(&run);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_download_stops_at_the_package_limit_and_leaves_no_file() {
    use spark_promote::spark::{Auth, Client, ClientOptions, PACKAGE_LIMIT};
    let server = Hostile::start(&[("GET /docstore/package.zip", Act::Flood(200))]).await;
    let dir = tempfile::tempdir().unwrap();
    let client = Client::new(
        format!("{}/acme-uat", server.url()).parse().unwrap(),
        Auth::Bearer("tok-acme-uat".into()),
        ClientOptions::default(),
    )
    .unwrap();
    let url = format!("{}/docstore/package.zip", server.url())
        .parse()
        .unwrap();
    let err = client
        .download(&url, &dir.path().join("pkg.zip"), None)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!(
            "over the tenant's package limit of {PACKAGE_LIMIT} bytes"
        )),
        "{err}"
    );
    // One attempt (not retried), stopped at the limit; the partial file is gone.
    assert_eq!(server.seen().len(), 1);
    assert!(
        server.sent() < PACKAGE_LIMIT + (16 << 20),
        "{}",
        server.sent()
    );
    assert_eq!(super::tree(dir.path()), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_download_declared_over_the_limit_is_refused_before_writing() {
    use spark_promote::spark::{Auth, Client, ClientOptions};
    let server =
        Hostile::start(&[("GET /docstore/package.zip", Act::Declared(200, 1 << 40))]).await;
    let dir = tempfile::tempdir().unwrap();
    let client = Client::new(
        format!("{}/acme-uat", server.url()).parse().unwrap(),
        Auth::Bearer("tok-acme-uat".into()),
        ClientOptions::default(),
    )
    .unwrap();
    let url = format!("{}/docstore/package.zip", server.url())
        .parse()
        .unwrap();
    let err = client
        .download(&url, &dir.path().join("pkg.zip"), None)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("(at least 1099511627776 bytes)"), "{err}");
    assert!(server.sent() < 16 << 20, "{}", server.sent());
    assert_eq!(super::tree(dir.path()), Vec::<String>::new());
}
