//! "Phiên đăng nhập": where this person is signed in, and ending any of it.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::form::FormData;
use super::views::AdminLayout;
use super::{Desk, SignedIn, page};
use crate::app::App;
use crate::auth::{accounts, session};
use crate::format;
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::params::Params;

pub const PATH: &str = "/quan-tri/phien";

#[derive(Serialize)]
struct Row {
    id: String,
    device: String,
    user_agent: String,
    ip: String,
    started: String,
    last_seen: String,
    current: bool,
}

#[derive(Serialize)]
struct SessionsView {
    layout: AdminLayout,
    rows: Vec<Row>,
    idle_minutes: i64,
    absolute_hours: i64,
}

/// "Chrome trên Windows" from a User-Agent; good enough to tell one's devices apart.
pub fn describe_device(user_agent: &str) -> String {
    let ua = user_agent;
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("coc_coc_browser") {
        "Cốc Cốc"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else if ua.is_empty() {
        return "Không rõ thiết bị".to_string();
    } else {
        "Trình duyệt khác"
    };
    let system = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS") {
        "macOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        return browser.to_string();
    };
    format!("{browser} trên {system}")
}

impl Row {
    fn of(l: session::Listed) -> Row {
        Row {
            device: describe_device(&l.session.device),
            user_agent: l.session.device,
            ip: l.session.ip,
            started: format::datetime(l.session.created_at),
            last_seen: format::datetime(l.session.last_seen),
            current: l.current,
            id: l.id,
        }
    }
}

/// `GET /quan-tri/phien`
pub async fn list_sessions(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    let (user, token, now, life) = (
        staff.user.id,
        staff.token.clone(),
        app.clock.now(),
        app.config.sessions,
    );
    let listed = app
        .store
        .read(move |tx| session::list_for(tx, user, &token, now, &life))
        .await?;
    let view = SessionsView {
        layout: staff.layout("Phiên đăng nhập").with_flash(query.flash()),
        rows: listed.into_iter().map(Row::of).collect(),
        idle_minutes: life.idle.as_mins(),
        absolute_hours: life.absolute.as_hours(),
    };
    page(&app, "admin/sessions.html", &view, Outcome::Shown)
}

/// `POST /quan-tri/phien` — ends one session (`id`) or every other one (`khac`).
pub async fn revoke_sessions(
    State(app): State<Arc<App>>,
    SignedIn(staff): SignedIn,
    form: FormData,
) -> Result<Response, HttpError> {
    let id = form.get("id").to_string();
    let others = form.has("khac");
    if !others && id.is_empty() {
        return Err(HttpError::BadRequest("no session named"));
    }
    let (by, token, now) = (staff.actor.clone(), staff.token.clone(), app.clock.now());
    app.store
        .write(move |tx| {
            if others {
                accounts::end_other_sessions(tx, &by, &token, now)
            } else {
                accounts::end_own_session(tx, &by, &id, now)
            }
        })
        .await?;
    // Ending the session this page came from is a logout; the guard sends the next
    // request to the login page.
    Ok(see_other(&format!("{PATH}?tb=da-dong-phien")))
}
