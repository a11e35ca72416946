//! `verify:`, `after:` and `xcalls:` in the manifest: parsed, defaulted, refused with line:column errors,
//! and in the JSON Schema.
use std::path::Path;

use spark_promote::manifest::{self, HostPolicy, Manifest, ManifestError, OnFailure, Tolerance};

const HEAD: &str = r#"version: 1
environments:
  uat: { url: "http://127.0.0.1:9/acme-uat", auth: { bearer: "${T}" } }
  prod: { url: "http://127.0.0.1:9/acme-prod", auth: { bearer: "${T}" } }
promotions:
"#;

fn parse(promotions: &str) -> Result<Manifest, ManifestError> {
    let text = format!("{HEAD}{promotions}");
    let env = |_: &str| Some("token".to_owned());
    manifest::parse(
        &text,
        "spark-promote.yaml",
        Path::new("/repo"),
        &env,
        &HostPolicy::default(),
    )
}

/// Asserts that `message` contains each of `expected`.
fn contains_all(message: &str, expected: &[&str]) {
    for expected in expected {
        assert!(
            message.contains(expected),
            "missing {expected:?} in:\n{message}"
        );
    }
}

fn error(promotions: &str) -> String {
    parse(promotions).expect_err("rejected").to_string()
}

#[test]
fn verify_defaults_to_the_promotions_one_service_every_output_exact_and_fail() {
    let manifest = parse(
        r#"  - name: quote
    from: { environment: uat, services: ["pricing/quote[1.1]"] }
    to: prod
    verify: { cases: [cases/quote.csv, "cases/more/*.json"] }
"#,
    )
    .unwrap();
    let verify = manifest.promotions[0].verify.clone().unwrap();
    assert_eq!(verify.service, "pricing/quote");
    assert_eq!(verify.cases[1].display, "cases/more/*.json");
    assert_eq!(verify.cases[0].path, Path::new("/repo/cases/quote.csv"));
    assert!(verify.outputs.is_empty());
    assert_eq!(verify.tolerance, Tolerance::default());
    assert_eq!(verify.on_failure, OnFailure::Fail);
}

#[test]
fn verify_after_and_xcalls_are_read_as_written() {
    let manifest = parse(
        r#"  - name: rating
    from: { environment: uat, folders: [pricing] }
    to: prod
  - name: quote
    from: { environment: uat, folders: [pricing] }
    to: prod
    services_existing: replace
    after: [rating]
    xcalls: ["pricing/rating[2.0]", pricing/tax]
    verify:
      service: pricing/quote
      cases: [cases/quote.json]
      outputs: [premium]
      tolerance: { absolute: 0.01, relative: 0.001 }
      on_failure: rollback
"#,
    )
    .unwrap();
    let quote = &manifest.promotions[1];
    assert_eq!(quote.after, ["rating"]);
    assert_eq!(quote.xcalls, ["pricing/rating[2.0]", "pricing/tax"]);
    let verify = quote.verify.as_ref().unwrap();
    assert_eq!(verify.outputs, ["premium"]);
    assert_eq!(
        verify.tolerance,
        Tolerance {
            absolute: 0.01,
            relative: 0.001
        }
    );
    assert_eq!(verify.on_failure, OnFailure::Rollback);
}

#[test]
fn bad_verify_entries_are_errors_at_their_line_and_column() {
    let message = error(
        r#"  - name: quote
    from: { environment: uat, folders: [pricing] }
    to: prod
    backup: false
    verify:
      cases: [/abs/cases.csv, cases/quote.xlsx]
      outputs: [premium, premium]
      tolerance: { absolute: -1 }
      on_failure: rollback
"#,
    );
    contains_all(
        &message,
        &[
            "spark-promote.yaml:11:7: `verify.service` is required",
            "spark-promote.yaml:11:15: cases path `/abs/cases.csv` must be relative",
            "spark-promote.yaml:11:31: cases `cases/quote.xlsx` must end in .json or .csv",
            "spark-promote.yaml:12:26: `premium` appears twice in `verify.outputs`",
            "spark-promote.yaml:13:30: `tolerance.absolute` must be a number of 0 or more, got -1",
            "spark-promote.yaml:11:7: `on_failure: rollback` needs a backup",
        ],
    );
    let unknown = error(
        r#"  - name: quote
    from: { environment: uat, folders: [pricing] }
    to: prod
    verify: { cases: [a.csv], tolerence: { absolute: 1 } }
"#,
    );
    assert!(unknown.contains("spark-promote.yaml:9:"), "{unknown}");
    assert!(unknown.contains("unknown field `tolerence`"), "{unknown}");
}

#[test]
fn after_must_name_other_promotions_without_a_cycle_and_xcalls_must_be_service_uris() {
    let message = error(
        r#"  - name: a
    from: { environment: uat, folders: [f] }
    to: prod
    after: [b, nope, a]
    xcalls: [just-a-name, "f/s[1.0"]
  - name: b
    from: { environment: uat, folders: [f] }
    to: prod
    after: [a]
"#,
    );
    contains_all(
        &message,
        &[
            "spark-promote.yaml:9:16: `after`: unknown promotion `nope`, expected one of: a, b",
            "spark-promote.yaml:9:22: promotion `a` cannot come after itself",
            "spark-promote.yaml:10:14: ",
            "spark-promote.yaml:10:27: xcall `f/s[1.0`: expected folder/service[version]",
        ],
    );
    let cycle = error(
        r#"  - name: a
    from: { environment: uat, folders: [f] }
    to: prod
    after: [b]
  - name: b
    from: { environment: uat, folders: [f] }
    to: prod
    after: [a]
"#,
    );
    assert!(
        cycle.contains("spark-promote.yaml:6:11: `after` makes a cycle: a → b → a"),
        "{cycle}"
    );
}

#[test]
fn the_json_schema_describes_verify_after_and_xcalls() {
    let schema = manifest::schema();
    let promotion = &schema["$defs"]["Promotion"]["properties"];
    for key in ["verify", "after", "xcalls"] {
        assert!(promotion.get(key).is_some(), "{key} in {promotion}");
    }
    let verify = &schema["$defs"]["Verify"];
    assert_eq!(verify["required"], serde_json::json!(["cases"]), "{verify}");
    let choices: Vec<&serde_json::Value> = schema["$defs"]["OnFailure"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|choice| &choice["const"])
        .collect();
    assert_eq!(choices, ["fail", "rollback"]);
}
