//! A committed package is checked against its export index before anything is decided from the index: a
//! package swapped under a kept index is invalid input naming both files.
use std::time::Duration;

use crate::support::cli::Lab;

#[tokio::test(flavor = "multi_thread")]
async fn a_package_swapped_under_its_index_is_refused_before_any_decision() {
    let lab = Lab::start(Duration::from_millis(200)).await;
    let quote = lab
        .export_package("quote.zip", &["--service", "pricing/quote"])
        .await;
    let rating = lab
        .export_package("rating.zip", &["--service", "pricing/rating"])
        .await;
    lab.manifest(
        "promotions:\n  - name: pricing\n    from: { package: quote.zip }\n    to: prod\n    services_existing: add_version\n",
    );
    let applied = lab.cli(&["apply"]).await;
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let imports = lab.jobs_of("import").await.len();
    // quote.zip now holds the rating export; quote.zip.json still describes quote.
    std::fs::copy(&rating, &quote).unwrap();
    for command in ["validate", "plan", "apply"] {
        let run = lab.cli(&[command]).await;
        assert_eq!(run.code, 2, "{command}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("package quote.zip does not match its index quote.zip.json"),
            "{command}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("skipped"), "{command}: {}", run.stderr);
    }
    assert_eq!(lab.jobs_of("import").await.len(), imports, "an import ran");
    // With the index deleted, the package is taken as it is.
    std::fs::remove_file(lab.path("quote.zip.json")).unwrap();
    assert_eq!(lab.cli(&["plan"]).await.code, 0);
}
