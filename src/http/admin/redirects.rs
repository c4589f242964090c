//! "Chuyển hướng" (`/quan-tri/chuyen-huong`): the old addresses that answer 301, listed
//! and searched; administrators add, change and remove them.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::form::FormData;
use super::views::{AdminLayout, FieldError};
use super::{Desk, page};
use crate::app::App;
use crate::format;
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::params::Params;
use crate::redirects::{self, Redirect};

pub const PATH: &str = "/quan-tri/chuyen-huong";
pub const REMOVE: &str = "/quan-tri/chuyen-huong/xoa";

/// At most this many rows on the page; a search narrows it.
const SHOWN: usize = 500;

#[derive(Serialize)]
struct Row {
    /// `from`, as a query value (for the edit link).
    edit: String,
    from: String,
    to: String,
    note: String,
    by: String,
    at: String,
}

#[derive(Serialize, Default)]
struct Values {
    tu: String,
    den: String,
    ghi_chu: String,
}

#[derive(Serialize)]
struct RedirectsView {
    layout: AdminLayout,
    rows: Vec<Row>,
    found: usize,
    total: usize,
    search: String,
    values: Values,
    errors: Vec<FieldError>,
}

fn row(r: Redirect) -> Row {
    Row {
        edit: super::form::encode(&r.from),
        from: r.from,
        to: r.to,
        note: r.note,
        by: r.by,
        at: format::datetime(r.at),
    }
}

async fn redirects_page(
    app: &Arc<App>,
    staff: &Desk,
    search: String,
    values: Values,
    errors: Vec<FieldError>,
    flash: Option<&str>,
) -> Result<Response, HttpError> {
    let lookup = search.clone();
    let (found, total) = app
        .store
        .read(move |tx| redirects::list(tx, &lookup))
        .await?;
    let outcome = if errors.is_empty() {
        Outcome::Shown
    } else {
        Outcome::Invalid
    };
    let view = RedirectsView {
        layout: staff.layout("Chuyển hướng").with_flash(flash),
        found: found.len(),
        rows: found.into_iter().take(SHOWN).map(row).collect(),
        total,
        search,
        values,
        errors,
    };
    page(app, "admin/redirects.html", &view, outcome)
}

/// `GET /quan-tri/chuyen-huong` (`?q=` searches both addresses; `?sua=` fills the form).
pub async fn list(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    let search = query.text("q").unwrap_or_default().to_string();
    let mut values = Values::default();
    if let Some(from) = query.text("sua") {
        let from = from.to_string();
        let found = app.store.read(move |tx| redirects::get(tx, &from)).await?;
        if let Some(r) = found {
            values = Values {
                tu: r.from,
                den: r.to,
                ghi_chu: r.note,
            };
        }
    }
    redirects_page(&app, &staff, search, values, Vec::new(), query.flash()).await
}

/// `POST /quan-tri/chuyen-huong`: adds a redirect, or changes the one from `tu`.
pub async fn save(
    State(app): State<Arc<App>>,
    staff: Desk,
    form: FormData,
) -> Result<Response, HttpError> {
    let values = Values {
        tu: form.get("tu").trim().to_string(),
        den: form.get("den").trim().to_string(),
        ghi_chu: form.get("ghi_chu").trim().to_string(),
    };
    let (from, to, note) = (
        values.tu.clone(),
        values.den.clone(),
        values.ghi_chu.clone(),
    );
    let (login, now) = (staff.user.login.clone(), app.clock.now());
    let saved = app
        .store
        .write(move |tx| redirects::add(tx, &from, &to, &note, &login, now))
        .await;
    match saved {
        Ok(_) => Ok(see_other(&format!("{PATH}?tb=da-luu-chuyen-huong"))),
        Err(redirects::Error::Invalid(message)) => {
            let error = FieldError {
                field: "tu",
                message,
            };
            redirects_page(&app, &staff, String::new(), values, vec![error], None).await
        }
        Err(redirects::Error::Store(e)) => Err(e.into()),
    }
}

/// `POST /quan-tri/chuyen-huong/xoa`: removes the redirect from `tu`.
pub async fn remove(
    State(app): State<Arc<App>>,
    staff: Desk,
    form: FormData,
) -> Result<Response, HttpError> {
    let from = form.get("tu").to_string();
    let (login, now) = (staff.user.login.clone(), app.clock.now());
    app.store
        .write(move |tx| redirects::remove(tx, &from, &login, now))
        .await
        .map_err(|e| match e {
            redirects::Error::Store(e) => HttpError::from(e),
            redirects::Error::Invalid(_) => HttpError::BadRequest("bad redirect"),
        })?;
    Ok(see_other(&format!("{PATH}?tb=da-xoa-chuyen-huong")))
}
