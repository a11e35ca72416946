//! Spark's job outputs as result rows.
use crate::promote::result::{ServiceResult, ServiceStatus, VersionResult, VersionStatus};
use crate::promote::uri::service_uri;
use crate::spark::{ItemStatus, Outputs};

/// `folder/service` of a row's destination: its URI, else its folder and service, else (Spark left them out)
/// the source's, since an unmapped service keeps its place.
fn destination(
    uri: &Option<String>,
    folder: &Option<String>,
    service: &Option<String>,
    source_uri: &str,
) -> String {
    let joined = || Some(format!("{}/{}", folder.as_deref()?, service.as_deref()?));
    uri.as_deref()
        .map(service_uri)
        .or_else(joined)
        .unwrap_or_else(|| service_uri(source_uri))
}

/// The services of an import's outputs.
pub fn services(outputs: &Outputs) -> Vec<ServiceResult> {
    outputs
        .services
        .iter()
        .map(|service| ServiceResult {
            source: service_uri(&service.service_uri_source),
            destination: destination(
                &service.service_uri_destination,
                &service.folder_destination,
                &service.service_destination,
                &service.service_uri_source,
            ),
            status: match &service.status {
                Some(ItemStatus::Replaced) => ServiceStatus::Replaced,
                Some(ItemStatus::Updated) => ServiceStatus::Updated,
                _ => ServiceStatus::Added,
            },
            current_version: None,
            next_version: None,
            detail: None,
            service_id_destination: service.service_id_destination.clone(),
        })
        .collect()
}

/// The service versions of an import's outputs.
pub fn versions(outputs: &Outputs) -> Vec<VersionResult> {
    outputs
        .service_versions
        .iter()
        .map(|version| VersionResult {
            service_source: service_uri(&version.service_uri_source),
            service_destination: destination(
                &version.service_uri_destination,
                &version.folder_destination,
                &version.service_destination,
                &version.service_uri_source,
            ),
            version_source: version.version_source.clone().unwrap_or_default(),
            version_destination: version.version_destination.clone().unwrap_or_default(),
            status: match &version.status {
                Some(ItemStatus::Replaced) => VersionStatus::Replaced,
                _ => VersionStatus::Added,
            },
            version_id_source: version.version_id_source.clone(),
            version_id_destination: version.version_id_destination.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_uris_lose_versions_and_leading_slashes() {
        assert_eq!(
            service_uri("/newproduct/newservice[1.0.0]"),
            "newproduct/newservice"
        );
        assert_eq!(service_uri("a/b"), "a/b");
    }
}
