//! Shared test support: a sandbox on 127.0.0.1:0, the binary under test, tool lookups.
#![allow(dead_code)]
pub mod bin;
pub mod cli;
pub mod package;
pub mod sandbox;
pub mod tools;
