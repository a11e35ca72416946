//! The client against the sandbox in `--compat spec`: every answer shaped as Coherent's OpenAPI file says.
use spark_promote::sandbox::{Compat, Config, Running, Seed};

use super::*;
use crate::support::package;
use crate::support::sandbox::{self as sb, calls, jobs, start};

async fn spec_sandbox(max_upload_bytes: u64) -> Running {
    let config = Config {
        compat: Compat::Spec,
        max_upload_bytes,
        ..sb::config()
    };
    start(config, Seed::demo()).await
}

fn prod(running: &Running, token: &str) -> Client {
    let base = Url::parse(&running.base_url("acme-prod")).unwrap();
    Client::new(
        base,
        Auth::Bearer(SecretString::from(token)),
        fast_options(3),
    )
    .unwrap()
}

/// A package of a new service `pricing/{service}` with `bytes` of payload.
fn new_service(dir: &tempfile::TempDir, service: &str, bytes: u64) -> std::path::PathBuf {
    let path = dir.path().join(format!("{service}.zip"));
    package::write(&path, &[&format!("pricing/{service}")], bytes);
    path
}

async fn wait_for_end(client: &Client, id: &str) -> spark_promote::spark::JobStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = client.import_status(id).await.unwrap();
        if status.status.is_terminal() {
            return status;
        }
        assert!(Instant::now() < deadline, "job {id} did not end");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_answered_with_id_object_and_status_url_completes_with_empty_errors() {
    let running = spec_sandbox(1 << 20).await;
    let client = prod(&running, "tok-acme-prod");
    let dir = tempfile::tempdir().unwrap();
    let package = new_service(&dir, "fresh", 100);
    let entity = ImportRequestEntity {
        correlation_id: Some("c-spec".into()),
        ..ImportRequestEntity::default()
    };
    let job = client.import(&package, &entity, None).await.unwrap();
    assert_eq!(job.status, None, "the spec's POST answer has no status");
    assert_eq!(job.object.as_deref(), Some("import"));
    let status = wait_for_end(&client, &job.id).await;
    assert!(status.succeeded(), "{status:?}");
    assert!(status.errors.is_empty() && status.warnings.is_empty());
    assert_eq!(status.correlation_id.as_deref(), Some("c-spec"));
    assert_eq!(status.outputs.services[0].status, Some(ItemStatus::Added));
    // The listing carries no correlation id: a client must look at each job's status.
    let listed = client.import_jobs().await.unwrap();
    assert_eq!(listed.recent[0].id, job.id);
    assert_eq!(listed.recent[0].data.correlation_id, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_import_reads_its_type_code_message_error() {
    let running = spec_sandbox(1 << 20).await;
    let client = prod(&running, "tok-acme-prod");
    let dir = tempfile::tempdir().unwrap();
    // pricing/quote exists in acme-prod; without services_existing the import aborts.
    let package = new_service(&dir, "quote", 100);
    let job = client
        .import(&package, &ImportRequestEntity::default(), None)
        .await
        .unwrap();
    let status = wait_for_end(&client, &job.id).await;
    assert_eq!(status.status, JobState::Failed);
    let [error] = status.errors.as_slice() else {
        panic!("one error: {status:?}")
    };
    assert_eq!(error.code.as_deref(), Some("IMPORT_FAILED"));
    assert!(error.message.contains("pricing/quote"), "{error:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_job_id_is_an_answer_read_once_not_retried() {
    let running = spec_sandbox(1 << 20).await;
    let client = prod(&running, "tok-acme-prod");
    let error = client.import_status(JOB).await.unwrap_err();
    assert_eq!(
        error.status(),
        Some(reqwest::StatusCode::INTERNAL_SERVER_ERROR)
    );
    assert_eq!(error.code(), Some("INVALID_JOB_ID"));
    assert!(
        error.to_string().starts_with(
            "import status refused (500): INVALID_JOB_ID: Please Provide valid job id; no such job on this tenant"
        ),
        "{error}"
    );
    assert_eq!(calls(&running, "import_status").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_over_the_limit_or_a_bad_zip_is_refused_with_its_code_and_not_ambiguous() {
    let running = spec_sandbox(4_000).await;
    let client = prod(&running, "tok-acme-prod");
    let dir = tempfile::tempdir().unwrap();
    let big = new_service(&dir, "big", 8_000);
    let bad = dir.path().join("bad.zip");
    std::fs::write(&bad, b"PK\x03\x04 this is no zip archive").unwrap();
    for (package, code, hint) in [
        (
            &big,
            "EXCEEDED_FILE_SIZE",
            "package over the tenant's size limit",
        ),
        (
            &bad,
            "INVALID_IMPORT_ZIP",
            "Spark could not read the package",
        ),
    ] {
        let error = client
            .import(package, &ImportRequestEntity::default(), None)
            .await
            .unwrap_err();
        assert_eq!(error.code(), Some(code), "{error}");
        assert!(!error.is_ambiguous(), "{error}");
        let shown = error.to_string();
        assert!(
            shown.starts_with(&format!("import refused (500): {code}: ")),
            "{shown}"
        );
        assert!(shown.contains(hint), "{shown}");
    }
    assert_eq!(calls(&running, "import").await, 2);
    assert!(jobs(&running).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_token_is_refused_with_invalid_token() {
    let running = spec_sandbox(1 << 20).await;
    let error = prod(&running, "not-a-token")
        .import_jobs()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(reqwest::StatusCode::UNAUTHORIZED));
    assert_eq!(error.code(), Some("INVALID_TOKEN"));
    assert!(
        error
            .to_string()
            .starts_with("import job list refused (401): INVALID_TOKEN; check the credentials"),
        "{error}"
    );
}
