//! How many items of each sorted list fall on each day, kept beside the list. A deep
//! page of a list of 800,000 then walks a few thousand day counts and one day's keys,
//! not the 400,000 keys before it. The counts stay exact whatever is inserted or
//! removed, wherever in the list: each change touches one day.

use redb::{ReadableTable, TableDefinition, WriteTransaction};

use crate::store::{self, Tx};

/// (list, day) → how many of the list's items fall on that day.
pub type Days = TableDefinition<'static, (&'static str, i64), u64>;

/// Adds `delta` (±1) to `list`'s count for `day`; a count that reaches zero is removed.
pub fn change(
    tx: &WriteTransaction,
    table: Days,
    list: &str,
    day: i64,
    delta: i64,
) -> Result<(), store::Error> {
    let mut days = tx.open_table(table)?;
    let count = days.get((list, day))?.map_or(0, |v| v.value());
    let count = count.saturating_add_signed(delta);
    if count == 0 {
        days.remove((list, day))?;
    } else {
        days.insert((list, day), count)?;
    }
    Ok(())
}

/// Where the item `skip` places from one end of `list` lies: the day it falls on and how
/// many items of that day come before it from the same end. `None` when the list has
/// no such item, or no day counts (the caller then walks the keys).
pub fn seek(
    tx: &impl Tx,
    table: Days,
    list: &str,
    skip: usize,
    from_newest: bool,
) -> Result<Option<(i64, usize)>, store::Error> {
    fn run(
        days: &impl ReadableTable<(&'static str, i64), u64>,
        list: &str,
        skip: usize,
        from_newest: bool,
    ) -> Result<Option<(i64, usize)>, store::Error> {
        let range = days.range((list, i64::MIN)..=(list, i64::MAX))?;
        let mut before = 0usize;
        let mut step = |item: (i64, u64)| {
            let (day, count) = (item.0, item.1 as usize);
            if before + count > skip {
                return Some((day, skip - before));
            }
            before += count;
            None
        };
        if from_newest {
            for item in range.rev() {
                let (key, count) = item?;
                if let Some(found) = step((key.value().1, count.value())) {
                    return Ok(Some(found));
                }
            }
        } else {
            for item in range {
                let (key, count) = item?;
                if let Some(found) = step((key.value().1, count.value())) {
                    return Ok(Some(found));
                }
            }
        }
        Ok(None)
    }
    match tx.reader() {
        store::Reader::Read(t) => match t.open_table(table) {
            Ok(days) => run(&days, list, skip, from_newest),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
            Err(e) => Err(e.into()),
        },
        store::Reader::Write(t) => run(&t.open_table(table)?, list, skip, from_newest),
    }
}

/// How many items of `list` fall on the days `first..=last`. `None` when there are no
/// day counts (the caller then walks the keys).
pub fn count_between(
    tx: &impl Tx,
    table: Days,
    list: &str,
    first: i64,
    last: i64,
) -> Result<Option<u64>, store::Error> {
    fn run(
        days: &impl ReadableTable<(&'static str, i64), u64>,
        list: &str,
        first: i64,
        last: i64,
    ) -> Result<u64, store::Error> {
        let mut total = 0u64;
        if first <= last {
            for item in days.range((list, first)..=(list, last))? {
                total += item?.1.value();
            }
        }
        Ok(total)
    }
    match tx.reader() {
        store::Reader::Read(t) => match t.open_table(table) {
            Ok(days) => Ok(Some(run(&days, list, first, last)?)),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
            Err(e) => Err(e.into()),
        },
        store::Reader::Write(t) => Ok(Some(run(&t.open_table(table)?, list, first, last)?)),
    }
}

/// Counts every list of `index` (list, sort key, id) that `counted` accepts again into
/// `table`, with `day_of` mapping a sort key to its day (the migration that added the counts). The index is
/// sorted by list and key, so each day's items come together: one pass, one count at a
/// time.
pub fn rebuild(
    tx: &WriteTransaction,
    index: TableDefinition<'static, (&'static str, i64, u64), ()>,
    table: Days,
    counted: fn(&str) -> bool,
    day_of: fn(i64) -> i64,
) -> Result<(), store::Error> {
    let index = tx.open_table(index)?;
    let mut days = tx.open_table(table)?;
    days.retain(|_, _| false)?;
    let mut run: Option<(String, i64, u64)> = None;
    for item in index.iter()? {
        let (key, _) = item?;
        let (list, sort, _) = key.value();
        if !counted(list) {
            continue;
        }
        let day = day_of(sort);
        match &mut run {
            Some((l, d, n)) if l == list && *d == day => *n += 1,
            _ => {
                if let Some((l, d, n)) = run.take() {
                    days.insert((l.as_str(), d), n)?;
                }
                run = Some((list.to_string(), day, 1));
            }
        }
    }
    if let Some((l, d, n)) = run {
        days.insert((l.as_str(), d), n)?;
    }
    Ok(())
}
