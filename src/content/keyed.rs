//! The shape the legal document register and the described kinds' lists share: an
//! index of (list, sort key, entry id) → () beside a count per list, read a list at a
//! time, from either end.

use std::ops::RangeInclusive;

use redb::{ReadableTable, TableDefinition};

use super::{Entry, Error, Kind, Revision, tables};
use crate::store::{self, Tx};

pub type Index = TableDefinition<'static, (&'static str, i64, u64), ()>;
pub type Counts = TableDefinition<'static, &'static str, u64>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Add,
    Remove,
}

/// Files (or takes out) `id` under `key` in `list`; if that changed the index and the
/// list is `counted`, moves its count by one. Returns whether the index changed: adding
/// what is there already, or taking out what is not, changes nothing.
pub fn change(
    index: &mut redb::Table<(&'static str, i64, u64), ()>,
    counts: &mut redb::Table<&'static str, u64>,
    (list, key, id): (&str, i64, u64),
    change: Change,
    counted: bool,
) -> Result<bool, Error> {
    let was_there = match change {
        Change::Add => index.insert((list, key, id), ()),
        Change::Remove => index.remove((list, key, id)),
    }
    .map_err(store::Error::from)?
    .is_some();
    let changed = was_there == (change == Change::Remove);
    if changed && counted {
        let count = counts
            .get(list)
            .map_err(store::Error::from)?
            .map_or(0, |v| v.value());
        match change {
            Change::Add => counts.insert(list, count + 1),
            Change::Remove if count <= 1 => counts.remove(list),
            Change::Remove => counts.insert(list, count - 1),
        }
        .map_err(store::Error::from)?;
    }
    Ok(changed)
}

/// The (list, sort key) pairs under which `index` files entry `id`, worked out by
/// `keys_of` from its row in `rows`. A row that no longer decodes, or is missing though
/// `expected` says the entry has one, must not keep its entry in the lists: its keys are
/// then found by reading the whole index, which only unlisting such an entry pays for.
pub fn filed_keys<T: serde::Serialize + serde::de::DeserializeOwned>(
    tx: &redb::WriteTransaction,
    (rows, index): (&store::Table<u64, T>, Index),
    id: u64,
    keys_of: impl FnOnce(T) -> Vec<(String, i64)>,
    expected: impl FnOnce() -> Result<bool, Error>,
) -> Result<Vec<(String, i64)>, Error> {
    let why = match rows.get(tx, id) {
        Ok(Some(row)) => return Ok(keys_of(row)),
        Ok(None) if !expected()? => return Ok(Vec::new()),
        Ok(None) => format!("a listed entry has no row in {}", rows.name()),
        Err(e @ store::Error::Decode { .. }) => e.to_string(),
        Err(e) => return Err(e.into()),
    };
    tracing::warn!(entry = id, "{why}; taking it out by its index keys");
    let index = tx.open_table(index).map_err(store::Error::from)?;
    filed_under(&index, id)
}

/// Every (list, sort key) under which `index` files `id`, found by reading the whole
/// index.
fn filed_under(
    index: &redb::Table<(&'static str, i64, u64), ()>,
    id: u64,
) -> Result<Vec<(String, i64)>, Error> {
    let mut found = Vec::new();
    for item in index.iter().map_err(store::Error::from)? {
        let (key, _) = item.map_err(store::Error::from)?;
        let (list, sort, filed) = key.value();
        if filed == id {
            found.push((list.to_string(), sort));
        }
    }
    Ok(found)
}

/// Calls `visit` with the (sort key, id) of `list`'s items in `index` whose sort key
/// lies in `keys`, smallest first when `forward`, until it returns false. A table not
/// created yet reads as empty.
pub fn visit(
    tx: &impl Tx,
    index: Index,
    list: &str,
    keys: RangeInclusive<i64>,
    forward: bool,
    mut visit: impl FnMut(i64, u64) -> Result<bool, Error>,
) -> Result<(), Error> {
    fn run(
        table: &impl ReadableTable<(&'static str, i64, u64), ()>,
        list: &str,
        keys: RangeInclusive<i64>,
        forward: bool,
        visit: &mut dyn FnMut(i64, u64) -> Result<bool, Error>,
    ) -> Result<(), Error> {
        let range = table
            .range((list, *keys.start(), 0)..=(list, *keys.end(), u64::MAX))
            .map_err(store::Error::from)?;
        // Two loops, not a boxed iterator: `rev` changes the type.
        if forward {
            for item in range {
                let (key, _) = item.map_err(store::Error::from)?;
                let (_, sort, id) = key.value();
                if !visit(sort, id)? {
                    break;
                }
            }
        } else {
            for item in range.rev() {
                let (key, _) = item.map_err(store::Error::from)?;
                let (_, sort, id) = key.value();
                if !visit(sort, id)? {
                    break;
                }
            }
        }
        Ok(())
    }
    match tx.reader() {
        store::Reader::Read(t) => match t.open_table(index) {
            Ok(table) => run(&table, list, keys, forward, &mut visit),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(()),
            Err(e) => Err(store::Error::from(e).into()),
        },
        store::Reader::Write(t) => run(
            &t.open_table(index).map_err(store::Error::from)?,
            list,
            keys,
            forward,
            &mut visit,
        ),
    }
}

/// The lists in `counts` whose names start with `prefix`, each as (the rest of its
/// name, its count), in name order.
pub fn counts_under(
    tx: &impl Tx,
    counts: Counts,
    prefix: &str,
) -> Result<Vec<(String, usize)>, Error> {
    fn run(
        table: &impl ReadableTable<&'static str, u64>,
        prefix: &str,
    ) -> Result<Vec<(String, usize)>, store::Error> {
        let mut out = Vec::new();
        for item in table.range(prefix..)? {
            let (list, count) = item?;
            let Some(rest) = list.value().strip_prefix(prefix) else {
                break;
            };
            out.push((rest.to_string(), count.value() as usize));
        }
        Ok(out)
    }
    Ok(match tx.reader() {
        store::Reader::Read(t) => match t.open_table(counts) {
            Ok(table) => run(&table, prefix)?,
            Err(redb::TableError::TableDoesNotExist(_)) => Vec::new(),
            Err(e) => return Err(store::Error::from(e).into()),
        },
        store::Reader::Write(t) => run(&t.open_table(counts).map_err(store::Error::from)?, prefix)?,
    })
}

/// Calls `visit` with each published entry of `kind` and its shown revision, one at a
/// time: the migrations that fill a new index from what is already published.
pub fn each_live(
    tx: &redb::WriteTransaction,
    kind: Kind,
    mut visit: impl FnMut(&Entry, &Revision) -> Result<(), Error>,
) -> Result<(), Error> {
    let (ids, _) = super::index_page(tx, &super::List::Kind(kind).key(), 0, usize::MAX)?;
    for id in ids {
        let Some(entry) = tables::ENTRIES.get(tx, id)? else {
            continue;
        };
        let Some(live) = entry.published else {
            continue;
        };
        if let Some(shown) = tables::REVISIONS.get(tx, live.0)? {
            visit(&entry, &shown)?;
        }
    }
    Ok(())
}
