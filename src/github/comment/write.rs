//! Writing the sticky comment: create, update or leave alone, and a refusal as an outcome.
use http::Method;
use serde_json::json;

use super::body::content_line;
use super::find::{Comment, find, token_login};
use super::rerun::add_rerun_line;
use super::stale::{STALE_LINE, mark_stale};
use super::{IfMissing, Marker, PullRequest, Update};
use crate::github::api::{ApiError, Client, Retry};

/// What [`upsert`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommentOutcome {
    Created {
        id: u64,
        url: String,
    },
    Updated {
        id: u64,
        url: String,
    },
    /// The comment already says this.
    Unchanged {
        id: u64,
        url: String,
    },
    /// No comment existed and [`IfMissing::Skip`] asked not to create one.
    NotCreated,
    /// No comment was attempted, and why (the `comment` input, no pull request for the run).
    Skipped(String),
    /// GitHub refused (403 or 404, e.g. a fork's read-only token): the caller warns, and the promotions'
    /// result still decides the exit code.
    Forbidden(String),
}

/// Creates or updates the comment marked `marker` on `pull` with `markdown` (the marker is put first).
///
/// The comment is looked for among the token user's comments only, page by page (100 a page), oldest
/// first; the first match is the one kept up to date. It is updated (`PATCH`) only when its body differs,
/// and created (`POST`, never retried but for a rate limit) only when absent and `if_missing` allows. A 403
/// or 404 is [`CommentOutcome::Forbidden`]; other failures are errors.
pub async fn upsert(
    client: &Client,
    pull: &PullRequest,
    marker: &Marker,
    markdown: &str,
    if_missing: IfMissing,
) -> Result<CommentOutcome, ApiError> {
    upsert_keyed(client, pull, marker, markdown, None, if_missing).await
}

/// As [`upsert`], with the [`content_key`](super::content_key) of `markdown`: an existing comment with
/// the same key is left alone even when its text differs (in durations, in the run link), unless it was
/// marked stale.
pub async fn upsert_keyed(
    client: &Client,
    pull: &PullRequest,
    marker: &Marker,
    markdown: &str,
    content_key: Option<&str>,
    if_missing: IfMissing,
) -> Result<CommentOutcome, ApiError> {
    let key_line = content_key.map(content_line);
    let body = match &key_line {
        Some(line) => format!("{marker}\n{line}\n{markdown}"),
        None => format!("{marker}\n{markdown}"),
    };
    let says_the_same = |stored: &str| {
        !stored.contains(STALE_LINE)
            && (same_text(stored, &body)
                || key_line.as_ref().is_some_and(|line| stored.contains(line)))
    };
    write(client, pull, marker, if_missing, |stored| match stored {
        Some(stored) if says_the_same(stored) => None,
        _ => Some(body.clone()),
    })
    .await
}

/// Writes `update` into the comment marked `marker` on `pull` (see [`Update`]).
pub async fn upsert_update(
    client: &Client,
    pull: &PullRequest,
    marker: &Marker,
    update: &Update,
    if_missing: IfMissing,
) -> Result<CommentOutcome, ApiError> {
    match update {
        Update::Result { markdown, key } => {
            upsert_keyed(client, pull, marker, markdown, Some(key), if_missing).await
        }
        Update::Rerun {
            line,
            markdown,
            key,
        } => {
            let body = format!("{marker}\n{}\n{markdown}", content_line(key));
            write(client, pull, marker, if_missing, |stored| {
                Some(match stored {
                    Some(stored) => add_rerun_line(stored, line),
                    None => body.clone(),
                })
            })
            .await
        }
        Update::Stale { message } => {
            write(client, pull, marker, IfMissing::Skip, |stored| {
                stored.map(|stored| mark_stale(stored, message))
            })
            .await
        }
    }
}

/// Finds the comment and writes the body `new_body` gives for its stored body (none when absent):
/// `None` leaves it alone. A 403 or 404 is [`CommentOutcome::Forbidden`].
async fn write(
    client: &Client,
    pull: &PullRequest,
    marker: &Marker,
    if_missing: IfMissing,
    new_body: impl Fn(Option<&str>) -> Option<String>,
) -> Result<CommentOutcome, ApiError> {
    let written: Result<CommentOutcome, ApiError> = async {
        let login = token_login(client).await?;
        let repo = format!("/repos/{}/{}", pull.owner, pull.repo);
        match find(client, &repo, pull.number, &login, marker).await? {
            Some(existing) => match new_body(Some(existing.body.as_deref().unwrap_or_default())) {
                None => Ok(CommentOutcome::Unchanged {
                    id: existing.id,
                    url: existing.html_url,
                }),
                Some(body) => {
                    let path = format!("{repo}/issues/comments/{}", existing.id);
                    let updated =
                        send(client, Method::PATCH, &path, &body, Retry::Idempotent).await?;
                    Ok(CommentOutcome::Updated {
                        id: updated.id,
                        url: updated.html_url,
                    })
                }
            },
            None if if_missing == IfMissing::Skip => Ok(CommentOutcome::NotCreated),
            None => match new_body(None) {
                None => Ok(CommentOutcome::NotCreated),
                Some(body) => {
                    let path = format!("{repo}/issues/{}/comments", pull.number);
                    let created =
                        send(client, Method::POST, &path, &body, Retry::RateLimitOnly).await?;
                    Ok(CommentOutcome::Created {
                        id: created.id,
                        url: created.html_url,
                    })
                }
            },
        }
    }
    .await;
    match written {
        Err(err) if err.is_refused() => Ok(CommentOutcome::Forbidden(format!(
            "cannot write the pull request comment: {err}"
        ))),
        other => other,
    }
}

/// Sends a comment body (create or update) and reads back the comment.
async fn send(
    client: &Client,
    method: Method,
    path: &str,
    body: &str,
    retry: Retry,
) -> Result<Comment, ApiError> {
    client
        .json(method, path, Some(&json!({ "body": body })), retry)
        .await
}

/// Bodies compared as GitHub may store them (line endings, trailing whitespace).
pub(super) fn same_text(stored: &str, body: &str) -> bool {
    let normal = |text: &str| text.replace("\r\n", "\n").trim_end().to_string();
    normal(stored) == normal(body)
}
