//! The legal document register's rows, kept beside the published lists: for each
//! listed legal document, its slug, trích yếu, metadata and when its shown version was
//! made. The register page, its filters and each document's relations read these small
//! rows, never the documents' revisions with their bodies. Maintained by `list` and
//! `unlist`, in the same transaction.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::legal::LegalDoc;
use super::{Entry, Error, Kind, Revision, tables};
use crate::store::{Table, Tx};
use redb::WriteTransaction;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    pub slug: String,
    /// The trích yếu (the revision's title).
    pub title: String,
    pub legal: LegalDoc,
    pub lastmod: Timestamp,
}

impl Row {
    pub fn url(&self) -> String {
        Kind::LegalDocument.url(&self.slug)
    }
}

/// Entry id → its row.
pub const ROWS: Table<u64, Row> = Table::new("register_rows_v1");

/// Records `entry` (live and listed) with its shown revision.
pub(super) fn add(tx: &WriteTransaction, entry: &Entry, shown: &Revision) -> Result<(), Error> {
    if entry.kind != Kind::LegalDocument {
        return Ok(());
    }
    let Some(legal) = shown.fields.legal.clone() else {
        return Ok(());
    };
    ROWS.insert(
        tx,
        entry.id.0,
        &Row {
            slug: entry.slug.clone(),
            title: shown.fields.title.clone(),
            legal,
            lastmod: shown.created_at,
        },
    )?;
    Ok(())
}

pub(super) fn remove(tx: &WriteTransaction, entry: &Entry) -> Result<(), Error> {
    if entry.kind == Kind::LegalDocument {
        ROWS.remove(tx, entry.id.0)?;
    }
    Ok(())
}

/// Every listed legal document's row, by entry id, decoded one at a time (no copy of
/// every row's bytes first).
pub fn rows(tx: &impl Tx) -> Result<Vec<Row>, Error> {
    let mut rows = Vec::new();
    ROWS.scan(tx, 0u64.., false, |row| {
        rows.push(row);
        true
    })?;
    Ok(rows)
}

/// Fills the table from the published lists (the migration that added it).
pub(crate) fn rebuild(tx: &WriteTransaction) -> Result<(), Error> {
    let (ids, _) = super::index_page(tx, "kind:legal_document", 0, usize::MAX)?;
    for id in ids {
        let Some(entry) = tables::ENTRIES.get(tx, id)? else {
            continue;
        };
        let Some(live) = entry.published else {
            continue;
        };
        if let Some(shown) = tables::REVISIONS.get(tx, live.0)? {
            add(tx, &entry, &shown)?;
        }
    }
    Ok(())
}
