//! SIGINT and SIGTERM in each phase of a run: the job ends `cancelled` on the sandbox if it was created, the
//! process exits 130 / 143 within 5 s, and the result says what happened.
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::{Value, json};
use spark_promote::sandbox::Compat;

use super::{From, QUICK, errors, partial_downloads, promote, rows};
use crate::support::cli::{COMPATS, Lab};

/// Jobs that outlive any test here unless cancelled.
const LONG: Duration = Duration::from_secs(30);
/// A stall longer than any test here.
const STALL_MS: u64 = 30_000;

#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Fetching the client-credentials token (the token call stalls).
    Token,
    /// Uploading the package (the import POST stalls).
    Upload,
    /// Waiting for the tenant's slot (someone else's export runs).
    Slot,
    /// Polling the import job.
    Polling,
    /// Downloading the exported package of an environment source (the download stalls).
    Download,
    /// `export -o out.zip` downloading (the download stalls).
    ExportCommand,
}

/// Sets the phase up; returns the arguments to run and a stderr line's markers that show the phase began.
async fn set_up(lab: &Lab, phase: Phase) -> (Vec<&'static str>, Vec<&'static str>) {
    let apply = vec!["-v", "apply"];
    let stall = |route| json!({"route": route, "stall_ms": STALL_MS});
    match phase {
        Phase::Token => {
            promote(lab, From::Package, "uat");
            lab.fault(stall("token")).await;
            (apply, vec!["requesting a client-credentials token"])
        }
        Phase::Upload => {
            promote(lab, From::Package, "prod");
            lab.fault(stall("import")).await;
            (apply, vec!["sending", "method=POST", "/api/v4/import"])
        }
        Phase::Slot => {
            promote(lab, From::Package, "prod");
            lab.occupy_prod().await;
            (apply, vec!["waiting for it to end"])
        }
        Phase::Polling => {
            promote(lab, From::Package, "prod");
            (apply, vec!["started import job"])
        }
        Phase::Download => {
            promote(lab, From::Uat, "prod");
            lab.fault(stall("download")).await;
            (apply, vec!["downloading"])
        }
        Phase::ExportCommand => {
            lab.manifest("promotions: []\n");
            lab.fault(stall("download")).await;
            let export = [&["-v"], super::EXPORT_QUOTE].concat();
            (export, vec!["downloading"])
        }
    }
}

/// Runs one phase with one signal; `json` chooses `--json` or the markdown summary on stdout. Returns the
/// row of the table, or what went wrong.
async fn interrupt(
    phase: Phase,
    signal: &'static str,
    json: bool,
    compat: Compat,
) -> Result<String, String> {
    let duration = match phase {
        Phase::Slot | Phase::Polling => LONG,
        _ => QUICK,
    };
    let lab = Lab::start_compat(duration, compat).await;
    let (mut args, markers) = set_up(&lab, phase).await;
    let command = matches!(phase, Phase::ExportCommand);
    if json && !command {
        args.push("--json");
    }
    let run = lab.spawn(&args, &[]);
    run.wait_for_stderr(&markers, Duration::from_secs(15)).await;
    run.signal(signal);
    let (output, took) = run.finish().await;
    output.assert_no_secret();
    let case = match compat {
        Compat::Rich => format!("{phase:?} + SIG{signal}"),
        Compat::Spec => format!("{phase:?} + SIG{signal} (--compat spec)"),
    };
    let fail = |why: String| {
        Err(format!(
            "{case}: {why}\nstdout:\n{}\nstderr:\n{}",
            output.stdout, output.stderr
        ))
    };
    let code = if signal == "INT" { 130 } else { 143 };
    if took >= Duration::from_secs(5) || output.code != code {
        return fail(format!(
            "exit {} after {took:?}, expected {code} within 5 s",
            output.code
        ));
    }
    let imports = lab.jobs_of("import").await;
    let created = matches!(phase, Phase::Polling) as usize;
    if imports.len() != created || imports.iter().any(|job| job["status"] != "cancelled") {
        return fail(format!(
            "expected {created} import(s), cancelled: {imports:#?}"
        ));
    }
    if matches!(phase, Phase::Slot) {
        let exports = lab.jobs_of("export").await;
        if !["created", "in_progress"].contains(&exports[0]["status"].as_str().unwrap()) {
            return fail(format!("someone else's job was touched: {exports:#?}"));
        }
    }
    if !partial_downloads(&lab).is_empty() {
        return fail("a partial download was left behind".into());
    }
    let said = if command {
        let leftovers = lab.path("out.zip").exists() || lab.path("out.zip.json").exists();
        if leftovers || !output.stdout.is_empty() || !output.stderr.contains("interrupted") {
            return fail(
                "expected no output file, an empty stdout and `interrupted` on stderr".into(),
            );
        }
        "export interrupted (stderr)".to_string()
    } else if json {
        let result: Value = output.json()["promotions"][0].clone();
        let said = errors(&result);
        if result["status"] != "cancelled" || !said.contains("cancel") {
            return fail(format!(
                "expected a cancelled promotion saying so: {result:#}"
            ));
        }
        said
    } else {
        match output
            .stdout
            .lines()
            .find(|line| line.contains("cancelled"))
        {
            Some(line) => line.to_string(),
            None => return fail("the summary does not say cancelled".into()),
        }
    };
    Ok(format!(
        "| {case} | exit {code} in {took:.1?} | {} | {} |",
        imports.len(),
        said.lines().next().unwrap_or("")
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_and_sigterm_in_every_phase_cancel_the_job_and_exit_within_5_s() {
    let phases = [
        Phase::Token,
        Phase::Upload,
        Phase::Slot,
        Phase::Polling,
        Phase::Download,
        Phase::ExportCommand,
    ];
    for compat in COMPATS {
        let runs = phases.iter().flat_map(|&phase| {
            [
                interrupt(phase, "INT", true, compat),
                interrupt(phase, "TERM", false, compat),
            ]
        });
        rows(join_all(runs).await);
    }
}
