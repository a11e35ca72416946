//! What a person at a terminal sees: `--help` of every command and the messages of common mistakes,
//! reviewed as snapshots.
use crate::support::bin::Bin;

fn run(args: &[&str], dir: &std::path::Path) -> (i32, String, String) {
    let output = Bin::new(args)
        .dir(dir)
        .own_logs()
        .without(&["CSPARK_BASE_URL"])
        .output();
    (output.code, output.stdout, output.stderr)
}

#[test]
fn help_of_every_command_is_reviewed() {
    let dir = tempfile::tempdir().unwrap();
    let mut all = String::new();
    for command in [
        vec!["--help"],
        vec!["validate", "--help"],
        vec!["plan", "--help"],
        vec!["apply", "--help"],
        vec!["rollback", "--help"],
        vec!["lock", "--help"],
        vec!["drift", "--help"],
        vec!["verify", "--help"],
        vec!["export", "--help"],
        vec!["status", "--help"],
        vec!["cancel", "--help"],
        vec!["sandbox", "--help"],
        vec!["demo", "--help"],
    ] {
        let (code, stdout, _) = run(&command, dir.path());
        assert_eq!(code, 0);
        all.push_str(&format!(
            "$ spark-promote {}\n{stdout}\n",
            command.join(" ")
        ));
    }
    insta::assert_snapshot!(all);
}

#[test]
fn common_mistakes_get_a_clear_message_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("spark-promote.yaml"),
        "version: 1\nenvironments:\n  prod:\n    url: https://excel.prod.us.coherent.global/acme\n    auth: { bearer: \"${SPARK_PROD_TOKEN_UNSET}\" }\npromotions:\n  - name: p\n    from: { package: missing.zip }\n    to: prod\n",
    )
    .unwrap();
    let mut all = String::new();
    for command in [
        vec!["validate", "-m", "nowhere.yaml"],
        vec!["validate"],
        vec!["apply", "-p", "nope"],
        vec!["export", "-o", "out.zip"],
        vec!["status", "some-job"],
    ] {
        let (code, stdout, stderr) = run(&command, dir.path());
        assert_eq!(code, 2, "{command:?}: {stderr}");
        assert!(stdout.is_empty(), "{command:?} printed data: {stdout}");
        all.push_str(&format!(
            "$ spark-promote {}\n{stderr}\n",
            command.join(" ")
        ));
    }
    insta::assert_snapshot!(all);
}

#[test]
fn a_bad_seed_file_exits_2_naming_the_file_with_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("acme-seed.yaml"),
        "tenants:\n  - name: acme\n    tokens: [tok-acme]\n",
    )
    .unwrap();
    let (code, stdout, stderr) = run(
        &[
            "sandbox",
            "--listen",
            "127.0.0.1:0",
            "--seed",
            "acme-seed.yaml",
        ],
        dir.path(),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    insta::assert_snapshot!(stderr);
}

/// The command that undoes a promotion, as the summary prints it (`undo with <code>…</code>`).
fn undo_command(summary: &str) -> String {
    let start = summary
        .find("undo with <code>")
        .unwrap_or_else(|| panic!("no undo command in {summary}"))
        + "undo with <code>".len();
    let end = start + summary[start..].find("</code>").unwrap();
    // Markdown's backslash escapes, then HTML's entities, as a reader's browser shows them.
    let mut shown = String::new();
    let mut chars = summary[start..end].chars();
    while let Some(c) = chars.next() {
        shown.push(if c == '\\' { chars.next().unwrap() } else { c });
    }
    shown
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_undo_command_of_a_manifest_in_a_subfolder_runs_as_printed_and_git_ignores_the_backups()
{
    let lab = crate::support::cli::Lab::start(std::time::Duration::from_millis(200)).await;
    let manifest = "team pricing/spark-promote.yaml";
    std::fs::create_dir_all(lab.path("team pricing")).unwrap();
    lab.write(
        manifest,
        &format!(
            "{}promotions:\n  - name: pricing\n    from: {{ environment: uat, services: [pricing/quote], version_filter: all }}\n    to: prod\n    services_existing: add_version\n    backup: true\n",
            crate::support::cli::ENVIRONMENTS
        ),
    );
    let applied = lab
        .cli(&["apply", "-m", manifest, "--format", "markdown"])
        .await;
    assert_eq!(applied.code, 0, "{applied:?}");
    let command = undo_command(&applied.stdout);
    assert!(
        command.starts_with("spark-promote rollback -m 'team pricing/spark-promote.yaml' --env prod --backup .spark-promote/backups/pricing-"),
        "{command}"
    );
    // Run back through a shell, exactly as printed, with the binary under test first on PATH.
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(crate::support::bin::PATH, bin.path().join("spark-promote"))
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut shell = tokio::process::Command::new("sh");
    shell
        .arg("-c")
        .arg(&command)
        .current_dir(lab.path(""))
        .env("PATH", path)
        .envs(crate::support::cli::SECRETS.iter().copied());
    let undone = shell.output().await.unwrap();
    assert_eq!(
        undone.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&undone.stderr)
    );

    // `git add -A` leaves the backups out: `.spark-promote/` ignores itself.
    let git = |args: &[&str]| {
        let output = std::process::Command::new("git")
            .args(args)
            .current_dir(lab.path(""))
            .output()
            .expect("git runs");
        assert!(output.status.success(), "git {args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    git(&["init", "--quiet"]);
    git(&["add", "-A"]);
    let staged = git(&["diff", "--cached", "--name-only"]);
    assert!(staged.contains("spark-promote.yaml"), "{staged}");
    assert!(!staged.contains(".spark-promote"), "{staged}");
}

#[test]
fn messages_that_used_to_stop_short_say_what_where_and_what_next() {
    let dir = tempfile::tempdir().unwrap();
    let head = "version: 1\nenvironments:\n  prod:\n    url: https://excel.prod.us.coherent.global/bank-prod\n    auth: { bearer: \"${SPARK_PROD_TOKEN}\" }\npromotions:\n  - name: p\n";
    let manifests = [
        (
            "shallow.yaml",
            format!(
                "{head}    from:\n      environment: prod\n      services: [a/b]\n   to: prod\n"
            ),
        ),
        (
            "deep.yaml",
            format!("{head}    from: {{ package: p.zip }}\n     to: prod\n"),
        ),
        (
            "api-url.yaml",
            format!("{head}    from: {{ package: p.zip }}\n    to: prod\n")
                .replace("/bank-prod\n", "/bank-prod/api/v3\n"),
        ),
        (
            "package.yaml",
            format!("{head}    from: {{ package: packages/p.zip }}\n    to: prod\n"),
        ),
    ];
    let mut all = String::new();
    let show = |args: &[&str], all: &mut String| {
        let output = Bin::new(args)
            .dir(dir.path())
            .own_logs()
            .env("SPARK_PROD_TOKEN", "tok-unused")
            .output();
        assert_eq!(output.code, 2, "{args:?}: {}", output.stderr);
        let stderr = output
            .stderr
            .replace(&dir.path().display().to_string(), "[dir]");
        all.push_str(&format!("$ spark-promote {}\n{stderr}\n", args.join(" ")));
    };
    for (name, text) in &manifests {
        std::fs::write(dir.path().join(name), text).unwrap();
        show(&["validate", "-m", name], &mut all);
    }
    show(
        &[
            "rollback",
            "-m",
            "package.yaml",
            "--env",
            "prod",
            "--backup",
            ".spark-promote/backups/p-20261201T143110Z.zip",
        ],
        &mut all,
    );
    insta::assert_snapshot!(all);
}

#[tokio::test(flavor = "multi_thread")]
async fn status_of_an_export_suggests_its_kind_and_cancel_of_an_ended_job_says_nothing_was_cancelled()
 {
    let lab = crate::support::cli::Lab::start(std::time::Duration::from_millis(100)).await;
    lab.export_package("out.zip", &["--folder", "pricing"])
        .await;
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(lab.path("out.zip.json")).unwrap()).unwrap();
    let id = index["export_job_id"].as_str().unwrap();
    let status = lab.cli(&["status", "--env", "uat", id]).await;
    assert_eq!(status.code, 1, "{status:?}");
    let hint = format!(
        "if {id} is an export job, run `spark-promote status --kind export {id}` (with the same --env)"
    );
    assert!(status.stderr.contains(&hint), "{}", status.stderr);
    let cancel = lab
        .cli(&["cancel", "--env", "uat", "--kind", "export", id])
        .await;
    assert_eq!(cancel.code, 0, "{cancel:?}");
    assert!(
        cancel.stderr.contains(&format!(
            "nothing was cancelled: job {id} had already ended (completed)"
        )),
        "{}",
        cancel.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_gets_text_github_gets_markdown_and_json_stays_data() {
    let lab = crate::support::cli::Lab::start(std::time::Duration::from_millis(100)).await;
    lab.manifest("promotions:\n  - name: pricing\n    from: { environment: uat, services: [pricing/quote] }\n    to: prod\n    services_existing: add_version\n");
    let text = lab.cli_with(&["plan"], &[("GITHUB_ACTIONS", "")]).await;
    assert_eq!(text.code, 0, "{text:?}");
    assert!(
        text.stdout
            .starts_with("spark-promote plan spark-promote.yaml: planned\n"),
        "{}",
        text.stdout
    );
    assert!(!text.stdout.contains("<code>") && !text.stdout.contains('\u{1b}'));
    let github = lab.cli_with(&["plan"], &[("GITHUB_ACTIONS", "true")]).await;
    assert!(
        github
            .stdout
            .starts_with("## 📝 spark-promote plan: <code>spark-promote.yaml</code>"),
        "{}",
        github.stdout
    );
    let asked = lab.cli(&["plan", "--format", "markdown"]).await;
    let first = |text: &str| text.lines().next().unwrap_or_default().to_string();
    assert_eq!(first(&asked.stdout), first(&github.stdout));
    let json = lab.cli(&["plan", "--format", "json"]).await;
    assert_eq!(json.json()["command"], "plan");
    assert_eq!(
        lab.cli(&["plan", "--json", "--format", "text"]).await.code,
        2
    );
}
