//! The decision: what a run does with a promotion, from the destination's state now. Plan, apply and a
//! locked re-run all call [`decide`], and report what it says; nothing else decides "already applied?",
//! "what will this import do?" or "what would fail?".
//!
//! In order:
//! 1. the tenant's import jobs ([`job`]): one of ours running is attached to; one that completed, whose work
//!    is still there, means nothing to do;
//! 2. the destination ([`state`]): each destination service's versions (and, for a service that does not
//!    exist, its folder), read once; a refused read is a warning, not a failure;
//! 3. the records of earlier promotions ([`records`]): the newest record of each destination service, and
//!    where it put each version; believed only where the destination still holds that;
//! 4. the rules, per destination service and version ([`rules`]): unchanged, add, replace, update or fail.
//!
//! Then: any failure fails the promotion before its import; everything unchanged is a skip; some unchanged
//! narrows an export to the version ids still missing, and stops a committed package (which cannot be
//! narrowed) before any POST, naming what is there.
pub(crate) mod job;
pub(crate) mod locked;
pub(crate) mod mappings;
pub(crate) mod records;
pub mod rules;
pub(crate) mod state;
mod verdicts;

use crate::manifest::Promotion;
use crate::promote::context::Context;
use crate::promote::record::{Placed, PromotionRecord};
use crate::promote::result::{ServiceResult, Skip};
use crate::promote::source::Listed;
use crate::promote::source::export::ExportIndex;
use crate::spark::{Client, JobStatus};

use job::Ours;
use state::Destination;

/// What a promotion ships, as the decision needs it.
pub(crate) struct Shipment<'a> {
    /// The package's export index (the source version ids), when known.
    pub index: Option<&'a ExportIndex>,
    /// The source services and their version numbers.
    pub listed: &'a [Listed],
    /// An export of the source environment: it can be narrowed to the version ids still missing. A
    /// committed package cannot.
    pub narrowable: bool,
    /// How the package is named in a message (`the export from uat`, `the package packages/p.zip`).
    pub display: String,
}

/// The decision on one promotion.
pub(crate) struct Decision {
    pub verdict: Verdict,
    /// What the import does (or would do) to each destination service.
    pub services: Vec<ServiceResult>,
    /// Failures known before the import, one line each.
    pub failures: Vec<String>,
    pub warnings: Vec<String>,
    /// The versions found in place and left out of the import (for the record the import leaves).
    pub present: Vec<Placed>,
}

/// What to do.
pub(crate) enum Verdict {
    /// Import; `only`: the source version ids to export when some are in place already (none: all).
    Import { only: Option<Vec<String>> },
    /// A job of ours is running (another run started it): apply attaches to it.
    Running { job_id: String },
    /// Nothing to import.
    Skip(Skipped),
    /// The import would fail (see the failures): nothing is imported.
    Fail,
}

/// Why nothing is imported.
pub(crate) enum Skipped {
    /// A completed import job of ours (its status gives the report's outputs).
    Job {
        job_id: String,
        status: Box<JobStatus>,
    },
    /// The destination (or a record it confirms) holds everything.
    Found(Skip),
}

impl Skipped {
    /// The reason, as the result carries it.
    pub fn skip(&self) -> Skip {
        match self {
            Skipped::Job { job_id, .. } => Skip::Job {
                job_id: job_id.clone(),
            },
            Skipped::Found(skip) => skip.clone(),
        }
    }
}

/// Decides a promotion (cancellable, like every call of a run). `correlation_id` becomes a new one when an
/// earlier import with it was undone since: the caller imports (or attaches) with it.
pub(crate) async fn decide(
    ctx: &Context,
    promotion: &Promotion,
    shipment: &Shipment<'_>,
    correlation_id: &mut String,
) -> anyhow::Result<Decision> {
    let client = ctx.client(&promotion.to)?;
    let records = &ctx.options.records;
    ctx.options
        .cancel
        .unless(
            "deciding what to import",
            decide_with(
                client,
                promotion,
                shipment,
                correlation_id,
                records,
                ctx.options.rollback,
            ),
        )
        .await
}

async fn decide_with(
    client: &Client,
    promotion: &Promotion,
    shipment: &Shipment<'_>,
    correlation_id: &mut String,
    records: &[PromotionRecord],
    restoring: bool,
) -> anyhow::Result<Decision> {
    let running = match job::ours(client, promotion, correlation_id, records).await? {
        Some(Ours::Completed { job_id, status }) => {
            return Ok(Decision::skipped(Skipped::Job { job_id, status }));
        }
        Some(Ours::Running { job_id }) => Some(job_id),
        None => None,
    };
    let targets = verdicts::targets(promotion, shipment, restoring);
    let mut destinations: Vec<String> = targets.iter().map(|t| t.destination.clone()).collect();
    destinations.sort();
    destinations.dedup();
    let state = Destination::read(
        client,
        &promotion.to,
        destinations.iter().map(String::as_str),
    )
    .await?;
    // A backup put back on top is shown done only by its own record (see `rules::Mode::trusts_ids`).
    let on_top = targets.iter().any(|target| !target.mode.trusts_ids());
    let placements = records::placements(client, promotion, records, &destinations, on_top).await;
    let mut decision = verdicts::judge(
        promotion,
        shipment,
        &targets,
        &state,
        &placements,
        records,
        correlation_id,
    );
    if let Some(job_id) = running {
        decision.verdict = Verdict::Running { job_id };
    }
    Ok(decision)
}

impl Decision {
    fn skipped(skipped: Skipped) -> Decision {
        Decision {
            verdict: Verdict::Skip(skipped),
            services: Vec::new(),
            failures: Vec::new(),
            warnings: Vec::new(),
            present: Vec::new(),
        }
    }
}
