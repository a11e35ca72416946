//! The model test: random histories over the real binary, a real sandbox and the fake GitHub
//! (proptest-state-machine), a reference model choosing the steps, and after every step the promises checked
//! against what the sandbox really holds:
//! - *at least once*: after an apply exits 0, prod holds exactly what the promotion selects (UAT's latest
//!   version, or the locked one while a lock is in use: a `replace`);
//! - *never twice*: an apply into a prod that already holds it imports nothing, and an apply after a run
//!   killed mid-import does not import again what that run's job brings;
//! - *plan = apply*: the plan's verdict (planned or skipped) is the apply's (completed or skipped);
//! - *drift in sync ⇔ apply skips*;
//! - *rollback restores exactly what its backup holds, and only where it came from* (a rollback into
//!   another environment is refused and changes nothing);
//! - *a locked apply promotes exactly the locked versions; a stale or missing lock fails (exit 2) with
//!   nothing imported*;
//! - *two teams, one tenant*: a step of one team's manifest never changes the other team's services.
//!
//! Steps ([`Step`]): new UAT versions, a service deleted in prod, clock jumps past Spark's hour, plans,
//! applies (CLI, `--locked`, killed mid-run, and through the action with and without `deployments: write`),
//! locks, rollbacks (home, into the wrong environment, through the action), over two manifests on one
//! tenant. Every history runs against both sandbox shapes (default and `--compat spec`). A failure prints
//! the shrunk history. Fixed seed and a bounded count here; `SPARK_PROMOTE_MODEL_CASES` (per shape) and
//! `SPARK_PROMOTE_MODEL_SEED`, `SPARK_PROMOTE_MODEL_STEPS` (the longest history) for a longer soak,
//! `SPARK_PROMOTE_MODEL_TRACE` to see each step.
mod action;
mod promises;
mod system;

use proptest::prelude::*;
use proptest::strategy::Union;
use proptest::test_runner::{Config, RngSeed};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

use system::System;

/// The two teams whose manifests share the tenants: pricing (the repository's root manifest) and claims
/// (a manifest in `claims/`, another Spark folder).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Team {
    Pricing,
    Claims,
}

impl Team {
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn other(self) -> Team {
        match self {
            Team::Pricing => Team::Claims,
            Team::Claims => Team::Pricing,
        }
    }

    /// The one service the team promotes, in UAT and in prod.
    pub fn service(self) -> &'static str {
        match self {
            Team::Pricing => "pricing/quote",
            Team::Claims => "claims/score",
        }
    }

    pub fn manifest(self) -> &'static str {
        match self {
            Team::Pricing => "spark-promote.yaml",
            Team::Claims => "claims/spark-promote.yaml",
        }
    }

    /// The manifest's one promotion, `services_existing` as given (`replace`; another value makes a lock
    /// stale).
    pub fn promotion(self, services_existing: &str) -> String {
        let name = self.service().split('/').next().unwrap();
        format!(
            "promotions:\n  - name: {name}\n    from: {{ environment: uat, services: [{}] }}\n    to: prod\n    services_existing: {services_existing}\n",
            self.service()
        )
    }
}

/// Where a run is killed: once its export job is posted, or its import job.
#[derive(Debug, Clone, Copy)]
pub enum Stage {
    Export,
    Import,
}

/// One step of a history.
#[derive(Debug, Clone)]
pub enum Step {
    /// A new version of the team's service in UAT.
    PublishInUat(Team),
    /// Someone deletes the team's service in prod.
    DeleteInProd(Team),
    /// Two hours pass: Spark's job list forgets the jobs.
    ClockJump,
    Plan(Team),
    /// Drift, plan and apply, in that order, each against the state before the apply.
    Apply(Team),
    /// The newest backup put back, without `--env` (it goes home).
    Rollback(Team),
    /// The newest backup into UAT: refused.
    RollbackIntoUat(Team),
    /// `spark-promote lock`: UAT's latest version pinned.
    Lock(Team),
    /// The lock file deleted.
    Unlock(Team),
    /// `apply --locked`: the locked version, or exit 2 without a lock.
    ApplyLocked(Team),
    /// The manifest entry edited under its lock, `apply --locked` refused, the edit undone.
    StaleLock(Team),
    /// An apply SIGKILLed once it posted a job of that stage; the job runs on in Spark.
    KillMidRun(Team, Stage),
    /// An apply through the action's entry point, with or without the `deployments: write` permission.
    ActionApply {
        team: Team,
        deployments: bool,
    },
    /// The newest backup put back through the action (input `environment` left empty).
    ActionRollback {
        team: Team,
        deployments: bool,
    },
}

/// What the model knows of one team: enough to choose steps that can run.
#[derive(Debug, Clone, Default)]
pub struct TeamModel {
    /// Applies that may have taken a backup (a rollback needs one).
    applies: usize,
    locked: bool,
}

/// What the model knows: the sandbox's shape and each team.
#[derive(Debug, Clone)]
pub struct Model {
    pub spec: bool,
    teams: [TeamModel; 2],
}

/// The histories, against the default sandbox shape (`SPEC = false`) or `--compat spec`.
pub struct History<const SPEC: bool>;

fn team() -> BoxedStrategy<Team> {
    prop_oneof![3 => Just(Team::Pricing), 2 => Just(Team::Claims)].boxed()
}

impl<const SPEC: bool> ReferenceStateMachine for History<SPEC> {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model {
            spec: SPEC,
            teams: Default::default(),
        })
        .boxed()
    }

    fn transitions(_: &Model) -> BoxedStrategy<Step> {
        let stage = prop_oneof![Just(Stage::Export), Just(Stage::Import)];
        Union::new_weighted(vec![
            (2, team().prop_map(Step::PublishInUat).boxed()),
            (1, team().prop_map(Step::DeleteInProd).boxed()),
            (2, Just(Step::ClockJump).boxed()),
            (1, team().prop_map(Step::Plan).boxed()),
            (4, team().prop_map(Step::Apply).boxed()),
            (2, team().prop_map(Step::Rollback).boxed()),
            (1, team().prop_map(Step::RollbackIntoUat).boxed()),
            (2, team().prop_map(Step::Lock).boxed()),
            (1, team().prop_map(Step::Unlock).boxed()),
            (2, team().prop_map(Step::ApplyLocked).boxed()),
            (2, team().prop_map(Step::StaleLock).boxed()),
            (
                2,
                (team(), stage)
                    .prop_map(|(team, stage)| Step::KillMidRun(team, stage))
                    .boxed(),
            ),
            (
                2,
                (team(), any::<bool>())
                    .prop_map(|(team, deployments)| Step::ActionApply { team, deployments })
                    .boxed(),
            ),
            (
                1,
                (team(), any::<bool>())
                    .prop_map(|(team, deployments)| Step::ActionRollback { team, deployments })
                    .boxed(),
            ),
        ])
        .boxed()
    }

    fn apply(mut state: Model, step: &Step) -> Model {
        match *step {
            Step::Apply(team)
            | Step::ApplyLocked(team)
            | Step::KillMidRun(team, _)
            | Step::ActionApply { team, .. } => state.teams[team.index()].applies += 1,
            Step::Lock(team) => state.teams[team.index()].locked = true,
            Step::Unlock(team) => state.teams[team.index()].locked = false,
            _ => {}
        }
        state
    }

    fn preconditions(state: &Model, step: &Step) -> bool {
        match *step {
            Step::Rollback(team)
            | Step::RollbackIntoUat(team)
            | Step::ActionRollback { team, .. } => state.teams[team.index()].applies > 0,
            Step::Unlock(team) | Step::StaleLock(team) => state.teams[team.index()].locked,
            _ => true,
        }
    }
}

impl<const SPEC: bool> StateMachineTest for History<SPEC> {
    type SystemUnderTest = System;
    type Reference = History<SPEC>;

    fn init_test(model: &Model) -> System {
        System::start(model.spec)
    }

    fn apply(mut system: System, _: &Model, step: Step) -> System {
        trace(&format!("{step:?}"));
        system.step(step);
        system
    }
}

/// With `SPARK_PROMOTE_MODEL_TRACE` set, each step and what happened in it on stderr (for a soak; a
/// failure prints its shrunk history anyway).
#[allow(clippy::print_stderr, reason = "the soak's trace, asked for")]
pub fn trace(what: &str) {
    if std::env::var_os("SPARK_PROMOTE_MODEL_TRACE").is_some() {
        eprintln!("model: {what}");
    }
}

/// A number from the environment, else `default`.
fn number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// The longest history (steps), `SPARK_PROMOTE_MODEL_STEPS` for a soak.
fn steps() -> usize {
    number("SPARK_PROMOTE_MODEL_STEPS", 16) as usize
}

/// The number of histories per sandbox shape, and the seed: fixed in CI, from the environment for a soak.
fn config() -> Config {
    Config {
        cases: number("SPARK_PROMOTE_MODEL_CASES", 12) as u32,
        rng_seed: RngSeed::Fixed(number("SPARK_PROMOTE_MODEL_SEED", 20261202)),
        failure_persistence: None,
        max_shrink_iters: 64,
        ..Config::default()
    }
}

prop_state_machine! {
    #![proptest_config(config())]
    #[test]
    fn random_histories_keep_every_promise(sequential 1..steps() => History<false>);

    #[test]
    fn random_histories_keep_every_promise_under_compat_spec(sequential 1..steps() => History<true>);
}
