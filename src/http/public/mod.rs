//! Citizen pages. Each handler names its cache key and how to render on a miss; the
//! page cache does the rest (precompression, `ETag`, 304).

mod antispam;
pub mod comments;
mod discovery;
pub mod display;
pub mod documents;
mod exports;
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
pub use exports::{documents_csv, documents_json, procedures_csv, procedures_json};
pub use feeds::{category_feed, kind_feed};
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
    cached_tagged(app, request, key, content_type, move || async move {
        Ok((render().await?, Vec::new()))
    })
    .await
}

/// `cached_as` for a page that shows more than its address says (an article's related
/// items): the renderer returns the page and those tags (`cache::tags_of_path`).
///
/// A fresh page is served as it is. A stale one (a publication changed what it shows)
/// is served too, to everyone but the one request that renders its new version. On a
/// miss the page renders now, with a fast compression of what this client accepts; the
/// best compression of both encodings replaces it in the background.
pub async fn cached_tagged<F, Fut>(
    app: &Arc<App>,
    request: &HeaderMap,
    key: String,
    content_type: &'static str,
    render: F,
) -> Result<Response, HttpError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(String, Vec<String>), HttpError>>,
{
    use crate::http::cache::Lookup;
    let wanted = crate::http::compress::Encoding::negotiate(request);
    match app.cache.lookup(&key) {
        Lookup::Fresh(page) => return Ok(serve_cached(&page, &key, wanted, request)),
        // Everyone else gets the old version at once; this request (the warmer's,
        // right after the publish, or the first visitor's) renders the new one.
        Lookup::Stale {
            page,
            refresh: false,
        } => {
            return Ok(serve_cached(&page, &key, wanted, request));
        }
        Lookup::Stale { refresh: true, .. } => {
            /// Hands the refresh back however the render ends: finished, failed, or
            /// dropped with its request (a client that went away), so a page is never
            /// left stale with nobody renewing it.
            struct Refreshing<'a>(&'a crate::http::cache::PageCache, &'a str);
            impl Drop for Refreshing<'_> {
                fn drop(&mut self) {
                    self.0.refresh_ended(self.1);
                }
            }
            let generation = app.cache.generation();
            let refreshing = Refreshing(&app.cache, &key);
            let rendered = render().await;
            drop(refreshing);
            let (body, extra) = rendered?;
            let page = (body, extra, content_type);
            return Ok(store(app, key, page, wanted, generation, request));
        }
        Lookup::Miss => {}
    }
    // After a publish every page misses at once: render a couple at a time, and let
    // the requests that waited find the page the first one made.
    let _permit = app
        .rendering
        .acquire()
        .await
        .map_err(|e| HttpError::Internal(e.to_string()))?;
    if let Some(page) = app.cache.get(&key) {
        return Ok(serve_cached(&page, &key, wanted, request));
    }
    let generation = app.cache.generation();
    let (body, extra) = render().await?;
    let page = (body, extra, content_type);
    Ok(store(app, key, page, wanted, generation, request))
}

/// Stores a page just rendered, with its extra tags and type (unless a change came
/// since `generation`), quickly compressed for `wanted`, asks for its best
/// compression, and answers with it.
fn store(
    app: &Arc<App>,
    key: String,
    (body, extra, content_type): (String, Vec<String>, &'static str),
    wanted: crate::http::compress::Encoding,
    generation: u64,
    request: &HeaderMap,
) -> Response {
    let page = Arc::new(CachedPage::quick(body, content_type, wanted));
    let mut tags = crate::http::cache::tags_of_path(&key);
    tags.extend(extra);
    app.cache
        .insert(key.clone(), page.clone(), generation, tags);
    app.cache.upgrade_later(key.clone(), page.clone());
    serve_cached(&page, &key, wanted, request)
}

/// A cached page for this request: until its best copy is ready a quick page may lack
/// the encoding asked for, which is then made for this answer alone. The response
/// carries `Served`, so the frame can note the route that served the page.
fn serve_cached(
    page: &Arc<CachedPage>,
    key: &str,
    wanted: crate::http::compress::Encoding,
    request: &HeaderMap,
) -> Response {
    let mut response = if page.is_complete() || page.serves(wanted) {
        page.respond(request)
    } else {
        page.quick_for(wanted).respond(request)
    };
    response
        .extensions_mut()
        .insert(crate::http::cache::Served {
            page: page.clone(),
            key: key.into(),
        });
    response
}
