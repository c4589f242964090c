//! "Thời hạn cập nhật" (A2, D1–D6): items published late against their legal deadline
//! in working days, items still unpublished past it, and standing pages nobody has
//! changed or confirmed for months, with a button to confirm one is still accurate.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;

use super::views::AdminLayout;
use super::{Desk, SignedIn, page};
use crate::app::App;
use crate::content::{EntryId, deadlines};
use crate::format;
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::params::Params;

pub const PATH: &str = "/quan-tri/thoi-han";

#[derive(Serialize)]
struct LateRow {
    id: u64,
    title: String,
    kind: &'static str,
    source_date: String,
    due: String,
    published: Option<String>,
    late_by: u32,
}

#[derive(Serialize)]
struct StaleRow {
    id: u64,
    title: String,
    url: String,
    last: String,
}

#[derive(Serialize)]
struct DeadlinesView {
    layout: AdminLayout,
    late: Vec<LateRow>,
    stale: Vec<StaleRow>,
    review_months: u32,
    calendar_missing_year: Option<i16>,
}

/// `GET /quan-tri/thoi-han`
pub async fn deadlines_page(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    let (rules, calendar, today, now) = (
        app.config.deadlines,
        app.config.calendar.clone(),
        app.today(),
        app.clock.now(),
    );
    let actor = staff.actor.clone();
    let cal = calendar.clone();
    let (late, stale) = app
        .store
        .read(move |tx| deadlines::for_actor(tx, &actor, &rules, &cal, today, now))
        .await?;
    let year = today.year();
    let view = DeadlinesView {
        layout: staff.layout("Thời hạn cập nhật").with_flash(query.flash()),
        late: late
            .into_iter()
            .map(|t| LateRow {
                id: t.entry.id.0,
                title: t.title,
                kind: t.entry.kind.label(),
                source_date: format::civil_date(t.source_date),
                due: format::civil_date(t.due),
                published: t.published_on.map(format::civil_date),
                late_by: t.late_by,
            })
            .collect(),
        stale: stale
            .into_iter()
            .map(|s| StaleRow {
                id: s.entry.id.0,
                url: s.entry.kind.url(&s.entry.slug),
                title: s.title,
                last: format::date(s.last),
            })
            .collect(),
        review_months: rules.review_months,
        calendar_missing_year: (!app.config.calendar.knows_year(year)).then_some(year),
    };
    page(&app, "admin/deadlines.html", &view, Outcome::Shown)
}

/// `POST /quan-tri/bai-viet/{id}/ra-soat`: the live page is still accurate (D1).
pub async fn mark_reviewed(
    State(app): State<Arc<App>>,
    SignedIn(staff): SignedIn,
    Path(id): Path<u64>,
) -> Result<Response, HttpError> {
    let (by, now) = (staff.actor.clone(), app.clock.now());
    app.store
        .write(move |tx| deadlines::mark_reviewed(tx, &by, EntryId(id), now))
        .await?;
    Ok(see_other(&format!("{PATH}?tb=da-ra-soat")))
}
