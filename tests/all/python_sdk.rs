//! The official Python SDK (`cspark`) against the sandbox: export from one tenant, import into another,
//! with each of the SDK's auth kinds. The interpreter comes from SPARK_PROMOTE_PYTHON (scripts/test.sh).
use spark_promote::sandbox::{Compat, Seed};

use crate::support::cli::COMPATS;
use crate::support::sandbox::{self as sb, root};
use crate::support::tools::required_tool;

/// The round trip against each answer shape of the sandbox.
async fn sdk_round_trip(auth: &str) {
    let python = required_tool("SPARK_PROMOTE_PYTHON", "a python with cspark 0.3.3");
    for compat in COMPATS {
        sdk_round_trip_in(&python, auth, compat).await;
    }
}

async fn sdk_round_trip_in(python: &str, auth: &str, compat: Compat) {
    let running = sb::start_demo_in(compat).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/sdk_roundtrip.py");
    let mut command = tokio::process::Command::new(python);
    command
        .arg(script)
        .arg(root(&running))
        .arg("acme-uat")
        .arg("acme-prod")
        .arg(auth);
    let seed = Seed::demo();
    for (prefix, tenant) in [
        ("SANDBOX_SRC", &seed.tenants[0]),
        ("SANDBOX_DST", &seed.tenants[1]),
    ] {
        command
            .env(format!("{prefix}_TOKEN"), &tenant.bearer_tokens[0])
            .env(format!("{prefix}_API_KEY"), &tenant.api_keys[0])
            .env(format!("{prefix}_CLIENT_ID"), &tenant.clients[0].id)
            .env(format!("{prefix}_CLIENT_SECRET"), &tenant.clients[0].secret);
    }
    for var in [
        "CSPARK_BASE_URL",
        "CSPARK_BEARER_TOKEN",
        "CSPARK_API_KEY",
        "CSPARK_CLIENT_ID",
        "CSPARK_CLIENT_SECRET",
        "CSPARK_OAUTH_PATH",
    ] {
        command.env_remove(var);
    }
    let output = command.output().await.expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "sdk_roundtrip.py failed against --compat {compat:?}\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).expect("a JSON summary");
    assert_eq!(summary["versions"], serde_json::json!(["1.1.0", "1.2.0"]));
}

#[tokio::test]
#[ignore = "needs a python with cspark 0.3.3 (SPARK_PROMOTE_PYTHON): scripts/test.sh sets it up and runs ignored tests"]
async fn python_sdk_exports_and_imports_with_a_bearer_token() {
    sdk_round_trip("token").await;
}

#[tokio::test]
#[ignore = "needs a python with cspark 0.3.3 (SPARK_PROMOTE_PYTHON): scripts/test.sh sets it up and runs ignored tests"]
async fn python_sdk_exports_and_imports_with_an_api_key() {
    sdk_round_trip("api_key").await;
}

#[tokio::test]
#[ignore = "needs a python with cspark 0.3.3 (SPARK_PROMOTE_PYTHON): scripts/test.sh sets it up and runs ignored tests"]
async fn python_sdk_exports_and_imports_with_oauth_client_credentials() {
    sdk_round_trip("oauth").await;
}

/// `services.execute` of the official SDK (dict → v3, list → v4, `version/{id}` → v3 by id) against
/// each answer shape of the sandbox's Execute API.
#[tokio::test]
#[ignore = "needs a python with cspark 0.3.3 (SPARK_PROMOTE_PYTHON): scripts/test.sh sets it up and runs ignored tests"]
async fn python_sdk_executes_one_record_by_v3_and_a_list_by_v4() {
    let python = required_tool("SPARK_PROMOTE_PYTHON", "a python with cspark 0.3.3");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/sdk_execute.py");
    for compat in COMPATS {
        let running = sb::start_demo_in(compat).await;
        let output = tokio::process::Command::new(&python)
            .arg(script)
            .arg(root(&running))
            .arg("acme-uat")
            .env("SANDBOX_TOKEN", &Seed::demo().tenants[0].bearer_tokens[0])
            .env_remove("CSPARK_BASE_URL")
            .env_remove("CSPARK_BEARER_TOKEN")
            .output()
            .await
            .expect("python runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "sdk_execute.py failed against --compat {compat:?}\nstdout: {stdout}\nstderr: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let summary: serde_json::Value =
            serde_json::from_str(stdout.trim()).expect("a JSON summary");
        assert_eq!(summary["v3"]["premium"], 320.0);
        assert_eq!(
            sb::calls(&running, "execute_v4").await,
            1,
            "the list went to v4"
        );
        assert_eq!(
            sb::calls(&running, "execute_v3").await,
            1,
            "the dict went to v3"
        );
    }
}
