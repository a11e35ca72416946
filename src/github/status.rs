//! The step's `status` output: every value it takes, and the one place each becomes its string.
use std::path::Path;

use crate::exit::Outcome;
use crate::promote::result::{PromotionStatus, RunResult};

/// What the `status` output says about the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    /// Refused before it ran: a bad input, an invalid manifest or package, a refused lock file, a command
    /// a fork's pull request may not run, a result directory outside the workspace (`invalid`).
    Invalid,
    /// `validate`, or a fork's pull request checked without secrets (`valid`).
    Valid,
    /// `drift`: every promotion in sync (`in_sync`).
    InSync,
    /// `drift`: a promotion out of sync (`drift`).
    Drift,
    /// A plan, apply or rollback: the run's overall status (`completed`, `failed`, `cancelled`,
    /// `skipped`, `planned`); `drift` whose comparison failed is `failed`.
    Run(PromotionStatus),
}

impl StepStatus {
    /// A plan, apply or rollback's status: the run's overall one, as in the JSON.
    pub fn of_run(result: &RunResult) -> StepStatus {
        StepStatus::Run(crate::report::overall_status(result))
    }

    /// `drift`'s status from its outcome (see `DriftReport::outcome`).
    pub fn of_drift(outcome: Outcome) -> StepStatus {
        match outcome {
            Outcome::Success => StepStatus::InSync,
            Outcome::Drift => StepStatus::Drift,
            Outcome::Failed | Outcome::Interrupted(_) => StepStatus::Run(PromotionStatus::Failed),
        }
    }

    /// The output's value.
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Invalid => "invalid",
            StepStatus::Valid => "valid",
            StepStatus::InSync => "in_sync",
            StepStatus::Drift => "drift",
            StepStatus::Run(status) => crate::report::status_label(status),
        }
    }

    /// Appends `status=` to the outputs file `output` (nothing outside GitHub Actions, `None`).
    pub fn write(self, output: Option<&Path>) -> anyhow::Result<()> {
        match output {
            Some(path) => super::files::append_outputs(path, &[("status", self.as_str())]),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_status_has_its_output_value() {
        assert_eq!(StepStatus::Invalid.as_str(), "invalid");
        assert_eq!(StepStatus::Valid.as_str(), "valid");
        assert_eq!(StepStatus::of_drift(Outcome::Success).as_str(), "in_sync");
        assert_eq!(StepStatus::of_drift(Outcome::Drift).as_str(), "drift");
        assert_eq!(StepStatus::of_drift(Outcome::Failed).as_str(), "failed");
        assert_eq!(
            StepStatus::Run(PromotionStatus::Planned).as_str(),
            "planned"
        );
    }
}
