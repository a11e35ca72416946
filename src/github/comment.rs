//! The sticky pull-request comment: which pull request, which comment (a hidden marker among the token
//! user's comments), and create / update / leave alone.
use http::Method;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::api::{ApiError, Client, Retry};
use super::context::{Context, Event};
use super::inputs::CommentMode;
pub use super::marker::Marker;
use crate::promote::result::{PromotionStatus, RunKind, RunResult};
use crate::report::{self, RenderOptions, escape};

/// The login of the `GITHUB_TOKEN`'s comments; an installation token cannot read `GET /user`.
pub const ACTIONS_BOT: &str = "github-actions[bot]";

pub use super::pages::PER_PAGE;

/// A pull request to comment on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub owner: String,
    pub repo: String,
    pub number: u64,
}

/// Where the comment goes, if anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommentTarget {
    PullRequest(PullRequest),
    /// No pull request for this run, and why (a tag, a schedule, a push with no merged pull request).
    None(String),
}

/// Finds the pull request of the run: the event's on `pull_request` events; on a push to the default
/// branch, the pull request merged as that commit (`GET /repos/{owner}/{repo}/commits/{sha}/pulls`: the
/// merged one whose merge commit is the pushed commit, else the first).
pub async fn resolve_target(client: &Client, context: &Context) -> Result<CommentTarget, ApiError> {
    let Some(repository) = &context.repository else {
        return Ok(CommentTarget::None(
            "GITHUB_REPOSITORY is not set".to_string(),
        ));
    };
    let pull_request = |number| {
        CommentTarget::PullRequest(PullRequest {
            owner: repository.owner.clone(),
            repo: repository.name.clone(),
            number,
        })
    };
    if let Some(reason) = context.event.without_pull_request() {
        return Ok(CommentTarget::None(reason));
    }
    let sha = match &context.event {
        Event::PullRequest { number, .. } => return Ok(pull_request(*number)),
        push => match push.default_branch_push() {
            Some(sha) => sha,
            None => {
                return Ok(CommentTarget::None(
                    "a push to a branch other than the default one has no merged pull request"
                        .to_string(),
                ));
            }
        },
    };
    #[derive(Deserialize)]
    struct Pull {
        number: u64,
        merged_at: Option<String>,
        merge_commit_sha: Option<String>,
    }
    let path = format!(
        "/repos/{}/{}/commits/{sha}/pulls",
        repository.owner, repository.name
    );
    let pulls: Vec<Pull> = client.get(&path).await?;
    let merged = pulls
        .iter()
        .find(|p| p.merged_at.is_some() && p.merge_commit_sha.as_deref() == Some(sha));
    Ok(match merged.or(pulls.first()) {
        Some(pull) => pull_request(pull.number),
        None => CommentTarget::None(format!("no pull request contains commit {sha}")),
    })
}

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

/// What a run writes into the comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// The run's result replaces the comment (unless it already says the same): its markdown and key.
    Result { markdown: String, key: String },
    /// A re-run that found everything applied: `line` is added to the last real result; with no comment
    /// yet, `markdown` (the result) is written as [`Update::Result`] would.
    Rerun {
        line: String,
        markdown: String,
        key: String,
    },
    /// The manifest became invalid: an existing comment is marked stale with `message` (none is created).
    Stale { message: String },
}

/// The update for `result`: an apply or rollback that skipped everything is a re-run line (at `now`,
/// RFC 3339, linking `run_url`), anything else the result.
pub fn update(result: &RunResult, run_url: Option<String>, run_for: &RunFor, now: &str) -> Update {
    let markdown = markdown(result, run_url.clone(), run_for);
    let key = content_key(result, run_for);
    let all_skipped = result.command != RunKind::Plan
        && !result.promotions.is_empty()
        && result
            .promotions
            .iter()
            .all(|p| p.status == PromotionStatus::Skipped);
    if !all_skipped {
        return Update::Result { markdown, key };
    }
    let run = match run_url {
        Some(url) => format!("[re-run {now}]({url})"),
        None => format!("re-run {now}"),
    };
    let reasons: Vec<String> = result
        .promotions
        .iter()
        .map(|p| {
            let reason = match &p.skip {
                Some(skip) => skip.to_string(),
                None => "already applied".to_string(),
            };
            format!("{}: {}", escape::text(&p.name), escape::text(&reason))
        })
        .collect();
    Update::Rerun {
        line: format!("- {run}: nothing to do; {}", reasons.join("; ")),
        markdown,
        key,
    }
}

/// The most re-run lines a comment keeps; older ones are counted in one line above them.
const MAX_RERUN_LINES: usize = 10;

/// `stored` with `line` added at its end: the first re-run line after a blank line, later ones below it;
/// past [`MAX_RERUN_LINES`], the oldest are dropped and counted.
fn add_rerun_line(stored: &str, line: &str) -> String {
    let stored = stored.replace("\r\n", "\n");
    let lines: Vec<&str> = stored.trim_end().lines().collect();
    let is_rerun = |text: &&&str| text.starts_with("- [re-run") || text.starts_with("- re-run");
    let reruns_from = lines.len() - lines.iter().rev().take_while(is_rerun).count();
    let (mut head_end, mut earlier) = (reruns_from, 0);
    if let Some(count) = reruns_from
        .checked_sub(1)
        .and_then(|above| earlier_reruns(lines[above]))
    {
        (head_end, earlier) = (reruns_from - 1, count);
    }
    let mut reruns: Vec<&str> = lines[reruns_from..].to_vec();
    reruns.push(line.trim_end());
    let dropped = reruns.len().saturating_sub(MAX_RERUN_LINES);
    reruns.drain(..dropped);
    earlier += dropped;
    let head = lines[..head_end].join("\n");
    let counted = match earlier {
        0 => String::new(),
        1 => "- 1 earlier re-run: nothing to do\n".to_string(),
        n => format!("- {n} earlier re-runs: nothing to do\n"),
    };
    format!("{}\n\n{counted}{}\n", head.trim_end(), reruns.join("\n"))
}

/// The count of the line that stands for dropped re-run lines.
fn earlier_reruns(line: &str) -> Option<usize> {
    let rest = line.strip_prefix("- ")?;
    let count = rest
        .strip_suffix(" earlier re-runs: nothing to do")
        .or_else(|| rest.strip_suffix(" earlier re-run: nothing to do"))?;
    count.parse().ok()
}

/// The hidden line before a stale comment's banner; the banner ends at the next blank line.
const STALE_LINE: &str = "<!-- spark-promote-stale -->";

/// `stored` (marker first) marked stale with `message`, replacing an earlier banner.
fn mark_stale(stored: &str, message: &str) -> String {
    let stored = stored.replace("\r\n", "\n");
    let mut lines: Vec<&str> = stored.lines().collect();
    if let Some(start) = lines.iter().position(|line| *line == STALE_LINE) {
        let end = lines[start..]
            .iter()
            .position(|line| line.is_empty())
            .map_or(lines.len(), |n| start + n + 1);
        lines.drain(start..end);
    }
    let quoted: Vec<String> = message
        .lines()
        .map(|line| format!("> <code>{}</code>", escape::text(line)))
        .collect();
    let banner = format!(
        "{STALE_LINE}\n> [!WARNING]\n> **Stale**: the manifest is now invalid, so what follows may no longer be \
         what a merge would do. Fix the manifest to plan again:\n>\n{}\n",
        quoted.join("\n>\n")
    );
    // After the marker and the content key line.
    let head = lines
        .iter()
        .take_while(|line| line.starts_with("<!-- spark-promote"))
        .count();
    let mut out: Vec<String> = lines[..head].iter().map(|l| l.to_string()).collect();
    out.push(banner);
    out.extend(lines[head..].iter().map(|l| l.to_string()));
    out.join("\n")
}

/// The hidden line that carries a comment's [`content_key`], after the marker.
pub fn content_line(key: &str) -> String {
    format!("<!-- spark-promote-content:{key} -->")
}

/// What to do when the comment does not exist yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMissing {
    Create,
    /// Leave it: there is nothing new to say, and an existing comment is still kept up to date.
    Skip,
}

/// What the `comment` input asks for with this result: nothing (`never`); create or update (`always`, or
/// `auto` when the run has something to say); update only (`auto` when everything was already applied).
pub fn policy(mode: CommentMode, result: &RunResult) -> Option<IfMissing> {
    match mode {
        CommentMode::Never => None,
        CommentMode::Always => Some(IfMissing::Create),
        CommentMode::Auto if has_news(result) => Some(IfMissing::Create),
        CommentMode::Auto => Some(IfMissing::Skip),
    }
}

/// Anything other than promotions already applied, or plans with nothing in them.
fn has_news(result: &RunResult) -> bool {
    result.promotions.iter().any(|p| match p.status {
        PromotionStatus::Skipped => false,
        PromotionStatus::Planned => {
            !p.services.is_empty() || !p.errors.is_empty() || !p.warnings.is_empty()
        }
        PromotionStatus::Completed
        | PromotionStatus::Failed
        | PromotionStatus::Cancelled
        | PromotionStatus::WouldFail => true,
    })
}

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

#[derive(Debug, Deserialize)]
struct Comment {
    id: u64,
    body: Option<String>,
    html_url: String,
    user: Option<User>,
}

#[derive(Debug, Deserialize)]
struct User {
    login: String,
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

/// As [`upsert`], with the [`content_key`] of `markdown`: an existing comment with the same key is left
/// alone even when its text differs (in durations, in the run link), unless it was marked stale.
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

/// The login of the token's user; for the `GITHUB_TOKEN` (an installation token, refused `GET /user`
/// with 403) it is [`ACTIONS_BOT`].
async fn token_login(client: &Client) -> Result<String, ApiError> {
    match client.get::<User>("/user").await {
        Ok(user) => Ok(user.login),
        Err(err) if err.is_refused() => {
            tracing::debug!(%err, "GET /user refused: an installation token, comments are by {ACTIONS_BOT}");
            Ok(ACTIONS_BOT.to_string())
        }
        Err(err) => Err(err),
    }
}

/// The first comment by `login` that holds `marker`, looking through all pages until one is found.
async fn find(
    client: &Client,
    repo: &str,
    number: u64,
    login: &str,
    marker: &Marker,
) -> Result<Option<Comment>, ApiError> {
    let path = format!("{repo}/issues/{number}/comments");
    client
        .find_in_pages(&path, |comment: &Comment| {
            comment
                .user
                .as_ref()
                .is_some_and(|user| user.login == login)
                && comment
                    .body
                    .as_deref()
                    .is_some_and(|body| marker.is_in(body))
        })
        .await
}

/// Bodies compared as GitHub may store them (line endings, trailing whitespace).
fn same_text(stored: &str, body: &str) -> bool {
    let normal = |text: &str| text.replace("\r\n", "\n").trim_end().to_string();
    normal(stored) == normal(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promote::result::RunKind;

    /// One promotion with `status`, taking `duration_ms`.
    fn one_promotion(command: RunKind, status: PromotionStatus, duration_ms: u64) -> RunResult {
        RunResult {
            command,
            manifest: "m.yaml".to_string(),
            promotions: vec![crate::promote::result::PromotionResult {
                name: "p".to_string(),
                source: "uat".to_string(),
                target: "prod".to_string(),
                status,
                job_id: None,
                export_job_id: None,
                correlation_id: "c".to_string(),
                skip: None,
                backup: None,
                services: Vec::new(),
                service_versions: Vec::new(),
                errors: Vec::new(),
                warnings: Vec::new(),
                duration_ms,
                verification: None,
                undoes: None,
            }],
        }
    }

    #[test]
    fn rerun_lines_stop_growing_past_ten_and_count_the_older_ones() {
        let mut body = "<!-- marker -->\n## Plan\n\n| a | b |\n".to_string();
        body = add_rerun_line(&body, "- re-run 1: nothing to do; p");
        assert_eq!(
            body,
            "<!-- marker -->\n## Plan\n\n| a | b |\n\n- re-run 1: nothing to do; p\n"
        );
        for n in 2..=12 {
            body = add_rerun_line(&body, &format!("- re-run {n}: nothing to do; p"));
        }
        let tail: Vec<&str> = body.lines().skip(4).collect();
        let mut expected = vec![
            "".to_string(),
            "- 2 earlier re-runs: nothing to do".to_string(),
        ];
        expected.extend((3..=12).map(|n| format!("- re-run {n}: nothing to do; p")));
        assert_eq!(tail, expected);
        let next = add_rerun_line(&body, "- [re-run 13](https://run): nothing to do; p");
        assert!(
            next.contains("- 3 earlier re-runs: nothing to do\n- re-run 4:"),
            "{next}"
        );
        assert!(next.ends_with("- [re-run 13](https://run): nothing to do; p\n"));
        assert_eq!(next.lines().count(), body.lines().count());
    }

    #[test]
    fn auto_creates_only_when_the_run_has_news_and_never_never_comments() {
        let run = |status| one_promotion(RunKind::Apply, status, 0);
        let skipped = run(PromotionStatus::Skipped);
        let failed = run(PromotionStatus::Failed);
        let empty_plan = run(PromotionStatus::Planned);
        assert_eq!(policy(CommentMode::Auto, &skipped), Some(IfMissing::Skip));
        assert_eq!(
            policy(CommentMode::Auto, &empty_plan),
            Some(IfMissing::Skip)
        );
        assert_eq!(policy(CommentMode::Auto, &failed), Some(IfMissing::Create));
        assert_eq!(
            policy(CommentMode::Always, &skipped),
            Some(IfMissing::Create)
        );
        assert_eq!(policy(CommentMode::Never, &failed), None);
    }

    #[test]
    fn the_content_key_ignores_durations_but_not_what_was_done() {
        let run = |duration_ms, status| one_promotion(RunKind::Plan, status, duration_ms);
        let none = RunFor::default();
        let planned = content_key(&run(350, PromotionStatus::Planned), &none);
        assert_eq!(
            planned,
            content_key(&run(1_200, PromotionStatus::Planned), &none)
        );
        let mut listed = run(350, PromotionStatus::Planned);
        listed.promotions[0].export_job_id = Some("a-listing-export".to_string());
        assert_eq!(planned, content_key(&listed, &none));
        assert_ne!(
            planned,
            content_key(&run(350, PromotionStatus::Failed), &none)
        );
        let new_commit = RunFor {
            commit: Some("2222222".to_string()),
            modes: Vec::new(),
        };
        assert_ne!(
            planned,
            content_key(&run(350, PromotionStatus::Planned), &new_commit)
        );
        assert_eq!(planned.len(), 16);
    }

    #[test]
    fn marking_stale_twice_keeps_one_banner_with_the_latest_message() {
        let stored =
            "<!-- spark-promote:0 -->\n<!-- spark-promote-content:1 -->\n## plan\n\nbody\n";
        let once = mark_stale(stored, "first problem");
        let twice = mark_stale(&once, "second problem");
        assert_eq!(twice.matches(STALE_LINE).count(), 1, "{twice}");
        assert!(twice.contains("second problem") && !twice.contains("first problem"));
        assert!(twice.starts_with("<!-- spark-promote:0 -->\n<!-- spark-promote-content:1 -->\n"));
        assert!(twice.ends_with("## plan\n\nbody"), "{twice}");
    }

    #[test]
    fn stored_bodies_with_crlf_or_trailing_space_are_the_same_text() {
        assert!(same_text("a\r\nb\n", "a\nb"));
        assert!(!same_text("a\nb", "a\nc"));
    }
}
