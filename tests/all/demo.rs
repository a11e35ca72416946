//! `spark-promote demo` prints its three results as plan and apply print theirs: plain text for a person
//! (no colour with `NO_COLOR`, none off a terminal), markdown when asked, one JSON document with `--json`.
use crate::support::bin::Bin;

fn demo(args: &[&str]) -> crate::support::bin::Output {
    let dir = tempfile::tempdir().unwrap();
    let output = Bin::new(["demo"])
        .args(args)
        .dir(dir.path())
        .own_logs()
        .without(&["GITHUB_ACTIONS"])
        .env("NO_COLOR", "1")
        .output();
    assert_eq!(output.code, 0, "{output:?}");
    output
}

#[test]
fn the_demo_prints_text_for_a_person_and_one_json_document_with_json() {
    let text = demo(&[]);
    let steps: Vec<&str> = text
        .stdout
        .lines()
        .filter(|line| line.starts_with("== "))
        .collect();
    assert_eq!(
        steps,
        [
            "== 1. plan: what would change",
            "== 2. apply: export from acme-uat, import into acme-prod",
            "== 3. apply again: same content, same place, nothing imported",
        ],
        "{}",
        text.stdout
    );
    for markup in ["<code>", "**", "<!--", "|---", "\u{1b}["] {
        assert!(!text.stdout.contains(markup), "{markup}: {}", text.stdout);
    }
    assert!(
        text.stdout.contains("spark-promote plan "),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains(": skipped (already applied)"),
        "{}",
        text.stdout
    );

    let json = demo(&["--json"]).json();
    let steps = json["steps"].as_array().unwrap();
    let statuses: Vec<&str> = steps
        .iter()
        .map(|step| step["result"]["promotions"][0]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["planned", "completed", "skipped"], "{json:#}");
    assert_eq!(steps[0]["step"], "1. plan: what would change");
}
