//! The registry of every table: its name and the shapes of its key and value. With it
//! the store creates, copies (for backups) and counts tables without knowing the domain
//! types inside them. Each domain module declares its own typed tables under these
//! names; a test checks that the two agree. Names carry a version suffix, so a
//! migration can build a new shape beside the old one.

use redb::{Key, ReadTransaction, TableDefinition, WriteTransaction};

use super::{CopyInto, Error, Table, copy_table};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyShape {
    U64,
    Str,
    U64U64,
    StrStr,
    StrI64U64,
    I64U64,
    StrI64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueShape {
    /// A `Table`: JSON bytes of a domain type.
    Json,
    U64,
    Unit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    pub name: &'static str,
    pub key: KeyShape,
    pub value: ValueShape,
}

const fn table(name: &'static str, key: KeyShape) -> Registered {
    Registered {
        name,
        key,
        value: ValueShape::Json,
    }
}

const fn plain(name: &'static str, key: KeyShape, value: ValueShape) -> Registered {
    Registered { name, key, value }
}

/// Every table, in the order backups copy them.
pub const REGISTRY: &[Registered] = &[
    table("meta_v1", KeyShape::Str),
    plain("counters_v1", KeyShape::Str, ValueShape::U64),
    table("entries_v1", KeyShape::U64),
    table("revisions_v1", KeyShape::U64),
    plain("slugs_v1", KeyShape::StrStr, ValueShape::U64),
    plain("published_v1", KeyShape::StrI64U64, ValueShape::Unit),
    table("categories_v1", KeyShape::Str),
    table("settings_v1", KeyShape::Str),
    table("blobs_v1", KeyShape::Str),
    table("users_v1", KeyShape::U64),
    plain("logins_v1", KeyShape::Str, ValueShape::U64),
    table("units_v1", KeyShape::U64),
    table("sessions_v1", KeyShape::Str),
    table("delegations_v1", KeyShape::U64),
    table("events_v1", KeyShape::U64U64),
    plain("schedule_v1", KeyShape::I64U64, ValueShape::Unit),
    table("audit_v1", KeyShape::U64),
    table("login_failures_v1", KeyShape::Str),
    table("second_factors_v1", KeyShape::U64),
    table("integrity_v1", KeyShape::U64),
    table("reviews_v1", KeyShape::U64),
    table("resources_v1", KeyShape::U64),
    table("messages_v1", KeyShape::U64),
    table("questions_v1", KeyShape::U64),
    table("comments_v1", KeyShape::U64),
    table("redirects_v1", KeyShape::Str),
    plain("redirect_targets_v1", KeyShape::StrStr, ValueShape::Unit),
    table("import_batches_v1", KeyShape::U64),
    table("import_items_v1", KeyShape::U64U64),
    table("import_sources_v1", KeyShape::Str),
    table("document_texts_v1", KeyShape::Str),
    table("outbox_v1", KeyShape::U64),
    table("reset_links_v1", KeyShape::Str),
    plain("list_counts_v1", KeyShape::Str, ValueShape::U64),
    table("sitemap_rows_v2", KeyShape::StrI64U64),
    table("sitemap_parts_v2", KeyShape::Str),
    table("register_rows_v1", KeyShape::U64),
    plain("register_index_v1", KeyShape::StrI64U64, ValueShape::Unit),
    plain("register_counts_v1", KeyShape::Str, ValueShape::U64),
    plain("list_days_v1", KeyShape::StrI64, ValueShape::U64),
    plain("register_days_v1", KeyShape::StrI64, ValueShape::U64),
    table("record_rows_v1", KeyShape::U64),
    plain("record_index_v1", KeyShape::StrI64U64, ValueShape::Unit),
    plain("record_counts_v1", KeyShape::Str, ValueShape::U64),
    plain("schedule_weeks_v1", KeyShape::I64U64, ValueShape::Unit),
    table("card_rows_v1", KeyShape::U64),
];

/// Tables of rows made from the content (what the lists show of each listed entry).
/// The integrity check compares each with the revision it was made of and makes any
/// that differs or does not decode again; so the file check reads their values without
/// decoding them. Such a row is no damage to the file: it must not turn `/readyz` to 503
/// nor tell the administrators to restore a backup.
pub const MADE_FROM_CONTENT: &[&str] = &["register_rows_v1", "record_rows_v1", "card_rows_v1"];

/// The names of every table, for backups and integrity checks.
pub fn names() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().map(|r| r.name)
}

/// The entry for `name`.
pub fn find(name: &str) -> Option<&'static Registered> {
    REGISTRY.iter().find(|r| r.name == name)
}

/// A key type's shape, so a typed table can say what it is.
pub trait KeyOf: Key + 'static {
    const SHAPE: KeyShape;
}

impl KeyOf for u64 {
    const SHAPE: KeyShape = KeyShape::U64;
}
impl KeyOf for &'static str {
    const SHAPE: KeyShape = KeyShape::Str;
}
impl KeyOf for (u64, u64) {
    const SHAPE: KeyShape = KeyShape::U64U64;
}
impl KeyOf for (&'static str, &'static str) {
    const SHAPE: KeyShape = KeyShape::StrStr;
}
impl KeyOf for (&'static str, i64, u64) {
    const SHAPE: KeyShape = KeyShape::StrI64U64;
}
impl KeyOf for (i64, u64) {
    const SHAPE: KeyShape = KeyShape::I64U64;
}
impl KeyOf for (&'static str, i64) {
    const SHAPE: KeyShape = KeyShape::StrI64;
}

impl<K: KeyOf, V> Table<K, V> {
    /// What the registry should say of this table.
    pub fn registered(&self) -> Registered {
        table(self.name(), K::SHAPE)
    }
}

/// Copies the table `reg` from `src` into `dst`; returns its rows.
fn copy_one(reg: &Registered, src: &ReadTransaction, dst: &mut CopyInto) -> Result<u64, Error> {
    fn with<K: Key + 'static>(
        reg: &Registered,
        src: &ReadTransaction,
        dst: &mut CopyInto,
    ) -> Result<u64, Error> {
        match reg.value {
            ValueShape::Json => copy_table(src, dst, TableDefinition::<K, &[u8]>::new(reg.name)),
            ValueShape::U64 => copy_table(src, dst, TableDefinition::<K, u64>::new(reg.name)),
            ValueShape::Unit => copy_table(src, dst, TableDefinition::<K, ()>::new(reg.name)),
        }
    }
    match reg.key {
        KeyShape::U64 => with::<u64>(reg, src, dst),
        KeyShape::Str => with::<&str>(reg, src, dst),
        KeyShape::U64U64 => with::<(u64, u64)>(reg, src, dst),
        KeyShape::StrStr => with::<(&str, &str)>(reg, src, dst),
        KeyShape::StrI64U64 => with::<(&str, i64, u64)>(reg, src, dst),
        KeyShape::I64U64 => with::<(i64, u64)>(reg, src, dst),
        KeyShape::StrI64 => with::<(&str, i64)>(reg, src, dst),
    }
}

/// Creates the table `name` (a migration's step); an unregistered name is an error.
pub fn create(tx: &WriteTransaction, name: &str) -> Result<(), Error> {
    fn with<K: Key + 'static>(tx: &WriteTransaction, reg: &Registered) -> Result<(), Error> {
        match reg.value {
            ValueShape::Json => drop(tx.open_table(TableDefinition::<K, &[u8]>::new(reg.name))?),
            ValueShape::U64 => drop(tx.open_table(TableDefinition::<K, u64>::new(reg.name))?),
            ValueShape::Unit => drop(tx.open_table(TableDefinition::<K, ()>::new(reg.name))?),
        }
        Ok(())
    }
    let reg = find(name).ok_or_else(|| Error::Task(format!("table {name} is not registered")))?;
    match reg.key {
        KeyShape::U64 => with::<u64>(tx, reg),
        KeyShape::Str => with::<&str>(tx, reg),
        KeyShape::U64U64 => with::<(u64, u64)>(tx, reg),
        KeyShape::StrStr => with::<(&str, &str)>(tx, reg),
        KeyShape::StrI64U64 => with::<(&str, i64, u64)>(tx, reg),
        KeyShape::I64U64 => with::<(i64, u64)>(tx, reg),
        KeyShape::StrI64 => with::<(&str, i64)>(tx, reg),
    }
}

/// Copies every registered table from `src` into `dst` (the backup's logical copy);
/// returns the rows per table.
pub(crate) fn copy_all(
    src: &ReadTransaction,
    dst: &mut CopyInto,
) -> Result<Vec<(&'static str, u64)>, Error> {
    REGISTRY
        .iter()
        .map(|reg| Ok((reg.name, copy_one(reg, src, dst)?)))
        .collect()
}

/// What reading one whole table found.
pub struct Reading {
    pub name: &'static str,
    /// Its rows, or what went wrong, naming the table and the last key read.
    pub rows: Result<u64, String>,
}

/// Reads every row of every registered table, parsing each JSON value: a damaged page
/// or value anywhere shows up here. A panic of the storage engine is caught per table.
pub fn read_all(tx: &ReadTransaction) -> Vec<Reading> {
    REGISTRY
        .iter()
        .map(|reg| {
            let mut last_key = None;
            let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                read_one(reg, tx, &mut last_key)
            }));
            let rows = match read {
                Ok(Ok(rows)) => Ok(rows),
                Ok(Err(e)) => Err(e.to_string()),
                Err(panic) => Err(super::panic_message(&*panic)),
            }
            .map_err(|why| match &last_key {
                Some(key) => format!("table {}, after key {key}: {why}", reg.name),
                None => format!("table {}, at its first key: {why}", reg.name),
            });
            Reading {
                name: reg.name,
                rows,
            }
        })
        .collect()
}

fn read_one(
    reg: &Registered,
    tx: &ReadTransaction,
    last_key: &mut Option<String>,
) -> Result<u64, Error> {
    fn rows<K: Key + 'static, V: redb::Value + 'static>(
        tx: &ReadTransaction,
        (name, definition): (&'static str, TableDefinition<'static, K, V>),
        last_key: &mut Option<String>,
        mut check: impl FnMut(&redb::AccessGuard<'_, V>) -> Result<(), String>,
    ) -> Result<u64, Error> {
        let table = match tx.open_table(definition) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        let mut rows = 0;
        for item in redb::ReadableTable::iter(&table)? {
            let (key, value) = item?;
            let key = format!("{:?}", key.value());
            check(&value).map_err(|message| Error::Decode {
                table: name,
                message: format!("key {key}: {message}"),
            })?;
            *last_key = Some(key);
            rows += 1;
        }
        Ok(rows)
    }
    fn with<K: Key + 'static>(
        reg: &Registered,
        tx: &ReadTransaction,
        last_key: &mut Option<String>,
    ) -> Result<u64, Error> {
        match reg.value {
            ValueShape::Json if MADE_FROM_CONTENT.contains(&reg.name) => rows(
                tx,
                (reg.name, TableDefinition::<K, &[u8]>::new(reg.name)),
                last_key,
                |_| Ok(()),
            ),
            ValueShape::Json => rows(
                tx,
                (reg.name, TableDefinition::<K, &[u8]>::new(reg.name)),
                last_key,
                |value| {
                    serde_json::from_slice::<serde::de::IgnoredAny>(value.value())
                        .map(drop)
                        .map_err(|e| e.to_string())
                },
            ),
            ValueShape::U64 => rows(
                tx,
                (reg.name, TableDefinition::<K, u64>::new(reg.name)),
                last_key,
                |_| Ok(()),
            ),
            ValueShape::Unit => rows(
                tx,
                (reg.name, TableDefinition::<K, ()>::new(reg.name)),
                last_key,
                |_| Ok(()),
            ),
        }
    }
    match reg.key {
        KeyShape::U64 => with::<u64>(reg, tx, last_key),
        KeyShape::Str => with::<&str>(reg, tx, last_key),
        KeyShape::U64U64 => with::<(u64, u64)>(reg, tx, last_key),
        KeyShape::StrStr => with::<(&str, &str)>(reg, tx, last_key),
        KeyShape::StrI64U64 => with::<(&str, i64, u64)>(reg, tx, last_key),
        KeyShape::I64U64 => with::<(i64, u64)>(reg, tx, last_key),
        KeyShape::StrI64 => with::<(&str, i64)>(reg, tx, last_key),
    }
}

/// Rows per table, as of `tx` (the restore drill compares them with a manifest).
pub fn count_all(tx: &ReadTransaction) -> Result<Vec<(String, u64)>, Error> {
    use redb::{ReadableTableMetadata, TableHandle};
    let mut counts = Vec::new();
    for handle in tx.list_tables()? {
        let name = handle.name().to_string();
        let rows = tx.open_untyped_table(handle)?.len()?;
        counts.push((name, rows));
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use redb::{ReadableDatabase, TableHandle};

    use super::*;

    #[test]
    fn the_copy_covers_every_table_the_store_has() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = crate::store::Store::open(dir.path()).unwrap();
        let snapshot = store.snapshot(&dir.path().join("copy.redb")).unwrap();
        let copied: Vec<&str> = snapshot.tables.iter().map(|(name, _)| *name).collect();
        assert_eq!(copied, names().collect::<Vec<_>>());
        drop(store);
        let db = redb::Database::open(dir.path().join("trangtin.redb")).unwrap();
        let read = db.begin_read().unwrap();
        for table in read.list_tables().unwrap() {
            assert!(
                find(table.name()).is_some(),
                "table {} is not in the registry",
                table.name()
            );
        }
    }

    /// The domain modules' typed tables and the registry say the same of each table.
    #[test]
    fn every_domain_table_is_registered_with_its_shape() {
        let typed = [
            crate::store::META.registered(),
            crate::store::BLOBS.registered(),
            crate::content::tables::ENTRIES.registered(),
            crate::content::tables::REVISIONS.registered(),
            crate::content::tables::CATEGORIES.registered(),
            crate::content::tables::EVENTS.registered(),
            crate::site::tables::SETTINGS.registered(),
            crate::auth::tables::USERS.registered(),
            crate::auth::tables::UNITS.registered(),
            crate::auth::tables::SESSIONS.registered(),
            crate::auth::tables::DELEGATIONS.registered(),
            crate::auth::tables::LOGIN_FAILURES.registered(),
            crate::auth::tables::SECOND_FACTORS.registered(),
            crate::audit::tables::AUDIT.registered(),
            crate::integrity::tables::INTEGRITY.registered(),
            crate::integrity::tables::REVIEWS.registered(),
            crate::ops::resources::tables::RESOURCES.registered(),
            crate::citizen::tables::MESSAGES.registered(),
            crate::citizen::tables::QUESTIONS.registered(),
            crate::citizen::tables::COMMENTS.registered(),
            crate::redirects::tables::REDIRECTS.registered(),
            crate::import::tables::BATCHES.registered(),
            crate::import::tables::ITEMS.registered(),
            crate::import::tables::SOURCES.registered(),
            crate::document_text::DOCUMENT_TEXTS.registered(),
            crate::mail::outbox::OUTBOX.registered(),
            crate::auth::reset::tables::RESET_LINKS.registered(),
            crate::content::sitemap::ROWS.registered(),
            crate::content::sitemap::PARTS.registered(),
            crate::content::register::ROWS.registered(),
            crate::content::record_list::ROWS.registered(),
            crate::content::cards::ROWS.registered(),
        ];
        for table in typed {
            assert_eq!(find(table.name), Some(&table), "{}", table.name);
        }
        assert_eq!(
            MADE_FROM_CONTENT,
            [
                crate::content::register::ROWS.name(),
                crate::content::record_list::ROWS.name(),
                crate::content::cards::ROWS.name(),
            ]
        );
        let plain = [
            (
                crate::store::COUNTERS.name(),
                KeyShape::Str,
                ValueShape::U64,
            ),
            (
                crate::content::tables::SLUGS.name(),
                KeyShape::StrStr,
                ValueShape::U64,
            ),
            (
                crate::content::tables::PUBLISHED.name(),
                KeyShape::StrI64U64,
                ValueShape::Unit,
            ),
            (
                crate::content::tables::COUNTS.name(),
                KeyShape::Str,
                ValueShape::U64,
            ),
            (
                crate::content::tables::SCHEDULE.name(),
                KeyShape::I64U64,
                ValueShape::Unit,
            ),
            (
                crate::auth::tables::LOGINS.name(),
                KeyShape::Str,
                ValueShape::U64,
            ),
            (
                crate::redirects::tables::TARGETS.name(),
                KeyShape::StrStr,
                ValueShape::Unit,
            ),
            (
                crate::content::register::INDEX.name(),
                KeyShape::StrI64U64,
                ValueShape::Unit,
            ),
            (
                crate::content::register::COUNTS.name(),
                KeyShape::Str,
                ValueShape::U64,
            ),
            (
                crate::content::tables::DAYS.name(),
                KeyShape::StrI64,
                ValueShape::U64,
            ),
            (
                crate::content::register::DAYS.name(),
                KeyShape::StrI64,
                ValueShape::U64,
            ),
            (
                crate::content::record_list::INDEX.name(),
                KeyShape::StrI64U64,
                ValueShape::Unit,
            ),
            (
                crate::content::record_list::COUNTS.name(),
                KeyShape::Str,
                ValueShape::U64,
            ),
            (
                crate::content::schedule::WEEKS.name(),
                KeyShape::I64U64,
                ValueShape::Unit,
            ),
        ];
        for (name, key, value) in plain {
            assert_eq!(find(name), Some(&Registered { name, key, value }), "{name}");
        }
        assert_eq!(
            typed.len() + plain.len(),
            REGISTRY.len(),
            "every table is checked"
        );
    }
}
