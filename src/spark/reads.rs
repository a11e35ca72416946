//! Read-only lookups of the destination, for a plan: does a folder or a service exist.
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
}
