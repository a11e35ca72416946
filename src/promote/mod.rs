//! The engine, in the order an apply runs:
//! [`source`] (the package, or an export of the source environment; the lock) →
//! [`decide`] (one typed decision per service from the destination's state; a plan stops here) →
//! [`backup`] → [`import`] (the tenant's turn, the job, polling, cancellation) → [`verification`] (the
//! cases against the imported version; a plan shows the behaviour change) → [`record`] (promotion records). [`jobs`] is the job machinery the stages share; [`run`] runs the selected promotions, and
//! [`plan`], [`apply`] and [`drift`] are the pipelines over the stages.
//!
//! The engine never renders: it returns a [`result::RunResult`] that `report` turns into text.
mod apply;
pub mod backup;
pub mod cancel;
pub mod context;
pub mod decide;
pub mod drift;
pub mod files;
mod finish;
pub mod import;
pub mod job_by_id;
pub mod jobs;
pub mod lock_update;
mod order;
mod plan;
pub mod progress;
pub mod record;
pub mod result;
mod run;
pub mod source;
pub mod uri;
pub mod verification;
pub mod version;
mod xcalls;

pub use context::RunOptions;
pub use run::{run, run_promotions};
