//! Every table of the database, in one place. Names carry a version suffix so a
//! migration can build a new shape beside the old one. `ALL` lists them for backups.

use redb::{ReadTransaction, TableDefinition, WriteTransaction};

use super::blobs::BlobMeta;
use super::{Error, Table, copy_table};
use crate::auth::session::Session;
use crate::auth::{Unit, User};
use crate::content::{Category, Entry, Event, Revision};
use crate::workflow::Delegation;

/// `schema_version` and other facts about the database itself.
pub const META: Table<&str, serde_json::Value> = Table::new("meta_v1");
/// Named id counters.
pub const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters_v1");
/// Entries by id: the envelope (kind, slug, state, working and published revision).
pub const ENTRIES: Table<u64, Entry> = Table::new("entries_v1");
/// Immutable revisions by id.
pub const REVISIONS: Table<u64, Revision> = Table::new("revisions_v1");
/// (kind, slug) → entry id; a slug is unique within its kind.
pub const SLUGS: TableDefinition<(&str, &str), u64> = TableDefinition::new("slugs_v1");
/// Published lists, newest first: (list name, published unix seconds, entry id).
/// List names: `kind:article`, `cat:<category slug>`, `featured`.
pub const PUBLISHED: TableDefinition<(&str, i64, u64), ()> = TableDefinition::new("published_v1");
/// Categories by slug.
pub const CATEGORIES: Table<&str, Category> = Table::new("categories_v1");
/// Site-wide settings by name (`site` holds the identity, menu and footer facts).
pub const SETTINGS: Table<&str, serde_json::Value> = Table::new("settings_v1");
/// Blob metadata by SHA-256 hex; the bytes live in `data/blobs/`.
pub const BLOBS: Table<&str, BlobMeta> = Table::new("blobs_v1");

/// Accounts by id.
pub const USERS: Table<u64, User> = Table::new("users_v1");
/// Login name → user id.
pub const LOGINS: TableDefinition<&str, u64> = TableDefinition::new("logins_v1");
/// Units (phòng, đơn vị) by id.
pub const UNITS: Table<u64, Unit> = Table::new("units_v1");
/// Sessions by the SHA-256 (hex) of their token.
pub const SESSIONS: Table<&str, Session> = Table::new("sessions_v1");
/// Approval delegations by id.
pub const DELEGATIONS: Table<u64, Delegation> = Table::new("delegations_v1");
/// Each entry's editorial record: (entry id, sequence) → event.
pub const EVENTS: Table<(u64, u64), Event> = Table::new("events_v1");
/// Scheduled publications: (unix seconds, entry id).
pub const SCHEDULE: TableDefinition<(i64, u64), ()> = TableDefinition::new("schedule_v1");

/// The audit trail, hash-chained, by sequence number.
pub const AUDIT: Table<u64, crate::audit::Record> = Table::new("audit_v1");
/// Failed logins per account: login → recent failure times and any lock.
pub const LOGIN_FAILURES: Table<&str, crate::auth::throttle::Failures> =
    Table::new("login_failures_v1");
/// Enrolled second factors by user id (the TOTP secret sealed, recovery codes hashed).
pub const SECOND_FACTORS: Table<u64, crate::auth::second_factor::SecondFactor> =
    Table::new("second_factors_v1");

/// Integrity check reports by sequence number.
pub const INTEGRITY: Table<u64, crate::integrity::Report> = Table::new("integrity_v1");
/// The daily review of what was published or changed: by sequence number.
pub const REVIEWS: Table<u64, crate::integrity::review::Review> = Table::new("reviews_v1");

/// Hourly resource samples (disk, memory, load, requests, latency) by unix second.
pub const RESOURCES: Table<u64, crate::ops::resources::Sample> = Table::new("resources_v1");

/// What citizens sent (feedback, reuse requests) by number.
pub const MESSAGES: Table<u64, crate::citizen::Message> = Table::new("messages_v1");

/// Citizens' questions (Hỏi – đáp) by number.
pub const QUESTIONS: Table<u64, crate::citizen::questions::Question> = Table::new("questions_v1");

/// Comments on drafts open for consultation, by number.
pub const COMMENTS: Table<u64, crate::citizen::comments::Comment> = Table::new("comments_v1");

/// The names of every table, for backup and integrity checks.
pub const ALL: &[&str] = &[
    "meta_v1",
    "counters_v1",
    "entries_v1",
    "revisions_v1",
    "slugs_v1",
    "published_v1",
    "categories_v1",
    "settings_v1",
    "blobs_v1",
    "users_v1",
    "logins_v1",
    "units_v1",
    "sessions_v1",
    "delegations_v1",
    "events_v1",
    "schedule_v1",
    "audit_v1",
    "login_failures_v1",
    "second_factors_v1",
    "integrity_v1",
    "reviews_v1",
    "resources_v1",
    "messages_v1",
    "questions_v1",
    "comments_v1",
];

/// Copies every table of `ALL` from `src` into `dst` (the backup's logical copy);
/// returns the rows per table. A table added to the store must be added here and to
/// `ALL`; a test fails otherwise.
pub fn copy_all(
    src: &ReadTransaction,
    dst: &WriteTransaction,
) -> Result<Vec<(&'static str, u64)>, Error> {
    Ok(vec![
        (META.name(), copy_table(src, dst, META.definition())?),
        ("counters_v1", copy_table(src, dst, COUNTERS)?),
        (ENTRIES.name(), copy_table(src, dst, ENTRIES.definition())?),
        (
            REVISIONS.name(),
            copy_table(src, dst, REVISIONS.definition())?,
        ),
        ("slugs_v1", copy_table(src, dst, SLUGS)?),
        ("published_v1", copy_table(src, dst, PUBLISHED)?),
        (
            CATEGORIES.name(),
            copy_table(src, dst, CATEGORIES.definition())?,
        ),
        (
            SETTINGS.name(),
            copy_table(src, dst, SETTINGS.definition())?,
        ),
        (BLOBS.name(), copy_table(src, dst, BLOBS.definition())?),
        (USERS.name(), copy_table(src, dst, USERS.definition())?),
        ("logins_v1", copy_table(src, dst, LOGINS)?),
        (UNITS.name(), copy_table(src, dst, UNITS.definition())?),
        (
            SESSIONS.name(),
            copy_table(src, dst, SESSIONS.definition())?,
        ),
        (
            DELEGATIONS.name(),
            copy_table(src, dst, DELEGATIONS.definition())?,
        ),
        (EVENTS.name(), copy_table(src, dst, EVENTS.definition())?),
        ("schedule_v1", copy_table(src, dst, SCHEDULE)?),
        (AUDIT.name(), copy_table(src, dst, AUDIT.definition())?),
        (
            LOGIN_FAILURES.name(),
            copy_table(src, dst, LOGIN_FAILURES.definition())?,
        ),
        (
            SECOND_FACTORS.name(),
            copy_table(src, dst, SECOND_FACTORS.definition())?,
        ),
        (
            INTEGRITY.name(),
            copy_table(src, dst, INTEGRITY.definition())?,
        ),
        (REVIEWS.name(), copy_table(src, dst, REVIEWS.definition())?),
        (
            RESOURCES.name(),
            copy_table(src, dst, RESOURCES.definition())?,
        ),
        (
            MESSAGES.name(),
            copy_table(src, dst, MESSAGES.definition())?,
        ),
        (
            QUESTIONS.name(),
            copy_table(src, dst, QUESTIONS.definition())?,
        ),
        (
            COMMENTS.name(),
            copy_table(src, dst, COMMENTS.definition())?,
        ),
    ])
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
    use super::*;
    use redb::{ReadableDatabase, TableHandle};

    #[test]
    fn the_copy_covers_every_table_the_store_has() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = crate::store::Store::open(dir.path()).unwrap();
        let snapshot = store.snapshot(&dir.path().join("copy.redb")).unwrap();
        let copied: Vec<&str> = snapshot.tables.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            copied, ALL,
            "copy_all and ALL list the same tables in order"
        );
        drop(store);
        let db = redb::Database::open(dir.path().join("trangtin.redb")).unwrap();
        let read = db.begin_read().unwrap();
        for table in read.list_tables().unwrap() {
            assert!(
                ALL.contains(&table.name()),
                "table {} is not in the backup registry",
                table.name()
            );
        }
    }
}
