//! The run's context: the `GITHUB_*` variables and the event payload (`GITHUB_EVENT_PATH`).
use std::path::PathBuf;

use anyhow::Context as _;
use serde::Deserialize;

use super::Env;
use super::inputs::read;

/// The repository the workflow runs in (`GITHUB_REPOSITORY`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub owner: String,
    pub name: String,
}

impl Repository {
    /// Parses `owner/name`; both parts must be plain GitHub names (letters, digits, `-`, `_`, `.`).
    pub fn parse(value: &str) -> anyhow::Result<Repository> {
        let valid = |part: &str| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        match value.split_once('/') {
            Some((owner, name)) if valid(owner) && valid(name) => Ok(Repository {
                owner: owner.to_string(),
                name: name.to_string(),
            }),
            _ => anyhow::bail!("GITHUB_REPOSITORY '{value}' is not of the form owner/name"),
        }
    }
}

/// What triggered the run, as far as the comment is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `pull_request` or `pull_request_target`.
    PullRequest {
        number: u64,
        head_sha: String,
        /// A `pull_request` run for a pull request from a fork (its head repository is not the base's, or
        /// was deleted): GitHub gives it no secrets.
        from_fork: bool,
    },
    /// A push to a branch.
    Push {
        /// The commit pushed (`after`).
        sha: String,
        /// `refs/heads/...`.
        git_ref: String,
        /// The repository's default branch, from the payload.
        default_branch: Option<String>,
    },
    /// A push of a tag.
    Tag { name: String, sha: String },
    /// A push that deleted its branch or tag (nothing was pushed).
    DeletedRef,
    /// Not in a workflow (no `GITHUB_EVENT_NAME`).
    Outside,
    /// Any other event (schedule, workflow_dispatch, ...; or one without a payload), by its name.
    Other(String),
}

impl Event {
    /// Reads the event from its name and JSON payload.
    pub fn parse(event_name: &str, payload: &str) -> anyhow::Result<Event> {
        let payload: Payload = serde_json::from_str(payload)
            .with_context(|| format!("failed to parse the {event_name} event payload"))?;
        Ok(match event_name {
            "pull_request" | "pull_request_target" => {
                let pull = payload.pull_request.with_context(|| {
                    format!("the {event_name} event payload has no pull_request")
                })?;
                let head = pull.head.repo.map(|repo| repo.full_name);
                let base = pull
                    .base
                    .and_then(|base| base.repo)
                    .map(|repo| repo.full_name);
                let from_fork = event_name == "pull_request"
                    && base.is_some()
                    && head.as_ref() != base.as_ref();
                Event::PullRequest {
                    number: pull.number,
                    head_sha: pull.head.sha,
                    from_fork,
                }
            }
            "push" => {
                let (Some(git_ref), Some(sha)) = (payload.git_ref, payload.after) else {
                    anyhow::bail!("the push event payload has no ref or after");
                };
                if payload.deleted || sha.chars().all(|c| c == '0') {
                    Event::DeletedRef
                } else if let Some(tag) = git_ref.strip_prefix("refs/tags/") {
                    Event::Tag {
                        name: tag.to_string(),
                        sha,
                    }
                } else {
                    Event::Push {
                        sha,
                        git_ref,
                        default_branch: payload.repository.and_then(|r| r.default_branch),
                    }
                }
            }
            other => Event::Other(other.to_string()),
        })
    }

    /// Why this event has no pull request to comment on, when it plainly has none (a tag, a deleted ref,
    /// another event, no workflow); `None` for a pull request or a push (which may have a merged one).
    pub fn without_pull_request(&self) -> Option<String> {
        Some(match self {
            Event::PullRequest { .. } | Event::Push { .. } => return None,
            Event::Tag { name, .. } => format!("tag {name} has no pull request"),
            Event::DeletedRef => "a push that deleted a ref has no pull request".to_string(),
            Event::Outside => "not running in a GitHub workflow".to_string(),
            Event::Other(name) => format!("a {name} event has no pull request"),
        })
    }

    /// For a push to the default branch, the commit pushed.
    pub fn default_branch_push(&self) -> Option<&str> {
        match self {
            Event::Push {
                sha,
                git_ref,
                default_branch: Some(branch),
            } if git_ref.strip_prefix("refs/heads/") == Some(branch.as_str()) => Some(sha),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct Payload {
    pull_request: Option<PullRequestPayload>,
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    after: Option<String>,
    #[serde(default)]
    deleted: bool,
    repository: Option<RepositoryPayload>,
}

#[derive(Deserialize)]
struct PullRequestPayload {
    number: u64,
    head: HeadPayload,
    base: Option<BasePayload>,
}

#[derive(Deserialize)]
struct HeadPayload {
    sha: String,
    /// `null` when the fork was deleted.
    repo: Option<RepoPayload>,
}

#[derive(Deserialize)]
struct BasePayload {
    repo: Option<RepoPayload>,
}

#[derive(Deserialize)]
struct RepoPayload {
    full_name: String,
}

#[derive(Deserialize)]
struct RepositoryPayload {
    default_branch: Option<String>,
}

/// The `GITHUB_*` variables the action uses.
#[derive(Debug, Clone)]
pub struct Context {
    /// `GITHUB_EVENT_NAME`.
    pub event_name: Option<String>,
    pub event: Event,
    /// `GITHUB_REPOSITORY`.
    pub repository: Option<Repository>,
    /// `GITHUB_SERVER_URL` (default `https://github.com`).
    pub server_url: String,
    /// `GITHUB_API_URL` (default `https://api.github.com`; GHES sets `https://HOST/api/v3`).
    pub api_url: String,
    /// `GITHUB_RUN_ID`.
    pub run_id: Option<String>,
    /// `GITHUB_SHA`: the commit the workflow runs on.
    pub sha: Option<String>,
    /// `GITHUB_WORKSPACE`.
    pub workspace: Option<PathBuf>,
    /// `GITHUB_STEP_SUMMARY`: the job summary file.
    pub step_summary: Option<PathBuf>,
    /// `GITHUB_OUTPUT`: the step outputs file.
    pub output: Option<PathBuf>,
}

impl Context {
    /// Reads the variables through `env`, and the event payload from the file `GITHUB_EVENT_PATH` names.
    pub fn from_env(env: Env) -> anyhow::Result<Context> {
        let event_name = read(env, "GITHUB_EVENT_NAME");
        let event = match (&event_name, read(env, "GITHUB_EVENT_PATH")) {
            (Some(name), Some(path)) => {
                let payload = std::fs::read_to_string(&path)
                    .with_context(|| format!("failed to read the event payload {path}"))?;
                Event::parse(name, &payload)?
            }
            (Some(name), None) => Event::Other(name.clone()),
            (None, _) => Event::Outside,
        };
        let repository = read(env, "GITHUB_REPOSITORY")
            .map(|value| Repository::parse(&value))
            .transpose()?;
        let url = |name: &str, default: &str| {
            read(env, name)
                .unwrap_or_else(|| default.to_string())
                .trim_end_matches('/')
                .to_string()
        };
        Ok(Context {
            event_name,
            event,
            repository,
            server_url: url("GITHUB_SERVER_URL", "https://github.com"),
            api_url: url("GITHUB_API_URL", "https://api.github.com"),
            run_id: read(env, "GITHUB_RUN_ID"),
            sha: read(env, "GITHUB_SHA"),
            workspace: read(env, "GITHUB_WORKSPACE").map(PathBuf::from),
            step_summary: read(env, "GITHUB_STEP_SUMMARY").map(PathBuf::from),
            output: read(env, "GITHUB_OUTPUT").map(PathBuf::from),
        })
    }

    /// The commit the run is for: a pull request's head (not the merge ref GitHub builds), a push's
    /// commit, else `GITHUB_SHA`.
    pub fn commit(&self) -> Option<&str> {
        match &self.event {
            Event::PullRequest { head_sha: sha, .. } | Event::Push { sha, .. }
                if !sha.is_empty() =>
            {
                Some(sha)
            }
            _ => self.sha.as_deref(),
        }
    }

    /// Whether this is a `pull_request` run from a fork, which GitHub gives no secrets.
    pub fn from_fork(&self) -> bool {
        matches!(
            self.event,
            Event::PullRequest {
                from_fork: true,
                ..
            }
        )
    }

    /// The run's page: `{server}/{owner}/{repo}/actions/runs/{id}`.
    pub fn run_url(&self) -> Option<String> {
        let repository = self.repository.as_ref()?;
        let run_id = self.run_id.as_ref()?;
        Some(format!(
            "{}/{}/{}/actions/runs/{run_id}",
            self.server_url, repository.owner, repository.name
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn pull_request_payload_gives_the_number_and_head_sha() {
        let payload = format!(
            r#"{{"number": 7, "pull_request": {{"number": 7, "head": {{"sha": "{SHA}"}}}}}}"#
        );
        for name in ["pull_request", "pull_request_target"] {
            assert_eq!(
                Event::parse(name, &payload).unwrap(),
                Event::PullRequest {
                    number: 7,
                    head_sha: SHA.to_string(),
                    from_fork: false,
                }
            );
        }
    }

    #[test]
    fn a_pull_request_run_is_from_a_fork_when_its_head_repository_is_not_the_base() {
        let payload = |head: &str| {
            format!(
                r#"{{"pull_request": {{"number": 7, "head": {{"sha": "{SHA}", "repo": {head}}},
                   "base": {{"repo": {{"full_name": "acme/pricing"}}}}}}}}"#
            )
        };
        let fork = |name: &str, head: &str| match Event::parse(name, &payload(head)).unwrap() {
            Event::PullRequest { from_fork, .. } => from_fork,
            other => panic!("{other:?}"),
        };
        assert!(fork("pull_request", r#"{"full_name": "mallory/pricing"}"#));
        assert!(fork("pull_request", "null"));
        assert!(!fork("pull_request", r#"{"full_name": "acme/pricing"}"#));
        // pull_request_target runs in the base repository, with its secrets.
        assert!(!fork(
            "pull_request_target",
            r#"{"full_name": "mallory/pricing"}"#
        ));
    }

    #[test]
    fn push_to_the_default_branch_is_recognised_and_tags_are_not_pushes() {
        let push = |git_ref: &str| {
            format!(
                r#"{{"ref": "{git_ref}", "after": "{SHA}", "deleted": false, "repository": {{"default_branch": "main"}}}}"#
            )
        };
        let main = Event::parse("push", &push("refs/heads/main")).unwrap();
        assert_eq!(main.default_branch_push(), Some(SHA));
        let feature = Event::parse("push", &push("refs/heads/feature")).unwrap();
        assert_eq!(feature.default_branch_push(), None);
        assert_eq!(
            Event::parse("push", &push("refs/tags/v1.2.0")).unwrap(),
            Event::Tag {
                name: "v1.2.0".to_string(),
                sha: SHA.to_string()
            }
        );
        let deleted = r#"{"ref": "refs/heads/x", "after": "0000000000000000000000000000000000000000", "deleted": true}"#;
        assert_eq!(Event::parse("push", deleted).unwrap(), Event::DeletedRef);
    }

    #[test]
    fn other_events_and_broken_payloads() {
        assert_eq!(
            Event::parse("schedule", "{}").unwrap(),
            Event::Other("schedule".to_string())
        );
        let err = Event::parse("pull_request", "{}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the pull_request event payload has no pull_request"
        );
        let err = Event::parse("push", "not json").unwrap_err();
        assert_eq!(err.to_string(), "failed to parse the push event payload");
    }

    #[test]
    fn context_reads_the_variables_and_the_payload_file_and_builds_the_run_url() {
        let dir = tempfile::tempdir().unwrap();
        let event_path = dir.path().join("event.json");
        std::fs::write(
            &event_path,
            format!(r#"{{"pull_request": {{"number": 12, "head": {{"sha": "{SHA}"}}}}}}"#),
        )
        .unwrap();
        let vars: HashMap<&str, String> = HashMap::from([
            ("GITHUB_EVENT_NAME", "pull_request".to_string()),
            ("GITHUB_EVENT_PATH", event_path.display().to_string()),
            ("GITHUB_REPOSITORY", "acme/pricing".to_string()),
            ("GITHUB_SERVER_URL", "https://ghe.acme.example/".to_string()),
            (
                "GITHUB_API_URL",
                "https://ghe.acme.example/api/v3".to_string(),
            ),
            ("GITHUB_RUN_ID", "4242".to_string()),
            ("GITHUB_OUTPUT", "/tmp/out".to_string()),
        ]);
        let context = Context::from_env(&|name| vars.get(name).cloned()).unwrap();
        assert_eq!(
            context.event,
            Event::PullRequest {
                number: 12,
                head_sha: SHA.to_string(),
                from_fork: false,
            }
        );
        assert_eq!(context.api_url, "https://ghe.acme.example/api/v3");
        assert_eq!(
            context.run_url().as_deref(),
            Some("https://ghe.acme.example/acme/pricing/actions/runs/4242")
        );
        assert_eq!(context.output, Some(PathBuf::from("/tmp/out")));
        assert_eq!(context.step_summary, None);
    }

    #[test]
    fn context_outside_actions_has_defaults_and_no_run_url() {
        let context = Context::from_env(&|_| None).unwrap();
        assert_eq!(context.api_url, "https://api.github.com");
        assert_eq!(context.event, Event::Outside);
        assert_eq!(context.run_url(), None);
    }

    #[test]
    fn repository_names_are_checked() {
        assert!(Repository::parse("acme/pricing.rs").is_ok());
        for bad in ["acme", "acme/", "/x", "a/b/c", "a b/c"] {
            assert!(Repository::parse(bad).is_err(), "{bad}");
        }
    }
}
