//! Import: the streamed multipart upload, never retried, ambiguous when the connection drops after sending.
use super::*;

#[tokio::test]
async fn import_sends_the_package_and_the_exact_entity_as_multipart() {
    let server = MockServer::start().await;
    mount_import(&server).await;
    let (_dir, package) = temp_package(1000);

    let job = client(&server, bearer())
        .import(&package, &entity(), None)
        .await
        .unwrap();
    assert_eq!(job.id, JOB);
    assert_eq!(job.status, Some(JobState::Created));

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(
        header_of(request, "authorization"),
        Some(format!("Bearer {BEARER}").as_str())
    );
    assert_eq!(
        header_of(request, "content-length").map(|l| l.parse::<usize>().unwrap()),
        Some(request.body.len())
    );
    let parts = multipart_parts(request);
    assert_eq!(parts.len(), 2);
    let entity_part = parts
        .iter()
        .find(|p| p.headers.contains(r#"name="importrequestentity""#))
        .unwrap();
    assert_eq!(
        String::from_utf8(entity_part.body.clone()).unwrap(),
        r#"{"inputs":{"services_modify":[{"service_uri_source":"myproduct/myservice","service_uri_destination":"newproduct/newservice","update_version_type":"major"}]},"services_existing":"add_version","source_system":"mycicd","correlation_id":"456"}"#
    );
    let file_part = parts
        .iter()
        .find(|p| p.headers.contains(r#"name="file""#))
        .unwrap();
    assert!(
        file_part.headers.contains(r#"filename="package.zip""#),
        "{}",
        file_part.headers
    );
    assert!(
        file_part.headers.contains("content-type: application/zip"),
        "{}",
        file_part.headers
    );
    assert_eq!(file_part.body, std::fs::read(&package).unwrap());
}

#[tokio::test]
async fn import_streams_a_large_package_and_progress_reaches_the_total() {
    let server = MockServer::start().await;
    mount_import(&server).await;
    let len = 20 * 1024 * 1024;
    let (_dir, package) = temp_package(len);
    let seen = Mutex::new(Vec::new());
    let progress = |sent: u64, total: u64| seen.lock().unwrap().push((sent, total));

    client(&server, bearer())
        .import(&package, &entity(), Some(&progress))
        .await
        .unwrap();

    let seen = seen.into_inner().unwrap();
    let total = len as u64;
    assert!(
        seen.len() > 10,
        "progress is reported as the file streams: {} reports",
        seen.len()
    );
    assert!(
        seen.windows(2).all(|w| w[0].0 < w[1].0),
        "progress only grows"
    );
    assert!(seen.iter().all(|(_, t)| *t == total));
    assert_eq!(seen.last(), Some(&(total, total)));
    let request = &server.received_requests().await.unwrap()[0];
    let file = multipart_parts(request)
        .into_iter()
        .find(|p| p.headers.contains(r#"name="file""#))
        .unwrap();
    assert_eq!(
        Sha256::digest(&file.body),
        Sha256::digest(std::fs::read(&package).unwrap())
    );
}

#[tokio::test]
async fn import_is_not_retried_on_503() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
        .expect(1)
        .mount(&server)
        .await;
    let (_dir, package) = temp_package(10);

    let error = client(&server, bearer())
        .import(&package, &entity(), None)
        .await
        .unwrap_err();
    assert_eq!(
        error.status(),
        Some(reqwest::StatusCode::SERVICE_UNAVAILABLE)
    );
    assert!(!error.is_ambiguous());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn import_after_a_401_is_sent_again_in_full_with_a_fresh_token() {
    let server = rotating_token_server().await;
    mount_import(&server).await;
    let (_dir, package) = temp_package(300_000);

    let client = client(&server, client_credentials(&server.uri()));
    client.import(&package, &entity(), None).await.unwrap();

    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 2);
    let uploads = requests_to(&server, &format!("/{TENANT}/api/v4/import")).await;
    assert_eq!(uploads.len(), 2);
    let file = multipart_parts(&uploads[1])
        .into_iter()
        .find(|p| p.headers.contains(r#"name="file""#));
    assert_eq!(file.unwrap().body.len(), 300_000);
}

#[tokio::test]
async fn import_connection_dropped_after_sending_is_ambiguous_and_not_retried() {
    let server = raw_server(|_, mut stream| async move {
        read_head(&mut stream).await;
        drop(stream);
    })
    .await;
    let (_dir, package) = temp_package(2 * 1024 * 1024);
    let client = Client::new(base(&server.uri), bearer(), fast_options(3)).unwrap();

    let error = client.import(&package, &entity(), None).await.unwrap_err();
    assert!(error.is_ambiguous(), "{error}");
    assert!(
        error.to_string().contains("may have accepted it"),
        "{error}"
    );
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn import_to_a_closed_port_is_not_ambiguous() {
    let uri = closed_port_uri();
    let (_dir, package) = temp_package(10);
    let client = Client::new(base(&uri), bearer(), fast_options(3)).unwrap();

    let error = client.import(&package, &entity(), None).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                ambiguous: false,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn import_of_a_missing_package_names_the_file() {
    let server = MockServer::start().await;
    let error = client(&server, bearer())
        .import(Path::new("no/such/package.zip"), &entity(), None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Io { .. }));
    assert!(
        error
            .to_string()
            .starts_with("failed to read package no/such/package.zip"),
        "{error}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn import_refused_before_the_upload_finished_reports_the_status() {
    let server = raw_server(|_, mut stream| async move {
        read_head(&mut stream).await;
        let body = r#"{"error":"package over the limit"}"#;
        let head = format!(
            "HTTP/1.1 413 Payload Too Large\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.write_all(body.as_bytes()).await;
        // Drain what the client still sends, as a server lingering on close does.
        let mut sink = [0u8; 65536];
        while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
    let (_dir, package) = temp_package(8 * 1024 * 1024);
    let client = Client::new(base(&server.uri), bearer(), fast_options(3)).unwrap();

    let error = client.import(&package, &entity(), None).await.unwrap_err();
    assert_eq!(
        error.status(),
        Some(reqwest::StatusCode::PAYLOAD_TOO_LARGE),
        "{error}"
    );
    assert!(!error.is_ambiguous());
}
