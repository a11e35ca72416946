//! Lists that GitHub pages (`per_page`, `page`): walked one page at a time until the item wanted is found or
//! a short page says there is no more.
use serde::de::DeserializeOwned;

use super::api::{ApiError, Client};

/// Items asked for per page (GitHub's maximum).
pub const PER_PAGE: usize = 100;

/// The most pages read in one search (10,000 items): a bound against a list that never ends.
const MAX_PAGES: usize = 100;

impl Client {
    /// The first item of the list at `path` (with its own query, if any) for which `wanted` holds, reading
    /// page after page.
    pub(crate) async fn find_in_pages<T: DeserializeOwned>(
        &self,
        path: &str,
        wanted: impl Fn(&T) -> bool,
    ) -> Result<Option<T>, ApiError> {
        let joint = if path.contains('?') { '&' } else { '?' };
        for page in 1..=MAX_PAGES {
            let items: Vec<T> = self
                .get(&format!("{path}{joint}per_page={PER_PAGE}&page={page}"))
                .await?;
            let last_page = items.len() < PER_PAGE;
            if let Some(found) = items.into_iter().find(|item| wanted(item)) {
                return Ok(Some(found));
            }
            if last_page {
                break;
            }
        }
        Ok(None)
    }
}
