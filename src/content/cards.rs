//! What a list shows of each item, kept beside the published lists: for every listed
//! entry, its card (title, summary, cover, own date, section, when it last changed),
//! made from its shown revision when it is listed. The home page, the news and section
//! lists, their archives and an article's "related" block read these rows, never the
//! entries and their full revisions: a home page of 54 cards read 54 entries and 54
//! revisions, bodies included, and decoded them all. Maintained by `list` and `unlist`,
//! in the same transaction as the lists.
//!
//! An entry the integrity check holds back is read the long way (`published`), so its
//! card shows what its page shows: its last good version, or the notice.

use jiff::Timestamp;
use jiff::civil::Date;
use redb::WriteTransaction;
use serde::{Deserialize, Serialize};

use super::{Entry, EntryId, Error, Fields, Image, Kind, List, PageOf, Window};
use crate::store::{self, Table, Tx};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CardRow {
    pub id: EntryId,
    pub kind: Kind,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub cover: Option<Image>,
    /// The item's own date (`own_date`): a document's issue date, an article's day.
    pub date: Option<Date>,
    pub category: Option<String>,
    /// When the entry last changed, for the page's "modified" date.
    pub updated: Timestamp,
}

impl CardRow {
    /// The card of `entry` shown with `fields`.
    pub fn of(entry: &Entry, fields: &Fields) -> CardRow {
        CardRow {
            id: entry.id,
            kind: entry.kind,
            slug: entry.slug.clone(),
            title: fields.title.clone(),
            summary: fields.summary.clone(),
            cover: fields.cover.clone(),
            date: super::own_date(entry, fields).map(|(_, date)| date),
            category: entry.category.clone(),
            updated: entry.updated_at,
        }
    }

    pub fn url(&self) -> String {
        self.kind.url(&self.slug)
    }
}

/// Entry id → its card.
pub const ROWS: Table<u64, CardRow> = Table::new("card_rows_v1");

/// Records the card of `entry` (live and listed) shown with `shown`'s fields.
pub(super) fn add(tx: &WriteTransaction, entry: &Entry, shown: &Fields) -> Result<(), Error> {
    ROWS.insert(tx, entry.id.0, &CardRow::of(entry, shown))?;
    Ok(())
}

pub(super) fn remove(tx: &WriteTransaction, entry: &Entry) -> Result<(), Error> {
    ROWS.remove(tx, entry.id.0)?;
    Ok(())
}

/// One page (1-based) of `list` within `window`, newest first, as cards: what
/// `list_published_within` gives, without reading the entries.
pub fn page(
    tx: &impl Tx,
    list: List<'_>,
    window: Window,
    page: usize,
    per_page: usize,
) -> Result<PageOf<CardRow>, Error> {
    let page = page.max(1);
    let skip = (page - 1).saturating_mul(per_page);
    let (ids, total) = super::index_page_within(tx, &list.key(), window, skip, per_page)?;
    let held = Held::read(tx)?;
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        let row = if held.contains(id) {
            super::published(tx, EntryId(id))?.map(|p| CardRow::of(&p.entry, &p.revision.fields))
        } else {
            ROWS.get(tx, id)?
        };
        items.extend(row);
    }
    Ok(PageOf {
        items,
        page,
        per_page,
        total,
    })
}

/// Which entries the integrity check holds back now. Fails closed, as `shown` does:
/// while the holds cannot be read, every card is read the long way, which shows the
/// notice.
enum Held {
    These(std::collections::BTreeMap<u64, crate::integrity::Hold>),
    All,
}

impl Held {
    fn read(tx: &impl Tx) -> Result<Held, Error> {
        match crate::integrity::holds(tx) {
            Ok(holds) => Ok(Held::These(holds)),
            Err(store::Error::Decode { .. }) => Ok(Held::All),
            Err(e) => Err(e.into()),
        }
    }

    fn contains(&self, id: u64) -> bool {
        match self {
            Held::These(holds) => holds.contains_key(&id),
            Held::All => true,
        }
    }
}

/// Makes every listed entry's card (the migration that added them).
pub(crate) fn rebuild(tx: &WriteTransaction) -> Result<(), Error> {
    for kind in Kind::ALL {
        super::keyed::each_live(tx, *kind, |entry, shown| add(tx, entry, &shown.fields))?;
    }
    Ok(())
}
