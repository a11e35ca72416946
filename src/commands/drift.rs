//! `drift`: compares each selected promotion's source (or its lock) with its destination; prints the
//! report on stdout (text for a person, markdown inside GitHub Actions or with `--format markdown`, JSON
//! with `--json`); exit 0 in sync, 3 on drift, 1 when a comparison failed.
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use super::run::{Format, chosen, stdout_colour};
use crate::exit::Outcome;
use crate::promote::{self, RunOptions};
use crate::report;

/// A `drift` from the command line.
pub struct DriftRequest {
    pub selection: super::Selection,
    /// `--format` or `--json`; `None`: the default for where stdout goes.
    pub format: Option<Format>,
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
    let manifest = request.selection.manifest.display().to_string();
    let text = match chosen(request.format) {
        Format::Json => {
            serde_json::to_string_pretty(&report).context("failed to write the report as JSON")?
        }
        Format::Markdown => report::drift::markdown(&report, &manifest),
        Format::Text => report::drift::text(&report, &manifest, stdout_colour()),
    };
    writeln!(std::io::stdout().lock(), "{}", text.trim_end())
        .context("failed to write the report")?;
    Ok(report.outcome())
}
