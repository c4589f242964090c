//! The search index is derived from the store, and rebuilt from it without taking the
//! site down:
//! - when a search or an index update finds its files unreadable (a truncated or
//!   altered segment: a disk fault, a copy gone wrong), instead of failing every search
//!   until an operator runs `trangtin reindex`;
//! - at start, when the index is new or of an older format and the site is too large to
//!   build it before serving (`limits.search_index_at_start`): a million entries take
//!   minutes, and the pages need none of it.
//!
//! A rebuild runs in the background, at background priority. Meanwhile searches answer
//! 503 with a page that says why, and the entries changed meanwhile are indexed once it
//! has committed (an update would otherwise wait minutes for the rebuild's writer, and
//! the publish that asked for it with it); the same goes for an operator's `reindex`,
//! during which searches use the index as it was. One rebuild runs at a time, and a
//! repair does not start within `RETRY_AFTER` of the last: a disk that keeps failing is
//! logged, not rebuilt in a loop. A build that fails (or panics in the index library)
//! leaves searches answering 500, rather than "nothing found" from an empty index,
//! until a search once `RETRY_AFTER` has passed starts it again, or `trangtin reindex`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::content::EntryId;
use crate::http::error::HttpError;
use crate::ops::jobs::Exclusive;
use crate::search::{self, Search};
use crate::store::Store;

/// The least time between the starts of two repairs.
const RETRY_AFTER: Duration = Duration::from_secs(15 * 60);

/// The app's index and the store it is rebuilt from.
pub struct SearchRepair {
    search: Arc<Search>,
    store: Store,
    /// Set while a rebuild, or an operator's `reindex`, runs.
    running: Arc<AtomicBool>,
    last: Mutex<Last>,
    state: Arc<Mutex<State>>,
    /// Turns true when the server stops: a rebuild ends at its next batch.
    stopping: Arc<AtomicBool>,
    /// Gets a message when the background rebuild that runs ends.
    ended: Mutex<Option<std::sync::mpsc::Receiver<()>>>,
}

/// How long a stopping server waits for a rebuild to end (its last merge cannot be
/// cut short); past it, the process exits with the rebuild's store reads open, and the
/// next start recovers the database first (seconds on a large one).
const STOP_WAIT: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Last {
    started: Option<Instant>,
    /// Whether "not rebuilding again yet" was logged since: once, not per search.
    refusal_logged: bool,
}

#[derive(Default)]
struct State {
    /// The rebuild that runs now, if any.
    rebuilding: Option<Rebuilding>,
    /// The last build of a new or damaged index failed (why it ran): the index is
    /// empty or partial until a build succeeds, tried again `RETRY_AFTER` after the
    /// last, or a `reindex`.
    failed: Option<Why>,
}

/// Why the index is being rebuilt, and what changed since.
struct Rebuilding {
    why: Why,
    /// Entries changed since the rebuild began, indexed once it has committed.
    changed: Vec<EntryId>,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Why {
    /// Its files were found damaged.
    Damage,
    /// There was none, or one of an older format.
    New,
    /// An operator's `trangtin reindex`: the index in use stays until the new one
    /// commits.
    Operator,
}

impl SearchRepair {
    pub fn new(search: Arc<Search>, store: Store) -> SearchRepair {
        SearchRepair {
            search,
            store,
            running: Arc::default(),
            last: Mutex::default(),
            state: Arc::default(),
            stopping: Arc::default(),
            ended: Mutex::default(),
        }
    }

    /// Ends a background rebuild as the server stops (waiting `STOP_WAIT` at most), so
    /// that no thread still reads the store when the process exits. The index is left
    /// incomplete, and the next start builds it again.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        let ended = lock(&self.ended).take();
        if let Some(ended) = ended
            && ended.recv_timeout(STOP_WAIT) == Err(std::sync::mpsc::RecvTimeoutError::Timeout)
        {
            tracing::warn!(
                "the search index rebuild did not end within {} s of the stop",
                STOP_WAIT.as_secs()
            );
        }
    }

    /// Whether a rebuild is running now.
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }

    /// Holds off repairs while an operator's `reindex` runs (`None` if a repair runs):
    /// the two would rebuild the same index one after the other.
    pub fn hold(&self) -> Option<Exclusive> {
        Exclusive::take(&self.running)
    }

    /// Brings the index in line with the store for `ids`, off the async threads. A
    /// failure is logged (`after`: after what); a damaged index starts a rebuild, which
    /// takes these entries in as they now are too.
    pub async fn update(&self, ids: Vec<EntryId>, after: &str) {
        if let Some(rebuilding) = lock(&self.state).rebuilding.as_mut() {
            rebuilding.changed.extend(ids);
            return;
        }
        let (search, store) = (self.search.clone(), self.store.clone());
        match tokio::task::spawn_blocking(move || search.update(&store, &ids)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::error!("search index not updated after {after}: {e}");
                self.start_if_damaged(&e);
            }
            Err(e) => tracing::error!("search index task failed after {after}: {e}"),
        }
    }

    /// Whether searches can be answered: not while a new or damaged index is being
    /// rebuilt (the one in use is empty or unreadable), which the page says, nor after
    /// such a build failed, which is tried again once due (a disk that was full).
    pub fn available(&self) -> Result<(), HttpError> {
        let (rebuilding, failed) = {
            let state = lock(&self.state);
            (state.rebuilding.as_ref().map(|r| r.why), state.failed)
        };
        let unavailable = |why| match why {
            Why::New => HttpError::SearchBuilding,
            _ => HttpError::SearchRebuilding("the damaged index is being rebuilt".into()),
        };
        match (rebuilding, failed) {
            (Some(why @ (Why::New | Why::Damage)), _) => Err(unavailable(why)),
            (_, None) => Ok(()),
            (_, Some(why)) => {
                let failure = "the last build of the search index failed";
                match Exclusive::take(&self.running) {
                    Some(guard) if self.due(failure) => {
                        tracing::warn!("{failure}; building it again");
                        self.rebuild_in_background(guard, why);
                        Err(unavailable(why))
                    }
                    _ => Err(HttpError::Internal(format!(
                        "{failure}; `trangtin reindex` builds it"
                    ))),
                }
            }
        }
    }

    /// Builds a new index (none, or one of an older format) from the store in the
    /// background, while the site serves. False if it could not start (logged).
    pub fn build_new(&self, entries: usize) -> bool {
        let Some(guard) = Exclusive::take(&self.running) else {
            return true;
        };
        self.due("the search index is new");
        tracing::warn!(
            entries,
            "building the search index in the background; searches answer 503 until it is ready"
        );
        self.rebuild_in_background(guard, Why::New)
    }

    /// An operator's `reindex`, on the calling thread, with `hold()` held: searches go
    /// on with the index in use until the new one commits, and the entries changed
    /// meanwhile are indexed after it.
    pub fn reindex(&self) -> Result<usize, search::Error> {
        begin(&self.state, Why::Operator);
        rebuild_and_catch_up(
            &self.search,
            &self.store,
            &self.state,
            Why::Operator,
            &self.stopping,
        )
    }

    /// The page's error for a failed search: 503 while a rebuild mends a damaged
    /// index (started now if due), 500 otherwise.
    pub fn search_failed(&self, failure: &search::Error) -> HttpError {
        if self.start_if_damaged(failure) {
            HttpError::SearchRebuilding(failure.to_string())
        } else {
            HttpError::Internal(failure.to_string())
        }
    }

    /// Starts rebuilding the index from the store if `failure` says its files are
    /// damaged and no rebuild runs or ran in the last `RETRY_AFTER`. True if a rebuild
    /// runs (started now or before), so the caller can say it is on its way.
    pub fn start_if_damaged(&self, failure: &search::Error) -> bool {
        if !failure.is_damage() {
            return false;
        }
        let Some(guard) = Exclusive::take(&self.running) else {
            return true;
        };
        if !self.due(&failure.to_string()) {
            return false;
        }
        tracing::warn!("the search index is damaged ({failure}); rebuilding it from the store");
        self.rebuild_in_background(guard, Why::Damage)
    }

    /// Whether a rebuild may start now, `RETRY_AFTER` after the last one started (or
    /// none did); if so, it counts as started now. A refusal is logged once per wait
    /// (`failure`: what asked for it).
    fn due(&self, failure: &str) -> bool {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        if last.started.is_some_and(|at| at.elapsed() < RETRY_AFTER) {
            if !last.refusal_logged {
                last.refusal_logged = true;
                tracing::error!(
                    "the search index failed again less than {} minutes after a rebuild started; not rebuilding again before then, or until `trangtin reindex` ({failure})",
                    RETRY_AFTER.as_secs() / 60
                );
            }
            return false;
        }
        *last = Last {
            started: Some(Instant::now()),
            refusal_logged: false,
        };
        true
    }

    /// Rebuilds the index on a thread of its own at background priority (no runtime
    /// needed: the first build starts before the server's), holding `guard` until it
    /// and the catching up are done. False if the thread could not start.
    fn rebuild_in_background(&self, guard: Exclusive, why: Why) -> bool {
        begin(&self.state, why);
        let (search, store, state) = (self.search.clone(), self.store.clone(), self.state.clone());
        let stopping = self.stopping.clone();
        let (ended, on_end) = std::sync::mpsc::channel();
        let work = move || {
            crate::background::lower_priority("search-rebuild");
            let _ = rebuild_and_catch_up(&search, &store, &state, why, &stopping);
            // Released before the end is told: whoever waits for it may start another.
            drop(guard);
            let _ = ended.send(());
        };
        match std::thread::Builder::new()
            .name("search-rebuild".into())
            .spawn(work)
        {
            Ok(_) => {
                *lock(&self.ended) = Some(on_end);
                true
            }
            Err(e) => {
                lock(&self.state).rebuilding = None;
                tracing::error!("the search index rebuild did not start: {e}");
                false
            }
        }
    }
}

/// Marks a rebuild begun: from now on, changed entries wait for it.
fn begin(state: &Mutex<State>, why: Why) {
    lock(state).rebuilding = Some(Rebuilding {
        why,
        changed: Vec::new(),
    });
}

/// Rebuilds the index, logs how it went, then indexes the entries changed meanwhile
/// until none are left, and ends the rebuild: taken and cleared under one lock, so
/// none is added after the last look.
fn rebuild_and_catch_up(
    search: &Search,
    store: &Store,
    state: &Mutex<State>,
    why: Why,
    stopping: &AtomicBool,
) -> Result<usize, search::Error> {
    let started = Instant::now();
    let rebuilt = caught(|| search.rebuild_unless(store, stopping));
    if let Err(search::Error::Stopped) = rebuilt {
        tracing::info!(
            "the search index rebuild stopped with the server; the next start builds it"
        );
        return rebuilt;
    }
    let seconds = started.elapsed().as_secs();
    match (&rebuilt, why) {
        (Ok(count), Why::Damage) => tracing::warn!(
            entries = count,
            seconds,
            "the search index was rebuilt after damage"
        ),
        (Ok(count), _) => tracing::info!(entries = count, seconds, "built the search index"),
        (Err(e), Why::Operator) => tracing::error!("reindex failed: {e}"),
        (Err(e), _) => tracing::error!(
            "the search index could not be rebuilt: {e}; searches fail until `trangtin reindex` builds it"
        ),
    }
    loop {
        let changed = {
            let mut state = lock(state);
            let changed = state
                .rebuilding
                .as_mut()
                .map(|r| std::mem::take(&mut r.changed))
                .unwrap_or_default();
            if changed.is_empty() {
                state.rebuilding = None;
                // An operator's failed reindex leaves the index it replaced in use.
                if why != Why::Operator {
                    state.failed = rebuilt.is_err().then_some(why);
                } else if rebuilt.is_ok() {
                    state.failed = None;
                }
                break;
            }
            changed
        };
        if let Err(e) = caught(|| search.update(store, &changed)) {
            tracing::error!(
                "search index not updated with {} entries changed during its rebuild: {e}",
                changed.len()
            );
        }
    }
    rebuilt
}

/// Runs `f`, turning a panic in the index library (tantivy panics on some altered
/// bytes) into an error: the rebuild's bookkeeping must end either way.
fn caught<T>(f: impl FnOnce() -> Result<T, search::Error>) -> Result<T, search::Error> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        Err(search::Error::Panicked(crate::store::panic_message(
            &*panic,
        )))
    })
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Kind;
    use crate::search::tests::publish_articles;

    /// A store with one article published, its index folder (built if `built`), and
    /// the repair over both.
    fn site(built: bool) -> (tempfile::TempDir, Store, Arc<Search>, Arc<SearchRepair>) {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(&dir.path().join("data")).unwrap();
        publish(&store, "do-luong", "Đo lường chất lượng");
        let (search, fresh) = Search::open(&dir.path().join("data/search")).unwrap();
        assert!(fresh);
        if built {
            search.rebuild(&store).unwrap();
        }
        let search = Arc::new(search);
        let repair = Arc::new(SearchRepair::new(search.clone(), store.clone()));
        (dir, store, search, repair)
    }

    /// Publishes an article; returns its id.
    fn publish(store: &Store, slug: &str, title: &str) -> EntryId {
        let body = format!("Nội dung của bài {title}.");
        publish_articles(store, [(slug.into(), title.into(), body)].into_iter());
        let slug = slug.to_string();
        store
            .read_blocking(move |tx| crate::content::find_published(tx, Kind::Article, &slug))
            .unwrap()
            .unwrap()
            .entry
            .id
    }

    /// Asks for `id`'s update, which must return at once: the rebuild that runs holds
    /// it for later.
    fn update_at_once(repair: &SearchRepair, id: EntryId) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime
            .block_on(async {
                let update = repair.update(vec![id], "a test");
                tokio::time::timeout(Duration::from_secs(5), update).await
            })
            .expect("an update during a rebuild returns at once");
    }

    fn titles(search: &Search, q: &str) -> Vec<String> {
        let results = search.search(q, None, 0, 10).unwrap();
        results.hits.into_iter().map(|h| h.title).collect()
    }

    #[test]
    fn searches_wait_for_a_new_index_and_changes_meanwhile_go_in_after_it() {
        let (_dir, store, search, repair) = site(false);
        assert!(repair.available().is_ok());

        // The rebuild waits for the writer held here, as it would for a long build.
        let held = search.hold_writer();
        assert!(repair.build_new(1));
        assert!(matches!(repair.available(), Err(HttpError::SearchBuilding)));
        // An entry published meanwhile: its index update does not wait for the build
        // (nor would the publish that asks for it).
        let id = publish(&store, "chuyen-doi-so", "Chuyển đổi số");
        update_at_once(&repair, id);
        // A second build is not started over the first.
        assert!(repair.build_new(2));

        drop(held);
        let started = Instant::now();
        while repair.available().is_err() || repair.is_running() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the build never ended"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(titles(&search, "đo lường"), ["Đo lường chất lượng"]);
        assert_eq!(titles(&search, "chuyển đổi"), ["Chuyển đổi số"]);
        // Once built, updates go straight to the index again.
        let id = publish(&store, "hoi-thao", "Hội thảo khoa học");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(repair.update(vec![id], "a test"));
        assert_eq!(titles(&search, "hội thảo"), ["Hội thảo khoa học"]);
    }

    #[test]
    fn during_an_operators_reindex_searches_go_on_and_changes_wait_for_it() {
        let (_dir, store, search, repair) = site(true);
        let held = search.hold_writer();
        let guard = repair.hold().unwrap();
        let reindex = std::thread::spawn({
            let repair = repair.clone();
            move || {
                let _guard = guard;
                repair.reindex()
            }
        });
        // The reindex has begun once updates are held for it.
        let started = Instant::now();
        while lock(&repair.state).rebuilding.is_none() {
            assert!(started.elapsed() < Duration::from_secs(10));
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(repair.available().is_ok());
        assert_eq!(titles(&search, "đo lường"), ["Đo lường chất lượng"]);
        let id = publish(&store, "chuyen-doi-so", "Chuyển đổi số");
        update_at_once(&repair, id);
        drop(held);
        assert_eq!(reindex.join().unwrap().unwrap(), 2);
        assert!(repair.available().is_ok());
        assert!(!repair.is_running());
        assert_eq!(titles(&search, "chuyển đổi"), ["Chuyển đổi số"]);
    }

    #[test]
    fn a_failed_build_is_tried_again_once_due() {
        let (_dir, _store, search, repair) = site(false);
        // As a build that failed (a full disk, say) leaves it, before any other began.
        lock(&repair.state).failed = Some(Why::New);
        assert!(matches!(repair.available(), Err(HttpError::SearchBuilding)));
        let started = Instant::now();
        while repair.available().is_err() || repair.is_running() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the build never ended"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(titles(&search, "đo lường"), ["Đo lường chất lượng"]);
        // Failed again right after it started: searches fail, and no build starts
        // before `RETRY_AFTER`.
        lock(&repair.state).failed = Some(Why::New);
        for _ in 0..2 {
            assert!(matches!(repair.available(), Err(HttpError::Internal(_))));
            assert!(!repair.is_running());
        }
    }

    #[test]
    fn a_stopping_server_ends_the_rebuild_and_the_next_start_builds_again() {
        let (dir, _store, search, repair) = site(false);
        let held = search.hold_writer();
        assert!(repair.build_new(1));
        let stopper = std::thread::spawn({
            let repair = repair.clone();
            move || {
                let started = Instant::now();
                repair.stop();
                started.elapsed()
            }
        });
        // The rebuild gets the writer after the stop, and ends at its first batch.
        std::thread::sleep(Duration::from_millis(100));
        drop(held);
        assert!(stopper.join().unwrap() < STOP_WAIT);
        assert!(!repair.is_running());
        drop(repair);
        drop(search);
        let (_, fresh) = Search::open(&dir.path().join("data/search")).unwrap();
        assert!(fresh, "an index the stop cut short is built again");
    }

    #[test]
    fn a_panic_in_the_index_library_is_an_error() {
        let failed = caught::<()>(|| panic!("index out of bounds")).unwrap_err();
        assert!(matches!(failed, search::Error::Panicked(_)), "{failed}");
        assert!(
            failed.to_string().contains("index out of bounds"),
            "{failed}"
        );
        assert!(!failed.is_damage());
    }
}
