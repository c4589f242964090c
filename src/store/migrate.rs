//! Schema migrations: one ordered list, and the schema version is its length.
//!
//! Each migration runs in its own write transaction together with the version bump, so
//! a crash mid-way leaves the previous version intact and the next start retries it.
//! A database newer than this program is refused, never "downgraded".

use redb::{Database, WriteTransaction};

use super::{Error, registry};

pub struct Migration {
    pub name: &'static str,
    pub apply: fn(&WriteTransaction) -> Result<(), Error>,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        name: "create the initial tables",
        apply: create_initial_tables,
    },
    Migration {
        name: "accounts, sessions, delegations and the editorial record",
        apply: create_workflow_tables,
    },
    Migration {
        name: "the audit trail and login throttling",
        apply: create_audit_tables,
    },
    Migration {
        name: "second factors",
        apply: create_second_factor_table,
    },
    Migration {
        name: "integrity reports and the daily review",
        apply: create_integrity_tables,
    },
    Migration {
        name: "the hourly resource record",
        apply: create_resource_table,
    },
    Migration {
        name: "what citizens send: feedback and reuse requests",
        apply: create_message_table,
    },
    Migration {
        name: "citizens' questions",
        apply: create_question_table,
    },
    Migration {
        name: "comments on drafts",
        apply: create_comment_table,
    },
    Migration {
        name: "redirects of old addresses",
        apply: create_redirect_table,
    },
    Migration {
        name: "import batches, their id map, and the index of redirect targets",
        apply: create_import_tables,
    },
    Migration {
        name: "the words inside attached documents",
        apply: create_document_text_table,
    },
    Migration {
        name: "the mail outbox",
        apply: create_outbox_table,
    },
    Migration {
        name: "password reset links",
        apply: create_reset_link_table,
    },
    Migration {
        name: "list counts and sitemap parts",
        apply: create_list_counts_and_sitemap,
    },
    Migration {
        name: "the legal document register's rows",
        apply: create_register_rows,
    },
    Migration {
        name: "the legal document register's index",
        apply: create_register_index,
    },
    Migration {
        name: "day counts of the published lists and the register",
        apply: create_day_counts,
    },
    Migration {
        name: "sitemap parts of 2,000 addresses",
        apply: move_sitemap_parts,
    },
    Migration {
        name: "the lists of tasks, projects and the other described kinds",
        apply: create_record_lists,
    },
    Migration {
        name: "the work schedule's weeks",
        apply: create_schedule_weeks,
    },
    Migration {
        name: "the cards of the published lists",
        apply: create_card_rows,
    },
];

pub const SCHEMA_VERSION: u64 = MIGRATIONS.len() as u64;

const VERSION_KEY: &str = "schema_version";

/// Brings the database to `SCHEMA_VERSION`. Returns the version it found.
pub fn run(db: &Database) -> Result<u64, Error> {
    run_list(db, MIGRATIONS)
}

fn run_list(db: &Database, migrations: &[Migration]) -> Result<u64, Error> {
    let found = current_version(db)?;
    let supported = migrations.len() as u64;
    if found > supported {
        return Err(Error::TooNew { found, supported });
    }
    for (index, migration) in migrations.iter().enumerate().skip(found as usize) {
        let version = index as u64 + 1;
        tracing::info!(version, name = migration.name, "applying migration");
        let tx = db.begin_write()?;
        (migration.apply)(&tx)?;
        super::META.insert(&tx, VERSION_KEY, &serde_json::json!(version))?;
        tx.commit()?;
    }
    Ok(found)
}

fn current_version(db: &Database) -> Result<u64, Error> {
    // A brand-new file has no tables at all, not even `meta`.
    let tx = db.begin_write()?;
    let version = super::META
        .get(&tx, VERSION_KEY)?
        .and_then(|v| v.as_u64())
        .unwrap_or(0);
    tx.abort()?;
    Ok(version)
}

/// The first shape: entries, revisions, lists, categories, settings and blobs.
fn create_initial_tables(tx: &WriteTransaction) -> Result<(), Error> {
    for name in [
        "meta_v1",
        "counters_v1",
        "entries_v1",
        "revisions_v1",
        "slugs_v1",
        "published_v1",
        "categories_v1",
        "settings_v1",
        "blobs_v1",
    ] {
        registry::create(tx, name)?;
    }
    Ok(())
}

/// Accounts and the editorial workflow.
fn create_workflow_tables(tx: &WriteTransaction) -> Result<(), Error> {
    for name in [
        "users_v1",
        "logins_v1",
        "units_v1",
        "sessions_v1",
        "delegations_v1",
        "events_v1",
        "schedule_v1",
    ] {
        registry::create(tx, name)?;
    }
    Ok(())
}

/// The audit trail and failed logins.
fn create_audit_tables(tx: &WriteTransaction) -> Result<(), Error> {
    for name in ["audit_v1", "login_failures_v1"] {
        registry::create(tx, name)?;
    }
    Ok(())
}

/// Second factors.
fn create_second_factor_table(tx: &WriteTransaction) -> Result<(), Error> {
    registry::create(tx, "second_factors_v1")
}

/// Integrity reports and the daily review.
fn create_integrity_tables(tx: &WriteTransaction) -> Result<(), Error> {
    for name in ["integrity_v1", "reviews_v1"] {
        registry::create(tx, name)?;
    }
    Ok(())
}

/// Resource samples.
fn create_resource_table(tx: &WriteTransaction) -> Result<(), Error> {
    registry::create(tx, "resources_v1")
}

/// Citizens' messages.
fn create_message_table(tx: &WriteTransaction) -> Result<(), Error> {
    registry::create(tx, "messages_v1")
}

/// Citizens' questions.
fn create_question_table(tx: &WriteTransaction) -> Result<(), Error> {
    registry::create(tx, "questions_v1")
}

/// Comments on drafts.
fn create_comment_table(tx: &WriteTransaction) -> Result<(), Error> {
    registry::create(tx, "comments_v1")
}

fn create_redirect_table(tx: &WriteTransaction) -> Result<(), Error> {
    registry::create(tx, "redirects_v1")
}

/// Import batches and their source-id map; the index of redirect targets, filled from
/// the redirects already there. The store reads redirect rows as JSON objects with
/// `from` and `to`; no domain type is needed for that.
fn create_import_tables(tx: &WriteTransaction) -> Result<(), Error> {
    for name in [
        "import_batches_v1",
        "import_items_v1",
        "import_sources_v1",
        "redirect_targets_v1",
    ] {
        registry::create(tx, name)?;
    }
    use redb::ReadableTable;
    let redirects = tx.open_table(redb::TableDefinition::<&str, &[u8]>::new("redirects_v1"))?;
    let mut targets = tx.open_table(redb::TableDefinition::<(&str, &str), ()>::new(
        "redirect_targets_v1",
    ))?;
    for row in redirects.iter()? {
        let (from, value) = row?;
        let value: serde_json::Value =
            serde_json::from_slice(value.value()).map_err(|e| Error::Decode {
                table: "redirects_v1",
                message: e.to_string(),
            })?;
        if let Some(to) = value.get("to").and_then(serde_json::Value::as_str) {
            targets.insert((to, from.value()), ())?;
        }
    }
    Ok(())
}

/// The text of library documents. The files already there are read when the search
/// index is next rebuilt (`document_text::fill_missing`): a migration sees the database,
/// not the files.
fn create_document_text_table(tx: &WriteTransaction) -> Result<(), Error> {
    registry::create(tx, "document_texts_v1")
}

fn create_outbox_table(tx: &WriteTransaction) -> Result<(), Error> {
    registry::create(tx, "outbox_v1")
}

fn create_reset_link_table(tx: &WriteTransaction) -> Result<(), Error> {
    registry::create(tx, "reset_links_v1")
}

/// The counts and sitemap rows are derived from the published lists: filled here once,
/// then kept by `content::list` and `unlist`.
fn create_list_counts_and_sitemap(tx: &WriteTransaction) -> Result<(), Error> {
    // The sitemap's current tables: `sitemap::rebuild` fills those (`move_sitemap_parts`
    // later moves what the older tables of this name held).
    for name in ["list_counts_v1", "sitemap_rows_v2", "sitemap_parts_v2"] {
        registry::create(tx, name)?;
    }
    let derived =
        crate::content::recount_lists(tx).and_then(|()| crate::content::sitemap::rebuild(tx));
    derived.map_err(content_failed("building list counts and sitemap parts"))
}

fn create_register_rows(tx: &WriteTransaction) -> Result<(), Error> {
    registry::create(tx, "register_rows_v1")?;
    crate::content::register::rebuild(tx).map_err(content_failed("building the register's rows"))
}

fn create_register_index(tx: &WriteTransaction) -> Result<(), Error> {
    registry::create(tx, "register_index_v1")?;
    registry::create(tx, "register_counts_v1")?;
    crate::content::register::reindex(tx).map_err(content_failed("indexing the register"))
}

/// Counted from the lists themselves, once; then kept by `content::list` and `unlist`.
fn create_day_counts(tx: &WriteTransaction) -> Result<(), Error> {
    use crate::content::{days, register, tables};
    registry::create(tx, "list_days_v1")?;
    registry::create(tx, "register_days_v1")?;
    days::rebuild(
        tx,
        tables::PUBLISHED,
        tables::DAYS,
        |_| true,
        crate::content::published_day,
    )?;
    days::rebuild(
        tx,
        register::INDEX,
        register::DAYS,
        register::is_counted,
        |day| day,
    )
}

fn move_sitemap_parts(tx: &WriteTransaction) -> Result<(), Error> {
    registry::create(tx, "sitemap_rows_v2")?;
    registry::create(tx, "sitemap_parts_v2")?;
    crate::content::sitemap::move_from_v1(tx).map_err(content_failed("moving the sitemap parts"))
}

/// Filled from what is published, once; then kept by `content::list` and `unlist`.
fn create_record_lists(tx: &WriteTransaction) -> Result<(), Error> {
    for name in ["record_rows_v1", "record_index_v1", "record_counts_v1"] {
        registry::create(tx, name)?;
    }
    crate::content::record_list::rebuild(tx)
        .map_err(content_failed("building the lists of described kinds"))
}

/// Filled from what is published, once; then kept by `content::list` and `unlist`.
fn create_schedule_weeks(tx: &WriteTransaction) -> Result<(), Error> {
    registry::create(tx, "schedule_weeks_v1")?;
    crate::content::schedule::rebuild(tx).map_err(content_failed("filing the schedule's weeks"))
}

/// Filled from what is published, once; then kept by `content::list` and `unlist`.
fn create_card_rows(tx: &WriteTransaction) -> Result<(), Error> {
    registry::create(tx, "card_rows_v1")?;
    crate::content::cards::rebuild(tx).map_err(content_failed("making the lists' cards"))
}

/// How a migration that fills derived tables from the content reports a failure: a
/// store error as itself, anything else as what it was doing.
fn content_failed(doing: &'static str) -> impl Fn(crate::content::Error) -> Error {
    move |e| match e {
        crate::content::Error::Store(e) => e,
        other => Error::Task(format!("{doing}: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::ReadableDatabase;

    fn version(db: &Database) -> u64 {
        current_version(db).unwrap()
    }

    #[test]
    fn a_new_database_reaches_the_current_version() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("t.redb")).unwrap();
        assert_eq!(run(&db).unwrap(), 0);
        assert_eq!(version(&db), SCHEMA_VERSION);
        // Running again is a no-op.
        assert_eq!(run(&db).unwrap(), SCHEMA_VERSION);
        let tx = db.begin_read().unwrap();
        for name in registry::names() {
            let def: redb::TableDefinition<&str, ()> = redb::TableDefinition::new(name);
            // Opening with the wrong types fails with a type error, not "does not exist".
            if let Err(redb::TableError::TableDoesNotExist(_)) = tx.open_table(def) {
                panic!("{name} was not created")
            }
        }
    }

    #[test]
    fn a_version_1_database_gains_the_workflow_tables_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("t.redb")).unwrap();
        // Build the old shape: only the first migration, and a row in it.
        run_list(&db, &MIGRATIONS[..1]).unwrap();
        let tx = db.begin_write().unwrap();
        crate::store::META
            .insert(&tx, "probe", &serde_json::json!("v1"))
            .unwrap();
        tx.commit().unwrap();
        assert_eq!(version(&db), 1);
        assert_eq!(run(&db).unwrap(), 1);
        assert_eq!(version(&db), SCHEMA_VERSION);
        let tx = db.begin_read().unwrap();
        assert_eq!(
            crate::store::META.get(&tx, "probe").unwrap(),
            Some(serde_json::json!("v1"))
        );
        assert!(
            tx.open_table(crate::auth::tables::USERS.definition())
                .is_ok()
        );
    }

    #[test]
    fn a_newer_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("t.redb")).unwrap();
        run(&db).unwrap();
        let tx = db.begin_write().unwrap();
        crate::store::META
            .insert(&tx, VERSION_KEY, &serde_json::json!(SCHEMA_VERSION + 1))
            .unwrap();
        tx.commit().unwrap();
        match run(&db) {
            Err(Error::TooNew { found, supported }) => {
                assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
            }
            other => panic!("expected TooNew, got {other:?}"),
        }
    }

    #[test]
    fn migrations_run_in_order_and_stop_at_a_failure() {
        fn mark_a(tx: &WriteTransaction) -> Result<(), Error> {
            crate::store::META.insert(tx, "a", &serde_json::json!(true))
        }
        fn fail(_: &WriteTransaction) -> Result<(), Error> {
            Err(Error::Task("boom".into()))
        }
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("t.redb")).unwrap();
        let list = [
            Migration {
                name: "tables",
                apply: create_initial_tables,
            },
            Migration {
                name: "a",
                apply: mark_a,
            },
            Migration {
                name: "fails",
                apply: fail,
            },
        ];
        assert!(run_list(&db, &list).is_err());
        // The two that succeeded are committed; the failed one left no version bump.
        assert_eq!(version(&db), 2);
    }
}
