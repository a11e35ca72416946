//! The model test: random histories over the real binary and a real sandbox (proptest-state-machine), a
//! reference model choosing the steps, and after every step the promises checked against what the sandbox
//! really holds:
//! - *at least once*: after an apply exits 0, prod holds exactly UAT's latest version (a `replace`);
//! - *never twice*: an apply into a prod that already holds it imports nothing;
//! - *plan = apply*: the plan's verdict (planned or skipped) is the apply's (completed or skipped);
//! - *drift in sync ⇔ apply skips*;
//! - *rollback restores exactly what its backup holds, and only where it came from* (a rollback into
//!   another environment is refused and changes nothing).
//!
//! Steps: new UAT versions, the service deleted in prod, clock jumps past Spark's hour, plans, applies,
//! rollbacks (home, and into the wrong environment). A failure prints the shrunk history. Fixed seed and a
//! bounded count here; `SPARK_PROMOTE_MODEL_CASES` (and `SPARK_PROMOTE_MODEL_SEED`) for a longer soak.
use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};
use serde_json::Value;

use crate::support::cli::{ENVIRONMENTS, Lab};
use crate::support::sandbox::JOB_DURATION as QUICK;

const MANIFEST: &str = "promotions:
  - name: pricing
    from: { environment: uat, services: [pricing/quote] }
    to: prod
    services_existing: replace
";

/// One step of a history.
#[derive(Debug, Clone)]
enum Step {
    /// A new version of pricing/quote in UAT.
    PublishInUat,
    /// Someone deletes pricing/quote in prod.
    DeleteInProd,
    /// Two hours pass: Spark's job list forgets the jobs.
    ClockJump,
    Plan,
    /// Drift, plan and apply, in that order, each against the state before the apply.
    Apply,
    /// The newest backup put back, without `--env` (it goes home).
    Rollback,
    /// The newest backup into UAT: refused.
    RollbackIntoUat,
}

/// What the model knows: enough to choose steps that can run.
#[derive(Debug, Clone, Default)]
struct Model {
    /// Applies that may have taken a backup (a rollback needs one).
    applies: usize,
}

struct History;

impl ReferenceStateMachine for History {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model::default()).boxed()
    }

    fn transitions(_: &Model) -> BoxedStrategy<Step> {
        prop_oneof![
            2 => Just(Step::PublishInUat),
            1 => Just(Step::DeleteInProd),
            2 => Just(Step::ClockJump),
            1 => Just(Step::Plan),
            4 => Just(Step::Apply),
            2 => Just(Step::Rollback),
            1 => Just(Step::RollbackIntoUat),
        ]
        .boxed()
    }

    fn apply(mut state: Model, step: &Step) -> Model {
        if matches!(step, Step::Apply) {
            state.applies += 1;
        }
        state
    }

    fn preconditions(state: &Model, step: &Step) -> bool {
        !matches!(step, Step::Rollback | Step::RollbackIntoUat) || state.applies > 0
    }
}

/// The system: a sandbox, a work directory and the binary, driven from a runtime of its own.
struct System {
    runtime: tokio::runtime::Runtime,
    lab: Lab,
    /// The backups apply took, oldest first.
    backups: Vec<String>,
    published: u32,
}

impl System {
    fn run(&self, args: &[&str]) -> crate::support::cli::Output {
        self.runtime.block_on(self.lab.cli(args))
    }

    fn ids(&self, tenant: &str) -> BTreeSet<String> {
        self.runtime
            .block_on(self.lab.versions_of(tenant, "pricing/quote"))
            .into_iter()
            .map(|v| v.split_once('=').unwrap().1.to_string())
            .collect()
    }

    fn uat_latest(&self) -> String {
        let versions = self
            .runtime
            .block_on(self.lab.versions_of("acme-uat", "pricing/quote"));
        versions
            .iter()
            .max_by_key(|v| semver(v.split_once('=').unwrap().0))
            .map(|v| v.split_once('=').unwrap().1.to_string())
            .unwrap()
    }

    fn imports(&self) -> usize {
        self.runtime.block_on(self.lab.jobs_of("import")).len()
    }

    fn publish(&mut self) {
        self.published += 1;
        let name = format!("publish-{}.zip", self.published);
        crate::support::package::write(&self.lab.path(&name), &["pricing/quote"], 16);
        self.lab.write(
            "publish.yaml",
            &format!(
                "{}promotions:\n  - name: publish\n    from: {{ package: {name} }}\n    to: uat\n    services_existing: add_version\n",
                ENVIRONMENTS.split("  prodkey:").next().unwrap()
            ),
        );
        let output = self.run(&["apply", "-m", "publish.yaml"]);
        assert_eq!(output.code, 0, "publishing in UAT: {output:?}");
    }

    fn apply(&mut self) {
        let (before, latest, imports) = (self.ids("acme-prod"), self.uat_latest(), self.imports());
        let in_sync = before == BTreeSet::from([latest.clone()]);
        let drift = self.run(&["drift", "--json"]);
        assert!(matches!(drift.code, 0 | 3), "drift: {drift:?}");
        let plan = self.run(&["plan", "--json"]);
        assert_eq!(plan.code, 0, "plan: {plan:?}");
        let apply = self.run(&["apply", "--json"]);
        assert_eq!(apply.code, 0, "apply: {apply:?}");
        let (planned, applied) = (status(&plan.json()), status(&apply.json()));
        let skipped = applied == "skipped";
        assert_eq!(
            (planned.as_str(), applied.as_str()),
            if skipped {
                ("skipped", "skipped")
            } else {
                ("planned", "completed")
            },
            "plan = apply"
        );
        assert_eq!(
            drift.code == 0,
            skipped,
            "drift in sync ⇔ apply skips: {drift:?}"
        );
        assert_eq!(
            in_sync, skipped,
            "prod held {before:?}, UAT's latest is {latest}"
        );
        if in_sync {
            assert_eq!(
                self.imports(),
                imports,
                "never twice: imported into a prod in sync"
            );
        }
        assert_eq!(
            self.ids("acme-prod"),
            BTreeSet::from([latest]),
            "at least once: prod after an apply that exited 0"
        );
        if let Some(backup) = apply.json()["promotions"][0]["backup"].as_str() {
            self.backups.push(backup.to_string());
        }
    }

    fn rollback(&mut self, into_uat: bool) {
        let Some(backup) = self.backups.last().cloned() else {
            return;
        };
        let (prod, uat) = (self.ids("acme-prod"), self.ids("acme-uat"));
        if into_uat {
            let refused = self.run(&["rollback", "--env", "uat", "--backup", &backup]);
            assert_eq!(refused.code, 2, "a rollback into uat: {refused:?}");
            assert_eq!((self.ids("acme-prod"), self.ids("acme-uat")), (prod, uat));
            return;
        }
        let output = self.run(&["rollback", "--backup", &backup, "--json"]);
        assert_eq!(output.code, 0, "rollback: {output:?}");
        let index: Value = serde_json::from_str(&crate::support::cli::read(
            &self.lab.path(&format!("{backup}.json")),
        ))
        .unwrap();
        let held: BTreeSet<String> = index["service_versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["version_id_source"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            self.ids("acme-prod"),
            held,
            "rollback restores exactly its backup"
        );
        assert_eq!(
            self.ids("acme-uat"),
            uat,
            "rollback changes only where it came from"
        );
    }
}

fn status(result: &Value) -> String {
    result["promotions"][0]["status"]
        .as_str()
        .unwrap()
        .to_string()
}

fn semver(text: &str) -> Vec<u64> {
    text.split('.')
        .map(|part| part.parse().unwrap_or(0))
        .collect()
}

impl StateMachineTest for History {
    type SystemUnderTest = System;
    type Reference = History;

    fn init_test(_: &Model) -> System {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let lab = runtime.block_on(Lab::start(QUICK));
        // One environment per tenant (no second name for prod): a rollback finds its way home.
        let environments = ENVIRONMENTS.split("  prodkey:").next().unwrap();
        lab.write("spark-promote.yaml", &format!("{environments}{MANIFEST}"));
        System {
            runtime,
            lab,
            backups: Vec::new(),
            published: 0,
        }
    }

    fn apply(mut system: System, _: &Model, step: Step) -> System {
        match step {
            Step::PublishInUat => system.publish(),
            Step::DeleteInProd if system.ids("acme-prod").is_empty() => {}
            Step::DeleteInProd => system
                .runtime
                .block_on(system.lab.remove_service("acme-prod", "pricing/quote")),
            Step::ClockJump => system.runtime.block_on(system.lab.advance_clock(2 * 3600)),
            Step::Plan => {
                let (prod, imports) = (system.ids("acme-prod"), system.imports());
                let plan = system.run(&["plan", "--json"]);
                assert_eq!(plan.code, 0, "plan: {plan:?}");
                assert_eq!((system.ids("acme-prod"), system.imports()), (prod, imports));
            }
            Step::Apply => system.apply(),
            Step::Rollback => system.rollback(false),
            Step::RollbackIntoUat => system.rollback(true),
        }
        system
    }
}

fn config() -> Config {
    let number = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(default)
    };
    Config {
        cases: number("SPARK_PROMOTE_MODEL_CASES", 6) as u32,
        rng_seed: RngSeed::Fixed(number("SPARK_PROMOTE_MODEL_SEED", 20261202)),
        failure_persistence: None,
        max_shrink_iters: 64,
        ..Config::default()
    }
}

prop_state_machine! {
    #![proptest_config(config())]
    #[test]
    fn random_histories_keep_every_promise(sequential 1..10 => History);
}
