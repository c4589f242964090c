//! What the editor's dialogs ask of the server: the library by search (images with
//! thumbnails for the image dialog and the cover picker, documents for attachments),
//! the site's own published entries (for the link dialog) and the register's legal
//! documents (for relations and a procedure's legal basis). JSON, for the editor's
//! script; every page also works without it.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::Desk;
use crate::app::App;
use crate::content::{self, Kind, slug::slugify};
use crate::document_text::{self, Readable};
use crate::http::error::HttpError;
use crate::http::params::Params;
use crate::store::BlobMeta;
use crate::{format, media, paths};

/// How many results a picker shows at once.
const RESULTS: usize = 24;

/// A library file as the dialogs show it.
#[derive(Debug, Serialize)]
pub struct LibraryItem {
    pub hash: String,
    pub name: String,
    pub alt: String,
    pub url: String,
    /// The smallest copy, for a thumbnail (images only).
    pub thumb: Option<String>,
    pub width: u32,
    pub height: u32,
    pub srcset: String,
    pub sizes: &'static str,
    pub size: String,
    /// Whether its words are searchable (PDF and DOCX); `None` for other files.
    pub searchable: Option<bool>,
}

impl LibraryItem {
    pub fn new(m: &BlobMeta, text: Option<Readable>) -> LibraryItem {
        let image = m.content_type.starts_with("image/");
        LibraryItem {
            hash: m.hash.to_string(),
            name: m.original_name.clone(),
            alt: m.alt.clone(),
            url: paths::blob(&m.hash, &m.original_name),
            thumb: image.then(|| {
                let small = m.variants.first().map_or(&m.hash, |v| &v.hash);
                paths::blob(small, &m.original_name)
            }),
            width: m.width,
            height: m.height,
            srcset: media::srcset(&m.hash, m.width, &m.variants, &m.original_name),
            sizes: media::BODY_SIZES,
            size: format::file_size(m.size),
            searchable: text.map(|r| r == Readable::Text),
        }
    }
}

#[derive(Serialize)]
struct Items<T> {
    items: Vec<T>,
}

pub fn json(status: StatusCode, body: &impl Serialize) -> Response {
    (
        status,
        [
            (CONTENT_TYPE, "application/json; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
        ],
        serde_json::to_string(body).unwrap_or_default(),
    )
        .into_response()
}

/// Whether every word of `query` is in `text`, ignoring case and diacritics ("hoi
/// thao" finds "Hội thảo").
pub fn matches(query: &str, text: &str) -> bool {
    let text = slugify(text);
    let text: Vec<&str> = text.split('-').collect();
    slugify(query)
        .split('-')
        .filter(|w| !w.is_empty())
        .all(|word| text.iter().any(|t| t.starts_with(word)))
}

/// `GET /quan-tri/tep/tim?q=…&loai=anh|tai-lieu`: the newest matching library files.
pub async fn find_media(
    State(app): State<Arc<App>>,
    _staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    let images = match query.get("loai") {
        "anh" => Some(true),
        "tai-lieu" => Some(false),
        _ => None,
    };
    let q = query.get("q").to_string();
    let items = app
        .store
        .read(move |tx| -> Result<_, crate::store::Error> {
            let mut items = Vec::new();
            for m in media::library(tx, images)? {
                if !matches(&q, &format!("{} {}", m.original_name, m.alt)) {
                    continue;
                }
                let text = document_text::of(tx, &m.hash)?.map(|t| t.readable);
                items.push(LibraryItem::new(&m, text));
                if items.len() == RESULTS {
                    break;
                }
            }
            Ok(items)
        })
        .await?;
    Ok(json(StatusCode::OK, &Items { items }))
}

#[derive(Serialize)]
struct EntryItem {
    title: String,
    url: String,
    kind: &'static str,
    date: String,
}

/// `GET /quan-tri/bai-viet/tim?q=…`: published entries, for links within the site.
pub async fn find_entries(
    State(app): State<Arc<App>>,
    _staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    let q = query.get("q").trim().to_string();
    let ids: Option<Vec<content::EntryId>> = if q.is_empty() {
        None
    } else {
        app.search_repair.available()?;
        let search = app.search.clone();
        let hits = tokio::task::spawn_blocking(move || search.search(&q, None, 0, RESULTS))
            .await
            .map_err(|e| HttpError::Internal(e.to_string()))?
            .map_err(|e| app.search_repair.search_failed(&e))?;
        Some(hits.hits.into_iter().map(|h| h.id).collect())
    };
    let items = app
        .store
        .read(move |tx| -> Result<_, content::Error> {
            let found = match ids {
                Some(ids) => {
                    let mut found = Vec::new();
                    for id in ids {
                        found.extend(content::published(tx, id)?);
                    }
                    found
                }
                None => {
                    content::list_published(tx, content::List::Kind(Kind::Article), 1, RESULTS)?
                        .items
                }
            };
            Ok(found
                .into_iter()
                .map(|p| EntryItem {
                    url: p.url(),
                    kind: p.entry.kind.label(),
                    date: p.entry.published_at.map(format::date).unwrap_or_default(),
                    title: p.revision.fields.title,
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(json(StatusCode::OK, &Items { items }))
}

/// A listed legal document, as the relation picker shows it.
#[derive(Serialize)]
struct LegalItem {
    slug: String,
    /// "Số ký hiệu — trích yếu", as the relation lists show it.
    label: String,
    issued: String,
}

/// `GET /quan-tri/van-ban/tim?q=…`: legal documents of the register by number or
/// trích yếu (the newest without a query).
pub async fn find_legal(
    State(app): State<Arc<App>>,
    _staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    let q = query.get("q").trim().to_string();
    let found: Option<Vec<u64>> = if q.is_empty() {
        None
    } else {
        app.search_repair.available()?;
        let search = app.search.clone();
        let hits = tokio::task::spawn_blocking(move || {
            search.search(&q, Some(Kind::LegalDocument), 0, RESULTS)
        })
        .await
        .map_err(|e| HttpError::Internal(e.to_string()))?
        .map_err(|e| app.search_repair.search_failed(&e))?;
        Some(hits.hits.into_iter().map(|h| h.id.0).collect())
    };
    let items = app
        .store
        .read(move |tx| -> Result<_, content::Error> {
            let ids = match found {
                Some(ids) => ids,
                None => content::register::page(tx, content::register::ALL, 0, RESULTS)?,
            };
            let mut items = Vec::with_capacity(ids.len());
            for id in ids {
                // A hit the register no longer lists (withdrawn meanwhile) is left out.
                if let Some(row) = content::register::row(tx, id)? {
                    items.push(LegalItem {
                        label: legal_label(&row),
                        issued: format::civil_date(row.legal.issued),
                        slug: row.slug,
                    });
                }
            }
            Ok(items)
        })
        .await?;
    Ok(json(StatusCode::OK, &Items { items }))
}

/// How a legal document is named in the relation lists: its number, then its trích yếu.
pub fn legal_label(row: &content::register::Row) -> String {
    format!("{} — {}", row.legal.number, row.title)
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn search_ignores_case_and_diacritics() {
        assert!(matches("hoi thao", "Hội thảo khoa học.jpg"));
        assert!(matches("HỘI", "hội thảo"));
        assert!(matches("", "anything"));
        assert!(!matches("lan", "hội thảo"));
    }
}
