//! What the sitemaps list, kept beside the published lists so that no sitemap reads
//! the entries themselves: one small row per listed entry (its slug and when its shown
//! version was made), grouped in parts by kind and by block of entry ids, and one
//! summary per part (how many rows, the newest lastmod). The sitemap index reads the
//! summaries; a part reads its rows. Both are maintained by `list` and `unlist`, in the
//! same transaction as the published lists.
//!
//! Parts follow entry ids, which only grow: a new entry lands in the last part of its
//! kind, and a part never moves to another name.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Entry, Error, Kind, tables};
use crate::store::{Table, Tx};
use redb::WriteTransaction;

/// Entry ids per part. A part of one kind holds at most this many URLs, well under the
/// 50,000 the sitemap protocol allows, and is made in a few milliseconds (at 5,000, the
/// size until schema 19, a part was 600 KB and took 7–11 ms uncached).
pub const BLOCK: u64 = 2_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    pub slug: String,
    pub lastmod: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Part {
    pub kind: Kind,
    pub block: u64,
    pub count: u64,
    pub lastmod: Timestamp,
}

impl Part {
    /// The part's file name without `.xml`: the kind's URL stem and its 1-based number.
    pub fn name(&self) -> String {
        part_name(self.kind, self.block)
    }
}

pub fn part_name(kind: Kind, block: u64) -> String {
    format!(
        "{}-{}",
        kind.url_prefix().trim_start_matches('/'),
        block + 1
    )
}

/// (kind, block, entry id) → the entry's row.
pub const ROWS: Table<(&str, i64, u64), Row> = Table::new("sitemap_rows_v2");
/// Part name → its summary.
pub const PARTS: Table<&str, Part> = Table::new("sitemap_parts_v2");

fn block_of(id: u64) -> u64 {
    id / BLOCK
}

/// Records `entry` (live and listed) as shown in its kind's part, dated `lastmod`.
pub(super) fn add(tx: &WriteTransaction, entry: &Entry, lastmod: Timestamp) -> Result<(), Error> {
    let block = block_of(entry.id.0);
    let key = (entry.kind.as_str(), block as i64, entry.id.0);
    let new = ROWS.get(tx, key)?.is_none();
    ROWS.insert(
        tx,
        key,
        &Row {
            slug: entry.slug.clone(),
            lastmod,
        },
    )?;
    let name = part_name(entry.kind, block);
    let mut part = PARTS.get(tx, name.as_str())?.unwrap_or(Part {
        kind: entry.kind,
        block,
        count: 0,
        lastmod,
    });
    part.count += u64::from(new);
    part.lastmod = part.lastmod.max(lastmod);
    PARTS.insert(tx, name.as_str(), &part)?;
    Ok(())
}

/// Takes `entry` out of its part (a withdrawal, or before it is listed again). The
/// part's lastmod stays: the newest of what is left is not known without reading it.
pub(super) fn remove(tx: &WriteTransaction, entry: &Entry) -> Result<(), Error> {
    let block = block_of(entry.id.0);
    let key = (entry.kind.as_str(), block as i64, entry.id.0);
    if ROWS.remove(tx, key)?.is_none() {
        return Ok(());
    }
    let name = part_name(entry.kind, block);
    if let Some(mut part) = PARTS.get(tx, name.as_str())? {
        part.count = part.count.saturating_sub(1);
        if part.count == 0 {
            PARTS.remove(tx, name.as_str())?;
        } else {
            PARTS.insert(tx, name.as_str(), &part)?;
        }
    }
    Ok(())
}

/// Every part that lists something, by kind (in `Kind::ALL` order) and number.
pub fn parts(tx: &impl Tx) -> Result<Vec<Part>, Error> {
    let mut parts = PARTS.values(tx)?;
    let order = |kind: Kind| Kind::ALL.iter().position(|k| *k == kind);
    parts.sort_by_key(|p| (order(p.kind), p.block));
    Ok(parts)
}

/// The part of `kind` numbered `number` (1-based): its rows by entry id, or `None` if
/// it lists nothing. The server writes parts from `each_in_part`; this is for tests.
#[cfg(test)]
pub fn part(tx: &impl Tx, kind: Kind, number: u64) -> Result<Option<Vec<Row>>, Error> {
    let mut rows = Vec::new();
    each_in_part(tx, kind, number, |slug, lastmod| {
        rows.push(Row {
            slug: slug.to_string(),
            lastmod,
        });
    })?;
    Ok((!rows.is_empty()).then_some(rows))
}

/// A row read in place: its slug borrowed from the stored bytes (unless it holds an
/// escaped character).
#[derive(Deserialize)]
struct StoredRow<'a> {
    #[serde(borrow)]
    slug: std::borrow::Cow<'a, str>,
    lastmod: Timestamp,
}

/// Hands `visit` each row of the part of `kind` numbered `number` (1-based), by entry
/// id, without copying it out of the store: a part is written as it is read. Returns
/// how many rows there were.
pub fn each_in_part(
    tx: &impl Tx,
    kind: Kind,
    number: u64,
    mut visit: impl FnMut(&str, Timestamp),
) -> Result<u64, Error> {
    let Some(block) = number.checked_sub(1) else {
        return Ok(0);
    };
    let block = block as i64;
    let mut count = 0;
    ROWS.scan_stored(
        tx,
        (kind.as_str(), block, 0)..=(kind.as_str(), block, u64::MAX),
        false,
        |bytes| {
            let row: StoredRow =
                serde_json::from_slice(bytes).map_err(|e| crate::store::Error::Decode {
                    table: ROWS.name(),
                    message: e.to_string(),
                })?;
            visit(&row.slug, row.lastmod);
            count += 1;
            Ok(true)
        },
    )?;
    Ok(count)
}

/// Fills the tables from the published lists (the migration that added them).
pub(crate) fn rebuild(tx: &WriteTransaction) -> Result<(), Error> {
    for entry in tables::ENTRIES.values(tx)? {
        let Some(live) = entry.published else {
            continue;
        };
        if super::ops::list_keys(tx, &entry)?.is_empty() {
            continue;
        }
        let shown = tables::REVISIONS.get(tx, live.0)?;
        let lastmod = shown.map_or(entry.updated_at, |r| r.created_at);
        add(tx, &entry, lastmod)?;
    }
    Ok(())
}

/// Moves the rows of the tables of 5,000-id parts (`…_v1`, schema 15 to 18) into the
/// current ones, in parts of `BLOCK`, and drops the old tables. A database that never
/// had them (made new, where the current tables were filled from the start) has none
/// to move.
pub(crate) fn move_from_v1(tx: &WriteTransaction) -> Result<(), Error> {
    use redb::ReadableTable;
    let old_rows = redb::TableDefinition::<(&str, i64, u64), &[u8]>::new("sitemap_rows_v1");
    let old_parts = redb::TableDefinition::<&str, &[u8]>::new("sitemap_parts_v1");
    let mut summaries: std::collections::BTreeMap<String, Part> = Default::default();
    {
        let rows = match tx.open_table(old_rows) {
            Ok(rows) => rows,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(()),
            Err(e) => return Err(crate::store::Error::from(e).into()),
        };
        let mut current = tx
            .open_table(ROWS.definition())
            .map_err(crate::store::Error::from)?;
        for item in rows.iter().map_err(crate::store::Error::from)? {
            let (key, bytes) = item.map_err(crate::store::Error::from)?;
            let (kind, _, id) = key.value();
            let Some(kind) = Kind::ALL.iter().copied().find(|k| k.as_str() == kind) else {
                continue;
            };
            let row: Row =
                serde_json::from_slice(bytes.value()).map_err(|e| crate::store::Error::Decode {
                    table: "sitemap_rows_v1",
                    message: e.to_string(),
                })?;
            let block = block_of(id);
            let part = summaries.entry(part_name(kind, block)).or_insert(Part {
                kind,
                block,
                count: 0,
                lastmod: row.lastmod,
            });
            part.count += 1;
            part.lastmod = part.lastmod.max(row.lastmod);
            current
                .insert((kind.as_str(), block as i64, id), bytes.value())
                .map_err(crate::store::Error::from)?;
        }
    }
    for (name, part) in summaries {
        PARTS.insert(tx, name.as_str(), &part)?;
    }
    tx.delete_table(old_rows)
        .map_err(crate::store::Error::from)?;
    tx.delete_table(old_parts)
        .map_err(crate::store::Error::from)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn parts_of_five_thousand_move_into_parts_of_two_thousand() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let ids: Vec<u64> = (0..6_000).step_by(7).collect();
        store
            .write_blocking(|tx| -> Result<(), Error> {
                let old = redb::TableDefinition::<(&str, i64, u64), &[u8]>::new("sitemap_rows_v1");
                let mut rows = tx.open_table(old).map_err(crate::store::Error::from)?;
                for id in &ids {
                    let row = serde_json::to_vec(&Row {
                        slug: format!("tin-{id}"),
                        lastmod: Timestamp::from_second(1_700_000_000 + *id as i64).unwrap(),
                    })
                    .unwrap();
                    rows.insert(("article", (*id / 5_000) as i64, *id), row.as_slice())
                        .map_err(crate::store::Error::from)?;
                }
                drop(rows);
                tx.open_table(redb::TableDefinition::<&str, &[u8]>::new(
                    "sitemap_parts_v1",
                ))
                .map_err(crate::store::Error::from)?;
                move_from_v1(tx)?;
                // Run again (nothing left to move), it changes nothing.
                move_from_v1(tx)
            })
            .unwrap();
        let (parts, third) = store
            .read_blocking(|tx| -> Result<_, Error> {
                Ok((parts(tx)?, part(tx, Kind::Article, 3)?.unwrap()))
            })
            .unwrap();
        let summary: Vec<(String, u64)> = parts.iter().map(|p| (p.name(), p.count)).collect();
        let count =
            |from: u64, to: u64| ids.iter().filter(|id| (from..to).contains(*id)).count() as u64;
        assert_eq!(
            summary,
            vec![
                ("tin-tuc-1".to_string(), count(0, 2_000)),
                ("tin-tuc-2".to_string(), count(2_000, 4_000)),
                ("tin-tuc-3".to_string(), count(4_000, 6_000)),
            ]
        );
        assert_eq!(third.len() as u64, count(4_000, 6_000));
        assert_eq!(
            parts[2].lastmod,
            Timestamp::from_second(1_700_000_000 + *ids.last().unwrap() as i64).unwrap()
        );
    }
}
