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

/// Public pages may be stored by shared caches but must be revalidated, so a
/// publish shows at once; the `ETag` makes revalidation cheap.
pub const PAGE_CACHE_CONTROL: &str = "public, no-cache";

pub struct CachedPage {
    body: Precompressed,
    content_type: &'static str,
    /// One `ETag` per representation: `"h"`, `"h-gz"`, `"h-br"`.
    etags: [HeaderValue; 3],
}

impl CachedPage {
    /// Compresses `html`; CPU-heavy, so call it off the async threads.
    pub fn new(html: String) -> CachedPage {
        CachedPage::typed(html, "text/html; charset=utf-8")
    }

    /// A cached body of another type (feeds, sitemaps, robots.txt).
    pub fn typed(body: String, content_type: &'static str) -> CachedPage {
        let bytes = Bytes::from(body);
        let tag = hex::encode(&Sha256::digest(&bytes)[..8]);
        let etag = |suffix: &str| {
            HeaderValue::from_str(&format!("\"{tag}{suffix}\""))
                .unwrap_or(HeaderValue::from_static("\"0\""))
        };
        CachedPage {
            etags: [etag(""), etag("-gz"), etag("-br")],
            body: Precompressed::new(bytes),
            content_type,
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
        let mut headers = HeaderMap::with_capacity(6);
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
        (headers, self.body.get(encoding).clone()).into_response()
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
}

#[derive(Default)]
struct Inner {
    pages: HashMap<String, Slot>,
    bytes: usize,
}

pub struct PageCache {
    inner: RwLock<Inner>,
    max_bytes: usize,
    generation: AtomicU64,
    clock: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl PageCache {
    pub fn new(max_bytes: usize) -> PageCache {
        PageCache {
            inner: RwLock::new(Inner::default()),
            max_bytes,
            generation: AtomicU64::new(0),
            clock: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        let inner = self
            .inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(slot) = inner.pages.get(key) else {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        self.hits.fetch_add(1, Ordering::Relaxed);
        let tick = self.clock.fetch_add(1, Ordering::Relaxed);
        slot.last_used.store(tick, Ordering::Relaxed);
        Some(slot.page.clone())
    }

    /// The generation to pass to `insert` for a render that starts now.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Stores a page rendered during `generation`, unless the cache was cleared since.
    pub fn insert(&self, key: String, page: Arc<CachedPage>, generation: u64) {
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
        };
        if let Some(old) = inner.pages.insert(key, slot) {
            inner.bytes -= old.page.size();
        }
        inner.bytes += size;
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
        let one = page("trang x ");
        let budget = one.size() * 4 + 10;
        let cache = PageCache::new(budget);
        let g = cache.generation();
        for i in 0..3 {
            cache.insert(format!("/{i}"), page(&format!("trang {i} ")), g);
        }
        assert!(cache.get("/0").is_some()); // /1 is now the least recently used
        for i in 3..6 {
            cache.insert(format!("/{i}"), page(&format!("trang {i} ")), g);
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
        cache.insert("/".into(), page("cũ"), before);
        assert!(cache.get("/").is_none());
        cache.insert("/".into(), page("mới"), cache.generation());
        assert!(cache.get("/").is_some());
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
