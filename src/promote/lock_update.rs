//! The `lock` command's engine: resolve the selected promotions' selectors in their source (an export, not
//! downloaded) and write the lock file beside the manifest.
use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context as _;

use crate::exit::InvalidInput;
use crate::manifest::Manifest;
use crate::promote::source::lock::{Lock, LockedPromotion, path_for};

/// What `update` does with the lock file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `lock`: write the lock, whether or not it exists.
    Write,
    /// `lock --update`: an existing lock is required; it is written only when an entry moved.
    Update,
}

/// What `update` wrote.
#[derive(Debug)]
pub struct Updated {
    pub path: PathBuf,
    pub lock: Lock,
    /// One line per promotion whose entry moved (new, or resolved to other versions), e.g.
    /// `pricing: pricing/quote 1.1.0 -> 1.2.0`.
    pub moved: Vec<String>,
    /// Whether the file was written.
    pub written: bool,
}

/// `spark-promote lock`: resolves the selected promotions (all when `selected` is empty) and writes the
/// lock file beside the manifest, keeping the other promotions' entries (and dropping those the manifest
/// no longer has); an entry that resolves as before is kept as it was (the same bytes). Nothing is
/// written when one fails, nor (with [`Mode::Update`]) when no entry moved.
pub async fn update(
    manifest: std::sync::Arc<Manifest>,
    selected: &[String],
    options: crate::promote::RunOptions,
    mode: Mode,
) -> anyhow::Result<Updated> {
    let promotions = manifest.select(selected).map_err(InvalidInput::of)?;
    let path = path_for(&manifest.path);
    let existing = Lock::load(&path)?;
    if mode == Mode::Update && existing.is_none() {
        return Err(InvalidInput::msg(format!(
            "--update: {} is missing; run `spark-promote lock` first",
            path.display()
        ))
        .into());
    }
    let mut lock = existing.unwrap_or_default();
    let before = lock.clone();
    lock.version = 1;
    lock.promotions
        .retain(|name, _| manifest.promotions.iter().any(|p| &p.name == name));
    let ctx = crate::promote::context::Context::new(manifest.clone(), options)?;
    let mut moved = Vec::new();
    for promotion in promotions {
        let locked = crate::promote::source::resolve_lock(&ctx, promotion)
            .await
            .with_context(|| format!("failed to lock promotion {}", promotion.name))?;
        for version in &locked.versions {
            tracing::info!(
                "{}: {} {} (version id {})",
                promotion.name,
                version.service,
                version.version,
                version.version_id
            );
        }
        if let Some(sha256) = &locked.package_sha256 {
            tracing::info!("{}: package sha256 {sha256}", promotion.name);
        }
        let previous = lock.promotions.get(&promotion.name);
        if previous != Some(&locked) {
            moved.push(movement(&promotion.name, previous, &locked));
            lock.promotions.insert(promotion.name.clone(), locked);
        }
    }
    let written = mode == Mode::Write || lock != before;
    if written {
        lock.save(&path)?;
    }
    Ok(Updated {
        path,
        lock,
        moved,
        written,
    })
}

/// How a promotion's entry moved, in one line.
fn movement(name: &str, previous: Option<&LockedPromotion>, now: &LockedPromotion) -> String {
    let Some(previous) = previous else {
        return format!("{name}: new entry");
    };
    let by_service = |locked: &LockedPromotion| {
        let mut services: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for version in &locked.versions {
            services
                .entry(version.service.clone())
                .or_default()
                .push(version.version.clone());
        }
        services
    };
    let (was, is) = (by_service(previous), by_service(now));
    let mut changes: Vec<String> = was
        .keys()
        .chain(is.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|service| was.get(*service) != is.get(*service))
        .map(|service| {
            let shown = |versions: Option<&Vec<String>>| {
                versions.map_or_else(|| "none".to_string(), |versions| versions.join(", "))
            };
            format!(
                "{service} {} -> {}",
                shown(was.get(service)),
                shown(is.get(service))
            )
        })
        .collect();
    if previous.package_sha256 != now.package_sha256 {
        changes.push("package changed".to_string());
    }
    if changes.is_empty() {
        if previous.manifest_entry != now.manifest_entry {
            changes.push("manifest entry changed".to_string());
        } else {
            changes.push("version ids changed".to_string());
        }
    }
    format!("{name}: {}", changes.join("; "))
}
