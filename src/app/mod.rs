//! `App`: everything a request needs (config, store, renderer, assets, page cache,
//! clock), built once at start-up and passed to every handler. No globals, so two
//! servers with different configs can live in one process.

mod login;
mod search_repair;

use std::sync::Arc;

use jiff::Timestamp;

use crate::auth::bootstrap;
use crate::config::Config;
use crate::content::{self, Entry, EntryId};
use crate::http::assets::StaticAssets;
use crate::http::cache::PageCache;
use crate::http::frame::RequestIds;
use crate::render::Renderer;
use crate::site::SiteSettings;
use crate::store::{self, Store};
use crate::{demo, site};

pub use login::{CodeAttempt, Outcome as LoginOutcome, PasswordAttempt};
pub use search_repair::SearchRepair;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("cannot seed the demo content: {0}")]
    Demo(String),
    #[error("cannot seed the default sections: {0}")]
    Content(#[from] crate::content::Error),
    #[error("templates: {0}")]
    Render(#[from] crate::render::Error),
    #[error("accounts: {0}")]
    Auth(#[from] crate::auth::Error),
    #[error(transparent)]
    Search(#[from] crate::search::Error),
    #[error(transparent)]
    SecretKey(#[from] crate::auth::sealing::Error),
    #[error(transparent)]
    Random(#[from] crate::random::Error),
    #[error("the backup before migrating failed, so the store was not migrated: {0}")]
    Backup(#[from] crate::backup::Error),
}

/// The time source. Tests and the scheduler share it, so time can be moved forward.
#[derive(Clone, Default)]
pub struct Clock {
    offset: Arc<std::sync::atomic::AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        let offset = self.offset.load(std::sync::atomic::Ordering::Relaxed);
        let now = Timestamp::now();
        now.checked_add(jiff::SignedDuration::from_secs(offset))
            .unwrap_or(now)
    }

    /// Moves this clock forward (tests of scheduled publishing).
    pub fn advance(&self, seconds: i64) {
        self.offset
            .fetch_add(seconds, std::sync::atomic::Ordering::Relaxed);
    }
}

pub struct App {
    pub config: Config,
    pub store: Store,
    pub renderer: Renderer,
    pub assets: Arc<StaticAssets>,
    pub cache: Arc<PageCache>,
    pub search: Arc<crate::search::Search>,
    /// Rebuilds the search index when its files turn out damaged.
    pub search_repair: Arc<SearchRepair>,
    pub clock: Clock,
    pub request_ids: RequestIds,
    /// Bounds concurrent argon2 hashes (each takes ~19 MiB and tens of milliseconds).
    pub hashing: Arc<tokio::sync::Semaphore>,
    /// Bounds concurrent page renders (cache misses), one per core.
    pub rendering: tokio::sync::Semaphore,
    /// Failed logins per remote address, for throttling across accounts.
    pub address_failures: crate::auth::throttle::AddressLimit,
    /// Seals second-factor secrets; read from `data/secret.key`.
    pub secret_key: Arc<crate::auth::sealing::SecretKey>,
    /// Set while a backup is being written, so only one runs at a time.
    pub backup_running: Arc<std::sync::atomic::AtomicBool>,
    /// An import is running: a second waits its turn (they would race for the same
    /// id map and addresses).
    pub import_running: Arc<std::sync::atomic::AtomicBool>,
    /// Set while the integrity check runs.
    pub integrity_running: Arc<std::sync::atomic::AtomicBool>,
    /// Request counts and latencies for `/metrics`.
    pub metrics: crate::http::metrics::Metrics,
    /// Why the certificate could not be renewed or reloaded, while that is so.
    pub tls_problem: std::sync::Mutex<Option<String>>,
    /// Warnings a flood can repeat, summarised per kind (`logs::Summarised`).
    pub warnings: crate::logs::Summarised,
    /// Honeypot, rate limit and challenge of the citizens' forms.
    pub form_guard: crate::citizen::spam::Guard,
    /// Visitors online, today and in total, counted without cookies.
    pub visits: crate::stats::Stats,
    /// Wakes the mail sender when a message is written to the outbox.
    pub mail_wake: Arc<tokio::sync::Notify>,
    /// See `origin()`.
    origin: String,
    /// The admin menu's counts per person, briefly kept: gathering every kind of waiting
    /// work reads several tables, and a person opens many pages a minute.
    pub menu_counts: crate::inbox::CountsCache,
    /// The request log (`data/logs/`), written off the request path.
    pub access_log: crate::http::access_log::AccessLog,
    /// Pages to render anew right after a publication (the server renders them).
    pub warm: Arc<crate::http::cache::Warm>,
    /// Turns for scheduled heavy work (the daily backup, the daily integrity check).
    /// Each app has its own; the sites of one process share them, so of fifty sites due
    /// at 02:00 one backs up and the others try again at their next minute, instead of
    /// reading fifty databases and hashing fifty folders of files at once. Work a
    /// person asks for runs at once.
    pub scheduled_work: crate::ops::jobs::Turns,
    /// Set while the site is archived (read-only); `site archive` changes it live.
    archive: std::sync::RwLock<Option<Arc<crate::config::Archive>>>,
}

/// An entry's kind, section and address, for what a change to it invalidates.
fn change_facts(
    tx: &redb::ReadTransaction,
    id: EntryId,
) -> Result<Option<(content::Kind, Option<String>, String)>, store::Error> {
    Ok(content::tables::ENTRIES
        .get(tx, id.0)?
        .map(|e| (e.kind, e.category.clone(), e.kind.url(&e.slug))))
}

/// Why `App::back_up_now` did not make an archive.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("a backup is already running")]
    Running,
    #[error(transparent)]
    Failed(#[from] crate::backup::Error),
}

/// Why `App::check_integrity` did not produce a report.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("an integrity check is already running")]
    Running,
    #[error(transparent)]
    Store(#[from] store::Error),
}

impl App {
    /// The public origin (`https://host`): `base_url`, or (the demo, a first start)
    /// the first configured host on the HTTPS port. Canonical links, feeds and the
    /// sitemap are absolute; they never guess from a request's Host.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The archive setting, while the site is archived. Every request asks (the
    /// archive guard), so it is a shared copy, not a clone of its lists.
    pub fn archive(&self) -> Option<Arc<crate::config::Archive>> {
        self.archive
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Archives the site (or, with `None`, opens it again) from now on: the notice on
    /// every page, closed forms, administrators-only sign-in. Every cached page goes,
    /// since each shows the notice or not.
    pub fn set_archive(&self, archive: Option<crate::config::Archive>) {
        self.renderer
            .set_banner(archive.as_ref().map(|a| crate::render::ArchiveBanner {
                since: a.since.strftime("%d/%m/%Y").to_string(),
                successor: a.successor.clone(),
            }));
        *self
            .archive
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = archive.map(Arc::new);
        self.cache.clear();
    }

    /// Opens the data folder (creating and seeding it when new) and builds the app.
    pub fn open(config: Config) -> Result<App, Error> {
        // Only a failed backup is "the backup before migrating"; a locked or damaged
        // store says so itself.
        let store = crate::backup::open_store(&config.data, &config.backup.dir(&config.data))
            .map_err(|e| match e {
                crate::backup::Error::Store(e) => Error::Store(e),
                e => Error::Backup(e),
            })?;
        let secret_key = Arc::new(crate::auth::sealing::SecretKey::load_or_create(
            &config.data,
        )?);
        let clock = Clock::default();
        if !store.read_blocking(store::is_seeded)? {
            let demo_accounts = seed(&store, &config, clock.now())?;
            bootstrap::print(&demo_accounts, false, &config.name);
        }
        let now = clock.now();
        let admin = store.write_blocking(|tx| bootstrap::ensure_admin(tx, now))?;
        if let Some(admin) = admin {
            tracing::info!("created the admin account; its one-time password is on the console");
            bootstrap::print(&[admin], true, &config.name);
        }
        let assets = StaticAssets::shared();
        let renderer = Renderer::new(assets.clone())?;
        let cache = Arc::new(PageCache::new(config.cache_max_bytes));
        cache.start_upgrades();
        // The index is derived: rebuilt when missing or of an older format, before
        // serving on a small site, in the background on a large one.
        let (search, fresh) = crate::search::Search::open(&config.data.join("search"))?;
        let search = Arc::new(search);
        let search_repair = Arc::new(SearchRepair::new(search.clone(), store.clone()));
        if fresh {
            let entries = store.read_blocking(crate::content::listed_count)?;
            // Built here if a thread for it could not start.
            if entries <= config.limits.search_index_at_start || !search_repair.build_new(entries) {
                let count = search.rebuild(&store)?;
                tracing::info!(entries = count, "built the search index");
            }
        }
        let site: SiteSettings = store.read_blocking(site::load)?;
        let missing = site.missing_required();
        if !missing.is_empty() {
            tracing::warn!(
                fields = missing.join(", "),
                "site settings lack facts the law requires in the header and footer"
            );
        }
        let visits = crate::stats::Stats::new(store.read_blocking(crate::stats::load)?);
        let form_guard = crate::citizen::spam::Guard::new(
            config.forms.per_address_per_hour,
            config.forms.min_fill,
        )?;
        let config_origin = config.new_origin();
        let config_logs = config.data.join(crate::http::access_log::FOLDER);
        Ok(App {
            config,
            store,
            renderer,
            assets,
            cache,
            search_repair,
            search,
            clock,
            request_ids: RequestIds::new()?,
            hashing: Arc::new(tokio::sync::Semaphore::new(2)),
            rendering: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            ),
            address_failures: Default::default(),
            secret_key,
            backup_running: Default::default(),
            import_running: Default::default(),
            integrity_running: Default::default(),
            metrics: Default::default(),
            tls_problem: Default::default(),
            warnings: Default::default(),
            form_guard,
            visits,
            mail_wake: Arc::default(),
            origin: config_origin,
            menu_counts: crate::inbox::CountsCache::default(),
            access_log: crate::http::access_log::AccessLog::start(config_logs),
            warm: Arc::default(),
            archive: std::sync::RwLock::new(None),
            scheduled_work: crate::ops::jobs::Turns::default(),
        })
        .inspect(|app| app.set_archive(app.config.archive.clone()))
    }
}

impl App {
    /// Tells the administrators by mail (through the outbox) that something needs a
    /// person; a failure to queue the message is logged, never raised.
    pub async fn alert_administrators(&self, subject: &'static str, what: String) {
        let (now, origin) = (self.clock.now(), self.config.new_origin());
        let queued = self
            .store
            .write(move |tx| {
                crate::mail::notify::alert_administrators(tx, subject, &what, now, &origin)
            })
            .await;
        match queued {
            Ok(_) => self.mail_wake.notify_one(),
            Err(e) => tracing::error!("could not queue the administrators' alert: {e}"),
        }
    }

    /// Today's date in Vietnam (delegations and schedules count in local days).
    pub fn today(&self) -> jiff::civil::Date {
        self.clock
            .now()
            .to_zoned_datetime(crate::format::vietnam())
            .date()
    }

    /// Runs argon2 work on the blocking pool, a few at a time.
    async fn hashing<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, crate::auth::Error> {
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|e| crate::auth::Error::Hash(e.to_string()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| crate::auth::Error::Hash(e.to_string()))
    }

    /// Checks a password against a stored hash.
    pub async fn verify_password(
        &self,
        password: String,
        hash: String,
    ) -> Result<bool, crate::auth::Error> {
        self.hashing(move || crate::auth::password::verify(&password, &hash))
            .await
    }

    /// Whether `password` is the current or a remembered earlier password of `user`.
    pub async fn password_reused(
        &self,
        password: String,
        user: &crate::auth::User,
    ) -> Result<bool, crate::auth::Error> {
        let (current, previous) = (user.password_hash.clone(), user.previous_hashes.clone());
        self.hashing(move || crate::auth::password::reused(&password, &current, &previous))
            .await
    }

    pub async fn hash_password(&self, password: String) -> Result<String, crate::auth::Error> {
        self.hashing(move || crate::auth::password::hash(&password))
            .await?
            .map_err(crate::auth::Error::Hash)
    }

    /// Takes a backup now (the admin page's button): encrypted like the daily archives
    /// when a passphrase is configured, and verified before it returns.
    pub async fn back_up_now(&self, by: &str) -> Result<crate::backup::Status, BackupError> {
        let guard =
            crate::ops::jobs::Exclusive::take(&self.backup_running).ok_or(BackupError::Running)?;
        let (store, dir, by, now) = (
            self.store.clone(),
            self.config.backup.dir(&self.config.data),
            by.to_string(),
            self.clock.now(),
        );
        let passphrase_file = self.config.backup.passphrase_file.clone();
        let source = crate::audit::source::of_this_task();
        crate::background::run("backup", move || {
            // Held until the backup ends, even if the caller goes away.
            let _guard = guard;
            let options = crate::backup::Options {
                passphrase: crate::backup::schedule::passphrase(passphrase_file.as_deref())?,
            };
            crate::audit::source::acting_for(source, || {
                crate::backup::take(&store, &dir, &options, &by, now)
            })
        })
        .await
        .map_err(|e| {
            BackupError::Failed(crate::backup::Error::from(store::Error::Task(
                e.to_string(),
            )))
        })?
        .map_err(BackupError::Failed)
    }

    /// Runs the integrity check, then drops cached pages if it held back or released
    /// an entry, so citizens see the change at once.
    pub async fn check_integrity(&self, by: &str) -> Result<crate::integrity::Report, CheckError> {
        let guard = crate::ops::jobs::Exclusive::take(&self.integrity_running)
            .ok_or(CheckError::Running)?;
        let (store, policy, by, now) = (
            self.store.clone(),
            self.config.integrity.on_mismatch,
            by.to_string(),
            self.clock.now(),
        );
        let source = crate::audit::source::of_this_task();
        // At the server's priority until the database file is copied under the store's
        // lock; `integrity::check` lowers it for the rest.
        let (report, holds_changed) = crate::background::run_as_is("integrity-check", move || {
            // Held until the check ends, even if the caller goes away.
            let _guard = guard;
            crate::audit::source::acting_for(source, || {
                crate::integrity::check(&store, policy, &by, now)
            })
        })
        .await
        .map_err(|e| store::Error::Task(e.to_string()))??;
        let cards_remade = report.mismatches.iter().any(|m| m.finding.remade_cards());
        if cards_remade || !holds_changed.is_empty() {
            self.cache.clear();
        }
        if !holds_changed.is_empty() {
            // The search index shows what citizens see: the held entries' notice or
            // last good revision, not the altered text.
            self.search_repair
                .update(holds_changed, "the integrity check")
                .await;
        }
        if report.ok {
            tracing::info!(report = report.seq, "integrity check: all as approved");
        } else {
            for m in &report.mismatches {
                tracing::error!(report = report.seq, "integrity check: {}", m.message);
            }
            self.alert_administrators(
                "Kiểm tra toàn vẹn phát hiện sai khác",
                format!(
                    "Lần kiểm tra toàn vẹn số {} phát hiện {} nội dung hoặc tệp khác với bản đã duyệt. Ban Biên tập cần xem báo cáo trong mục “Kiểm tra toàn vẹn”.",
                    report.seq,
                    report.mismatches.len()
                ),
            )
            .await;
        }
        Ok(report)
    }

    /// Puts an entry's working revision live; the cached pages that show it go or are
    /// renewed (`write_and_refresh`).
    pub async fn publish(&self, id: EntryId) -> Result<Entry, content::Error> {
        let now = self.clock.now();
        self.write_and_refresh(id, move |tx| content::publish(tx, id, now))
            .await
    }

    /// Commits `f`, which changes entry `id`, then drops or renews the cached pages that
    /// show it and updates the search index, in a task of its own: if the caller goes
    /// away (a client disconnects), the commit still happens and so do the rest, never
    /// one without the other. A failed index update is logged; a damaged index is rebuilt
    /// (`SearchRepair`), and `reindex` repairs any other failure.
    pub async fn write_and_refresh<F, R, E>(&self, id: EntryId, f: F) -> Result<R, E>
    where
        F: FnOnce(&redb::WriteTransaction) -> Result<R, E> + Send + 'static,
        R: Send + 'static,
        E: From<store::Error> + Send + 'static,
    {
        let store = self.store.clone();
        let cache = self.cache.clone();
        let repair = self.search_repair.clone();
        let warm = self.warm.clone();
        // The spawned task acts for the request that asked: its audit records carry
        // the request's address.
        let source = crate::audit::source::task_address();
        let work = async move {
            let before = store
                .read(move |tx| change_facts(tx, id))
                .await
                .ok()
                .flatten();
            let result = store.write(f).await;
            if result.is_ok() {
                let after = store
                    .read(move |tx| change_facts(tx, id))
                    .await
                    .ok()
                    .flatten();
                let facts: Vec<_> = before.into_iter().chain(after).collect();
                // Only the pages that show this entry go; the most read of them stay,
                // marked stale, until their new version is ready.
                let tags = crate::http::cache::tags_of_change(&facts);
                cache.invalidate(&tags, crate::http::cache::kept_while_refreshing);
                let mut keys: Vec<String> = facts.iter().map(|(_, _, url)| url.clone()).collect();
                keys.push("/".to_string());
                keys.extend(
                    facts
                        .iter()
                        .filter_map(|(_, c, _)| c.as_ref().map(|c| crate::paths::category(c))),
                );
                warm.ask(keys);
                repair
                    .update(vec![id], &format!("a change to entry {}", id.0))
                    .await;
            }
            result
        };
        let task = tokio::spawn(async move {
            match source {
                Some(address) => crate::audit::source::serving(address, work).await,
                None => work.await,
            }
        });
        task.await
            .map_err(|e| E::from(store::Error::Task(e.to_string())))?
    }
}

/// Fills a new data folder (the demo site, or the identity from the config file) in one
/// transaction that also marks the folder seeded: a crash part-way leaves it unseeded,
/// and the next start seeds it again from scratch.
fn seed(store: &Store, config: &Config, now: Timestamp) -> Result<Vec<bootstrap::Made>, Error> {
    let demo = if config.demo {
        tracing::info!("new data folder: seeding demo content");
        let demo = demo::load().map_err(|e| Error::Demo(e.to_string()))?;
        let kinds = demo::load_kinds().map_err(|e| Error::Demo(e.to_string()))?;
        Some((demo, kinds))
    } else {
        None
    };
    let site = config.site.clone();
    let template = config.sections;
    let blobs = store.blobs.clone();
    store.write_blocking(move |tx| -> Result<Vec<bootstrap::Made>, Error> {
        let mut accounts = Vec::new();
        // Every site starts with the law's structure; the demo only fills it.
        if let Some((demo, kinds)) = &demo {
            accounts =
                demo::seed(tx, &blobs, demo, kinds, now).map_err(|e| Error::Demo(e.to_string()))?;
        } else {
            crate::content::sections::seed_template(tx, template, now)?;
        }
        if let Some(site) = &site {
            site::save(tx, site, now)?;
        }
        // The identity above came without the menu the sections make.
        crate::content::sections::refresh_menu(tx, "", now)?;
        store::mark_seeded(tx)?;
        Ok(accounts)
    })
}
