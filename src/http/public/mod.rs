//! Citizen pages. Each handler names its cache key and how to render on a miss; the
//! page cache does the rest (precompression, ETag, 304).

mod files;
mod pages;

use std::future::Future;
use std::sync::Arc;

use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::cache::CachedPage;
use super::error::HttpError;
use crate::app::App;

pub use files::file;
pub use pages::{article, category, home, news, page, sitemap};

/// Items per list page.
pub const PER_PAGE: usize = 12;
/// The highest page number anyone can ask for; more is a 404, not a cache entry.
const MAX_PAGE: usize = 10_000;

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    trang: Option<String>,
}

impl PageQuery {
    /// The 1-based page number: absent is 1; anything but a number in range is refused.
    pub fn number(&self) -> Result<usize, HttpError> {
        match self.trang.as_deref() {
            None => Ok(1),
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
                _ => Err(HttpError::BadRequest("page number out of range")),
            },
        }
    }
}

/// Serves the page at `key` from the cache, rendering it on a miss. Errors (404s
/// included) are not cached.
pub async fn cached<F, Fut>(
    app: &Arc<App>,
    request: &HeaderMap,
    key: String,
    render: F,
) -> Result<Response, HttpError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<String, HttpError>>,
{
    if let Some(page) = app.cache.get(&key) {
        return Ok(page.respond(request));
    }
    let generation = app.cache.generation();
    let html = render().await?;
    let page = tokio::task::spawn_blocking(move || CachedPage::new(html))
        .await
        .map_err(|e| HttpError::Internal(format!("compression task failed: {e}")))?;
    let page = Arc::new(page);
    app.cache.insert(key, page.clone(), generation);
    Ok(page.respond(request))
}
