//! The package's own check before any read: a `services:` entry must remap a service the package holds.
use crate::manifest::Promotion;
use crate::promote::source::Listed;
use crate::promote::uri::service_uri;

/// Fails when a `services:` entry remaps a source service that the package does not hold (known only when
/// the package's services are: an export, or a package with its index), naming the closest one.
pub(crate) fn check_mappings(
    promotion: &Promotion,
    listed: &[Listed],
    known: bool,
) -> anyhow::Result<()> {
    if !known {
        return Ok(());
    }
    let held: Vec<String> = listed.iter().map(|l| service_uri(&l.uri)).collect();
    let origin = crate::promote::source::display(promotion);
    for (index, mapping) in promotion.services.iter().enumerate() {
        if held.contains(&mapping.source) {
            continue;
        }
        let hint = closest(&mapping.source, &held)
            .map(|name| format!(" (did you mean {name}?)"))
            .unwrap_or_default();
        anyhow::bail!(
            "services[{index}].source {} is not in {origin}{hint}",
            mapping.source
        );
    }
    Ok(())
}

/// The candidate nearest to `wanted` by edit distance, when it is near enough to be a typo.
fn closest<'a>(wanted: &str, candidates: &'a [String]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|candidate| (distance(wanted, candidate), candidate))
        .filter(|(distance, _)| *distance <= wanted.chars().count().div_ceil(3).max(2))
        .min()
        .map(|(_, candidate)| candidate.as_str())
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let replaced = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = replaced.min(previous + 1).min(row[j] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_gets_the_closest_name_and_a_stranger_gets_none() {
        let held = vec!["pricing/quote".to_string(), "pricing/rating".to_string()];
        assert_eq!(closest("pricing/qoute", &held), Some("pricing/quote"));
        assert_eq!(closest("billing/invoice", &held), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
