//! The comment's body: the report within the comment budget, the line saying what the run was for, and
//! the content key that tells a new run with the same result from a changed one.
use sha2::{Digest, Sha256};

use crate::promote::result::{PromotionStatus, RunKind, RunResult};
use crate::report::{self, RenderOptions, escape};

/// What the comment says the run was for: the commit and each promotion's modes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFor {
    /// The commit planned or applied (a pull request's head).
    pub commit: Option<String>,
    /// Each promotion's name and modes, e.g. (`pricing`, `services_existing: add_version`,
    /// `update_version_type: minor`).
    pub modes: Vec<(String, String, String)>,
}

impl RunFor {
    /// One line: `Planned for commit 1111111 · pricing: services_existing: add_version, ...` (markdown).
    fn line(&self, command: RunKind) -> String {
        let verb = match command {
            RunKind::Plan => "Planned for",
            RunKind::Apply | RunKind::Rollback => "Run on",
        };
        let mut parts = Vec::new();
        if let Some(commit) = &self.commit {
            let short: String = commit.chars().take(7).collect();
            parts.push(format!(
                "{verb} commit <code>{}</code>",
                escape::text(&short)
            ));
        }
        for (name, services_existing, update_version_type) in &self.modes {
            parts.push(format!(
                "{}: <code>services_existing: {}</code>, <code>update_version_type: {}</code>",
                escape::text(name),
                escape::text(services_existing),
                escape::text(update_version_type)
            ));
        }
        parts.join(" · ")
    }
}

/// The comment's markdown for `result` (within the comment budget), linking the run when known, then the
/// commit and modes it was run for.
pub fn markdown(result: &RunResult, run_url: Option<String>, run_for: &RunFor) -> String {
    let report = report::markdown(result, &RenderOptions::comment(run_url));
    let line = run_for.line(result.command);
    if line.is_empty() {
        report
    } else {
        format!("{}\n\n{line}\n", report.trim_end())
    }
}

/// A key of what the comment for `result` says, leaving out what differs on every run of the same thing
/// (the durations, the link to the run, and a plan's export job, a read-only listing made anew each run):
/// a new workflow run with the same result leaves the comment alone instead of rewriting it.
pub fn content_key(result: &RunResult, run_for: &RunFor) -> String {
    let mut stable = result.clone();
    for promotion in &mut stable.promotions {
        promotion.duration_ms = 0;
        if promotion.status == PromotionStatus::Planned {
            promotion.export_job_id = None;
        }
    }
    text_key(&markdown(&stable, None, run_for))
}

/// The content key of a comment that is not a run's result.
pub fn text_key(markdown: &str) -> String {
    hex::encode(&Sha256::digest(markdown.as_bytes())[..8])
}

/// The hidden line that carries a comment's [`content_key`], after the marker.
pub fn content_line(key: &str) -> String {
    format!("<!-- spark-promote-content:{key} -->")
}
