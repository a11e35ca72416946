//! The action's container image, run the way GitHub's runner runs a docker action, against the bare binary.
//!
//! scripts/container-image.sh builds the image from the real Dockerfile's runtime stage and scripts/test.sh
//! names it in SPARK_PROMOTE_IMAGE. The tests that run the image are ignored (skipped, with the reason) unless
//! run with `--run-ignored`, as scripts/test.sh does; then a missing image fails them.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use crate::support::bin::Bin;
use crate::support::cli::{ENVIRONMENTS, Lab, SECRETS as CLI_SECRETS};
use crate::support::tools::required_tool;

/// The environment variable naming the image under test.
const IMAGE_VAR: &str = "SPARK_PROMOTE_IMAGE";

/// Where GitHub's runner mounts its directories inside a docker action's container.
const CONTAINER_ROOT: &str = "/github";

/// The directories the runner mounts, by their name under /github.
const RUNNER_DIRS: [&str; 4] = ["workspace", "file_commands", "home", "workflow"];

/// A stand-in for the step's `${{ github.token }}`; the validate command never sends it anywhere.
const FAKE_GITHUB_TOKEN: &str = "ghs_container-test-token";

fn image() -> String {
    required_tool(IMAGE_VAR, "the action's container image (podman)")
}

/// `podman` with the OCI runtime this machine needs (runc unless SPARK_PROMOTE_OCI_RUNTIME says otherwise).
fn podman() -> Command {
    let runtime = std::env::var("SPARK_PROMOTE_OCI_RUNTIME").unwrap_or_else(|_| "runc".to_owned());
    let mut command = Command::new("podman");
    command.args(["--runtime", &runtime]);
    command
}

fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|err| panic!("failed to run {command:?}: {err}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs the image with its entrypoint replaced by the binary itself and the given arguments.
fn run_binary_in_image(image: &str, args: &[&str]) -> Output {
    run(podman()
        .args(["run", "--rm", "--entrypoint", "/spark-promote", image])
        .args(args))
}

#[ignore = "needs the action's image (podman): scripts/test.sh builds it and runs ignored tests"]
#[test]
fn container_prints_the_same_version_and_help_as_the_bare_binary() {
    let image = image();
    for args in [&["--version"][..], &["--help"], &["action", "--help"]] {
        let contained = run_binary_in_image(&image, args);
        let bare = run(&mut Bin::new(args).std());
        assert!(
            contained.status.success(),
            "{args:?} failed in the container: {}",
            text(&contained.stderr)
        );
        assert_eq!(
            contained.status.code(),
            bare.status.code(),
            "exit code of {args:?}"
        );
        assert_eq!(
            text(&contained.stdout),
            text(&bare.stdout),
            "stdout of {args:?}"
        );
    }
}

#[ignore = "needs the action's image (podman): scripts/test.sh builds it and runs ignored tests"]
#[test]
fn image_has_no_shell_and_its_binary_is_static() {
    let image = image();
    let shell = run(podman().args([
        "run",
        "--rm",
        "--entrypoint",
        "/bin/sh",
        &image,
        "-c",
        "true",
    ]));
    assert!(
        !shell.status.success(),
        "the image has a shell: {}",
        text(&shell.stdout)
    );
    assert!(
        text(&shell.stderr).contains("no such file or directory"),
        "unexpected failure to run /bin/sh: {}",
        text(&shell.stderr)
    );

    let dir = tempfile::tempdir().unwrap();
    let binary = copy_out_of_image(&image, "/spark-promote", dir.path());
    let elf = std::fs::read(&binary).unwrap();
    assert!(
        !has_program_interpreter(&elf),
        "the binary in the image asks for a dynamic loader"
    );
}

#[ignore = "needs the action's image (podman): scripts/test.sh builds it and runs ignored tests"]
#[test]
fn image_runs_the_action_entrypoint_as_root_without_a_workdir() {
    let image = image();
    let inspect = run(podman().args([
        "image",
        "inspect",
        "--format",
        "{{json .Config.Entrypoint}}|{{.Config.User}}|{{.Config.WorkingDir}}|{{len .RootFS.Layers}}",
        &image,
    ]));
    assert!(inspect.status.success(), "{}", text(&inspect.stderr));
    let fields: Vec<String> = text(&inspect.stdout)
        .trim()
        .split('|')
        .map(str::to_owned)
        .collect();
    let entrypoint: Vec<String> = serde_json::from_str(&fields[0]).unwrap();
    assert_eq!(
        entrypoint,
        ["/spark-promote", "action"],
        "exec-form entrypoint"
    );
    assert_eq!(
        fields[1], "",
        "no USER: docker actions write /github/file_commands as root"
    );
    assert!(
        fields[2].is_empty() || fields[2] == "/",
        "no WORKDIR (the runner passes --workdir): {}",
        fields[2]
    );
    assert_eq!(fields[3], "1", "scratch plus the binary is one layer");
}

#[test]
fn action_yml_declares_the_designed_inputs_and_outputs() {
    let action = action_metadata();
    assert_eq!(action["runs"]["using"], "docker");
    let image = action["runs"]["image"].as_str().unwrap();
    assert!(
        image == "Dockerfile" || image.starts_with("docker://ghcr.io/"),
        "runs.image is neither the Dockerfile nor a published image: {image}"
    );
    let keys = |section: &str| -> Vec<String> {
        let mut keys: Vec<String> = action[section]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    };
    let inputs = [
        "allowed-hosts",
        "backup",
        "command",
        "comment",
        "deployment-environment",
        "environment",
        "github-token",
        "issue-labels",
        "locked",
        "manifest",
        "promotions",
        "rollback-mode",
        "wait-timeout",
    ];
    assert_eq!(keys("inputs"), inputs);
    assert_eq!(
        keys("outputs"),
        [
            "backup",
            "correlation-ids",
            "job-ids",
            "result",
            "status",
            "summary"
        ]
    );
    for (name, input) in action["inputs"].as_object().unwrap() {
        assert!(
            input["description"].is_string(),
            "input {name} has no description"
        );
        assert!(
            input.get("default").is_some(),
            "input {name} has no default"
        );
    }
}

#[test]
fn action_yml_status_describes_every_value_the_action_writes() {
    use spark_promote::promote::result::PromotionStatus::{self, *};
    // A new status must be described: this match stops compiling without it.
    let described = |status: PromotionStatus| match status {
        Completed | Skipped | Planned | Failed | Cancelled => {
            spark_promote::report::status_label(status)
        }
        // A promotion's status only: the run as a whole is then `failed` (report::overall_status).
        WouldFail => "failed",
    };
    let action = action_metadata();
    let description = action["outputs"]["status"]["description"].as_str().unwrap();
    let written = [Completed, Skipped, Planned, Failed, Cancelled]
        .map(described)
        .into_iter()
        .chain(["valid", "invalid"]);
    for status in written {
        assert!(
            description.contains(&format!("`{status}`")),
            "action.yml's status output does not describe `{status}`: {description}"
        );
    }
}

#[ignore = "needs the action's image (podman): scripts/test.sh builds it and runs ignored tests"]
#[test]
fn container_validate_of_a_good_manifest_matches_the_bare_binary() {
    let image = image();
    let (contained, bare) = run_action_both_ways(&image, &Step::validate(GOOD_MANIFEST, &SECRETS));
    assert_eq!(bare.code, Some(0), "bare binary: {}", bare.stderr);
    assert_same_run(&contained, &bare);
    assert!(
        bare.outputs.contains_key("status"),
        "no status output: {:?}",
        bare.outputs
    );
}

#[ignore = "needs the action's image (podman): scripts/test.sh builds it and runs ignored tests"]
#[test]
fn container_validate_with_a_missing_secret_matches_the_bare_binary() {
    let image = image();
    let (contained, bare) =
        run_action_both_ways(&image, &Step::validate(GOOD_MANIFEST, &SECRETS[..1]));
    assert_eq!(bare.code, Some(2), "bare binary: {}", bare.stderr);
    assert!(bare.stderr.contains("SPARK_PROD_TOKEN"), "{}", bare.stderr);
    assert_same_run(&contained, &bare);
}

const GOOD_MANIFEST: &str = "\
version: 1
environments:
  uat:
    url: https://excel.uat.us.coherent.global/acme-uat
    auth:
      bearer: ${SPARK_UAT_TOKEN}
  prod:
    url: https://excel.prod.us.coherent.global/acme
    auth: { bearer: \"${SPARK_PROD_TOKEN}\" }
promotions:
  - name: pricing
    from: { environment: uat, services: [pricing/quote] }
    to: prod
    services_existing: add_version
    update_version_type: minor
";

const SECRETS: [(&str, &str); 2] = [
    ("SPARK_UAT_TOKEN", "uat-token-for-the-container-test"),
    ("SPARK_PROD_TOKEN", "prod-token-for-the-container-test"),
];

#[ignore = "needs the action's image (podman): scripts/test.sh builds it and runs ignored tests"]
#[tokio::test(flavor = "multi_thread")]
async fn container_plan_against_a_sandbox_on_the_host_matches_the_bare_binary() {
    let image = image();
    let lab = Lab::start(Duration::from_millis(200)).await;
    let manifest = format!(
        "{}promotions:\n  - name: pricing\n    from: {{ environment: uat, services: [pricing/quote] }}\n    \
         to: prod\n    services_existing: add_version\n",
        ENVIRONMENTS.replace("{{URL}}", &lab.url())
    );
    let step = Step {
        manifest,
        command: "plan",
        secrets: CLI_SECRETS.to_vec(),
        // The sandbox listens on the host's 127.0.0.1: share the host's network (loopback needs no
        // allowed-hosts entry).
        podman_args: vec!["--network", "host"],
    };
    let (contained, bare) =
        tokio::task::spawn_blocking(move || run_action_both_ways(&image, &step))
            .await
            .unwrap();
    assert_eq!(bare.code, Some(0), "bare binary: {}", bare.stderr);
    assert_eq!(bare.outputs["status"], "planned");
    assert!(bare.summary.contains("pricing/quote"), "{}", bare.summary);
    assert_same_run(&contained, &bare);
    // The container has no /tmp: its work directory was in .spark-promote, and is gone; the manifest's
    // results are in its own directory, and the directory ignores itself.
    assert_eq!(
        contained.left_in_workspace,
        [
            ".gitignore",
            "spark-promote/result.json",
            "spark-promote/summary.md"
        ]
    );
    assert_eq!(
        lab.jobs_of("import").await.len(),
        0,
        "plan imported something"
    );
    // One listing export from each run.
    assert_eq!(lab.jobs_of("export").await.len(), 2);
}

/// One step of a workflow: the manifest, the `command` input, the step's `env:` secrets, and how the
/// container is started beyond what the runner always does.
struct Step {
    manifest: String,
    command: &'static str,
    secrets: Vec<(&'static str, &'static str)>,
    podman_args: Vec<&'static str>,
}

impl Step {
    fn validate(manifest: &str, secrets: &[(&'static str, &'static str)]) -> Step {
        Step {
            manifest: manifest.to_owned(),
            command: "validate",
            secrets: secrets.to_vec(),
            podman_args: Vec::new(),
        }
    }
}

/// What one run of the action left behind, with runner paths written as /github/...
#[derive(Debug)]
struct ActionRun {
    code: Option<i32>,
    stderr: String,
    outputs: BTreeMap<String, String>,
    /// The job summary, with what differs between two runs (ids of the jobs, durations) replaced.
    summary: String,
    /// What the run left in the workspace's `.spark-promote` directory.
    left_in_workspace: Vec<String>,
}

/// The files under `dir`, as sorted paths relative to it (none when it does not exist).
fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).into_iter().flatten() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap();
                files.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    files.sort();
    files
}

/// Step outputs with what differs between two runs replaced: each job id (a plan's export job is a new job
/// every run) by `<job id>`, so their number and order still count.
fn comparable(outputs: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut outputs = outputs.clone();
    if let Some(ids) = outputs.get_mut("job-ids") {
        *ids = ids
            .lines()
            .map(|_| "<job id>")
            .collect::<Vec<_>>()
            .join("\n");
    }
    outputs
}

fn assert_same_run(contained: &ActionRun, bare: &ActionRun) {
    assert_eq!(
        contained.code, bare.code,
        "exit codes differ\ncontainer stderr:\n{}\nbare stderr:\n{}",
        contained.stderr, bare.stderr
    );
    assert_eq!(
        comparable(&contained.outputs),
        comparable(&bare.outputs),
        "outputs differ"
    );
    assert_eq!(contained.summary, bare.summary, "step summaries differ");
    assert_eq!(contained.left_in_workspace, bare.left_in_workspace);
}

/// Runs `action` once in the container and once as the bare binary, each in fresh runner directories.
fn run_action_both_ways(image: &str, step: &Step) -> (ActionRun, ActionRun) {
    let contained = RunnerDirs::new(&step.manifest);
    let mut command = podman();
    command.args(["run", "--rm", "--workdir", "/github/workspace"]);
    command.args(&step.podman_args);
    for dir in RUNNER_DIRS {
        let mount = format!(
            "{}:{CONTAINER_ROOT}/{dir}",
            contained.root.path().join(dir).display()
        );
        command.args(["-v", &mount]);
    }
    // Like the runner: `-e NAME` for every variable, the values in podman's own environment (not argv).
    for (name, value) in action_env(Path::new(CONTAINER_ROOT), step) {
        command.arg("-e").arg(&name).env(&name, value);
    }
    let contained_run = contained.collect(&run(command.arg(image)), Path::new(CONTAINER_ROOT));

    let bare = RunnerDirs::new(&step.manifest);
    let mut command = Bin::new(["action"])
        .dir(bare.root.path().join("workspace"))
        .only_path()
        .envs(action_env(bare.root.path(), step))
        .std();
    let bare_run = bare.collect(&run(&mut command), bare.root.path());
    (contained_run, bare_run)
}

/// A runner's temporary directories: workspace (with the manifest), file_commands, home, workflow (event).
struct RunnerDirs {
    root: tempfile::TempDir,
}

impl RunnerDirs {
    fn new(manifest: &str) -> Self {
        let root = tempfile::tempdir().unwrap();
        for dir in RUNNER_DIRS {
            std::fs::create_dir(root.path().join(dir)).unwrap();
        }
        std::fs::write(root.path().join("workspace/spark-promote.yaml"), manifest).unwrap();
        let event = serde_json::json!({
            "ref": "refs/heads/main",
            "after": "0123456789abcdef0123456789abcdef01234567",
            "repository": { "full_name": "acme/promotions", "default_branch": "main" },
        });
        std::fs::write(root.path().join("workflow/event.json"), event.to_string()).unwrap();
        RunnerDirs { root }
    }

    /// Reads the outputs and summary files, writing paths under `seen_root` as /github/... .
    fn collect(&self, output: &Output, seen_root: &Path) -> ActionRun {
        let file_commands = self.root.path().join("file_commands");
        let read =
            |name: &str| std::fs::read_to_string(file_commands.join(name)).unwrap_or_default();
        let seen_root = seen_root.display().to_string();
        let outputs = parse_outputs(&read(OUTPUT_FILE))
            .into_iter()
            .map(|(name, value)| (name, value.replace(&seen_root, CONTAINER_ROOT)))
            .collect();
        ActionRun {
            code: output.status.code(),
            stderr: text(&output.stderr),
            outputs,
            summary: stable(&read(SUMMARY_FILE)),
            left_in_workspace: files_under(&self.root.path().join("workspace/.spark-promote")),
        }
    }
}

const OUTPUT_FILE: &str = "set_output_container_test";
const SUMMARY_FILE: &str = "step_summary_container_test";

/// A summary with the job ids (UUIDs) and durations, which differ between two runs, replaced.
fn stable(summary: &str) -> String {
    summary
        .lines()
        .map(|line| match line.strip_prefix("- **Duration**: ") {
            Some(_) => "- **Duration**: [duration]".to_owned(),
            None => without_uuids(line),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` with every UUID (8-4-4-4-12 lowercase hex digits) replaced by `[uuid]`.
fn without_uuids(text: &str) -> String {
    const SHAPE: &[u8; 36] = b"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    let is_uuid = |bytes: &[u8]| {
        bytes.len() == SHAPE.len()
            && bytes.iter().zip(SHAPE).all(|(byte, shape)| match shape {
                b'-' => *byte == b'-',
                _ => byte.is_ascii_digit() || (b'a'..=b'f').contains(byte),
            })
    };
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut at = 0;
    while at < bytes.len() {
        if bytes.get(at..at + SHAPE.len()).is_some_and(is_uuid) {
            out.push_str("[uuid]");
            at += SHAPE.len();
        } else {
            let next = text[at..].chars().next().unwrap();
            out.push(next);
            at += next.len_utf8();
        }
    }
    out
}

#[test]
fn summaries_compare_without_job_ids_and_durations() {
    let summary = "- **Job id**: none (export job <code>76fbe9b9-1485-4568-a59c-298245e06e95</code>) ✅\n- **Duration**: 349ms";
    assert_eq!(
        stable(summary),
        "- **Job id**: none (export job <code>[uuid]</code>) ✅\n- **Duration**: [duration]"
    );
    assert_eq!(
        without_uuids("76fbe9b9-1485-4568-a59c-298245e06e9"),
        "76fbe9b9-1485-4568-a59c-298245e06e9"
    );
}

/// The environment the runner gives a docker action: INPUT_* from action.yml's defaults (the command set
/// by the step), the GITHUB_* files under `root`, and the step's `env:` secrets.
fn action_env(root: &Path, step: &Step) -> Vec<(String, String)> {
    let under = |dir: &str| root.join(dir).display().to_string();
    let mut env = step_inputs(step.command);
    env.extend(
        [
            ("CI", "true".to_owned()),
            ("GITHUB_ACTIONS", "true".to_owned()),
            ("GITHUB_EVENT_NAME", "push".to_owned()),
            (
                "GITHUB_EVENT_PATH",
                format!("{}/event.json", under("workflow")),
            ),
            (
                "GITHUB_OUTPUT",
                format!("{}/{OUTPUT_FILE}", under("file_commands")),
            ),
            (
                "GITHUB_STEP_SUMMARY",
                format!("{}/{SUMMARY_FILE}", under("file_commands")),
            ),
            ("GITHUB_WORKSPACE", under("workspace")),
            ("HOME", under("home")),
            ("GITHUB_REPOSITORY", "acme/promotions".to_owned()),
            ("GITHUB_REF", "refs/heads/main".to_owned()),
            (
                "GITHUB_SHA",
                "0123456789abcdef0123456789abcdef01234567".to_owned(),
            ),
            ("GITHUB_RUN_ID", "42".to_owned()),
            ("GITHUB_SERVER_URL", "https://github.com".to_owned()),
            // Unroutable: validate is offline and must never call GitHub.
            ("GITHUB_API_URL", "http://127.0.0.1:9".to_owned()),
        ]
        .map(|(name, value)| (name.to_owned(), value)),
    );
    env.extend(
        step.secrets
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string())),
    );
    env
}

/// INPUT_<NAME> for every input of action.yml, with its default, as the runner passes them; the step sets
/// `command` (and `comment: never`, `deployment-environment: ''`: the GitHub API is unroutable here).
fn step_inputs(command: &str) -> Vec<(String, String)> {
    let action = action_metadata();
    action["inputs"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, input)| {
            let value = match name.as_str() {
                "command" => command.to_owned(),
                "comment" => "never".to_owned(),
                "deployment-environment" => String::new(),
                "github-token" => FAKE_GITHUB_TOKEN.to_owned(),
                _ => input["default"].as_str().unwrap_or_default().to_owned(),
            };
            (
                format!("INPUT_{}", name.to_uppercase().replace(' ', "_")),
                value,
            )
        })
        .collect()
}

fn action_metadata() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// Parses a $GITHUB_OUTPUT file: `name=value` lines and `name<<DELIMITER` ... `DELIMITER` blocks (the
/// delimiter is random per write, so only the values are kept).
fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut outputs = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let mut value = Vec::new();
            for line in lines.by_ref() {
                if line == delimiter {
                    break;
                }
                value.push(line);
            }
            outputs.insert(name.to_owned(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            outputs.insert(name.to_owned(), value.to_owned());
        }
    }
    outputs
}

/// Copies a file out of an image (through a created, never started container) into `dir`.
fn copy_out_of_image(image: &str, path: &str, dir: &Path) -> PathBuf {
    let created = run(podman().args(["create", image]));
    assert!(created.status.success(), "{}", text(&created.stderr));
    let id = text(&created.stdout).trim().to_owned();
    let copied = run(podman().args(["cp", &format!("{id}:{path}"), &dir.display().to_string()]));
    run(podman().args(["rm", &id]));
    assert!(copied.status.success(), "{}", text(&copied.stderr));
    dir.join(Path::new(path).file_name().unwrap())
}

/// Whether a 64-bit little-endian ELF file has a PT_INTERP program header, i.e. needs a dynamic loader.
fn has_program_interpreter(elf: &[u8]) -> bool {
    const PT_INTERP: u32 = 3;
    assert_eq!(&elf[..4], b"\x7fELF", "not an ELF file");
    assert_eq!(
        (elf[4], elf[5]),
        (2, 1),
        "not a 64-bit little-endian ELF file"
    );
    let u16_at = |at: usize| u16::from_le_bytes([elf[at], elf[at + 1]]) as usize;
    let program_headers = u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap()) as usize;
    let (entry_size, count) = (u16_at(0x36), u16_at(0x38));
    (0..count).any(|i| {
        let at = program_headers + i * entry_size;
        u32::from_le_bytes(elf[at..at + 4].try_into().unwrap()) == PT_INTERP
    })
}

#[test]
fn outputs_parser_reads_single_line_and_delimited_values() {
    let text =
        "status=success\njob-ids<<ghadelimiter_1\na\nb\nghadelimiter_1\nresult=/github/x.json\n";
    let outputs = parse_outputs(text);
    assert_eq!(outputs["status"], "success");
    assert_eq!(outputs["job-ids"], "a\nb");
    assert_eq!(outputs["result"], "/github/x.json");
}

#[test]
fn program_interpreter_check_sees_that_the_test_binary_is_dynamic() {
    // The test binary itself is built for the host (glibc, dynamic): it must be seen as dynamic.
    let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    assert!(has_program_interpreter(&me));
}
