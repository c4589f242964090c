//! `/tim-kiem`: full-text search of what is published, optionally by kind.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use crate::app::App;
use crate::content::{self, Kind};
use crate::format;
use crate::http::error::HttpError;
use crate::http::params::Params;
use crate::render::views::{Layout, Pagination};
use crate::site;

const PER_PAGE: usize = 10;
/// Longest query taken, in characters.
const MAX_QUERY: usize = 200;

#[derive(Serialize)]
struct KindChoice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Serialize)]
struct HitView {
    kind: &'static str,
    title: String,
    url: String,
    /// What the date is ("Ngày ban hành", "Bắt đầu"…).
    date_label: &'static str,
    date: String,
    date_iso: String,
    /// Escaped text with `<mark>` around the matches.
    snippet_html: String,
}

#[derive(Serialize)]
struct SearchView {
    layout: Layout,
    query: String,
    kinds: Vec<KindChoice>,
    hits: Vec<HitView>,
    total: usize,
    /// "1.000", or "hơn 1.000" when the count stopped at its limit.
    total_label: String,
    pagination: Pagination,
}

/// `GET /tim-kiem?q=…&loai=…&trang=…`
pub async fn search(State(app): State<Arc<App>>, query: Params) -> Result<Response, HttpError> {
    let page = query.page()?;
    let kind = Kind::ALL
        .iter()
        .copied()
        .find(|k| k.as_str() == query.get("loai"));
    let query: String = query.get("q").trim().chars().take(MAX_QUERY).collect();
    app.search_repair.available()?;
    let (search, text) = (app.search.clone(), query.clone());
    let results = tokio::task::spawn_blocking(move || {
        search.search(&text, kind, (page - 1) * PER_PAGE, PER_PAGE)
    })
    .await
    .map_err(|e| HttpError::Internal(e.to_string()))?
    .map_err(|e| app.search_repair.search_failed(&e))?;
    // Past the last page there is nothing to show, as on the lists (an empty first
    // page is the "no results" answer instead).
    if results.hits.is_empty() && page > 1 {
        return Err(HttpError::NotFound);
    }
    let ids: Vec<_> = results.hits.iter().map(|h| h.id).collect();
    let (site, urls) = app
        .store
        .read(move |tx| -> Result<_, content::Error> {
            let mut urls = Vec::new();
            for id in ids {
                urls.push(
                    content::published(tx, id)?
                        .map(|p| (p.url(), p.own_date(), p.revision.fields.summary.clone())),
                );
            }
            Ok((site::load(tx)?, urls))
        })
        .await?;
    let hits = results
        .hits
        .into_iter()
        .zip(urls)
        .filter_map(|(hit, found)| {
            let (url, own_date, summary) = found?;
            // A match only in the attached files or the record's codes has no text
            // around it worth showing: the summary says what the item is.
            let snippet_html = if hit.snippet_html.trim().is_empty() {
                super::feeds::xml(&summary)
            } else {
                hit.snippet_html
            };
            Some(HitView {
                kind: hit.kind.label(),
                url,
                date_label: own_date.map(|(label, _)| label).unwrap_or_default(),
                date: own_date
                    .map(|(_, d)| format::civil_date(d))
                    .unwrap_or_default(),
                date_iso: own_date.map(|(_, d)| d.to_string()).unwrap_or_default(),
                title: hit.title,
                snippet_html,
            })
        })
        .collect();
    let base = format!(
        "/tim-kiem?q={}&loai={}",
        crate::http::admin::form::encode(&query),
        kind.map_or("", |k| k.as_str())
    );
    let pages = results.total.div_ceil(PER_PAGE).max(1);
    let title = if query.is_empty() {
        "Tìm kiếm".to_string()
    } else {
        format!("Tìm kiếm: {query}")
    };
    let view = SearchView {
        layout: Layout::new(&site, app.origin(), &title, "/tim-kiem").without_canonical(),
        kinds: Kind::ALL
            .iter()
            .map(|k| KindChoice {
                value: k.as_str(),
                label: k.label(),
                selected: Some(*k) == kind,
            })
            .collect(),
        hits,
        total: results.total,
        total_label: if results.more {
            format!("hơn {}", format::count(results.total))
        } else {
            format::count(results.total)
        },
        pagination: Pagination::of(&base, page, pages),
        query,
    };
    let html = app.renderer.render("public/search.html", &view)?;
    Ok(([(CACHE_CONTROL, "no-store")], Html(html)).into_response())
}
