//! The media library: uploads (type from content, images re-encoded, alt text required)
//! and the list of what is there.

use std::sync::Arc;

use axum::extract::{Multipart, State};
use axum::http::header::ACCEPT;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Serialize;

use super::pickers::{LibraryItem, json};
use super::views::AdminLayout;
use super::{Desk, PendingCsrf, page};
use crate::app::App;
use crate::format;
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::params::Params;
use crate::media::{self, Upload};
use crate::paths;

#[derive(Serialize)]
struct Item {
    name: String,
    url: String,
    thumb: Option<String>,
    alt: String,
    kind: String,
    size: String,
    dimensions: String,
    uploaded_by: String,
    uploaded_at: String,
    hash: String,
    /// Why its words cannot be searched (a scan), for PDF and DOCX files.
    searchable: Option<&'static str>,
}

#[derive(Serialize)]
struct MediaView {
    layout: AdminLayout,
    items: Vec<Item>,
    can_upload: bool,
    error: Option<&'static str>,
    show: String,
    max_image_mb: usize,
    max_document_mb: usize,
}

async fn media_page(
    app: &Arc<App>,
    staff: &Desk,
    show: String,
    flash: Option<&str>,
    error: Option<&'static str>,
) -> Result<Response, HttpError> {
    let filter = match show.as_str() {
        "anh" => Some(true),
        "tai-lieu" => Some(false),
        _ => None,
    };
    let all = app
        .store
        .read(move |tx| -> Result<_, crate::store::Error> {
            let mut all = Vec::new();
            for m in media::library(tx, filter)? {
                let text = crate::document_text::of(tx, &m.hash)?;
                all.push((m, text));
            }
            Ok(all)
        })
        .await?;
    let items = all
        .iter()
        .map(|(m, text)| Item {
            searchable: text
                .as_ref()
                .and_then(crate::document_text::DocumentText::warning),
            url: paths::blob(&m.hash, &m.original_name),
            thumb: m.content_type.starts_with("image/").then(|| {
                let small = m.variants.first().map_or(&m.hash, |v| &v.hash);
                paths::blob(small, &m.original_name)
            }),
            name: m.original_name.clone(),
            alt: m.alt.clone(),
            kind: m.content_type.clone(),
            size: format::file_size(m.size),
            dimensions: if m.width > 0 {
                format!("{} × {}", m.width, m.height)
            } else {
                String::new()
            },
            uploaded_by: m.uploaded_by.clone(),
            uploaded_at: format::datetime(m.uploaded_at),
            hash: m.hash.to_string(),
        })
        .collect();
    let view = MediaView {
        layout: staff.layout("Thư viện tệp").with_flash(flash),
        items,
        can_upload: staff.actor.may_create(),
        error,
        show,
        max_image_mb: media::MAX_IMAGE_BYTES / 1024 / 1024,
        max_document_mb: media::MAX_DOCUMENT_BYTES / 1024 / 1024,
    };
    let outcome = if error.is_some() {
        Outcome::Invalid
    } else {
        Outcome::Shown
    };
    page(app, "admin/media.html", &view, outcome)
}

/// `GET /quan-tri/tep`
pub async fn list_media(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    let show = query.get("loai").to_string();
    media_page(&app, &staff, show, query.flash(), None).await
}

const DISK_FULL: &str = "Máy chủ sắp hết chỗ lưu trữ nên tệp chưa được tải lên. Vui lòng báo quản trị viên giải phóng dung lượng đĩa.";

/// `POST /quan-tri/tep` (multipart: `csrf`, `alt`, `file`). The editor's image dialog
/// sends `Accept: application/json` and gets the stored file (or the refusal) as JSON;
/// the library page's form gets the page.
pub async fn upload_media(
    State(app): State<Arc<App>>,
    staff: Desk,
    PendingCsrf(expected): PendingCsrf,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, HttpError> {
    let wants_json = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let stored = store_upload(&app, &staff, &expected, multipart).await?;
    match (stored, wants_json) {
        (Ok(meta), true) => {
            let text = app
                .store
                .read({
                    let hash = meta.hash.clone();
                    move |tx| crate::document_text::of(tx, &hash)
                })
                .await?
                .map(|t| t.readable);
            Ok(json(
                StatusCode::OK,
                &serde_json::json!({ "item": LibraryItem::new(&meta, text) }),
            ))
        }
        (Ok(_), false) => Ok(see_other("/quan-tri/tep?tb=da-tai-len")),
        (Err(message), true) => Ok(json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &serde_json::json!({ "error": message }),
        )),
        (Err(message), false) => media_page(&app, &staff, String::new(), None, Some(message)).await,
    }
}

/// Reads, checks, re-encodes and stores one upload; the refusal, in Vietnamese, when
/// it is not taken.
async fn store_upload(
    app: &Arc<App>,
    staff: &Desk,
    expected: &str,
    multipart: Multipart,
) -> Result<Result<crate::store::BlobMeta, &'static str>, HttpError> {
    let upload = super::Upload::read(expected, multipart).await?;
    let alt = upload.text("alt").to_string();
    let (name, bytes) = (upload.file_name, upload.bytes);
    if name.is_empty() || bytes.is_empty() {
        return Ok(Err("Vui lòng chọn một tệp để tải lên."));
    }
    // A full disk breaks every write: refuse before it comes to that.
    let reserve = app.config.limits.disk_reserve_bytes;
    if let Some((free, total)) = crate::ops::doctor::free_space(&app.config.data)
        && !media::leaves_reserve(free, total, bytes.len() as u64, reserve)
    {
        tracing::warn!(free, "upload refused: the disk is nearly full");
        return Ok(Err(DISK_FULL));
    }
    let upload = Upload { name, bytes, alt };
    let prepared = tokio::task::spawn_blocking(move || media::prepare(upload))
        .await
        .map_err(|e| HttpError::Internal(e.to_string()))?;
    let prepared = match prepared {
        Ok(p) => p,
        Err(media::Error::Refused(message)) => return Ok(Err(message)),
        Err(other) => return Err(other.into()),
    };
    let (blobs, by, now) = (
        app.store.blobs.clone(),
        staff.user.name.clone(),
        app.clock.now(),
    );
    let meta = app
        .store
        .write(move |tx| media::store(tx, &blobs, prepared, &by, now))
        .await?;
    Ok(Ok(meta))
}
