//! Load: twenty `apply` processes at once against one tenant.
use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use futures_util::future::join_all;
use serde_json::Value;

use super::{promotion, write_package};
use crate::support::cli::{Lab, each_compat};

const RUNS: usize = 20;
const JOB: Duration = Duration::from_millis(100);

fn time(job: &Value, field: &str) -> SystemTime {
    humantime::parse_rfc3339(
        job[field]
            .as_str()
            .unwrap_or_else(|| panic!("{field}: {job}")),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_concurrent_applies_of_different_packages_all_complete_one_job_at_a_time() {
    let lab = Lab::start(JOB).await;
    let mut manifests = Vec::new();
    for n in 0..RUNS {
        let service = format!("pricing/load-{n}");
        write_package(&lab, &format!("p{n}.zip"), &[&service], 1024);
        let manifest = format!(
            "{}promotions:\n  - name: p{n}\n    from: {{ package: packages/p{n}.zip }}\n    to: prod\n",
            crate::support::cli::ENVIRONMENTS
        );
        manifests.push(lab.write(&format!("m{n}.yaml"), &manifest));
    }
    let lab = &lab;
    let runs = manifests.iter().map(|manifest| async move {
        let manifest = manifest.to_str().unwrap();
        lab.cli(&["apply", "--json", "-m", manifest]).await
    });
    let outputs = join_all(runs).await;
    let mut ids = BTreeSet::new();
    for output in &outputs {
        assert_eq!(output.code, 0, "{output:?}");
        let result = promotion(output);
        assert_eq!(result["status"], "completed", "{result:#}");
        ids.insert(result["job_id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), RUNS, "each run its own job");

    let mut imports = lab.jobs_of("import").await;
    assert_eq!(imports.len(), RUNS);
    assert!(imports.iter().all(|job| job["status"] == "completed"));
    imports.sort_by_key(|job| time(job, "created"));
    for pair in imports.windows(2) {
        assert!(
            time(&pair[1], "created") >= time(&pair[0], "finished"),
            "jobs overlapped: {pair:#?}"
        );
    }
    // None lost: every service is on the tenant.
    let state = crate::support::sandbox::catalog(&lab.sandbox)
        .await
        .to_string();
    for n in 0..RUNS {
        assert!(state.contains(&format!("\"load-{n}\"")), "load-{n} missing");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_concurrent_identical_applies_create_exactly_one_job() {
    each_compat(|compat| async move {
        let lab = Lab::start_compat(JOB, compat).await;
        super::promote(&lab, super::From::Package, "prod");
        let outputs = join_all((0..RUNS).map(|_| lab.cli(&["apply", "--json"]))).await;
        let mut ids = BTreeSet::new();
        for output in &outputs {
            assert_eq!(output.code, 0, "{output:?}");
            let result = promotion(output);
            let status = result["status"].as_str().unwrap();
            assert!(status == "completed" || status == "skipped", "{result:#}");
            ids.insert(result["job_id"].as_str().unwrap().to_string());
        }
        let imports = lab.jobs_of("import").await;
        assert_eq!(imports.len(), 1, "{imports:#?}");
        assert_eq!(ids.len(), 1, "every run reports the one job: {ids:?}");
    })
    .await;
}
