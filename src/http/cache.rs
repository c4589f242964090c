//! The page cache: public pages rendered once, kept precompressed with an `ETag`, bounded
//! in bytes (least recently used go first) and dropped whole whenever anything is
//! published. A render that started before a publish is not stored after it: each
//! insert carries the generation it began in.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::header::{
    CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::sync::Arc;

use super::compress::{Encoding, Precompressed};

/// Pages waiting for their best compression at most; past it they stay quick.
const UPGRADE_QUEUE: usize = 1024;

/// Public pages may be stored by shared caches but must be revalidated, so a
/// publish shows at once; the `ETag` makes revalidation cheap.
pub const PAGE_CACHE_CONTROL: &str = "public, no-cache";

pub struct CachedPage {
    body: Precompressed,
    content_type: &'static str,
    /// One `ETag` per representation: `"h"`, `"h-gz"`, `"h-br"`.
    etags: [HeaderValue; 3],
    /// The route that served this page at its own address (`/tin-tuc/{slug}`), once a
    /// request through the router has: the fast path answers only such pages, and
    /// counts them under that route.
    route: std::sync::OnceLock<Box<str>>,
}

/// Put on a response served from the cache: the page, and the key it is stored under.
#[derive(Clone)]
pub struct Served {
    pub page: Arc<CachedPage>,
    pub key: Arc<str>,
}

impl CachedPage {
    /// Compresses `html`; CPU-heavy, so call it off the async threads.
    pub fn new(html: String) -> CachedPage {
        CachedPage::typed(html, "text/html; charset=utf-8")
    }

    /// A cached body of another type (feeds, sitemaps, robots.txt), compressed at the
    /// best settings.
    pub fn typed(body: String, content_type: &'static str) -> CachedPage {
        let bytes = super::compress::exact(body.into_bytes());
        CachedPage::with_body(content_type, Precompressed::new(bytes))
    }

    /// What a cache miss stores: the body, and only the encoding the request asked
    /// for, at a fast setting. `best` makes the complete page later, off the request.
    pub fn quick(body: String, content_type: &'static str, wanted: Encoding) -> CachedPage {
        CachedPage::with_body(
            content_type,
            Precompressed::quick(super::compress::exact(body.into_bytes()), wanted),
        )
    }

    /// The same page with both encodings at their best settings.
    pub fn best(&self) -> CachedPage {
        CachedPage {
            body: Precompressed::new(self.body.identity.clone()),
            content_type: self.content_type,
            etags: self.etags.clone(),
            route: self.route.clone(),
        }
    }

    /// For a request whose encoding a quick page lacks: that encoding, made now at the
    /// fast setting (the page is served so only until its best copy is ready).
    pub fn quick_for(&self, wanted: Encoding) -> CachedPage {
        CachedPage {
            body: Precompressed::quick(self.body.identity.clone(), wanted),
            content_type: self.content_type,
            etags: self.etags.clone(),
            route: std::sync::OnceLock::new(),
        }
    }

    /// The route this page was served by at its own address, if it has been.
    pub fn route(&self) -> Option<&str> {
        self.route.get().map(|r| &**r)
    }

    /// Notes that `route` served this page at its own address.
    pub fn served_by(&self, route: &str) {
        if self.route.get().is_none() {
            let _ = self.route.set(route.into());
        }
    }

    /// Whether a request asking for `wanted` would get it (or asked for none).
    pub fn serves(&self, wanted: Encoding) -> bool {
        self.body.available(wanted) == wanted
    }

    pub fn is_complete(&self) -> bool {
        self.body.is_complete()
    }

    fn with_body(content_type: &'static str, body: Precompressed) -> CachedPage {
        // The tag names the content, whatever the encoder's settings.
        let tag = hex::encode(&Sha256::digest(&body.identity)[..8]);
        let etag = |suffix: &str| {
            HeaderValue::from_str(&format!("\"{tag}{suffix}\""))
                .unwrap_or(HeaderValue::from_static("\"0\""))
        };
        CachedPage {
            etags: [etag(""), etag("-gz"), etag("-br")],
            body,
            content_type,
            route: std::sync::OnceLock::new(),
        }
    }

    pub fn size(&self) -> usize {
        self.body.size() + 256
    }

    pub fn html(&self) -> &Bytes {
        &self.body.identity
    }

    /// The response for a request with these headers: 304 when the client's copy is
    /// current, else the body in the best encoding it accepts.
    pub fn respond(&self, request: &HeaderMap) -> Response {
        let encoding = self.body.available(Encoding::negotiate(request));
        let etag = match encoding {
            Encoding::Identity => &self.etags[0],
            Encoding::Gzip => &self.etags[1],
            Encoding::Brotli => &self.etags[2],
        };
        // Room for the frame's security headers too: the map is never regrown.
        let mut headers = HeaderMap::with_capacity(16);
        headers.insert(ETAG, etag.clone());
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(PAGE_CACHE_CONTROL));
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
        if etag_matches(request, etag) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        if let Some(name) = encoding.header() {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static(name));
        }
        let mut response = Response::new(axum::body::Body::from(self.body.get(encoding).clone()));
        *response.headers_mut() = headers;
        response
    }
}

/// Whether `If-None-Match` names `etag` (or `*`). Weak comparison, as RFC 9110 asks.
pub fn etag_matches(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(want) = etag.to_str() else {
        return false;
    };
    request.get_all(IF_NONE_MATCH).iter().any(|value| {
        value.to_str().is_ok_and(|text| {
            text.split(',').any(|candidate| {
                let candidate = candidate.trim();
                candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == want
            })
        })
    })
}

struct Slot {
    page: Arc<CachedPage>,
    last_used: AtomicU64,
    /// What the page shows (`tags_of_path`, and what its renderer added): a change to
    /// any of these invalidates it.
    tags: Vec<String>,
    /// Invalidated, but still served while its new version renders.
    stale: std::sync::atomic::AtomicBool,
    /// A new version of a stale page is being rendered.
    refreshing: std::sync::atomic::AtomicBool,
}

/// What a lookup found.
pub enum Lookup {
    Fresh(Arc<CachedPage>),
    /// An old version, served while a new one renders; `refresh` is true for the one
    /// lookup that should render it.
    Stale {
        page: Arc<CachedPage>,
        refresh: bool,
    },
    Miss,
}

#[derive(Default)]
struct Inner {
    pages: HashMap<String, Slot>,
    bytes: usize,
}

pub struct PageCache {
    inner: RwLock<Inner>,
    /// Quick pages waiting for their best compression, for the thread that makes it.
    upgrades: std::sync::OnceLock<std::sync::mpsc::SyncSender<(String, Arc<CachedPage>)>>,
    max_bytes: usize,
    generation: AtomicU64,
    clock: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
    /// Hits the fast path answered, before routing (counted in `hits` too).
    early_hits: AtomicU64,
}

impl PageCache {
    pub fn new(max_bytes: usize) -> PageCache {
        PageCache {
            inner: RwLock::new(Inner::default()),
            upgrades: std::sync::OnceLock::new(),
            max_bytes,
            generation: AtomicU64::new(0),
            clock: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            early_hits: AtomicU64::new(0),
        }
    }

    /// The page at `key`, fresh or stale alike. Unlike `lookup` it never takes a stale
    /// page's refresh: a caller that will not render must not leave it claimed.
    pub fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        let inner = self
            .inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let slot = inner.pages.get(key)?;
        let tick = self.clock.fetch_add(1, Ordering::Relaxed);
        slot.last_used.store(tick, Ordering::Relaxed);
        Some(slot.page.clone())
    }

    /// The page at `key` if it is fresh, for the fast path: nothing else is touched (a
    /// stale page's refresh is left to the router's lookup), nor is anything counted
    /// (`count_early_hit` counts a page the fast path served).
    pub fn fresh(&self, key: &str) -> Option<Arc<CachedPage>> {
        let inner = self
            .inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let slot = inner.pages.get(key)?;
        if slot.stale.load(Ordering::Acquire) {
            return None;
        }
        let tick = self.clock.fetch_add(1, Ordering::Relaxed);
        slot.last_used.store(tick, Ordering::Relaxed);
        Some(slot.page.clone())
    }

    /// Counts a page the fast path answered.
    pub fn count_early_hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
        self.early_hits.fetch_add(1, Ordering::Relaxed);
    }

    /// How many hits the fast path answered, before routing.
    pub fn early_hits(&self) -> u64 {
        self.early_hits.load(Ordering::Relaxed)
    }

    pub fn lookup(&self, key: &str) -> Lookup {
        let inner = self
            .inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(slot) = inner.pages.get(key) else {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return Lookup::Miss;
        };
        self.hits.fetch_add(1, Ordering::Relaxed);
        let tick = self.clock.fetch_add(1, Ordering::Relaxed);
        slot.last_used.store(tick, Ordering::Relaxed);
        if slot.stale.load(Ordering::Acquire) {
            let refresh = !slot.refreshing.swap(true, Ordering::AcqRel);
            Lookup::Stale {
                page: slot.page.clone(),
                refresh,
            }
        } else {
            Lookup::Fresh(slot.page.clone())
        }
    }

    /// Drops the pages tagged with any of `changed`, except those `keep_stale` names,
    /// which stay and are served, marked stale, until their new version replaces them.
    /// Renders that began before this are not stored after it.
    pub fn invalidate(&self, changed: &[String], keep_stale: impl Fn(&str) -> bool) {
        let mut inner = self
            .inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::AcqRel);
        let hit: Vec<String> = inner
            .pages
            .iter()
            .filter(|(_, slot)| slot.tags.iter().any(|t| changed.contains(t)))
            .map(|(k, _)| k.clone())
            .collect();
        for key in hit {
            if keep_stale(&key) {
                if let Some(slot) = inner.pages.get(&key) {
                    slot.stale.store(true, Ordering::Release);
                    slot.refreshing.store(false, Ordering::Release);
                }
            } else if let Some(slot) = inner.pages.remove(&key) {
                inner.bytes -= slot.page.size();
            }
        }
    }

    /// A refresh of the stale page at `key` ended without storing a page (the render
    /// failed, or a newer change came first): the next request tries again.
    pub fn refresh_ended(&self, key: &str) {
        let inner = self
            .inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(slot) = inner.pages.get(key) {
            slot.refreshing.store(false, Ordering::Release);
        }
    }

    /// The generation to pass to `insert` for a render that starts now.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Stores a page rendered during `generation`, unless the cache was invalidated
    /// since, with what it shows (`tags`).
    pub fn insert(&self, key: String, page: Arc<CachedPage>, generation: u64, tags: Vec<String>) {
        let size = page.size();
        if size > self.max_bytes / 4 {
            return;
        }
        let mut inner = self
            .inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        while inner.bytes + size > self.max_bytes {
            let oldest = inner
                .pages
                .iter()
                .min_by_key(|(_, slot)| slot.last_used.load(Ordering::Relaxed))
                .map(|(k, _)| k.clone());
            let Some(oldest) = oldest else { break };
            if let Some(slot) = inner.pages.remove(&oldest) {
                inner.bytes -= slot.page.size();
            }
        }
        let tick = self.clock.fetch_add(1, Ordering::Relaxed);
        let slot = Slot {
            page,
            last_used: AtomicU64::new(tick),
            tags,
            stale: Default::default(),
            refreshing: Default::default(),
        };
        if let Some(old) = inner.pages.insert(key, slot) {
            inner.bytes -= old.page.size();
        }
        inner.bytes += size;
    }

    /// Starts the thread that replaces quick pages by their best compression: one
    /// thread, so the slow encoders never take more than one core from the requests.
    pub fn start_upgrades(self: &Arc<Self>) {
        let (queue, pages) =
            std::sync::mpsc::sync_channel::<(String, Arc<CachedPage>)>(UPGRADE_QUEUE);
        if self.upgrades.set(queue).is_err() {
            return;
        }
        let cache = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("page-compress".into())
            .spawn(move || {
                // Brotli at quality 10 on a 600 KB sitemap part takes a core for a
                // tenth of a second.
                crate::background::lower_priority("page-compress");
                while let Ok((key, quick)) = pages.recv() {
                    let best = Arc::new(quick.best());
                    let Some(cache) = cache.upgrade() else { return };
                    cache.replace(&key, &quick, best);
                }
            });
        if let Err(e) = spawned {
            tracing::error!("pages stay at their quick compression: {e}");
        }
    }

    /// Asks for `page`'s best compression; if the queue is full, it stays quick until
    /// it is next rendered.
    ///
    /// A large body (a sitemap part) keeps its quick compression: the best settings
    /// would take a core for a tenth of a second to save a few percent, and a client
    /// that wants the other encoding gets it made quickly on demand (`quick_for`).
    pub fn upgrade_later(&self, key: String, page: Arc<CachedPage>) {
        if page.body.identity.len() > super::compress::LARGE_BODY {
            return;
        }
        if let Some(queue) = self.upgrades.get() {
            let _ = queue.try_send((key, page));
        }
    }

    /// Puts `best` in place of `quick`, if `quick` is still the page stored at `key`
    /// (not dropped by a publish, nor replaced by a newer render).
    fn replace(&self, key: &str, quick: &Arc<CachedPage>, best: Arc<CachedPage>) {
        let mut inner = self
            .inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(slot) = inner.pages.get_mut(key) else {
            return;
        };
        if !Arc::ptr_eq(&slot.page, quick) {
            return;
        }
        let (old, new) = (slot.page.size(), best.size());
        slot.page = best;
        inner.bytes = inner.bytes + new - old;
    }

    /// Drops every page; called on any publish.
    pub fn clear(&self) {
        let mut inner = self
            .inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::AcqRel);
        inner.pages.clear();
        inner.bytes = 0;
    }

    /// Lookups that found a page, and that did not, since start.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    pub fn stats(&self) -> (usize, usize) {
        let inner = self
            .inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (inner.pages.len(), inner.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(text: &str) -> Arc<CachedPage> {
        Arc::new(CachedPage::new(text.repeat(100)))
    }

    #[test]
    fn the_cache_stays_within_its_budget_dropping_the_least_recently_used() {
        let pages: Vec<_> = (0..6).map(|i| page(&format!("trang {i} "))).collect();
        // Room for four pages, and no page over a quarter of it (those are not kept).
        let largest = pages.iter().map(|p| p.size()).max().unwrap();
        let budget = largest * 4 + 10;
        let cache = PageCache::new(budget);
        let g = cache.generation();
        for (i, page) in pages.iter().enumerate().take(3) {
            cache.insert(format!("/{i}"), page.clone(), g, Vec::new());
        }
        assert!(cache.get("/0").is_some()); // /1 is now the least recently used
        for (i, page) in pages.iter().enumerate().skip(3) {
            cache.insert(format!("/{i}"), page.clone(), g, Vec::new());
        }
        let (_, bytes) = cache.stats();
        assert!(bytes <= budget);
        assert!(cache.get("/1").is_none());
        assert!(cache.get("/5").is_some());
    }

    #[test]
    fn a_render_from_before_a_clear_is_not_stored() {
        let cache = PageCache::new(1 << 20);
        let before = cache.generation();
        cache.clear();
        cache.insert("/".into(), page("cũ"), before, Vec::new());
        assert!(cache.get("/").is_none());
        cache.insert("/".into(), page("mới"), cache.generation(), Vec::new());
        assert!(cache.get("/").is_some());
    }

    #[test]
    fn a_quick_page_is_replaced_by_its_best_copy_unless_it_was_replaced_first() {
        let cache = Arc::new(PageCache::new(1 << 24));
        cache.start_upgrades();
        let text = "<p>Sở Khoa học và Công nghệ</p>".repeat(400);
        let quick = Arc::new(CachedPage::quick(
            text.clone(),
            "text/html",
            Encoding::Brotli,
        ));
        assert!(quick.serves(Encoding::Brotli) && !quick.serves(Encoding::Gzip));
        assert!(!quick.is_complete());
        // A request for gzip gets gzip made for it, with the same tags.
        let mut gz = HeaderMap::new();
        gz.insert(
            axum::http::header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip"),
        );
        let answer = quick.quick_for(Encoding::Gzip).respond(&gz);
        assert_eq!(answer.headers()[CONTENT_ENCODING], "gzip");
        cache.insert("/".into(), quick.clone(), cache.generation(), Vec::new());
        cache.upgrade_later("/".into(), quick.clone());
        let mut upgraded = None;
        for _ in 0..200 {
            if let Some(page) = cache.get("/").filter(|p| p.is_complete()) {
                upgraded = Some(page);
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let best = upgraded.expect("the best copy replaced the quick one");
        assert_eq!(best.html(), quick.html());
        assert_eq!(best.etags, quick.etags);
        // A page rendered anew since is not overwritten by an older page's best copy.
        let newer = Arc::new(CachedPage::quick(
            "mới".repeat(500),
            "text/html",
            Encoding::Gzip,
        ));
        cache.insert("/".into(), newer.clone(), cache.generation(), Vec::new());
        cache.replace("/", &quick, Arc::new(quick.best()));
        assert!(Arc::ptr_eq(&cache.get("/").unwrap(), &newer));
    }

    #[test]
    fn reading_a_stale_page_with_get_leaves_its_refresh_to_a_renderer() {
        let cache = PageCache::new(1 << 20);
        let page = Arc::new(CachedPage::new("<p>old</p>".into()));
        cache.insert("/".into(), page, cache.generation(), vec!["any".into()]);
        cache.invalidate(&["any".to_string()], |_| true);
        assert!(cache.get("/").is_some());
        assert!(matches!(
            cache.lookup("/"),
            Lookup::Stale { refresh: true, .. }
        ));
        assert!(matches!(
            cache.lookup("/"),
            Lookup::Stale { refresh: false, .. }
        ));
    }

    #[test]
    fn etags_match_weakly_and_in_lists() {
        let tag = HeaderValue::from_static("\"abc\"");
        let mut h = HeaderMap::new();
        h.insert(IF_NONE_MATCH, HeaderValue::from_static("\"x\", W/\"abc\""));
        assert!(etag_matches(&h, &tag));
        h.insert(IF_NONE_MATCH, HeaderValue::from_static("\"abcd\""));
        assert!(!etag_matches(&h, &tag));
    }
}

/// The tags a page gets from its address: what a change must invalidate it for. Every
/// list, feed and index depends on `any` publication; an entry's own page on its
/// address; a list of a kind or a section on that kind or section. Settings, the look
/// and the sections clear everything, so they need no tag.
pub fn tags_of_path(key: &str) -> Vec<String> {
    use crate::content::Kind;
    let path = key.split('?').next().unwrap_or(key);
    let any = || vec!["any".to_string()];
    if path == "/" || path.starts_with("/sitemap") || path == "/so-do-trang" {
        return any();
    }
    if path == "/rss/toan-trang.xml" || path == crate::paths::ARCHIVE {
        return any();
    }
    if let Some(rest) = path.strip_prefix("/chuyen-muc/") {
        return vec![format!("cat:{rest}")];
    }
    if let Some(rest) = path.strip_prefix("/rss/chuyen-muc/") {
        return vec![format!("cat:{}", rest.trim_end_matches(".xml"))];
    }
    if let Some(rest) = path.strip_prefix("/luu-tru/") {
        return vec![format!("cat:{rest}")];
    }
    if let Some(name) = path
        .strip_prefix("/rss/")
        .and_then(|r| r.strip_suffix(".xml"))
    {
        return match Kind::ALL
            .iter()
            .find(|k| k.url_prefix() == format!("/{name}"))
        {
            Some(kind) => vec![format!("kind:{}", kind.as_str())],
            None => any(),
        };
    }
    if path == "/en/organisation" || path == "/en/contacts" {
        return vec![format!("kind:{}", Kind::Person.as_str())];
    }
    if path == "/en/" {
        return vec![format!("kind:{}", Kind::EnglishPage.as_str())];
    }
    for kind in Kind::ALL {
        let prefix = kind.url_prefix();
        if path == prefix || path == kind.list_url() {
            return vec![format!("kind:{}", kind.as_str())];
        }
        if let Some(slug) = path.strip_prefix(prefix).and_then(|r| r.strip_prefix('/'))
            && !slug.is_empty()
            && !slug.contains('/')
        {
            let mut tags = vec![format!("page:{path}")];
            // These pages show others of their kind: a document's relations, a
            // procedure's legal basis, a week's neighbours.
            match kind {
                Kind::LegalDocument | Kind::ScheduleWeek => {
                    tags.push(format!("kind:{}", kind.as_str()));
                }
                Kind::Procedure => tags.push(format!("kind:{}", Kind::LegalDocument.as_str())),
                _ => {}
            }
            return tags;
        }
    }
    // Anything else (the disclosure list, the statements) depends on the settings
    // only; unknown pages are treated as depending on everything.
    if [
        "/cong-khai",
        "/tro-nang",
        "/xu-ly-du-lieu-ca-nhan",
        "/tai-su-dung",
        "/robots.txt",
        "/du-lieu",
    ]
    .contains(&path)
    {
        return Vec::new();
    }
    any()
}

/// The tags a change to one entry invalidates, given what it was and what it is now
/// (kind, section, address): its own page under either address, its kind's and its
/// sections' lists, and everything that lists any publication.
pub fn tags_of_change(facts: &[(crate::content::Kind, Option<String>, String)]) -> Vec<String> {
    let mut tags = vec!["any".to_string()];
    for (kind, category, url) in facts {
        tags.push(format!("kind:{}", kind.as_str()));
        tags.push(format!("page:{url}"));
        if let Some(category) = category {
            tags.push(format!("cat:{category}"));
        }
    }
    tags.sort();
    tags.dedup();
    tags
}

/// Whether a page shown by a change stays, marked stale, while its new version renders
/// (the most read: the home page, the news and section lists' first pages), rather than
/// going at once. An entry's own page always goes: it is never served stale.
pub fn kept_while_refreshing(key: &str) -> bool {
    key == "/" || key == "/tin-tuc" || (key.starts_with("/chuyen-muc/") && !key.contains('?'))
}

/// Pages to render anew in the background right after a publication, so the first
/// visitor finds them ready; the server's warmer takes them.
#[derive(Default)]
pub struct Warm {
    keys: std::sync::Mutex<Vec<String>>,
    wake: tokio::sync::Notify,
}

impl Warm {
    pub fn ask(&self, keys: Vec<String>) {
        let mut waiting = self
            .keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for key in keys {
            if !waiting.contains(&key) {
                waiting.push(key);
            }
        }
        drop(waiting);
        self.wake.notify_one();
    }

    /// Waits for keys, then takes them all.
    pub async fn next(&self) -> Vec<String> {
        loop {
            let taken = std::mem::take(
                &mut *self
                    .keys
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
            if !taken.is_empty() {
                return taken;
            }
            self.wake.notified().await;
        }
    }
}
