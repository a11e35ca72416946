//! Export, job status and tenant job lists: requests sent and lenient decoding of replies.
use super::*;

#[tokio::test]
async fn export_posts_the_request_json_once_even_on_503() {
    let server = MockServer::start().await;
    let request = ExportRequest {
        inputs: ExportInputs {
            services: vec!["pricing/quote".into()],
            ..ExportInputs::default()
        },
        correlation_id: Some("c-1".into()),
        ..ExportRequest::default()
    };
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/api/v4/export")))
        .and(body_json(
            json!({"inputs": {"services": ["pricing/quote"]}, "correlation_id": "c-1"}),
        ))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server, bearer());
    assert!(
        client
            .export(&request)
            .await
            .unwrap_err()
            .status()
            .is_some()
    );

    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(ok_json(
            json!({"id": "e-1", "object": "export", "status_url": "http://x/status"}),
        ))
        .mount(&server)
        .await;
    let job = client.export(&request).await.unwrap();
    assert_eq!(job.id, "e-1");
    assert_eq!(job.status, None);
}

#[tokio::test]
async fn export_with_nothing_to_export_is_refused_locally() {
    let server = MockServer::start().await;
    let error = client(&server, bearer())
        .export(&ExportRequest::default())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Invalid(_)));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn job_status_decodes_the_documented_sample_and_tolerates_unknown_fields() {
    let server = MockServer::start().await;
    let mut sample = json!({
        "object": "import", "id": JOB, "response_timestamp": "2023-11-01T03:21:34.573Z",
        "status": "completed", "status_url": "https://x/mytenant/v4/import/1/status", "process_time": 3453,
        "outputs": {
            "services": [{
                "service_uri_source": "myproduct/myservice", "folder_source": "myproduct",
                "service_source": "myservice", "service_id_source": "ad04acec",
                "service_uri_destination": "newproduct/newservice", "folder_destination": "newproduct",
                "service_destination": "newservice", "service_id_destination": "5d14d6a4", "status": "replaced"
            }],
            "service_versions": [{
                "service_uri_source": "myproduct/myservice[1.1.0]", "folder_source": "myproduct",
                "service_source": "myservice", "version_source": "1.1.0", "service_id_source": "ad04acec",
                "version_id_source": "e0901e15", "folder_destination": "newproduct",
                "service_destination": "newservice", "version_destination": "1.1.0",
                "service_uri_destination": "/newproduct/newservice[1.1.0]", "service_id_destination": "6bd0337c",
                "version_id_destination": "280341de", "status": "added", "brand_new_field": [1, 2]
            }],
            "something_else": {}
        },
        "source_system": "mycicd", "correlation_id": "456", "unexpected": true
    });
    Mock::given(method("GET"))
        .respond_with(ok_json(sample.clone()))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    sample["status"] = json!("failed");
    sample["errors"] =
        json!([{"code": "E42", "message": "folder newproduct does not exist"}, "plain text"]);
    sample["warnings"] = json!("one warning");
    sample["outputs"] = Value::Null;
    Mock::given(method("GET"))
        .respond_with(ok_json(sample))
        .mount(&server)
        .await;
    let client = client(&server, bearer());

    let status = client.import_status(JOB).await.unwrap();
    assert!(status.succeeded());
    assert_eq!(status.process_time, Some(3453));
    assert_eq!(status.correlation_id.as_deref(), Some("456"));
    assert!(status.errors.is_empty() && status.warnings.is_empty());
    assert_eq!(
        status.outputs.services[0].status,
        Some(ItemStatus::Replaced)
    );
    let version = &status.outputs.service_versions[0];
    assert_eq!(version.version_destination.as_deref(), Some("1.1.0"));
    assert_eq!(version.version_id_destination.as_deref(), Some("280341de"));
    assert_eq!(version.status, Some(ItemStatus::Added));

    let failed = client.import_status(JOB).await.unwrap();
    assert!(!failed.succeeded() && failed.status.is_terminal());
    let errors: Vec<String> = failed.errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors, ["folder newproduct does not exist", "plain text"]);
    assert_eq!(failed.errors[0].code.as_deref(), Some("E42"));
    assert_eq!(failed.warnings[0].to_string(), "one warning");
    assert!(failed.outputs.services.is_empty());
}

#[tokio::test]
async fn export_status_lists_the_pre_signed_files() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/{TENANT}/api/v4/export/e-1/status")))
        .respond_with(ok_json(json!({
            "id": "e-1", "object": "export", "status": "closed", "errors": [],
            "outputs": {
                "files": [{"file": "https://store/tokens/abc/package.zip", "file_hash": "9f86"}],
                "services": [{"service_uri_source": "pricing/quote", "service_id_source": "s-1"}],
                "service_versions": [{"service_uri_source": "pricing/quote[1.1.0]", "version_source": "1.1.0"}]
            }
        })))
        .mount(&server)
        .await;

    let status = client(&server, bearer())
        .export_status("e-1")
        .await
        .unwrap();
    assert!(status.succeeded());
    assert_eq!(status.outputs.files[0].file_hash.as_deref(), Some("9f86"));
    assert_eq!(status.outputs.services[0].status, None);
    assert_eq!(
        status.outputs.service_versions[0].version_source.as_deref(),
        Some("1.1.0")
    );
}

#[tokio::test]
async fn tenant_job_lists_decode_for_imports_and_exports() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/{TENANT}/api/v4/import/status")))
        .respond_with(ok_json(json!({
            "in_progress_imports": [{
                "object": "import", "id": "8ecadd1b",
                "data": {"import_status": "in_progress", "created_by": "ci@x", "process_time": 0,
                         "created_timestamp": "2025-08-14T10:16:33.082Z", "updated_timestamp": "2025-08-14T10:16:33.305Z"}
            }],
            "recent_imports": [{"object": "import", "id": "77", "data": {"import_status": "completed", "correlation_id": "c-9"}}],
            "tenant": {"configuration": {"import_api_job_limit": 1}, "status": {"import_api_jobs_in_progress": 1}}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/{TENANT}/api/v4/export/status")))
        .respond_with(ok_json(
            json!({"in_progress_exports": null, "recent_exports": [
                {"id": "e-2", "data": {"export_status": "failed"}}
            ]}),
        ))
        .mount(&server)
        .await;
    let client = client(&server, bearer());

    let imports = client.import_jobs().await.unwrap();
    let running = &imports.in_progress[0];
    assert_eq!(running.id, "8ecadd1b");
    assert_eq!(running.data.status, Some(JobState::InProgress));
    assert_eq!(running.data.created_by.as_deref(), Some("ci@x"));
    assert_eq!(running.data.correlation_id, None);
    assert_eq!(
        imports.recent[0].data.correlation_id.as_deref(),
        Some("c-9")
    );
    let tenant = imports.tenant.unwrap();
    assert_eq!(
        (
            tenant.configuration.job_limit,
            tenant.status.jobs_in_progress
        ),
        (Some(1), Some(1))
    );

    let exports = client.export_jobs().await.unwrap();
    assert!(exports.in_progress.is_empty());
    assert_eq!(exports.recent[0].data.status, Some(JobState::Failed));
}

#[tokio::test]
async fn a_success_body_that_is_not_json_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>login</html>"))
        .mount(&server)
        .await;
    let error = client(&server, bearer())
        .import_status(JOB)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
    assert!(error.to_string().contains("<html>login</html>"), "{error}");
}
