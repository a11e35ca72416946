//! The one integration-test binary: each module drives the real binary or library over real HTTP.
mod support;

mod action;
mod backup;
mod cli;
mod combination;
mod container;
mod drift;
mod examples;
mod github;
mod hostile;
mod idempotency;
mod layers;
mod lock;
mod locked_rerun;
mod manifest;
mod model;
mod own_jobs;
mod package_index;
mod predictions;
mod promote;
mod python_sdk;
mod reliability;
mod sandbox;
mod secrets;
mod spark_client;
