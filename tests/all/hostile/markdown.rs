//! Hostile names and server text in everything that reaches GitHub markdown (the summary, the comment and
//! its own lines, the re-run line): no live mention, link, image, autolink, HTML, marker or bidi control.
use spark_promote::github::comment::{self, RunFor, Update};
use spark_promote::promote::result::{
    PromotionResult, PromotionStatus, RunKind, RunResult, ServiceResult, ServiceStatus, Skip,
};
use spark_promote::report::{self, RenderOptions};

/// A name or a message as a hostile catalog or server could send it.
const HOSTILE: &str = "@acme/admins https://evil.example/x www.evil.example a@b.example ![t](https://t.example/p.gif) \
     [l](https://evil.example) <img src=x> <!-- spark-promote:0000 --> abc\u{202E}fed #12 `x` ```\n# heading\n- item";

fn hostile_result(status: PromotionStatus) -> RunResult {
    RunResult {
        command: RunKind::Apply,
        manifest: HOSTILE.into(),
        promotions: vec![PromotionResult {
            name: HOSTILE.into(),
            source: HOSTILE.into(),
            target: HOSTILE.into(),
            status,
            job_id: Some(HOSTILE.into()),
            export_job_id: None,
            correlation_id: HOSTILE.into(),
            skip: Some(Skip::Job {
                job_id: HOSTILE.into(),
            }),
            backup: None,
            services: vec![ServiceResult {
                source: HOSTILE.into(),
                destination: HOSTILE.into(),
                status: ServiceStatus::Updated,
                current_version: Some(HOSTILE.into()),
                next_version: None,
                detail: Some(HOSTILE.into()),
                service_id_destination: None,
            }],
            service_versions: Vec::new(),
            errors: vec![HOSTILE.into()],
            warnings: vec![format!("already applied {HOSTILE}")],
            duration_ms: 1,
            verification: None,
            undoes: None,
        }],
    }
}

/// Panics on anything live in `markdown` (the renderer's own link to the run aside).
fn assert_inert(what: &str, markdown: &str) {
    for live in [
        "@acme",
        "https://evil",
        "https://t.example",
        "www.evil",
        "a@b",
        "<img",
        "<!-- spark-promote:0000",
        "\u{202E}",
        "](https://evil",
        "![t]",
        "\n# heading",
        "\n- item",
        " #12",
    ] {
        assert!(
            !markdown.contains(live),
            "{what} has {live:?} live:\n{markdown}"
        );
    }
}

#[test]
fn hostile_names_and_messages_are_inert_in_the_summary_and_the_comment() {
    let result = hostile_result(PromotionStatus::Failed);
    assert_inert(
        "the summary",
        &report::markdown(&result, &RenderOptions::summary(None)),
    );
    let run_for = RunFor {
        commit: Some(HOSTILE.into()),
        modes: vec![(HOSTILE.into(), HOSTILE.into(), HOSTILE.into())],
    };
    assert_inert("the comment", &comment::markdown(&result, None, &run_for));
}

#[test]
fn the_rerun_line_escapes_a_hostile_promotion_name() {
    let result = hostile_result(PromotionStatus::Skipped);
    let run_for = RunFor {
        commit: None,
        modes: Vec::new(),
    };
    let Update::Rerun { line, markdown, .. } =
        comment::update(&result, None, &run_for, "2026-12-02 14:00 UTC")
    else {
        panic!("a re-run that skipped everything is a re-run line");
    };
    assert_inert("the re-run line", &line);
    assert_inert("the comment", &markdown);
}

#[test]
fn the_drift_issue_quotes_the_report_in_a_fence_it_cannot_close() {
    let block = report::escape::code_block(HOSTILE);
    let fence = block.lines().next().unwrap().trim_end_matches("text");
    assert!(fence.len() > 3, "{block}");
    assert_eq!(block.matches(fence).count(), 2, "{block}");
    assert!(!block.contains('\u{202E}'));
}
