//! The secrets known to the run (the manifest's resolved secrets, the access tokens fetched at run time, the
//! GitHub token), and their removal from text: every body a server sends back ([`crate::body`]) and every
//! text the run writes out (logs, job summary, comment, issue, result file, outputs) pass through [`text`].
//! A server that echoes a request (its form, its headers) echoes them back as `***`.
//!
//! In the action, [`on_register`] makes each newly known secret an `::add-mask::` at once, so the runner
//! masks it too.
use std::borrow::Cow;
use std::sync::{OnceLock, RwLock};

use bytes::Bytes;

/// What a secret becomes.
pub const MASK: &str = "***";

/// Secrets shorter than this are not searched for: they would turn ordinary words into `***`.
const MIN_LEN: usize = 4;

/// Every form of every registered secret, longest first (so a longer form is replaced before a part of it).
static FORMS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// What is done with a newly registered secret.
type Hook = Box<dyn Fn(&str) + Send + Sync>;

/// Called once for each newly registered secret (the action's `::add-mask::`).
static ON_REGISTER: OnceLock<Hook> = OnceLock::new();

/// Sets what is done with each newly known secret from now on (the first caller wins).
pub fn on_register(hook: impl Fn(&str) + Send + Sync + 'static) {
    let _ = ON_REGISTER.set(Box::new(hook));
}

/// Makes `secret` known to the run: removed from all later text, in its plain, percent-encoded (a form
/// echoed back) and JSON-escaped forms; a secret new to the run goes to the [`on_register`] hook.
pub fn register(secret: &str) {
    if remember(secret)
        && let Some(hook) = ON_REGISTER.get()
    {
        hook(secret);
    }
}

/// As [`register`], without the hook (the caller masked the secret itself); true when it was new.
pub fn remember(secret: &str) -> bool {
    if secret.len() < MIN_LEN {
        return false;
    }
    let forms = [
        secret.to_owned(),
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>(),
        serde_json::to_string(secret)
            .map(|json| json[1..json.len() - 1].to_owned())
            .unwrap_or_default(),
    ];
    let mut known = FORMS
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let new = !known.iter().any(|form| form == secret);
    for form in forms {
        if form.len() >= MIN_LEN && !known.contains(&form) {
            known.push(form);
        }
    }
    known.sort_by_key(|form| std::cmp::Reverse(form.len()));
    new
}

/// `text` with every known secret replaced by [`MASK`].
pub fn text(text: &str) -> Cow<'_, str> {
    let known = FORMS
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut out = Cow::Borrowed(text);
    for form in known.iter() {
        if out.contains(form.as_str()) {
            out = Cow::Owned(out.replace(form.as_str(), MASK));
        }
    }
    out
}

/// `text` as an owned string with every known secret replaced.
pub fn string(text: String) -> String {
    match self::text(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(redacted) => redacted,
    }
}

/// A body with every known secret replaced (a body that is not UTF-8 is searched byte for byte).
pub fn bytes(body: Bytes) -> Bytes {
    let known = FORMS
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !known.iter().any(|form| contains(&body, form.as_bytes())) {
        return body;
    }
    let mut out = body.to_vec();
    for form in known.iter() {
        out = replace(&out, form.as_bytes(), MASK.as_bytes());
    }
    Bytes::from(out)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn replace(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while !rest.is_empty() {
        if rest.starts_with(needle) {
            out.extend_from_slice(with);
            rest = &rest[needle.len()..];
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registered_secret_is_removed_in_each_form_a_server_could_echo() {
        register("s3cr/et+value&x");
        let echoed = "client_secret=s3cr%2Fet%2Bvalue%26x&grant_type=client_credentials";
        assert_eq!(
            text(echoed),
            "client_secret=***&grant_type=client_credentials"
        );
        assert_eq!(text("Bearer s3cr/et+value&x!"), "Bearer ***!");
        assert_eq!(
            &bytes(Bytes::from_static(b"{\"auth\":\"s3cr/et+value&x\"}"))[..],
            b"{\"auth\":\"***\"}"
        );
        assert_eq!(text("nothing here"), "nothing here");
    }

    #[test]
    fn short_values_are_not_searched_for() {
        register("ab");
        assert_eq!(text("abc abd"), "abc abd");
    }
}
