//! Feeds (regulation F16): RSS 2.0 for all news, each category and each kind. The
//! register's open data is in `exports`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::header::HOST;
use axum::response::Response;

use crate::app::App;
use crate::content::{self, Kind, List, Published};
use crate::format;
use crate::http::error::HttpError;
use crate::http::frame::host_name;
use crate::site;

use super::cached_as;

/// How many items a feed carries.
const FEED_ITEMS: usize = 30;

/// The absolute origin links use: the configured one, or the host asked for (the
/// frame has already refused hosts this site does not serve).
pub(super) fn origin(app: &App, headers: &HeaderMap) -> String {
    if let Some(base) = &app.config.base_url {
        return base.clone();
    }
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let name = host_name(host);
    if app
        .config
        .hosts
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
    {
        format!("https://{host}")
    } else {
        "https://localhost".to_string()
    }
}

pub(super) fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn rss(title: &str, link: &str, description: &str, items: &[Published], origin: &str) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\n",
    );
    out.push_str(&format!(
        "<title>{}</title><link>{}</link><description>{}</description><language>vi</language>\n",
        xml(title),
        xml(&format!("{origin}{link}")),
        xml(description)
    ));
    for p in items {
        let f = &p.revision.fields;
        let url = format!("{origin}{}", p.url());
        let date = p
            .entry
            .published_at
            .map(|t| {
                t.to_zoned_datetime(format::vietnam())
                    .strftime("%a, %d %b %Y %H:%M:%S %z")
                    .to_string()
            })
            .unwrap_or_default();
        out.push_str(&format!(
            "<item><title>{}</title><link>{}</link><guid isPermaLink=\"true\">{}</guid><pubDate>{}</pubDate><description>{}</description></item>\n",
            xml(&f.title),
            xml(&url),
            xml(&url),
            date,
            xml(&f.summary)
        ));
    }
    out.push_str("</channel></rss>\n");
    out
}

const RSS_TYPE: &str = "application/rss+xml; charset=utf-8";

/// The feed name of every published entry, whatever its kind.
pub const SITE_FEED: &str = "toan-trang";

/// `GET /rss/{name}`: `toan-trang.xml` (everything published), or `{kind}.xml`
/// (`tin-tuc.xml`, `van-ban.xml`, `trang.xml` …).
pub async fn kind_feed(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let stem = name.strip_suffix(".xml").ok_or(HttpError::NotFound)?;
    let kind = feed_kind(stem)?;
    let origin = origin(&app, &headers);
    let key = format!("{origin}/rss/{stem}.xml");
    cached_as(&app, &headers, key, RSS_TYPE, || {
        kind_rss(app.clone(), kind, origin)
    })
    .await
}

/// The feed of one kind, or (`None`) of the newest of every kind.
async fn kind_rss(app: Arc<App>, kind: Option<Kind>, origin: String) -> Result<String, HttpError> {
    let (site, items) = app
        .store
        .read(move |tx| -> Result<_, content::Error> {
            let items = match kind {
                Some(kind) => content::list_published(tx, List::Kind(kind), 1, FEED_ITEMS)?.items,
                None => newest_of_every_kind(tx, FEED_ITEMS)?,
            };
            Ok((site::load(tx)?, items))
        })
        .await?;
    let (title, link) = match kind {
        Some(kind) => (
            format!("{} – {}", site.agency_name, kind.label()),
            kind.url_prefix(),
        ),
        None => (format!("{} – Toàn trang", site.agency_name), "/"),
    };
    Ok(rss(&title, link, &site.tagline, &items, &origin))
}

/// The `limit` newest published entries across all kinds but fixed pages (which are
/// not news, and are reached through the menu).
fn newest_of_every_kind(
    tx: &impl crate::store::Tx,
    limit: usize,
) -> Result<Vec<Published>, content::Error> {
    let mut all = Vec::new();
    for kind in Kind::ALL
        .iter()
        .filter(|k| !matches!(k, Kind::Page | Kind::EnglishPage))
    {
        all.extend(content::list_published(tx, List::Kind(*kind), 1, limit)?.items);
    }
    all.sort_by_key(|p| std::cmp::Reverse(p.entry.published_at));
    all.truncate(limit);
    Ok(all)
}

/// The kind a feed's name stands for (`None`: the whole site).
fn feed_kind(stem: &str) -> Result<Option<Kind>, HttpError> {
    if stem == SITE_FEED {
        return Ok(None);
    }
    Kind::ALL
        .iter()
        .copied()
        .find(|k| k.url_prefix().trim_start_matches('/') == stem)
        .map(Some)
        .ok_or(HttpError::NotFound)
}

/// `GET /rss/chuyen-muc/{slug}.xml`
pub async fn category_feed(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let slug = name
        .strip_suffix(".xml")
        .ok_or(HttpError::NotFound)?
        .to_string();
    let origin = origin(&app, &headers);
    let key = format!("{origin}/rss/chuyen-muc/{slug}.xml");
    cached_as(&app, &headers, key, RSS_TYPE, || {
        category_rss(app.clone(), slug, origin)
    })
    .await
}

async fn category_rss(app: Arc<App>, slug: String, origin: String) -> Result<String, HttpError> {
    let found = app
        .store
        .read(move |tx| -> Result<_, content::Error> {
            // A retired section's feed answers with its successor's.
            let all = content::sections::all(tx)?;
            let Some(category) = content::sections::resolve(&all, &slug).cloned() else {
                return Ok(None);
            };
            if category.slug != slug {
                let moved = format!("/rss/chuyen-muc/{}.xml", category.slug);
                return Ok(Some(Err(moved)));
            }
            let items =
                content::list_published(tx, List::Category(&category.slug), 1, FEED_ITEMS)?.items;
            Ok(Some(Ok((site::load(tx)?, category, items))))
        })
        .await?;
    let (site, category, items) = found
        .ok_or(HttpError::NotFound)?
        .map_err(HttpError::Moved)?;
    let title = format!("{} – {}", site.agency_name, category.name);
    let link = crate::paths::category(&category.slug);
    Ok(rss(&title, &link, &category.description, &items, &origin))
}
