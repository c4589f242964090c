//! The legal document register, kept beside the published lists: for each listed legal
//! document, its small row (slug, trích yếu, metadata, when its shown version was made),
//! and an index of those rows by issue date, by each filter value, and by the documents
//! each one points at. The register page, its filters and each document's relations
//! read the index and a page of rows, never every row or the documents' revisions: a
//! register of 200,000 texts costs a page what one of twenty does. Maintained by `list`
//! and `unlist`, in the same transaction.

use jiff::Timestamp;
use jiff::civil::Date;
use redb::{ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::keyed::Change;
use super::legal::{LegalDoc, Relation, Validity};
use super::{Entry, Error, Kind, Revision, tables};
use crate::store::{self, Table, Tx};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub slug: String,
    /// The trích yếu (the revision's title).
    pub title: String,
    pub legal: LegalDoc,
    pub lastmod: Timestamp,
}

impl Row {
    /// The row of the legal document `entry` showing its revision `shown`; none for
    /// another kind, or a version without the document's metadata.
    fn of(entry: &Entry, shown: &Revision) -> Option<Row> {
        if entry.kind != Kind::LegalDocument {
            return None;
        }
        Some(Row {
            slug: entry.slug.clone(),
            title: shown.fields.title.clone(),
            legal: shown.fields.legal.clone()?,
            lastmod: shown.created_at,
        })
    }

    pub fn url(&self) -> String {
        Kind::LegalDocument.url(&self.slug)
    }
}

/// Entry id → its row.
pub const ROWS: Table<u64, Row> = Table::new("register_rows_v1");

/// (list, sort key, entry id) → (). The lists:
/// - `all`, `type:…`, `issuer:…`, `field:…`, `year:…`: by issue date (`yyyymmdd`);
/// - `modified`: by the shown version's time (unix seconds);
/// - `to:{slug}`: the documents that point at `slug`, by relation (`Relation::code`).
pub const INDEX: TableDefinition<(&str, i64, u64), ()> = TableDefinition::new("register_index_v1");

/// How many documents each filter list (`all`, `type:…`, …) holds: the page's totals
/// and its filter choices, without reading the lists.
pub const COUNTS: TableDefinition<&str, u64> = TableDefinition::new("register_counts_v1");

/// How many documents of each counted list were issued on each day (`yyyymmdd`): a deep
/// page finds its first key without walking the keys before it.
pub const DAYS: super::days::Days = TableDefinition::new("register_days_v1");

/// The filters a register page can combine, each a list of the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    Type,
    Issuer,
    Field,
    Year,
}

impl Facet {
    pub const ALL: [Facet; 4] = [Facet::Type, Facet::Issuer, Facet::Field, Facet::Year];

    fn prefix(self) -> &'static str {
        match self {
            Facet::Type => "type:",
            Facet::Issuer => "issuer:",
            Facet::Field => "field:",
            Facet::Year => "year:",
        }
    }

    /// The list of the documents whose facet is `value`.
    pub fn list(self, value: &str) -> String {
        format!("{}{value}", self.prefix())
    }

    /// This facet's value for `doc`.
    pub fn of(self, doc: &LegalDoc) -> String {
        match self {
            Facet::Type => doc.doc_type.clone(),
            Facet::Issuer => doc.issuer.clone(),
            Facet::Field => doc.field.clone(),
            Facet::Year => doc.issued.year().to_string(),
        }
    }
}

/// The list of every document.
pub const ALL: &str = "all";

/// Whether `list` is one of the filter lists, which are counted (by total and by day).
pub fn is_counted(list: &str) -> bool {
    list == ALL || Facet::ALL.iter().any(|f| list.starts_with(f.prefix()))
}
const MODIFIED: &str = "modified";

fn pointing_at(slug: &str) -> String {
    format!("to:{slug}")
}

fn relation_code(relation: Relation) -> i64 {
    match relation {
        Relation::Replaces => 1,
        Relation::Amends => 2,
        Relation::Guides => 3,
    }
}

fn relation_of(code: i64) -> Option<Relation> {
    match code {
        1 => Some(Relation::Replaces),
        2 => Some(Relation::Amends),
        3 => Some(Relation::Guides),
        _ => None,
    }
}

/// The sort key of an issue date: `yyyymmdd`, so the newest sorts last.
fn day_key(date: Date) -> i64 {
    i64::from(date.year()) * 10_000 + i64::from(date.month()) * 100 + i64::from(date.day())
}

/// The index keys of `row`.
fn keys(row: &Row) -> Vec<(String, i64)> {
    let issued = day_key(row.legal.issued);
    let mut keys = vec![(ALL.to_string(), issued)];
    keys.extend(
        Facet::ALL
            .iter()
            .map(|f| (f.list(&f.of(&row.legal)), issued)),
    );
    keys.push((MODIFIED.to_string(), row.lastmod.as_second()));
    keys.extend(
        row.legal
            .relations()
            .map(|(relation, target)| (pointing_at(target), relation_code(relation))),
    );
    keys
}

/// Records `entry` (live and listed) with its shown revision.
pub(super) fn add(tx: &WriteTransaction, entry: &Entry, shown: &Revision) -> Result<(), Error> {
    // A row already there (a caller that did not unlist first, the integrity check's
    // repair) leaves no stale keys, even when this version has no metadata to list.
    remove(tx, entry, false)?;
    let Some(row) = Row::of(entry, shown) else {
        return Ok(());
    };
    index(tx, entry.id.0, &keys(&row), Change::Add)?;
    ROWS.insert(tx, entry.id.0, &row)?;
    Ok(())
}

/// Takes the row of `entry` and its keys out. `listed`: the entry is in its kind's
/// published list now, so its live version, if it has the document's metadata, has a
/// row; one missing was taken out of the file, and its keys are looked for.
pub(super) fn remove(tx: &WriteTransaction, entry: &Entry, listed: bool) -> Result<(), Error> {
    if entry.kind != Kind::LegalDocument {
        return Ok(());
    }
    let has_row = || -> Result<bool, Error> {
        let Some(live) = entry.published.filter(|_| listed) else {
            return Ok(false);
        };
        Ok(tables::REVISIONS
            .get(tx, live.0)?
            .is_some_and(|shown| shown.fields.legal.is_some()))
    };
    let keys = super::keyed::filed_keys(tx, (&ROWS, INDEX), entry.id.0, |old| keys(&old), has_row)?;
    index(tx, entry.id.0, &keys, Change::Remove)?;
    ROWS.delete(tx, entry.id.0)?;
    Ok(())
}

fn index(
    tx: &WriteTransaction,
    id: u64,
    keys: &[(String, i64)],
    change: Change,
) -> Result<(), Error> {
    let mut index = tx.open_table(INDEX).map_err(store::Error::from)?;
    let mut counts = tx.open_table(COUNTS).map_err(store::Error::from)?;
    for (list, key) in keys {
        let (list, key) = (list.as_str(), *key);
        let counted = is_counted(list);
        let changed =
            super::keyed::change(&mut index, &mut counts, (list, key, id), change, counted)?;
        if changed && counted {
            let delta = match change {
                Change::Add => 1,
                Change::Remove => -1,
            };
            super::days::change(tx, DAYS, list, key, delta)?;
        }
    }
    Ok(())
}

/// Calls `visit` with the (sort key, id) of `list`'s items whose sort key lies in
/// `keys`, from the last (newest) unless `oldest_first`, until it returns false.
fn visit(
    tx: &impl Tx,
    list: &str,
    keys: std::ops::RangeInclusive<i64>,
    oldest_first: bool,
    visit: impl FnMut(i64, u64) -> Result<bool, Error>,
) -> Result<(), Error> {
    super::keyed::visit(tx, INDEX, list, keys, oldest_first, visit)
}

/// How many documents `list` holds.
pub fn count(tx: &impl Tx, list: &str) -> Result<usize, Error> {
    Ok(store::get_plain(tx, COUNTS, list, |v| v)?.unwrap_or(0) as usize)
}

/// The ids of a page of `list`, newest issue date first (the later entered first on
/// the same day). Reads only up to the page, from whichever end is nearer.
pub fn page(tx: &impl Tx, list: &str, skip: usize, take: usize) -> Result<Vec<u64>, Error> {
    let total = count(tx, list)?;
    let end = skip.saturating_add(take).min(total);
    let mut ids = Vec::with_capacity(end.saturating_sub(skip));
    if skip >= end {
        return Ok(ids);
    }
    let from_newest = skip <= total - end;
    let (mut past, wanted) = if from_newest {
        (skip, end - skip)
    } else {
        (total - end, end - skip)
    };
    // Deep in a long list, the day counts say on which day the page starts.
    let mut keys = i64::MIN..=i64::MAX;
    if past > 2_000
        && let Some((day, within)) = super::days::seek(tx, DAYS, list, past, from_newest)?
    {
        past = within;
        keys = if from_newest {
            i64::MIN..=day
        } else {
            day..=i64::MAX
        };
    }
    let mut seen = 0;
    visit(tx, list, keys, !from_newest, |_, id| {
        if seen >= past {
            ids.push(id);
        }
        seen += 1;
        Ok(ids.len() < wanted)
    })?;
    if !from_newest {
        ids.reverse();
    }
    Ok(ids)
}

/// Calls `visit` with each id of `list`, newest first, until it returns false.
pub fn each(
    tx: &impl Tx,
    list: &str,
    visit_id: impl FnMut(u64) -> Result<bool, Error>,
) -> Result<(), Error> {
    let mut visit_id = visit_id;
    visit(tx, list, i64::MIN..=i64::MAX, false, |_, id| visit_id(id))
}

/// Up to `limit` (issue date, id) of `list`, newest first, after `cursor` (the last
/// pair a previous call gave): a long list read in parts, each part found directly.
pub fn batch_after(
    tx: &impl Tx,
    list: &str,
    cursor: Option<(i64, u64)>,
    limit: usize,
) -> Result<Vec<(i64, u64)>, Error> {
    let mut out = Vec::with_capacity(limit.min(1_024));
    if limit == 0 {
        return Ok(out);
    }
    let keys = i64::MIN..=cursor.map_or(i64::MAX, |(day, _)| day);
    visit(tx, list, keys, false, |sort, id| {
        // Same-day keys at or above the cursor were sent already.
        if cursor.is_none_or(|c| (sort, id) < c) {
            out.push((sort, id));
        }
        Ok(out.len() < limit)
    })?;
    Ok(out)
}

/// The values of `facet` that some document has, with how many have each.
pub fn choices(tx: &impl Tx, facet: Facet) -> Result<Vec<(String, usize)>, Error> {
    super::keyed::counts_under(tx, COUNTS, facet.prefix())
}

/// The row of the listed document `id`. The rows are made from the entries, so one
/// that does not decode is not lost: it is made from the entry instead, and the log
/// says so (the integrity check makes it again).
pub fn row(tx: &impl Tx, id: u64) -> Result<Option<Row>, Error> {
    match ROWS.get(tx, id) {
        Ok(row) => Ok(row),
        Err(e @ store::Error::Decode { .. }) => {
            tracing::warn!(entry = id, "{e}; reading the entry instead");
            Ok(super::published(tx, super::EntryId(id))?
                .and_then(|live| Row::of(&live.entry, &live.revision)))
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether the row stored for the listed `entry` is the one `add` made of its live
/// revision `shown`: the register shows the rows, not the revisions.
pub(super) fn is_as_listed(
    tx: &impl Tx,
    entry: &Entry,
    shown: &Revision,
) -> Result<bool, store::Error> {
    if entry.kind != Kind::LegalDocument {
        return Ok(true);
    }
    match ROWS.get(tx, entry.id.0) {
        Ok(row) => Ok(row == Row::of(entry, shown)),
        Err(store::Error::Decode { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The row of the listed document at `slug`.
pub fn row_at(tx: &impl Tx, slug: &str) -> Result<Option<Row>, Error> {
    let id = store::get_plain(
        tx,
        tables::SLUGS,
        (Kind::LegalDocument.as_str(), slug),
        |v| v,
    )?;
    match id {
        Some(id) => row(tx, id),
        None => Ok(None),
    }
}

/// Whether a listed document replaces the one at `slug`.
pub fn is_replaced(tx: &impl Tx, slug: &str) -> Result<bool, Error> {
    let code = relation_code(Relation::Replaces);
    let mut found = false;
    visit(tx, &pointing_at(slug), code..=code, false, |_, _| {
        found = true;
        Ok(false)
    })?;
    Ok(found)
}

/// Validity of `row` today, from its dates and whether a listed document replaces it.
pub fn validity(tx: &impl Tx, slug: &str, doc: &LegalDoc, today: Date) -> Result<Validity, Error> {
    // An editor's status or no relation at all: no lookup.
    if doc.status.is_some() {
        return Ok(doc.validity(today, false));
    }
    Ok(doc.validity(today, is_replaced(tx, slug)?))
}

/// The listed documents that point at `slug`, each with how, oldest relation kind first.
pub fn pointing_to(tx: &impl Tx, slug: &str) -> Result<Vec<(Relation, Row)>, Error> {
    let mut found = Vec::new();
    visit(
        tx,
        &pointing_at(slug),
        i64::MIN..=i64::MAX,
        true,
        |code, id| {
            if let Some(relation) = relation_of(code) {
                found.push((relation, id));
            }
            Ok(true)
        },
    )?;
    let mut out = Vec::with_capacity(found.len());
    for (relation, id) in found {
        if let Some(row) = row(tx, id)? {
            out.push((relation, row));
        }
    }
    Ok(out)
}

/// When the register last changed: the newest shown version among its documents.
pub fn last_modified(tx: &impl Tx) -> Result<Option<Timestamp>, Error> {
    let mut newest = None;
    visit(tx, MODIFIED, i64::MIN..=i64::MAX, false, |at, _| {
        newest = Timestamp::from_second(at).ok();
        Ok(false)
    })?;
    Ok(newest)
}

/// Fills the rows and their index from the published lists (the migrations that added
/// them).
pub(crate) fn rebuild(tx: &WriteTransaction) -> Result<(), Error> {
    super::keyed::each_live(tx, Kind::LegalDocument, |entry, shown| {
        add(tx, entry, shown)
    })
}

/// Builds the index from the rows already kept (the migration that added the index),
/// one row at a time.
pub(crate) fn reindex(tx: &WriteTransaction) -> Result<(), Error> {
    let rows = tx
        .open_table(ROWS.definition())
        .map_err(store::Error::from)?;
    for item in rows.iter().map_err(store::Error::from)? {
        let (id, bytes) = item.map_err(store::Error::from)?;
        let row: Row = serde_json::from_slice(bytes.value()).map_err(|e| store::Error::Decode {
            table: ROWS.name(),
            message: e.to_string(),
        })?;
        index(tx, id.value(), &keys(&row), Change::Add)?;
    }
    Ok(())
}

/// What a document's page shows of the others: the documents it points at, those that
/// point at it, and whether one of them replaces it.
#[derive(Debug, Default)]
pub struct Links {
    /// In the order the document lists them; a slug no listed document has is left out.
    pub outgoing: Vec<(Relation, Row)>,
    pub incoming: Vec<(Relation, Row)>,
    pub replaced: bool,
}

impl Links {
    /// The links of the document at `slug` with the metadata `doc` (its shown version,
    /// or a draft being previewed).
    pub fn of(tx: &impl Tx, slug: &str, doc: &LegalDoc) -> Result<Links, Error> {
        let mut outgoing = Vec::new();
        for (relation, target) in doc.relations() {
            if let Some(row) = row_at(tx, target)? {
                outgoing.push((relation, row));
            }
        }
        let incoming = pointing_to(tx, slug)?;
        let replaced = incoming.iter().any(|(r, _)| *r == Relation::Replaces);
        Ok(Links {
            outgoing,
            incoming,
            replaced,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use jiff::civil::date;

    /// Document `n`: about three share each issue day, so same-day order counts.
    fn row(n: u64) -> Row {
        Row {
            slug: format!("vb-{n}"),
            title: format!("Văn bản {n}"),
            legal: LegalDoc {
                doc_type: ["Quyết định", "Thông tư", "Kế hoạch"][(n % 3) as usize].into(),
                number: format!("{n}/QĐ"),
                issuer: "Sở Khoa học và Công nghệ".into(),
                signer: String::new(),
                issued: date(2010, 1, 1)
                    .checked_add(jiff::Span::new().days(((n * 7_919) % 1_000) as i64))
                    .unwrap(),
                effective: date(2030, 1, 1),
                expires: None,
                status: None,
                field: "Thông tin".into(),
                replaces: if n > 0 && n.is_multiple_of(100) {
                    vec![format!("vb-{}", n - 1)]
                } else {
                    vec![]
                },
                amends: vec![],
                guides: vec![],
            },
            lastmod: Timestamp::from_second(1_700_000_000 + n as i64).unwrap(),
        }
    }

    /// A row that no longer decodes is made again by the check's repair; withdrawn while
    /// its row is missing, a document leaves the register and its counts all the same:
    /// its keys are found in the index.
    #[test]
    fn a_damaged_or_missing_row_does_not_keep_its_document_in_the_register() {
        use crate::content::{self, Fields, NewEntry, tables};
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let at = |s: i64| Timestamp::from_second(1_800_000_000 + s).unwrap();
        let mut legal = row(200).legal;
        legal.replaces = vec!["vb-199".into()];
        let fields = Fields {
            title: "Quyết định thử".into(),
            legal: Some(legal),
            ..Fields::default()
        };
        let id = store
            .write_blocking(|tx| -> Result<_, Error> {
                let new = NewEntry {
                    kind: Kind::LegalDocument,
                    slug: "qd-thu".into(),
                    category: None,
                    unit: None,
                    featured: false,
                };
                let entry = content::create(tx, new, fields, "t", at(0))?;
                content::publish(tx, entry.id, at(10))?;
                Ok(entry.id)
            })
            .unwrap();
        let listed = |store: &Store| {
            store
                .read_blocking(|tx| -> Result<_, Error> {
                    Ok((
                        count(tx, ALL)?,
                        choices(tx, Facet::Year)?.len(),
                        is_replaced(tx, "vb-199")?,
                    ))
                })
                .unwrap()
        };
        assert_eq!(listed(&store), (1, 1, true));
        // The integrity check's repair of many rows empties the tables and makes every
        // row again: the same row, counted once.
        let before = store.read_blocking(|tx| ROWS.get(tx, id.0)).unwrap();
        store
            .write_blocking(|tx| -> Result<(), Error> {
                tx.open_table(ROWS.definition())
                    .map_err(store::Error::from)?
                    .insert(id.0, b"{not json".as_slice())
                    .map_err(store::Error::from)?;
                super::super::cards::remake_all(tx)
            })
            .unwrap();
        assert_eq!(listed(&store), (1, 1, true));
        assert_eq!(
            store.read_blocking(|tx| ROWS.get(tx, id.0)).unwrap(),
            before
        );
        // Withdrawn with its row taken out of the file: its keys go all the same.
        store
            .write_blocking(|tx| -> Result<(), Error> {
                ROWS.delete(tx, id.0)?;
                let entry = tables::ENTRIES.get(tx, id.0)?.unwrap();
                content::unlist(tx, &entry)
            })
            .unwrap();
        assert_eq!(listed(&store), (0, 0, false));
        assert!(
            store
                .read_blocking(|tx| ROWS.get(tx, id.0))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn pages_filters_and_links_come_from_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let rows: Vec<(u64, Row)> = (0..2_600).map(|n| (n, row(n))).collect();
        store
            .write_blocking(|tx| -> Result<(), Error> {
                for (id, row) in &rows {
                    index(tx, *id, &keys(row), Change::Add)?;
                    ROWS.insert(tx, *id, row)?;
                }
                // Removing one and adding it again counts it once.
                index(tx, 5, &keys(&rows[5].1), Change::Remove)?;
                index(tx, 5, &keys(&rows[5].1), Change::Add)?;
                index(tx, 5, &keys(&rows[5].1), Change::Add)?;
                Ok(())
            })
            .unwrap();
        // Newest issue date first; on one day, the later id first.
        let mut order: Vec<(i64, u64)> = rows
            .iter()
            .map(|(id, r)| (day_key(r.legal.issued), *id))
            .collect();
        order.sort_unstable();
        order.reverse();
        let want = |skip: usize, take: usize| -> Vec<u64> {
            order
                .iter()
                .skip(skip)
                .take(take)
                .map(|(_, id)| *id)
                .collect()
        };
        store
            .read_blocking(|tx| -> Result<(), Error> {
                assert_eq!(count(tx, ALL)?, 2_600);
                for skip in [0, 20, 1_280, 1_300, 2_100, 2_580, 2_599] {
                    assert_eq!(page(tx, ALL, skip, 20)?, want(skip, 20), "skip {skip}");
                }
                assert!(page(tx, ALL, 2_600, 20)?.is_empty());
                // Read in parts, the list comes whole, in order, each id once.
                let (mut walked, mut cursor) = (Vec::new(), None);
                loop {
                    let part = batch_after(tx, ALL, cursor, 97)?;
                    walked.extend(part.iter().copied());
                    if part.len() < 97 {
                        break;
                    }
                    cursor = part.last().copied();
                }
                assert_eq!(walked, order);
                let types: Vec<(String, usize)> = choices(tx, Facet::Type)?;
                assert_eq!(
                    types,
                    vec![
                        ("Kế hoạch".to_string(), 866),
                        ("Quyết định".to_string(), 867),
                        ("Thông tư".to_string(), 867)
                    ]
                );
                let thong_tu = Facet::Type.list("Thông tư");
                let mut ids = Vec::new();
                each(tx, &thong_tu, |id| {
                    ids.push(id);
                    Ok(true)
                })?;
                assert_eq!(ids.len(), 867);
                assert!(ids.iter().all(|id| id % 3 == 1));
                // vb-199 is replaced by vb-200; vb-200 is not.
                assert!(is_replaced(tx, "vb-199")?);
                assert!(!is_replaced(tx, "vb-200")?);
                let into = pointing_to(tx, "vb-199")?;
                assert_eq!(into.len(), 1);
                assert_eq!(into[0].1.slug, "vb-200");
                assert_eq!(
                    last_modified(tx)?,
                    Some(Timestamp::from_second(1_700_002_599).unwrap())
                );
                Ok(())
            })
            .unwrap();
        // Taking every document out leaves no counts behind.
        store
            .write_blocking(|tx| -> Result<(), Error> {
                for (id, row) in &rows {
                    index(tx, *id, &keys(row), Change::Remove)?;
                }
                Ok(())
            })
            .unwrap();
        store
            .read_blocking(|tx| -> Result<(), Error> {
                assert_eq!(count(tx, ALL)?, 0);
                assert!(choices(tx, Facet::Year)?.is_empty());
                assert!(!is_replaced(tx, "vb-199")?);
                assert_eq!(last_modified(tx)?, None);
                Ok(())
            })
            .unwrap();
    }
}
