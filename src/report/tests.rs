//! Snapshots of every rendering, and the budget cut.
use super::*;
use crate::promote::result::{
    PromotionResult, ServiceResult, ServiceStatus, VersionResult, VersionStatus,
};

const RUN_URL: &str = "https://github.com/acme/pricing/actions/runs/4242";

fn promotion(name: &str, status: PromotionStatus) -> PromotionResult {
    PromotionResult {
        name: name.to_string(),
        source: "uat".to_string(),
        target: "prod".to_string(),
        status,
        job_id: Some("5f0e7c1a-3b4d-4e2f-9a61-0c8d2b7e4f10".to_string()),
        export_job_id: None,
        correlation_id: "sp-7d1f3c5e9a2b4c6d".to_string(),
        skip: None,
        backup: None,
        services: Vec::new(),
        service_versions: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
        duration_ms: 83_400,
        verification: None,
        undoes: None,
    }
}

fn service(source: &str, destination: &str, status: ServiceStatus) -> ServiceResult {
    ServiceResult {
        source: source.to_string(),
        destination: destination.to_string(),
        status,
        current_version: None,
        next_version: None,
        detail: None,
        service_id_destination: None,
    }
}

fn version(service: &str, from: &str, to: &str, status: VersionStatus, n: usize) -> VersionResult {
    VersionResult {
        service_source: service.to_string(),
        service_destination: service.to_string(),
        version_source: from.to_string(),
        version_destination: to.to_string(),
        status,
        version_id_source: Some(format!("src-{n:04}")),
        version_id_destination: Some(format!("dst-{n:04}")),
    }
}

fn run(command: RunKind, promotions: Vec<PromotionResult>) -> RunResult {
    RunResult {
        command,
        manifest: "spark-promote.yaml".to_string(),
        promotions,
    }
}

fn plan_with_would_fail() -> RunResult {
    let mut p = promotion("pricing", PromotionStatus::Planned);
    p.job_id = None;
    p.duration_ms = 950;
    p.services = vec![
        service("pricing/quote", "pricing/quote", ServiceStatus::Added),
        ServiceResult {
            current_version: Some("1.1.0".to_string()),
            next_version: Some("1.2.0".to_string()),
            ..service("pricing/rates", "pricing/rates-v2", ServiceStatus::Updated)
        },
        service("pricing/tables", "pricing/tables", ServiceStatus::Replaced),
        ServiceResult {
            detail: Some(
                "service exists and services_existing is `abort` | set replace or add_version"
                    .to_string(),
            ),
            ..service("pricing/legacy", "pricing/legacy", ServiceStatus::WouldFail)
        },
    ];
    p.warnings = vec!["destination folder pricing will be created by the import".to_string()];
    run(RunKind::Plan, vec![p])
}

fn apply_completed() -> RunResult {
    let mut p = promotion("pricing", PromotionStatus::Completed);
    p.export_job_id = Some("e1a2b3c4-0000-4000-8000-000000000001".to_string());
    p.services = vec![
        service("pricing/quote", "pricing/quote", ServiceStatus::Replaced),
        service("pricing/rates", "pricing/rates-v2", ServiceStatus::Updated),
    ];
    p.service_versions = vec![
        version(
            "pricing/quote",
            "1.0.0",
            "1.0.0",
            VersionStatus::Replaced,
            1,
        ),
        version(
            "pricing/quote",
            "1.1.0",
            "1.1.0",
            VersionStatus::Replaced,
            2,
        ),
        VersionResult {
            service_destination: "pricing/rates-v2".to_string(),
            ..version("pricing/rates", "2.0.0", "2.1.0", VersionStatus::Added, 3)
        },
    ];
    run(RunKind::Apply, vec![p])
}

fn skipped() -> RunResult {
    let mut p = promotion("nightly-sync", PromotionStatus::Skipped);
    p.duration_ms = 1_200;
    p.services = vec![service(
        "pricing/quote",
        "pricing/quote",
        ServiceStatus::Updated,
    )];
    p.service_versions = vec![version(
        "pricing/quote",
        "1.1.0",
        "1.2.0",
        VersionStatus::Added,
        1,
    )];
    run(RunKind::Apply, vec![p])
}

fn failed_with_errors() -> RunResult {
    let mut p = promotion("pricing", PromotionStatus::Failed);
    p.errors = vec![
        "import job failed: `pricing/quote` | <b>bad</b>\n::error::injected\n## heading @acme/admins".to_string(),
        "folder 'pricing' does not exist in tenant acme".to_string(),
    ];
    p.warnings = vec!["the job took longer than usual".to_string()];
    run(RunKind::Apply, vec![p])
}

fn cancelled() -> RunResult {
    let mut p = promotion("pricing", PromotionStatus::Cancelled);
    p.errors = vec!["cancelled by SIGINT; the server confirmed the cancellation".to_string()];
    run(RunKind::Apply, vec![p])
}

fn several() -> RunResult {
    let mut done = apply_completed().promotions.remove(0);
    done.name = "pricing".to_string();
    let mut again = skipped().promotions.remove(0);
    again.name = "rates".to_string();
    let mut broken = failed_with_errors().promotions.remove(0);
    broken.name = "claims".to_string();
    broken.source = "packages/claims.zip".to_string();
    broken.job_id = None;
    run(RunKind::Apply, vec![done, again, broken])
}

fn huge(services: usize, versions: usize) -> RunResult {
    let mut p = promotion("everything", PromotionStatus::Completed);
    p.services = (0..services)
        .map(|i| {
            service(
                &format!("folder/service-{i:05}"),
                &format!("folder/service-{i:05}"),
                ServiceStatus::Added,
            )
        })
        .collect();
    p.service_versions = (0..versions)
        .map(|i| {
            version(
                &format!("folder/service-{:05}", i / 4),
                &format!("1.{}.0", i % 4),
                &format!("1.{}.0", i % 4),
                VersionStatus::Added,
                i,
            )
        })
        .collect();
    run(RunKind::Apply, vec![p])
}

fn comment(result: &RunResult) -> String {
    markdown(result, &RenderOptions::comment(Some(RUN_URL.to_string())))
}

#[test]
fn plan_with_a_service_that_would_fail_shows_next_versions_and_the_reason() {
    insta::assert_snapshot!(comment(&plan_with_would_fail()));
}

#[test]
fn completed_apply_lists_replaced_and_updated_services_and_their_versions() {
    insta::assert_snapshot!(comment(&apply_completed()));
}

#[test]
fn skipped_promotion_says_already_applied_and_is_left_out_of_the_totals() {
    insta::assert_snapshot!(comment(&skipped()));
}

#[test]
fn failed_promotion_shows_its_errors_escaped() {
    let rendered = comment(&failed_with_errors());
    assert!(!rendered.contains("<b>bad</b>"));
    assert!(!rendered.contains("\n::error::"));
    assert!(!rendered.contains("\n## heading"));
    insta::assert_snapshot!(rendered);
}

#[test]
fn cancelled_promotion_shows_why() {
    insta::assert_snapshot!(comment(&cancelled()));
}

#[test]
fn several_promotions_get_one_section_each_and_a_failure_decides_the_title() {
    insta::assert_snapshot!(comment(&several()));
}

#[test]
fn summary_without_a_run_url_has_no_link() {
    let rendered = markdown(&apply_completed(), &RenderOptions::summary(None));
    assert!(!rendered.contains("View the run"));
    insta::assert_snapshot!(rendered);
}

#[test]
fn long_version_tables_are_folded_and_short_ones_are_not() {
    let short = comment(&huge(3, FOLD_AFTER_ROWS));
    assert!(!short.contains("<details>"));
    let long = comment(&huge(3, FOLD_AFTER_ROWS + 1));
    assert!(long.contains("<details><summary><b>Versions</b> (11)</summary>\n\n| Service |"));
    assert!(long.contains("\n</details>\n"));
}

#[test]
fn huge_result_is_cut_to_the_comment_budget_keeping_first_last_rows_and_totals() {
    let result = huge(2_000, 8_000);
    let rendered = comment(&result);
    assert!(rendered.len() <= COMMENT_BUDGET, "{} bytes", rendered.len());
    assert!(rendered.contains(
        "**Totals**: 2000 services (2000 added, 0 replaced, 0 updated), 8000 versions (8000 added, 0 replaced)"
    ));
    assert!(rendered.contains(
        "| <code>folder/service-00000</code> | <code>folder/service-00000</code> | added |"
    ));
    assert!(rendered.contains(
        "| <code>folder/service-01999</code> | <code>folder/service-01999</code> | added |"
    ));
    assert!(
        rendered.contains("<code>dst-0000</code>") && rendered.contains("<code>dst-7999</code>")
    );
    assert!(rendered.contains(&format!(
        "rows omitted, see the full result in the run: [{}]",
        escape::text(RUN_URL)
    )));
    assert!(
        rendered
            .trim_end()
            .ends_with(&format!("[View the run]({RUN_URL})"))
    );
    // The cut keeps as many rows as fit: one more row each would not fit.
    assert!(
        rendered.len() > COMMENT_BUDGET - 2_000,
        "{} bytes",
        rendered.len()
    );
    insta::assert_snapshot!(cut_rows_elided(&rendered));
}

#[test]
fn huge_result_fits_the_summary_budget() {
    let result = huge(10_000, 40_000);
    let rendered = markdown(&result, &RenderOptions::summary(Some(RUN_URL.to_string())));
    assert!(rendered.len() <= SUMMARY_BUDGET, "{} bytes", rendered.len());
    assert!(rendered.contains("**Totals**: 10000 services"));
    assert!(rendered.contains("rows omitted"));
}

#[test]
fn json_is_the_result_as_serde_writes_it() {
    let result = apply_completed();
    let rendered = json(&result);
    let parsed: serde_json::Value = serde_json::from_str(&rendered).unwrap();
    assert_eq!(parsed["promotions"][0]["status"], "completed");
    assert_eq!(
        parsed["promotions"][0]["services"][1]["destination"],
        "pricing/rates-v2"
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn status_labels_match_the_json_names() {
    for status in [
        PromotionStatus::Completed,
        PromotionStatus::Failed,
        PromotionStatus::Cancelled,
        PromotionStatus::Skipped,
        PromotionStatus::Planned,
    ] {
        assert_eq!(serde_json::to_value(status).unwrap(), status_label(status));
    }
}

#[test]
fn overall_status_is_decided_by_the_worst_promotion() {
    assert_eq!(overall_status(&several()), PromotionStatus::Failed);
    assert_eq!(overall_status(&skipped()), PromotionStatus::Skipped);
    assert_eq!(
        overall_status(&plan_with_would_fail()),
        PromotionStatus::Planned
    );
    let mut predicted = plan_with_would_fail();
    predicted.promotions[0].errors =
        vec!["pricing/legacy → pricing/legacy would fail: abort".into()];
    assert_eq!(overall_status(&predicted), PromotionStatus::Failed);
    let mut mixed = several();
    mixed.promotions.remove(2);
    assert_eq!(overall_status(&mixed), PromotionStatus::Completed);
    assert_eq!(overall_status(&cancelled()), PromotionStatus::Cancelled);
}

/// Keeps a snapshot of a cut rendering small: only the rows next to the cuts and the table edges.
fn cut_rows_elided(rendered: &str) -> String {
    let lines: Vec<&str> = rendered.lines().collect();
    let mut out = Vec::new();
    let mut skipping = false;
    for (i, line) in lines.iter().enumerate() {
        let is_row = line.starts_with("| <code>");
        let near = |j: usize| lines.get(j).is_some_and(|l| !l.starts_with("| <code>"));
        let keep = !is_row || near(i.wrapping_sub(1)) || near(i + 1) || i == 0;
        if keep {
            out.push(line.to_string());
            skipping = false;
        } else if !skipping {
            out.push("(rows kept by the cut, elided from this snapshot)".to_string());
            skipping = true;
        }
    }
    out.join("\n")
}

/// The terminal's text of each result the markdown snapshots show: the same facts, no markup.
#[test]
fn the_text_report_for_a_terminal_is_reviewed() {
    let mut with_backup = apply_completed();
    with_backup.manifest = "teams/pricing/spark-promote.yaml".to_string();
    with_backup.promotions[0].backup =
        Some(".spark-promote/backups/pricing-20261201T143110Z.zip".to_string());
    let mut all = String::new();
    for (name, result) in [
        (
            "plan with a service that would fail",
            plan_with_would_fail(),
        ),
        ("apply with a backup, in a subfolder", with_backup),
        ("skipped", skipped()),
        ("failed", failed_with_errors()),
        ("several", several()),
    ] {
        let text = text::text(&result, text::Colour::Never);
        assert!(!text.contains("<code>") && !text.contains("**"), "{text}");
        all.push_str(&format!("=== {name}\n{text}\n"));
    }
    insta::assert_snapshot!(all);
}

#[test]
fn the_text_report_is_coloured_only_when_asked_and_never_carries_an_escape_from_a_value() {
    let mut result = failed_with_errors();
    result.promotions[0]
        .errors
        .push("\u{1b}[2Jcleared".to_string());
    let plain = text::text(&result, text::Colour::Never);
    assert!(!plain.contains('\u{1b}'), "{plain:?}");
    let coloured = text::text(&result, text::Colour::Always);
    assert!(
        coloured.contains("\u{1b}[1;31mfailed\u{1b}[0m"),
        "{coloured:?}"
    );
    assert!(!coloured.contains("\u{1b}[2J"), "{coloured:?}");
}
