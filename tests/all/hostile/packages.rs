//! ZIP bombs and odd entries in uploaded packages, against a sandbox process whose memory and state
//! directory are measured: the job fails with a clear error, memory and disk stay bounded, nothing is
//! written outside the state directory.
use std::io::{Cursor, Write};

use serde_json::{Value, json};
use spark_promote::sandbox::PACKAGE_FORMAT;
use uuid::Uuid;
use zip::write::SimpleFileOptions;

use super::{assert_nothing_outside, assert_only_sandbox_files, disk_usage, sandbox_in, tree};
use crate::sandbox::{Api, assert_failed_with};
use crate::support::bin::{peak_rss_kb, spawn_sandbox};

/// The sandbox's upload limit in these tests, in KiB (one entry may expand to this much).
const LIMIT_KIB: u64 = 2048;

/// A sandbox package under construction: its manifest and its ZIP.
pub struct Package {
    services: Vec<Value>,
    zip: zip::ZipWriter<Cursor<Vec<u8>>>,
}

impl Package {
    pub fn new() -> Package {
        Package {
            services: vec![],
            zip: zip::ZipWriter::new(Cursor::new(Vec::new())),
        }
    }

    /// Adds an entry (deflated, unless tiny) without listing it in the manifest.
    pub fn entry(mut self, name: &str, content: &[u8]) -> Package {
        let method = if content.len() < 1024 {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let options = SimpleFileOptions::default().compression_method(method);
        self.zip.start_file(name, options).unwrap();
        self.zip.write_all(content).unwrap();
        self
    }

    /// Lists a service whose versions `1.0.0`, `1.0.1`, ... are stored in the given entries.
    pub fn service(mut self, folder: &str, service: &str, files: &[&str]) -> Package {
        let versions: Vec<Value> = files
            .iter()
            .enumerate()
            .map(|(i, file)| json!({"version": format!("1.0.{i}"), "version_id": Uuid::new_v4(), "file": file}))
            .collect();
        self.services.push(json!({
            "folder": folder, "service": service, "service_id": Uuid::new_v4(), "versions": versions,
        }));
        self
    }

    pub fn finish(self) -> Vec<u8> {
        let manifest = json!({
            "format": PACKAGE_FORMAT, "source_tenant": "hostile", "file_filter": "migrate",
            "services": self.services,
        });
        let package = self.entry("manifest.json", manifest.to_string().as_bytes());
        package.zip.finish().unwrap().into_inner()
    }
}

/// Imports a package into acme-prod's `pricing` folder (replacing what is there) and waits for the job.
pub async fn import(api: &Api, package: Vec<u8>) -> Value {
    let entity = json!({"services_existing": "replace"});
    api.import_and_wait("acme-prod", "tok-acme-prod", package, Some(entity))
        .await
}

fn zeros(kib: u64) -> Vec<u8> {
    vec![0u8; (kib << 10) as usize]
}

#[cfg(target_os = "linux")]
#[tokio::test]
#[allow(clippy::print_stderr)]
async fn zip_bombs_fail_their_jobs_clearly_with_memory_and_disk_bounded() {
    let root = tempfile::tempdir().unwrap();
    let state = root.path().join("state");
    let limit = (LIMIT_KIB / 1024).to_string();
    let (child, url) = spawn_sandbox(&[
        "--job-duration",
        "50ms",
        "--max-upload-mb",
        &limit,
        "--state-dir",
        state.to_str().unwrap(),
    ])
    .await;
    let api = Api {
        root: url,
        http: reqwest::Client::new(),
    };
    let ratio = Package::new()
        .entry("v.bin", &zeros(3 * LIMIT_KIB))
        .service("pricing", "quote", &["v.bin"])
        .finish();
    let files: Vec<String> = (0..6).map(|i| format!("v{i}.bin")).collect();
    let budget = files
        .iter()
        .fold(Package::new(), |p, f| p.entry(f, &zeros(3 * LIMIT_KIB / 4)))
        .service(
            "pricing",
            "quote",
            &files.iter().map(String::as_str).collect::<Vec<_>>(),
        )
        .finish();
    let many_entries = (0..12_000)
        .fold(Package::new(), |p, i| p.entry(&i.to_string(), b""))
        .finish();
    let many_versions = Package::new()
        .entry("v.bin", b"x")
        .service("pricing", "quote", &["v.bin"; 12_000])
        .finish();
    let cases = [
        ("a 3x entry", ratio, "exceeds the limit"),
        (
            "a 4.5x package of 0.75x entries",
            budget,
            "all version files together",
        ),
        ("12000 entries", many_entries, "12001 entries"),
        ("12000 versions", many_versions, "12000 versions"),
    ];
    for (what, package, expected) in cases {
        let size = package.len();
        let status = import(&api, package).await;
        assert_failed_with(&status, expected);
        eprintln!(
            "{what} ({size} bytes uploaded): {}",
            status["errors"][0]["message"]
        );
    }
    let peak = peak_rss_kb(child.id().unwrap());
    let disk = disk_usage(&state);
    eprintln!(
        "sandbox peak resident memory {peak} kB, state directory {disk} bytes after the bombs"
    );
    assert!(peak < 64 * 1024, "peak RSS {peak} kB");
    assert!(disk < 1 << 20, "{disk} bytes left in the state directory");
    assert_only_sandbox_files(&state);
    assert_nothing_outside(root.path());
}

#[tokio::test]
async fn nested_zips_and_entry_names_with_dot_dot_are_stored_as_opaque_version_files() {
    let root = tempfile::tempdir().unwrap();
    let state = root.path().join("state");
    let running = sandbox_in(&state, LIMIT_KIB << 10).await;
    let api = Api::new(&running);
    let inner = Package::new()
        .entry("bomb.bin", &zeros(4 * LIMIT_KIB))
        .finish();
    let package = Package::new()
        .entry("nested.zip", &inner)
        .entry("../../escape.bin", b"escaped?")
        .entry("/abs/escape.bin", b"escaped?")
        .service(
            "pricing",
            "quote",
            &["nested.zip", "../../escape.bin", "/abs/escape.bin"],
        )
        .finish();
    let status = import(&api, package).await;
    assert_eq!(status["status"], "completed", "{status}");
    let mut sizes: Vec<u64> = tree(&state.join("blobs"))
        .iter()
        .map(|f| {
            std::fs::metadata(state.join("blobs").join(f))
                .unwrap()
                .len()
        })
        .collect();
    sizes.sort_unstable();
    assert_eq!(
        sizes,
        [8, 8, inner.len() as u64],
        "the nested zip is kept as it is, not expanded"
    );
    assert_only_sandbox_files(&state);
    assert_nothing_outside(root.path());
}
