//! Where the action's workflow commands and log text go (stdout in the action, a buffer in tests): the one
//! writer of a [`super::Runner`], apart from its configuration so that both can be borrowed at once.
use std::io::Write;

use secrecy::{ExposeSecret, SecretString};

use super::workflow_commands::{Annotation, WorkflowCommands, neutralize};

/// The runner's log: workflow commands (annotations, groups, masks) and plain text.
pub struct Log {
    out: Box<dyn Write + Send>,
}

impl Log {
    pub fn new(out: Box<dyn Write + Send>) -> Log {
        Log { out }
    }

    /// Writes workflow commands (annotations, groups, masks) to the runner.
    pub fn commands(&mut self) -> WorkflowCommands<'_> {
        WorkflowCommands::new(&mut *self.out)
    }

    /// Prints plain log text where the workflow commands go (the caller neutralizes untrusted text).
    pub fn print(&mut self, text: &str) -> anyhow::Result<()> {
        self.out
            .write_all(text.as_bytes())
            .and_then(|_| self.out.flush())
            .map_err(|err| anyhow::anyhow!("failed to write to the log: {err}"))
    }

    /// Masks `secret` in all later logs of the job.
    pub fn mask(&mut self, secret: &SecretString) -> anyhow::Result<()> {
        crate::redact::remember(secret.expose_secret());
        self.commands()
            .add_mask(secret.expose_secret())
            .map_err(failed_command)
    }

    /// An `::error::` annotation with `message` (neutralized) at `at`.
    pub fn error(&mut self, message: &str, at: &Annotation) -> anyhow::Result<()> {
        self.commands()
            .error(&neutralize(message), at)
            .map_err(failed_command)
    }

    /// A `::warning::` annotation with `message` (neutralized).
    pub fn warn(&mut self, message: &str) -> anyhow::Result<()> {
        self.commands()
            .warning(&neutralize(message), &Annotation::default())
            .map_err(failed_command)
    }

    /// Each of `messages` as a warning.
    pub fn warn_all(&mut self, messages: Vec<String>) -> anyhow::Result<()> {
        for message in messages {
            self.warn(&message)?;
        }
        Ok(())
    }
}

fn failed_command(err: std::io::Error) -> anyhow::Error {
    anyhow::anyhow!("failed to write a workflow command: {err}")
}
