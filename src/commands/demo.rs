//! `demo`: an in-process sandbox with two tenants, a real export from one and import into the other (plan,
//! apply, then apply again to show idempotency), each result printed on stdout as plan and apply print
//! theirs (text for a person, markdown inside GitHub Actions or with `--format markdown`, JSON with
//! `--json`: one document with the three steps).
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::{Value, json};

use super::run::{Format, chosen, stdout_colour};
use crate::exit::Outcome;
use crate::manifest::{self, HostPolicy};
use crate::promote::result::{RunKind, RunResult};
use crate::promote::{self, RunOptions};
use crate::report::{self, RenderOptions};
use crate::sandbox;

/// The demo's manifest; `{{PORT}}` is the sandbox's port.
const MANIFEST: &str = include_str!("../../examples/demo/spark-promote.yaml");

/// The demo seed's credentials, as the manifest's `${VAR}` references name them.
fn demo_env(name: &str) -> Option<String> {
    let value = match name {
        "DEMO_UAT_CLIENT_ID" => "ci-uat",
        "DEMO_UAT_CLIENT_SECRET" => "ci-uat-secret",
        "DEMO_PROD_TOKEN" => "tok-acme-prod",
        _ => return None,
    };
    Some(value.to_string())
}

pub async fn demo(format: Option<Format>) -> anyhow::Result<Outcome> {
    let format = chosen(format);
    let running = sandbox::start(sandbox::Config {
        listen: ([127, 0, 0, 1], 0).into(),
        job_duration: Duration::from_millis(1500),
        ..sandbox::Config::default()
    })
    .await
    .context("failed to start the sandbox")?;
    tracing::info!("sandbox listening on http://{}", running.addr());
    let text = MANIFEST.replace("{{PORT}}", &running.addr().port().to_string());
    let manifest = manifest::parse(
        &text,
        "examples/demo/spark-promote.yaml",
        Path::new("examples/demo"),
        &demo_env,
        &HostPolicy::new(&[]).map_err(|err| anyhow::anyhow!(err))?,
    )
    .context("the demo manifest is invalid")?;
    let manifest = Arc::new(manifest);
    let mut outcome = Outcome::Success;
    let mut steps = Vec::new();
    for (step, command) in [
        ("1. plan: what would change", RunKind::Plan),
        (
            "2. apply: export from acme-uat, import into acme-prod",
            RunKind::Apply,
        ),
        (
            "3. apply again: same content, same place, nothing imported",
            RunKind::Apply,
        ),
    ] {
        tracing::info!("{step}");
        let result = promote::run(command, manifest.clone(), &[], RunOptions::default()).await?;
        if result.outcome(&Default::default()) != Outcome::Success {
            outcome = Outcome::Failed;
        }
        match format {
            // One document with the three steps, once they have run.
            Format::Json => steps.push(json!({ "step": step, "result": as_json(&result)? })),
            _ => print(&shown(format, step, &result))?,
        }
    }
    running.shutdown().await;
    if format == Format::Json {
        print(&serde_json::to_string_pretty(&json!({ "steps": steps }))?)?;
    }
    Ok(outcome)
}

fn print(text: &str) -> anyhow::Result<()> {
    writeln!(std::io::stdout().lock(), "{text}").context("failed to write the result")
}

/// A result as the JSON `--json` prints (redacted).
fn as_json(result: &RunResult) -> anyhow::Result<Value> {
    serde_json::from_str(&report::json(result)).context("the result is not JSON")
}

/// One step's result as text or markdown, under its title.
fn shown(format: Format, step: &str, result: &RunResult) -> String {
    match format {
        Format::Markdown => format!(
            "<!-- {step} -->\n{}\n",
            report::markdown(result, &RenderOptions::summary(None))
        ),
        _ => format!("== {step}\n{}", report::text::text(result, stdout_colour())),
    }
}
