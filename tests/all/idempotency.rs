//! "Never twice", for good: a re-run imports nothing however long after the first run it comes (the
//! sandbox's clock is moved past Spark's one-hour job listing), plan agrees with apply, and a destination
//! that lost what was imported gets it again, once.
use std::time::Duration;

use serde_json::Value;

use crate::support::cli::{COMPATS, Lab};

const QUICK: Duration = Duration::from_millis(300);
const TWO_HOURS: u64 = 2 * 3600;

fn promotion(result: &Value) -> &Value {
    &result["promotions"][0]
}

fn warnings(result: &Value) -> String {
    promotion(result)["warnings"].to_string()
}

/// A promotion to apply, and the destination service whose versions it changes.
struct Case {
    name: &'static str,
    promotions: &'static str,
    destination: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "add_version",
        promotions: "promotions:\n  - name: pricing\n    from: { environment: uat, services: [pricing/quote], version_filter: all }\n    to: prod\n    services_existing: add_version\n",
        destination: "pricing/quote",
    },
    Case {
        name: "replace with a remap",
        promotions: "promotions:\n  - name: pricing\n    from: { environment: uat, services: [pricing/quote], version_filter: all }\n    to: prod\n    services_existing: replace\n    services:\n      - { source: pricing/quote, destination: pricing/quote-v3 }\n",
        destination: "pricing/quote-v3",
    },
    Case {
        name: "a committed package",
        promotions: "promotions:\n  - name: quote\n    from: { package: quote.zip }\n    to: prod\n    services_existing: replace\n",
        destination: "pricing/quote",
    },
];

/// Applies a case once (exporting its package first when it is a committed one) and checks it imported.
async fn first_apply(lab: &Lab, case: &Case) {
    if case.promotions.contains("quote.zip") {
        lab.export_package("quote.zip", &["--service", "pricing/quote"])
            .await;
    }
    lab.manifest(case.promotions);
    let first = lab.cli(&["apply", "--json"]).await;
    assert_eq!(first.code, 0, "{}: {first:?}", case.name);
    assert_eq!(
        promotion(&first.json())["status"],
        "completed",
        "{}",
        case.name
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rerun_after_the_job_listing_forgot_the_import_is_skipped_from_the_destination_versions()
{
    for (case, compat) in CASES
        .iter()
        .flat_map(|case| COMPATS.map(|compat| (case, compat)))
    {
        let lab = Lab::start_compat(QUICK, compat).await;
        first_apply(&lab, case).await;
        let imported = lab.versions_of("acme-prod", case.destination).await;
        assert!(!imported.is_empty(), "{}", case.name);

        lab.advance_clock(TWO_HOURS).await;
        let again = lab.cli(&["apply", "--json"]).await;
        assert_eq!(again.code, 0, "{}: {again:?}", case.name);
        let again = again.json();
        assert_eq!(
            promotion(&again)["status"],
            "skipped",
            "{}: {again:#}",
            case.name
        );
        assert!(
            warnings(&again).contains("the destination already holds all"),
            "{}: the reason names the check: {again:#}",
            case.name
        );
        assert_eq!(lab.jobs_of("import").await.len(), 1, "{}", case.name);
        assert_eq!(
            lab.versions_of("acme-prod", case.destination).await,
            imported,
            "{}: the destination is unchanged",
            case.name
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_after_an_apply_predicts_skipped_within_the_hour_and_two_hours_later() {
    for (case, compat) in CASES
        .iter()
        .flat_map(|case| COMPATS.map(|compat| (case, compat)))
    {
        let lab = Lab::start_compat(QUICK, compat).await;
        first_apply(&lab, case).await;
        for (when, reason) in [
            ("within the hour", "already applied by import job"),
            ("two hours later", "the destination already holds all"),
        ] {
            let plan = lab.cli(&["plan", "--json"]).await;
            assert_eq!(plan.code, 0, "{} {when}: {plan:?}", case.name);
            let plan = plan.json();
            assert_eq!(
                promotion(&plan)["status"],
                "skipped",
                "{} {when}: {plan:#}",
                case.name
            );
            assert!(
                warnings(&plan).contains(reason),
                "{} {when}: {plan:#}",
                case.name
            );
            lab.advance_clock(TWO_HOURS).await;
        }
        assert_eq!(lab.jobs_of("import").await.len(), 1, "plans import nothing");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_abort_promotion_already_applied_is_skipped_not_predicted_to_fail() {
    let lab = Lab::start(QUICK).await;
    lab.manifest(
        "promotions:\n  - name: rating\n    from: { environment: uat, services: [pricing/rating] }\n    to: prod\n",
    );
    let first = lab.cli(&["apply", "--json"]).await;
    assert_eq!(promotion(&first.json())["status"], "completed");
    lab.advance_clock(TWO_HOURS).await;
    for command in ["plan", "apply"] {
        let output = lab.cli(&[command, "--json"]).await;
        assert_eq!(output.code, 0, "{command}: {output:?}");
        assert_eq!(promotion(&output.json())["status"], "skipped", "{command}");
    }
    assert_eq!(lab.jobs_of("import").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_destination_service_deleted_since_is_imported_again_once() {
    let lab = Lab::start(QUICK).await;
    let case = &CASES[1];
    first_apply(&lab, case).await;
    lab.advance_clock(TWO_HOURS).await;
    lab.remove_service("acme-prod", case.destination).await;
    assert!(
        lab.versions_of("acme-prod", case.destination)
            .await
            .is_empty()
    );

    let plan = lab.cli(&["plan", "--json"]).await.json();
    assert_eq!(promotion(&plan)["status"], "planned", "{plan:#}");
    assert_eq!(
        promotion(&plan)["services"][0]["status"],
        "added",
        "{plan:#}"
    );
    let again = lab.cli(&["apply", "--json"]).await.json();
    assert_eq!(promotion(&again)["status"], "completed", "{again:#}");
    assert_eq!(lab.jobs_of("import").await.len(), 2);
    assert!(
        !lab.versions_of("acme-prod", case.destination)
            .await
            .is_empty()
    );

    lab.advance_clock(TWO_HOURS).await;
    let third = lab.cli(&["apply", "--json"]).await.json();
    assert_eq!(promotion(&third)["status"], "skipped", "{third:#}");
    assert_eq!(lab.jobs_of("import").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_source_version_is_imported_although_the_older_ones_are_there() {
    let lab = Lab::start(QUICK).await;
    let case = &CASES[0];
    first_apply(&lab, case).await;
    lab.advance_clock(TWO_HOURS).await;
    // The same promotion with a wider selection: rating's version is not in prod yet.
    lab.manifest(
        "promotions:\n  - name: pricing\n    from: { environment: uat, folders: [pricing], version_filter: all }\n    to: prod\n    services_existing: add_version\n",
    );
    let again = lab.cli(&["apply", "--json"]).await.json();
    assert_eq!(promotion(&again)["status"], "completed", "{again:#}");
    assert_eq!(lab.jobs_of("import").await.len(), 2);
}
