//! Download of an exported package from its pre-signed URL: streamed to a temporary file, then renamed.
use std::path::Path;

use futures_util::StreamExt;
use reqwest::Method;
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;
use tokio::io::AsyncWriteExt;
use url::Url;

use super::error::display_url;
use super::retry::{self, Attempt};
use super::{Client, Error, Operation, Progress};

/// A finished download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    pub bytes: u64,
    /// Lowercase hex.
    pub sha256: String,
}

impl Client {
    /// Downloads `url` to `dest` without any credentials (the URL carries its own token). The file appears
    /// complete or not at all; transient failures restart the download from scratch.
    pub async fn download(
        &self,
        url: &Url,
        dest: &Path,
        progress: Option<Progress<'_>>,
    ) -> Result<Download, Error> {
        let shown = display_url(url, true);
        let dir = match dest.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let attempt = || async {
            let transient = |e: &reqwest::Error| Attempt::Retry {
                error: Error::transport(Operation::Download, &Method::GET, &shown, None, false, e),
                after: None,
            };
            tracing::debug!(url = %shown, "downloading");
            let sent = self
                .download_http()
                .get(url.clone())
                .timeout(self.options().transfer_timeout)
                .send()
                .await;
            let response = match sent {
                Ok(response) => response,
                Err(e) => return transient(&e),
            };
            let status = response.status();
            tracing::debug!(url = %shown, %status, "download response");
            if !status.is_success() {
                let after = retry::retry_after(response.headers());
                let body = response.bytes().await.unwrap_or_default();
                let error = Error::http(
                    Operation::Download,
                    &Method::GET,
                    &shown,
                    None,
                    status,
                    &body,
                );
                return if error.is_transient() {
                    Attempt::Retry { error, after }
                } else {
                    Attempt::Fail(error)
                };
            }
            let total = response.content_length().unwrap_or(0);
            let (temp, mut file) = match temp_file(dir) {
                Ok(pair) => pair,
                Err(error) => return Attempt::Fail(error),
            };
            let write_error =
                |e| Error::io(format!("failed to write {}", temp.path().display()), e);
            let mut hasher = Sha256::new();
            let mut bytes = 0u64;
            let mut body = response.bytes_stream();
            while let Some(chunk) = body.next().await {
                let chunk = match chunk {
                    Ok(chunk) => chunk,
                    Err(e) => return transient(&e),
                };
                if let Err(e) = file.write_all(&chunk).await {
                    return Attempt::Fail(write_error(e));
                }
                hasher.update(&chunk);
                bytes += chunk.len() as u64;
                if let Some(progress) = progress {
                    progress(bytes, total);
                }
            }
            if let Err(e) = async {
                file.flush().await?;
                file.sync_all().await
            }
            .await
            {
                return Attempt::Fail(write_error(e));
            }
            drop(file);
            if let Err(e) = temp.persist(dest) {
                let context = format!("failed to move the download into {}", dest.display());
                return Attempt::Fail(Error::io(context, e.error));
            }
            Attempt::Done(Download {
                bytes,
                sha256: hex::encode(hasher.finalize()),
            })
        };
        retry::run(&self.options().retry, attempt).await
    }
}

/// A temporary file next to the destination (so the final rename stays on one file system); it is deleted
/// when dropped before being persisted.
fn temp_file(dir: &Path) -> Result<(NamedTempFile, tokio::fs::File), Error> {
    let io_error = |e| {
        Error::io(
            format!("failed to create a temporary file in {}", dir.display()),
            e,
        )
    };
    let temp = tempfile::Builder::new()
        .prefix(".spark-download-")
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(io_error)?;
    let file = temp.as_file().try_clone().map_err(io_error)?;
    Ok((temp, tokio::fs::File::from_std(file)))
}
