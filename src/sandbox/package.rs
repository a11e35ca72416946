//! The sandbox's own package format (the real one is not public): a ZIP holding `manifest.json`, which lists
//! the services and versions with their ids, and one file per version (`versions/{version_id}.bin`).
//!
//! Reading is guarded against zip bombs: the entry count is checked before the archive is opened, every
//! entry is read through a cap, and the version files together through a budget; beyond any of them the job
//! fails. Folder and service names are data, never paths (version files are stored under fresh uuids).
use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::archive;
use super::catalog::check_name;
use super::semver::SemVer;

/// The `format` value of a sandbox package's manifest.
pub const FORMAT: &str = "spark-promote-sandbox-package/1";
const MANIFEST: &str = "manifest.json";
const MAX_MANIFEST_BYTES: u64 = 16 << 20;
/// Most entries (and most versions) a package may hold: one file per version plus the manifest.
pub const MAX_ENTRIES: u64 = 10_000;
/// The version files of a package may expand to this many times the entry limit, all together.
const MAX_EXPANSION: u64 = 4;

/// `manifest.json`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    format: String,
    source_tenant: String,
    file_filter: String,
    services: Vec<ManifestService>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestService {
    folder: String,
    service: String,
    service_id: Uuid,
    versions: Vec<ManifestVersion>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestVersion {
    version: SemVer,
    version_id: Uuid,
    file: String,
}

/// A service read from a package; its version files are extracted into the blob directory.
#[derive(Debug, Clone)]
pub struct PackageService {
    pub folder: String,
    pub service: String,
    pub service_id: Uuid,
    pub versions: Vec<PackageVersion>,
}

/// A version read from a package.
#[derive(Debug, Clone)]
pub struct PackageVersion {
    pub version: SemVer,
    pub version_id: Uuid,
    /// Name of the extracted file in the blob directory.
    pub blob: String,
}

/// What to write for one version of an export.
pub enum Content {
    /// A stored file (from an earlier import).
    Blob(PathBuf),
    /// Generated text (seeded versions have no stored content).
    Generated(String),
}

/// A service to write into a package.
pub struct ExportService {
    pub folder: String,
    pub service: String,
    pub service_id: Uuid,
    pub versions: Vec<(SemVer, Uuid, Content)>,
}

/// Reads a package and extracts its version files into `blobs` (each entry at most `max_entry` bytes).
/// On error nothing is left behind in `blobs`.
pub fn read(path: &Path, blobs: &Path, max_entry: u64) -> Result<Vec<PackageService>, String> {
    let mut extracted = Vec::new();
    let result = read_into(path, blobs, max_entry, &mut extracted);
    if result.is_err() {
        for name in extracted {
            let _ = std::fs::remove_file(blobs.join(name));
        }
    }
    result
}

/// Checks that a package opens: a ZIP archive within the entry limit holding a valid `manifest.json`.
/// Extracts nothing (the version files are read when the import runs).
pub fn check(path: &Path) -> Result<(), String> {
    open(path).map(drop)
}

/// Opens a package: the archive and its manifest, checked.
fn open(path: &Path) -> Result<(zip::ZipArchive<File>, Manifest), String> {
    let mut file =
        File::open(path).map_err(|e| format!("failed to open the uploaded package: {e}"))?;
    let claimed = archive::claimed_entries(&mut file)
        .and_then(|claimed| file.rewind().map(|()| claimed))
        .map_err(|e| format!("failed to read the uploaded package: {e}"))?;
    match claimed {
        None => {
            return Err(
                "the package is not a valid ZIP archive: its ZIP64 end record is missing".into(),
            );
        }
        Some(entries) => check_count(entries, "entries")?,
    }
    let mut archive = zip::ZipArchive::new(file)
        .map_err(|e| format!("the package is not a valid ZIP archive: {e}"))?;
    check_count(archive.len() as u64, "entries")?;
    let manifest: Manifest = {
        let entry = archive.by_name(MANIFEST).map_err(|_| {
            format!("the package has no {MANIFEST}: it is not a package exported by this sandbox")
        })?;
        let mut text = Vec::new();
        capped_copy(entry, &mut text, MAX_MANIFEST_BYTES)
            .map_err(|e| format!("failed to read {MANIFEST}: {e}"))?;
        serde_json::from_slice(&text).map_err(|e| format!("{MANIFEST} is invalid: {e}"))?
    };
    if manifest.format != FORMAT {
        return Err(format!(
            "unsupported package format '{}' (expected '{FORMAT}')",
            manifest.format
        ));
    }
    let listed: usize = manifest.services.iter().map(|s| s.versions.len()).sum();
    check_count(listed as u64, "versions")?;
    Ok((archive, manifest))
}

fn read_into(
    path: &Path,
    blobs: &Path,
    max_entry: u64,
    extracted: &mut Vec<String>,
) -> Result<Vec<PackageService>, String> {
    let (mut archive, manifest) = open(path)?;
    let mut budget = max_entry.saturating_mul(MAX_EXPANSION);
    let mut services = Vec::new();
    for service in manifest.services {
        check_name("folder", &service.folder).map_err(|e| format!("{MANIFEST}: {e}"))?;
        check_name("service", &service.service).map_err(|e| format!("{MANIFEST}: {e}"))?;
        let mut versions = Vec::new();
        for version in service.versions {
            let entry = archive.by_name(&version.file).map_err(|e| {
                format!(
                    "the package lacks {} listed in {MANIFEST}: {e}",
                    version.file
                )
            })?;
            let blob = Uuid::new_v4().to_string();
            let mut out = File::create(blobs.join(&blob))
                .map_err(|e| format!("failed to store a version file: {e}"))?;
            extracted.push(blob.clone());
            let (cap, scope) = if budget < max_entry {
                (budget, "all version files together")
            } else {
                (max_entry, "one entry")
            };
            budget -= capped_copy(entry, &mut out, cap).map_err(|e| {
                format!(
                    "failed to read {}: {e} (the limit for {scope})",
                    version.file
                )
            })?;
            versions.push(PackageVersion {
                version: version.version,
                version_id: version.version_id,
                blob,
            });
        }
        services.push(PackageService {
            folder: service.folder,
            service: service.service,
            service_id: service.service_id,
            versions,
        });
    }
    Ok(services)
}

/// At most [`MAX_ENTRIES`] of `what` (entries, versions).
fn check_count(count: u64, what: &str) -> Result<(), String> {
    if count > MAX_ENTRIES {
        return Err(format!(
            "the package holds {count} {what}, more than the {MAX_ENTRIES} a package may hold"
        ));
    }
    Ok(())
}

/// Copies at most `cap` bytes; more is an error (a zip bomb or an oversized entry).
fn capped_copy(reader: impl Read, writer: &mut impl Write, cap: u64) -> io::Result<u64> {
    let copied = io::copy(&mut reader.take(cap + 1), writer)?;
    if copied > cap {
        return Err(io::Error::other(format!(
            "entry exceeds the limit of {cap} bytes"
        )));
    }
    Ok(copied)
}

/// Writes a package to `path` and returns its sha256 (hex).
pub fn write(
    path: &Path,
    source_tenant: &str,
    file_filter: &str,
    services: Vec<ExportService>,
) -> anyhow::Result<String> {
    use anyhow::Context;
    let file =
        File::create(path).with_context(|| format!("failed to create {}", path.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut manifest = Manifest {
        format: FORMAT.into(),
        source_tenant: source_tenant.into(),
        file_filter: file_filter.into(),
        services: vec![],
    };
    for service in services {
        let mut versions = Vec::new();
        for (version, version_id, content) in service.versions {
            let name = format!("versions/{version_id}.bin");
            zip.start_file(name.as_str(), options)?;
            match content {
                Content::Blob(blob) => {
                    let mut input = File::open(&blob)
                        .with_context(|| format!("failed to open {}", blob.display()))?;
                    io::copy(&mut input, &mut zip)?;
                }
                Content::Generated(text) => zip.write_all(text.as_bytes())?,
            }
            versions.push(ManifestVersion {
                version,
                version_id,
                file: name,
            });
        }
        manifest.services.push(ManifestService {
            folder: service.folder,
            service: service.service,
            service_id: service.service_id,
            versions,
        });
    }
    zip.start_file(MANIFEST, options)?;
    serde_json::to_writer_pretty(&mut zip, &manifest)?;
    zip.finish()?;
    sha256_file(path)
}

/// The sha256 of a file, hex-encoded, read in chunks.
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut hasher = Sha256::new();
    io::copy(&mut File::open(path)?, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}
