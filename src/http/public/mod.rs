//! Citizen pages. Each handler names its cache key and how to render on a miss; the
//! page cache does the rest (precompression, `ETag`, 304).

mod antispam;
pub mod comments;
mod discovery;
pub mod display;
pub mod documents;
mod feeds;
mod files;
pub mod mail;
pub mod messages;
pub mod open_data;
mod pages;
pub mod procedures;
pub mod questions;
pub mod records;
mod schedule;
mod search;
mod well_known;

use std::future::Future;
use std::sync::Arc;

use axum::http::HeaderMap;
use axum::response::Response;

use super::cache::CachedPage;
use super::error::HttpError;
use crate::app::App;

pub use discovery::{robots_txt, sitemap_index, sitemap_part, theme_css, visits_json, visits_page};
pub use documents::{document, documents};
pub use feeds::{
    category_feed, documents_csv, documents_json, kind_feed, procedures_csv, procedures_json,
};
pub use files::file;
pub use pages::{
    ENGLISH_CONTACTS, ENGLISH_ORGANISATION, accessibility, archive, archive_index, article,
    category, disclosure, english_contacts, english_index, english_organisation, english_page,
    entry_view, home, news, page, render_home_with, sitemap,
};
pub use procedures::{procedure, procedures};
pub use schedule::{week, week_entry};
pub use search::search;
pub use well_known::{favicon, security_txt, touch_icon};

/// Items per list page.
pub const PER_PAGE: usize = 12;
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
    cached_as(app, request, key, "text/html; charset=utf-8", render).await
}

/// `cached` for a body that is not HTML (feeds, sitemaps, robots.txt).
pub async fn cached_as<F, Fut>(
    app: &Arc<App>,
    request: &HeaderMap,
    key: String,
    content_type: &'static str,
    render: F,
) -> Result<Response, HttpError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<String, HttpError>>,
{
    if let Some(page) = app.cache.get(&key) {
        return Ok(page.respond(request));
    }
    // After a publish every page misses at once: render a couple at a time, and let
    // the requests that waited find the page the first one made.
    let _permit = app
        .rendering
        .acquire()
        .await
        .map_err(|e| HttpError::Internal(e.to_string()))?;
    if let Some(page) = app.cache.get(&key) {
        return Ok(page.respond(request));
    }
    let generation = app.cache.generation();
    let html = render().await?;
    let page = tokio::task::spawn_blocking(move || CachedPage::typed(html, content_type))
        .await
        .map_err(|e| HttpError::Internal(format!("compression task failed: {e}")))?;
    let page = Arc::new(page);
    app.cache.insert(key, page.clone(), generation);
    Ok(page.respond(request))
}
