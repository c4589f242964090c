//! Static assets: embedded from `assets/static`, served at content-hashed URLs
//! (`/static/css/site.3f9a1c2b4d.css`) and cached by browsers for a year. The folder is
//! listed by rust-embed; there is no hand-kept list.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, VARY};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

use super::compress::{Encoding, Precompressed};
use super::error::HttpError;
use crate::app::App;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/assets/static"]
struct Embedded;

pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub struct Asset {
    body: Precompressed,
    compressible: bool,
    content_type: HeaderValue,
    etag: HeaderValue,
}

pub struct StaticAssets {
    /// Hashed path (`css/site.3f9a1c2b4d.css`) → asset.
    by_hashed: HashMap<String, Arc<Asset>>,
    /// Plain path (`css/site.css`) → URL (`/static/css/site.3f9a1c2b4d.css`).
    urls: HashMap<String, String>,
}

impl StaticAssets {
    /// The assets every site of the process serves: loaded (and compressed) once, on
    /// first use. They are the same bytes for every site.
    pub fn shared() -> Arc<StaticAssets> {
        static SHARED: std::sync::OnceLock<Arc<StaticAssets>> = std::sync::OnceLock::new();
        SHARED
            .get_or_init(|| Arc::new(StaticAssets::load()))
            .clone()
    }

    pub fn load() -> StaticAssets {
        let mut by_hashed = HashMap::new();
        let mut urls = HashMap::new();
        for path in Embedded::iter() {
            let Some(file) = Embedded::get(&path) else {
                continue;
            };
            let bytes = Bytes::from(file.data.into_owned());
            let digest = hex::encode(Sha256::digest(&bytes));
            let short = &digest[..10];
            let hashed = match path.rsplit_once('.') {
                Some((stem, ext)) => format!("{stem}.{short}.{ext}"),
                None => format!("{path}.{short}"),
            };
            let mime = mime_guess::from_path(path.as_ref()).first_or_octet_stream();
            let compressible = matches!(mime.type_(), mime_guess::mime::TEXT)
                || mime.subtype() == mime_guess::mime::JAVASCRIPT
                || mime.subtype() == mime_guess::mime::SVG
                || mime.subtype() == mime_guess::mime::JSON;
            let content_type = match mime.type_() {
                mime_guess::mime::TEXT => format!("{mime}; charset=utf-8"),
                _ if mime.subtype() == mime_guess::mime::JAVASCRIPT => {
                    "text/javascript; charset=utf-8".to_string()
                }
                _ => mime.to_string(),
            };
            let body = if compressible {
                Precompressed::new(bytes)
            } else {
                Precompressed {
                    identity: bytes,
                    gzip: Bytes::new(),
                    brotli: Bytes::new(),
                }
            };
            let asset = Asset {
                body,
                compressible,
                content_type: HeaderValue::from_str(&content_type)
                    .unwrap_or(HeaderValue::from_static("application/octet-stream")),
                etag: HeaderValue::from_str(&format!("\"{short}\""))
                    .unwrap_or(HeaderValue::from_static("\"0\"")),
            };
            urls.insert(path.to_string(), format!("/static/{hashed}"));
            by_hashed.insert(hashed, Arc::new(asset));
        }
        StaticAssets { by_hashed, urls }
    }

    /// The hashed URL of `path` (relative to `assets/static`).
    pub fn url(&self, path: &str) -> Option<String> {
        self.urls.get(path).cloned()
    }

    pub fn get(&self, hashed: &str) -> Option<Arc<Asset>> {
        self.by_hashed.get(hashed).cloned()
    }

    /// The bytes of `path` (relative to `assets/static`), as served.
    pub fn bytes(&self, path: &str) -> Option<Bytes> {
        let url = self.urls.get(path)?;
        let hashed = url.strip_prefix("/static/")?;
        Some(self.by_hashed.get(hashed)?.body.identity.clone())
    }
}

/// `GET /static/{*path}`
pub async fn serve(
    State(app): State<Arc<App>>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let asset = app.assets.get(&path).ok_or(HttpError::NotFound)?;
    let mut response_headers = HeaderMap::new();
    response_headers.insert(CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    response_headers.insert(ETAG, asset.etag.clone());
    if super::cache::etag_matches(&headers, &asset.etag) {
        return Ok((StatusCode::NOT_MODIFIED, response_headers).into_response());
    }
    response_headers.insert(CONTENT_TYPE, asset.content_type.clone());
    let encoding = if asset.compressible {
        response_headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
        asset.body.available(Encoding::negotiate(&headers))
    } else {
        Encoding::Identity
    };
    if let Some(name) = encoding.header() {
        response_headers.insert(CONTENT_ENCODING, HeaderValue::from_static(name));
    }
    Ok((response_headers, asset.body.get(encoding).clone()).into_response())
}
