//! Least privilege: which environments a command calls, hence whose secrets it reads. The manifest is checked
//! whole (every reference's form, every host), but only the environments in scope have their `${VAR}`
//! references resolved, so a nightly sync from UAT to test needs neither the production token nor any other
//! environment's secret.
use std::collections::BTreeSet;

/// The environments a command calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Scope {
    /// Every environment (`validate` or a run without `-p`).
    #[default]
    All,
    /// The environments the named promotions export from and import into; every environment when the list is
    /// empty (no `-p`: all promotions).
    Promotions(Vec<String>),
    /// Only the environments the named promotions export from (all promotions' when the list is empty):
    /// `lock`, which lists the sources' versions and never calls a destination.
    Sources(Vec<String>),
    /// One environment (`export`, `status`, `cancel` with `--env`).
    Environment(String),
    /// No environment: the manifest is checked, no secret is resolved (a fork's pull request, which has
    /// none).
    Nothing,
}

/// What the scope is decided on: the manifest's environment names and each promotion's name with the
/// environments it uses.
pub(crate) struct Uses<'a> {
    pub environments: Vec<&'a str>,
    pub promotions: Vec<Use<'a>>,
}

/// One promotion's environments: its source environment (none for a package) and its target.
pub(crate) struct Use<'a> {
    pub name: &'a str,
    pub source: Option<&'a str>,
    pub target: &'a str,
}

impl Scope {
    /// The scope of a promotion selection (`-p NAME`..., empty for all).
    pub fn promotions(names: &[String]) -> Scope {
        if names.is_empty() {
            Scope::All
        } else {
            Scope::Promotions(names.to_vec())
        }
    }

    /// The environments whose secrets are resolved, `None` for all of them.
    pub(crate) fn environments(&self, uses: &Uses<'_>) -> Option<BTreeSet<String>> {
        match self {
            Scope::All => None,
            Scope::Promotions(names) if names.is_empty() => None,
            Scope::Promotions(names) => Some(
                selected(uses, names)
                    .flat_map(|used| used.source.into_iter().chain([used.target]))
                    .map(str::to_string)
                    .collect(),
            ),
            Scope::Sources(names) => Some(
                selected(uses, names)
                    .filter_map(|used| used.source)
                    .map(str::to_string)
                    .collect(),
            ),
            Scope::Environment(name) => Some(BTreeSet::from([name.clone()])),
            Scope::Nothing => Some(BTreeSet::new()),
        }
    }

    /// What in the scope the manifest does not have, one message each.
    pub(crate) fn unknown(&self, uses: &Uses<'_>) -> Vec<String> {
        match self {
            Scope::All | Scope::Nothing => Vec::new(),
            Scope::Promotions(names) | Scope::Sources(names) => {
                let known: Vec<&str> = uses.promotions.iter().map(|used| used.name).collect();
                unknown_promotions(names, &known)
            }
            Scope::Environment(name) if uses.environments.contains(&name.as_str()) => Vec::new(),
            Scope::Environment(name) => vec![format!(
                "unknown environment `{name}`, expected one of: {}",
                uses.environments.join(", ")
            )],
        }
    }
}

/// The promotions of `uses` named in `names` (every one when `names` is empty).
fn selected<'u, 'a>(uses: &'u Uses<'a>, names: &'u [String]) -> impl Iterator<Item = &'u Use<'a>> {
    uses.promotions
        .iter()
        .filter(move |used| names.is_empty() || names.iter().any(|wanted| wanted == used.name))
}

/// One message per name of `names` that is not among the `known` promotions.
pub(crate) fn unknown_promotions(names: &[String], known: &[&str]) -> Vec<String> {
    names
        .iter()
        .filter(|name| !known.contains(&name.as_str()))
        .map(|name| {
            format!(
                "unknown promotion `{name}`, expected one of: {}",
                known.join(", ")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uses() -> Uses<'static> {
        Uses {
            environments: vec!["uat", "test", "prod"],
            promotions: vec![
                used("pricing", Some("uat"), "prod"),
                used("nightly-sync", Some("uat"), "test"),
                used("package", None, "uat"),
            ],
        }
    }

    fn used<'a>(name: &'a str, source: Option<&'a str>, target: &'a str) -> Use<'a> {
        Use {
            name,
            source,
            target,
        }
    }

    fn names(scope: Scope) -> Option<Vec<String>> {
        scope
            .environments(&uses())
            .map(|set| set.into_iter().collect())
    }

    #[test]
    fn a_selection_resolves_only_the_environments_its_promotions_use() {
        assert_eq!(
            names(Scope::promotions(&["nightly-sync".into()])),
            Some(vec!["test".into(), "uat".into()])
        );
        assert_eq!(
            names(Scope::promotions(&["package".into(), "unknown".into()])),
            Some(vec!["uat".into()])
        );
        assert_eq!(
            names(Scope::Environment("prod".into())),
            Some(vec!["prod".into()])
        );
    }

    #[test]
    fn a_lock_resolves_only_the_sources_of_its_promotions() {
        assert_eq!(
            names(Scope::Sources(vec!["pricing".into(), "package".into()])),
            Some(vec!["uat".into()])
        );
        assert_eq!(names(Scope::Sources(Vec::new())), Some(vec!["uat".into()]));
        assert_eq!(
            Scope::Sources(vec!["pricng".into()]).unknown(&uses()).len(),
            1
        );
    }

    #[test]
    fn no_selection_resolves_every_environment() {
        assert_eq!(names(Scope::promotions(&[])), None);
        assert_eq!(names(Scope::Promotions(Vec::new())), None);
        assert_eq!(names(Scope::All), None);
    }

    #[test]
    fn unknown_names_are_listed_with_the_known_ones() {
        assert_eq!(
            Scope::promotions(&["pricng".into(), "pricing".into()]).unknown(&uses()),
            ["unknown promotion `pricng`, expected one of: pricing, nightly-sync, package"]
        );
        assert_eq!(
            Scope::Environment("stage".into()).unknown(&uses()),
            ["unknown environment `stage`, expected one of: uat, test, prod"]
        );
        assert!(Scope::Environment("uat".into()).unknown(&uses()).is_empty());
    }
}
