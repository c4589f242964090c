//! The public lists of the described kinds (`record`: S&T tasks, plans, projects,
//! magazine issues, staff, answers, drafts for comment, statistics), kept beside the
//! published lists: for each listed entry of such a kind, its small row (slug, title,
//! record fields, photo), and an index of those rows by the kind's sort field, for the
//! whole kind and for each value of each filter field, with a count per list. A list
//! page reads its page of rows and the counts, never every entry of the kind or their
//! revisions. Maintained by `list` and `unlist`, in the same transaction.

use jiff::Timestamp;
use jiff::civil::Date;
use redb::{TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::keyed::Change;
use super::record::{self, FieldType, KindSpec};
use super::{Entry, Error, Image, Kind, Revision};
use crate::store::{self, Table, Tx};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    pub kind: Kind,
    pub slug: String,
    pub title: String,
    pub record: record::Record,
    pub cover: Option<Image>,
    /// When the entry last changed, for the list's "modified" date.
    pub updated: Timestamp,
    /// The index keys it was filed under: removed as they were made, even if a later
    /// version of the kind's description would make others.
    #[serde(default)]
    keys: Vec<(String, i64)>,
}

impl Row {
    /// The row of `entry` showing its revision `shown`, filed as `spec` says.
    fn of(spec: &KindSpec, entry: &Entry, shown: &Revision) -> Row {
        let mut row = Row {
            kind: entry.kind,
            slug: entry.slug.clone(),
            title: shown.fields.title.clone(),
            record: shown.fields.record.clone(),
            cover: shown.fields.cover.clone(),
            updated: entry.updated_at,
            keys: Vec::new(),
        };
        row.keys = keys(spec, &row);
        row
    }

    /// Whether the two show the same: all but when the entry last changed, which moves
    /// with every draft saved after the row was made.
    fn shows_as(&self, other: &Row) -> bool {
        (
            self.kind,
            &self.slug,
            &self.title,
            &self.record,
            &self.cover,
        ) == (
            other.kind,
            &other.slug,
            &other.title,
            &other.record,
            &other.cover,
        )
    }

    pub fn url(&self) -> String {
        self.kind.url(&self.slug)
    }

    /// The value of the record field `key` ("" when unset).
    pub fn value(&self, key: &str) -> &str {
        self.record.get(key).map_or("", String::as_str)
    }
}

/// Entry id → its row.
pub const ROWS: Table<u64, Row> = Table::new("record_rows_v1");

/// (list, sort key, entry id) → (). The lists, for each described kind:
/// - `{kind}`: every listed entry of the kind;
/// - `{kind}|{field}={value}`: those whose filter field has that value;
///
/// all by the kind's sort field (`sort_key`); and `{kind}~modified`, by when each
/// entry last changed (unix seconds).
pub const INDEX: TableDefinition<(&str, i64, u64), ()> = TableDefinition::new("record_index_v1");

/// How many entries each list holds: a page's total and its filter choices.
pub const COUNTS: TableDefinition<&str, u64> = TableDefinition::new("record_counts_v1");

fn whole(kind: Kind) -> String {
    kind.as_str().to_string()
}

fn filtered(kind: Kind, key: &str, value: &str) -> String {
    format!("{}|{key}={value}", kind.as_str())
}

fn modified(kind: Kind) -> String {
    format!("{}~modified", kind.as_str())
}

/// Whether the kind's lists run from the smallest sort key (a display order) rather
/// than from the largest (the newest date).
fn ascending(spec: &KindSpec) -> bool {
    spec.fields
        .iter()
        .any(|f| f.key == spec.sort_by && f.ty == FieldType::Number)
}

/// The sort key of a row: its sort field as `yyyymmdd` (a date) or as the number (a
/// display order). A row without one goes last: 0 in a newest-first list, `i64::MAX`
/// in a smallest-first one.
fn sort_key(spec: &KindSpec, row: &Row) -> i64 {
    let value = row.value(spec.sort_by);
    if ascending(spec) {
        return value.trim().parse().unwrap_or(i64::MAX);
    }
    value.parse::<Date>().map_or(0, |d| {
        i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
    })
}

/// The index keys of `row`.
fn keys(spec: &KindSpec, row: &Row) -> Vec<(String, i64)> {
    let sort = sort_key(spec, row);
    let mut keys = vec![(whole(row.kind), sort)];
    for f in spec.fields.iter().filter(|f| f.filter) {
        let value = row.value(f.key);
        if !value.is_empty() {
            keys.push((filtered(row.kind, f.key, value), sort));
        }
    }
    keys.push((modified(row.kind), row.updated.as_second()));
    keys
}

/// Records `entry` (live and listed) with its shown revision, if its kind is described.
pub(super) fn add(tx: &WriteTransaction, entry: &Entry, shown: &Revision) -> Result<(), Error> {
    let Some(spec) = record::spec(entry.kind) else {
        return Ok(());
    };
    // A row already there (a caller that did not unlist first) leaves no stale keys.
    remove(tx, entry, false)?;
    let row = Row::of(spec, entry, shown);
    index(tx, entry.id.0, &row.keys, Change::Add)?;
    ROWS.insert(tx, entry.id.0, &row)?;
    Ok(())
}

/// Takes the row of `entry` and its keys out. `listed`: the entry is in its kind's
/// published list now, so it has a row if its kind is described; one missing was taken
/// out of the file, and its keys are looked for.
pub(super) fn remove(tx: &WriteTransaction, entry: &Entry, listed: bool) -> Result<(), Error> {
    let expected = || Ok(listed && record::spec(entry.kind).is_some());
    let keys = super::keyed::filed_keys(tx, (&ROWS, INDEX), entry.id.0, |old| old.keys, expected)?;
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
        super::keyed::change(&mut index, &mut counts, (list, *key, id), change, true)?;
    }
    Ok(())
}

/// Calls `visit` with the ids of `list` in its order (`forward`: smallest sort key
/// first), until it returns false.
fn visit(
    tx: &impl Tx,
    list: &str,
    forward: bool,
    mut visit: impl FnMut(u64) -> Result<bool, Error>,
) -> Result<(), Error> {
    super::keyed::visit(tx, INDEX, list, i64::MIN..=i64::MAX, forward, |_, id| {
        visit(id)
    })
}

fn count(tx: &impl Tx, list: &str) -> Result<usize, Error> {
    Ok(store::get_plain(tx, COUNTS, list, |v| v)?.unwrap_or(0) as usize)
}

/// The row of the listed entry `id`. The rows are made from the entries, so one that
/// is missing or does not decode is not lost: it is made from the entry instead, and
/// the log says so (the integrity check makes it again). None for an id the index
/// still names but that is no longer live: left out of the list, not failing it.
fn row(tx: &impl Tx, id: u64) -> Result<Option<Row>, Error> {
    match ROWS.get(tx, id) {
        Ok(Some(row)) => return Ok(Some(row)),
        Ok(None) => tracing::warn!(entry = id, "a listed entry has no row; reading the entry"),
        Err(e @ store::Error::Decode { .. }) => {
            tracing::warn!(entry = id, "{e}; reading the entry instead");
        }
        Err(e) => return Err(e.into()),
    }
    let made = super::published(tx, super::EntryId(id))?.and_then(|live| {
        let spec = record::spec(live.entry.kind)?;
        Some(Row::of(spec, &live.entry, &live.revision))
    });
    if made.is_none() {
        tracing::warn!(
            entry = id,
            "a kind's list names an entry that is not live; left out"
        );
    }
    Ok(made)
}

/// Whether the row stored for the listed `entry` shows what its live revision `shown`
/// does: the kind's lists show the rows, not the revisions.
pub(super) fn is_as_listed(
    tx: &impl Tx,
    entry: &Entry,
    shown: &Revision,
) -> Result<bool, store::Error> {
    let Some(spec) = record::spec(entry.kind) else {
        return Ok(true);
    };
    match ROWS.get(tx, entry.id.0) {
        Ok(row) => Ok(row.is_some_and(|row| row.shows_as(&Row::of(spec, entry, shown)))),
        Err(store::Error::Decode { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// One page of a kind's list.
#[derive(Debug, Default)]
pub struct Page {
    pub rows: Vec<Row>,
    /// How many entries match the filters, on every page.
    pub total: usize,
}

/// Rows `skip..skip + take` of `kind`'s list, in its order, of the entries whose
/// filter fields have the `chosen` values.
///
/// Without a filter, or with one, the page reads its own keys (from whichever end of
/// the list is nearer) and rows. With several, it walks the shortest of their lists
/// and reads each row to check the others.
pub fn page(
    tx: &impl Tx,
    kind: Kind,
    chosen: &[(&str, String)],
    skip: usize,
    take: usize,
) -> Result<Page, Error> {
    let Some(spec) = record::spec(kind) else {
        return Ok(Page::default());
    };
    let forward = ascending(spec);
    let mut lists = chosen
        .iter()
        .map(|(key, value)| {
            let list = filtered(kind, key, value);
            Ok((count(tx, &list)?, list))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    if lists.is_empty() {
        let list = whole(kind);
        lists.push((count(tx, &list)?, list));
    }
    lists.sort();
    let (total, list) = &lists[0];
    if lists.len() == 1 {
        let total = *total;
        let end = skip.saturating_add(take).min(total);
        if skip >= end {
            return Ok(Page {
                rows: Vec::new(),
                total,
            });
        }
        // Read from the nearer end: the last page of a long list reads only its keys.
        let from_start = skip <= total - end;
        let (past, wanted) = if from_start {
            (skip, end - skip)
        } else {
            (total - end, end - skip)
        };
        let (mut seen, mut ids) = (0, Vec::with_capacity(wanted));
        visit(tx, list, forward == from_start, |id| {
            if seen >= past {
                ids.push(id);
            }
            seen += 1;
            Ok(ids.len() < wanted)
        })?;
        if !from_start {
            ids.reverse();
        }
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            rows.extend(row(tx, id)?);
        }
        return Ok(Page { rows, total });
    }
    let (mut total, mut rows) = (0, Vec::new());
    visit(tx, list, forward, |id| {
        let Some(found) = row(tx, id)? else {
            return Ok(true);
        };
        if chosen.iter().all(|(key, value)| found.value(key) == value) {
            if total >= skip && rows.len() < take {
                rows.push(found);
            }
            total += 1;
        }
        Ok(true)
    })?;
    Ok(Page { rows, total })
}

/// The values of `kind`'s filter field `key` that some entry has, with how many have
/// each, in the values' order.
pub fn choices(tx: &impl Tx, kind: Kind, key: &str) -> Result<Vec<(String, usize)>, Error> {
    super::keyed::counts_under(tx, COUNTS, &filtered(kind, key, ""))
}

/// When an entry of `kind`'s list last changed.
pub fn last_change(tx: &impl Tx, kind: Kind) -> Result<Option<Timestamp>, Error> {
    let mut last = None;
    visit(tx, &modified(kind), false, |id| {
        last = row(tx, id)?.map(|row| row.updated);
        Ok(last.is_none())
    })?;
    Ok(last)
}

/// Fills the rows and the index from what is published (the migration that added
/// them), one entry at a time.
pub(crate) fn rebuild(tx: &WriteTransaction) -> Result<(), Error> {
    for kind in Kind::ALL.iter().filter(|k| record::spec(**k).is_some()) {
        super::keyed::each_live(tx, *kind, |entry, shown| add(tx, entry, shown))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    const LEVELS: [&str; 3] = ["Cấp tỉnh", "Cấp cơ sở", "Cấp bộ"];
    const STATUSES: [&str; 2] = ["approved", "in_progress"];

    /// Task `n`: about three start on each day, so same-day order counts; a few have
    /// no start date at all.
    fn task(n: u64) -> Row {
        let mut record = record::Record::new();
        record.insert("level".into(), LEVELS[(n % 3) as usize].into());
        record.insert("status".into(), STATUSES[(n % 2) as usize].into());
        if n % 97 != 5 {
            let start = jiff::civil::date(2015, 1, 1)
                .checked_add(jiff::Span::new().days(((n * 7_919) % 700) as i64))
                .unwrap();
            record.insert("start".into(), start.to_string());
        }
        Row {
            kind: Kind::Task,
            slug: format!("nv-{n}"),
            title: format!("Nhiệm vụ {n}"),
            record,
            cover: None,
            updated: Timestamp::from_second(1_700_000_000 + (n as i64 * 37) % 5_000).unwrap(),
            keys: Vec::new(),
        }
    }

    #[test]
    fn pages_and_filters_come_from_the_index_as_a_full_sort_would_give_them() {
        let spec = record::spec(Kind::Task).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let mut rows: Vec<(u64, Row)> = (0..2_100)
            .map(|n| {
                let mut row = task(n);
                row.keys = keys(spec, &row);
                (n, row)
            })
            .collect();
        store
            .write_blocking(|tx| -> Result<(), Error> {
                for (id, row) in &rows {
                    index(tx, *id, &row.keys, Change::Add)?;
                    ROWS.insert(tx, *id, row)?;
                }
                // Removed, then added twice: counted once.
                index(tx, 5, &rows[5].1.keys, Change::Remove)?;
                index(tx, 5, &rows[5].1.keys, Change::Add)?;
                index(tx, 5, &rows[5].1.keys, Change::Add)?;
                // One leaves the list.
                index(tx, 9, &rows[9].1.keys, Change::Remove)?;
                ROWS.remove(tx, 9)?;
                Ok(())
            })
            .unwrap();
        rows.retain(|(id, _)| *id != 9);
        // What sorting every row would give: newest start first, then the later id;
        // those without a start last.
        let brute = |chosen: &[(&str, String)]| -> Vec<String> {
            let mut found: Vec<(i64, u64, String)> = rows
                .iter()
                .filter(|(_, r)| chosen.iter().all(|(k, v)| r.value(k) == v))
                .map(|(id, r)| (sort_key(spec, r), *id, r.slug.clone()))
                .collect();
            found.sort_unstable();
            found.reverse();
            found.into_iter().map(|(_, _, slug)| slug).collect()
        };
        let filters: [Vec<(&str, String)>; 4] = [
            vec![],
            vec![("level", "Cấp bộ".into())],
            vec![("level", "Cấp tỉnh".into()), ("status", "approved".into())],
            vec![("level", "Cấp tỉnh".into()), ("status", "không có".into())],
        ];
        store
            .read_blocking(|tx| -> Result<(), Error> {
                for chosen in &filters {
                    let want = brute(chosen);
                    for (skip, take) in [
                        (0, 50),
                        (50, 50),
                        (1_000, 50),
                        (want.len().saturating_sub(20), 50),
                    ] {
                        let got = page(tx, Kind::Task, chosen, skip, take)?;
                        let slugs: Vec<String> = got.rows.into_iter().map(|r| r.slug).collect();
                        let end = (skip + take).min(want.len());
                        assert_eq!(got.total, want.len(), "{chosen:?}");
                        assert_eq!(slugs, want[skip.min(end)..end], "{chosen:?} at {skip}");
                    }
                }
                assert_eq!(
                    choices(tx, Kind::Task, "level")?,
                    vec![
                        ("Cấp bộ".to_string(), 700),
                        ("Cấp cơ sở".to_string(), 700),
                        ("Cấp tỉnh".to_string(), 699),
                    ]
                );
                let newest = rows.iter().map(|(_, r)| r.updated).max();
                assert_eq!(last_change(tx, Kind::Task)?, newest);
                // Another kind's lists are apart.
                assert_eq!(page(tx, Kind::Project, &[], 0, 50)?.total, 0);
                Ok(())
            })
            .unwrap();
    }

    /// Through the content functions: publish, a new address, a new version with
    /// another status, withdrawal. The lists follow each, and the time of going live is
    /// the list's "modified" date.
    #[test]
    fn the_lists_follow_an_entry_through_its_life() {
        use crate::content::{self, Fields, NewEntry, tables};
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let at = |s: i64| Timestamp::from_second(1_800_000_000 + s).unwrap();
        let fields = |status: &str| Fields {
            title: "Nhiệm vụ thử".into(),
            record: [
                ("status", status),
                ("level", "Cấp tỉnh"),
                ("start", "2026-03-01"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            ..Fields::default()
        };
        let list = |chosen: &[(&str, String)]| {
            store
                .read_blocking(|tx| page(tx, Kind::Task, chosen, 0, 10))
                .unwrap()
        };
        let approved = [("status", "approved".to_string())];
        let under_way = [("status", "in_progress".to_string())];
        let id = store
            .write_blocking(|tx| -> Result<_, Error> {
                let new = NewEntry {
                    kind: Kind::Task,
                    slug: "nv-cu".into(),
                    category: None,
                    unit: None,
                    featured: false,
                };
                let entry = content::create(tx, new, fields("approved"), "t", at(0))?;
                content::publish(tx, entry.id, at(10))?;
                Ok(entry.id)
            })
            .unwrap();
        assert_eq!(list(&approved).rows[0].url(), "/nhiem-vu/nv-cu");
        let modified = store.read_blocking(|tx| last_change(tx, Kind::Task));
        assert_eq!(modified.unwrap(), Some(at(10)));

        store
            .write_blocking(|tx| -> Result<(), Error> {
                let mut entry = tables::ENTRIES.get(tx, id.0)?.unwrap();
                content::change_slug(tx, &mut entry, "nv-moi", "t", at(20))?;
                tables::ENTRIES.insert(tx, id.0, &entry)?;
                let next = content::new_revision(
                    tx,
                    id,
                    Some(entry.working),
                    fields("in_progress"),
                    "t",
                    at(30),
                )?;
                entry.working = next.id;
                tables::ENTRIES.insert(tx, id.0, &entry)?;
                content::publish(tx, id, at(40))?;
                Ok(())
            })
            .unwrap();
        let moved = list(&under_way);
        assert_eq!(
            (moved.total, moved.rows[0].url()),
            (1, "/nhiem-vu/nv-moi".into())
        );
        assert_eq!(list(&approved).total, 0);
        assert_eq!(list(&[]).total, 1);
        let statuses = store.read_blocking(|tx| choices(tx, Kind::Task, "status"));
        assert_eq!(statuses.unwrap(), vec![("in_progress".to_string(), 1)]);

        // Withdrawn with its row damaged in the file: it leaves every list all the same.
        store
            .write_blocking(|tx| -> Result<(), Error> {
                tx.open_table(ROWS.definition())
                    .map_err(store::Error::from)?
                    .insert(id.0, b"{not json".as_slice())
                    .map_err(store::Error::from)?;
                let entry = tables::ENTRIES.get(tx, id.0)?.unwrap();
                content::unlist(tx, &entry)
            })
            .unwrap();
        assert_eq!(list(&[]).total, 0);
        assert_eq!(list(&under_way).total, 0);
        assert!(
            store
                .read_blocking(|tx| ROWS.get(tx, id.0))
                .unwrap()
                .is_none()
        );
        let statuses = store.read_blocking(|tx| choices(tx, Kind::Task, "status"));
        assert!(statuses.unwrap().is_empty());
    }
}
