//! Import: the request entity, the streamed multipart upload, and the import job calls.
use std::path::Path;

use futures_util::TryStreamExt;
use reqwest::multipart::{Form, Part};
use reqwest::{Body, RequestBuilder, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio_util::io::ReaderStream;

use super::client::{Call, CallBody};
use super::jobs::{Job, JobKind, JobStatus, TenantJobs};
use super::{Client, Error, OnBytes, Operation};

/// What an import does when a destination service exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServicesExisting {
    /// Fail the import (also Spark's behaviour when the field is absent).
    Abort,
    /// Replace the service and its versions.
    Replace,
    /// Add the source's versions to the service.
    AddVersion,
}

/// How the versions added with `add_version` are numbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateVersionType {
    Major,
    Minor,
    Patch,
    /// Keep the source's semantic versions.
    Copy,
}

/// Where one source service goes (`inputs.services_modify[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceModify {
    /// `{folder}/{service}` in the package.
    pub service_uri_source: String,
    /// `{folder}/{service}` in the destination; the source's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_uri_destination: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_version_type: Option<UpdateVersionType>,
}

/// `inputs` of the import request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportInputs {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services_modify: Vec<ServiceModify>,
}

impl ImportInputs {
    fn is_empty(&self) -> bool {
        self.services_modify.is_empty()
    }
}

/// The `importRequestEntity` part of an import; absent fields are left out, so Spark applies its defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRequestEntity {
    #[serde(default, skip_serializing_if = "ImportInputs::is_empty")]
    pub inputs: ImportInputs,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services_existing: Option<ServicesExisting>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
}

/// A package upload: built afresh from the file for each send, streamed, with its progress reported.
pub(crate) struct PackageUpload<'a> {
    path: &'a Path,
    entity: String,
    progress: Option<OnBytes<'a>>,
}

impl PackageUpload<'_> {
    /// Sends the request with the multipart body; the outer error is a local failure (the file).
    pub async fn send(&self, request: RequestBuilder) -> Result<reqwest::Result<Response>, Error> {
        let read_error =
            |e| Error::io(format!("failed to read package {}", self.path.display()), e);
        let file = tokio::fs::File::open(self.path).await.map_err(read_error)?;
        let total = file.metadata().await.map_err(read_error)?.len();
        let (counter, mut sent) = watch::channel(0u64);
        let mut count = 0u64;
        let stream = ReaderStream::with_capacity(file, 64 * 1024).inspect_ok(move |chunk| {
            count += chunk.len() as u64;
            counter.send_replace(count);
        });
        let file_part = Part::stream_with_length(Body::wrap_stream(stream), total)
            .file_name("package.zip")
            .mime_str("application/zip")
            .map_err(|e| Error::Invalid(format!("invalid upload content type: {e}")))?;
        let form = Form::new()
            .text("importRequestEntity", self.entity.clone())
            .part("file", file_part);

        let response = request.multipart(form).send();
        tokio::pin!(response);
        let mut reported = None;
        let mut report = |bytes: u64| {
            if let Some(progress) = self.progress
                && reported != Some(bytes)
            {
                progress(bytes, total);
                reported = Some(bytes);
            }
        };
        let result = loop {
            tokio::select! {
                result = &mut response => break result,
                Ok(()) = sent.changed() => report(*sent.borrow_and_update()),
            }
        };
        report(*sent.borrow());
        Ok(result)
    }
}

impl Client {
    /// Uploads a package to `POST /{tenant}/api/v4/import` and returns the created job.
    ///
    /// The file is streamed from disk; `progress(sent, total)` follows the upload. The call is never
    /// retried, except once after a 401 with client credentials (the refused upload is sent again in
    /// full). A connection lost after sending began gives an error with [`Error::is_ambiguous`]: look for
    /// the correlation id among the tenant's jobs before importing again.
    pub async fn import(
        &self,
        package: &Path,
        entity: &ImportRequestEntity,
        progress: Option<OnBytes<'_>>,
    ) -> Result<Job, Error> {
        let entity = serde_json::to_string(entity)
            .map_err(|e| Error::Invalid(format!("could not encode the import request: {e}")))?;
        let upload = PackageUpload {
            path: package,
            entity,
            progress,
        };
        let url = self.tenant_url(&["api", "v4", "import"]);
        self.call_json(Call::create(
            Operation::Import,
            url,
            CallBody::Package(&upload),
        ))
        .await
    }

    /// `GET /{tenant}/api/v4/import/{job_id}/status`.
    pub async fn import_status(&self, job_id: &str) -> Result<JobStatus, Error> {
        self.job_status(JobKind::Import, job_id).await
    }

    /// Cancels an import job (`PATCH /{tenant}/api/v4/import/{job_id}`).
    pub async fn cancel_import(&self, job_id: &str) -> Result<JobStatus, Error> {
        self.cancel_job(JobKind::Import, job_id).await
    }

    /// The tenant's imports in progress and of the last hour (`GET /{tenant}/api/v4/import/status`).
    pub async fn import_jobs(&self) -> Result<TenantJobs, Error> {
        self.tenant_jobs(JobKind::Import).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_fields_are_left_out_of_the_entity() {
        let entity = ImportRequestEntity::default();
        assert_eq!(serde_json::to_string(&entity).unwrap(), "{}");
        let entity = ImportRequestEntity {
            inputs: ImportInputs {
                services_modify: vec![ServiceModify {
                    service_uri_source: "a/b".into(),
                    service_uri_destination: None,
                    update_version_type: Some(UpdateVersionType::Copy),
                }],
            },
            services_existing: Some(ServicesExisting::AddVersion),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&entity).unwrap(),
            r#"{"inputs":{"services_modify":[{"service_uri_source":"a/b","update_version_type":"copy"}]},"services_existing":"add_version"}"#
        );
    }
}
