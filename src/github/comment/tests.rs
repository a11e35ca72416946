use super::rerun::add_rerun_line;
use super::stale::{STALE_LINE, mark_stale};
use super::write::same_text;
use super::*;
use crate::github::inputs::CommentMode;
use crate::promote::result::{PromotionStatus, RunKind, RunResult};

/// One promotion with `status`, taking `duration_ms`.
fn one_promotion(command: RunKind, status: PromotionStatus, duration_ms: u64) -> RunResult {
    RunResult {
        command,
        manifest: "m.yaml".to_string(),
        promotions: vec![crate::promote::result::PromotionResult {
            name: "p".to_string(),
            source: "uat".to_string(),
            target: "prod".to_string(),
            status,
            job_id: None,
            export_job_id: None,
            correlation_id: "c".to_string(),
            skip: None,
            backup: None,
            services: Vec::new(),
            service_versions: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            duration_ms,
            verification: None,
            undoes: None,
        }],
    }
}

#[test]
fn rerun_lines_stop_growing_past_ten_and_count_the_older_ones() {
    let mut body = "<!-- marker -->\n## Plan\n\n| a | b |\n".to_string();
    body = add_rerun_line(&body, "- re-run 1: nothing to do; p");
    assert_eq!(
        body,
        "<!-- marker -->\n## Plan\n\n| a | b |\n\n- re-run 1: nothing to do; p\n"
    );
    for n in 2..=12 {
        body = add_rerun_line(&body, &format!("- re-run {n}: nothing to do; p"));
    }
    let tail: Vec<&str> = body.lines().skip(4).collect();
    let mut expected = vec![
        "".to_string(),
        "- 2 earlier re-runs: nothing to do".to_string(),
    ];
    expected.extend((3..=12).map(|n| format!("- re-run {n}: nothing to do; p")));
    assert_eq!(tail, expected);
    let next = add_rerun_line(&body, "- [re-run 13](https://run): nothing to do; p");
    assert!(
        next.contains("- 3 earlier re-runs: nothing to do\n- re-run 4:"),
        "{next}"
    );
    assert!(next.ends_with("- [re-run 13](https://run): nothing to do; p\n"));
    assert_eq!(next.lines().count(), body.lines().count());
}

#[test]
fn auto_creates_only_when_the_run_has_news_and_never_never_comments() {
    let run = |status| one_promotion(RunKind::Apply, status, 0);
    let skipped = run(PromotionStatus::Skipped);
    let failed = run(PromotionStatus::Failed);
    let empty_plan = run(PromotionStatus::Planned);
    assert_eq!(policy(CommentMode::Auto, &skipped), Some(IfMissing::Skip));
    assert_eq!(
        policy(CommentMode::Auto, &empty_plan),
        Some(IfMissing::Skip)
    );
    assert_eq!(policy(CommentMode::Auto, &failed), Some(IfMissing::Create));
    assert_eq!(
        policy(CommentMode::Always, &skipped),
        Some(IfMissing::Create)
    );
    assert_eq!(policy(CommentMode::Never, &failed), None);
}

#[test]
fn the_content_key_ignores_durations_but_not_what_was_done() {
    let run = |duration_ms, status| one_promotion(RunKind::Plan, status, duration_ms);
    let none = RunFor::default();
    let planned = content_key(&run(350, PromotionStatus::Planned), &none);
    assert_eq!(
        planned,
        content_key(&run(1_200, PromotionStatus::Planned), &none)
    );
    let mut listed = run(350, PromotionStatus::Planned);
    listed.promotions[0].export_job_id = Some("a-listing-export".to_string());
    assert_eq!(planned, content_key(&listed, &none));
    assert_ne!(
        planned,
        content_key(&run(350, PromotionStatus::Failed), &none)
    );
    let new_commit = RunFor {
        commit: Some("2222222".to_string()),
        modes: Vec::new(),
    };
    assert_ne!(
        planned,
        content_key(&run(350, PromotionStatus::Planned), &new_commit)
    );
    assert_eq!(planned.len(), 16);
}

#[test]
fn marking_stale_twice_keeps_one_banner_with_the_latest_message() {
    let stored = "<!-- spark-promote:0 -->\n<!-- spark-promote-content:1 -->\n## plan\n\nbody\n";
    let once = mark_stale(stored, "first problem");
    let twice = mark_stale(&once, "second problem");
    assert_eq!(twice.matches(STALE_LINE).count(), 1, "{twice}");
    assert!(twice.contains("second problem") && !twice.contains("first problem"));
    assert!(twice.starts_with("<!-- spark-promote:0 -->\n<!-- spark-promote-content:1 -->\n"));
    assert!(twice.ends_with("## plan\n\nbody"), "{twice}");
}

#[test]
fn stored_bodies_with_crlf_or_trailing_space_are_the_same_text() {
    assert!(same_text("a\r\nb\n", "a\nb"));
    assert!(!same_text("a\nb", "a\nc"));
}
