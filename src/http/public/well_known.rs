//! `/.well-known/security.txt` (RFC 9116): where to report a vulnerability, from the
//! `[security_txt]` config, falling back to the agency's email.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use jiff::SignedDuration;

use crate::app::App;
use crate::http::error::HttpError;

/// How far ahead `Expires` is put when the config names no date.
const DEFAULT_VALIDITY: SignedDuration = SignedDuration::from_hours(180 * 24);

/// The fields of RFC 9116, in its order.
fn security_txt_body(
    config: &crate::config::Config,
    contacts: &[String],
    expires: jiff::Timestamp,
) -> String {
    let security = &config.security_txt;
    let mut out = String::new();
    for contact in contacts {
        out.push_str(&format!("Contact: {contact}\n"));
    }
    out.push_str(&format!(
        "Expires: {}\n",
        expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    ));
    if let Some(policy) = &security.policy {
        out.push_str(&format!("Policy: {policy}\n"));
    }
    if let Some(thanks) = &security.acknowledgments {
        out.push_str(&format!("Acknowledgments: {thanks}\n"));
    }
    out.push_str(&format!(
        "Preferred-Languages: {}\n",
        security.preferred_languages
    ));
    if let Some(origin) = config.base_url.as_deref() {
        out.push_str(&format!("Canonical: {origin}/.well-known/security.txt\n"));
    }
    out
}

/// `GET /.well-known/security.txt`
pub async fn security_txt(State(app): State<Arc<App>>) -> Result<Response, HttpError> {
    let config = &app.config.security_txt;
    let mut contacts = config.contact.clone();
    if contacts.is_empty() {
        let email = app.store.read(crate::site::load).await?.email;
        if email.trim().is_empty() {
            return Err(HttpError::NotFound);
        }
        contacts.push(format!("mailto:{}", email.trim()));
    }
    let now = app.clock.now();
    let expires = match config.expires {
        Some(date) => date
            .at(23, 59, 59, 0)
            .to_zoned_datetime(crate::format::vietnam())
            .map_or(now, |z| z.timestamp()),
        None => now.checked_add(DEFAULT_VALIDITY).unwrap_or(now),
    };
    let out = security_txt_body(&app.config, &contacts, expires);
    Ok((
        [
            (CONTENT_TYPE, "text/plain; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        out,
    )
        .into_response())
}

/// `GET /favicon.ico`: browsers and crawlers ask for it without reading the page's
/// icon link; they are sent to the site's logo, or to the emblem when it has none.
pub async fn favicon(State(app): State<Arc<App>>) -> Result<Response, HttpError> {
    let logo = app.store.read(crate::site::load).await?.logo;
    let target = match logo {
        Some(hash) => format!("/tep/{hash}/logo.png"),
        None => app
            .assets
            .url("img/emblem.svg")
            .unwrap_or_else(|| "/static/img/emblem.svg".to_string()),
    };
    axum::response::Response::builder()
        .status(axum::http::StatusCode::MOVED_PERMANENTLY)
        .header(axum::http::header::LOCATION, target)
        .header(axum::http::header::CACHE_CONTROL, "public, max-age=86400")
        .body(axum::body::Body::empty())
        .map_err(|e| HttpError::Internal(e.to_string()))
}

/// `GET /apple-touch-icon.png` (180 px) and `GET /icon-192.png`: the icons phones put
/// on a home screen, made from the site's logo, or from the emblem when it has none
/// (or its logo cannot be read). Each is made once per logo and size, then kept.
pub async fn touch_icon(
    State(app): State<Arc<App>>,
    uri: axum::http::Uri,
) -> Result<Response, HttpError> {
    type Made = std::sync::Mutex<Vec<(String, u32, bytes::Bytes)>>;
    static MADE: std::sync::OnceLock<Made> = std::sync::OnceLock::new();
    let side = if uri.path() == "/icon-192.png" {
        192
    } else {
        180
    };
    let logo = app.store.read(crate::site::load).await?.logo;
    let source = logo.clone().unwrap_or_else(|| "emblem".to_string());
    let made = MADE.get_or_init(Made::default);
    let known = made
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .find(|(s, n, _)| *s == source && *n == side)
        .map(|(_, _, png)| png.clone());
    let png = if let Some(png) = known {
        png
    } else {
        let path = logo
            .and_then(|hash| crate::store::BlobHash::try_from(hash).ok())
            .map(|hash| app.store.blobs.path(&hash));
        let emblem = app.assets.bytes("img/emblem-512.png");
        let png = tokio::task::spawn_blocking(move || {
            path.and_then(|p| std::fs::read(p).ok())
                .and_then(|bytes| crate::media::square_icon(&bytes, side).ok())
                .or_else(|| crate::media::square_icon(&emblem?, side).ok())
        })
        .await
        .map_err(|e| HttpError::Internal(e.to_string()))?
        .ok_or(HttpError::NotFound)?;
        let png = bytes::Bytes::from(png);
        let mut made = made
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A few logos over the site's life: keep the latest handful.
        if made.len() >= 8 {
            made.remove(0);
        }
        made.push((source, side, png.clone()));
        png
    };
    Ok((
        [
            (CONTENT_TYPE, "image/png"),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        png,
    )
        .into_response())
}
