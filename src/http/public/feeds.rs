//! Open data and feeds (regulation F16): the legal-document register as JSON and CSV,
//! and RSS 2.0 for all news, each category and each kind.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, HOST};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::documents::Replaced;
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

#[derive(Serialize)]
struct FileOut {
    name: String,
    url: String,
    size: u64,
    content_type: String,
}

#[derive(Serialize)]
struct DocumentOut {
    number: String,
    doc_type: String,
    summary: String,
    issuer: String,
    signer: String,
    issued: String,
    effective: String,
    expires: Option<String>,
    status: &'static str,
    status_label: &'static str,
    field: String,
    url: String,
    files: Vec<FileOut>,
    replaces: Vec<String>,
    amends: Vec<String>,
    guides: Vec<String>,
}

async fn register(app: &Arc<App>, headers: &HeaderMap) -> Result<Vec<DocumentOut>, HttpError> {
    let all = app
        .store
        .read(|tx| content::all_published(tx, Kind::LegalDocument))
        .await?;
    let (origin, today) = (origin(app, headers), app.today());
    let numbers: std::collections::HashMap<&str, &str> = all
        .iter()
        .filter_map(|p| {
            let d = p.revision.fields.legal.as_ref()?;
            Some((p.entry.slug.as_str(), d.number.as_str()))
        })
        .collect();
    let number_of = |slug: &String| numbers.get(slug.as_str()).map(|n| (*n).to_string());
    let replaced = Replaced::among(all.iter().filter_map(|p| p.revision.fields.legal.as_ref()));
    let mut out: Vec<DocumentOut> = all
        .iter()
        .filter_map(|p| {
            let d = p.revision.fields.legal.as_ref()?;
            let status = replaced.validity(&p.entry.slug, d, today);
            Some(DocumentOut {
                number: d.number.clone(),
                doc_type: d.doc_type.clone(),
                summary: p.revision.fields.title.clone(),
                issuer: d.issuer.clone(),
                signer: d.signer.clone(),
                issued: d.issued.to_string(),
                effective: d.effective.to_string(),
                expires: d.expires.map(|e| e.to_string()),
                status: status.as_str(),
                status_label: status.label(),
                field: d.field.clone(),
                url: format!("{origin}{}", p.url()),
                files: p
                    .revision
                    .fields
                    .attachments
                    .iter()
                    .map(|a| FileOut {
                        name: a.name.clone(),
                        url: format!("{origin}{}", crate::paths::blob(&a.blob, &a.name)),
                        size: a.size,
                        content_type: a.content_type.clone(),
                    })
                    .collect(),
                replaces: d.replaces.iter().filter_map(number_of).collect(),
                amends: d.amends.iter().filter_map(number_of).collect(),
                guides: d.guides.iter().filter_map(number_of).collect(),
            })
        })
        .collect();
    out.sort_by(|a, b| b.issued.cmp(&a.issued));
    Ok(out)
}

fn download(content_type: &'static str, disposition: &str, body: String) -> Response {
    (
        [
            (CONTENT_TYPE, content_type.to_string()),
            (CACHE_CONTROL, "public, no-cache".to_string()),
            (CONTENT_DISPOSITION, disposition.to_string()),
        ],
        body,
    )
        .into_response()
}

/// `GET /du-lieu/van-ban.json`
pub async fn documents_json(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let docs = register(&app, &headers).await?;
    let body =
        serde_json::to_string_pretty(&docs).map_err(|e| HttpError::Internal(e.to_string()))?;
    Ok(download(
        "application/json; charset=utf-8",
        "inline; filename=\"van-ban.json\"",
        body,
    ))
}

/// A CSV file to save: a byte-order mark (so spreadsheet programs read the Vietnamese
/// letters right), `header`, then one line per row, CRLF-terminated.
fn csv_download<const N: usize>(
    name: &str,
    header: &str,
    rows: impl Iterator<Item = [String; N]>,
) -> Response {
    let mut out = format!("\u{feff}{header}\r\n");
    for row in rows {
        let line: Vec<String> = row.iter().map(|f| crate::format::csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    download(
        "text/csv; charset=utf-8",
        &format!("attachment; filename=\"{name}\""),
        out,
    )
}

/// `GET /du-lieu/van-ban.csv` (UTF-8 with a byte-order mark, so spreadsheets read the
/// Vietnamese letters right).
pub async fn documents_csv(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let docs = register(&app, &headers).await?;
    let rows = docs.into_iter().map(|d| {
        let files: Vec<String> = d.files.iter().map(|f| f.url.clone()).collect();
        [
            d.number,
            d.doc_type,
            d.summary,
            d.issuer,
            d.signer,
            d.issued,
            d.effective,
            d.expires.unwrap_or_default(),
            d.status_label.to_string(),
            d.field,
            d.url,
            files.join(" "),
            d.replaces.join("; "),
            d.amends.join("; "),
            d.guides.join("; "),
        ]
    });
    let header = "So ky hieu,Hinh thuc,Trich yeu,Co quan ban hanh,Nguoi ky,Ngay ban hanh,Ngay hieu luc,Ngay het hieu luc,Tinh trang,Linh vuc,Duong dan,Tep toan van,Thay the,Sua doi,Huong dan";
    Ok(csv_download("van-ban.csv", header, rows))
}

#[derive(Serialize)]
struct ProcedureOut {
    code: String,
    name: String,
    field: String,
    level: String,
    submission: String,
    processing_time: String,
    fees: String,
    applicants: String,
    implementing_body: String,
    result: String,
    legal_basis: Vec<String>,
    portal_url: String,
    url: String,
    forms: Vec<FileOut>,
}

async fn catalogue(app: &Arc<App>, headers: &HeaderMap) -> Result<Vec<ProcedureOut>, HttpError> {
    let (all, documents) = app
        .store
        .read(|tx| -> Result<_, content::Error> {
            Ok((
                content::all_published(tx, Kind::Procedure)?,
                content::all_published(tx, Kind::LegalDocument)?,
            ))
        })
        .await?;
    let origin = origin(app, headers);
    Ok(all
        .iter()
        .filter_map(|e| {
            let p = e.revision.fields.procedure.as_ref()?;
            Some(ProcedureOut {
                code: p.code.clone(),
                name: e.revision.fields.title.clone(),
                field: p.field.clone(),
                level: p.level.clone(),
                submission: p.submission.clone(),
                processing_time: p.processing_time.clone(),
                fees: p.fees.clone(),
                applicants: p.applicants.clone(),
                implementing_body: p.implementing_body.clone(),
                result: p.result.clone(),
                legal_basis: p
                    .legal_basis
                    .iter()
                    .filter_map(|s| documents.iter().find(|d| &d.entry.slug == s))
                    .filter_map(|d| d.revision.fields.legal.as_ref().map(|l| l.number.clone()))
                    .collect(),
                portal_url: p.portal_url.clone(),
                url: format!("{origin}{}", e.url()),
                forms: e
                    .revision
                    .fields
                    .attachments
                    .iter()
                    .map(|a| FileOut {
                        name: a.name.clone(),
                        url: format!("{origin}{}", crate::paths::blob(&a.blob, &a.name)),
                        size: a.size,
                        content_type: a.content_type.clone(),
                    })
                    .collect(),
            })
        })
        .collect())
}

/// `GET /du-lieu/thu-tuc.json`
pub async fn procedures_json(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let items = catalogue(&app, &headers).await?;
    let body =
        serde_json::to_string_pretty(&items).map_err(|e| HttpError::Internal(e.to_string()))?;
    Ok(download(
        "application/json; charset=utf-8",
        "inline; filename=\"thu-tuc.json\"",
        body,
    ))
}

/// `GET /du-lieu/thu-tuc.csv`
pub async fn procedures_csv(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let items = catalogue(&app, &headers).await?;
    let rows = items.into_iter().map(|p| {
        [
            p.code,
            p.name,
            p.field,
            p.level,
            p.submission,
            p.processing_time,
            p.fees,
            p.applicants,
            p.implementing_body,
            p.result,
            p.legal_basis.join("; "),
            p.portal_url,
            p.url,
        ]
    });
    let header = "Ma thu tuc,Ten thu tuc,Linh vuc,Cap thuc hien,Cach thuc,Thoi han,Phi le phi,Doi tuong,Co quan thuc hien,Ket qua,Can cu phap ly,Cong dich vu cong,Duong dan";
    Ok(csv_download("thu-tuc.csv", header, rows))
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
