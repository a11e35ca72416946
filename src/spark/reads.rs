//! Read-only lookups of the destination, for a plan: does a folder or a service exist, which versions
//! does a service hold.
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::client::Call;
use super::{Client, Error, Operation};

/// A service in the destination, from the v3 `exists` call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceInfo {
    pub exists: bool,
    /// The latest semantic version.
    pub version: Option<String>,
    pub latest_version_id: Option<String>,
    /// The service id.
    pub id: Option<String>,
}

#[derive(Deserialize)]
struct ExistsReply {
    response_data: ExistsData,
}

#[derive(Deserialize)]
struct ExistsData {
    is_exists: bool,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    latest_version_id: Option<String>,
    #[serde(default)]
    id: Option<String>,
}

/// One version of a service in the destination, from the v1 `getversions` call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceVersion {
    /// The version id.
    pub id: String,
    /// The semantic version (`revision`), when given.
    pub version: Option<String>,
}

#[derive(Deserialize)]
struct VersionsReply {
    #[serde(default)]
    data: Option<Vec<VersionData>>,
}

#[derive(Deserialize)]
struct VersionData {
    id: String,
    #[serde(default)]
    revision: Option<String>,
}

#[derive(Deserialize)]
struct FolderReply {
    data: bool,
}

impl Client {
    /// `GET /{tenant}/api/v3/folders/{folder}/services/{service}/exists`.
    pub async fn service_exists(&self, folder: &str, service: &str) -> Result<ServiceInfo, Error> {
        let url = self.tenant_url(&[
            "api", "v3", "folders", folder, "services", service, "exists",
        ]);
        let reply: ExistsReply = self
            .call_json(Call::retried(Operation::ServiceExists, Method::GET, url))
            .await?;
        let data = reply.response_data;
        Ok(ServiceInfo {
            exists: data.is_exists,
            version: data.version,
            latest_version_id: data.latest_version_id,
            id: data.id,
        })
    }

    /// `POST /api/v1/product/isproductexists/{folder}` (at the host root; tenant in `x-tenant-name`).
    pub async fn folder_exists(&self, folder: &str) -> Result<bool, Error> {
        let url = self.root_url(&["api", "v1", "product", "isproductexists", folder]);
        let reply: FolderReply = self
            .call_json(Call::retried(Operation::FolderExists, Method::POST, url))
            .await?;
        Ok(reply.data)
    }

    /// `GET /api/v1/product/{folder}/engines/getversions/{service}` (at the host root; tenant in
    /// `x-tenant-name`): the service's versions, or `None` when the service does not exist (404).
    pub async fn service_versions(
        &self,
        folder: &str,
        service: &str,
    ) -> Result<Option<Vec<ServiceVersion>>, Error> {
        let url = self.root_url(&[
            "api",
            "v1",
            "product",
            folder,
            "engines",
            "getversions",
            service,
        ]);
        let reply: VersionsReply = match self
            .call_json(Call::retried(Operation::ServiceVersions, Method::GET, url))
            .await
        {
            Ok(reply) => reply,
            Err(err) if err.status() == Some(reqwest::StatusCode::NOT_FOUND) => return Ok(None),
            Err(err) => return Err(err),
        };
        Ok(Some(
            reply
                .data
                .unwrap_or_default()
                .into_iter()
                .map(|data| ServiceVersion {
                    id: data.id,
                    version: data.revision,
                })
                .collect(),
        ))
    }
}
