//! `action`: the GitHub Action entry point. Reads INPUT_* and the GITHUB_* files, masks every secret before
//! anything else is printed, opens the manifest and runs the command the `command` input names; each
//! command of the action is one function of `github::flow` (validate, plan/apply, rollback, drift, a fork's
//! checks and refusal).
use anyhow::Context as _;

use super::process_env;
use crate::exit::Outcome;
use crate::github::flow::{self, checks, drift, run};
use crate::github::{ActionCommand, Runner};
use crate::manifest;
use crate::promote::{self, cancel::Cancel, result::RunKind};

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

/// The runner read, a fork's refusal, the manifest opened with only the secrets the command needs (each
/// masked), then the command.
async fn steps() -> anyhow::Result<Outcome> {
    let mut runner = match Runner::from_env(&process_env, Box::new(std::io::stdout())) {
        Ok(runner) => runner,
        Err(err) => return Err(flow::refuse_inputs(err, &process_env)),
    };
    let hosts = super::host_policy(&runner.inputs.allowed_hosts)?;
    flow::refuse_fork(&mut runner)?;
    // Only the selected promotions' environments (a rollback: its environment) have their secrets resolved
    // (and masked); a fork's pull request has none.
    let fork = runner.context.from_fork();
    let scope = if fork {
        manifest::Scope::Nothing
    } else {
        rollback_scope(&runner, &hosts).unwrap_or_else(|| runner.inputs.scope())
    };
    let inputs = &runner.inputs;
    let manifest = match super::open(&inputs.manifest, &hosts, &scope, &inputs.promotions) {
        Ok(manifest) => manifest,
        Err(err) => return Err(flow::invalid_manifest(&mut runner, err).await),
    };
    for secret in manifest.secret_values() {
        runner.log.mask(secret)?;
    }
    let selected = super::selected(&manifest, &runner.inputs.promotions);
    if fork {
        return checks::fork(&mut runner, &manifest, &selected).await;
    }
    match runner.inputs.command {
        ActionCommand::Validate => checks::validate(&mut runner, &selected).await,
        ActionCommand::Drift => drift::drift(&mut runner, manifest.clone(), &selected).await,
        ActionCommand::Plan => {
            run::plan_or_apply(&mut runner, RunKind::Plan, manifest.clone(), &selected).await
        }
        ActionCommand::Apply => {
            run::plan_or_apply(&mut runner, RunKind::Apply, manifest.clone(), &selected).await
        }
        ActionCommand::Rollback => {
            let backup = runner.inputs.backup.clone().unwrap_or_default();
            let environment = runner.inputs.environment.clone();
            let mode = runner.inputs.rollback_mode;
            let restore =
                promote::backup::restore_as(&manifest, &backup, environment.as_deref(), mode);
            run::rollback(&mut runner, manifest.clone(), restore).await
        }
    }
}

/// A rollback without an `environment` input goes back where its backup came from: only that
/// environment's secret is resolved (the manifest read first without any secret, to find it by its URL).
fn rollback_scope(runner: &Runner, hosts: &manifest::HostPolicy) -> Option<manifest::Scope> {
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
