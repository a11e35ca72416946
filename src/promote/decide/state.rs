//! What the destination holds now, read once per decision: each destination service's versions (`getversions`;
//! a 404 is a service that does not exist) and, for a service that does not exist, whether its folder does
//! (`isproductexists`, once per folder). A read the tenant refuses (403) or does not serve is advice lost,
//! not a failure: the service is *unchecked*, the import still runs, and Spark's own checks decide.
use std::collections::BTreeMap;

use anyhow::Context as _;
use reqwest::StatusCode;

use super::rules::Held;
use crate::spark::{Client, Error, ServiceVersion};

/// A read the destination refused or does not serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unchecked {
    /// What could not be checked, e.g. `the versions of pricing/quote`.
    pub check: String,
    /// The status it was answered with.
    pub status: u16,
}

/// One destination service: what it holds, or why that is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    Known(Held),
    Unchecked(Unchecked),
}

/// The destination services of a promotion as they are now.
#[derive(Debug, Clone, Default)]
pub struct Destination {
    pub services: BTreeMap<String, Read>,
}

impl Destination {
    /// Reads each destination service (`folder/service`) of `destinations`.
    pub async fn read<'a>(
        client: &Client,
        environment: &str,
        destinations: impl IntoIterator<Item = &'a str>,
    ) -> anyhow::Result<Destination> {
        let mut folders: BTreeMap<String, Result<bool, Unchecked>> = BTreeMap::new();
        let mut services = BTreeMap::new();
        for destination in destinations {
            if services.contains_key(destination) {
                continue;
            }
            let read = match versions(client, environment, destination).await? {
                Versions::Held(versions) => Read::Known(Held::Versions(versions)),
                Versions::Refused(unchecked) => Read::Unchecked(unchecked),
                Versions::Absent => {
                    let folder = destination.split('/').next().unwrap_or_default();
                    if !folders.contains_key(folder) {
                        let exists = match client.folder_exists(folder).await {
                            Ok(exists) => Ok(exists),
                            Err(err) => Err(unchecked(
                                err,
                                format!("whether folder {folder} exists"),
                                environment,
                            )?),
                        };
                        folders.insert(folder.to_string(), exists);
                    }
                    match &folders[folder] {
                        Ok(folder_exists) => Read::Known(Held::Absent {
                            folder_exists: *folder_exists,
                        }),
                        Err(unchecked) => Read::Unchecked(unchecked.clone()),
                    }
                }
            };
            services.insert(destination.to_string(), read);
        }
        Ok(Destination { services })
    }

    /// What a destination service holds (`None`: unchecked).
    pub fn held(&self, destination: &str) -> Option<&Held> {
        match self.services.get(destination)? {
            Read::Known(held) => Some(held),
            Read::Unchecked(_) => None,
        }
    }

    /// The reads that were refused, in order.
    pub fn unchecked(&self) -> Vec<&Unchecked> {
        self.services
            .values()
            .filter_map(|read| match read {
                Read::Unchecked(unchecked) => Some(unchecked),
                Read::Known(_) => None,
            })
            .collect()
    }
}

/// What `getversions` says of one destination service.
pub(crate) enum Versions {
    Held(Vec<ServiceVersion>),
    /// The service does not exist (404).
    Absent,
    /// The read was refused or is not served.
    Refused(Unchecked),
}

/// The versions of the destination service `destination` (`folder/service`) in `environment`: the one
/// reader of "the versions of folder/service" for the decision.
pub(crate) async fn versions(
    client: &Client,
    environment: &str,
    destination: &str,
) -> anyhow::Result<Versions> {
    let (folder, service) = destination
        .split_once('/')
        .with_context(|| format!("service {destination} is not of the form folder/service"))?;
    match client.service_versions(folder, service).await {
        Ok(Some(versions)) => Ok(Versions::Held(versions)),
        Ok(None) => Ok(Versions::Absent),
        Err(err) => Ok(Versions::Refused(unchecked(
            err,
            format!("the versions of {destination}"),
            environment,
        )?)),
    }
}

/// A refused or unserved read as unchecked; any other error fails the decision.
fn unchecked(err: Error, check: String, environment: &str) -> anyhow::Result<Unchecked> {
    match err.status() {
        Some(
            status @ (StatusCode::FORBIDDEN
            | StatusCode::NOT_FOUND
            | StatusCode::METHOD_NOT_ALLOWED
            | StatusCode::NOT_IMPLEMENTED),
        ) => Ok(Unchecked {
            check,
            status: status.as_u16(),
        }),
        _ => {
            Err(anyhow::Error::new(err).context(format!("failed to read {check} in {environment}")))
        }
    }
}

/// The one warning for a decision's refused reads: what could not be checked, the permission it needs, and
/// what stands in for it.
pub fn warning(unchecked: &[&Unchecked], environment: &str) -> Option<String> {
    let first = unchecked.first()?;
    let checks: Vec<&str> = unchecked.iter().map(|u| u.check.as_str()).collect();
    let why = if first.status == 403 {
        "refused (403): these credentials may not read the catalog; an API key whose groups have only \
         Spark.Imports.json cannot, one with Spark.AllEncompassingProxy.json can"
            .to_string()
    } else {
        format!("not served ({})", first.status)
    };
    Some(format!(
        "could not check {} in {environment}: {why}. The import still runs and Spark's own checks decide; \
         a re-run within the hour is recognised by its import job",
        checks.join(", ")
    ))
}
