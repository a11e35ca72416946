//! Property tests over every parser of outside input: no panic, errors that say where, results in bounded
//! time. Case counts are small so CI stays fast; `fuzz/` runs the same inputs for longer.
use std::path::Path;
use std::time::{Duration, Instant};

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;
use spark_promote::manifest::{self, HostPolicy, ManifestError};
use spark_promote::sandbox::{check_export_request, check_import_request};
use spark_promote::spark::{JobStatus, TenantJobs};

const FILE: &str = "spark-promote.yaml";
/// Values of the variables manifests reference; none may show in an error.
const SECRETS: &[(&str, &str)] = &[
    ("SPARK_TOKEN", "tok-secret-6d1f"),
    ("SPARK_KEY", "key-secret-2e8a"),
    ("SPARK_ID", "id-secret-77b0"),
    ("SPARK_SECRET", "client-secret-19c4"),
];
/// The longest any single parse may take.
const PARSE_BOUND: Duration = Duration::from_secs(1);

/// `cases` cases (bounded for CI), or as many as `PROPTEST_CASES` says for a longer run; no regression
/// files written.
pub fn config(cases: u32) -> ProptestConfig {
    let default = ProptestConfig::default();
    ProptestConfig {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            default.cases
        } else {
            cases
        },
        failure_persistence: None,
        ..default
    }
}

fn env(name: &str) -> Option<String> {
    SECRETS
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| (*v).to_owned())
}

/// Parses a manifest within the time bound and returns its error, checked to be located and secret-free.
fn parse_manifest(text: &str) -> Result<(), ManifestError> {
    let started = Instant::now();
    let result = manifest::parse(text, FILE, Path::new("/repo"), &env, &HostPolicy::default());
    assert!(
        started.elapsed() < PARSE_BOUND,
        "parse took {:?}",
        started.elapsed()
    );
    let Err(error) = result else { return Ok(()) };
    assert!(!error.diagnostics.is_empty());
    // YAML ends a line at `\r\n`, `\n` and a lone `\r` (a fuzz finding: `str::lines` ignores a lone `\r`).
    let lines = text.replace("\r\n", "\n").matches(['\n', '\r']).count() + 1;
    for diagnostic in &error.diagnostics {
        assert_eq!(diagnostic.file, FILE);
        assert!(!diagnostic.message.trim().is_empty(), "{error}");
        assert!(
            diagnostic.line <= lines,
            "line {} of {lines}",
            diagnostic.line
        );
        assert_eq!(
            diagnostic.line == 0,
            diagnostic.column == 0,
            "{diagnostic:?}"
        );
    }
    let shown = error.to_string();
    for (_, secret) in SECRETS {
        assert!(!shown.contains(secret), "a secret leaked into: {shown}");
    }
    Err(error)
}

/// Text made of what YAML gives meaning to, so random strings reach past the first character.
fn yamlish() -> impl Strategy<Value = String> {
    vec(
        select(vec![
            "version: 1\n",
            "environments:",
            "promotions:",
            "\n",
            "  ",
            "- ",
            ": ",
            "{",
            "}",
            "[",
            "]",
            ",",
            "&a ",
            "*a",
            "<<: ",
            "!!str ",
            "!x ",
            "'",
            "\"",
            "#",
            "|\n",
            ">\n",
            "---\n",
            "...\n",
            "${SPARK_TOKEN}",
            "url",
            "auth",
            "bearer",
            "name",
            "from",
            "to",
            "x",
            "1",
            "~",
            "\t",
            "%YAML 1.2\n",
        ]),
        0..80,
    )
    .prop_map(|parts| parts.concat())
}

/// One manifest, valid by construction: its environments and promotions drawn from valid choices.
#[derive(Debug, Clone)]
struct Shape {
    environments: Vec<(&'static str, &'static str, &'static str)>,
    promotions: Vec<(usize, usize, &'static str, &'static str, &'static str)>,
}

const URLS: &[&str] = &[
    "https://excel.uat.us.coherent.global/acme-uat",
    "https://excel.prod.us.coherent.global/acme",
    "http://127.0.0.1:8080/acme-dev",
];
const AUTHS: &[&str] = &[
    "bearer: ${SPARK_TOKEN}",
    "api_key: ${SPARK_KEY}",
    "oauth2: { client_id: \"${SPARK_ID}\", client_secret: \"${SPARK_SECRET}\" }",
];
const FROMS: &[&str] = &[
    "services: [pricing/quote]",
    "folders: [pricing]",
    "services: [\"pricing/quote[1.2]\"]",
];
const EXISTING: &[&str] = &["abort", "replace", "add_version"];
const NUMBERING: &[&str] = &["major", "minor", "patch", "copy"];

fn shape() -> impl Strategy<Value = Shape> {
    let environments = proptest::sample::subsequence(vec!["uat", "prod", "dev-1", "eu"], 2..=4)
        .prop_flat_map(|names| {
            let n = names.len();
            (
                Just(names),
                vec((select(URLS), select(AUTHS)), n..=n),
                vec(
                    (
                        0..n,
                        1..n,
                        select(FROMS),
                        select(EXISTING),
                        select(NUMBERING),
                    ),
                    1..4,
                ),
            )
        });
    environments.prop_map(|(names, settings, promotions)| {
        let n = names.len();
        Shape {
            environments: names
                .into_iter()
                .zip(settings)
                .map(|(name, (url, auth))| (name, url, auth))
                .collect(),
            promotions: promotions
                .into_iter()
                .map(|(from, step, source, existing, numbering)| {
                    (from, (from + step) % n, source, existing, numbering)
                })
                .collect(),
        }
    })
}

impl Shape {
    fn render(&self) -> String {
        let mut text = String::from("version: 1\nenvironments:\n");
        for (name, url, auth) in &self.environments {
            text.push_str(&format!(
                "  {name}:\n    url: {url}\n    auth:\n      {auth}\n"
            ));
        }
        text.push_str("promotions:\n");
        for (i, (from, to, source, existing, numbering)) in self.promotions.iter().enumerate() {
            let (from, to) = (self.environments[*from].0, self.environments[*to].0);
            text.push_str(&format!(
                "  - name: p{i}\n    from:\n      environment: {from}\n      {source}\n    to: {to}\n    services_existing: {existing}\n    update_version_type: {numbering}\n"
            ));
        }
        text
    }
}

/// A change to a manifest's text, line-wise or character-wise.
#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize),
    Duplicate(usize),
    Indent(usize, usize),
    Dedent(usize),
    Insert(usize, &'static str),
    ReplaceValue(usize, &'static str),
    Truncate(usize),
}

const HOSTILE_TOKENS: &[&str] = &[
    "&a",
    "*a",
    "<<: *a",
    "[",
    "{",
    "!!binary AAAA",
    "!custom x",
    "\"${SPARK_TOKEN",
    "${NOT_SET}",
    "literal-secret",
    "../../etc/passwd",
    "/abs/path",
    "ftp://excel.coherent.global/t",
    "https://evil.example.com/t",
    "http://10.0.0.1/t",
    "999999999999999999999",
    "-1",
    "~",
    "''",
    "\"\\u0000\"",
    "[[[[[[[[[[[[[[[[[[[[",
    "? complex",
    "- - -",
    "\t",
    "a: b: c",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    let line = 0usize..40;
    prop_oneof![
        line.clone().prop_map(Mutation::Delete),
        line.clone().prop_map(Mutation::Duplicate),
        (line.clone(), 1usize..5).prop_map(|(l, n)| Mutation::Indent(l, n)),
        line.clone().prop_map(Mutation::Dedent),
        (line.clone(), select(HOSTILE_TOKENS)).prop_map(|(l, t)| Mutation::Insert(l, t)),
        (line, select(HOSTILE_TOKENS)).prop_map(|(l, t)| Mutation::ReplaceValue(l, t)),
        (0usize..2000).prop_map(Mutation::Truncate),
    ]
}

fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for mutation in mutations {
        let count = lines.len();
        if count == 0 {
            break;
        }
        let at = |i: usize| i % count;
        match *mutation {
            Mutation::Delete(i) => {
                lines.remove(at(i));
            }
            Mutation::Duplicate(i) => lines.insert(at(i), lines[at(i)].clone()),
            Mutation::Indent(i, n) => lines[at(i)].insert_str(0, &" ".repeat(n)),
            Mutation::Dedent(i) => {
                let line = &mut lines[at(i)];
                *line = line.trim_start().to_owned();
            }
            Mutation::Insert(i, token) => lines.insert(at(i), token.to_owned()),
            Mutation::ReplaceValue(i, token) => {
                let line = &mut lines[at(i)];
                if let Some((key, _)) = line.split_once(": ") {
                    *line = format!("{key}: {token}");
                }
            }
            Mutation::Truncate(n) => {
                let mut joined = lines.join("\n");
                let mut cut = n.min(joined.len());
                while !joined.is_char_boundary(cut) {
                    cut -= 1;
                }
                joined.truncate(cut);
                lines = joined.lines().map(str::to_owned).collect();
            }
        }
    }
    lines.join("\n") + "\n"
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn manifest_of_any_text_parses_or_fails_with_located_errors(text in prop_oneof![any::<String>(), yamlish()]) {
        let _ = parse_manifest(&text);
    }

    #[test]
    fn manifest_of_the_valid_shape_parses(shape in shape()) {
        let text = shape.render();
        prop_assert!(parse_manifest(&text).is_ok(), "{}", text);
    }

    #[test]
    fn manifest_of_the_valid_shape_with_mutations_parses_or_fails_with_located_errors(
        shape in shape(),
        mutations in vec(mutation(), 1..5),
    ) {
        let _ = parse_manifest(&mutate(&shape.render(), &mutations));
    }
}

// ---------------------------------------------------------------- JSON

/// Every key the request and status parsers know, so random objects reach their typed fields.
const KEYS: &[&str] = &[
    "inputs",
    "services_existing",
    "source_system",
    "correlation_id",
    "services_modify",
    "service_uri_source",
    "service_uri_destination",
    "update_version_type",
    "folders",
    "services",
    "version_ids",
    "file_filter",
    "version_filter",
    "id",
    "object",
    "status",
    "status_url",
    "process_time",
    "response_timestamp",
    "errors",
    "warnings",
    "outputs",
    "files",
    "file",
    "file_hash",
    "service_versions",
    "message",
    "code",
    "in_progress_imports",
    "recent_exports",
    "tenant",
    "data",
    "import_status",
    "configuration",
    "import_api_job_limit",
    "created_by",
];

const STRINGS: &[&str] = &[
    "",
    "abort",
    "replace",
    "add_version",
    "major",
    "minor",
    "copy",
    "latest",
    "all",
    "migrate",
    "completed",
    "in_progress",
    "pricing/quote",
    "pricing/quote[1.2]",
    "../../etc/passwd",
    "/abs",
    "a/b/c",
    "a\u{0}b",
    "6c73f2e4-b354-4695-a991-c52817a5f25f",
    "12",
    "1e400",
    "\u{202e}rtl",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        select(STRINGS).prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map(
                prop_oneof![select(KEYS).prop_map(str::to_owned), "[a-z_]{1,8}"],
                inner,
                0..6
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A JSON text: a random value, or its serialization cut short.
fn json_text() -> impl Strategy<Value = String> {
    prop_oneof![
        json_value().prop_map(|v| v.to_string()),
        (json_value(), any::<prop::sample::Index>()).prop_map(|(v, cut)| {
            let text = v.to_string();
            let mut end = cut.index(text.len() + 1);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text[..end].to_owned()
        }),
        any::<String>(),
    ]
}

fn assert_names_field(result: Result<(), String>, root: &str) {
    if let Err(message) = result {
        assert!(message.starts_with(root), "{message}");
    }
}

/// A serde_json error must carry a position.
fn assert_located(result: Result<impl Sized, serde_json::Error>) {
    if let Err(error) = result {
        assert!(error.line() >= 1, "{error}");
        assert!(!error.to_string().is_empty());
    }
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn import_request_entity_of_any_json_is_accepted_or_refused_naming_the_field(text in json_text()) {
        assert_names_field(check_import_request(&text), "importRequestEntity");
    }

    #[test]
    fn import_request_entity_of_the_documented_keys_is_accepted_or_refused_naming_the_field(
        entity in btree_map(select(KEYS), json_value(), 0..5),
        modify in vec(btree_map(select(KEYS), json_value(), 0..4), 0..3),
    ) {
        let mut entity: serde_json::Map<String, Value> =
            entity.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let modify: Vec<Value> = modify
            .into_iter()
            .map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
            .collect();
        entity.insert("inputs".into(), serde_json::json!({ "services_modify": modify }));
        assert_names_field(check_import_request(&Value::Object(entity).to_string()), "importRequestEntity");
    }

    #[test]
    fn export_request_of_any_json_is_accepted_or_refused_naming_the_field(text in json_text()) {
        assert_names_field(check_export_request(&text), "body");
    }

    #[test]
    fn job_status_and_tenant_jobs_of_any_json_decode_or_fail_with_a_position(text in json_text()) {
        assert_located(serde_json::from_str::<JobStatus>(&text));
        assert_located(serde_json::from_str::<TenantJobs>(&text));
    }

    #[test]
    fn job_status_of_the_documented_shape_decodes_whatever_its_messages_and_timings(
        id in "[a-z0-9-]{0,36}",
        status in "[a-z_]{1,20}",
        errors in json_value(),
        warnings in json_value(),
        process_time in json_value(),
    ) {
        let text = serde_json::json!({
            "id": id, "status": status, "errors": errors, "warnings": warnings,
            "process_time": process_time, "outputs": null,
        })
        .to_string();
        let decoded: JobStatus = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(decoded.status.as_str(), status.as_str());
        prop_assert_eq!(decoded.id, id);
    }

    #[test]
    fn tenant_jobs_of_the_documented_shape_decode_every_listed_job(
        jobs in vec(("[a-z0-9-]{1,36}", "[a-z_]{1,20}", json_value()), 0..6),
    ) {
        let listed: Vec<Value> = jobs
            .iter()
            .map(|(id, status, time)| serde_json::json!({"id": id, "data": {"import_status": status, "process_time": time}}))
            .collect();
        let text = serde_json::json!({ "in_progress_imports": listed, "recent_imports": null }).to_string();
        let decoded: TenantJobs = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(decoded.in_progress.len(), jobs.len());
        for (job, (id, status, _)) in decoded.in_progress.iter().zip(&jobs) {
            prop_assert_eq!(&job.id, id);
            prop_assert_eq!(job.data.status.as_ref().map(|s| s.as_str()), Some(status.as_str()));
        }
    }
}

/// Found by `fuzz/manifest_text`: YAML ends a line at a lone `\r`, and so do the diagnostics' line numbers.
#[test]
fn a_lone_carriage_return_ends_a_line_in_diagnostics() {
    let error = parse_manifest("version: 1\r\r\rbogus: x\n").unwrap_err();
    assert_eq!(error.diagnostics[0].line, 4, "{error}");
}
