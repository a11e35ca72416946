//! Packages in the sandbox's format, written by tests: a ZIP with `manifest.json` and one stored (not
//! compressed) file per version, so a package's size on disk is its payload's size.
use std::io::Write;
use std::path::Path;

use rand::RngCore;
use serde_json::json;

/// The sandbox package format (see the sandbox's package module).
const FORMAT: &str = "spark-promote-sandbox-package/1";

/// Writes a package holding version 1.0.0 of each `folder/service` in `services`, each with `payload_bytes`
/// of random (incompressible) bytes, streamed in chunks so a large package needs little memory.
pub fn write(path: &Path, services: &[&str], payload_bytes: u64) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(payload_bytes >= u32::MAX as u64);
    let mut listed = Vec::new();
    for uri in services {
        let (folder, service) = uri.split_once('/').expect("folder/service");
        let version_id = uuid::Uuid::new_v4();
        let name = format!("versions/{version_id}.bin");
        zip.start_file(name.as_str(), options).unwrap();
        let mut chunk = vec![0u8; 1 << 20];
        let mut left = payload_bytes;
        while left > 0 {
            let n = left.min(chunk.len() as u64) as usize;
            rand::rng().fill_bytes(&mut chunk[..n]);
            zip.write_all(&chunk[..n]).unwrap();
            left -= n as u64;
        }
        listed.push(json!({
            "folder": folder,
            "service": service,
            "service_id": uuid::Uuid::new_v4(),
            "versions": [{ "version": "1.0.0", "version_id": version_id, "file": name }],
        }));
    }
    zip.start_file("manifest.json", options).unwrap();
    let manifest = json!({
        "format": FORMAT,
        "source_tenant": "acme-uat",
        "file_filter": "migrate",
        "services": listed,
    });
    zip.write_all(manifest.to_string().as_bytes()).unwrap();
    zip.finish().unwrap().flush().unwrap();
}
