use serde_json::json;

use super::create::{MAX_DESCRIPTION, outcome, truncate};
use super::*;
use crate::promote::record::{ImportEnded, Origin, PromotionRecord, Proof};
use crate::promote::result::{PromotionStatus, VersionResult, VersionStatus};

/// A deployment as GitHub lists it, with the payload the action writes.
fn listed(id: u64, promotion: &str, target: &str, correlation_id: &str) -> serde_json::Value {
    json!({
        "url": format!("https://api.github.com/repos/acme/pricing/deployments/{id}"),
        "id": id,
        "node_id": "DE_kwDOAAAAAM4AAAAB",
        "sha": "0123456789abcdef0123456789abcdef01234567",
        "ref": "0123456789abcdef0123456789abcdef01234567",
        "task": TASK,
        "payload": {
            "manifest": "spark-promote.yaml",
            "promotion": promotion,
            "target": target,
            "correlation_id": correlation_id,
            "export_job_id": "e-1",
            "import_job_id": format!("i-{id}"),
            "source_version_ids": ["v-1", "v-2"],
            "destination_services": ["pricing/quote"],
        },
        "original_environment": format!("spark-{target}"),
        "environment": format!("spark-{target}"),
        "description": "spark-promote",
        "creator": {"login": "github-actions[bot]", "type": "Bot"},
        "created_at": format!("2026-12-01T10:00:{:02}Z", id % 60),
        "updated_at": "2026-12-01T10:01:00Z",
        "statuses_url": format!("https://api.github.com/repos/acme/pricing/deployments/{id}/statuses"),
        "transient_environment": false,
        "production_environment": true,
    })
}

fn parse(list: serde_json::Value) -> Vec<Deployment> {
    serde_json::from_value(list).unwrap()
}

#[test]
fn a_listed_deployment_of_ours_becomes_a_record_naming_its_origin() {
    let deployments = parse(json!([listed(42, "pricing", "prod", "sp1-aa")]));
    let payload = deployments[0].payload().unwrap();
    assert_eq!(payload.import_job_id, "i-42");
    assert_eq!(payload.source_version_ids, ["v-1", "v-2"]);
    assert_eq!(
        deployments[0].record(payload),
        PromotionRecord {
            origin: Origin::Deployment {
                id: 42,
                created_at: Some("2026-12-01T10:00:42Z".to_string()),
            },
            at: Some("2026-12-01T10:00:42Z".to_string()),
            correlation_id: "sp1-aa".to_string(),
            target: "prod".to_string(),
            rollback: false,
            undoes: None,
            destination_services: vec!["pricing/quote".to_string()],
            proof: Proof::ImportJob("i-42".to_string()),
        }
    );
}

#[test]
fn a_payload_given_as_a_json_string_is_read_and_foreign_payloads_are_not() {
    let mut as_string = listed(7, "pricing", "prod", "sp1-aa");
    as_string["payload"] = json!(as_string["payload"].to_string());
    let mut foreign = listed(8, "pricing", "prod", "sp1-aa");
    foreign["payload"] = json!({"deploy": "web"});
    let mut empty = listed(9, "pricing", "prod", "sp1-aa");
    empty["payload"] = json!("");
    let deployments = parse(json!([as_string, foreign, empty]));
    assert_eq!(
        deployments[0]
            .payload()
            .map(|p| p.correlation_id)
            .as_deref(),
        Some("sp1-aa")
    );
    assert_eq!(deployments[1].payload(), None);
    assert_eq!(deployments[2].payload(), None);
}

#[test]
fn candidates_are_the_newest_deployment_of_each_correlation_id_of_a_selected_promotion() {
    let deployments = parse(json!([
        listed(6, "pricing", "prod", "sp1-new"),
        listed(5, "rates", "prod", "sp1-rates"),
        listed(4, "pricing", "uat", "sp1-uat"),
        listed(3, "pricing", "prod", "sp1-new"),
        listed(2, "pricing", "prod", "sp1-old"),
        listed(1, "pricing", "prod", "sp1-oldest"),
    ]));
    let ids = |limit| {
        candidates(
            &deployments,
            "./spark-promote.yaml",
            &[("pricing", "prod")],
            limit,
        )
        .into_iter()
        .map(|(deployment, _)| deployment.id)
        .collect::<Vec<_>>()
    };
    assert_eq!(ids(20), [6, 2, 1]);
    assert_eq!(ids(2), [6, 2]);
    assert!(
        candidates(
            &deployments,
            "spark-promote.yaml",
            &[("claims", "prod")],
            20
        )
        .is_empty()
    );
    assert!(
        candidates(
            &deployments,
            "teams/rates/spark-promote.yaml",
            &[("pricing", "prod")],
            20
        )
        .is_empty(),
        "another manifest's promotion of the same name"
    );
}

fn ended(status: PromotionStatus, versions: usize, errors: &[&str]) -> ImportEnded {
    let version = VersionResult {
        service_source: "pricing/quote".to_string(),
        service_destination: "pricing/quote".to_string(),
        version_source: "1.1.0".to_string(),
        version_destination: "1.2.0".to_string(),
        status: VersionStatus::Added,
        version_id_source: None,
        version_id_destination: None,
    };
    ImportEnded {
        promotion: "pricing".to_string(),
        import_job_id: "job-1".to_string(),
        status,
        service_versions: vec![version; versions],
        errors: errors.iter().map(|e| e.to_string()).collect(),
        correlation_id: "sp1-aa".to_string(),
        target: "prod".to_string(),
        target_url: "https://excel.prod.example/bank".to_string(),
        rollback: false,
        placed: Vec::new(),
        undoes: None,
        verified_cases: None,
    }
}

#[test]
fn the_final_status_says_how_the_import_ended_within_140_characters() {
    assert_eq!(
        outcome(&ended(PromotionStatus::Completed, 2, &[])),
        (
            "success",
            "import job job-1 completed: 2 versions imported".to_string()
        )
    );
    assert_eq!(
        outcome(&ended(PromotionStatus::Completed, 1, &[])).1,
        "import job job-1 completed: 1 version imported"
    );
    assert_eq!(
        outcome(&ended(PromotionStatus::Cancelled, 0, &[])),
        ("failure", "import job job-1 cancelled".to_string())
    );
    let long = "service pricing/quote: ".repeat(20);
    let (state, description) = outcome(&ended(PromotionStatus::Failed, 0, &[&long]));
    assert_eq!(state, "failure");
    let sent = truncate(&description, MAX_DESCRIPTION);
    assert_eq!(sent.chars().count(), 140);
    assert!(sent.starts_with("import job job-1 failed: service pricing/quote"));
    assert!(sent.ends_with('…'));
    assert_eq!(truncate("short", MAX_DESCRIPTION), "short");
    let timed_out = "import job job-1 did not end within 30m; it is still running";
    assert_eq!(
        outcome(&ended(PromotionStatus::Failed, 0, &[timed_out])).1,
        "import job job-1 failed: did not end within 30m; it is still running"
    );
}
