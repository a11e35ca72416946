//! The system under test: a sandbox seeded for two teams, a work directory with both manifests, the
//! binary, two fake GitHubs (one whose token may write deployments, one refused them), and what the
//! history has left that the checks need (backups, locks, a killed run's job).
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::Value;
use spark_promote::sandbox::{self, Compat, Seed};

use super::{Step, Team};
use crate::action::fake_github::{self, FakeGitHub};
use crate::support::cli::{ENVIRONMENTS, Lab, Output};
use crate::support::sandbox::JOB_DURATION;

/// Both teams' services in UAT, and in prod pricing/quote's first version and an empty claims folder.
const SEED: &str = r#"
tenants:
  - name: acme-uat
    bearer_tokens: [tok-acme-uat]
    clients: [{ id: ci-uat, secret: ci-uat-secret }]
    folders:
      - name: pricing
        services: [{ name: quote, versions: ["1.0.0", "1.1.0"] }]
      - name: claims
        services: [{ name: score, versions: ["3.0.0"] }]
  - name: acme-prod
    bearer_tokens: [tok-acme-prod]
    folders:
      - name: pricing
        services: [{ name: quote, versions: ["1.0.0"] }]
      - { name: claims }
"#;

/// What the history left for one team.
#[derive(Default)]
pub struct TeamState {
    /// The backups its applies took, oldest first (paths relative to the work directory).
    pub backups: Vec<String>,
    /// The version id its lock pins, while it has one.
    pub locked: Option<String>,
}

pub struct System {
    pub runtime: tokio::runtime::Runtime,
    pub lab: Lab,
    /// GitHub for a workflow with `deployments: write`.
    pub github: FakeGitHub,
    /// GitHub for a workflow without it: every deployment call refused.
    pub refusing: FakeGitHub,
    pub teams: [TeamState; 2],
    published: u32,
    /// A killed run whose job may still be running.
    pub orphan: Option<Orphan>,
}

/// A run killed once it posted a job, which runs on in Spark.
#[derive(Debug, Clone)]
pub struct Orphan {
    pub team: Team,
    /// The versions its import brings, when it was killed after posting the import.
    pub brings: Option<BTreeSet<String>>,
}

/// The manifest head: one environment per tenant (no second name for prod), so a rollback finds its way
/// home.
pub fn environments() -> &'static str {
    ENVIRONMENTS.split("  prodkey:").next().unwrap()
}

impl System {
    pub fn start(spec: bool) -> System {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let compat = if spec { Compat::Spec } else { Compat::Rich };
        let config = sandbox::Config {
            job_duration: JOB_DURATION,
            compat,
            ..sandbox::Config::default()
        };
        let lab = runtime.block_on(Lab::start_seeded(config, Seed::from_yaml(SEED).unwrap()));
        std::fs::create_dir_all(lab.path("claims")).unwrap();
        for team in [Team::Pricing, Team::Claims] {
            write_manifest(&lab, team, "replace");
        }
        let (github, refusing) = runtime.block_on(async {
            let refusing = FakeGitHub::start(Vec::new()).await;
            let deployments = "/repos/acme/pricing/deployments";
            for verb in ["GET", "POST"] {
                let refused =
                    fake_github::refused("https://docs.github.com/rest/deployments/deployments");
                refusing.answer_always(verb, deployments, refused).await;
            }
            (FakeGitHub::start(Vec::new()).await, refusing)
        });
        System {
            runtime,
            lab,
            github,
            refusing,
            teams: Default::default(),
            published: 0,
            orphan: None,
        }
    }

    pub fn step(&mut self, step: Step) {
        let own = match step {
            Step::Apply(team) | Step::ApplyLocked(team) | Step::ActionApply { team, .. } => {
                Some(team)
            }
            _ => None,
        };
        // A killed run's job ends before any step but the next apply of its team.
        if self
            .orphan
            .as_ref()
            .is_some_and(|orphan| Some(orphan.team) != own)
        {
            self.settle();
        }
        let team = team_of(&step);
        let untouched = team.map(|team| (team.other(), self.ids("acme-prod", team.other())));
        self.run_step(step);
        if let Some((other, before)) = untouched {
            assert_eq!(
                self.ids("acme-prod", other),
                before,
                "a step of one team changed {} in prod",
                other.service()
            );
        }
    }

    fn run_step(&mut self, step: Step) {
        match step {
            Step::PublishInUat(team) => self.publish(team),
            Step::DeleteInProd(team) if self.ids("acme-prod", team).is_empty() => {}
            Step::DeleteInProd(team) => self
                .runtime
                .block_on(self.lab.remove_service("acme-prod", team.service())),
            Step::ClockJump => self.runtime.block_on(self.lab.advance_clock(2 * 3600)),
            Step::Plan(team) => self.plan(team),
            Step::Apply(team) => self.apply(team),
            Step::Rollback(team) => self.rollback(team, false),
            Step::RollbackIntoUat(team) => self.rollback(team, true),
            Step::Lock(team) => self.lock(team),
            Step::Unlock(team) => self.unlock(team),
            Step::ApplyLocked(team) => self.apply_locked(team),
            Step::StaleLock(team) => self.stale_lock(team),
            Step::KillMidRun(team, stage) => self.kill_mid_run(team, stage),
            Step::ActionApply { team, deployments } => self.action_apply(team, deployments),
            Step::ActionRollback { team, deployments } => self.action_rollback(team, deployments),
        }
    }

    /// Runs the binary with the team's manifest (`-m`) and `args`.
    pub fn run(&self, team: Team, args: &[&str]) -> Output {
        let mut all = args.to_vec();
        all.extend(["-m", team.manifest()]);
        self.runtime.block_on(self.lab.cli(&all))
    }

    /// The version ids of the team's service in a tenant.
    pub fn ids(&self, tenant: &str, team: Team) -> BTreeSet<String> {
        self.runtime
            .block_on(self.lab.versions_of(tenant, team.service()))
            .into_iter()
            .map(|v| v.split_once('=').unwrap().1.to_string())
            .collect()
    }

    /// What an apply of the team selects now: the locked version while a lock is in use, else UAT's latest.
    pub fn target(&self, team: Team) -> BTreeSet<String> {
        if let Some(locked) = &self.teams[team.index()].locked {
            return BTreeSet::from([locked.clone()]);
        }
        BTreeSet::from([self.uat_latest(team)])
    }

    pub fn uat_latest(&self, team: Team) -> String {
        let versions = self
            .runtime
            .block_on(self.lab.versions_of("acme-uat", team.service()));
        versions
            .iter()
            .max_by_key(|v| semver(v.split_once('=').unwrap().0))
            .map(|v| v.split_once('=').unwrap().1.to_string())
            .unwrap()
    }

    /// The jobs of a kind ever created on a tenant.
    pub fn jobs(&self, object: &str, tenant: &str) -> Vec<Value> {
        self.runtime
            .block_on(self.lab.jobs_of(object))
            .into_iter()
            .filter(|job| job["tenant"] == tenant)
            .collect()
    }

    /// Import jobs ever created on prod.
    pub fn imports(&self) -> usize {
        self.jobs("import", "acme-prod").len()
    }

    /// Waits until no job in the sandbox is still running (a killed run's job ends).
    pub fn settle(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let jobs = self.runtime.block_on(self.lab.jobs());
            let running = jobs
                .iter()
                .any(|job| matches!(job["status"].as_str(), Some("created" | "in_progress")));
            if !running {
                self.orphan = None;
                return;
            }
            assert!(Instant::now() < deadline, "jobs still running: {jobs:#?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn publish(&mut self, team: Team) {
        self.published += 1;
        let name = format!("publish-{}.zip", self.published);
        crate::support::package::write(&self.lab.path(&name), &[team.service()], 16);
        self.lab.write(
            "publish.yaml",
            &format!(
                "{}promotions:\n  - name: publish\n    from: {{ package: {name} }}\n    to: uat\n    services_existing: add_version\n",
                environments()
            ),
        );
        let output = self
            .runtime
            .block_on(self.lab.cli(&["apply", "-m", "publish.yaml"]));
        assert_eq!(output.code, 0, "publishing in UAT: {output:?}");
    }

    fn plan(&self, team: Team) {
        let (prod, imports) = (self.ids("acme-prod", team), self.imports());
        let plan = self.run(team, &["plan", "--json"]);
        assert_eq!(plan.code, 0, "plan: {plan:?}");
        assert_eq!(
            (self.ids("acme-prod", team), self.imports()),
            (prod, imports)
        );
    }
}

/// Writes a team's manifest with its promotion's `services_existing`.
pub fn write_manifest(lab: &Lab, team: Team, services_existing: &str) {
    lab.write(
        team.manifest(),
        &format!("{}{}", environments(), team.promotion(services_existing)),
    );
}

/// The team a step belongs to (none for a clock jump).
fn team_of(step: &Step) -> Option<Team> {
    match *step {
        Step::ClockJump => None,
        Step::PublishInUat(team)
        | Step::DeleteInProd(team)
        | Step::Plan(team)
        | Step::Apply(team)
        | Step::Rollback(team)
        | Step::RollbackIntoUat(team)
        | Step::Lock(team)
        | Step::Unlock(team)
        | Step::ApplyLocked(team)
        | Step::StaleLock(team)
        | Step::KillMidRun(team, _)
        | Step::ActionApply { team, .. }
        | Step::ActionRollback { team, .. } => Some(team),
    }
}

pub fn semver(text: &str) -> Vec<u64> {
    text.split('.')
        .map(|part| part.parse().unwrap_or(0))
        .collect()
}
