//! Which pull request the comment goes on: the event's, or the one merged as the pushed commit.
use serde::Deserialize;

use crate::github::api::{ApiError, Client};
use crate::github::context::{Context, Event};

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
