//! Reliability and security of the client (issue 6): the real binary against a sandbox on 127.0.0.1:0 under
//! injected faults, load, signals and hostile input. Every scenario checks the outcome, the jobs created on
//! the sandbox (never two imports for one promotion), that nothing is half-written, and that no secret
//! appears in anything the run printed or wrote. `docs/reliability.md` tabulates the scenarios.
mod cancel;
mod faults;
mod hostile;
mod load;

use std::time::Duration;

use serde_json::Value;

use crate::support::cli::{Lab, Output};
use crate::support::package;

/// Sandbox jobs that end quickly.
const QUICK: Duration = Duration::from_millis(300);

/// `export` of pricing/quote from uat into `out.zip`.
const EXPORT_QUOTE: &[&str] = &[
    "export",
    "--env",
    "uat",
    "--service",
    "pricing/quote",
    "-o",
    "out.zip",
];

/// Where a promotion's package comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum From {
    /// `packages/p.zip`, a small committed package holding pricing/quote.
    Package,
    /// An export of pricing/quote from uat.
    Uat,
}

/// A manifest with one promotion (`p`) of `from` into `target` (`prod`: bearer token; `uat`: client
/// credentials), writing the committed package when there is one.
fn promote(lab: &Lab, from: From, target: &str) {
    let source = match from {
        From::Package => {
            write_package(lab, "p.zip", &["pricing/quote"], 4096);
            "{ package: packages/p.zip }".to_string()
        }
        From::Uat => "{ environment: uat, services: [pricing/quote] }".to_string(),
    };
    lab.manifest(&format!(
        "promotions:\n  - name: p\n    from: {source}\n    to: {target}\n    services_existing: replace\n"
    ));
}

/// Writes `packages/{name}` holding version 1.0.0 of each service.
fn write_package(lab: &Lab, name: &str, services: &[&str], payload_bytes: u64) {
    std::fs::create_dir_all(lab.path("packages")).unwrap();
    package::write(
        &lab.path(&format!("packages/{name}")),
        services,
        payload_bytes,
    );
}

/// The first promotion of an `apply --json` run, after checking that stdout is whole JSON and that no
/// secret is in stdout or stderr.
fn promotion(output: &Output) -> Value {
    output.assert_no_secret();
    output.json()["promotions"][0].clone()
}

/// The errors of a promotion, joined.
fn errors(promotion: &Value) -> String {
    promotion["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// Files in the work directory that a download leaves behind while it runs.
fn partial_downloads(lab: &Lab) -> Vec<String> {
    std::fs::read_dir(lab.dir.path())
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".part"))
        .collect()
}

/// The rows of scenarios run together, after failing with every scenario that went wrong (not just the
/// first). Rows are printed: they are the tables of docs/reliability.md (shown with `--no-capture`).
#[allow(
    clippy::print_stdout,
    reason = "the table is for the reader of --no-capture"
)]
fn rows(results: Vec<Result<String, String>>) -> Vec<String> {
    let (rows, failures): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
    let failures: Vec<String> = failures.into_iter().filter_map(Result::err).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    let rows: Vec<String> = rows.into_iter().filter_map(Result::ok).collect();
    println!("{}", rows.join("\n"));
    rows
}
