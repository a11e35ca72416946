//! The drift issue: exactly one open issue per manifest, found by a hidden marker (as the sticky comment),
//! opened on drift, its body updated when the drift changes, and a comment and a close when it is gone.
use http::Method;
use serde::Deserialize;
use serde_json::json;

use super::api::{ApiError, Client, Retry};
use super::comment::Marker;

/// The issue's title, naming its manifest (a monorepo has one issue per manifest).
pub fn title(manifest: &str) -> String {
    format!("spark-promote: drift in {manifest}")
}

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

/// The issue body for a drift report: the marker first, then the manifest, then the report.
pub fn body(marker: &Marker, manifest: &str, report: &str) -> String {
    format!("{marker}\nManifest: `{manifest}`\n\n{report}")
}

/// What a query value keeps as it is: letters, digits and the unreserved `-._~` (RFC 3986).
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The query of the open issues with `label`, the label percent-encoded (a space, `&`, `#`, `+`).
fn open_issues(repo: &str, label: &str) -> String {
    let label = percent_encoding::utf8_percent_encode(label, QUERY_VALUE);
    format!("{repo}/issues?state=open&labels={label}")
}

/// The drift issue of one manifest: where, how it is found, and its labels.
pub struct IssueOf<'a> {
    /// `owner/repo`.
    pub repository: &'a str,
    /// The manifest's path, as the title and body name it.
    pub manifest: &'a str,
    pub marker: &'a Marker,
    pub labels: &'a [String],
}

/// Keeps the drift issue `of` as `drift` says: `Some(markdown)` when drifted, `None` when in sync. The
/// issue is looked for among the open issues with the first of its labels (every page), by its marker.
/// A 403 or 404 is [`IssueOutcome::Forbidden`].
pub async fn sync(
    client: &Client,
    of: &IssueOf<'_>,
    drift: Option<&str>,
) -> Result<IssueOutcome, ApiError> {
    match keep(client, of, drift).await {
        Err(err) if err.is_refused() => Ok(IssueOutcome::Forbidden(format!(
            "cannot keep the drift issue: {err} (the workflow needs `issues: write`)"
        ))),
        other => other,
    }
}

/// [`sync`] before a refusal becomes [`IssueOutcome::Forbidden`].
async fn keep(
    client: &Client,
    of: &IssueOf<'_>,
    drift: Option<&str>,
) -> Result<IssueOutcome, ApiError> {
    let repo = format!("/repos/{}", of.repository);
    let label = of
        .labels
        .first()
        .map(String::as_str)
        .unwrap_or("spark-promote");
    let found = client
        .find_in_pages(&open_issues(&repo, label), |issue: &Issue| {
            issue.pull_request.is_none()
                && issue
                    .body
                    .as_deref()
                    .is_some_and(|body| of.marker.starts(body))
        })
        .await?;
    match (drift, found) {
        (Some(report), None) => {
            let body = body(of.marker, of.manifest, report);
            let created: Issue = client
                .json(
                    Method::POST,
                    &format!("{repo}/issues"),
                    Some(&json!({"title": title(of.manifest), "body": body, "labels": of.labels})),
                    Retry::RateLimitOnly,
                )
                .await?;
            Ok(IssueOutcome::Opened(created.number))
        }
        (Some(report), Some(issue)) => {
            let wanted = body(of.marker, of.manifest, report);
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
        (None, Some(issue)) => close(client, &repo, issue.number).await,
        (None, None) => Ok(IssueOutcome::None),
    }
}

/// Closes the issue `number` of `repo` with a comment: every promotion is in sync again.
async fn close(client: &Client, repo: &str, number: u64) -> Result<IssueOutcome, ApiError> {
    let _: serde_json::Value = client
        .json(
            Method::POST,
            &format!("{repo}/issues/{number}/comments"),
            Some(&json!({"body": "spark-promote: every promotion is in sync again; closing."})),
            Retry::RateLimitOnly,
        )
        .await?;
    let _: Issue = client
        .json(
            Method::PATCH,
            &format!("{repo}/issues/{number}"),
            Some(&json!({"state": "closed", "state_reason": "completed"})),
            Retry::Idempotent,
        )
        .await?;
    Ok(IssueOutcome::Closed(number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_is_encoded_in_the_issue_query() {
        assert_eq!(
            open_issues("/repos/acme/pricing", "needs review & spark"),
            "/repos/acme/pricing/issues?state=open&labels=needs%20review%20%26%20spark"
        );
        assert_eq!(
            open_issues("/r", "spark-promote"),
            "/r/issues?state=open&labels=spark-promote"
        );
    }
}
