//! Integration tests: manifest. Every error message a user can see is a reviewed snapshot (with the input as
//! its description); the example manifest must parse; secrets never show.
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use spark_promote::manifest::{
    self, Auth, HostPolicy, Manifest, ManifestError, ServicesExisting, Source, UpdateVersionType,
    VersionFilter,
};

/// Fake values for every variable the tests reference; each is distinctive so a leak is easy to find.
const VARS: &[(&str, &str)] = &[
    ("SPARK_DEV_TOKEN", "dev-token-8a6b"),
    ("SPARK_UAT_CLIENT_ID", "uat-client-id-4411"),
    ("SPARK_UAT_CLIENT_SECRET", "uat-secret-9d2f"),
    ("SPARK_PROD_TOKEN", "prod-token-7c1e"),
    ("SPARK_PROD_API_KEY", "prod-key-5b3a"),
    ("SPARK_TEST_TOKEN", "test-token-2e8d"),
];

fn env(name: &str) -> Option<String> {
    VARS.iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn no_hosts() -> HostPolicy {
    HostPolicy::default()
}

fn parse_with(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
    hosts: &HostPolicy,
) -> Result<Manifest, ManifestError> {
    manifest::parse(text, "spark-promote.yaml", Path::new("/repo"), env, hosts)
}

fn parse(text: &str) -> Result<Manifest, ManifestError> {
    parse_with(text, &env, &no_hosts())
}

/// The error text for a manifest that must not parse, checked to contain no secret value.
fn error_of(text: &str) -> String {
    let message = parse(text)
        .expect_err("the manifest should be rejected")
        .to_string();
    for (_, value) in VARS {
        assert!(!message.contains(value), "a secret leaked into: {message}");
    }
    message
}

/// Snapshots the error for `text`, with the input as the snapshot's description.
macro_rules! assert_error_snapshot {
    ($name:expr, $text:expr) => {{
        let text: &str = $text;
        insta::with_settings!({ description => text, omit_expression => true }, {
            insta::assert_snapshot!($name, error_of(text));
        });
    }};
}

/// A valid manifest; the error cases below change one thing in it.
const BASE: &str = r#"version: 1
environments:
  uat:
    url: https://excel.uat.us.coherent.global/acme-uat
    auth:
      oauth2: { client_id: "${SPARK_UAT_CLIENT_ID}", client_secret: "${SPARK_UAT_CLIENT_SECRET}" }
  prod:
    url: https://excel.prod.us.coherent.global/acme
    auth:
      bearer: ${SPARK_PROD_TOKEN}
promotions:
  - name: pricing
    from: { environment: uat, services: [pricing/quote] }
    to: prod
    services_existing: add_version
"#;

fn base_with(from: &str, to: &str) -> String {
    let changed = BASE.replacen(from, to, 1);
    assert_ne!(changed, BASE, "`{from}` is not in the base manifest");
    changed
}

#[test]
fn the_base_manifest_of_these_tests_is_valid() {
    let manifest = parse(BASE).unwrap();
    assert_eq!(manifest.promotions.len(), 1);
}

#[test]
fn example_manifest_parses_with_its_variables_set() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/spark-promote.yaml");
    let manifest = manifest::load(&path, &env, &no_hosts()).unwrap();
    assert_eq!(manifest.path, path);

    let uat = &manifest.environments["uat"];
    assert_eq!(uat.tenant, "acme-uat");
    assert_eq!(
        uat.url.as_str(),
        "https://excel.uat.us.coherent.global/acme-uat"
    );
    let Auth::OAuth2 {
        client_id,
        client_secret,
        token_url,
    } = &uat.auth
    else {
        panic!("uat should use oauth2: {:?}", uat.auth);
    };
    assert_eq!(client_id, "uat-client-id-4411");
    assert_eq!(client_secret.expose_secret(), "uat-secret-9d2f");
    assert_eq!(
        token_url.as_str(),
        "https://keycloak.uat.us.coherent.global/auth/realms/acme-uat/protocol/openid-connect/token"
    );
    let prod = &manifest.environments["prod"];
    assert_eq!(prod.tenant, "acme");
    assert!(
        matches!(&prod.auth, Auth::Bearer(token) if token.expose_secret() == "prod-token-7c1e")
    );

    let [to_uat, to_prod, sync] = manifest.promotions.as_slice() else {
        panic!("expected three promotions: {:?}", manifest.promotions);
    };
    assert_eq!(
        (to_prod.name.as_str(), to_prod.to.as_str()),
        ("uat-to-prod", "prod")
    );
    assert_eq!(to_prod.update_version_type, UpdateVersionType::Copy);
    assert_eq!(
        (sync.name.as_str(), sync.to.as_str(), sync.services_existing),
        ("nightly-sync", "test", ServicesExisting::Replace)
    );
    assert_eq!(to_uat.name, "dev-to-uat");
    assert_eq!(to_uat.to, "uat");
    assert_eq!(to_uat.services_existing, ServicesExisting::AddVersion);
    assert_eq!(to_uat.update_version_type, UpdateVersionType::Copy);
    assert_eq!(to_uat.source_system.as_deref(), Some("acme-ci"));
    assert_eq!(
        to_uat.source,
        Source::Environment {
            environment: "dev".into(),
            services: vec!["pricing/quote".into(), "pricing/rate".into()],
            folders: vec![],
            version_ids: vec![],
            version_filter: VersionFilter::Latest,
        }
    );
    assert!(to_uat.services.is_empty());
}

#[test]
fn debug_of_a_manifest_never_shows_a_secret() {
    let manifest = parse(BASE).unwrap();
    let debug = format!("{manifest:?} {:#?}", manifest.environments);
    for (_, value) in VARS {
        assert!(!debug.contains(value), "{value} leaked into {debug}");
    }
    assert!(debug.contains("REDACTED"), "{debug}");
}

#[test]
fn secret_values_hold_every_resolved_secret_and_referenced_client_ids() {
    let manifest = parse(BASE).unwrap();
    let mut values: Vec<&str> = manifest
        .secret_values()
        .into_iter()
        .map(|s| s.expose_secret())
        .collect();
    values.sort();
    assert_eq!(
        values,
        ["prod-token-7c1e", "uat-client-id-4411", "uat-secret-9d2f"]
    );

    let literal_id = base_with(r#""${SPARK_UAT_CLIENT_ID}""#, "ci-literal");
    let manifest = parse(&literal_id).unwrap();
    let values: Vec<&str> = manifest
        .secret_values()
        .into_iter()
        .map(|s| s.expose_secret())
        .collect();
    assert!(
        !values.contains(&"ci-literal"),
        "a literal client id is not masked: {values:?}"
    );
}

#[test]
fn a_manifest_can_be_checked_without_its_secrets() {
    let variables =
        manifest::check_without_secrets(BASE, "m.yaml", Path::new("."), &no_hosts()).unwrap();
    assert_eq!(
        variables,
        [
            "SPARK_UAT_CLIENT_ID",
            "SPARK_UAT_CLIENT_SECRET",
            "SPARK_PROD_TOKEN"
        ]
    );
    // Still every other rule.
    let literal = base_with("${SPARK_PROD_TOKEN}", "tok-literal");
    let error = manifest::check_without_secrets(&literal, "m.yaml", Path::new("."), &no_hosts())
        .unwrap_err();
    assert!(error.to_string().contains("not a literal value"), "{error}");
}

#[test]
fn select_returns_named_promotions_in_manifest_order_and_lists_unknown_ones() {
    let text = format!(
        "{BASE}  - name: second\n    from: {{ package: p.zip }}\n    to: uat\n  - name: third\n    from: {{ package: q.zip }}\n    to: uat\n"
    );
    let manifest = parse(&text).unwrap();
    let names = |selected: Vec<&manifest::Promotion>| {
        selected.iter().map(|p| p.name.clone()).collect::<Vec<_>>()
    };
    assert_eq!(
        names(manifest.select(&[]).unwrap()),
        ["pricing", "second", "third"]
    );
    assert_eq!(
        names(
            manifest
                .select(&["third".into(), "pricing".into()])
                .unwrap()
        ),
        ["pricing", "third"]
    );
    insta::assert_snapshot!(
        "select_unknown",
        manifest
            .select(&["pricng".into(), "pricing".into()])
            .unwrap_err()
            .to_string()
    );
}

#[test]
fn a_loopback_environment_gets_its_token_url_on_the_same_host() {
    let text = base_with(
        "https://excel.uat.us.coherent.global/acme-uat",
        "http://127.0.0.1:41234/acme",
    );
    let manifest = parse(&text).unwrap();
    let Auth::OAuth2 { token_url, .. } = &manifest.environments["uat"].auth else {
        panic!("expected oauth2");
    };
    assert_eq!(
        token_url.as_str(),
        "http://127.0.0.1:41234/auth/realms/acme/protocol/openid-connect/token"
    );
}

#[test]
fn an_allowed_host_is_accepted_over_https() {
    let text = base_with("excel.prod.us.coherent.global", "spark.example.com");
    let hosts = HostPolicy::new(&["spark.example.com".into()]).unwrap();
    assert!(parse_with(&text, &env, &hosts).is_ok());
}

#[test]
fn all_semantic_errors_are_reported_at_once_in_file_order() {
    let text = base_with("to: prod", "to: staging")
        .replacen("bearer: ${SPARK_PROD_TOKEN}", "bearer: ${SPARK_MISSING}", 1)
        .replacen(
            "https://excel.uat.us.coherent.global",
            "http://excel.uat.us.coherent.global",
            1,
        );
    let error = parse(&text).unwrap_err();
    assert_eq!(error.diagnostics.len(), 3, "{error}");
    assert!(
        error.diagnostics.windows(2).all(|w| w[0].line <= w[1].line),
        "{error}"
    );
    assert_error_snapshot!("several_errors", &text);
}

// One snapshot per message a user can meet.

#[test]
fn unknown_key_lists_the_valid_keys_and_suggests_the_nearest() {
    assert_error_snapshot!(
        "unknown_key",
        &base_with(
            "services_existing: add_version",
            "service_existing: add_version"
        )
    );
}

#[test]
fn wrong_type_names_the_key_and_says_what_was_expected_and_found() {
    assert_error_snapshot!(
        "wrong_type_list",
        &base_with("services: [pricing/quote]", "services: pricing/quote")
    );
    assert_error_snapshot!(
        "wrong_type_version",
        &base_with("version: 1", "version: one")
    );
    assert_error_snapshot!(
        "wrong_type_mapping",
        &base_with(
            "from: { environment: uat, services: [pricing/quote] }",
            "from: uat"
        )
    );
    assert_error_snapshot!(
        "wrong_type_list_in_a_string",
        &base_with("to: prod", "to: [prod]")
    );
    assert_error_snapshot!(
        "wrong_type_service_mappings",
        &base_with(
            "    to: prod\n",
            "    to: prod\n    services: pricing/quote\n"
        )
    );
}

#[test]
fn bad_enum_value_lists_the_valid_values() {
    assert_error_snapshot!(
        "bad_enum",
        &base_with(
            "services_existing: add_version",
            "services_existing: update"
        )
    );
}

#[test]
fn missing_key_is_named() {
    assert_error_snapshot!("missing_key", &base_with("    to: prod\n", ""));
}

#[test]
fn unsupported_version_is_an_error() {
    assert_error_snapshot!(
        "unsupported_version",
        &base_with("version: 1", "version: 2")
    );
}

#[test]
fn literal_secret_is_refused_without_echoing_it() {
    let text = base_with("${SPARK_PROD_TOKEN}", "eyJhbGciOiJIUzI1NiJ9.literal-token");
    let message = error_of(&text);
    assert!(!message.contains("literal-token"), "{message}");
    assert_error_snapshot!("literal_secret", &text);
}

#[test]
fn malformed_reference_is_refused_without_echoing_it() {
    let text = base_with("${SPARK_PROD_TOKEN}", "${spark_prod_token}");
    assert!(!error_of(&text).contains("spark_prod_token"));
    assert_error_snapshot!("malformed_reference", &text);
}

#[test]
fn missing_or_empty_variable_is_named() {
    assert_error_snapshot!(
        "missing_variable",
        &base_with("${SPARK_PROD_TOKEN}", "${SPARK_PROD_TOKN}")
    );
    let empty = |name: &str| {
        if name == "SPARK_PROD_TOKEN" {
            Some(String::new())
        } else {
            env(name)
        }
    };
    let error = parse_with(BASE, &empty, &no_hosts()).unwrap_err();
    insta::assert_snapshot!("empty_variable", error.to_string());
}

#[test]
fn unquoted_references_in_braces_are_read_as_design_md_writes_them() {
    use secrecy::ExposeSecret;
    let text = r#"version: 1
environments:
  uat:
    url: https://excel.uat.us.coherent.global/acme-uat
    auth:
      oauth2: { client_id: ${SPARK_UAT_CLIENT_ID}, client_secret: ${SPARK_UAT_CLIENT_SECRET} }
  prod:
    url: https://excel.prod.us.coherent.global/acme
    auth: { bearer: ${SPARK_PROD_TOKEN} }
promotions:
  - { name: p, from: { environment: uat, services: [pricing/quote] }, to: prod, source_system: "${NOT_SECRET}" }
"#;
    let manifest = parse(text).expect("the design's syntax parses");
    let secrets: Vec<String> = manifest
        .secret_values()
        .iter()
        .map(|secret| secret.expose_secret().to_owned())
        .collect();
    for name in ["SPARK_UAT_CLIENT_SECRET", "SPARK_PROD_TOKEN"] {
        let value = env(name).unwrap();
        assert!(secrets.contains(&value), "{name} was not resolved");
    }
    assert_eq!(
        manifest.promotions[0].source_system.as_deref(),
        Some("${NOT_SECRET}")
    );
    let missing = parse(&text.replace("${SPARK_PROD_TOKEN}", "${SPARK_UNSET_TOKEN}")).unwrap_err();
    assert_eq!(
        missing.to_string(),
        "spark-promote.yaml:9:21: environment variable SPARK_UNSET_TOKEN is not set (needed by `bearer`)"
    );
}

#[test]
fn unknown_environment_is_located_on_the_reference_and_lists_known_ones() {
    assert_error_snapshot!(
        "unknown_environment_to",
        &base_with("to: prod", "to: production")
    );
    assert_error_snapshot!(
        "unknown_environment_from",
        &base_with("environment: uat", "environment: staging")
    );
}

#[test]
fn duplicate_promotion_name_points_at_the_second() {
    let text = format!("{BASE}  - name: pricing\n    from: {{ package: p.zip }}\n    to: uat\n");
    assert_error_snapshot!("duplicate_promotion", &text);
}

#[test]
fn duplicate_environment_is_refused_by_the_parser() {
    let text = base_with("  prod:\n", "  uat:\n");
    assert_error_snapshot!("duplicate_environment", &text);
}

#[test]
fn bad_names_are_refused() {
    assert_error_snapshot!(
        "bad_promotion_name",
        &base_with("name: pricing", "name: pricing quote")
    );
}

#[test]
fn plain_http_to_a_non_loopback_host_is_refused() {
    assert_error_snapshot!(
        "http_not_loopback",
        &base_with("https://excel.prod", "http://excel.prod")
    );
}

#[test]
fn host_not_allowed_is_refused_with_the_way_to_allow_it() {
    assert_error_snapshot!(
        "host_not_allowed",
        &base_with("excel.prod.us.coherent.global", "spark.evil.example")
    );
}

#[test]
fn token_url_obeys_the_host_policy() {
    let text = base_with(
        r#"client_secret: "${SPARK_UAT_CLIENT_SECRET}" }"#,
        r#"client_secret: "${SPARK_UAT_CLIENT_SECRET}", token_url: "https://tokens.evil.example/t" }"#,
    );
    assert_error_snapshot!("token_url_not_allowed", &text);
}

#[test]
fn url_without_tenant_is_refused() {
    assert_error_snapshot!(
        "url_without_tenant",
        &base_with("coherent.global/acme\n", "coherent.global\n")
    );
}

#[test]
fn auth_needs_exactly_one_kind() {
    assert_error_snapshot!(
        "auth_two_kinds",
        &base_with(
            "bearer: ${SPARK_PROD_TOKEN}",
            "bearer: ${SPARK_PROD_TOKEN}\n      api_key: ${SPARK_PROD_API_KEY}"
        )
    );
}

#[test]
fn from_needs_exactly_one_of_environment_or_package() {
    assert_error_snapshot!(
        "from_both",
        &base_with(
            "services: [pricing/quote] }",
            "services: [pricing/quote], package: p.zip }"
        )
    );
    assert_error_snapshot!(
        "from_neither",
        &base_with("{ environment: uat, services: [pricing/quote] }", "{}")
    );
    assert_error_snapshot!(
        "package_with_export_keys",
        &base_with(
            "{ environment: uat, services: [pricing/quote] }",
            "{ package: p.zip, folders: [pricing] }"
        )
    );
}

#[test]
fn an_export_needs_something_to_export() {
    assert_error_snapshot!(
        "export_nothing",
        &base_with(
            "{ environment: uat, services: [pricing/quote] }",
            "{ environment: uat }"
        )
    );
}

#[test]
fn bad_service_uris_are_refused() {
    let text = base_with("services: [pricing/quote]", r#"services: [pricing, "pricing/quote[x]", "pricing/quote[1.2]"]"#)
        .replacen(
            "    to: prod\n",
            "    to: prod\n    services:\n      - { source: \"pricing/quote[1.0]\", destination: quote }\n",
            1,
        );
    assert_error_snapshot!("bad_service_uri", &text);
}

#[test]
fn bad_version_id_is_refused() {
    assert_error_snapshot!(
        "bad_version_id",
        &base_with("services: [pricing/quote]", "version_ids: [not-a-uuid]")
    );
}

#[test]
fn absolute_package_path_is_refused() {
    assert_error_snapshot!(
        "absolute_package",
        &base_with(
            "{ environment: uat, services: [pricing/quote] }",
            "{ package: /etc/passwd }"
        )
    );
}

/// Runs `parse` on hostile input and checks it fails fast.
fn hostile(text: &str) -> String {
    let started = Instant::now();
    let message = error_of(text);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    message
}

#[test]
fn anchors_and_merge_keys_share_settings_between_promotions() {
    let text = format!(
        "{BASE}  - <<: &defaults {{ to: prod, services_existing: replace, update_version_type: copy }}\n    name: second\n    from: {{ package: p.zip }}\n  - <<: *defaults\n    name: third\n    from: {{ package: q.zip }}\n"
    );
    let manifest = parse(&text).unwrap();
    let third = &manifest.promotions[2];
    assert_eq!((third.name.as_str(), third.to.as_str()), ("third", "prod"));
    assert_eq!(third.services_existing, ServicesExisting::Replace);
    assert_eq!(third.update_version_type, UpdateVersionType::Copy);
}

#[test]
fn alias_bomb_through_merge_keys_is_refused_quickly() {
    // Billion laughs that stays type-correct: each promotion merges the previous one ten times, so the last
    // would replay 10^9 copies of the first.
    let mut text = String::from(
        "version: 1\nenvironments: {}\npromotions:\n  - &p0 {name: a, to: a, from: {package: p}}\n",
    );
    for level in 1..=9 {
        let previous = vec![format!("*p{}", level - 1); 10].join(", ");
        text.push_str(&format!(
            "  - &p{level} {{<<: [{previous}], name: p{level}}}\n"
        ));
    }
    insta::assert_snapshot!("alias_bomb", hostile(&text));
}

#[test]
fn too_many_aliases_are_refused() {
    let aliases = vec!["*s"; 2_000].join(", ");
    let text = base_with(
        "services: [pricing/quote]",
        &format!("folders: [&s pricing, {aliases}]"),
    );
    insta::assert_snapshot!("too_many_aliases", hostile(&text));
}

#[test]
fn deep_nesting_is_refused_quickly() {
    // The parser is driven by the manifest's types, so it stops at the first level that cannot nest (no
    // valid manifest is deeper than 6; the depth budget of 16 is the backstop) and never reads the rest.
    let depth = 100_000;
    let flow = format!(
        "version: 1\nenvironments: {{a: {{url: {}{}}}}}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    insta::assert_snapshot!("too_deep", hostile(&flow));
    let block: String = (0..200)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i + 2)))
        .collect();
    insta::assert_snapshot!(
        "too_deep_block",
        hostile(&format!("version: 1\nenvironments:\n{block}"))
    );
}

#[test]
fn too_large_manifest_is_refused_before_parsing() {
    let text = format!("{BASE}# {}\n", "x".repeat(manifest::MAX_BYTES));
    insta::assert_snapshot!("too_large", hostile(&text));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spark-promote.yaml");
    std::fs::write(&path, &text).unwrap();
    let error = manifest::load(&path, &env, &no_hosts()).unwrap_err();
    assert_eq!(error.diagnostics.len(), 1);
    assert!(
        error
            .to_string()
            .ends_with("the manifest is larger than 1024 KiB; is this the right file?"),
        "{error}"
    );
}

#[test]
fn missing_manifest_file_is_a_whole_file_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.yaml");
    let error = manifest::load(&path, &env, &no_hosts()).unwrap_err();
    assert_eq!(
        (error.diagnostics[0].line, error.diagnostics[0].column),
        (0, 0)
    );
    assert!(
        error.to_string().contains("cannot read the manifest"),
        "{error}"
    );
}

#[test]
fn package_paths_resolve_against_the_manifest_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("deploy")).unwrap();
    let path = dir.path().join("deploy/spark-promote.yaml");
    let text = base_with(
        "{ environment: uat, services: [pricing/quote] }",
        "{ package: ../packages/p.zip }",
    );
    std::fs::write(&path, text).unwrap();
    let manifest = manifest::load(&path, &env, &no_hosts()).unwrap();
    let Source::Package {
        path: package,
        display,
    } = &manifest.promotions[0].source
    else {
        panic!("expected a package source");
    };
    assert_eq!(package, &dir.path().join("deploy/../packages/p.zip"));
    assert_eq!(display, "../packages/p.zip");
}

#[test]
fn sdk_variables_make_an_environment() {
    let vars: HashMap<&str, &str> = [
        (
            "CSPARK_BASE_URL",
            "https://excel.uat.us.coherent.global/acme",
        ),
        ("CSPARK_BEARER_TOKEN", "tok-1234"),
    ]
    .into();
    let lookup = |name: &str| vars.get(name).map(|v| v.to_string());
    let environment = manifest::environment_from_sdk_vars(&lookup, &no_hosts()).unwrap();
    assert_eq!(
        (environment.name.as_str(), environment.tenant.as_str()),
        ("cspark", "acme")
    );
    assert!(!format!("{environment:?}").contains("tok-1234"));
}

#[test]
fn schema_is_a_reviewed_snapshot() {
    insta::assert_json_snapshot!("schema", manifest::schema());
}

#[test]
fn every_key_of_the_example_is_in_the_schema() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/spark-promote.yaml"),
    )
    .unwrap();
    let example: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let schema = manifest::schema();
    let mut checked = 0;
    walk(&schema, &schema, &example, "", &mut checked);
    assert!(checked > 20, "only {checked} keys checked");
}

/// Checks that every key of `value` is a property of `schema` (following `$ref`, arrays and maps) and that
/// every required property is present.
fn walk(
    root: &serde_json::Value,
    schema: &serde_json::Value,
    value: &serde_json::Value,
    at: &str,
    checked: &mut usize,
) {
    let schema = resolve(root, schema);
    match value {
        serde_json::Value::Object(map) => {
            if let Some(properties) = schema.get("properties").and_then(|p| p.as_object()) {
                for required in schema
                    .get("required")
                    .and_then(|r| r.as_array())
                    .into_iter()
                    .flatten()
                {
                    assert!(
                        map.contains_key(required.as_str().unwrap()),
                        "{at}: missing required {required}"
                    );
                }
                for (key, child) in map {
                    let property = properties
                        .get(key)
                        .unwrap_or_else(|| panic!("{at}.{key} is not in the schema"));
                    *checked += 1;
                    walk(root, property, child, &format!("{at}.{key}"), checked);
                }
            } else if let Some(values) =
                schema.get("additionalProperties").filter(|v| v.is_object())
            {
                for (key, child) in map {
                    walk(root, values, child, &format!("{at}.{key}"), checked);
                }
            }
        }
        serde_json::Value::Array(items) => {
            let item_schema = schema
                .get("items")
                .unwrap_or_else(|| panic!("{at}: the schema has no items"));
            for (i, item) in items.iter().enumerate() {
                walk(root, item_schema, item, &format!("{at}[{i}]"), checked);
            }
        }
        serde_json::Value::String(text) => {
            if let Some(allowed) = schema.get("enum").and_then(|e| e.as_array()) {
                assert!(
                    allowed.iter().any(|a| a == text),
                    "{at}: {text} is not one of {allowed:?}"
                );
            }
        }
        _ => {}
    }
}

/// Follows a local `$ref`, and the single non-null branch of an `anyOf`/`oneOf` (how optional fields appear).
fn resolve<'a>(
    root: &'a serde_json::Value,
    schema: &'a serde_json::Value,
) -> &'a serde_json::Value {
    if let Some(reference) = schema.get("$ref").and_then(|r| r.as_str()) {
        let pointer = reference.trim_start_matches('#');
        return resolve(
            root,
            root.pointer(pointer)
                .unwrap_or_else(|| panic!("dangling {reference}")),
        );
    }
    for combinator in ["anyOf", "oneOf"] {
        if schema.get("properties").is_none()
            && let Some(branches) = schema.get(combinator).and_then(|b| b.as_array())
        {
            let non_null: Vec<_> = branches
                .iter()
                .filter(|b| b.get("type") != Some(&"null".into()))
                .collect();
            if let [single] = non_null.as_slice() {
                return resolve(root, single);
            }
        }
    }
    schema
}
