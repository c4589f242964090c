//! The store: one redb file holding every table, and a content-addressed blob folder.
//!
//! Invariants: every write is one redb transaction, so a crash at any instant leaves the
//! last committed state; no transaction is held across an `.await` (closures run on the
//! blocking pool); values are JSON, so a field added with a default reads old rows.

mod blobs;
mod migrate;
pub mod registry;

use std::borrow::Borrow;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard};

use redb::{
    Database, Key, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition,
    WriteTransaction,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use blobs::{BlobHash, BlobMeta, Blobs, Variant};
pub use migrate::{MIGRATIONS, SCHEMA_VERSION};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Db(#[from] redb::Error),
    #[error("the data folder is in use by another trangtin process ({0})")]
    Locked(String),
    #[error("stored value in {table} is unreadable: {message}")]
    Decode {
        table: &'static str,
        message: String,
    },
    #[error(
        "the database has schema version {found}, newer than this program's {supported}; \
         run the newer trangtin or restore a backup"
    )]
    TooNew { found: u64, supported: u64 },
    #[error("blob store: {0}")]
    Blob(#[from] std::io::Error),
    #[error("the store task failed: {0}")]
    Task(String),
    /// The storage engine gave up on a page (it panicked): the file is damaged.
    #[error("the database file is damaged: {0}")]
    Damaged(String),
    /// The file could not be written (a full disk, an I/O error): writes are refused
    /// until the store has reopened the file and verified it (`Store::reopen`).
    #[error("the database cannot be written now ({0}); it reopens once the cause is gone")]
    Unwritable(String),
    /// The file is closed while the store reopens it.
    #[error("the database is being reopened after a write failure")]
    Reopening,
}

impl Error {
    /// Whether the disk (or the user's quota) is full.
    pub fn is_disk_full(&self) -> bool {
        match self {
            Error::Db(redb::Error::Io(e)) | Error::Blob(e) => crate::files::is_disk_full(e),
            _ => false,
        }
    }

    /// Whether this is the file failing to be written or read (as opposed to a value or
    /// a request the store refused): after one, redb wants the file closed and reopened.
    fn is_io(&self) -> bool {
        matches!(
            self,
            Error::Db(redb::Error::Io(_) | redb::Error::PreviousIo) | Error::Unwritable(_)
        )
    }
}

/// Runs `f`, turning a panic inside it into `Error::Damaged` (and telling `on_panic`).
fn contained<R, E: From<Error>>(
    f: impl FnOnce() -> Result<R, E>,
    on_panic: impl FnOnce(&str),
) -> Result<R, E> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let message = panic_message(&*panic);
        tracing::error!("the storage engine failed reading the database: {message}");
        on_panic(&message);
        Err(E::from(Error::Damaged(message)))
    })
}

impl From<redb::DatabaseError> for Error {
    fn from(e: redb::DatabaseError) -> Self {
        match e {
            redb::DatabaseError::DatabaseAlreadyOpen => Error::Locked(e.to_string()),
            e => Error::Db(e.into()),
        }
    }
}

impl From<redb::TransactionError> for Error {
    fn from(e: redb::TransactionError) -> Self {
        Error::Db(e.into())
    }
}

impl From<redb::TableError> for Error {
    fn from(e: redb::TableError) -> Self {
        Error::Db(e.into())
    }
}

impl From<redb::StorageError> for Error {
    fn from(e: redb::StorageError) -> Self {
        Error::Db(e.into())
    }
}

impl From<redb::CommitError> for Error {
    fn from(e: redb::CommitError) -> Self {
        Error::Db(e.into())
    }
}

/// `schema_version` and other facts about the database itself.
pub const META: Table<&str, serde_json::Value> = Table::new("meta_v1");
/// Named id counters.
pub const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters_v1");
/// Blob metadata by SHA-256 hex; the bytes live in `data/blobs/`.
pub const BLOBS: Table<&str, BlobMeta> = Table::new("blobs_v1");

/// redb's own page cache.
const CACHE_BYTES: usize = 32 * 1024 * 1024;

/// The open store. Cheap to clone; the database closes when the last clone drops.
#[derive(Clone)]
pub struct Store {
    /// Every transaction holds this for reading; only `reopen` and `examine` (redb's
    /// integrity check wants the database to itself) take it for writing. `None` while
    /// a reopen has closed the file and not yet opened it again.
    db: Arc<RwLock<Option<Database>>>,
    pub blobs: Blobs,
    data: std::path::PathBuf,
    /// Why the storage engine last gave up on a page, if it ever did (`/readyz`).
    damage: Arc<Mutex<Option<String>>>,
    /// Why writes fail, from the first I/O error until a reopen succeeds.
    fault: Arc<Mutex<Option<String>>>,
}

/// What `Store::examine` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Examination {
    pub tables: usize,
    pub rows: u64,
    /// Each problem, naming the table and key where one is known (English).
    pub problems: Vec<String>,
    /// Why redb's own check could not run, if it could not. That is not damage: the
    /// rows were still read, and a full disk must not be told to restore a backup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unchecked: Option<Unchecked>,
}

impl Examination {
    /// Nothing was found and nothing was left unchecked.
    pub fn is_sound(&self) -> bool {
        self.problems.is_empty() && self.unchecked.is_none()
    }

    /// The problems and what was left unchecked, in one line (English).
    pub fn summary(&self) -> String {
        let unchecked = self.unchecked.iter().map(|u| u.why.clone());
        let all: Vec<String> = self.problems.iter().cloned().chain(unchecked).collect();
        all.join("; ")
    }
}

/// Why redb's integrity check did not run: it works on a copy of the file, which
/// needs room for one more file the size of the database.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Unchecked {
    /// What failed (English).
    pub why: String,
    /// The disk (or the quota) is full: the cause an operator can act on.
    pub disk_full: bool,
}

impl Unchecked {
    fn of_io(what: &str, e: &std::io::Error) -> Unchecked {
        Unchecked {
            why: format!("{what}: {e}"),
            disk_full: crate::files::is_disk_full(e),
        }
    }
}

/// What `Store::snapshot` copied.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Rows per table, by table name.
    pub tables: Vec<(&'static str, u64)>,
    /// Every blob the copied `blobs` table names, sorted.
    pub blobs: Vec<BlobHash>,
    pub schema_version: u64,
}

/// How many bytes of keys and values a copy writes between its commits.
const COPY_BATCH_BYTES: usize = 256 * 1024 * 1024;

/// The writing side of a copy of the store: it commits every `COPY_BATCH_BYTES`. redb
/// keeps a set of the pages a write transaction allocated until it commits, some 16
/// bytes a page: copied in one transaction, a million-entry store (6.4 GB) raised the
/// server's peak memory by 88 MB during a backup, and by 15–45 MB in parts. The copy is
/// a private file no one reads before the last commit, so committing it in parts
/// changes nothing else.
pub(crate) struct CopyInto<'db> {
    db: &'db Database,
    tx: Option<WriteTransaction>,
    /// Bytes copied since the last commit, and how many commit one.
    pending: usize,
    batch: usize,
    commits: u64,
}

impl<'db> CopyInto<'db> {
    pub(crate) fn new(db: &'db Database) -> Result<CopyInto<'db>, Error> {
        Self::in_parts_of(db, COPY_BATCH_BYTES)
    }

    fn in_parts_of(db: &'db Database, batch: usize) -> Result<CopyInto<'db>, Error> {
        Ok(CopyInto {
            db,
            tx: Some(db.begin_write()?),
            pending: 0,
            batch,
            commits: 0,
        })
    }

    fn tx(&self) -> Result<&WriteTransaction, Error> {
        self.tx
            .as_ref()
            .ok_or_else(|| Error::Task("the copy's transaction is gone".into()))
    }

    /// Commits what was copied and begins the next part.
    fn next_part(&mut self) -> Result<(), Error> {
        if let Some(done) = self.tx.take() {
            done.commit()?;
            self.commits += 1;
        }
        self.tx = Some(self.db.begin_write()?);
        self.pending = 0;
        Ok(())
    }

    /// Commits the last part; gives how many commits the copy took.
    pub(crate) fn finish(mut self) -> Result<u64, Error> {
        if let Some(done) = self.tx.take() {
            done.commit()?;
            self.commits += 1;
        }
        Ok(self.commits)
    }
}

/// The storage of a snapshot's copy: its file, never waiting for the disk. The copy is
/// read into an archive (which is synced) and removed; a copy cut short by a crash is
/// never read (`backup::create` removes what a killed backup left), so its durability
/// buys nothing, and waiting on the disk at each of its parts' commits made a
/// million-entry backup about 20 s slower.
#[derive(Debug)]
struct Unsynced(redb::backends::FileBackend);

impl Unsynced {
    /// A new, empty file at `path`.
    fn create(path: &Path) -> Result<Unsynced, Error> {
        Self::at(path, true)
    }

    /// The file at `path` as it is.
    fn open(path: &Path) -> Result<Unsynced, Error> {
        Self::at(path, false)
    }

    fn at(path: &Path, new: bool) -> Result<Unsynced, Error> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(new)
            .truncate(new)
            .open(path)
            .map_err(|e| Error::Db(redb::Error::Io(e)))?;
        Ok(Unsynced(redb::backends::FileBackend::new(file)?))
    }
}

impl redb::StorageBackend for Unsynced {
    fn len(&self) -> std::io::Result<u64> {
        self.0.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
        self.0.read(offset, out)
    }

    fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.0.set_len(len)
    }

    fn sync_data(&self) -> std::io::Result<()> {
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.0.write(offset, data)
    }

    fn close(&self) -> std::io::Result<()> {
        self.0.close()
    }

    fn try_lock_range(
        &self,
        start: std::ops::Bound<u64>,
        end: std::ops::Bound<u64>,
    ) -> Result<bool, redb::BackendError> {
        self.0.try_lock_range(start, end)
    }

    fn try_lock_shared_range(
        &self,
        start: std::ops::Bound<u64>,
        end: std::ops::Bound<u64>,
    ) -> Result<bool, redb::BackendError> {
        self.0.try_lock_shared_range(start, end)
    }

    fn lock_range(
        &self,
        start: std::ops::Bound<u64>,
        end: std::ops::Bound<u64>,
    ) -> Result<(), redb::BackendError> {
        self.0.lock_range(start, end)
    }

    fn lock_shared_range(
        &self,
        start: std::ops::Bound<u64>,
        end: std::ops::Bound<u64>,
    ) -> Result<(), redb::BackendError> {
        self.0.lock_shared_range(start, end)
    }

    fn unlock_range(
        &self,
        start: std::ops::Bound<u64>,
        end: std::ops::Bound<u64>,
    ) -> Result<(), redb::BackendError> {
        self.0.unlock_range(start, end)
    }

    fn query_lock_range(
        &self,
        start: std::ops::Bound<u64>,
        end: std::ops::Bound<u64>,
    ) -> Result<bool, redb::BackendError> {
        self.0.query_lock_range(start, end)
    }
}

/// Copies one table, row by row; a table the source never created copies as empty.
pub(crate) fn copy_table<K: Key + 'static, V: redb::Value + 'static>(
    src: &ReadTransaction,
    dst: &mut CopyInto,
    definition: TableDefinition<'static, K, V>,
) -> Result<u64, Error> {
    let from = match src.open_table(definition) {
        Ok(table) => table,
        Err(redb::TableError::TableDoesNotExist(_)) => {
            dst.tx()?.open_table(definition)?;
            return Ok(0);
        }
        Err(e) => return Err(e.into()),
    };
    let mut items = from.iter()?;
    let mut rows = 0;
    loop {
        let mut to = dst.tx()?.open_table(definition)?;
        let mut pending = dst.pending;
        for item in items.by_ref() {
            let (key, value) = item?;
            let (key, value) = (key.value(), value.value());
            pending += K::as_bytes(&key).as_ref().len() + V::as_bytes(&value).as_ref().len();
            to.insert(key, value)?;
            rows += 1;
            if pending >= dst.batch {
                break;
            }
        }
        drop(to);
        dst.pending = pending;
        if pending < dst.batch {
            return Ok(rows);
        }
        dst.next_part()?;
    }
}

/// What `Store::open` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// The database file did not exist before.
    Created,
    Existing,
}

impl Store {
    /// Opens (or creates) `data/trangtin.redb` and runs pending migrations.
    pub fn open(data: &Path) -> Result<(Store, Opened), Error> {
        contained(|| Store::open_with(data, true), |_| {})
    }

    /// The schema version of an existing database that migrations would change, if
    /// any (the caller backs it up first).
    pub fn pending_migration(data: &Path) -> Result<Option<u64>, Error> {
        contained(|| Store::pending_migration_unguarded(data), |_| {})
    }

    fn pending_migration_unguarded(data: &Path) -> Result<Option<u64>, Error> {
        let path = data.join("trangtin.redb");
        if !path.exists() {
            return Ok(None);
        }
        // Capped like every other open: a file a crash left unclosed is repaired here,
        // and with redb's default cache (1 GiB) the repair of a million-entry store
        // filled it, and the server then ran at 1 GB instead of 30 MB.
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .open(&path)?;
        let tx = db.begin_read()?;
        let found = match tx.open_table(META.definition()) {
            Ok(_) => META
                .get(&tx, "schema_version")?
                .and_then(|v| v.as_u64())
                .unwrap_or(0),
            Err(redb::TableError::TableDoesNotExist(_)) => 0,
            Err(e) => return Err(e.into()),
        };
        Ok((found > 0 && found < SCHEMA_VERSION).then_some(found))
    }

    /// Opens the store as it is, without migrating (for the backup taken before one).
    pub fn open_unmigrated(data: &Path) -> Result<Store, Error> {
        contained(|| Ok(Store::open_with(data, false)?.0), |_| {})
    }

    fn open_with(data: &Path, migrate: bool) -> Result<(Store, Opened), Error> {
        if !data.exists() {
            std::fs::create_dir_all(data)?;
            // Every account, key and upload lives here: the owner's alone.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(data, std::fs::Permissions::from_mode(0o700))?;
            }
        }
        let path = data.join("trangtin.redb");
        // A check's copy left by a process that was killed during it.
        let _ = std::fs::remove_file(data.join(".tmp-integrity-check.redb"));
        let opened = if path.exists() {
            Opened::Existing
        } else {
            Opened::Created
        };
        // redb caches up to 1 GiB by default; an office server shares its memory with
        // the OS page cache, which holds the file anyway.
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(&path)?;
        if migrate {
            migrate::run(&db)?;
        }
        let blobs = Blobs::open(&data.join("blobs"))?;
        Ok((
            Store {
                damage: Arc::default(),
                fault: Arc::default(),
                db: Arc::new(RwLock::new(Some(db))),
                blobs,
                data: data.to_path_buf(),
            },
            opened,
        ))
    }

    /// Copies every table, as of one read transaction, into a new database at `dest`
    /// and checks the copy's integrity. Writers carry on meanwhile: redb readers see a
    /// fixed snapshot and never block them. Returns the row counts and the blobs the
    /// copy refers to.
    pub fn snapshot(&self, dest: &Path) -> Result<Snapshot, Error> {
        contained(
            || self.snapshot_unguarded(dest),
            |why| self.note_damage(why),
        )
    }

    fn snapshot_unguarded(&self, dest: &Path) -> Result<Snapshot, Error> {
        let read = self
            .database()
            .as_ref()
            .ok_or(Error::Reopening)?
            .begin_read()?;
        let copy = Database::builder()
            .set_cache_size(CACHE_BYTES / 4)
            .create_with_backend(Unsynced::create(dest)?)?;
        let mut write = CopyInto::new(&copy)?;
        let tables = registry::copy_all(&read, &mut write)?;
        write.finish()?;
        // Checked through a new handle: after the copy's many commits, the check through
        // the one that wrote them took 20 s rather than 10 for a million entries.
        copy.close().map_err(|e| Error::Db(e.into()))?;
        let mut copy = Database::builder()
            .set_cache_size(CACHE_BYTES / 4)
            .create_with_backend(Unsynced::open(dest)?)?;
        if !copy.check_integrity().map_err(|e| Error::Db(e.into()))? {
            return Err(Error::Task(format!(
                "the copy at {} failed redb's integrity check",
                dest.display()
            )));
        }
        copy.close().map_err(|e| Error::Db(e.into()))?;
        let mut blobs = std::collections::BTreeSet::new();
        for meta in BLOBS.values(&read)? {
            blobs.extend(meta.variants.iter().map(|v| v.hash.clone()));
            blobs.insert(meta.hash);
        }
        let schema_version = schema_version(&read)?;
        Ok(Snapshot {
            tables,
            blobs: blobs.into_iter().collect(),
            schema_version,
        })
    }

    /// Why the storage engine last failed on a page, if it ever did since the store was
    /// opened: the file is damaged and wants `verify` and a restore.
    pub fn damage(&self) -> Option<String> {
        self.damage
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn note_damage(&self, why: &str) {
        *self.damage.lock().unwrap_or_else(PoisonError::into_inner) = Some(why.to_string());
    }

    /// Why writes are refused now, if they are: the file failed a write (a full disk)
    /// and has not been reopened since.
    pub fn write_fault(&self) -> Option<String> {
        self.fault
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Records an I/O failure of the file (once, with its first cause) and gives back
    /// the error callers see from now on.
    fn io_failed(&self, e: Error) -> Error {
        if !e.is_io() {
            return e;
        }
        let mut fault = self.fault.lock().unwrap_or_else(PoisonError::into_inner);
        let why = fault.get_or_insert_with(|| {
            tracing::error!(
                "the database file failed a write: {e}; refusing writes until it reopens"
            );
            e.to_string()
        });
        Error::Unwritable(why.clone())
    }

    fn database(&self) -> RwLockReadGuard<'_, Option<Database>> {
        self.db.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Closes the database file and opens it again, then examines it (redb's integrity
    /// check and a read of every table) before writes are taken again: the way back
    /// from a failed write, which leaves redb refusing everything until then. Call it
    /// once the cause (a full disk) is gone. On an error the store stays closed
    /// (`Error::Reopening`) and the fault stays, for the next attempt.
    pub fn reopen(&self) -> Result<Examination, Error> {
        contained(
            || {
                let mut slot = self.db.write().unwrap_or_else(PoisonError::into_inner);
                // The failed handle goes first: it holds the file's lock.
                drop(slot.take());
                let db = Database::builder()
                    .set_cache_size(CACHE_BYTES)
                    .open(self.data.join("trangtin.redb"))?;
                *slot = Some(db);
                Ok::<_, Error>(())
            },
            |why| self.note_damage(why),
        )?;
        // Writes stay refused (the fault stands) until the examination has passed.
        let examination = self.examine();
        if examination.is_sound() {
            *self.fault.lock().unwrap_or_else(PoisonError::into_inner) = None;
            tracing::info!(
                tables = examination.tables,
                rows = examination.rows,
                "the database file was reopened and verified; writes are taken again"
            );
        }
        Ok(examination)
    }

    /// redb's own integrity check (on a copy of the file, taken while no transaction
    /// runs, so every transaction waits for the copy: well under a second on an office
    /// site), then a read of every row of every table (each JSON value parsed) beside
    /// the other transactions. Problems are also what `damage` reports from then on.
    pub fn examine(&self) -> Examination {
        let file = self.data.join("trangtin.redb");
        let copy = self.data.join(".tmp-integrity-check.redb");
        let copied = {
            let _alone = self.db.write().unwrap_or_else(PoisonError::into_inner);
            std::fs::copy(&file, &copy)
        };
        let checked = match copied {
            Ok(_) => integrity_problems(&file, &copy),
            Err(e) => {
                let _ = std::fs::remove_file(&copy);
                let what = format!("cannot copy {} for redb's integrity check", file.display());
                Err(Unchecked::of_io(&what, &e))
            }
        };
        let (problems, unchecked) = match checked {
            Ok(problems) => (problems, None),
            Err(unchecked) => {
                tracing::warn!("database check: {}; the rows are still read", unchecked.why);
                (Vec::new(), Some(unchecked))
            }
        };
        Examination {
            unchecked,
            ..self.read_every_table(problems)
        }
    }

    fn read_every_table(&self, mut problems: Vec<String>) -> Examination {
        let mut examination = Examination::default();
        let readings = self.read_blocking(|tx| Ok::<_, Error>(registry::read_all(tx)));
        match readings {
            Ok(readings) => {
                for reading in readings {
                    examination.tables += 1;
                    match reading.rows {
                        Ok(rows) => examination.rows += rows,
                        Err(problem) => problems.push(problem),
                    }
                }
            }
            Err(e) => problems.push(format!("cannot begin a read: {e}")),
        }
        if !problems.is_empty() {
            for problem in &problems {
                tracing::error!("database check: {problem}");
            }
            self.note_damage(&problems.join("; "));
        }
        examination.problems = problems;
        examination
    }

    /// The data folder this store lives in.
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// Runs `f` in a read transaction on the blocking pool.
    pub async fn read<F, R, E>(&self, f: F) -> Result<R, E>
    where
        F: FnOnce(&ReadTransaction) -> Result<R, E> + Send + 'static,
        R: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.read_blocking(f))
            .await
            .map_err(|e| E::from(Error::Task(e.to_string())))?
    }

    /// Runs `f` in a write transaction on the blocking pool; commits only if `f` succeeds.
    pub async fn write<F, R, E>(&self, f: F) -> Result<R, E>
    where
        F: FnOnce(&WriteTransaction) -> Result<R, E> + Send + 'static,
        R: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        let store = self.clone();
        // Records the transaction writes to the audit trail name the request's address.
        let source = crate::audit::source::of_this_task();
        tokio::task::spawn_blocking(move || {
            crate::audit::source::acting_for(source, || store.write_blocking(f))
        })
        .await
        .map_err(|e| E::from(Error::Task(e.to_string())))?
    }

    /// Runs `f` in a read transaction. A panic inside the storage engine (a damaged
    /// page makes redb panic) is contained and becomes `Error::Damaged`, so one unreadable
    /// page is an error for its reader, not a crash.
    pub fn read_blocking<F, R, E>(&self, f: F) -> Result<R, E>
    where
        F: FnOnce(&ReadTransaction) -> Result<R, E>,
        E: From<Error>,
    {
        contained(
            || {
                let db = self.database();
                let db = db.as_ref().ok_or(Error::Reopening)?;
                let tx = db
                    .begin_read()
                    .map_err(|e| self.io_failed(Error::from(e)))?;
                f(&tx)
            },
            |why| self.note_damage(why),
        )
    }

    /// Runs `f` in a write transaction and commits it if `f` succeeds. After the file
    /// failed a write, this refuses at once (`Error::Unwritable`) until `reopen`.
    pub fn write_blocking<F, R, E>(&self, f: F) -> Result<R, E>
    where
        F: FnOnce(&WriteTransaction) -> Result<R, E>,
        E: From<Error>,
    {
        self.write_with(redb::Durability::Immediate, f)
    }

    /// As `write_blocking`, without waiting for the disk: the commit is atomic and seen
    /// at once, and reaches the disk with the next durable commit (anyone's). A crash
    /// before then loses it whole. For long runs that can redo what a crash lost (an
    /// import, whose id map says what is done), at a fraction of the cost.
    pub fn write_blocking_deferred<F, R, E>(&self, f: F) -> Result<R, E>
    where
        F: FnOnce(&WriteTransaction) -> Result<R, E>,
        E: From<Error>,
    {
        self.write_with(redb::Durability::None, f)
    }

    fn write_with<F, R, E>(&self, durability: redb::Durability, f: F) -> Result<R, E>
    where
        F: FnOnce(&WriteTransaction) -> Result<R, E>,
        E: From<Error>,
    {
        if let Some(why) = self.write_fault() {
            return Err(E::from(Error::Unwritable(why)));
        }
        contained(
            || {
                let db = self.database();
                let db = db.as_ref().ok_or(Error::Reopening)?;
                let mut tx = db
                    .begin_write()
                    .map_err(|e| self.io_failed(Error::from(e)))?;
                tx.set_durability(durability)
                    .map_err(|e| Error::Task(e.to_string()))?;
                // Dropping an uncommitted transaction aborts it: an error leaves
                // nothing behind.
                match f(&tx) {
                    Ok(out) => {
                        tx.commit().map_err(|e| self.io_failed(Error::from(e)))?;
                        Ok(out)
                    }
                    Err(e) => {
                        drop(tx);
                        // `f`'s error may hide an I/O failure (a table that could not
                        // grow): redb then refuses the next transaction too.
                        if let Err(probe) = db.begin_write() {
                            self.io_failed(Error::from(probe));
                        }
                        Err(e)
                    }
                }
            },
            |why| self.note_damage(why),
        )
    }
}

/// What was decoded from the last few distinct stored values of a small table that
/// every page reads (the sections, the site's settings): decoded again only when the
/// bytes differ. Keyed by the bytes themselves, so it needs no invalidation and is
/// right for every store in the process (each site of a multi-site server has its own
/// bytes). Parsing them took about a sixth of an uncached article's time.
pub struct Decoded<K, T> {
    kept: Mutex<Vec<(K, Arc<T>)>>,
}

/// Distinct values kept: one per site on most servers.
const DECODED_KEPT: usize = 8;

impl<K: PartialEq, T> Default for Decoded<K, T> {
    fn default() -> Self {
        Decoded::new()
    }
}

impl<K: PartialEq, T> Decoded<K, T> {
    pub const fn new() -> Decoded<K, T> {
        Decoded {
            kept: Mutex::new(Vec::new()),
        }
    }

    /// The value decoded from `bytes`, by `decode` unless kept.
    pub fn get<E>(&self, bytes: K, decode: impl FnOnce(&K) -> Result<T, E>) -> Result<Arc<T>, E> {
        let lock = || self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, value)) = lock().iter().find(|(kept, _)| *kept == bytes) {
            return Ok(value.clone());
        }
        let value = Arc::new(decode(&bytes)?);
        let mut kept = lock();
        kept.retain(|(k, _)| *k != bytes);
        kept.insert(0, (bytes, value.clone()));
        kept.truncate(DECODED_KEPT);
        Ok(value)
    }
}

/// redb's own integrity check, run on a copy of `file` at `copy` (then removed). The
/// check repairs what it finds (and a panic half way through a repair leaves a file
/// every later open tries to repair again), so it never touches the real file. Gives
/// the problems it found, or why it could not run: the copy's own I/O failing, as on a
/// full disk, is not damage.
fn integrity_problems(file: &Path, copy: &Path) -> Result<Vec<String>, Unchecked> {
    let checked = std::panic::catch_unwind(|| -> Result<bool, redb::Error> {
        let mut db = Database::builder()
            .set_cache_size(CACHE_BYTES / 4)
            .create(copy)?;
        Ok(db.check_integrity()?)
    });
    let _ = std::fs::remove_file(copy);
    match checked {
        Ok(Ok(true)) => Ok(Vec::new()),
        Ok(Ok(false)) => Ok(vec![format!(
            "redb's integrity check found damage in {} (it would repair it to its last good \
             commit); compare it with the last backup",
            file.display()
        )]),
        Ok(Err(redb::Error::Io(e))) => Err(Unchecked::of_io(
            &format!("redb's integrity check of a copy of {}", file.display()),
            &e,
        )),
        Ok(Err(e)) => Ok(vec![format!("redb's integrity check failed: {e}")]),
        Err(panic) => Ok(vec![format!(
            "redb's integrity check gave up: {}",
            panic_message(&*panic)
        )]),
    }
}

/// The text of a caught panic.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(ToString::to_string)
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "the storage engine panicked".to_string())
}

/// A transaction that can read: both kinds of redb transaction qualify, so a domain
/// function that only reads works inside a write as well.
pub trait Tx {
    fn reader(&self) -> Reader<'_>;
}

pub enum Reader<'a> {
    Read(&'a ReadTransaction),
    Write(&'a WriteTransaction),
}

impl Tx for ReadTransaction {
    fn reader(&self) -> Reader<'_> {
        Reader::Read(self)
    }
}

impl Tx for WriteTransaction {
    fn reader(&self) -> Reader<'_> {
        Reader::Write(self)
    }
}

/// A table of JSON-encoded values of type `V`, keyed by `K`.
pub struct Table<K: Key + 'static, V> {
    name: &'static str,
    _types: PhantomData<fn() -> (K, V)>,
}

impl<K: Key + 'static, V> Table<K, V> {
    pub const fn new(name: &'static str) -> Self {
        Table {
            name,
            _types: PhantomData,
        }
    }

    pub fn definition(&self) -> TableDefinition<'static, K, &'static [u8]> {
        TableDefinition::new(self.name)
    }

    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl<K: Key + 'static, V: Serialize + DeserializeOwned> Table<K, V> {
    pub fn get<'k>(
        &self,
        tx: &impl Tx,
        key: impl Borrow<K::SelfType<'k>>,
    ) -> Result<Option<V>, Error> {
        let bytes = match tx.reader() {
            Reader::Read(t) => get_bytes(&t.open_table(self.definition())?, key)?,
            Reader::Write(t) => get_bytes(&t.open_table(self.definition())?, key)?,
        };
        bytes.map(|b| self.decode(&b)).transpose()
    }

    /// Every value in key order. For small tables (categories, settings).
    pub fn values(&self, tx: &impl Tx) -> Result<Vec<V>, Error> {
        self.raw_values(tx)?
            .iter()
            .map(|b| self.decode(b))
            .collect()
    }

    /// Every value's stored bytes, in key order (for `Decoded`).
    pub fn raw_values(&self, tx: &impl Tx) -> Result<Vec<Vec<u8>>, Error> {
        match tx.reader() {
            Reader::Read(t) => all_bytes(&t.open_table(self.definition())?),
            Reader::Write(t) => all_bytes(&t.open_table(self.definition())?),
        }
    }

    /// The stored bytes under `key` (for `Decoded`).
    pub fn raw_get<'k>(
        &self,
        tx: &impl Tx,
        key: impl Borrow<K::SelfType<'k>>,
    ) -> Result<Option<Vec<u8>>, Error> {
        match tx.reader() {
            Reader::Read(t) => get_bytes(&t.open_table(self.definition())?, key),
            Reader::Write(t) => get_bytes(&t.open_table(self.definition())?, key),
        }
    }

    /// `bytes` as a `V`.
    pub fn decode_bytes(&self, bytes: &[u8]) -> Result<V, Error> {
        self.decode(bytes)
    }

    /// The values whose keys fall in `range`, in key order.
    pub fn range_values<'a, KR>(
        &self,
        tx: &impl Tx,
        range: impl std::ops::RangeBounds<KR> + Clone + 'a,
    ) -> Result<Vec<V>, Error>
    where
        KR: Borrow<K::SelfType<'a>> + 'a,
    {
        fn scan<'a, K: Key + 'static, KR: Borrow<K::SelfType<'a>> + 'a>(
            table: &impl ReadableTable<K, &'static [u8]>,
            range: impl std::ops::RangeBounds<KR> + 'a,
        ) -> Result<Vec<Vec<u8>>, Error> {
            let mut out = Vec::new();
            for item in table.range(range)? {
                let (_, value) = item?;
                out.push(value.value().to_vec());
            }
            Ok(out)
        }
        let raw = match tx.reader() {
            Reader::Read(t) => scan(&t.open_table(self.definition())?, range)?,
            Reader::Write(t) => scan(&t.open_table(self.definition())?, range)?,
        };
        raw.iter().map(|b| self.decode(b)).collect()
    }

    /// Visits the values whose keys fall in `range`, oldest key first or (with
    /// `newest_first`) last, one at a time, until `visit` returns false: for tables too
    /// long to hold in memory (the audit trail).
    pub fn scan<'a, KR>(
        &self,
        tx: &impl Tx,
        range: impl std::ops::RangeBounds<KR> + Clone + 'a,
        newest_first: bool,
        mut visit: impl FnMut(V) -> bool,
    ) -> Result<(), Error>
    where
        KR: Borrow<K::SelfType<'a>> + 'a,
    {
        self.scan_stored(tx, range, newest_first, |bytes| {
            Ok(visit(self.decode(bytes)?))
        })
    }

    /// As `scan`, handing `visit` each value's stored bytes, to read in place without
    /// copying them (a sitemap part's two thousand rows); an error from `visit` stops
    /// the scan and is returned.
    pub fn scan_stored<'a, KR>(
        &self,
        tx: &impl Tx,
        range: impl std::ops::RangeBounds<KR> + Clone + 'a,
        newest_first: bool,
        mut visit: impl FnMut(&[u8]) -> Result<bool, Error>,
    ) -> Result<(), Error>
    where
        KR: Borrow<K::SelfType<'a>> + 'a,
    {
        fn walk<'a, K: Key + 'static, KR: Borrow<K::SelfType<'a>> + 'a>(
            table: &impl ReadableTable<K, &'static [u8]>,
            range: impl std::ops::RangeBounds<KR> + 'a,
            newest_first: bool,
            visit: &mut dyn FnMut(&[u8]) -> Result<bool, Error>,
        ) -> Result<(), Error> {
            let range = table.range(range)?;
            let items: Box<dyn Iterator<Item = _>> = if newest_first {
                Box::new(range.rev())
            } else {
                Box::new(range)
            };
            for item in items {
                let (_, value) = item?;
                if !visit(value.value())? {
                    break;
                }
            }
            Ok(())
        }
        match tx.reader() {
            Reader::Read(t) => walk(
                &t.open_table(self.definition())?,
                range,
                newest_first,
                &mut visit,
            ),
            Reader::Write(t) => walk(
                &t.open_table(self.definition())?,
                range,
                newest_first,
                &mut visit,
            ),
        }
    }

    /// As `scan`, with a visitor that can fail: the first error stops the scan and is
    /// returned.
    pub fn try_scan<'a, KR, E: From<Error>>(
        &self,
        tx: &impl Tx,
        range: impl std::ops::RangeBounds<KR> + Clone + 'a,
        mut visit: impl FnMut(V) -> Result<bool, E>,
    ) -> Result<(), E>
    where
        KR: Borrow<K::SelfType<'a>> + 'a,
    {
        let mut failed = None;
        self.scan(tx, range, false, |value| match visit(value) {
            Ok(go_on) => go_on,
            Err(e) => {
                failed = Some(e);
                false
            }
        })?;
        failed.map_or(Ok(()), Err)
    }

    pub fn insert<'k>(
        &self,
        tx: &WriteTransaction,
        key: impl Borrow<K::SelfType<'k>>,
        value: &V,
    ) -> Result<(), Error> {
        let bytes = serde_json::to_vec(value).map_err(|e| Error::Decode {
            table: self.name,
            message: e.to_string(),
        })?;
        tx.open_table(self.definition())?
            .insert(key, bytes.as_slice())?;
        Ok(())
    }

    /// The value with the greatest key, if any (the newest of a table keyed by time or
    /// sequence), without reading the rest.
    pub fn last(&self, tx: &impl Tx) -> Result<Option<V>, Error> {
        fn last_bytes<K: Key + 'static>(
            table: &impl ReadableTable<K, &'static [u8]>,
        ) -> Result<Option<Vec<u8>>, Error> {
            Ok(table.last()?.map(|(_, v)| v.value().to_vec()))
        }
        let bytes = match tx.reader() {
            Reader::Read(t) => last_bytes(&t.open_table(self.definition())?)?,
            Reader::Write(t) => last_bytes(&t.open_table(self.definition())?)?,
        };
        bytes.map(|b| self.decode(&b)).transpose()
    }

    /// Removes `key`; returns the value it held.
    pub fn remove<'k>(
        &self,
        tx: &WriteTransaction,
        key: impl Borrow<K::SelfType<'k>>,
    ) -> Result<Option<V>, Error> {
        let bytes = tx
            .open_table(self.definition())?
            .remove(key)?
            .map(|guard| guard.value().to_vec());
        bytes.map(|b| self.decode(&b)).transpose()
    }

    /// Removes `key` whatever it holds, a value that no longer decodes too; returns
    /// whether it was there. For rows made from others, which are made again.
    pub fn delete<'k>(
        &self,
        tx: &WriteTransaction,
        key: impl Borrow<K::SelfType<'k>>,
    ) -> Result<bool, Error> {
        Ok(tx.open_table(self.definition())?.remove(key)?.is_some())
    }

    fn decode(&self, bytes: &[u8]) -> Result<V, Error> {
        serde_json::from_slice(bytes).map_err(|e| Error::Decode {
            table: self.name,
            message: e.to_string(),
        })
    }
}

impl<V: Serialize + DeserializeOwned> Table<&'static str, V> {
    /// Every key and value in key order. For small tables (sessions).
    pub fn entries(&self, tx: &impl Tx) -> Result<Vec<(String, V)>, Error> {
        fn scan(
            table: &impl ReadableTable<&'static str, &'static [u8]>,
        ) -> Result<Vec<(String, Vec<u8>)>, Error> {
            let mut out = Vec::new();
            for item in table.iter()? {
                let (key, value) = item?;
                out.push((key.value().to_string(), value.value().to_vec()));
            }
            Ok(out)
        }
        let raw = match tx.reader() {
            Reader::Read(t) => scan(&t.open_table(self.definition())?)?,
            Reader::Write(t) => scan(&t.open_table(self.definition())?)?,
        };
        raw.into_iter()
            .map(|(k, b)| Ok((k, self.decode(&b)?)))
            .collect()
    }
}

fn get_bytes<'k, K: Key + 'static>(
    table: &impl ReadableTable<K, &'static [u8]>,
    key: impl Borrow<K::SelfType<'k>>,
) -> Result<Option<Vec<u8>>, Error> {
    Ok(table.get(key)?.map(|guard| guard.value().to_vec()))
}

fn all_bytes<K: Key + 'static>(
    table: &impl ReadableTable<K, &'static [u8]>,
) -> Result<Vec<Vec<u8>>, Error> {
    let mut out = Vec::new();
    for item in table.iter()? {
        let (_, value) = item?;
        out.push(value.value().to_vec());
    }
    Ok(out)
}

/// The value stored under `key` in the `meta` table, as a `T`. A value that is there
/// but does not decode is an error naming the key, never "absent": a damaged row must
/// not read as "nothing held", "no anchor" or "no draft".
pub fn meta_get<T: DeserializeOwned>(tx: &impl Tx, key: &str) -> Result<Option<T>, Error> {
    META.get(tx, key)?
        .map(|value| {
            serde_json::from_value(value).map_err(|e| Error::Decode {
                table: META.name(),
                message: format!("key {key}: {e}"),
            })
        })
        .transpose()
}

/// Stores `value` under `key` in the `meta` table.
pub fn meta_put<T: Serialize>(tx: &WriteTransaction, key: &str, value: &T) -> Result<(), Error> {
    let value = serde_json::to_value(value).map_err(|e| Error::Decode {
        table: META.name(),
        message: format!("key {key}: {e}"),
    })?;
    META.insert(tx, key, &value)
}

/// The schema version recorded in the database (0 for a new one).
pub fn schema_version(tx: &impl Tx) -> Result<u64, Error> {
    Ok(META
        .get(tx, "schema_version")?
        .and_then(|v| v.as_u64())
        .unwrap_or(0))
}

/// Whether a first start already filled this data folder.
pub fn is_seeded(tx: &impl Tx) -> Result<bool, Error> {
    Ok(META.get(tx, "seeded")?.is_some())
}

pub fn mark_seeded(tx: &WriteTransaction) -> Result<(), Error> {
    META.insert(tx, "seeded", &serde_json::json!(true))
}

/// Takes the next value of a named counter (ids start at 1).
pub fn next_id(tx: &WriteTransaction, counter: &str) -> Result<u64, Error> {
    let mut table = tx.open_table(COUNTERS)?;
    let next = table.get(counter)?.map_or(0, |g| g.value()) + 1;
    table.insert(counter, next)?;
    Ok(next)
}

/// Looks up a plain (non-JSON) table value; the index tables use these.
pub fn get_plain<'k, K: Key + 'static, V: redb::Value + 'static, T>(
    tx: &impl Tx,
    def: TableDefinition<'static, K, V>,
    key: impl Borrow<K::SelfType<'k>>,
    map: impl Fn(V::SelfType<'_>) -> T,
) -> Result<Option<T>, Error> {
    Ok(match tx.reader() {
        Reader::Read(t) => t.open_table(def)?.get(key)?.map(|g| map(g.value())),
        Reader::Write(t) => t.open_table(def)?.get(key)?.map(|g| map(g.value())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_decoded_once_per_distinct_bytes() {
        let decoded: Decoded<Vec<u8>, String> = Decoded::new();
        let calls = std::cell::Cell::new(0);
        let decode = |bytes: &Vec<u8>| -> Result<String, Error> {
            calls.set(calls.get() + 1);
            String::from_utf8(bytes.clone()).map_err(|e| Error::Task(e.to_string()))
        };
        let first = decoded.get("Sở A".as_bytes().to_vec(), decode).unwrap();
        assert_eq!(*first, "Sở A");
        assert_eq!(
            *decoded.get("Sở A".as_bytes().to_vec(), decode).unwrap(),
            "Sở A"
        );
        assert_eq!(calls.get(), 1);
        // Other bytes (a change, or another site's store): decoded, and both kept.
        assert_eq!(
            *decoded.get("Sở B".as_bytes().to_vec(), decode).unwrap(),
            "Sở B"
        );
        assert_eq!(
            *decoded.get("Sở A".as_bytes().to_vec(), decode).unwrap(),
            "Sở A"
        );
        assert_eq!(calls.get(), 2);
        // A failure is not kept: the next read tries again.
        assert!(decoded.get(vec![0xff], decode).is_err());
        assert!(decoded.get(vec![0xff], decode).is_err());
        assert_eq!(calls.get(), 4);
        // At most `DECODED_KEPT` values are kept, the least recent going first.
        for n in 0..DECODED_KEPT {
            decoded.get(format!("{n}").into_bytes(), decode).unwrap();
        }
        decoded.get("Sở B".as_bytes().to_vec(), decode).unwrap();
        assert_eq!(calls.get(), 4 + DECODED_KEPT + 1);
    }

    #[test]
    fn a_copy_commits_in_parts_and_keeps_every_row() {
        use redb::ReadableTableMetadata as _;
        let dir = tempfile::tempdir().unwrap();
        let rows = TableDefinition::<u64, &[u8]>::new("rows");
        let empty = TableDefinition::<&str, u64>::new("empty");
        let never = TableDefinition::<&str, u64>::new("never_created");
        let source = Database::create(dir.path().join("source.redb")).unwrap();
        let write = source.begin_write().unwrap();
        {
            let mut table = write.open_table(rows).unwrap();
            for n in 0..500u64 {
                table.insert(n, vec![n as u8; 1_000].as_slice()).unwrap();
            }
            write.open_table(empty).unwrap();
        }
        write.commit().unwrap();
        let copy = Database::create(dir.path().join("copy.redb")).unwrap();
        let read = source.begin_read().unwrap();
        // Parts of about 50 KB: 500 rows of a kilobyte make ten of them.
        let mut into = CopyInto::in_parts_of(&copy, 50_000).unwrap();
        assert_eq!(copy_table(&read, &mut into, rows).unwrap(), 500);
        assert_eq!(copy_table(&read, &mut into, empty).unwrap(), 0);
        assert_eq!(copy_table(&read, &mut into, never).unwrap(), 0);
        let commits = into.finish().unwrap();
        assert!((10..=11).contains(&commits), "{commits} commits");
        let check = copy.begin_read().unwrap();
        let copied = check.open_table(rows).unwrap();
        assert_eq!(copied.len().unwrap(), 500);
        for n in [0u64, 49, 50, 51, 250, 499] {
            assert_eq!(
                copied.get(n).unwrap().unwrap().value(),
                vec![n as u8; 1_000]
            );
        }
        assert_eq!(check.open_table(empty).unwrap().len().unwrap(), 0);
        assert_eq!(check.open_table(never).unwrap().len().unwrap(), 0);
    }

    #[test]
    fn a_panic_in_a_transaction_is_an_error_and_marks_the_store_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        assert_eq!(store.damage(), None);
        let read: Result<(), Error> = store.read_blocking(|_| panic!("unreachable page"));
        assert!(matches!(read, Err(Error::Damaged(m)) if m == "unreachable page"));
        assert_eq!(store.damage().as_deref(), Some("unreachable page"));
        // The store still answers what it can.
        assert!(store.read_blocking(schema_version).is_ok());
    }

    /// redb's header says whether the next open must repair the file (walking every
    /// page, and failing on a damaged one): a store that closed normally says no.
    #[test]
    fn a_closed_store_leaves_a_file_that_needs_no_repair() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        store
            .write_blocking(|tx| META.insert(tx, "probe", &serde_json::json!(1)))
            .unwrap();
        drop(store);
        let header = std::fs::read(dir.path().join("trangtin.redb")).unwrap();
        const RECOVERY_REQUIRED: u8 = 2;
        assert_eq!(
            header[9] & RECOVERY_REQUIRED,
            0,
            "god byte {:#b}",
            header[9]
        );
    }

    #[test]
    fn a_failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (store, opened) = Store::open(dir.path()).unwrap();
        assert_eq!(opened, Opened::Created);
        let result: Result<(), Error> = store.write_blocking(|tx| {
            META.insert(tx, "probe", &serde_json::json!(1))?;
            Err(Error::Task("simulated failure".into()))
        });
        assert!(result.is_err());
        let probe = store.read_blocking(|tx| META.get(tx, "probe")).unwrap();
        assert_eq!(probe, None);
    }

    #[test]
    fn a_second_open_of_the_same_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (_store, _) = Store::open(dir.path()).unwrap();
        match Store::open(dir.path()) {
            Err(Error::Locked(_)) => {}
            Err(other) => panic!("expected Locked, got {other}"),
            Ok(_) => panic!("expected Locked, got a second store"),
        }
    }
}
