//! A locked source checked live before its export: a locked version gone from the source fails, a newer
//! version than the locked ones is a warning.
use std::collections::BTreeMap;

use anyhow::Context as _;

use crate::promote::source::lock::{LockedPromotion, LockedVersion};
use crate::promote::version::SemVer;

/// Checks the source against a promotion's lock before exporting it: a locked version that is gone fails
/// (before any import); a service with a newer version than its locked ones is a warning, returned.
pub(crate) async fn check_source(
    client: &crate::spark::Client,
    environment: &str,
    locked: &LockedPromotion,
) -> anyhow::Result<Vec<String>> {
    let mut by_service: BTreeMap<&str, Vec<&LockedVersion>> = BTreeMap::new();
    for version in &locked.versions {
        by_service
            .entry(&version.service)
            .or_default()
            .push(version);
    }
    let mut warnings = Vec::new();
    for (service, versions) in by_service {
        let (folder, name) = service.split_once('/').with_context(|| {
            format!("locked service {service} is not of the form folder/service")
        })?;
        let held = client
            .service_versions(folder, name)
            .await
            .with_context(|| format!("failed to read the versions of {service} in {environment}"))?
            .unwrap_or_default();
        if let Some(gone) = versions
            .iter()
            .find(|locked| !held.iter().any(|version| version.id == locked.version_id))
        {
            anyhow::bail!(
                "locked version {service} {} (id {}) no longer exists in {environment}; nothing imported; \
                 run `spark-promote lock` to update",
                gone.version,
                gone.version_id
            );
        }
        let newest_locked = versions
            .iter()
            .filter_map(|v| SemVer::parse(&v.version))
            .max();
        let newest_held = held
            .iter()
            .filter_map(|v| v.version.as_deref().and_then(SemVer::parse))
            .max();
        if let (Some(locked), Some(held)) = (newest_locked, newest_held)
            && held > locked
        {
            warnings.push(format!(
                "{environment} has {service} {held}; locked {locked}; run `spark-promote lock` to update"
            ));
        }
    }
    Ok(warnings)
}
