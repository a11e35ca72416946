//! Semantic versions as Spark numbers service versions, and the bump a plan predicts for `add_version`.
use std::fmt;

/// A `major.minor.patch` version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SemVer {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

/// How `add_version` numbers a new version (the manifest's `update_version_type` without `copy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bump {
    Major,
    Minor,
    Patch,
}

impl SemVer {
    /// Parses `1.2.3` (a leading `v` and missing parts are tolerated: `2` is `2.0.0`).
    pub fn parse(text: &str) -> Option<SemVer> {
        let text = text.trim().trim_start_matches('v');
        let mut parts = text.split('.');
        let mut next = || -> Option<u64> {
            match parts.next() {
                None => Some(0),
                Some(part) => part.parse().ok(),
            }
        };
        let version = SemVer {
            major: next()?,
            minor: next()?,
            patch: next()?,
        };
        parts.next().is_none().then_some(version)
    }

    /// The next version after this one.
    pub fn bump(self, bump: Bump) -> SemVer {
        match bump {
            Bump::Major => SemVer {
                major: self.major + 1,
                minor: 0,
                patch: 0,
            },
            Bump::Minor => SemVer {
                minor: self.minor + 1,
                patch: 0,
                ..self
            },
            Bump::Patch => SemVer {
                patch: self.patch + 1,
                ..self
            },
        }
    }
}

impl fmt::Display for SemVer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_versions() {
        assert_eq!(SemVer::parse("1.2.3").unwrap().to_string(), "1.2.3");
        assert_eq!(SemVer::parse("v2").unwrap().to_string(), "2.0.0");
        assert_eq!(SemVer::parse("1.2.3.4"), None);
        assert_eq!(SemVer::parse("1.x"), None);
    }

    #[test]
    fn bumps_follow_semver() {
        let v = SemVer::parse("1.3.1").unwrap();
        assert_eq!(v.bump(Bump::Major).to_string(), "2.0.0");
        assert_eq!(v.bump(Bump::Minor).to_string(), "1.4.0");
        assert_eq!(v.bump(Bump::Patch).to_string(), "1.3.2");
    }
}
