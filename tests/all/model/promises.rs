//! The CLI's steps and the promises checked after each: applies (plain, `--locked`, killed mid-run),
//! locks, rollbacks.
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Stage;
use super::Team;
use super::system::{Orphan, System, write_manifest};
use crate::support::cli::read;

/// What held before an apply, for its checks.
pub struct Before {
    team: Team,
    prod: BTreeSet<String>,
    /// What the apply selects.
    target: BTreeSet<String>,
    imports: usize,
    /// A killed run of this team whose job may still be running.
    orphan: Option<Orphan>,
}

impl System {
    pub fn before(&mut self, team: Team) -> Before {
        Before {
            team,
            prod: self.ids("acme-prod", team),
            target: self.target(team),
            imports: self.imports(),
            orphan: self.orphan.take(),
        }
    }

    /// The promises of an apply that exited 0 with the promotion's `status` (`completed` or `skipped`):
    /// at least once, never twice, and a skip exactly when prod already held what it selects. Records the
    /// backup it took.
    pub fn promised(&mut self, before: Before, status: &str, backup: Option<String>, log: &str) {
        let team = before.team;
        let prod = self.ids("acme-prod", team);
        assert_eq!(
            prod, before.target,
            "at least once: prod after an apply that exited 0 ({status}):\n{log}"
        );
        let imported = self.imports() - before.imports;
        super::trace(&format!("  {status}, {imported} import(s)"));
        match &before.orphan {
            None => {
                let in_sync = before.prod == before.target;
                let skipped = status == "skipped";
                assert_eq!(
                    in_sync, skipped,
                    "prod held {:?}, the apply selects {:?}, and it was {status}:\n{log}",
                    before.prod, before.target
                );
                assert_eq!(
                    imported,
                    usize::from(!in_sync),
                    "imports of one apply:\n{log}"
                );
            }
            Some(Orphan {
                brings: Some(brings),
                ..
            }) if *brings == before.target => assert_eq!(
                imported, 0,
                "never twice: imported again what the killed run's import brings ({status}):\n{log}"
            ),
            Some(_) => assert!(imported <= 1, "imports of one apply: {imported}:\n{log}"),
        }
        if let Some(backup) = backup {
            self.teams[team.index()].backups.push(backup);
        }
    }

    /// Drift, plan and apply (each against the state before the apply), their verdicts agreeing. Just
    /// after a killed run, only the apply: the killed run's job is still changing prod.
    pub fn apply(&mut self, team: Team) {
        let before = self.before(team);
        let verdicts = before.orphan.is_none().then(|| {
            let drift = self.run(team, &["drift", "--json"]);
            assert!(matches!(drift.code, 0 | 3), "drift: {drift:?}");
            let plan = self.run(team, &["plan", "--json"]);
            assert_eq!(plan.code, 0, "plan: {plan:?}");
            (drift, status(&plan.json()))
        });
        let apply = self.run(team, &["apply", "--json"]);
        assert_eq!(apply.code, 0, "apply: {apply:?}");
        let applied = status(&apply.json());
        if let Some((drift, planned)) = verdicts {
            let skipped = applied == "skipped";
            let expected = if skipped {
                ("skipped", "skipped")
            } else {
                ("planned", "completed")
            };
            assert_eq!(
                (planned.as_str(), applied.as_str()),
                expected,
                "plan = apply"
            );
            assert_eq!(
                drift.code == 0,
                skipped,
                "drift in sync ⇔ apply skips: {drift:?}\napply: {apply:?}"
            );
        }
        let backup = backup_of(&apply.json());
        self.promised(before, &applied, backup, &apply.stderr);
    }

    /// `apply --locked`: the locked version, or exit 2 with nothing imported when there is no lock.
    pub fn apply_locked(&mut self, team: Team) {
        if self.teams[team.index()].locked.is_none() {
            self.refused_locked(team, "is missing");
            return;
        }
        let before = self.before(team);
        let apply = self.run(team, &["apply", "--locked", "--json"]);
        assert_eq!(apply.code, 0, "apply --locked: {apply:?}");
        let backup = backup_of(&apply.json());
        self.promised(before, &status(&apply.json()), backup, &apply.stderr);
    }

    /// The manifest entry edited under its lock: `apply --locked` refuses it (exit 2), nothing imported; the
    /// edit is then undone.
    pub fn stale_lock(&mut self, team: Team) {
        write_manifest(&self.lab, team, "add_version");
        self.refused_locked(team, "is stale");
        write_manifest(&self.lab, team, "replace");
    }

    fn refused_locked(&mut self, team: Team, why: &str) {
        self.settle();
        let (prod, imports) = (self.ids("acme-prod", team), self.imports());
        let refused = self.run(team, &["apply", "--locked", "--json"]);
        assert_eq!(refused.code, 2, "apply --locked: {refused:?}");
        assert!(refused.stderr.contains(why), "{refused:?}");
        assert_eq!(
            (self.ids("acme-prod", team), self.imports()),
            (prod, imports),
            "a refused locked apply changed prod"
        );
    }

    /// `lock`: pins UAT's latest version, reads only, imports nothing.
    pub fn lock(&mut self, team: Team) {
        let (prod, imports) = (self.ids("acme-prod", team), self.imports());
        let latest = self.uat_latest(team);
        let output = self.run(team, &["lock"]);
        assert_eq!(output.code, 0, "lock: {output:?}");
        assert!(read(&self.lock_path(team)).contains(&latest), "{output:?}");
        assert_eq!(
            (self.ids("acme-prod", team), self.imports()),
            (prod, imports)
        );
        self.teams[team.index()].locked = Some(latest);
    }

    pub fn unlock(&mut self, team: Team) {
        std::fs::remove_file(self.lock_path(team)).unwrap();
        self.teams[team.index()].locked = None;
    }

    fn lock_path(&self, team: Team) -> std::path::PathBuf {
        self.lab.path(team.manifest()).with_extension("lock")
    }

    /// An apply SIGKILLed once it posted a job of `stage`; an apply that ends before is an ordinary one.
    pub fn kill_mid_run(&mut self, team: Team, stage: Stage) {
        let (object, tenant) = match stage {
            Stage::Export => ("export", "acme-uat"),
            Stage::Import => ("import", "acme-prod"),
        };
        let before = self.before(team);
        let posted = self.jobs(object, tenant).len();
        let args = ["apply", "--json", "-m", team.manifest()];
        let mut run = self.runtime.block_on(async { self.lab.spawn(&args, &[]) });
        let deadline = Instant::now() + Duration::from_secs(60);
        let killed = loop {
            if self.jobs(object, tenant).len() > posted {
                run.signal("KILL");
                break true;
            }
            if run.ended() {
                break false;
            }
            assert!(Instant::now() < deadline, "no {object} job within a minute");
            std::thread::sleep(Duration::from_millis(5));
        };
        let (output, _) = self.runtime.block_on(run.finish());
        if !killed {
            assert_eq!(output.code, 0, "apply: {output:?}");
            let backup = backup_of(&output.json());
            self.promised(before, &status(&output.json()), backup, &output.stderr);
            return;
        }
        assert_ne!(output.code, 0, "a killed apply: {output:?}");
        super::trace(&format!("  killed once its {object} job was posted"));
        let brings = matches!(stage, Stage::Import).then_some(before.target);
        self.orphan = Some(Orphan { team, brings });
    }

    /// The newest backup put back without `--env` (it goes home), or into UAT (refused, nothing changed).
    pub fn rollback(&mut self, team: Team, into_uat: bool) {
        let Some(backup) = self.teams[team.index()].backups.last().cloned() else {
            return;
        };
        let (prod, uat) = (self.ids("acme-prod", team), self.ids("acme-uat", team));
        if into_uat {
            let refused = self.run(team, &["rollback", "--env", "uat", "--backup", &backup]);
            assert_eq!(refused.code, 2, "a rollback into uat: {refused:?}");
            let after = (self.ids("acme-prod", team), self.ids("acme-uat", team));
            assert_eq!(after, (prod, uat));
            return;
        }
        let output = self.run(team, &["rollback", "--backup", &backup, "--json"]);
        assert_eq!(output.code, 0, "rollback: {output:?}");
        self.restored(team, &backup, &uat);
    }

    /// Rollback's promise: prod holds exactly what the backup holds, and UAT is as it was.
    pub fn restored(&self, team: Team, backup: &str, uat: &BTreeSet<String>) {
        let index: Value =
            serde_json::from_str(&read(&self.lab.path(&format!("{backup}.json")))).unwrap();
        let held: BTreeSet<String> = index["service_versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["version_id_source"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            self.ids("acme-prod", team),
            held,
            "rollback restores exactly its backup"
        );
        assert_eq!(
            &self.ids("acme-uat", team),
            uat,
            "rollback changes only where it came from"
        );
    }
}

/// The one promotion's status in a result.
fn status(result: &Value) -> String {
    result["promotions"][0]["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The backup the one promotion took, if any.
fn backup_of(result: &Value) -> Option<String> {
    result["promotions"][0]["backup"]
        .as_str()
        .map(str::to_string)
}
