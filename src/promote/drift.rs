//! Drift: per promotion, what its source (or its lock) holds against what its destination holds, by
//! version id (Spark keeps a version's id on import, see `applied`), and, where the import keeps version
//! numbers (`replace`, `abort`, `copy`), at its number: the same rule as "already applied?", so that drift
//! says "in sync" exactly when apply would import nothing (the one rule: `decide::rules::presence`, without
//! records: drift reads what the destination holds now).
//!
//! For each destination service, the *anchor* is the newest source version (by the source's numbering)
//! whose id is at the destination: what was last promoted. Then:
//! - a source version to ship (the export listing, or the locked versions) that is not at the destination
//!   and is newer than the anchor: the source has newer versions;
//! - one that is not at the destination and is not newer than the anchor (or there is no anchor: nothing
//!   of the source is there, say the service was deleted or never promoted): the destination differs, a
//!   version is missing there;
//! - a destination version whose id the source does not have, newer (by the destination's numbering) than
//!   the anchor's copy: the destination differs, a version was added there by hand. Older ones are the
//!   destination's own history and are not drift.
use std::collections::BTreeMap;

use anyhow::Context as _;
use serde::Serialize;

use crate::manifest::{Manifest, Promotion, Source};
use crate::promote::context::Context;
use crate::promote::decide::rules::{self, Mode, Presence, ShippedVersion};
use crate::promote::result::PromotionResult;
use crate::promote::uri::service_uri;
use crate::promote::version::SemVer;
use crate::spark::ServiceVersion;

/// One destination service's inputs: the versions to ship, every version the source has, and the
/// destination's versions.
#[derive(Debug, Clone)]
pub struct ServiceView {
    /// `folder/service` in the source.
    pub source: String,
    /// `folder/service` in the destination.
    pub destination: String,
    /// What the promotion ships: the export listing, or the locked versions.
    pub shipped: Vec<ServiceVersion>,
    /// Every version the source service holds (with `shipped`, whatever it says).
    pub source_all: Vec<ServiceVersion>,
    /// Every version the destination service holds (none when it does not exist).
    pub destination_all: Vec<ServiceVersion>,
    /// How the promotion imports into this service: where it keeps version numbers (`replace`, `abort`,
    /// `add_version` with `copy`), a source version is at the destination only with its id at its number,
    /// as the decision's rule (`decide::rules::presence`) says.
    pub mode: Mode,
}

/// How one destination service differs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServiceDrift {
    pub source: String,
    pub destination: String,
    /// Source versions newer than what the destination holds.
    pub newer: Vec<ServiceVersion>,
    /// Source versions (at or below what was promoted) missing at the destination.
    pub missing: Vec<ServiceVersion>,
    /// Destination versions, above what was promoted, that the source does not have.
    pub added: Vec<ServiceVersion>,
}

/// The state of one promotion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    InSync,
    SourceNewer,
    DestinationDiffers,
    /// The comparison could not be made (see the errors).
    Failed,
}

impl State {
    pub fn describe(self) -> &'static str {
        match self {
            State::InSync => "in sync",
            State::SourceNewer => "source has newer versions",
            State::DestinationDiffers => "destination differs from what was promoted",
            State::Failed => "failed",
        }
    }
}

/// One promotion's drift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromotionDrift {
    pub name: String,
    /// The source environment, or the package as written.
    pub from: String,
    pub to: String,
    pub state: State,
    /// Only the services that differ.
    pub services: Vec<ServiceDrift>,
    pub warnings: Vec<String>,
    pub errors: Vec<String>,
}

/// The drift of the selected promotions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftReport {
    pub promotions: Vec<PromotionDrift>,
}

impl DriftReport {
    /// Whether a comparison failed.
    pub fn failed(&self) -> bool {
        self.promotions.iter().any(|p| p.state == State::Failed)
    }

    /// Whether any promotion drifted.
    pub fn drifted(&self) -> bool {
        self.promotions
            .iter()
            .any(|p| matches!(p.state, State::SourceNewer | State::DestinationDiffers))
    }

    /// The command's outcome: failed when a comparison failed, else drift when a promotion drifted, else
    /// success (the CLI's exit code and the action's `status`).
    pub fn outcome(&self) -> crate::exit::Outcome {
        if self.failed() {
            crate::exit::Outcome::Failed
        } else if self.drifted() {
            crate::exit::Outcome::Drift
        } else {
            crate::exit::Outcome::Success
        }
    }

    /// The text summary: one line per promotion, then one per difference.
    pub fn text(&self) -> String {
        let mut lines = Vec::new();
        for promotion in &self.promotions {
            lines.push(format!(
                "{} ({} -> {}): {}",
                promotion.name,
                promotion.from,
                promotion.to,
                promotion.state.describe()
            ));
            for service in &promotion.services {
                let shown = |version: &ServiceVersion| {
                    format!(
                        "{} (id {})",
                        version.version.as_deref().unwrap_or("?"),
                        version.id
                    )
                };
                for version in &service.newer {
                    lines.push(format!(
                        "  newer in {}: {} {}",
                        promotion.from,
                        service.source,
                        shown(version)
                    ));
                }
                for version in &service.missing {
                    lines.push(format!(
                        "  missing in {}: {} {} (promoted from {})",
                        promotion.to,
                        service.destination,
                        shown(version),
                        service.source
                    ));
                }
                for version in &service.added {
                    lines.push(format!(
                        "  added in {}: {} {} (not in {})",
                        promotion.to,
                        service.destination,
                        shown(version),
                        promotion.from
                    ));
                }
            }
            for warning in &promotion.warnings {
                lines.push(format!("  warning: {warning}"));
            }
            for error in &promotion.errors {
                lines.push(format!("  error: {error}"));
            }
        }
        lines.join("\n")
    }
}

fn semver(version: &ServiceVersion) -> Option<SemVer> {
    version.version.as_deref().and_then(SemVer::parse)
}

/// Compares one destination service (pure).
pub fn compare(view: &ServiceView) -> ServiceDrift {
    // The decision's rule, without records: drift reads what the destination holds now.
    let at_destination = |source: &ServiceVersion| {
        let shipped = ShippedVersion {
            id: Some(source.id.clone()),
            number: source.version.clone(),
        };
        let presence = rules::presence(
            &shipped,
            &view.destination_all,
            view.mode,
            &view.destination,
            &[],
        );
        matches!(presence, Presence::Present { .. })
    };
    let known = |id: &str| {
        view.source_all
            .iter()
            .chain(&view.shipped)
            .any(|source| source.id == id)
    };
    // The anchor: the newest source version (source numbering) whose id is at the destination.
    let anchor = view
        .source_all
        .iter()
        .chain(&view.shipped)
        .filter(|source| at_destination(source))
        .max_by_key(|source| semver(source));
    let mut drift = ServiceDrift {
        source: view.source.clone(),
        destination: view.destination.clone(),
        ..ServiceDrift::default()
    };
    for version in &view.shipped {
        if at_destination(version) {
            continue;
        }
        let newer = anchor.is_some_and(|anchor| semver(version) > semver(anchor));
        let list = if newer {
            &mut drift.newer
        } else {
            &mut drift.missing
        };
        if !list.contains(version) {
            list.push(version.clone());
        }
    }
    if let Some(anchor) = anchor {
        let anchor_copy = view
            .destination_all
            .iter()
            .find(|held| held.id == anchor.id)
            .and_then(semver);
        drift.added = view
            .destination_all
            .iter()
            .filter(|held| !known(&held.id) && semver(held) > anchor_copy)
            .cloned()
            .collect();
    }
    drift
}

impl ServiceDrift {
    fn is_empty(&self) -> bool {
        self.newer.is_empty() && self.missing.is_empty() && self.added.is_empty()
    }
}

/// The state of a promotion from its services' drift.
pub fn state_of(services: &[ServiceDrift]) -> State {
    if services
        .iter()
        .any(|s| !s.missing.is_empty() || !s.added.is_empty())
    {
        State::DestinationDiffers
    } else if services.iter().any(|s| !s.newer.is_empty()) {
        State::SourceNewer
    } else {
        State::InSync
    }
}

/// Compares the selected promotions (all when `selected` is empty); a promotion that cannot be compared
/// is `failed` with its error, and the others are still compared.
pub async fn run(
    manifest: std::sync::Arc<Manifest>,
    selected: &[String],
    options: super::RunOptions,
) -> anyhow::Result<DriftReport> {
    let promotions = manifest
        .select(selected)
        .map_err(crate::exit::InvalidInput::of)?;
    let ctx = Context::new(manifest.clone(), options)?;
    let mut report = DriftReport {
        promotions: Vec::new(),
    };
    for promotion in promotions {
        let mut result = PromotionResult::begin(promotion);
        let outcome = views(&ctx, promotion, &mut result).await;
        let (state, services, errors) = match outcome {
            Ok(views) => {
                let services: Vec<ServiceDrift> = views
                    .iter()
                    .map(compare)
                    .filter(|drift| !drift.is_empty())
                    .collect();
                (state_of(&services), services, Vec::new())
            }
            Err(err) => {
                tracing::error!("promotion {} failed: {err:#}", promotion.name);
                (State::Failed, Vec::new(), vec![format!("{err:#}")])
            }
        };
        report.promotions.push(PromotionDrift {
            name: promotion.name.clone(),
            from: match &promotion.source {
                Source::Environment { environment, .. } => environment.clone(),
                Source::Package { display, .. } => display.clone(),
            },
            to: promotion.to.clone(),
            state,
            services,
            warnings: result.warnings,
            errors,
        });
    }
    Ok(report)
}

/// The inputs of each destination service of a promotion: the export listing (or the locked versions)
/// through the plan's path, the source's and the destination's versions.
async fn views(
    ctx: &Context,
    promotion: &Promotion,
    result: &mut PromotionResult,
) -> anyhow::Result<Vec<ServiceView>> {
    let listing = crate::promote::source::prepare_listing(ctx, promotion, result).await?;
    let index = listing.index.with_context(|| {
        "the package has no export index (NAME.zip.json): its version ids are unknown".to_string()
    })?;
    let mut shipped: BTreeMap<String, Vec<ServiceVersion>> = BTreeMap::new();
    for version in &index.service_versions {
        let source = service_uri(&version.service_uri_source);
        let id = version
            .version_id_source
            .clone()
            .with_context(|| format!("the export index gives no version id for {source}"))?;
        shipped.entry(source).or_default().push(ServiceVersion {
            id,
            version: version.version_source.clone(),
        });
    }
    let source_client = match &promotion.source {
        Source::Environment { environment, .. } => Some((environment, ctx.client(environment)?)),
        Source::Package { .. } => None,
    };
    let destination_client = ctx.client(&promotion.to)?;
    let mut views = Vec::new();
    for (source, shipped) in shipped {
        let destination = promotion.destination_of(&source);
        let source_all = match source_client {
            Some((environment, client)) => read(client, &source, environment).await?,
            None => Vec::new(),
        };
        let destination_all = read(destination_client, &destination, &promotion.to).await?;
        views.push(ServiceView {
            mode: Mode::of(promotion.services_existing, promotion.update_of(&source)),
            source,
            destination,
            shipped,
            source_all,
            destination_all,
        });
    }
    Ok(views)
}

/// The versions of `folder/service` in an environment: none when it does not exist.
async fn read(
    client: &crate::spark::Client,
    uri: &str,
    environment: &str,
) -> anyhow::Result<Vec<ServiceVersion>> {
    let (folder, service) = uri
        .split_once('/')
        .with_context(|| format!("service {uri} is not of the form folder/service"))?;
    Ok(client
        .service_versions(folder, service)
        .await
        .with_context(|| format!("failed to read the versions of {uri} in {environment}"))?
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(id: &str, version: &str) -> ServiceVersion {
        ServiceVersion {
            id: id.into(),
            version: Some(version.into()),
        }
    }

    fn view(
        shipped: &[ServiceVersion],
        source_all: &[ServiceVersion],
        destination_all: &[ServiceVersion],
    ) -> ServiceView {
        ServiceView {
            source: "pricing/quote".into(),
            destination: "pricing/quote".into(),
            shipped: shipped.to_vec(),
            source_all: source_all.to_vec(),
            destination_all: destination_all.to_vec(),
            mode: Mode::Bump(crate::promote::version::Bump::Minor),
        }
    }

    #[test]
    fn where_the_import_keeps_numbers_an_id_at_another_number_is_not_the_promoted_version() {
        // u11 is at prod as 1.2.0 (an add_version renumbered it); a replace would put it at 1.1.0.
        let mut kept = view(
            &[v("u11", "1.1.0")],
            &[v("u11", "1.1.0")],
            &[v("u11", "1.2.0")],
        );
        assert!(
            compare(&kept).is_empty(),
            "numbers do not matter for add_version"
        );
        kept.mode = Mode::Replace;
        let drift = compare(&kept);
        assert_eq!(drift.missing, [v("u11", "1.1.0")]);
        assert_eq!(state_of(&[drift]), State::DestinationDiffers);
        // At its own number it is in sync.
        kept.destination_all = vec![v("u11", "1.1.0")];
        assert!(compare(&kept).is_empty());
    }

    #[test]
    fn a_destination_holding_the_shipped_ids_over_its_own_history_is_in_sync() {
        // prod's own 1.0.0 (another id) is history below what was promoted; the import renumbered u11.
        let drift = compare(&view(
            &[v("u11", "1.1.0")],
            &[v("u10", "1.0.0"), v("u11", "1.1.0")],
            &[v("p10", "1.0.0"), v("u11", "1.1.0")],
        ));
        assert_eq!(
            state_of(std::slice::from_ref(&drift)),
            State::InSync,
            "{drift:?}"
        );
    }

    #[test]
    fn a_shipped_version_above_what_was_promoted_is_newer_in_the_source() {
        let drift = compare(&view(
            &[v("u12", "1.2.0")],
            &[v("u10", "1.0.0"), v("u11", "1.1.0"), v("u12", "1.2.0")],
            &[v("p10", "1.0.0"), v("u11", "1.1.0")],
        ));
        assert_eq!(drift.newer, vec![v("u12", "1.2.0")]);
        assert!(drift.missing.is_empty() && drift.added.is_empty());
        assert_eq!(state_of(&[drift]), State::SourceNewer);
    }

    #[test]
    fn a_version_added_at_the_destination_above_what_was_promoted_differs() {
        let drift = compare(&view(
            &[v("u11", "1.1.0")],
            &[v("u10", "1.0.0"), v("u11", "1.1.0")],
            &[v("p10", "1.0.0"), v("u11", "1.1.0"), v("hand", "1.2.0")],
        ));
        assert_eq!(drift.added, vec![v("hand", "1.2.0")]);
        assert_eq!(state_of(&[drift]), State::DestinationDiffers);
    }

    #[test]
    fn a_shipped_version_gone_from_the_destination_is_missing_there() {
        // The whole service deleted: nothing of the source is there.
        let gone = compare(&view(&[v("u11", "1.1.0")], &[v("u11", "1.1.0")], &[]));
        assert_eq!(gone.missing, vec![v("u11", "1.1.0")]);
        // One locked version deleted below a newer one that is there.
        let below = compare(&view(
            &[v("u10", "1.0.0"), v("u11", "1.1.0")],
            &[v("u10", "1.0.0"), v("u11", "1.1.0")],
            &[v("u11", "1.1.0")],
        ));
        assert_eq!(below.missing, vec![v("u10", "1.0.0")]);
        assert!(below.newer.is_empty());
        assert_eq!(state_of(&[gone, below]), State::DestinationDiffers);
    }
}
