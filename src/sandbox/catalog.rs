//! The data a sandbox holds: tenants, folders, services and their versions with ids. Serializable, so a
//! `--state-dir` keeps it across restarts.
use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::seed::Seed;
use super::semver::SemVer;

/// Every tenant's content.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Catalog {
    pub tenants: BTreeMap<String, TenantData>,
}

/// A tenant's folders.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TenantData {
    pub folders: BTreeMap<String, Folder>,
}

/// A folder and its services, by name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Folder {
    pub services: BTreeMap<String, Service>,
}

/// A service: its id and versions, kept sorted by semantic version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Service {
    pub id: Uuid,
    pub versions: Vec<Version>,
}

/// One service version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Version {
    pub version: SemVer,
    pub id: Uuid,
    /// Name of the stored file with this version's content; `None` for seeded versions, whose content is
    /// generated.
    #[serde(default)]
    pub blob: Option<String>,
}

/// Longest folder or service name accepted from a package or an import request.
pub const MAX_NAME_CHARS: usize = 255;

/// Checks a folder or service name from a package or an import request: not empty, at most
/// [`MAX_NAME_CHARS`] characters, no `/` and no control character (NUL included). Other names, `..` among
/// them, are plain data: the sandbox never makes a path of a name.
pub fn check_name(kind: &str, name: &str) -> Result<(), String> {
    let shown: String = name
        .chars()
        .take(40)
        .collect::<String>()
        .escape_debug()
        .to_string();
    let problem = if name.is_empty() {
        "is empty".to_owned()
    } else if name.chars().count() > MAX_NAME_CHARS {
        format!("is longer than {MAX_NAME_CHARS} characters")
    } else if name.contains('/') {
        "contains '/'".to_owned()
    } else if name.chars().any(char::is_control) {
        "contains a control character".to_owned()
    } else {
        return Ok(());
    };
    Err(format!("{kind} name '{shown}' {problem}"))
}

impl Catalog {
    /// The catalog a seed describes, with fresh ids.
    pub fn from_seed(seed: &Seed) -> Catalog {
        let mut catalog = Catalog::default();
        catalog.add_missing_tenants(seed);
        catalog
    }

    /// Adds the seed's tenants that the catalog does not have yet (after loading a saved state).
    pub fn add_missing_tenants(&mut self, seed: &Seed) {
        for tenant in &seed.tenants {
            if self.tenants.contains_key(&tenant.name) {
                continue;
            }
            let folders = tenant
                .folders
                .iter()
                .map(|folder| {
                    let services = folder
                        .services
                        .iter()
                        .map(|service| {
                            let mut versions: Vec<Version> = service
                                .versions
                                .iter()
                                .map(|&version| Version {
                                    version,
                                    id: Uuid::new_v4(),
                                    blob: None,
                                })
                                .collect();
                            versions.sort_by_key(|v| v.version);
                            (
                                service.name.clone(),
                                Service {
                                    id: Uuid::new_v4(),
                                    versions,
                                },
                            )
                        })
                        .collect();
                    (folder.name.clone(), Folder { services })
                })
                .collect();
            self.tenants
                .insert(tenant.name.clone(), TenantData { folders });
        }
    }
}

impl TenantData {
    /// A service by folder and name.
    pub fn service(&self, folder: &str, service: &str) -> Option<&Service> {
        self.folders.get(folder)?.services.get(service)
    }

    /// Every version id in use in the tenant.
    pub fn version_ids(&self) -> HashSet<Uuid> {
        self.services()
            .flat_map(|(_, _, s)| s.versions.iter().map(|v| v.id))
            .collect()
    }

    /// Every service id in use in the tenant.
    pub fn service_ids(&self) -> HashSet<Uuid> {
        self.services().map(|(_, _, s)| s.id).collect()
    }

    /// Every service with its folder and name, in folder then service order.
    pub fn services(&self) -> impl Iterator<Item = (&str, &str, &Service)> {
        self.folders.iter().flat_map(|(folder, f)| {
            f.services
                .iter()
                .map(move |(name, service)| (folder.as_str(), name.as_str(), service))
        })
    }
}

impl Service {
    /// The highest version.
    pub fn latest(&self) -> Option<&Version> {
        self.versions.iter().max_by_key(|v| v.version)
    }
}
