//! The example workflows run as shipped against the example manifest: every spark-promote step selects
//! promotions the manifest has, and its `env:` passes exactly the variables those promotions need (none
//! missing, none it does not need). They tell one approval story: a job per stage in the GitHub environment
//! of its target (`spark-uat`, `spark-prod`), one concurrency group per environment that never cancels an
//! apply, prod shipping the lock the UAT stage wrote; and every shipped workflow pins its actions by commit.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use spark_promote::github::Inputs;
use spark_promote::manifest::{self, HostPolicy, Scope};

use crate::support::bin::Bin;

/// The action as the example workflows use it.
const ACTION: &str = "spark-promote/spark-promote@";

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// A spark-promote step of a workflow: where it is, its `with:` and the variables its `env:` (with the
/// job's) sets.
struct Step {
    at: String,
    /// The workflow's file name and the job's name.
    file: String,
    job: String,
    with: BTreeMap<String, String>,
    env: Vec<String>,
    /// A `run:` of the binary (`lock`), not the action.
    ran: bool,
}

/// Every example workflow (file name, parsed).
fn workflows() -> Vec<(String, Value)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples().join("workflows"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yml"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{files:?}");
    files
        .into_iter()
        .map(|file| {
            let workflow: Value =
                serde_saphyr::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            (name, workflow)
        })
        .collect()
}

/// Every spark-promote step of every example workflow.
fn steps() -> Vec<Step> {
    let mut steps = Vec::new();
    for (name, workflow) in workflows() {
        for (job_name, job) in workflow["jobs"].as_object().unwrap() {
            for step in job["steps"].as_array().unwrap() {
                // A `run:` of the binary from the action's image: its `-p NAME` are its promotions.
                let ran = step["run"]
                    .as_str()
                    .filter(|run| run.contains("--entrypoint /spark-promote"));
                if !step["uses"]
                    .as_str()
                    .is_some_and(|uses| uses.starts_with(ACTION))
                    && ran.is_none()
                {
                    continue;
                }
                let keys = |value: &Value| -> Vec<String> {
                    value
                        .as_object()
                        .map(|map| map.keys().cloned().collect())
                        .unwrap_or_default()
                };
                // `${{ inputs.NAME }}` of a manually run workflow: its default.
                let dispatched = |value: &str| -> String {
                    value
                        .strip_prefix("${{ inputs.")
                        .and_then(|rest| rest.strip_suffix(" }}"))
                        .and_then(|input| {
                            workflow["on"]["workflow_dispatch"]["inputs"][input]["default"].as_str()
                        })
                        .unwrap_or(value)
                        .to_owned()
                };
                let with = match ran {
                    Some(run) => BTreeMap::from([(
                        "promotions".to_owned(),
                        run.split_whitespace()
                            .skip_while(|word| *word != "-p")
                            .collect::<Vec<_>>()
                            .chunks(2)
                            .filter_map(|pair| (pair[0] == "-p").then(|| pair.get(1)).flatten())
                            .copied()
                            .collect::<Vec<_>>()
                            .join(", "),
                    )]),
                    None => step["with"]
                        .as_object()
                        .map(|map| {
                            map.iter()
                                .map(|(k, v)| (k.clone(), dispatched(v.as_str().unwrap())))
                                .collect()
                        })
                        .unwrap_or_default(),
                };
                steps.push(Step {
                    at: format!("{name} job {job_name}"),
                    file: name.clone(),
                    job: job_name.clone(),
                    ran: ran.is_some(),
                    with,
                    env: [
                        keys(&workflow["env"]),
                        keys(&job["env"]),
                        keys(&step["env"]),
                    ]
                    .concat(),
                });
            }
        }
    }
    steps
}

/// The action's inputs of `step` (its `-p` of a `lock`).
fn inputs(step: &Step) -> Inputs {
    Inputs::from_env(&|name| {
        let input = name.strip_prefix("INPUT_")?.to_lowercase();
        step.with.get(&input).cloned()
    })
    .unwrap_or_else(|err| panic!("{}: {err:#}", step.at))
}

/// The example manifest loaded for `step`'s selection with only the variables `set` (each with a dummy value).
fn load(step: &Step, set: &[String]) -> Result<manifest::Manifest, manifest::ManifestError> {
    let inputs = inputs(step);
    assert_eq!(
        inputs.manifest,
        Path::new("spark-promote.yaml"),
        "{}: the examples use the manifest beside them",
        step.at
    );
    // A `lock` reads only its promotions' sources.
    let scope = if step.ran {
        Scope::Sources(inputs.promotions.clone())
    } else {
        inputs.scope()
    };
    manifest::load_scoped(
        &examples().join(&inputs.manifest),
        &|name| {
            set.iter()
                .any(|s| s == name)
                .then(|| "dummy-value".to_owned())
        },
        &HostPolicy::default(),
        &scope,
    )
}

#[test]
fn every_example_workflow_selects_promotions_of_the_example_manifest_and_passes_the_secrets_they_need()
 {
    let steps = steps();
    // pull-request: plan, uat; release: uat, its lock, prod; drift, lock-update, nightly-sync, rollback.
    assert_eq!(
        steps.len(),
        9,
        "the spark-promote steps of the example workflows"
    );
    for step in &steps {
        if let Err(err) = load(step, &step.env) {
            panic!("{}: {err}", step.at);
        }
        for needed in &step.env {
            let without: Vec<String> = step.env.iter().filter(|v| *v != needed).cloned().collect();
            assert!(
                load(step, &without).is_err(),
                "{}: passes {needed}, which its promotions do not need",
                step.at
            );
        }
    }
}

/// What a step runs: its `command`, or, left empty, what the action runs on the workflow's events (plan on a
/// pull request, apply otherwise).
fn command_of(step: &Step) -> &str {
    match step.with.get("command").map(String::as_str) {
        Some(command) if !command.is_empty() => command,
        _ if step.ran => "lock",
        _ => "apply",
    }
}

/// The job `name` of the example workflow `file`.
fn job(file: &str, name: &str) -> Value {
    let (_, workflow) = workflows()
        .into_iter()
        .find(|(found, _)| found == file)
        .unwrap_or_else(|| panic!("no example workflow {file}"));
    workflow["jobs"][name].clone()
}

/// The environment a step's promotions import into (a rollback: its `environment` input).
fn target_of(step: &Step) -> String {
    if let Some(environment) = step.with.get("environment") {
        return environment.clone();
    }
    let manifest = load(step, &step.env).unwrap();
    let selected = manifest.select(&inputs(step).promotions).unwrap();
    let targets: Vec<&str> = selected.iter().map(|p| p.to.as_str()).collect();
    assert!(
        targets.windows(2).all(|pair| pair[0] == pair[1]),
        "{}: one job imports into one environment, not {targets:?}",
        step.at
    );
    targets[0].to_owned()
}

#[test]
fn every_job_that_imports_runs_in_its_targets_environment_and_is_never_cancelled() {
    let importing: Vec<Step> = steps()
        .into_iter()
        .filter(|step| matches!(command_of(step), "apply" | "rollback"))
        .collect();
    assert_eq!(
        importing.len(),
        5,
        "uat twice, prod, nightly sync, rollback"
    );
    for step in &importing {
        let target = target_of(step);
        let job = job(&step.file, &step.job);
        assert_eq!(
            job["environment"].as_str(),
            Some(format!("spark-{target}").as_str()),
            "{}: the job of an import into {target} runs in its environment (its secrets, its reviewers)",
            step.at
        );
        assert_eq!(
            job["concurrency"]["group"].as_str(),
            Some(format!("spark-promote-{target}").as_str()),
            "{}: one group per environment",
            step.at
        );
        assert_eq!(
            job["concurrency"]["cancel-in-progress"],
            Value::Bool(false),
            "{}: an apply is never cancelled",
            step.at
        );
    }
}

#[test]
fn plans_run_on_pull_requests_and_the_merge_queue_in_no_environment() {
    let (_, workflow) = workflows()
        .into_iter()
        .find(|(file, _)| file == "pull-request.yml")
        .unwrap();
    for event in ["pull_request", "merge_group", "push"] {
        assert!(
            workflow["on"].get(event).is_some(),
            "pull-request.yml runs on {event}"
        );
    }
    let plan = &workflow["jobs"]["plan"];
    let condition = plan["if"].as_str().unwrap();
    assert!(
        condition.contains("'pull_request'") && condition.contains("'merge_group'"),
        "{condition}"
    );
    assert!(plan.get("environment").is_none(), "a plan deploys nothing");
    assert_eq!(plan["concurrency"]["cancel-in-progress"], Value::Bool(true));
    let uat = &workflow["jobs"]["uat"];
    assert_eq!(uat["if"].as_str(), Some("github.event_name == 'push'"));
}

#[test]
fn prod_ships_the_lock_that_the_uat_stage_wrote_after_an_approval() {
    let uat = job("release.yml", "uat");
    let prod = job("release.yml", "prod");
    assert_eq!(prod["needs"].as_str(), Some("uat"));
    assert_eq!(prod["environment"].as_str(), Some("spark-prod"));
    let step = |job: &Value, uses: &str| -> Value {
        job["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|step| step["uses"].as_str().is_some_and(|u| u.starts_with(uses)))
            .unwrap_or_else(|| panic!("no {uses} step"))
            .clone()
    };
    let locks = uat["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|step| step["run"].as_str())
        .any(|run| run.trim_end().ends_with("lock -p uat-to-prod"));
    assert!(locks, "the uat stage locks what prod will ship");
    let kept = step(&uat, "actions/upload-artifact@");
    let fetched = step(&prod, "actions/download-artifact@");
    assert_eq!(kept["with"]["path"].as_str(), Some("spark-promote.lock"));
    assert_eq!(kept["with"]["name"], fetched["with"]["name"]);
    let apply = step(&prod, ACTION);
    assert_eq!(apply["with"]["promotions"].as_str(), Some("uat-to-prod"));
    assert_eq!(apply["with"]["locked"].as_str(), Some("true"));
}

#[test]
fn workflows_that_import_may_record_deployments_and_keep_hidden_files() {
    for (file, workflow) in workflows() {
        for (name, job) in workflow["jobs"].as_object().unwrap() {
            let steps = job["steps"].as_array().unwrap();
            let imports = steps.iter().any(|step| {
                step["uses"].as_str().is_some_and(|u| u.starts_with(ACTION))
                    && matches!(step["with"]["command"].as_str(), Some("apply" | "rollback"))
            });
            let permissions = job.get("permissions").unwrap_or(&workflow["permissions"]);
            if imports {
                assert_eq!(
                    permissions["deployments"].as_str(),
                    Some("write"),
                    "{file} job {name}: an import is recorded as a deployment"
                );
            }
            for step in steps {
                let uploads = step["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("actions/upload-artifact@"));
                let path = step["with"]["path"].as_str().unwrap_or_default();
                if uploads && (path.contains(".spark-promote") || path.contains("outputs.")) {
                    assert_eq!(
                        step["with"]["include-hidden-files"],
                        Value::Bool(true),
                        "{file} job {name}: {path} is under .spark-promote/, a hidden directory"
                    );
                }
            }
        }
    }
}

#[test]
fn every_shipped_workflow_pins_each_action_by_commit_with_its_version() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for dir in ["examples/workflows", ".github/workflows"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for line in text.lines() {
                let Some(uses) = line
                    .trim_start()
                    .trim_start_matches("- ")
                    .strip_prefix("uses: ")
                else {
                    continue;
                };
                if uses.starts_with("./") || uses.starts_with(ACTION) {
                    assert!(
                        uses.contains("# zizmor: ignore["),
                        "{}: {uses} says why it is not pinned",
                        path.display()
                    );
                    continue;
                }
                let (action, rest) = uses.split_once('@').unwrap();
                let (sha, comment) = rest.split_once(" # v").unwrap_or_else(|| {
                    panic!("{}: {uses}: no `# vX.Y.Z` after the SHA", path.display())
                });
                assert!(
                    sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()),
                    "{}: {action} is not pinned by commit: {sha}",
                    path.display()
                );
                assert!(
                    comment.split_whitespace().next().unwrap().contains('.'),
                    "{uses}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 15, "only {checked} actions checked");
}

#[test]
fn the_example_manifest_validates_as_shipped() {
    let output = Bin::new([
        "validate",
        "-m",
        examples().join("spark-promote.yaml").to_str().unwrap(),
    ])
    .envs(
        [
            "SPARK_DEV_TOKEN",
            "SPARK_UAT_CLIENT_ID",
            "SPARK_UAT_CLIENT_SECRET",
            "SPARK_PROD_TOKEN",
            "SPARK_TEST_TOKEN",
        ]
        .map(|name| (name, "dummy-value")),
    )
    .output();
    assert_eq!(output.code, 0, "{}", output.stderr);
}
