//! The example workflows run as shipped against the example manifest: every spark-promote step selects
//! promotions the manifest has, and its `env:` passes exactly the variables those promotions need (none
//! missing, none it does not need).
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use spark_promote::github::Inputs;
use spark_promote::manifest::{self, HostPolicy};

/// The action as the example workflows use it.
const ACTION: &str = "spark-promote/spark-promote@";

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// A spark-promote step of a workflow: where it is, its `with:` and the variables its `env:` (with the
/// job's) sets.
struct Step {
    at: String,
    with: BTreeMap<String, String>,
    env: Vec<String>,
}

/// Every spark-promote step of every example workflow.
fn steps() -> Vec<Step> {
    let mut steps = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples().join("workflows"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yml"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{files:?}");
    for file in files {
        let workflow: Value =
            serde_saphyr::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
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

/// The example manifest loaded for `step`'s selection with only the variables `set` (each with a dummy value).
fn load(step: &Step, set: &[String]) -> Result<manifest::Manifest, manifest::ManifestError> {
    let inputs = Inputs::from_env(&|name| {
        let input = name.strip_prefix("INPUT_")?.to_lowercase();
        step.with.get(&input).cloned()
    })
    .unwrap_or_else(|err| panic!("{}: {err:#}", step.at));
    assert_eq!(
        inputs.manifest,
        Path::new("spark-promote.yaml"),
        "{}: the examples use the manifest beside them",
        step.at
    );
    manifest::load_scoped(
        &examples().join(&inputs.manifest),
        &|name| {
            set.iter()
                .any(|s| s == name)
                .then(|| "dummy-value".to_owned())
        },
        &HostPolicy::default(),
        &inputs.scope(),
    )
}

#[test]
fn every_example_workflow_selects_promotions_of_the_example_manifest_and_passes_the_secrets_they_need()
 {
    let steps = steps();
    assert_eq!(
        steps.len(),
        6,
        "one spark-promote step per example workflow"
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
