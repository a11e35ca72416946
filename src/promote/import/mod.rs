//! The import: the tenant's turn, the job, how it ran.
pub(crate) mod messages;
pub(crate) mod outputs;
