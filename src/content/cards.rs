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

use super::{Entry, EntryId, Error, Image, Kind, List, PageOf, Revision, Window, tables};
use crate::store::{self, Table, Tx};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// When its shown version was made (as a sitemap's lastmod), for a list's
    /// "modified" date.
    pub updated: Timestamp,
}

impl CardRow {
    /// The card of `entry` showing its revision `shown`.
    pub fn of(entry: &Entry, shown: &Revision) -> CardRow {
        let fields = &shown.fields;
        CardRow {
            id: entry.id,
            kind: entry.kind,
            slug: entry.slug.clone(),
            title: fields.title.clone(),
            summary: fields.summary.clone(),
            cover: fields.cover.clone(),
            date: super::own_date(entry, fields).map(|(_, date)| date),
            category: entry.category.clone(),
            updated: shown.created_at,
        }
    }

    pub fn url(&self) -> String {
        self.kind.url(&self.slug)
    }
}

/// Entry id → its card.
pub const ROWS: Table<u64, CardRow> = Table::new("card_rows_v1");

/// Records the card of `entry` (live and listed) showing its revision `shown`.
pub(super) fn add(tx: &WriteTransaction, entry: &Entry, shown: &Revision) -> Result<(), Error> {
    ROWS.insert(tx, entry.id.0, &CardRow::of(entry, shown))?;
    Ok(())
}

/// Removes the card of `entry`, even one that no longer decodes: a damaged card must
/// not stop the entry from being withdrawn or published again.
pub(super) fn remove(tx: &WriteTransaction, entry: &Entry) -> Result<(), Error> {
    ROWS.delete(tx, entry.id.0)?;
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
        let stored = if held.contains(id) {
            None
        } else {
            stored(tx, id)?
        };
        let card = match stored {
            Some(card) => Some(card),
            None => super::published(tx, EntryId(id))?.map(|p| CardRow::of(&p.entry, &p.revision)),
        };
        items.extend(card);
    }
    Ok(PageOf {
        items,
        page,
        per_page,
        total,
    })
}

/// The stored card of entry `id`. The cards are made from the entries, so one that is
/// missing or does not decode is not lost: the caller reads the entry instead, and the
/// log says so.
fn stored(tx: &impl Tx, id: u64) -> Result<Option<CardRow>, Error> {
    match ROWS.get(tx, id) {
        Ok(Some(card)) => Ok(Some(card)),
        Ok(None) => {
            tracing::warn!(entry = id, "a listed entry has no card; reading the entry");
            Ok(None)
        }
        Err(e @ store::Error::Decode { .. }) => {
            tracing::warn!(entry = id, "{e}; reading the entry instead");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
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
        super::keyed::each_live(tx, *kind, |entry, shown| add(tx, entry, shown))?;
    }
    Ok(())
}

/// Whether the rows the lists keep of the live `entry` (its card, and its row in the
/// legal document register or its kind's list) are the ones `list` made of its live
/// revision `shown` (which the integrity check has just verified). The lists show these
/// rows, not the revisions, so a row changed in the database file would change what
/// citizens read without touching a checked revision. An entry in no list has none.
pub fn is_as_listed(tx: &impl Tx, entry: &Entry, shown: &Revision) -> Result<bool, store::Error> {
    if !is_listed(tx, entry)? {
        return Ok(true);
    }
    let card = match ROWS.get(tx, entry.id.0) {
        Ok(card) => card.is_some_and(|card| card == CardRow::of(entry, shown)),
        Err(store::Error::Decode { .. }) => false,
        Err(e) => return Err(e),
    };
    Ok(card
        && super::register::is_as_listed(tx, entry, shown)?
        && super::record_list::is_as_listed(tx, entry, shown)?)
}

/// Makes the list rows of entry `id` (as `is_as_listed` names them) again from its
/// live revision, if it is listed (the integrity check, for rows not as listed): the
/// entry is unlisted and listed again, which takes out its old rows, those that no
/// longer decode too.
pub(crate) fn remake(tx: &WriteTransaction, id: EntryId) -> Result<(), Error> {
    let Some(entry) = tables::ENTRIES.get(tx, id.0)? else {
        return Ok(());
    };
    if entry.published.is_none() || !is_listed(tx, &entry)? {
        return Ok(());
    }
    super::unlist(tx, &entry)?;
    super::list(tx, &entry)
}

/// Makes every list row (cards, the register's rows and index, the kinds' lists) again
/// from the live revisions, the tables emptied first: the integrity check's repair when
/// many entries' rows were altered. One at a time, each row that no longer decodes would
/// cost a read of its whole index to find its keys.
pub(crate) fn remake_all(tx: &WriteTransaction) -> Result<(), Error> {
    fn empty<K: redb::Key + 'static, V: redb::Value + 'static>(
        tx: &WriteTransaction,
        table: redb::TableDefinition<'static, K, V>,
    ) -> Result<(), store::Error> {
        let mut table = tx.open_table(table).map_err(store::Error::from)?;
        table.retain(|_, _| false).map_err(store::Error::from)
    }
    use super::{record_list, register};
    empty(tx, ROWS.definition())?;
    empty(tx, register::ROWS.definition())?;
    empty(tx, register::INDEX)?;
    empty(tx, register::COUNTS)?;
    empty(tx, register::DAYS)?;
    empty(tx, record_list::ROWS.definition())?;
    empty(tx, record_list::INDEX)?;
    empty(tx, record_list::COUNTS)?;
    rebuild(tx)?;
    register::rebuild(tx)?;
    record_list::rebuild(tx)
}

/// Whether `entry` is in its kind's published list (every listed entry is), so has a
/// card to keep.
pub(super) fn is_listed(tx: &impl Tx, entry: &Entry) -> Result<bool, store::Error> {
    let Some(at) = entry.published_at else {
        return Ok(false);
    };
    let list = List::Kind(entry.kind).key();
    let key = (list.as_str(), at.as_second(), entry.id.0);
    Ok(store::get_plain(tx, tables::PUBLISHED, key, |()| ())?.is_some())
}
