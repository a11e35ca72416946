//! Download of an exported package from its pre-signed URL: streamed to a temporary file, then renamed.
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::Method;
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;
use tokio::io::AsyncWriteExt;
use url::Url;

use super::client::{Body, read_body};
use super::error::display_url;
use super::retry::{self, Attempt};
use super::{Client, Error, OnBytes, Operation};

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
        progress: Option<OnBytes<'_>>,
    ) -> Result<Download, Error> {
        let target = Target {
            url,
            shown: display_url(url, true),
            dest,
            progress,
            limit: self.options().max_package_bytes,
        };
        retry::run(&self.options().retry, || async {
            match self.download_once(&target).await {
                Ok(download) => Attempt::Done(download),
                Err(stop) => stop.into(),
            }
        })
        .await
    }

    /// One attempt: send, check the status, stream the body into a temporary file beside the destination,
    /// then rename it onto the destination.
    async fn download_once(&self, target: &Target<'_>) -> Result<Download, Stop> {
        let response = self.send_download(target).await?;
        let (temp, file) = temp_file(target.dir()).map_err(Stop::Fail)?;
        let download = stream_to(response, file, temp.path(), target).await?;
        persist(temp, target.dest).map_err(Stop::Fail)?;
        Ok(download)
    }

    /// Sends the GET (no credentials) and checks its status.
    async fn send_download(&self, target: &Target<'_>) -> Result<reqwest::Response, Stop> {
        tracing::debug!(url = %target.shown, "downloading");
        let response = self
            .download_http()
            .get(target.url.clone())
            .timeout(self.options().transfer_timeout)
            .send()
            .await
            .map_err(|e| target.interrupted(&e))?;
        let status = response.status();
        tracing::debug!(url = %target.shown, %status, "download response");
        if status.is_success() {
            Ok(response)
        } else {
            Err(refused(response, &target.shown).await)
        }
    }
}

/// What one download is about, the same for each of its attempts.
struct Target<'a> {
    url: &'a Url,
    /// The URL as errors and logs show it (host and file name: the path carries the token).
    shown: String,
    dest: &'a Path,
    progress: Option<OnBytes<'a>>,
    /// The tenant's package limit: the download stops there.
    limit: u64,
}

impl Target<'_> {
    /// The destination's folder, where the temporary file goes.
    fn dir(&self) -> &Path {
        match self.dest.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        }
    }

    /// A package over the tenant's limit (said by its length, or reached while it streamed): not retried,
    /// and its temporary file is deleted.
    fn over_limit(&self, bytes: u64) -> Stop {
        let detail = format!(
            "the package is over the tenant's package limit of {} bytes (at least {bytes} bytes); \
             stopped the download",
            self.limit
        );
        Stop::Fail(Error::Decode {
            op: Operation::Download,
            url: self.shown.clone(),
            request_id: None,
            detail,
        })
    }

    /// A request or a body that broke off: worth another attempt.
    fn interrupted(&self, e: &reqwest::Error) -> Stop {
        Stop::Retry {
            error: Error::transport(
                Operation::Download,
                &Method::GET,
                &self.shown,
                None,
                false,
                e,
            ),
            after: None,
        }
    }
}

/// Why an attempt ended without a download: worth another attempt (after the server's wait, if it asked
/// for one), or not.
enum Stop {
    Retry {
        error: Error,
        after: Option<Duration>,
    },
    Fail(Error),
}

impl From<Stop> for Attempt<Download> {
    fn from(stop: Stop) -> Self {
        match stop {
            Stop::Retry { error, after } => Attempt::Retry { error, after },
            Stop::Fail(error) => Attempt::Fail(error),
        }
    }
}

/// A non-success answer: its error, retried when transient.
async fn refused(response: reqwest::Response, shown: &str) -> Stop {
    let status = response.status();
    let after = retry::retry_after(response.headers());
    let body = match read_body(response).await {
        Ok(Body::Refusal(body)) => body,
        _ => Bytes::new(),
    };
    let error = Error::http(
        Operation::Download,
        &Method::GET,
        shown,
        None,
        status,
        &body,
    );
    if error.is_transient() {
        Stop::Retry { error, after }
    } else {
        Stop::Fail(error)
    }
}

/// Streams the body into `file` (the temporary file at `temp`), hashing and counting it as it comes: the
/// one hash of a download.
async fn stream_to(
    response: reqwest::Response,
    mut file: tokio::fs::File,
    temp: &Path,
    target: &Target<'_>,
) -> Result<Download, Stop> {
    let write_error = |e| Stop::Fail(Error::io(format!("failed to write {}", temp.display()), e));
    let total = response.content_length().unwrap_or(0);
    let limit = target.limit;
    if total > limit {
        return Err(target.over_limit(total));
    }
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| target.interrupted(&e))?;
        if bytes + chunk.len() as u64 > limit {
            return Err(target.over_limit(bytes + chunk.len() as u64));
        }
        file.write_all(&chunk).await.map_err(write_error)?;
        hasher.update(&chunk);
        bytes += chunk.len() as u64;
        if let Some(progress) = target.progress {
            progress(bytes, total);
        }
    }
    file.flush().await.map_err(write_error)?;
    file.sync_all().await.map_err(write_error)?;
    Ok(Download {
        bytes,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// Renames the complete temporary file onto the destination.
fn persist(temp: NamedTempFile, dest: &Path) -> Result<(), Error> {
    temp.persist(dest).map(drop).map_err(|e| {
        let context = format!("failed to move the download into {}", dest.display());
        Error::io(context, e.error)
    })
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
