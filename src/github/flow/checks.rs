//! The action's checks that call no Spark: `validate`, and what a fork's pull request runs instead of a
//! plan (it has no secrets).
use super::workspace;
use super::{CommentBody, post_comment};
use crate::exit::{InvalidInput, Outcome};
use crate::github::{Annotation, Runner, StepStatus};
use crate::manifest::{Manifest, Promotion};
use crate::promote;

/// `validate`: the manifest was loaded; the packages are checked too.
pub async fn validate(runner: &mut Runner, selected: &[&Promotion]) -> anyhow::Result<Outcome> {
    let problems = promote::source::package::problems(selected).await;
    if !problems.is_empty() {
        for problem in &problems {
            runner.log.error(problem, &Annotation::default())?;
        }
        crate::github::write_refusal(&runner.context, "invalid package", &problems.join("\n"))?;
        return Err(InvalidInput::msg(problems.join("\n")).into());
    }
    runner.write_summary(&format!(
        "## ✅ spark-promote validate: `{}`\n\n{} promotion(s) checked.\n",
        runner.inputs.manifest.display(),
        selected.len()
    ))?;
    runner.write_status(StepStatus::Valid)?;
    Ok(Outcome::Success)
}

/// A fork's pull request: GitHub gives it no secrets, so only what runs without them runs: the manifest
/// (loaded without resolving any secret), the packages, and the lock file (as `--locked` when there is one
/// or the `locked` input asks). The summary and the comment say why the plan did not run; the step passes
/// unless something is invalid.
pub async fn fork(
    runner: &mut Runner,
    manifest: &Manifest,
    selected: &[&Promotion],
) -> anyhow::Result<Outcome> {
    let problems = promote::source::package::problems(selected).await;
    if !problems.is_empty() {
        runner.refuse("invalid package", &problems.join("\n"))?;
        return Err(InvalidInput::msg(problems.join("\n")).into());
    }
    let lock_path = promote::source::lock::path_for(&manifest.path);
    let locked = runner.inputs.locked || lock_path.exists();
    if let Err(err) = promote::source::lock::for_run(manifest, selected, locked).await {
        runner.refuse("lock file refused", &format!("{err:#}"))?;
        return Err(err.into());
    }
    let lock = if locked {
        format!(
            " and the lock file `{}` covers them",
            workspace::relative(runner, &lock_path).display()
        )
    } else {
        String::new()
    };
    let markdown = format!(
        "## ⏭️ spark-promote plan: not run on a fork\n\n\
         This pull request comes from a fork, and GitHub gives a fork's `pull_request` run no secrets, so \
         the plan (which calls Spark) did not run. The manifest `{}` is valid: {} promotion(s) checked{lock}. \
         A maintainer can plan it from a branch of this repository.\n",
        runner.inputs.manifest.display(),
        selected.len()
    );
    runner.write_summary(&markdown)?;
    runner.write_status(StepStatus::Valid)?;
    tracing::info!("a pull request from a fork: the manifest is valid; the plan did not run");
    post_comment(runner, CommentBody::Text(&markdown)).await?;
    Ok(Outcome::Success)
}
