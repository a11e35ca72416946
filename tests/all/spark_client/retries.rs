//! Retries of idempotent calls: 429 with Retry-After, 502/503/504, dropped connections, cancels.
use super::*;

async fn failing_then_ok(server: &MockServer, failures: Vec<ResponseTemplate>) {
    for (i, failure) in failures.into_iter().enumerate() {
        Mock::given(method("GET"))
            .respond_with(failure)
            .up_to_n_times(1)
            .with_priority(u8::try_from(i + 1).unwrap())
            .mount(server)
            .await;
    }
    mount_status(server, "completed").await;
}

#[tokio::test]
async fn get_honours_retry_after_on_429() {
    let server = MockServer::start().await;
    failing_then_ok(
        &server,
        vec![ResponseTemplate::new(429).insert_header("retry-after", "1")],
    )
    .await;

    let started = Instant::now();
    client(&server, bearer()).import_status(JOB).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn get_is_retried_on_502_503_and_504() {
    let server = MockServer::start().await;
    let failures = [502, 503, 504].map(ResponseTemplate::new).to_vec();
    failing_then_ok(&server, failures).await;

    client(&server, bearer()).import_status(JOB).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 4);
    let ids: std::collections::HashSet<_> = requests
        .iter()
        .map(|r| header_of(r, "x-request-id"))
        .collect();
    assert_eq!(ids.len(), 4, "each attempt has its own request id");
}

#[tokio::test]
async fn get_gives_up_after_max_retries_with_the_last_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"message": "maintenance"})))
        .mount(&server)
        .await;

    let client = Client::new(base(&server.uri()), bearer(), fast_options(2)).unwrap();
    let error = client.export_jobs().await.unwrap_err();
    assert_eq!(
        error.status(),
        Some(reqwest::StatusCode::SERVICE_UNAVAILABLE)
    );
    assert!(error.to_string().contains("maintenance"), "{error}");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn get_is_not_retried_on_a_client_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    client(&server, bearer())
        .import_status(JOB)
        .await
        .unwrap_err();
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn get_is_retried_after_a_dropped_connection() {
    let body = status_json("completed").to_string();
    let server = raw_server(move |n, mut stream| {
        let body = body.clone();
        async move {
            read_head(&mut stream).await;
            if n > 0 {
                respond_json(&mut stream, &body).await;
            }
        }
    })
    .await;
    let client = Client::new(base(&server.uri), bearer(), fast_options(3)).unwrap();

    let status = client.import_status(JOB).await.unwrap();
    assert_eq!(status.status, JobState::Completed);
    assert_eq!(server.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn cancel_patches_the_job_status_and_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(format!("/{TENANT}/api/v4/export/{JOB}")))
        .and(body_json(json!({"export_status": "cancelled"})))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/{TENANT}/api/v4/export/{JOB}")))
        .and(body_json(json!({"export_status": "cancelled"})))
        .respond_with(ok_json(
            json!({"id": JOB, "object": "export", "status": "cancelled"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/{TENANT}/api/v4/import/{JOB}")))
        .and(body_json(json!({"import_status": "cancelled"})))
        .respond_with(ok_json(
            json!({"id": JOB, "object": "import", "status": "cancelled"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server, bearer());

    assert_eq!(
        client.cancel_export(JOB).await.unwrap().status,
        JobState::Cancelled
    );
    assert_eq!(
        client.cancel_import(JOB).await.unwrap().status,
        JobState::Cancelled
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}
