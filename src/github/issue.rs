//! The drift issue: exactly one open issue per manifest, found by a hidden marker (as the sticky comment),
//! opened on drift, its body updated when the drift changes, and a comment and a close when it is gone.
use http::Method;
use serde::Deserialize;
use serde_json::json;

use super::api::{ApiError, Client, Retry};
use super::comment::Marker;

/// The issue's title.
pub const TITLE: &str = "spark-promote: drift";

/// What the drift issue sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueOutcome {
    Opened(u64),
    Updated(u64),
    Unchanged(u64),
    Closed(u64),
    /// In sync, and no issue open.
    None,
    /// The token may not write issues (a warning).
    Forbidden(String),
}

#[derive(Debug, Deserialize)]
struct Issue {
    number: u64,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    pull_request: Option<serde_json::Value>,
}

/// The issue body for a drift report: the marker first, then the report.
pub fn body(marker: &Marker, report: &str) -> String {
    format!("{marker}\n{report}")
}

/// Keeps the drift issue of `marker` in `owner/repo` as `drift` says: `Some(markdown)` when drifted, `None`
/// when in sync. The issue is looked for among the open issues with the first of `labels` (every
/// page), by its marker. A 403 or 404 is [`IssueOutcome::Forbidden`].
pub async fn sync(
    client: &Client,
    repository: &str,
    marker: &Marker,
    drift: Option<&str>,
    labels: &[String],
) -> Result<IssueOutcome, ApiError> {
    let result: Result<IssueOutcome, ApiError> = async {
        let repo = format!("/repos/{repository}");
        let label = labels.first().map(String::as_str).unwrap_or("spark-promote");
        let open = format!("{repo}/issues?state=open&labels={label}");
        let found = client
            .find_in_pages(&open, |issue: &Issue| {
                issue.pull_request.is_none()
                    && issue
                        .body
                        .as_deref()
                        .is_some_and(|body| body.starts_with(marker.as_str()))
            })
            .await?;
        match (drift, found) {
            (Some(report), None) => {
                let created: Issue = client
                    .json(
                        Method::POST,
                        &format!("{repo}/issues"),
                        Some(&json!({"title": TITLE, "body": body(marker, report), "labels": labels})),
                        Retry::RateLimitOnly,
                    )
                    .await?;
                Ok(IssueOutcome::Opened(created.number))
            }
            (Some(report), Some(issue)) => {
                let wanted = body(marker, report);
                if issue.body.as_deref().map(str::trim_end) == Some(wanted.trim_end()) {
                    return Ok(IssueOutcome::Unchanged(issue.number));
                }
                let _: Issue = client
                    .json(
                        Method::PATCH,
                        &format!("{repo}/issues/{}", issue.number),
                        Some(&json!({"body": wanted})),
                        Retry::Idempotent,
                    )
                    .await?;
                Ok(IssueOutcome::Updated(issue.number))
            }
            (None, Some(issue)) => {
                let _: serde_json::Value = client
                    .json(
                        Method::POST,
                        &format!("{repo}/issues/{}/comments", issue.number),
                        Some(&json!({"body": "spark-promote: every promotion is in sync again; closing."})),
                        Retry::RateLimitOnly,
                    )
                    .await?;
                let _: Issue = client
                    .json(
                        Method::PATCH,
                        &format!("{repo}/issues/{}", issue.number),
                        Some(&json!({"state": "closed", "state_reason": "completed"})),
                        Retry::Idempotent,
                    )
                    .await?;
                Ok(IssueOutcome::Closed(issue.number))
            }
            (None, None) => Ok(IssueOutcome::None),
        }
    }
    .await;
    match result {
        Err(err) if err.is_refused() => Ok(IssueOutcome::Forbidden(format!(
            "cannot keep the drift issue: {err} (the workflow needs `issues: write`)"
        ))),
        other => other,
    }
}
