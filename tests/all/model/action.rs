//! The action's steps: `spark-promote action` as GitHub's runner starts it on a `schedule` event, against
//! the fake GitHub whose token may write deployments or the one that refuses them. The records a permitted
//! run leaves are read by the next permitted run: they may suggest a skip, never decide one.
use super::Team;
use super::system::System;
use crate::action::runner::{Step as RunnerStep, Trigger, run_step};

/// The warning of a run whose token may not read or write deployments.
const NOT_RECORDED: &str = "::warning::GitHub deployments are not read or recorded in this run";

impl System {
    fn action(&self, team: Team, deployments: bool, inputs: &[(&str, &str)]) -> RunnerStep {
        let github = if deployments {
            &self.github
        } else {
            &self.refusing
        };
        let mut all = vec![
            ("INPUT_MANIFEST", team.manifest()),
            ("INPUT_COMMENT", "never"),
        ];
        all.extend_from_slice(inputs);
        let step = self.runtime.block_on(run_step(
            &self.lab,
            &github.uri(),
            &Trigger::schedule(),
            &all,
        ));
        assert_eq!(step.code, 0, "the action: {}", step.log);
        assert!(
            !deployments || !step.log.contains(NOT_RECORDED),
            "a missing permission with the permission:\n{}",
            step.log
        );
        step
    }

    /// Without the permission, a run that records (an apply reads the records first) warns once.
    fn warned(step: &RunnerStep) {
        let warnings = step.log.matches(NOT_RECORDED).count();
        assert_eq!(
            warnings, 1,
            "the missing permission is one warning:\n{}",
            step.log
        );
    }

    /// An apply through the action: the same promises as the CLI's.
    pub fn action_apply(&mut self, team: Team, deployments: bool) {
        let before = self.before(team);
        let step = self.action(team, deployments, &[("INPUT_COMMAND", "apply")]);
        let backup = step
            .outputs
            .get("backup")
            .filter(|backup| !backup.is_empty())
            .cloned();
        if !deployments {
            System::warned(&step);
        }
        self.promised(before, &step.outputs["status"], backup, &step.log);
    }

    /// The newest backup put back through the action, its environment left to the backup's origin.
    pub fn action_rollback(&mut self, team: Team, deployments: bool) {
        let Some(backup) = self.teams[team.index()].backups.last().cloned() else {
            return;
        };
        let uat = self.ids("acme-uat", team);
        let inputs = [
            ("INPUT_COMMAND", "rollback"),
            ("INPUT_BACKUP", backup.as_str()),
            ("INPUT_ENVIRONMENT", ""),
        ];
        let step = self.action(team, deployments, &inputs);
        // Skipped when prod holds the backup already (a rollback of it ran last); `restored` checks that.
        let status = step.outputs["status"].as_str();
        assert!(matches!(status, "completed" | "skipped"), "{}", step.log);
        if !deployments && status == "completed" {
            System::warned(&step);
        }
        self.restored(team, &backup, &uat);
    }
}
