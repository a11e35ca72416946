//! Reading the manifest's text into the raw model, within bounds: a hostile file (an alias bomb, deep nesting,
//! a huge file) gets an error quickly and in little memory.
use std::io::Read;
use std::path::Path;

use super::diagnostic::{self, Diagnostic, ManifestError};
use super::raw::RawManifest;

/// Largest manifest accepted, in bytes. A real manifest is a few kilobytes.
pub const MAX_BYTES: usize = 1024 * 1024;
/// Deepest nesting of mappings and lists accepted (a manifest needs 6).
pub(crate) const MAX_DEPTH: usize = 16;

/// Reads a manifest file as UTF-8 text, refusing files over [`MAX_BYTES`] without reading them whole.
pub fn read(path: &Path) -> Result<String, ManifestError> {
    let file_name = path.display().to_string();
    let fail = |message: String| ManifestError::one(Diagnostic::whole_file(&file_name, message));
    let file =
        std::fs::File::open(path).map_err(|e| fail(format!("cannot read the manifest: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot read the manifest: {e}")))?;
    check_size(bytes.len()).map_err(fail)?;
    String::from_utf8(bytes).map_err(|e| fail(format!("the manifest is not UTF-8 text: {e}")))
}

fn check_size(len: usize) -> Result<(), String> {
    if len > MAX_BYTES {
        Err(format!(
            "the manifest is larger than {} KiB; is this the right file?",
            MAX_BYTES / 1024
        ))
    } else {
        Ok(())
    }
}

/// Parses the text into the raw model; a YAML or shape error stops at the first problem. The deserializer
/// tracks the key being read, so that a value of the wrong type is reported with its key.
pub(crate) fn raw(text: &str, file_name: &str) -> Result<RawManifest, ManifestError> {
    check_size(text.len())
        .map_err(|message| ManifestError::one(Diagnostic::whole_file(file_name, message)))?;
    let mut key = None;
    serde_saphyr::with_deserializer_from_str_with_options(
        &super::flow::protect(text),
        options(),
        |deserializer| {
            serde_path_to_error::deserialize(deserializer).map_err(|error| {
                key = key_of(error.path());
                error.into_inner()
            })
        },
    )
    .map_err(|error| {
        ManifestError::one(diagnostic::from_yaml(
            file_name,
            text,
            key.as_deref(),
            &error,
        ))
    })
}

/// The key a deserializer error is about, as written in the manifest (`promotions[0].from.services`):
/// the path without the `value` field of the `Spanned` wrappers; none when a step of it is unknown.
fn key_of(path: &serde_path_to_error::Path) -> Option<String> {
    use serde_path_to_error::Segment;
    let mut key = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => key.push_str(&format!("[{index}]")),
            // Raw types have no field named `value`; a map key (an environment) named so is left out too.
            Segment::Map { key: name } if name == "value" => {}
            Segment::Map { key: name } | Segment::Enum { variant: name } => {
                if !key.is_empty() {
                    key.push('.');
                }
                key.push_str(name);
            }
            Segment::Unknown => return None,
        }
    }
    (!key.is_empty()).then_some(key)
}

/// Limits far above what a manifest needs and far below what would hurt.
fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            flow_nesting_limit: MAX_DEPTH,
            max_documents: 1,
            max_aliases: 1_000,
            max_anchors: 1_000,
            max_merge_keys: 1_000,
            max_nodes: 100_000,
            max_events: 300_000,
            max_total_scalar_bytes: MAX_BYTES,
            max_recorded_anchor_events: 10_000,
            max_recorded_anchor_bytes: MAX_BYTES,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 10_000,
            max_replay_stack_depth: MAX_DEPTH,
        },
        reject_unsupported_tags: true,
    }
}
