//! The action's commands, one function each: a bad input and a fork's refusal ([`refuse_inputs`],
//! [`refuse_fork`]), an invalid manifest ([`invalid_manifest`]), `validate` and a fork's checks
//! ([`checks`]), `plan` / `apply` and `rollback` ([`run`]), `drift` ([`drift`]). `commands/action.rs` reads
//! the runner, opens the manifest and calls one of them; each writes its job summary, its `status` output
//! (see [`super::StepStatus`]) and, where there is one, the pull-request comment, and gives the exit code.
pub mod checks;
pub mod drift;
pub mod run;
mod workspace;

use crate::exit::InvalidInput;
use crate::manifest::{ManifestError, Promotion};
use crate::promote::result::RunResult;

use super::{Annotation, Env, Runner, WorkflowCommands, neutralize};

/// A bad input (e.g. `command: plna`): the step is refused before anything else is read, with an
/// annotation, a job summary and the `invalid` status (the token, if given, is masked first).
pub fn refuse_inputs(err: anyhow::Error, env: Env) -> anyhow::Error {
    let mut out = std::io::stdout();
    let mut commands = WorkflowCommands::new(&mut out);
    if let Some(token) = env("INPUT_GITHUB-TOKEN") {
        let _ = commands.add_mask(&token);
    }
    let message = format!("{err:#}");
    let _ = commands.error(
        &neutralize(&message),
        &Annotation {
            title: Some("spark-promote input".to_string()),
            ..Annotation::default()
        },
    );
    match super::Context::from_env(env) {
        Ok(context) => {
            if let Err(refusal) = super::write_refusal(&context, "invalid input", &message) {
                tracing::warn!("{refusal:#}");
            }
        }
        Err(context) => tracing::warn!("no job summary: {context:#}"),
    }
    err
}

/// A fork's pull request has no secrets: a command that needs them is refused before the manifest is
/// read, so that no missing secret is reported as a broken manifest (`Ok` when the command may run).
pub fn refuse_fork(runner: &mut Runner) -> anyhow::Result<()> {
    if !runner.context.from_fork() || runner.inputs.command.runs_without_secrets() {
        return Ok(());
    }
    let message = format!(
        "`command: {}` does not run on a pull request from a fork: GitHub gives such a run no secrets. \
         Run it after the merge (on `push`, as examples/workflows/pull-request.yml does); plan and \
         validate run on a fork's pull request without secrets",
        runner.inputs.command.as_str()
    );
    runner.refuse("not on a fork's pull request", &message)?;
    Err(InvalidInput::msg(message).into())
}

/// An invalid manifest: each diagnostic as an `::error file=,line=,col=::` annotation, the refusal's
/// summary and status, the pull request's comment marked stale; the error for the exit code.
pub async fn invalid_manifest(runner: &mut Runner, err: ManifestError) -> anyhow::Error {
    if let Err(failed) = refuse_manifest(runner, &err).await {
        return failed;
    }
    InvalidInput::of(err).into()
}

async fn refuse_manifest(runner: &mut Runner, err: &ManifestError) -> anyhow::Result<()> {
    for diagnostic in &err.diagnostics {
        let at = Annotation {
            file: Some(diagnostic.file.clone()),
            line: (diagnostic.line > 0).then_some(diagnostic.line as u64),
            col: (diagnostic.column > 0).then_some(diagnostic.column as u64),
            title: Some("spark-promote manifest".to_string()),
        };
        runner.log.error(&diagnostic.message, &at)?;
    }
    super::write_refusal(&runner.context, "invalid manifest", &err.to_string())?;
    runner.mark_comment_stale(&err.to_string()).await
}

/// Each promotion's name and modes, as the comment shows them.
fn modes(promotions: &[&Promotion]) -> Vec<(String, String, String)> {
    promotions
        .iter()
        .map(|promotion| {
            (
                promotion.name.clone(),
                promotion.services_existing.as_str().to_string(),
                promotion.update_version_type.as_str().to_string(),
            )
        })
        .collect()
}

/// What the pull-request comment shows: a run's result (with each promotion's modes), or a text.
enum CommentBody<'a> {
    Result(&'a RunResult, Vec<(String, String, String)>),
    Text(&'a str),
}

/// Writes the pull-request comment, when there is a pull request and a token; what goes wrong is a
/// warning, never the step's result.
async fn post_comment(runner: &mut Runner, body: CommentBody<'_>) -> anyhow::Result<()> {
    let client = match runner.comment_client() {
        Ok(Some(client)) => client,
        Ok(None) => return Ok(()),
        Err(err) => {
            return runner
                .log
                .warn(&format!("no pull-request comment: {err:#}"));
        }
    };
    let written = match body {
        CommentBody::Result(result, modes) => runner.comment(&client, result, modes).await,
        CommentBody::Text(markdown) => runner.comment_text(&client, markdown).await,
    };
    match written {
        Ok(outcome) => {
            tracing::info!("pull-request comment: {outcome:?}");
            Ok(())
        }
        Err(err) => runner.log.warn(&format!(
            "the pull-request comment was not written: {err:#}"
        )),
    }
}
