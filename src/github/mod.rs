//! The GitHub Actions side: the runner contract (inputs, context, outputs, job summary, workflow commands),
//! the sticky pull-request comment and the promotion records (deployments). Uses `promote`'s result and
//! record types and `report`; nothing below them.
//!
//! The action's commands are [`flow`]'s functions (`commands/action.rs` picks one): each goes through one
//! [`Runner`] ([`Runner::from_env`] masks the token; [`Runner::client`] is the one GitHub client), then
//! [`Runner::summary_markdown`] → [`Runner::write_summary`], [`Runner::write_outputs`] (the `status` output
//! is a [`StepStatus`]), and the comment ([`Runner::comment`]).
pub mod api;
pub mod comment;
pub mod context;
pub mod deployments;
pub mod files;
pub mod flow;
pub mod inputs;
pub mod issue;
pub mod log;
pub mod marker;
pub mod pages;
pub mod status;
pub mod workflow_commands;

use std::io::Write;
use std::path::Path;

pub use api::{ApiError, Client, RetryPolicy};
pub use comment::{CommentOutcome, CommentTarget, IfMissing, Marker, PullRequest};
pub use context::{Context, Event, Repository};
pub use deployments::Deployments;
pub use inputs::{ActionCommand, CommentMode, Inputs};
pub use log::Log;
pub use status::StepStatus;
pub use workflow_commands::{Annotation, Neutralized, WorkflowCommands, neutralize};

use crate::promote::result::RunResult;
use crate::report::{self, RenderOptions};

/// Reads a variable: the process environment in the action (`&|name| std::env::var(name).ok()`), a map
/// in tests.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The action's view of the runner: its configuration (inputs, context) and, apart from it, where workflow
/// commands go (so that a warning can be written while an input is borrowed). Every GitHub call of the
/// action goes through it ([`Runner::client`]).
pub struct Runner {
    pub inputs: Inputs,
    pub context: Context,
    pub log: Log,
}

impl Runner {
    /// Reads the inputs and the context through `env`; workflow commands go to `out` (stdout in the
    /// action). The GitHub token, if any, is masked at once.
    pub fn from_env(env: Env, out: Box<dyn Write + Send>) -> anyhow::Result<Runner> {
        let mut runner = Runner {
            inputs: Inputs::from_env(env)?,
            context: Context::from_env(env)?,
            log: Log::new(out),
        };
        if let Some(token) = &runner.inputs.github_token {
            runner.log.mask(token)?;
        }
        Ok(runner)
    }

    /// Refuses the step as invalid input: an `::error` annotation with `message`, then [`write_refusal`].
    pub fn refuse(&mut self, heading: &str, message: &str) -> anyhow::Result<()> {
        self.log.error(message, &Annotation::default())?;
        write_refusal(&self.context, heading, message)
    }

    /// The client of GitHub's API, when there is a token: the one place the action builds one.
    pub fn client(&self) -> anyhow::Result<Option<Client>> {
        match &self.inputs.github_token {
            Some(token) => Client::new(&self.context.api_url, token).map(Some),
            None => Ok(None),
        }
    }

    /// Writes the `status` output (nothing outside GitHub Actions).
    pub fn write_status(&self, status: StepStatus) -> anyhow::Result<()> {
        status.write(self.context.output.as_deref())
    }

    /// The run's page, when running in GitHub Actions.
    pub fn run_url(&self) -> Option<String> {
        self.context.run_url()
    }

    /// The job summary's markdown for `result`, within GitHub's limit.
    pub fn summary_markdown(&self, result: &RunResult) -> String {
        report::markdown(result, &RenderOptions::summary(self.run_url()))
    }

    /// Appends `markdown` to `$GITHUB_STEP_SUMMARY` (nothing outside GitHub Actions).
    pub fn write_summary(&self, markdown: &str) -> anyhow::Result<()> {
        match &self.context.step_summary {
            Some(path) => files::append_summary(path, markdown),
            None => {
                tracing::debug!("GITHUB_STEP_SUMMARY is not set: no job summary");
                Ok(())
            }
        }
    }

    /// Appends the step outputs (see [`outputs`]) to `$GITHUB_OUTPUT` in one write (nothing outside
    /// GitHub Actions).
    pub fn write_outputs(
        &self,
        result: &RunResult,
        result_path: &Path,
        summary_path: &Path,
    ) -> anyhow::Result<()> {
        let Some(path) = &self.context.output else {
            tracing::debug!("GITHUB_OUTPUT is not set: no step outputs");
            return Ok(());
        };
        let values = outputs(result, result_path, summary_path);
        let pairs: Vec<(&str, &str)> = values
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        files::append_outputs(path, &pairs)
    }

    /// A client for the comment, when there is a token and the `comment` input is not `never`.
    pub fn comment_client(&self) -> anyhow::Result<Option<Client>> {
        if self.inputs.comment == CommentMode::Never {
            return Ok(None);
        }
        self.client()
    }

    /// Where this run records its promotions as GitHub deployments: none without a token, a repository
    /// and a commit (outside GitHub Actions), or with the `deployment-environment` input set empty.
    pub fn deployments(&self) -> anyhow::Result<Option<Deployments>> {
        let (Some(_), Some(repository), Some(sha), Some(environment)) = (
            &self.inputs.github_token,
            &self.context.repository,
            &self.context.sha,
            &self.inputs.deployment_environment,
        ) else {
            return Ok(None);
        };
        let Some(client) = self.client()? else {
            return Ok(None);
        };
        Ok(Some(Deployments::new(
            client,
            repository.clone(),
            sha.clone(),
            environment.clone(),
            self.inputs.manifest.to_string_lossy().into_owned(),
            self.run_url(),
        )))
    }

    /// Writes or updates the pull-request comment for `result` run for `modes` (each promotion's name,
    /// `services_existing` and `update_version_type`), as the `comment` input asks: finds the pull request,
    /// renders the comment (a re-run that skipped everything adds a line to the last real result), upserts
    /// it. A refusal (403/404) becomes a `::warning::` and [`CommentOutcome::Forbidden`]; other failures
    /// are errors for the caller to report (they should not decide the exit code either).
    pub async fn comment(
        &mut self,
        client: &Client,
        result: &RunResult,
        modes: Vec<(String, String, String)>,
    ) -> anyhow::Result<CommentOutcome> {
        let Some(if_missing) = comment::policy(self.inputs.comment, result) else {
            return Ok(CommentOutcome::Skipped(
                "the comment input is never".to_string(),
            ));
        };
        let run_for = comment::RunFor {
            commit: self.context.commit().map(str::to_string),
            modes,
        };
        let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
        let update = comment::update(result, self.run_url(), &run_for, &now);
        self.write_comment(client, &update, if_missing).await
    }

    /// Writes or updates the pull-request comment with `markdown` (not a run's result), as the `comment`
    /// input asks (`auto` creates it).
    pub async fn comment_text(
        &mut self,
        client: &Client,
        markdown: &str,
    ) -> anyhow::Result<CommentOutcome> {
        if self.inputs.comment == CommentMode::Never {
            return Ok(CommentOutcome::Skipped(
                "the comment input is never".to_string(),
            ));
        }
        let update = comment::Update::Result {
            markdown: markdown.to_string(),
            key: comment::text_key(markdown),
        };
        self.write_comment(client, &update, IfMissing::Create).await
    }

    /// Marks the pull request's existing comment stale: the manifest is invalid (`message`, as annotated).
    /// Nothing without a token, with `comment: never`, or without a comment to mark; failures are warnings.
    pub async fn mark_comment_stale(&mut self, message: &str) -> anyhow::Result<()> {
        let client = match self.comment_client() {
            Ok(Some(client)) => client,
            Ok(None) => return Ok(()),
            Err(err) => return self.log.warn(&format!("no pull-request comment: {err:#}")),
        };
        let update = comment::Update::Stale {
            message: message.to_string(),
        };
        match self.write_comment(&client, &update, IfMissing::Skip).await {
            Ok(outcome) => {
                tracing::info!("pull-request comment: {outcome:?}");
                Ok(())
            }
            Err(err) => self.log.warn(&format!(
                "the pull-request comment was not marked stale: {err:#}"
            )),
        }
    }

    async fn write_comment(
        &mut self,
        client: &Client,
        update: &comment::Update,
        if_missing: IfMissing,
    ) -> anyhow::Result<CommentOutcome> {
        let outcome = match comment::resolve_target(client, &self.context).await {
            Ok(CommentTarget::PullRequest(pull)) => {
                let marker = Marker::new(
                    &self.inputs.manifest.to_string_lossy(),
                    &self.inputs.promotions,
                );
                comment::upsert_update(client, &pull, &marker, update, if_missing).await?
            }
            Ok(CommentTarget::None(reason)) => CommentOutcome::Skipped(reason),
            Err(err) if err.is_refused() => CommentOutcome::Forbidden(format!(
                "cannot find the pull request to comment on: {err}"
            )),
            Err(err) => return Err(err.into()),
        };
        if let CommentOutcome::Forbidden(message) = &outcome {
            // What can help: on a fork nothing the workflow sets (its token is read-only whatever the
            // permissions say); elsewhere the permission.
            let advice = if self.context.from_fork() {
                "a pull request from a fork gets a read-only token, which no `permissions:` of the \
                 workflow can change; the job summary has the same text"
            } else {
                "the workflow needs `pull-requests: write`"
            };
            let message = format!("{message} ({advice})");
            self.log.warn(&message)?;
        }
        Ok(outcome)
    }
}

/// The job summary (`❌ spark-promote: {heading}` and `message`) and the `invalid` status output of a step
/// refused before it ran (a bad input, an invalid manifest, a refused lock file); nothing outside GitHub
/// Actions. The caller has written the annotations.
pub fn write_refusal(context: &Context, heading: &str, message: &str) -> anyhow::Result<()> {
    if let Some(path) = &context.step_summary {
        files::append_summary(
            path,
            &format!(
                "## ❌ spark-promote: {heading}\n\n```\n{}\n```\n",
                neutralize(message)
            ),
        )?;
    }
    StepStatus::Invalid.write(context.output.as_deref())
}

/// The step outputs for `result`: `status` (the run's, as in the JSON), `job-ids` (each promotion's export
/// job, then its import job) and `correlation-ids` (one a line, in the order of the promotions; jobs that did
/// not start, and promotions that failed before their correlation id was known, are left out), `backup` (the
/// backups taken, one a line, relative to the workspace), `result` and `summary` (the paths of the JSON result
/// and the markdown).
pub fn outputs(
    result: &RunResult,
    result_path: &Path,
    summary_path: &Path,
) -> Vec<(&'static str, String)> {
    let lines = |values: Vec<&str>| values.join("\n");
    vec![
        ("status", StepStatus::of_run(result).as_str().to_string()),
        (
            "job-ids",
            lines(
                result
                    .promotions
                    .iter()
                    .flat_map(|p| [p.export_job_id.as_deref(), p.job_id.as_deref()])
                    .flatten()
                    .collect(),
            ),
        ),
        (
            "correlation-ids",
            lines(
                result
                    .promotions
                    .iter()
                    .filter_map(|p| p.correlation())
                    .collect(),
            ),
        ),
        (
            "backup",
            lines(
                result
                    .promotions
                    .iter()
                    .filter_map(|p| p.backup.as_deref())
                    .collect(),
            ),
        ),
        ("result", result_path.display().to_string()),
        ("summary", summary_path.display().to_string()),
    ]
}
