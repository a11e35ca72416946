//! Workspace files in the action: a committed `.spark-promote` symlink and a package path that leads out
//! of the workspace (`..`, a symlink) are refused as invalid input, and nothing is written outside.
use std::time::Duration;

use crate::support::cli::Lab;

const FROM_PACKAGE: &str = "promotions:\n  - name: pricing\n    from: { package: PATH }\n    to: prod\n    services_existing: add_version\n";

#[tokio::test(flavor = "multi_thread")]
async fn a_committed_result_dir_symlink_out_of_the_workspace_is_refused() {
    let lab = Lab::start(Duration::from_millis(200)).await;
    lab.export_package("quote.zip", &["--service", "pricing/quote"])
        .await;
    lab.manifest(&FROM_PACKAGE.replace("PATH", "quote.zip"));
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), lab.path(".spark-promote")).unwrap();
    let run = lab.action(&[("INPUT_COMMAND", "plan")]).await;
    assert_eq!(run.output.code, 2, "{}", run.output.stderr);
    assert!(
        run.output.stdout.contains("outside the workspace"),
        "{}",
        run.output.stdout
    );
    assert_eq!(super::tree(outside.path()), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_package_path_out_of_the_workspace_is_refused_by_where_it_leads() {
    let lab = Lab::start(Duration::from_millis(200)).await;
    let outside = tempfile::tempdir().unwrap();
    let package = lab
        .export_package("quote.zip", &["--service", "pricing/quote"])
        .await;
    let elsewhere = outside.path().join("quote.zip");
    std::fs::copy(&package, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, lab.path("linked.zip")).unwrap();
    let dotdot = format!(
        "../{}/quote.zip",
        outside.path().file_name().unwrap().to_string_lossy()
    );
    for path in [
        dotdot.as_str(),
        "linked.zip",
        "../../../../../../etc/passwd",
    ] {
        lab.manifest(&FROM_PACKAGE.replace("PATH", path));
        let run = lab.action(&[("INPUT_COMMAND", "validate")]).await;
        assert_eq!(run.output.code, 2, "{path}: {}", run.output.stderr);
        assert!(
            run.output.stdout.contains("outside the workspace"),
            "{path}: {}",
            run.output.stdout
        );
        assert!(!run.output.stdout.contains("not a ZIP"), "{path}");
    }
}
