//! Exit codes: 0 success, 1 a promotion failed or was cancelled, 2 invalid input, 3 drift (`drift`),
//! 130/143 interrupted.

/// What a command ended with, when it ran to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked for succeeded (or was already applied).
    Success,
    /// At least one promotion failed or was cancelled.
    Failed,
    /// `drift` found a promotion out of sync.
    Drift,
    /// Stopped by SIGINT (130) or SIGTERM (143) after cancelling what was running.
    Interrupted(Signal),
}

/// The signal that interrupted a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
    Terminate,
}

impl Outcome {
    pub fn code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Failed => 1,
            Outcome::Drift => 3,
            Outcome::Interrupted(Signal::Interrupt) => 130,
            Outcome::Interrupted(Signal::Terminate) => 143,
        }
    }
}

/// Invalid input from the user (manifest, package, missing secret, refused host): exit code 2.
///
/// Wrap an error in it (or return it from a library function) to mark it as the caller's to fix.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct InvalidInput(#[from] pub anyhow::Error);

impl InvalidInput {
    pub fn msg(message: impl std::fmt::Display) -> Self {
        InvalidInput(anyhow::anyhow!("{message}"))
    }

    /// A typed error that is the caller's to fix (a manifest error, a selection, the SDK's variables).
    pub fn of(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        InvalidInput(anyhow::Error::new(err))
    }
}

/// The exit code for an error that ended a command: 2 for invalid input, 1 otherwise.
pub fn code_for_error(err: &anyhow::Error) -> u8 {
    if err.chain().any(|cause| cause.is::<InvalidInput>()) {
        2
    } else {
        1
    }
}
