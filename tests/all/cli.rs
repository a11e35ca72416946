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
