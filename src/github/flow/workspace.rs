//! Where a run of the action writes in the runner's workspace: `.spark-promote/` and this manifest's result
//! directory in it (refused when they lead out of the workspace), a work directory for exported packages,
//! and paths shown relative to the workspace.
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::exit::InvalidInput;
use crate::github::Runner;
use crate::promote;

/// The directories of one run: the manifest's result directory and the tool's (`.spark-promote/`).
pub struct Dirs {
    pub result: PathBuf,
    pub tool: PathBuf,
}

impl Dirs {
    /// Creates the result directory; a committed `.spark-promote` (or a directory in it) that is a symlink
    /// would have the results written outside the workspace: checked before anything is written there,
    /// and again once created.
    pub fn create(runner: &mut Runner) -> anyhow::Result<Dirs> {
        let tool = tool_dir(runner);
        let result = tool.join(crate::github::files::result_dir_name(
            &runner.inputs.manifest,
        ));
        refuse_outside(runner, &tool)?;
        promote::files::create_dir(&result)?;
        refuse_outside(runner, &result)?;
        refuse_outside(runner, &result.join("backups"))?;
        Ok(Dirs { result, tool })
    }
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

/// Refuses (invalid input) a result path that exists and leads out of the workspace.
fn refuse_outside(runner: &mut Runner, path: &Path) -> anyhow::Result<()> {
    let Some(workspace) = &runner.context.workspace else {
        return Ok(());
    };
    if !path.exists() {
        return Ok(());
    }
    if let Err(why) = promote::files::inside(workspace, path) {
        let message = format!("{}: {why}; remove it from the repository", path.display());
        runner.refuse("result directory refused", &message)?;
        return Err(InvalidInput::msg(message).into());
    }
    Ok(())
}

/// A temporary directory for exported packages: in the system's temporary directory, or, where there is
/// none (the action's `FROM scratch` image has no /tmp), in `result_dir` (on the runner's workspace mount).
pub fn work_dir(result_dir: &Path) -> anyhow::Result<tempfile::TempDir> {
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

/// A path relative to the workspace when it is inside it.
pub fn relative(runner: &Runner, path: &Path) -> PathBuf {
    runner
        .context
        .workspace
        .as_ref()
        .and_then(|workspace| path.strip_prefix(workspace).ok())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| path.to_path_buf())
}

/// What the imports say sent them: this tool and the repository.
pub fn source_system(runner: &Runner) -> String {
    match &runner.context.repository {
        Some(repository) => format!(
            "spark-promote/{} ({}/{})",
            env!("CARGO_PKG_VERSION"),
            repository.owner,
            repository.name
        ),
        None => promote::RunOptions::default().source_system,
    }
}
