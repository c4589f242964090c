//! `/thu/ngung/{token}`: a citizen stops the messages about their question. The link
//! in each message opens a page with one button (a link alone must not act: mail
//! scanners follow links); pressing it withdraws the consent and drops what waits.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde::Serialize;

use crate::app::App;
use crate::citizen::questions;
use crate::http::admin::page;
use crate::http::error::{HttpError, Outcome};
use crate::http::frame::check_origin;
use crate::render::views::Layout;
use crate::site;

pub const STOP: &str = "/thu/ngung/{token}";

#[derive(Serialize)]
struct StopView {
    layout: Layout,
    action: String,
    done: bool,
}

async fn stop_page(app: &Arc<App>, token: &str, done: bool) -> Result<Response, HttpError> {
    let site = app.store.read(site::load).await?;
    let view = StopView {
        layout: Layout::new(&site, app.origin(), "Ngừng nhận thư", "/thu/ngung")
            .without_canonical(),
        action: format!("/thu/ngung/{token}"),
        done,
    };
    page(app, "public/mail_stop.html", &view, Outcome::Shown)
}

/// `GET /thu/ngung/{token}`
pub async fn stop_form(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
) -> Result<Response, HttpError> {
    if token.len() < 16 || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(HttpError::NotFound);
    }
    stop_page(&app, &token, false).await
}

/// `POST /thu/ngung/{token}`
pub async fn stop(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    uri: Uri,
    Path(token): Path<String>,
) -> Result<Response, HttpError> {
    check_origin(&headers, &uri)?;
    let key = token.clone();
    let stopped = app
        .store
        .write(move |tx| questions::stop_mail(tx, &key))
        .await
        .map_err(|e| HttpError::Internal(e.to_string()))?;
    if !stopped {
        return Err(HttpError::NotFound);
    }
    tracing::info!("a citizen stopped the mail about their question");
    stop_page(&app, &token, true).await
}
