//! `action`: the GitHub Action entry point. Reads INPUT_* and the GITHUB_* files, masks every secret before
//! anything else is printed, runs validate / plan / apply, then writes the job summary, the step outputs, the
//! result files and the sticky pull-request comment. Before a plan or apply it reads the promotion records
//! (GitHub deployments); an apply records each import as a deployment. The promotion's result decides the
//! exit code; a comment or a deployment that cannot be written is a warning.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;

use super::process_env;
use crate::exit::{InvalidInput, Outcome};
use crate::github::{ActionCommand, Annotation, Runner, neutralize};
use crate::manifest::{self, Manifest, ManifestError, Promotion};
use crate::promote::{self, RunOptions, cancel::Cancel, result::RunKind, result::RunResult};
use crate::report;

/// A rollback without an `environment` input goes back where its backup came from: only that
/// environment's secret is resolved (the manifest read first without any secret, to find it by its URL).
fn rollback_scope(runner: &Runner, hosts: &crate::manifest::HostPolicy) -> Option<manifest::Scope> {
    if runner.inputs.command != ActionCommand::Rollback || runner.inputs.environment.is_some() {
        return None;
    }
    let backup = runner.inputs.backup.as_deref()?;
    let bare = super::open(
        &runner.inputs.manifest,
        hosts,
        &manifest::Scope::Nothing,
        &[],
    )
    .ok()?;
    super::rollback::origin_of(&bare, backup).map(manifest::Scope::Environment)
}

pub async fn action() -> anyhow::Result<Outcome> {
    // Listening first, so that SIGINT or SIGTERM ends any phase, the GitHub calls too (`github::api` drops a
    // call on it); whatever the phase, a signalled run exits 130/143 (the summary written when it got that
    // far).
    let cancel = Cancel::on_signals().context("failed to listen for signals")?;
    // A secret learned during the run (an OAuth access token) is masked as soon as it is known.
    crate::redact::on_register(|secret| {
        let _ = crate::github::WorkflowCommands::new(&mut std::io::stdout()).add_mask(secret);
    });
    let outcome = steps().await;
    match cancel.signal() {
        Some(signal) => {
            if let Err(err) = &outcome {
                tracing::error!("{err:#}");
            }
            Ok(Outcome::Interrupted(signal))
        }
        None => outcome,
    }
}

/// The action's steps (see the module's documentation).
async fn steps() -> anyhow::Result<Outcome> {
    let mut runner = match Runner::from_env(&process_env, Box::new(std::io::stdout())) {
        Ok(runner) => runner,
        Err(err) => return Err(refuse_inputs(err)),
    };
    let hosts = super::host_policy(&runner.inputs.allowed_hosts)?;
    // Only the selected promotions' environments (a rollback: its environment) have their secrets resolved
    // (and masked).
    // A fork's pull request has no secrets: only what runs without them (see `fork_checks`); the rest is
    // refused before the manifest is read, so that no missing secret is reported as a broken manifest.
    let fork = runner.context.from_fork();
    if fork && !runner.inputs.command.runs_without_secrets() {
        let message = format!(
            "`command: {}` does not run on a pull request from a fork: GitHub gives such a run no secrets. \
             Run it after the merge (on `push`, as examples/workflows/pull-request.yml does); plan and \
             validate run on a fork's pull request without secrets",
            runner.inputs.command.as_str()
        );
        runner.refuse("not on a fork's pull request", &message)?;
        return Err(InvalidInput::msg(message).into());
    }
    let scope = if fork {
        manifest::Scope::Nothing
    } else {
        rollback_scope(&runner, &hosts).unwrap_or_else(|| runner.inputs.scope())
    };
    let promotions = runner.inputs.promotions.clone();
    let manifest = match super::open(&runner.inputs.manifest, &hosts, &scope, &promotions) {
        Ok(manifest) => manifest,
        Err(err) => {
            annotate(&mut runner, &err)?;
            crate::github::write_refusal(&runner.context, "invalid manifest", &err.to_string())?;
            runner.mark_comment_stale(&err.to_string()).await?;
            return Err(InvalidInput::of(err).into());
        }
    };
    for secret in manifest.secret_values() {
        runner.mask(secret)?;
    }
    let selected = super::selected(&manifest, &promotions);
    if fork {
        return fork_checks(&mut runner, &manifest, &selected).await;
    }
    let command = match runner.inputs.command {
        ActionCommand::Validate => return validate(&mut runner, &selected).await,
        ActionCommand::Plan => RunKind::Plan,
        ActionCommand::Apply => RunKind::Apply,
        ActionCommand::Rollback => RunKind::Rollback,
        ActionCommand::Drift => return drift(&mut runner, manifest.clone(), &selected).await,
    };
    let dir = result_dir(&runner);
    // A committed `.spark-promote` (or a directory in it) that is a symlink would have the results written
    // outside the workspace: checked before anything is written there, and again once created.
    let tool = tool_dir(&runner);
    refuse_outside(&mut runner, &tool)?;
    promote::files::create_dir(&dir)?;
    refuse_outside(&mut runner, &dir)?;
    refuse_outside(&mut runner, &dir.join("backups"))?;
    let work_dir = work_dir(&dir)?;
    let cancel = Cancel::on_signals().context("failed to listen for signals")?;
    let mut options = RunOptions {
        cancel: cancel.clone(),
        progress: crate::progress_display::for_stderr(),
        source_system: source_system(&runner),
        work_dir: Some(work_dir.path().to_path_buf()),
        backup_dir: tool_dir(&runner).join("backups"),
        restorer: Some(Arc::new(super::rollback::Restore)),
        ..RunOptions::default()
    };
    if let Some(wait) = runner.inputs.wait_timeout {
        options.wait_timeout = wait;
    }
    let deployments = match runner.deployments() {
        Ok(deployments) if command == RunKind::Rollback => {
            deployments.map(|deployments| Arc::new(deployments.for_rollback()))
        }
        Ok(deployments) => deployments.map(Arc::new),
        Err(err) => {
            runner.warn(&format!("no GitHub deployments: {err:#}"))?;
            None
        }
    };
    if command == RunKind::Rollback {
        options.rollback = true;
        // Recorded as deployments that say they roll back (see `Deployments::for_rollback`).
        if let Some(deployments) = &deployments {
            options.recorder = deployments.clone();
        }
        let backup = runner.inputs.backup.clone().unwrap_or_default();
        let environment = runner.inputs.environment.clone();
        let promotion = promote::backup::restore_as(
            &manifest,
            &backup,
            environment.as_deref(),
            runner.inputs.rollback_mode,
        )
        .await?;
        let modes = modes(&[&promotion]);
        let result =
            promote::run_promotions(command, manifest.clone(), vec![promotion], options).await?;
        if let Some(deployments) = &deployments {
            warn_all(&mut runner, deployments.take_warnings())?;
        }
        return report_run(&mut runner, &dir, work_dir, result, modes, &cancel).await;
    }
    if let Some(deployments) = &deployments {
        let targets: Vec<(&str, &str)> = selected
            .iter()
            .map(|promotion| (promotion.name.as_str(), promotion.to.as_str()))
            .collect();
        let records = deployments.records(&targets).await;
        for record in &records {
            tracing::info!(
                "on record: {} (correlation id {}, into {})",
                record.origin,
                record.correlation_id,
                record.target
            );
        }
        options.records = Arc::new(records);
        if command == RunKind::Apply {
            options.recorder = deployments.clone();
        }
        warn_all(&mut runner, deployments.take_warnings())?;
    }
    match promote::source::lock::for_run(&manifest, &selected, runner.inputs.locked).await {
        Ok(lock) => options.lock = Arc::new(lock),
        Err(err) => {
            runner.refuse("lock file refused", &format!("{err:#}"))?;
            return Err(err.into());
        }
    }
    let modes = modes(&selected);
    let run: Vec<Promotion> = selected
        .iter()
        .map(|&promotion| promotion.clone())
        .collect();
    let result = promote::run_promotions(command, manifest.clone(), run, options).await?;
    if let Some(deployments) = &deployments {
        warn_all(&mut runner, deployments.take_warnings())?;
    }
    report_run(&mut runner, &dir, work_dir, result, modes, &cancel).await
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

/// A bad input (e.g. `command: plna`): the step is refused before anything else is read, with an
/// annotation, a job summary and the `invalid` status (the token, if given, is masked first).
fn refuse_inputs(err: anyhow::Error) -> anyhow::Error {
    let mut out = std::io::stdout();
    let mut commands = crate::github::WorkflowCommands::new(&mut out);
    if let Some(token) = process_env("INPUT_GITHUB-TOKEN") {
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
    match crate::github::Context::from_env(&process_env) {
        Ok(context) => {
            if let Err(refusal) = crate::github::write_refusal(&context, "invalid input", &message)
            {
                tracing::warn!("{refusal:#}");
            }
        }
        Err(context) => tracing::warn!("no job summary: {context:#}"),
    }
    err
}

/// After a plan, apply or rollback: the log groups, the result files, the job summary, the outputs and the
/// comment; the result decides the exit code.
async fn report_run(
    runner: &mut Runner,
    dir: &Path,
    work_dir: tempfile::TempDir,
    mut result: RunResult,
    modes: Vec<(String, String, String)>,
    cancel: &Cancel,
) -> anyhow::Result<Outcome> {
    for promotion in &mut result.promotions {
        if let Some(backup) = &promotion.backup {
            promotion.backup = Some(relative(runner, Path::new(backup)).display().to_string());
        }
    }
    log_groups(runner, &result)?;
    annotate_failures(runner, &result)?;
    drop(work_dir);
    let summary = runner.summary_markdown(&result);
    let result_path = dir.join("result.json");
    let summary_path = dir.join("summary.md");
    promote::files::write_atomic(&result_path, report::json(&result).as_bytes())?;
    promote::files::write_atomic(&summary_path, summary.as_bytes())?;
    runner.write_summary(&summary)?;
    runner.write_outputs(
        &result,
        &relative(runner, &result_path),
        &relative(runner, &summary_path),
    )?;
    post_comment(runner, CommentBody::Result(&result, modes)).await?;
    Ok(result.outcome(cancel))
}

/// `drift` in the action: the report in the job summary and the `status` output (`in_sync` or `drift`),
/// and the one drift issue of the manifest kept as the report says (a refusal is a warning). Exit 0 in
/// sync, 3 on drift, 1 when a comparison failed.
async fn drift(
    runner: &mut Runner,
    manifest: Arc<Manifest>,
    selected: &[&Promotion],
) -> anyhow::Result<Outcome> {
    let lock = promote::source::lock::for_run(&manifest, selected, runner.inputs.locked).await?;
    let options = RunOptions {
        cancel: Cancel::on_signals().context("failed to listen for signals")?,
        progress: crate::progress_display::for_stderr(),
        lock: Arc::new(lock),
        ..RunOptions::default()
    };
    let report = promote::drift::run(manifest, &runner.inputs.promotions, options).await?;
    // The report quotes the catalog's names: in a fence they cannot close (see `report::escape`).
    let text = format!(
        "## spark-promote drift: `{}`\n\n{}",
        runner.inputs.manifest.display(),
        report::escape::code_block(&neutralize(&report.text()))
    );
    runner.write_summary(&text)?;
    let outcome = if report.failed() {
        Outcome::Failed
    } else if report.drifted() {
        Outcome::Drift
    } else {
        Outcome::Success
    };
    write_status(
        runner,
        match outcome {
            Outcome::Success => "in_sync",
            Outcome::Drift => "drift",
            _ => "failed",
        },
    )?;
    if outcome == Outcome::Failed {
        return Ok(outcome);
    }
    let (Some(token), Some(repository)) = (&runner.inputs.github_token, &runner.context.repository)
    else {
        return Ok(outcome);
    };
    let client = crate::github::api::Client::new(&runner.context.api_url, token)?;
    let manifest_path = runner.inputs.manifest.to_string_lossy().into_owned();
    let marker = crate::github::comment::Marker::new(&manifest_path, &[]);
    let drifted = (outcome == Outcome::Drift).then_some(text.as_str());
    let repository = format!("{}/{}", repository.owner, repository.name);
    let issue = crate::github::issue::IssueOf {
        repository: &repository,
        manifest: &manifest_path,
        marker: &marker,
        labels: &runner.inputs.issue_labels,
    };
    match crate::github::issue::sync(&client, &issue, drifted).await {
        Ok(crate::github::issue::IssueOutcome::Forbidden(message)) => runner.warn(&message)?,
        Ok(done) => tracing::info!("drift issue: {done:?}"),
        Err(err) => runner.warn(&format!("the drift issue was not kept: {err:#}"))?,
    }
    Ok(outcome)
}

/// `validate` in the action: the manifest was loaded; the packages are checked too.
async fn validate(runner: &mut Runner, selected: &[&Promotion]) -> anyhow::Result<Outcome> {
    let problems = super::validate::package_problems(selected).await;
    if !problems.is_empty() {
        for problem in &problems {
            runner
                .commands()
                .error(&neutralize(problem), &Annotation::default())
                .context("failed to write a workflow command")?;
        }
        crate::github::write_refusal(&runner.context, "invalid package", &problems.join("\n"))?;
        return Err(InvalidInput::msg(problems.join("\n")).into());
    }
    runner.write_summary(&format!(
        "## ✅ spark-promote validate: `{}`\n\n{} promotion(s) checked.\n",
        runner.inputs.manifest.display(),
        selected.len()
    ))?;
    write_status(runner, "valid")?;
    Ok(Outcome::Success)
}

/// A fork's pull request: GitHub gives it no secrets, so only what runs without them runs: the manifest
/// (loaded without resolving any secret), the packages, and the lock file (as `--locked` when there is one
/// or the `locked` input asks). The summary and the comment say why the plan did not run; the step passes
/// unless something is invalid.
async fn fork_checks(
    runner: &mut Runner,
    manifest: &Manifest,
    selected: &[&Promotion],
) -> anyhow::Result<Outcome> {
    let problems = super::validate::package_problems(selected).await;
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
            relative(runner, &lock_path).display()
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
    write_status(runner, "valid")?;
    tracing::info!("a pull request from a fork: the manifest is valid; the plan did not run");
    post_comment(runner, CommentBody::Text(&markdown)).await?;
    Ok(Outcome::Success)
}

/// Each manifest diagnostic as an `::error file=,line=,col=::` annotation.
fn annotate(runner: &mut Runner, err: &ManifestError) -> anyhow::Result<()> {
    for diagnostic in &err.diagnostics {
        let at = Annotation {
            file: Some(diagnostic.file.clone()),
            line: (diagnostic.line > 0).then_some(diagnostic.line as u64),
            col: (diagnostic.column > 0).then_some(diagnostic.column as u64),
            title: Some("spark-promote manifest".to_string()),
        };
        runner
            .commands()
            .error(&neutralize(&diagnostic.message), &at)
            .context("failed to write a workflow command")?;
    }
    Ok(())
}

/// One collapsed group per promotion with its outcome; text from Spark is neutralized.
fn log_groups(runner: &mut Runner, result: &RunResult) -> anyhow::Result<()> {
    for promotion in &result.promotions {
        let correlation = match promotion.correlation_id.as_str() {
            "" => String::new(),
            id => format!(", correlation id {id}"),
        };
        let mut lines = vec![format!(
            "{} → {}: {} (job {}{correlation})",
            promotion.source,
            promotion.target,
            report::status_label(promotion.status),
            promotion.job_id.as_deref().unwrap_or("none"),
        )];
        lines.extend(promotion.services.iter().map(|service| {
            let detail = match &service.detail {
                Some(detail) => format!(": {detail}"),
                None => String::new(),
            };
            format!(
                "{} → {}: {}{detail}",
                service.source,
                service.destination,
                service.status.label()
            )
        }));
        lines.extend(
            promotion
                .errors
                .iter()
                .map(|error| format!("error: {error}")),
        );
        lines.extend(
            promotion
                .warnings
                .iter()
                .map(|warning| format!("warning: {warning}")),
        );
        runner.commands().group(&format!(
            "{}: {}",
            promotion.name,
            report::status_label(promotion.status)
        ))?;
        let mut text = String::new();
        for line in lines {
            text.push_str(&neutralize(&line));
            text.push('\n');
        }
        runner.print(&text)?;
        runner.commands().end_group()?;
    }
    Ok(())
}

/// Each error of a promotion that fails the run (a plan's predicted failures too) as an `::error`
/// annotation titled with the promotion.
fn annotate_failures(runner: &mut Runner, result: &RunResult) -> anyhow::Result<()> {
    for promotion in result.promotions.iter().filter(|p| p.fails_the_run()) {
        let at = Annotation {
            title: Some(format!("spark-promote {}", promotion.name)),
            ..Annotation::default()
        };
        for error in &promotion.errors {
            runner
                .commands()
                .error(&neutralize(error), &at)
                .context("failed to write a workflow command")?;
        }
    }
    Ok(())
}

fn warn_all(runner: &mut Runner, messages: Vec<String>) -> anyhow::Result<()> {
    for message in messages {
        runner.warn(&message)?;
    }
    Ok(())
}

/// Writes only the `status` output (validate).
fn write_status(runner: &Runner, status: &str) -> anyhow::Result<()> {
    match &runner.context.output {
        Some(path) => crate::github::files::append_outputs(path, &[("status", status)]),
        None => Ok(()),
    }
}

fn source_system(runner: &Runner) -> String {
    match &runner.context.repository {
        Some(repository) => format!(
            "spark-promote/{} ({}/{})",
            env!("CARGO_PKG_VERSION"),
            repository.owner,
            repository.name
        ),
        None => RunOptions::default().source_system,
    }
}

/// A temporary directory for exported packages: in the system's temporary directory, or, where there is
/// none (the action's `FROM scratch` image has no /tmp), in `result_dir` (on the runner's workspace mount).
fn work_dir(result_dir: &Path) -> anyhow::Result<tempfile::TempDir> {
    let system = std::env::temp_dir();
    let base = if system.is_dir() {
        system
    } else {
        result_dir.to_path_buf()
    };
    tempfile::Builder::new()
        .prefix("spark-promote-")
        .tempdir_in(&base)
        .with_context(|| format!("failed to create a work directory in {}", base.display()))
}

/// `.spark-promote/` in the workspace (a Docker action's paths are not the runner's, so later steps read
/// its files from the workspace).
fn tool_dir(runner: &Runner) -> PathBuf {
    runner
        .context
        .workspace
        .clone()
        .unwrap_or_else(|| PathBuf::from("."))
        .join(promote::files::TOOL_DIR)
}

/// Where this manifest's result files go: a directory of its own under `.spark-promote/`.
fn result_dir(runner: &Runner) -> PathBuf {
    tool_dir(runner).join(crate::github::files::result_dir_name(
        &runner.inputs.manifest,
    ))
}

/// Refuses (invalid input) a result path that exists and leads out of the workspace.
fn refuse_outside(runner: &mut Runner, path: &Path) -> anyhow::Result<()> {
    let Some(workspace) = runner.context.workspace.clone() else {
        return Ok(());
    };
    if !path.exists() {
        return Ok(());
    }
    if let Err(why) = promote::files::inside(&workspace, path) {
        let message = format!("{}: {why}; remove it from the repository", path.display());
        runner.refuse("result directory refused", &message)?;
        return Err(InvalidInput::msg(message).into());
    }
    Ok(())
}

/// A path relative to the workspace when it is inside it.
fn relative(runner: &Runner, path: &Path) -> PathBuf {
    runner
        .context
        .workspace
        .as_ref()
        .and_then(|workspace| path.strip_prefix(workspace).ok())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| path.to_path_buf())
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
        Err(err) => return runner.warn(&format!("no pull-request comment: {err:#}")),
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
        Err(err) => runner.warn(&format!(
            "the pull-request comment was not written: {err:#}"
        )),
    }
}
