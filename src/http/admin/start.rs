//! "Bắt đầu" (`/quan-tri/bat-dau`): the first-run checklist, from an empty install to
//! the agency's own site. Each item says what is missing and links to where it is done.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::views::AdminLayout;
use super::{Desk, page};
use crate::app::App;
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::params::Params;
use crate::ops::checklist::{self, Item};

pub const PATH: &str = "/quan-tri/bat-dau";
pub const IMPORT_DONE: &str = "/quan-tri/bat-dau/trang-cu";

#[derive(Serialize)]
struct StartView {
    layout: AdminLayout,
    items: Vec<Item>,
    left: usize,
    config_path: String,
}

/// `GET /quan-tri/bat-dau`
pub async fn checklist_page(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    let state = app.store.read(checklist::state).await?;
    let items = checklist::items(&state, &app.config);
    let view = StartView {
        layout: staff.layout("Bắt đầu").with_flash(query.flash()),
        left: items.iter().filter(|i| !i.done).count(),
        items,
        config_path: "/etc/trangtin/trangtin.toml".into(),
    };
    page(&app, "admin/start.html", &view, Outcome::Shown)
}

/// `POST /quan-tri/bat-dau/trang-cu`: the old site is brought in, or there is none.
pub async fn mark_import_done(
    State(app): State<Arc<App>>,
    staff: Desk,
) -> Result<Response, HttpError> {
    let (login, now) = (staff.user.login.clone(), app.clock.now());
    app.store
        .write(move |tx| checklist::mark_import_done(tx, &login, now))
        .await?;
    Ok(see_other(&format!("{PATH}?tb=da-ghi-nhan")))
}
