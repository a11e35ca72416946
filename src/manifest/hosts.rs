//! Which hosts may receive credentials.
//!
//! A pull request that edits the manifest must not be able to send a production token elsewhere, so every
//! URL that carries credentials (environment `url`, OAuth2 `token_url`) is checked against this policy:
//!
//! - `https://` to any subdomain of `coherent.global` (`excel.uat.us.coherent.global`; the apex
//!   `coherent.global` itself is not a Spark host);
//! - `http://` or `https://` to a loopback host: `localhost`, `127.0.0.0/8`, `::1` (the sandbox, tests);
//! - `https://` to a host the caller allows (`--allow-host`, the action's `allowed-hosts`): an exact host
//!   (`spark.internal.example.com`) or a wildcard over its subdomains (`*.example.com`);
//! - `http://` or `https://` to a host the caller allows with an explicit `http://` prefix
//!   (`http://172.17.0.1`): exactly that host, never a wildcard. This is for a sandbox or proxy on a private
//!   network that a docker action reaches outside its own loopback (the runner's docker bridge gateway).
//!
//! Plain `http://` to anything but loopback and hosts allowed as `http://HOST` is refused. The allowance
//! comes only from the caller (the workflow author's step input or the command line), never from the
//! manifest, so a pull request that edits the manifest cannot open a plain-http path for a token. Any port
//! is accepted: the trust is in the host name (and its TLS certificate), and the port does not change who
//! receives the credential. URLs with a user name or password in them are refused (credentials belong in
//! `auth`).
//!
//! Pre-signed download URLs carry no credentials and need no check.
use std::net::IpAddr;

use url::{Host, Url};

/// The Coherent domain whose subdomains may always receive credentials over https.
const COHERENT_DOMAIN: &str = "coherent.global";

/// The hosts that may receive credentials (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostPolicy {
    allowed: Vec<HostPattern>,
}

/// One entry the caller allows: an exact host, `*.` and a domain, or `http://` and an exact host (which may
/// also be reached over plain http).
#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Exact(String),
    Subdomains(String),
    PlainHttp(String),
}

impl HostPattern {
    fn parse(entry: &str) -> Result<Self, String> {
        let lowered = entry.to_ascii_lowercase();
        if let Some(host) = lowered.strip_prefix("http://") {
            return match HostPattern::parse(host.trim_end_matches('/')) {
                Ok(HostPattern::Exact(host)) => Ok(HostPattern::PlainHttp(host)),
                Ok(_) => Err(format!(
                    "invalid allowed host `{entry}`: plain http is allowed for one exact host only, \
                     not a wildcard"
                )),
                Err(err) => Err(err),
            };
        }
        let host = lowered.trim_end_matches('.');
        if host.contains("://") || host.contains('/') {
            return Err(format!(
                "invalid allowed host `{entry}`: give a host name without path, and no scheme but \
                 `http://` (to allow plain http to that host)"
            ));
        }
        let (wildcard, name) = match host.strip_prefix("*.") {
            Some(domain) => (true, domain),
            None => (false, host),
        };
        if name.is_empty() || name.contains('*') {
            return Err(format!(
                "invalid allowed host `{entry}`: use an exact host or `*.` followed by a domain"
            ));
        }
        if wildcard && !name.contains('.') {
            return Err(format!(
                "invalid allowed host `{entry}`: a wildcard needs a domain with at least two labels"
            ));
        }
        // Let the URL parser normalise the host (IDNA, IP literals) as it does for the URLs it checks.
        let normalised = Url::parse(&format!("https://{name}/"))
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .ok_or_else(|| format!("invalid allowed host `{entry}`: not a valid host name"))?;
        Ok(if wildcard {
            HostPattern::Subdomains(normalised)
        } else {
            HostPattern::Exact(normalised)
        })
    }

    fn matches(&self, host: &str) -> bool {
        match self {
            HostPattern::Exact(exact) | HostPattern::PlainHttp(exact) => host == exact,
            HostPattern::Subdomains(domain) => is_subdomain(host, domain),
        }
    }

    /// Whether the caller allowed plain http to `host`.
    fn allows_plain_http(&self, host: &str) -> bool {
        matches!(self, HostPattern::PlainHttp(exact) if host == exact)
    }
}

impl std::fmt::Display for HostPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HostPattern::Exact(host) => f.write_str(host),
            HostPattern::Subdomains(domain) => write!(f, "*.{domain}"),
            HostPattern::PlainHttp(host) => write!(f, "http://{host}"),
        }
    }
}

/// Whether `host` is a strict subdomain of `domain` (`a.b.example.com` of `example.com`).
fn is_subdomain(host: &str, domain: &str) -> bool {
    host.strip_suffix(domain)
        .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.'))
}

impl HostPolicy {
    /// A policy that also allows the given hosts. Each entry is an exact host, `*.domain`, or `http://HOST`
    /// (that exact host, over plain http too); an entry may hold several, separated by commas or white space
    /// (as the action's `allowed-hosts` input does).
    ///
    /// Errors on an entry that is not a host name (a URL with a path or another scheme, a bare `*`, a
    /// wildcard over a top-level domain, `http://` with a wildcard).
    pub fn new(allowed: &[String]) -> Result<Self, String> {
        let allowed = allowed
            .iter()
            .flat_map(|entry| entry.split(|c: char| c == ',' || c.is_whitespace()))
            .filter(|entry| !entry.is_empty())
            .map(HostPattern::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { allowed })
    }

    /// Checks that credentials may be sent to `url`; the error says why not and how to allow it.
    pub fn check(&self, url: &Url) -> Result<(), String> {
        if !url.username().is_empty() || url.password().is_some() {
            return Err(
                "url must not contain a user name or password; put credentials in `auth`".into(),
            );
        }
        let scheme = url.scheme();
        if scheme != "https" && scheme != "http" {
            return Err(format!("unsupported url scheme `{scheme}`, expected https"));
        }
        let Some(host) = url.host() else {
            return Err("url has no host".into());
        };
        if is_loopback(&host) {
            return Ok(());
        }
        let name = host.to_string();
        if scheme == "http" {
            if self.allowed.iter().any(|p| p.allows_plain_http(&name)) {
                return Ok(());
            }
            return Err(format!(
                "refusing to send credentials over plain http to {name}: use https (plain http is \
                 only for loopback hosts, and for a host the caller allows as http://HOST with \
                 --allow-host or the action input `allowed-hosts`)"
            ));
        }
        if is_subdomain(&name, COHERENT_DOMAIN) || self.allowed.iter().any(|p| p.matches(&name)) {
            return Ok(());
        }
        Err(format!(
            "host {name} may not receive credentials: allowed are *.{COHERENT_DOMAIN}, loopback{}; \
             allow it with --allow-host {name} (action input `allowed-hosts`)",
            self.allowed
                .iter()
                .map(|pattern| format!(", {pattern}"))
                .collect::<String>()
        ))
    }
}

/// `localhost`, `127.0.0.0/8` and `::1` (also as an IPv4-mapped address).
pub(crate) fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => {
            ip.is_loopback()
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4| IpAddr::V4(v4).is_loopback())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(allowed: &[&str]) -> HostPolicy {
        HostPolicy::new(&allowed.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn check(policy: &HostPolicy, url: &str) -> Result<(), String> {
        policy.check(&Url::parse(url).unwrap())
    }

    #[test]
    fn coherent_subdomains_over_https_are_allowed_on_any_port() {
        let p = policy(&[]);
        assert_eq!(
            check(&p, "https://excel.uat.us.coherent.global/acme"),
            Ok(())
        );
        assert_eq!(
            check(&p, "https://keycloak.prod.coherent.global:8443/auth"),
            Ok(())
        );
        assert_eq!(check(&p, "https://EXCEL.Prod.Coherent.Global/acme"), Ok(()));
    }

    #[test]
    fn lookalike_and_apex_coherent_hosts_are_refused() {
        let p = policy(&[]);
        assert!(check(&p, "https://coherent.global/acme").is_err());
        assert!(check(&p, "https://evilcoherent.global/acme").is_err());
        assert!(check(&p, "https://excel.coherent.global.evil.com/acme").is_err());
        assert!(check(&p, "https://excel.coherent.global./acme").is_err());
    }

    #[test]
    fn plain_http_is_refused_except_for_loopback() {
        let p = policy(&["spark.example.com"]);
        let err = check(&p, "http://excel.uat.coherent.global/acme").unwrap_err();
        assert!(err.contains("plain http"), "{err}");
        assert!(check(&p, "http://spark.example.com/acme").is_err());
        for url in [
            "http://127.0.0.1:8080/acme",
            "http://127.1.2.3/acme",
            "http://localhost:3000/acme",
            "http://[::1]:8080/acme",
            "https://localhost/acme",
            "http://[::ffff:127.0.0.1]/acme",
        ] {
            assert_eq!(check(&p, url), Ok(()), "{url}");
        }
    }

    #[test]
    fn plain_http_goes_only_to_the_exact_hosts_the_caller_allows_as_http() {
        let p = policy(&["http://172.17.0.1", "HTTP://Sandbox.CI.example/"]);
        assert_eq!(check(&p, "http://172.17.0.1:8080/acme"), Ok(()));
        assert_eq!(check(&p, "https://172.17.0.1/acme"), Ok(()));
        assert_eq!(check(&p, "http://sandbox.ci.example/acme"), Ok(()));
        for url in [
            "http://172.17.0.2:8080/acme",
            "http://other.ci.example/acme",
            "http://excel.uat.coherent.global/acme",
        ] {
            let err = check(&p, url).unwrap_err();
            assert!(err.contains("plain http"), "{url}: {err}");
        }
        // An https allowance is not a plain-http one.
        assert!(check(&policy(&["172.17.0.1"]), "http://172.17.0.1/acme").is_err());
        assert_eq!(
            check(&policy(&["172.17.0.1"]), "https://172.17.0.1/acme"),
            Ok(())
        );
    }

    #[test]
    fn plain_http_cannot_be_allowed_by_wildcard_or_with_a_path() {
        for bad in [
            "http://*.example.com",
            "http://",
            "http://a.example.com/x",
            "ftp://a.example.com",
        ] {
            assert!(HostPolicy::new(&[bad.to_string()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn allowed_hosts_match_exactly_or_by_wildcard() {
        let p = policy(&["spark.example.com", "*.corp.example.org"]);
        assert_eq!(check(&p, "https://spark.example.com/acme"), Ok(()));
        assert!(check(&p, "https://other.example.com/acme").is_err());
        assert_eq!(check(&p, "https://a.b.corp.example.org/acme"), Ok(()));
        assert!(check(&p, "https://corp.example.org/acme").is_err());
    }

    #[test]
    fn refused_host_error_names_the_host_and_the_way_to_allow_it() {
        let err = check(&policy(&["*.example.org"]), "https://evil.example.com/acme").unwrap_err();
        assert_eq!(
            err,
            "host evil.example.com may not receive credentials: allowed are *.coherent.global, loopback, \
             *.example.org; allow it with --allow-host evil.example.com (action input `allowed-hosts`)"
        );
    }

    #[test]
    fn urls_with_user_info_or_other_schemes_are_refused() {
        let p = policy(&[]);
        assert!(check(&p, "https://user:pw@excel.uat.coherent.global/acme").is_err());
        assert!(check(&p, "ftp://excel.uat.coherent.global/acme").is_err());
    }

    #[test]
    fn allowed_host_entries_may_be_comma_or_space_separated() {
        let p = policy(&["a.example.com, b.example.com\n*.c.example.com"]);
        assert_eq!(check(&p, "https://b.example.com/x"), Ok(()));
        assert_eq!(check(&p, "https://x.c.example.com/x"), Ok(()));
    }

    #[test]
    fn malformed_allowed_hosts_are_rejected() {
        for bad in [
            "*",
            "*.com",
            "https://spark.example.com",
            "spark.example.com/x",
            "a.*.com",
        ] {
            assert!(HostPolicy::new(&[bad.to_string()]).is_err(), "{bad}");
        }
    }
}
