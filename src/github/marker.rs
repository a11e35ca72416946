//! The hidden marker of a manifest's sticky comment and drift issue: found again by its key, naming its
//! manifest for a person reading the comment's source.
use std::fmt;

use sha2::{Digest, Sha256};

/// The hidden marker that finds a run's comment again: one per manifest and set of selected promotions
/// (not per command, so that `apply` updates the comment `plan` wrote). It names its manifest
/// (`<!-- spark-promote:KEY manifest: teams/pricing/spark-promote.yaml -->`), so that in a monorepo each
/// comment and drift issue says which manifest it is for; the key alone finds it (so do markers written
/// before the name was added).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    text: String,
    /// `<!-- spark-promote:KEY `: what finds the marker.
    key: String,
}

impl Marker {
    /// The marker for `manifest` (as given; `./` and `\` are normalised) and the selected `promotions`
    /// (in any order; empty means all).
    pub fn new(manifest: &str, promotions: &[String]) -> Marker {
        let manifest = manifest.replace('\\', "/");
        let manifest = manifest.trim_start_matches("./");
        let mut promotions: Vec<&str> = promotions.iter().map(String::as_str).collect();
        promotions.sort_unstable();
        promotions.dedup();
        let mut hasher = Sha256::new();
        hasher.update(manifest.as_bytes());
        for promotion in promotions {
            hasher.update(b"\n");
            hasher.update(promotion.as_bytes());
        }
        let key = format!(
            "<!-- spark-promote:{} ",
            hex::encode(&hasher.finalize()[..8])
        );
        Marker {
            text: format!("{key}manifest: {} -->", in_html_comment(manifest)),
            key,
        }
    }

    /// The marker as it appears in a comment.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `body` holds this marker (as written now, or without the manifest's name, as before).
    pub fn is_in(&self, body: &str) -> bool {
        body.contains(&self.key)
    }

    /// Whether `body` begins with this marker (a drift issue's body).
    pub fn starts(&self, body: &str) -> bool {
        body.starts_with(&self.key)
    }
}

/// `path` as it may stand inside an HTML comment: `%XX` for what could end it or break a line.
fn in_html_comment(path: &str) -> String {
    let mut text = String::new();
    let mut previous = ' ';
    for c in path.chars() {
        let unsafe_here =
            matches!(c, '>' | '<' | '%' | '!') || c.is_control() || (c == '-' && previous == '-');
        if unsafe_here && c.is_ascii() {
            text.push_str(&format!("%{:02X}", c as u32));
        } else if c.is_control() {
            text.push('?');
        } else {
            text.push(c);
        }
        previous = c;
    }
    text
}

impl fmt::Display for Marker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_depends_on_the_manifest_and_the_selection_not_its_order() {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let a = Marker::new("spark-promote.yaml", &names(&["rates", "pricing"]));
        assert_eq!(
            a,
            Marker::new(
                "./spark-promote.yaml",
                &names(&["pricing", "rates", "pricing"])
            )
        );
        assert_ne!(a, Marker::new("spark-promote.yaml", &names(&["pricing"])));
        assert_ne!(a, Marker::new("other.yaml", &names(&["rates", "pricing"])));
        assert_ne!(
            Marker::new("spark-promote.yaml", &[]),
            Marker::new("spark-promote.yaml", &names(&["pricing"]))
        );
        let text = a.as_str();
        assert!(
            text.starts_with("<!-- spark-promote:")
                && text.ends_with(" manifest: spark-promote.yaml -->"),
            "{text}"
        );
        // Found by its key, as written before the manifest was named too.
        let key = &text[..text.find(" manifest:").unwrap()];
        assert!(a.is_in(&format!("intro\n{key} -->\n## Plan")));
        assert!(!a.is_in(text.replace(&key[19..], "0000000000000000").as_str()));
    }

    #[test]
    fn the_marker_names_its_manifest_without_ending_the_html_comment() {
        let marker = Marker::new("teams/a--b/x>y.yaml", &[]);
        assert!(
            marker
                .as_str()
                .ends_with(" manifest: teams/a-%2Db/x%3Ey.yaml -->"),
            "{}",
            marker.as_str()
        );
        assert_eq!(marker.as_str().matches("-->").count(), 1);
    }
}
