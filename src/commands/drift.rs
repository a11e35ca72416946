//! `drift`: compares each selected promotion's source (or its lock) with its destination; prints the
//! report (or `--json`) on stdout; exit 0 in sync, 3 on drift, 1 when a comparison failed.
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::exit::Outcome;
use crate::promote::{self, RunOptions};

/// A `drift` from the command line.
pub struct DriftRequest {
    pub selection: super::Selection,
    pub json: bool,
}

pub async fn drift(request: DriftRequest) -> anyhow::Result<Outcome> {
    let manifest = request.selection.load()?;
    let selected = request.selection.of(&manifest);
    let lock = promote::source::lock::for_run(&manifest, &selected, false).await?;
    let options = RunOptions {
        lock: Arc::new(lock),
        ..super::run::options(Duration::from_secs(30 * 60))?
    };
    let report = promote::drift::run(manifest, &request.selection.promotions, options).await?;
    let text = if request.json {
        serde_json::to_string_pretty(&report).context("failed to write the report as JSON")?
    } else {
        report.text()
    };
    writeln!(std::io::stdout().lock(), "{text}").context("failed to write the report")?;
    Ok(report.outcome())
}
