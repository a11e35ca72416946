//! The decision: what a run does with each promotion, from the destination's state.
pub(crate) mod applied;
pub(crate) mod locked;
pub(crate) mod predict;
