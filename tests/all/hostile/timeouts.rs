//! Time bounds: `--wait-timeout` holds for the whole wait (a hanging status call and its retries
//! included), and SIGTERM ends any phase, a hanging GitHub call too, with exit 143 and the summary written.
use std::time::Duration;

use super::bodies::{binary, workdir};
use super::server::{Act, Hostile, kill, measure, start};
use crate::support::cli::{Lab, SECRETS};

const NO_JOBS: &str = r#"{"in_progress":[],"recent":[]}"#;

/// `export` of pricing/quote from `server` with `extra` arguments, which fails (exit 1).
async fn failed_export(server: &Hostile, extra: &[&str]) -> super::server::Measured {
    let dir = workdir(server);
    let mut args = vec![
        "export",
        "--env",
        "prod",
        "--service",
        "pricing/quote",
        "-o",
        "pkg.zip",
    ];
    args.extend_from_slice(extra);
    let run = measure(binary(dir.path(), &args), Duration::from_secs(50)).await;
    assert_eq!(run.output.code, 1, "{}", run.output.stderr);
    run
}

/// A tenant with no jobs that starts the export `j1` and answers its status with `status`.
async fn export_server(status: Act) -> Hostile {
    Hostile::start(&[
        (
            "GET /acme-prod/api/v4/export/status",
            Act::Json(200, NO_JOBS.into()),
        ),
        (
            "GET /acme-prod/api/v4/import/status",
            Act::Json(200, NO_JOBS.into()),
        ),
        (
            "POST /acme-prod/api/v4/export",
            Act::Json(
                200,
                r#"{"id":"j1","object":"export","status":"created"}"#.into(),
            ),
        ),
        ("GET /acme-prod/api/v4/export/j1/status", status),
    ])
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_wait_timeout_bounds_a_hanging_status_call_and_its_retries() {
    let server = export_server(Act::Hang).await;
    let run = failed_export(&server, &["--wait-timeout", "2s"]).await;
    // One call alone may take a minute (the client's own timeout): the wait ended at its deadline.
    assert!(run.took < Duration::from_secs(10), "took {:?}", run.took);
    assert!(
        run.output.stderr.contains("export job j1"),
        "{}",
        run.output.stderr
    );
    run.output.assert_no_secret();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_whose_status_cannot_be_read_says_how_to_cancel_it() {
    let server = export_server(Act::Json(400, r#"{"error":"broken"}"#.into())).await;
    let run = failed_export(&server, &[]).await;
    assert!(
        run.output
            .stderr
            .contains("export job j1 may still be running on the source tenant: cancel it with"),
        "{}",
        run.output.stderr
    );
    assert!(
        run.output.stderr.contains("--kind export j1"),
        "{}",
        run.output.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_ends_a_hanging_github_call_and_the_action_exits_143_with_its_summary() {
    let lab = Lab::start(Duration::from_secs(1)).await;
    lab.manifest(
        "promotions:\n  - name: pricing\n    from: { environment: uat, services: [pricing/quote] }\n    to: prod\n",
    );
    let github = Hostile::start(&[("*", Act::Hang)]).await;
    let mut env = lab.runner_env();
    env.push(("GITHUB_API_URL".into(), github.url()));
    env.push(("INPUT_COMMAND".into(), "plan".into()));
    env.push((
        "GITHUB_SHA".into(),
        "0123456789abcdef0123456789abcdef01234567".into(),
    ));
    let env: Vec<(&str, &str)> = env.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let running = start(lab.command(&["action"], &env));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while github.seen().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "GitHub was never called"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let signalled = std::time::Instant::now();
    kill(running.pid, "TERM");
    let run = running.finish(Duration::from_secs(60)).await;
    let exited = signalled.elapsed();
    assert_eq!(run.output.code, 143, "{}", run.output.stderr);
    // Within the runner's grace period (7.5 s between SIGINT and SIGTERM, then a kill).
    assert!(
        exited < Duration::from_secs(5),
        "exited {exited:?} after SIGTERM"
    );
    let action = lab.action_run(run.output);
    assert!(
        action.summary.contains("spark-promote"),
        "no job summary:\n{}",
        action.output.stderr
    );
    action.assert_no_secret();
    assert!(
        SECRETS
            .iter()
            .all(|(_, value)| !github.seen().iter().any(|seen| seen.path.contains(value)))
    );
}
