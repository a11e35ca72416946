//! Package checks before any call: the file exists, is a complete ZIP, is not empty and is under the
//! tenant's size limit. Its sha256 is computed in the same pass (streamed: memory stays flat), or, for a
//! download that was hashed while it streamed in, taken from the download (the file is not read again).
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::export::ExportIndex;
use crate::exit::InvalidInput;

/// Spark's default upload limit (200 MB, taken as MiB).
pub const DEFAULT_MAX_BYTES: u64 = crate::spark::PACKAGE_LIMIT;

/// A package that passed the checks.
#[derive(Debug, Clone)]
pub struct Package {
    pub path: PathBuf,
    /// The path as the user wrote it (for messages).
    pub display: String,
    pub size: u64,
    /// Lowercase hex sha256 of the whole file.
    pub sha256: String,
}

/// A committed package (a promotion's `from.package`): inside the workspace (in the action), its checks and
/// digest, and its export index
/// (`NAME.zip.json` beside it, if any) checked against it before anything is decided from the index.
pub async fn committed(
    path: &Path,
    display: &str,
) -> Result<(Package, Option<ExportIndex>), InvalidInput> {
    if let Some(root) = crate::promote::files::workspace()
        && path.exists()
    {
        crate::promote::files::inside(&root, path)
            .map_err(|why| InvalidInput::msg(format!("package {display}: {why}")))?;
    }
    let package = inspect(path, display, DEFAULT_MAX_BYTES).await?;
    let index = ExportIndex::load_beside(path)?;
    if let Some(index) = &index {
        matches_index(&package, index)?;
    }
    Ok((package, index))
}

/// The committed packages of `promotions` that fail their checks ([`committed`]), one message each.
pub async fn problems(promotions: &[&crate::manifest::Promotion]) -> Vec<String> {
    let mut problems = Vec::new();
    for promotion in promotions {
        if let crate::manifest::Source::Package { path, display } = &promotion.source
            && let Err(err) = committed(path, display).await
        {
            problems.push(format!("promotion {}: {err}", promotion.name));
        }
    }
    problems
}

/// A package and its index belong together when the index records the package's sha256 among its file
/// hashes (an index whose hashes are not sha256 cannot be checked, and is taken as it is).
fn matches_index(package: &Package, index: &ExportIndex) -> Result<(), InvalidInput> {
    let recorded: Vec<&str> = index
        .file_hashes
        .iter()
        .map(String::as_str)
        .filter(|hash| hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
        .collect();
    if recorded.is_empty()
        || recorded
            .iter()
            .any(|hash| hash.eq_ignore_ascii_case(&package.sha256))
    {
        return Ok(());
    }
    Err(InvalidInput::msg(format!(
        "package {} does not match its index {}: the package's sha256 is {}, the index records {}; \
         commit a package and its index together (or delete the index)",
        package.display,
        ExportIndex::path_for(Path::new(&package.display)).display(),
        package.sha256,
        recorded.join(", ")
    )))
}

/// Checks a package file and computes its digest. Errors are `InvalidInput` (exit code 2).
pub async fn inspect(path: &Path, display: &str, max_bytes: u64) -> Result<Package, InvalidInput> {
    inspect_off_thread(path, display, max_bytes, None).await
}

/// Checks a downloaded package whose `sha256` was computed while it streamed in: the same checks (a
/// truncated download is caught), without reading the whole file again.
pub async fn inspect_downloaded(
    path: &Path,
    display: &str,
    max_bytes: u64,
    sha256: &str,
) -> Result<Package, InvalidInput> {
    inspect_off_thread(path, display, max_bytes, Some(sha256.to_string())).await
}

async fn inspect_off_thread(
    path: &Path,
    display: &str,
    max_bytes: u64,
    sha256: Option<String>,
) -> Result<Package, InvalidInput> {
    let owned = (path.to_path_buf(), display.to_string());
    tokio::task::spawn_blocking(move || inspect_blocking(&owned.0, &owned.1, max_bytes, sha256))
        .await
        .map_err(|err| InvalidInput::msg(format!("failed to check package {display}: {err}")))?
}

/// The checks; then the known `sha256`, else the file's, read in a second pass.
fn inspect_blocking(
    path: &Path,
    display: &str,
    max_bytes: u64,
    sha256: Option<String>,
) -> Result<Package, InvalidInput> {
    let invalid = |why: String| InvalidInput::msg(format!("package {display}: {why}"));
    let mut file = std::fs::File::open(path).map_err(|err| {
        invalid(format!(
            "cannot open {}: {err} (a package's path is relative to the manifest's directory)",
            std::path::absolute(path)
                .unwrap_or_else(|_| path.to_path_buf())
                .display()
        ))
    })?;
    let meta = file.metadata().map_err(|err| invalid(err.to_string()))?;
    if !meta.is_file() {
        return Err(invalid("is not a file".into()));
    }
    let size = meta.len();
    if size == 0 {
        return Err(invalid("is empty".into()));
    }
    if size > max_bytes {
        return Err(invalid(format!(
            "is {} bytes, over the tenant's upload limit of {} bytes",
            size, max_bytes
        )));
    }
    check_zip_signatures(&mut file, size).map_err(invalid)?;
    let sha256 = match sha256 {
        Some(sha256) => sha256,
        None => match hashed::known(path, &meta) {
            Some(sha256) => sha256,
            None => {
                file.seek(SeekFrom::Start(0))
                    .map_err(|err| invalid(err.to_string()))?;
                let sha256 = sha256_of(&mut file)
                    .map_err(|err| invalid(format!("cannot read it: {err}")))?;
                hashed::remember(path, &meta, &sha256);
                sha256
            }
        },
    };
    Ok(Package {
        path: path.to_path_buf(),
        display: display.to_string(),
        size,
        sha256,
    })
}

/// The sha256 of each package file this process has read whole, so that a run reads a committed package
/// once, not once per check (the selection's check, the engine's, the lock's): a 200 MB package costs one
/// pass, not two or three. An entry holds only while the file keeps its size and modification time.
mod hashed {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;
    use std::time::SystemTime;

    type Entry = (u64, SystemTime, String);
    static KNOWN: Mutex<Option<HashMap<PathBuf, Entry>>> = Mutex::new(None);

    fn key(path: &Path) -> Option<PathBuf> {
        std::fs::canonicalize(path).ok()
    }

    /// The sha256 read before from the file at `path`, if it has not changed since.
    pub(super) fn known(path: &Path, meta: &std::fs::Metadata) -> Option<String> {
        let modified = meta.modified().ok()?;
        let key = key(path)?;
        let known = KNOWN
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match known.as_ref()?.get(&key) {
            Some((len, at, sha256)) if *len == meta.len() && *at == modified => {
                Some(sha256.clone())
            }
            _ => None,
        }
    }

    /// Remembers the sha256 just read from the file at `path`.
    pub(super) fn remember(path: &Path, meta: &std::fs::Metadata, sha256: &str) {
        let (Ok(modified), Some(key)) = (meta.modified(), key(path)) else {
            return;
        };
        let mut known = KNOWN
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        known
            .get_or_insert_with(HashMap::new)
            .insert(key, (meta.len(), modified, sha256.to_string()));
    }
}

/// A ZIP starts with a local file header and ends with an end-of-central-directory record (within the last
/// 64 KiB + 22 bytes, after an optional comment). Both are checked, so a truncated upload is caught here.
fn check_zip_signatures(file: &mut std::fs::File, size: u64) -> Result<(), String> {
    const LOCAL_HEADER: [u8; 4] = *b"PK\x03\x04";
    const END_OF_DIRECTORY: [u8; 4] = *b"PK\x05\x06";
    let mut head = [0u8; 4];
    file.read_exact(&mut head)
        .map_err(|_| "is not a ZIP file (too short)".to_string())?;
    if head == END_OF_DIRECTORY {
        return Err("is an empty ZIP file (no entries)".into());
    }
    if head != LOCAL_HEADER {
        return Err("is not a ZIP file (no ZIP signature at its start)".into());
    }
    let tail_len = size.min(65_536 + 22);
    file.seek(SeekFrom::Start(size - tail_len))
        .map_err(|err| err.to_string())?;
    let mut tail = Vec::with_capacity(tail_len as usize);
    file.take(tail_len)
        .read_to_end(&mut tail)
        .map_err(|err| err.to_string())?;
    if !tail.windows(4).any(|window| window == END_OF_DIRECTORY) {
        return Err("is not a complete ZIP file (no end of central directory; truncated?)".into());
    }
    Ok(())
}

/// Streams a reader through sha256.
pub fn sha256_of(reader: &mut impl Read) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = reader.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_with_one_entry() -> Vec<u8> {
        let mut bytes = std::io::Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut bytes);
        writer
            .start_file("a.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(b"hello").unwrap();
        writer.finish().unwrap();
        bytes.into_inner()
    }

    fn write_temp(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(bytes).unwrap();
        file
    }

    #[tokio::test]
    async fn a_zip_passes_and_gets_its_sha256() {
        let bytes = zip_with_one_entry();
        let file = write_temp(&bytes);
        let package = inspect(file.path(), "p.zip", DEFAULT_MAX_BYTES)
            .await
            .unwrap();
        assert_eq!(package.size, bytes.len() as u64);
        assert_eq!(package.sha256, hex::encode(Sha256::digest(&bytes)));
    }

    #[tokio::test]
    async fn a_downloaded_package_keeps_the_sha256_it_streamed_and_is_still_checked() {
        let bytes = zip_with_one_entry();
        let file = write_temp(&bytes);
        // A digest the file does not have: kept as given, so the file was not hashed again.
        let streamed = "0".repeat(64);
        let package = inspect_downloaded(file.path(), "p.zip", u64::MAX, &streamed)
            .await
            .unwrap();
        assert_eq!(package.sha256, streamed);
        assert_eq!(package.size, bytes.len() as u64);
        let truncated = write_temp(&bytes[..bytes.len() - 22]);
        let err = inspect_downloaded(truncated.path(), "p.zip", u64::MAX, &streamed)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
    }

    #[tokio::test]
    async fn bad_packages_are_refused_with_the_reason() {
        let zip = zip_with_one_entry();
        let cases: Vec<(Vec<u8>, u64, &str)> = vec![
            (Vec::new(), DEFAULT_MAX_BYTES, "is empty"),
            (
                b"not a zip at all".to_vec(),
                DEFAULT_MAX_BYTES,
                "no ZIP signature",
            ),
            (b"PK\x05\x06".to_vec(), DEFAULT_MAX_BYTES, "empty ZIP"),
            (
                zip[..zip.len() - 22].to_vec(),
                DEFAULT_MAX_BYTES,
                "truncated",
            ),
            (zip.clone(), 10, "over the tenant's upload limit"),
        ];
        for (bytes, limit, expected) in cases {
            let file = write_temp(&bytes);
            let err = inspect(file.path(), "p.zip", limit).await.unwrap_err();
            let message = err.to_string();
            assert!(message.starts_with("package p.zip: "), "{message}");
            assert!(
                message.contains(expected),
                "{message} should say {expected}"
            );
        }
    }

    #[tokio::test]
    async fn a_missing_package_is_named() {
        let err = inspect(
            Path::new("/nonexistent/p.zip"),
            "packages/p.zip",
            DEFAULT_MAX_BYTES,
        )
        .await
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("package packages/p.zip: cannot open /nonexistent/p.zip: ")
        );
    }
}
