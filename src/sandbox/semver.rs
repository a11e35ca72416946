//! Semantic versions of service versions (`major.minor.patch`) and the `update_version_type` bumps.
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A `major.minor.patch` version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SemVer {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

/// Which part of the version an added version bumps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    Major,
    Minor,
    Patch,
    /// Keep the source's semantic version.
    Copy,
}

impl SemVer {
    /// The next version after `self` for a bump (`copy` returns `self`).
    pub fn bump(self, bump: Bump) -> SemVer {
        match bump {
            Bump::Major => SemVer {
                major: self.major + 1,
                minor: 0,
                patch: 0,
            },
            Bump::Minor => SemVer {
                major: self.major,
                minor: self.minor + 1,
                patch: 0,
            },
            Bump::Patch => SemVer {
                patch: self.patch + 1,
                ..self
            },
            Bump::Copy => self,
        }
    }

    /// Whether a version prefix such as `3`, `3.2` or `3.2.1` selects this version.
    pub fn matches_prefix(self, prefix: &str) -> bool {
        let parts = [self.major, self.minor, self.patch];
        let wanted: Vec<&str> = prefix.split('.').collect();
        wanted.len() <= 3
            && wanted
                .iter()
                .zip(parts)
                .all(|(w, p)| w.parse::<u64>().is_ok_and(|w| w == p))
    }
}

impl FromStr for SemVer {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.trim().split('.').collect();
        let number = |p: &str| {
            p.parse::<u64>()
                .map_err(|_| format!("invalid semantic version '{s}'"))
        };
        match parts.as_slice() {
            [major, minor, patch] => Ok(SemVer {
                major: number(major)?,
                minor: number(minor)?,
                patch: number(patch)?,
            }),
            _ => Err(format!(
                "invalid semantic version '{s}' (expected major.minor.patch)"
            )),
        }
    }
}

impl fmt::Display for SemVer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl Serialize for SemVer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SemVer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> SemVer {
        s.parse().unwrap()
    }

    #[test]
    fn bumps_reset_the_lower_parts() {
        assert_eq!(v("1.3.1").bump(Bump::Major), v("2.0.0"));
        assert_eq!(v("1.3.1").bump(Bump::Minor), v("1.4.0"));
        assert_eq!(v("1.3.1").bump(Bump::Patch), v("1.3.2"));
        assert_eq!(v("1.3.1").bump(Bump::Copy), v("1.3.1"));
    }

    #[test]
    fn prefix_matches_whole_parts_only() {
        assert!(v("3.2.7").matches_prefix("3.2"));
        assert!(v("3.2.7").matches_prefix("3"));
        assert!(!v("3.20.0").matches_prefix("3.2"));
        assert!(!v("3.2.7").matches_prefix("3.2.7.1"));
    }

    #[test]
    fn versions_order_numerically() {
        assert!(v("1.10.0") > v("1.9.9"));
        assert!("1.0".parse::<SemVer>().is_err());
    }
}
