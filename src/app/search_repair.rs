//! A damaged search index rebuilds itself. The index is derived from the store, so
//! when a search or an index update finds its files unreadable (a truncated or altered
//! segment: a disk fault, a copy gone wrong), the server rebuilds it from the store in
//! the background, at background priority, instead of failing every search until an
//! operator runs `trangtin reindex`. Meanwhile searches answer 503 with a page that says
//! so. One rebuild runs at a time, and none starts within `RETRY_AFTER` of the last: a
//! disk that keeps failing is logged, not rebuilt in a loop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::content::EntryId;
use crate::http::error::HttpError;
use crate::ops::jobs::Exclusive;
use crate::search::{self, Search};
use crate::store::Store;

/// The least time between the starts of two rebuilds.
const RETRY_AFTER: Duration = Duration::from_secs(15 * 60);

/// The app's index and the store it is rebuilt from.
pub struct SearchRepair {
    search: Arc<Search>,
    store: Store,
    running: Arc<AtomicBool>,
    last: Mutex<Last>,
}

#[derive(Default)]
struct Last {
    started: Option<Instant>,
    /// Whether "not rebuilding again yet" was logged since: once, not per search.
    refusal_logged: bool,
}

impl SearchRepair {
    pub fn new(search: Arc<Search>, store: Store) -> SearchRepair {
        SearchRepair {
            search,
            store,
            running: Arc::default(),
            last: Mutex::default(),
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
        {
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
        }
        tracing::warn!("the search index is damaged ({failure}); rebuilding it from the store");
        let (search, store) = (self.search.clone(), self.store.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let rebuilt = crate::background::run("search-repair", move || {
                // Held until the rebuild ends.
                let _guard = guard;
                search.rebuild(&store)
            })
            .await;
            match rebuilt {
                Ok(Ok(count)) => tracing::warn!(
                    entries = count,
                    seconds = started.elapsed().as_secs(),
                    "the search index was rebuilt after damage"
                ),
                Ok(Err(e)) => tracing::error!(
                    "the damaged search index could not be rebuilt: {e}; `trangtin reindex` tries again"
                ),
                Err(e) => tracing::error!("the search index rebuild did not run: {e}"),
            }
        });
        true
    }
}
