//! Uploaded files (`/tep/{hash}/{name}`): streamed from the blob store, cached for a
//! year (the URL names the content), documents offered as downloads.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE, ETAG};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncReadExt;

use crate::app::App;
use crate::http::assets::IMMUTABLE;
use crate::http::cache::etag_matches;
use crate::http::error::HttpError;
use crate::media::{self, Servable};
use crate::store::BlobHash;

const CHUNK: usize = 64 * 1024;

/// `GET /tep/{hash}/{name}`
pub async fn file(
    State(app): State<Arc<App>>,
    Path((hash, _name)): Path<(String, String)>,
    request: HeaderMap,
) -> Result<Response, HttpError> {
    let hash = BlobHash::try_from(hash).map_err(|_| HttpError::NotFound)?;
    let meta = servable(&app, &hash).await?;
    let etag = HeaderValue::from_str(&format!("\"{hash}\""))
        .map_err(|e| HttpError::Internal(e.to_string()))?;
    let mut headers = HeaderMap::new();
    headers.insert(CACHE_CONTROL, cache_lifetime(&app, &hash));
    headers.insert(ETAG, etag.clone());
    if etag_matches(&request, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    let path = app.store.blobs.path(&hash);
    // The database knows the blob but the file is gone: the integrity check's
    // business, and an internal error here.
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| HttpError::Internal(format!("blob {hash} unreadable: {e}")))?;
    describe(&mut headers, &meta);
    Ok((headers, Body::from_stream(chunks(file))).into_response())
}

/// A year, immutable, only for bytes checked against their name since the file was
/// last written; anything else is revalidated while a check runs in the background, so
/// no browser keeps bytes nobody has checked.
fn cache_lifetime(app: &App, hash: &BlobHash) -> HeaderValue {
    if app.store.blobs.is_checked(hash) {
        return HeaderValue::from_static(IMMUTABLE);
    }
    let (blobs, hash) = (app.store.blobs.clone(), hash.clone());
    tokio::task::spawn_blocking(move || match blobs.check(&hash) {
        Ok(true) => {}
        Ok(false) => tracing::error!(blob = %hash, "a stored file no longer matches its name"),
        Err(e) => tracing::warn!(blob = %hash, "cannot check a stored file: {e}"),
    });
    HeaderValue::from_static("public, no-cache")
}

/// The file's metadata, if it may be served. Bytes the integrity check found altered
/// are not handed out, not even to a browser that asks whether its copy is still good.
async fn servable(app: &App, hash: &BlobHash) -> Result<crate::store::BlobMeta, HttpError> {
    // Found altered by a check since it was last written: held at once, before the
    // daily check records the hold in the store.
    if app.store.blobs.is_known_altered(hash) {
        return Err(HttpError::HeldForReview);
    }
    let lookup = hash.clone();
    match app
        .store
        .read(move |tx| media::servable(tx, &lookup))
        .await?
    {
        Servable::Absent => Err(HttpError::NotFound),
        Servable::Held => Err(HttpError::HeldForReview),
        Servable::File(meta) => Ok(meta),
    }
}

/// The type, length and name of the file being sent.
fn describe(headers: &mut HeaderMap, meta: &crate::store::BlobMeta) {
    let content_type = HeaderValue::from_str(&meta.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(CONTENT_TYPE, content_type);
    headers.insert(CONTENT_LENGTH, HeaderValue::from(meta.size));
    headers.insert(
        CONTENT_DISPOSITION,
        disposition(&meta.content_type, &meta.original_name),
    );
}

/// Images and PDFs open in the browser (a decision is read, then perhaps saved);
/// everything else downloads under its original name.
fn disposition(content_type: &str, name: &str) -> HeaderValue {
    let kind = if content_type.starts_with("image/") || content_type == "application/pdf" {
        "inline"
    } else {
        "attachment"
    };
    let ascii: String = crate::paths::file_name(name);
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    HeaderValue::from_str(&format!(
        "{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or(HeaderValue::from_static("attachment"))
}

fn chunks(
    file: tokio::fs::File,
) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> {
    futures_util::stream::unfold(Some(file), |state| async move {
        let mut file = state?;
        let mut buf = vec![0u8; CHUNK];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_download_under_their_vietnamese_name() {
        let h = disposition("application/pdf", "Kế hoạch.pdf");
        let text = h.to_str().unwrap();
        assert!(
            text.starts_with("inline; filename=\"ke-hoach.pdf\""),
            "a PDF opens in the browser: {text}"
        );
        let h = disposition(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "Kế hoạch.docx",
        );
        assert!(
            h.to_str()
                .unwrap()
                .starts_with("attachment; filename=\"ke-hoach.docx\"")
        );
        assert!(
            text.contains("filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch.pdf"),
            "{text}"
        );
        assert!(
            disposition("image/jpeg", "a.jpg")
                .to_str()
                .unwrap()
                .starts_with("inline")
        );
    }
}
