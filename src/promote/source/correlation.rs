//! Deterministic correlation ids: the same promotion of the same content to the same place always gets the
//! same id, so a re-run finds its earlier job instead of importing twice.
use sha2::{Digest, Sha256};

/// What is imported, as far as identity goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A package file: its sha256.
    PackageSha256(String),
    /// An export from an environment: the exported version ids (two exports of the same versions need not
    /// be byte-identical, so the bytes are not used).
    SourceVersionIds(Vec<String>),
    /// An export: what it exports is all in the request.
    ExportRequest,
}

/// Everything that decides a correlation id.
#[derive(Debug, Clone)]
pub struct Identity<'a> {
    pub content: &'a Content,
    /// The import request as sent, without `correlation_id` and `source_system` (tags, not content),
    /// serialized canonically by the caller (e.g. `serde_json::to_string` of a struct with fixed field order).
    pub request: &'a str,
    /// The target: base URL including the tenant.
    pub target: &'a str,
}

/// Prefix of every id this tool generates (version 1 of the scheme).
const PREFIX: &str = "sp1-";

/// The correlation id for an identity: `sp1-` and 32 hex digits of a sha256 over the parts.
pub fn correlation_id(identity: &Identity<'_>) -> String {
    let mut hasher = Sha256::new();
    let mut part = |label: &str, value: &str| {
        // Length-prefixed parts: no two different inputs hash the same text.
        hasher.update(format!("{label}:{}:", value.len()));
        hasher.update(value.as_bytes());
    };
    match identity.content {
        Content::PackageSha256(sha) => part("package", sha),
        Content::SourceVersionIds(ids) => {
            let mut ids = ids.clone();
            ids.sort();
            ids.dedup();
            part("versions", &ids.join(","));
        }
        Content::ExportRequest => part("export", ""),
    }
    part("request", identity.request);
    part("target", identity.target.trim_end_matches('/'));
    let digest = hasher.finalize();
    format!("{PREFIX}{}", hex::encode(&digest[..16]))
}

/// The correlation id of an import again of what `previous` imported in job `undone_job`, which was undone
/// since (a rollback, a deletion): a new id, the same in every run that finds the same undone job, so that
/// importing again is itself idempotent.
pub fn again(previous: &str, undone_job: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(format!("again:{}:{previous}:", previous.len()));
    hasher.update(undone_job.as_bytes());
    format!("{PREFIX}{}", hex::encode(&hasher.finalize()[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(content: &Content, request: &str, target: &str) -> String {
        correlation_id(&Identity {
            content,
            request,
            target,
        })
    }

    #[test]
    fn same_content_request_and_target_give_the_same_id() {
        let content = Content::PackageSha256("ab".repeat(32));
        let a = id(
            &content,
            r#"{"services_existing":"replace"}"#,
            "https://x/acme",
        );
        let b = id(
            &content,
            r#"{"services_existing":"replace"}"#,
            "https://x/acme/",
        );
        assert_eq!(a, b);
        assert!(a.starts_with("sp1-") && a.len() == 4 + 32, "{a}");
    }

    #[test]
    fn any_difference_changes_the_id() {
        let content = Content::PackageSha256("ab".repeat(32));
        let base = id(&content, "r", "https://x/acme");
        assert_ne!(
            base,
            id(
                &Content::PackageSha256("cd".repeat(32)),
                "r",
                "https://x/acme"
            )
        );
        assert_ne!(base, id(&content, "r2", "https://x/acme"));
        assert_ne!(base, id(&content, "r", "https://x/other"));
    }

    #[test]
    fn export_identity_ignores_version_id_order_and_duplicates() {
        let a = Content::SourceVersionIds(vec!["v2".into(), "v1".into()]);
        let b = Content::SourceVersionIds(vec!["v1".into(), "v2".into(), "v1".into()]);
        assert_eq!(id(&a, "r", "t"), id(&b, "r", "t"));
        let c = Content::SourceVersionIds(vec!["v1".into()]);
        assert_ne!(id(&a, "r", "t"), id(&c, "r", "t"));
    }

    #[test]
    fn parts_cannot_run_into_each_other() {
        let content = Content::SourceVersionIds(vec![]);
        assert_ne!(id(&content, "ab", "c"), id(&content, "a", "bc"));
    }

    #[test]
    fn an_import_again_after_an_undone_job_gets_its_own_stable_id() {
        let first = again("sp1-00", "job-1");
        assert_eq!(first, again("sp1-00", "job-1"));
        assert!(first.starts_with(PREFIX) && first.len() == PREFIX.len() + 32);
        assert_ne!(first, again("sp1-00", "job-2"));
        assert_ne!(first, again("sp1-01", "job-1"));
        assert_ne!(first, "sp1-00");
    }
}
