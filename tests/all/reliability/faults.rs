//! The fault matrix: each injected fault, the outcome of `apply --json`, the jobs it created.
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::{Value, json};
use spark_promote::sandbox::{Compat, Config};

use super::{From, QUICK, errors, partial_downloads, promote, promotion, rows};
use crate::support::cli::{COMPATS, Lab};

/// How a scenario must end.
#[derive(Debug, Clone, Copy)]
enum Expect {
    Completed,
    /// Failed, with this text among the promotion's errors.
    Failed(&'static str),
}

struct Case {
    name: &'static str,
    faults: Vec<Value>,
    from: From,
    /// `prod` (bearer token) or `uat` (client credentials: token calls happen).
    target: &'static str,
    /// Sandbox settings other than the defaults of the matrix (quick jobs).
    config: Option<Config>,
    expect: Expect,
    imports: usize,
    /// A stderr line (of the `-v` debug log) that must appear more than once.
    repeated: Option<&'static str>,
}

fn case(name: &'static str, faults: Vec<Value>, expect: Expect, imports: usize) -> Case {
    Case {
        name,
        faults,
        from: From::Package,
        target: "prod",
        config: None,
        expect,
        imports,
        repeated: None,
    }
}

fn cases() -> Vec<Case> {
    use Expect::{Completed, Failed};
    vec![
        case(
            "500 on the upload",
            vec![json!({"route": "import", "status": 500})],
            Failed("500"),
            0,
        ),
        case(
            "500 on a status poll",
            vec![json!({"route": "import_status", "status": 500})],
            Completed,
            1,
        ),
        case(
            "503 on every status poll, beyond the retries",
            vec![json!({"route": "import_status", "status": 503, "retry_after": 0, "count": 10})],
            Failed("may still be running (a re-run attaches to it"),
            1,
        ),
        case(
            "502 on the tenant's job listing",
            vec![json!({"route": "imports", "status": 502})],
            Completed,
            1,
        ),
        case(
            "503 twice on a status poll",
            vec![json!({"route": "import_status", "status": 503, "count": 2})],
            Completed,
            1,
        ),
        Case {
            target: "uat",
            ..case(
                "504 on the token call",
                vec![json!({"route": "token", "status": 504})],
                Completed,
                1,
            )
        },
        case(
            "429 with Retry-After on a status poll",
            vec![json!({"route": "import_status", "status": 429, "retry_after": 1})],
            Completed,
            1,
        ),
        case(
            "429 without Retry-After on the job listing",
            vec![json!({"route": "imports", "status": 429, "count": 2})],
            Completed,
            1,
        ),
        case(
            "429 on the upload",
            vec![json!({"route": "import", "status": 429, "retry_after": 1})],
            Failed("429"),
            0,
        ),
        case(
            "connection dropped mid-upload, before the job was created",
            vec![json!({"route": "import", "drop": true})],
            Completed,
            1,
        ),
        case(
            "connection dropped after the job was created",
            vec![json!({"route": "import", "drop_response": true})],
            Completed,
            1,
        ),
        case(
            "connection dropped on a status poll",
            vec![json!({"route": "import_status", "drop": true})],
            Completed,
            1,
        ),
        case(
            "a status poll stalled 2 s",
            vec![json!({"route": "import_status", "stall_ms": 2000})],
            Completed,
            1,
        ),
        Case {
            target: "uat",
            config: Some(Config {
                token_lifetime: Duration::from_secs(1),
                job_duration: Duration::from_secs(3),
                ..Config::default()
            }),
            repeated: Some("requesting a client-credentials token"),
            ..case("token expiry mid-poll", vec![], Completed, 1)
        },
        case(
            "the import job fails",
            vec![json!({"fail_next_job": "engine error: sheet Rates!B7 is #REF!"})],
            Failed("engine error: sheet Rates!B7 is #REF!"),
            1,
        ),
        Case {
            from: From::Uat,
            ..case(
                "export download refused (403, expired link)",
                vec![json!({"route": "download", "status": 403})],
                Failed("failed to download the package of export job"),
                0,
            )
        },
        Case {
            from: From::Uat,
            ..case(
                "export download dropped once",
                vec![json!({"route": "download", "drop": true})],
                Completed,
                1,
            )
        },
        Case {
            from: From::Uat,
            ..case(
                "503 on an export status poll",
                vec![json!({"route": "export_status", "status": 503})],
                Completed,
                1,
            )
        },
    ]
}

/// Runs one case against the sandbox answering in `compat`; returns its row of the table, or what went wrong.
async fn run(case: Case, compat: Compat) -> Result<String, String> {
    let config = case.config.unwrap_or(Config {
        job_duration: QUICK,
        ..Config::default()
    });
    let lab = Lab::start_config(Config { compat, ..config }).await;
    let name = match compat {
        Compat::Rich => case.name.to_owned(),
        Compat::Spec => format!("{} (--compat spec)", case.name),
    };
    promote(&lab, case.from, case.target);
    for fault in &case.faults {
        lab.fault(fault.clone()).await;
    }
    // With the debug log: no secret may appear in it either.
    let output = lab.cli(&["-v", "apply", "--json"]).await;
    let result = promotion(&output);
    let imports = lab.jobs_of("import").await.len();
    let (code, status, text) = match case.expect {
        Expect::Completed => (0, "completed", ""),
        Expect::Failed(text) => (1, "failed", text),
    };
    let said = errors(&result);
    // A job that was created is named in the result, whatever happened after.
    let named = result["job_id"].is_string() == (imports > 0);
    let repeated = case
        .repeated
        .is_none_or(|line| output.stderr.matches(line).count() > 1);
    if !named
        || !repeated
        || imports != case.imports
        || output.code != code
        || result["status"] != status
        || !said.contains(text)
        || !partial_downloads(&lab).is_empty()
    {
        return Err(format!(
            "{name}: expected {status} (exit {code}) with {} import(s) and {text:?} in the errors; got exit {}, \
             {imports} import(s):\n{result:#}\nstderr:\n{}",
            case.imports, output.code, output.stderr
        ));
    }
    Ok(format!(
        "| {name} | {status} | {imports} | {} |",
        said.lines().next().unwrap_or("")
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_injected_fault_ends_completed_or_failed_clearly_with_at_most_one_import() {
    for compat in COMPATS {
        rows(join_all(cases().into_iter().map(|case| run(case, compat))).await);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_whose_download_fails_leaves_no_file_behind() {
    let lab = Lab::start(QUICK).await;
    lab.manifest("promotions: []\n");
    lab.fault(json!({"route": "download", "status": 403})).await;
    let output = lab.cli(super::EXPORT_QUOTE).await;
    assert_eq!(output.code, 1, "{output:?}");
    output.assert_no_secret();
    assert!(output.stdout.is_empty(), "{output:?}");
    assert!(output.stderr.contains("403"), "{}", output.stderr);
    assert!(!lab.path("out.zip").exists());
    assert!(!lab.path("out.zip.json").exists());
    assert!(partial_downloads(&lab).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stall_beyond_the_call_timeout_is_cut_and_the_poll_retried() {
    use spark_promote::spark::{Auth, Client, ClientOptions};
    let lab = Lab::start(QUICK).await;
    let id = lab.occupy_prod().await;
    lab.fault(json!({"route": "export_status", "stall_ms": 3000}))
        .await;
    let client = Client::new(
        lab.sandbox.base_url("acme-prod").parse().unwrap(),
        Auth::Bearer("tok-acme-prod".into()),
        ClientOptions {
            timeout: Duration::from_millis(500),
            ..ClientOptions::default()
        },
    )
    .unwrap();
    let started = std::time::Instant::now();
    let status = client.export_status(&id).await.unwrap();
    assert_eq!(status.id, id);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the stalled call was waited out: {:?}",
        started.elapsed()
    );
}
