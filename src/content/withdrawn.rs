//! What a withdrawn item's address says (O6): not a bare "not found", but that the
//! item was taken down, when, and what replaces it where
//! something does (a published legal document that replaces it). An address given a
//! redirect answers 301 before this is asked.

use jiff::Timestamp;

use super::{EntryId, Error, Kind, tables};
use crate::store::{self, Tx};
use crate::workflow::Action;

/// A withdrawn item, as its address tells of it.
#[derive(Debug, Clone)]
pub struct Withdrawn {
    pub title: String,
    pub kind: Kind,
    pub at: Timestamp,
    /// Where to go instead: (address, title).
    pub replacement: Option<(String, String)>,
}

/// The withdrawn entry at `path` (`/tin-tuc/slug`, `/van-ban/slug`…, percent-decoded),
/// if there is one.
pub fn at_path(tx: &impl Tx, path: &str) -> Result<Option<Withdrawn>, Error> {
    let Some((prefix, slug)) = path.rsplit_once('/') else {
        return Ok(None);
    };
    let Some(kind) = Kind::ALL.iter().copied().find(|k| k.url_prefix() == prefix) else {
        return Ok(None);
    };
    let slug = slug.to_string();
    let Some(id) = store::get_plain(tx, tables::SLUGS, (kind.as_str(), slug.as_str()), |v| v)?
    else {
        return Ok(None);
    };
    let Some(entry) = tables::ENTRIES.get(tx, id)? else {
        return Ok(None);
    };
    // Taken off the site: it was published once and is not now (withdrawn, or
    // withdrawn and since reopened as a draft).
    if entry.published.is_some() || entry.published_at.is_none() {
        return Ok(None);
    }
    let revision = entry.working;
    let title = tables::REVISIONS
        .get(tx, revision.0)?
        .map(|r| r.fields.title)
        .unwrap_or_default();
    let withdrawal = super::editorial::events(tx, EntryId(id))?
        .into_iter()
        .rev()
        .find(|e| e.action == Action::Withdraw);
    // The editor's comment on the step is internal: the page says when, not why.
    let at = withdrawal.map_or(entry.updated_at, |e| e.at);
    let replacement = if kind == Kind::LegalDocument {
        super::register::pointing_to(tx, &slug)?
            .into_iter()
            .find(|(relation, _)| *relation == super::legal::Relation::Replaces)
            .map(|(_, row)| (row.url(), row.title))
    } else {
        None
    };
    Ok(Some(Withdrawn {
        title,
        kind,
        at,
        replacement,
    }))
}
