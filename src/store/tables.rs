//! Every table of the database, in one place. Names carry a version suffix so a
//! migration can build a new shape beside the old one. `ALL` lists them for backups.

use redb::TableDefinition;

use super::Table;
use super::blobs::BlobMeta;
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
];
