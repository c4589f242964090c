//! `/lich-cong-tac`: the leaders' schedule a week at a time (Monday to Sunday), with the
//! previous and next weeks one click away. `?tuan=2026-11-23` picks the week.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use jiff::civil::Date;
use serde::Serialize;

use super::cached;
use crate::app::App;
use crate::content::schedule::{monday_of, week_title};
use crate::content::{self, Kind};
use crate::http::error::HttpError;
use crate::http::params::Params;
use crate::render::views::Layout;
use crate::site;

#[derive(Serialize)]
struct ItemView {
    time: String,
    leaders: String,
    content: String,
    venue: String,
    attendees: String,
}

#[derive(Serialize)]
struct DayView {
    label: String,
    date_iso: String,
    today: bool,
    items: Vec<ItemView>,
}

#[derive(Serialize)]
struct WeekView {
    layout: Layout,
    heading: String,
    days: Vec<DayView>,
    empty: bool,
    prev: String,
    next: String,
    this_week: String,
}

fn week_url(monday: Date) -> String {
    format!("/lich-cong-tac?tuan={monday}")
}

/// `GET /lich-cong-tac?tuan=…`
pub async fn week(
    State(app): State<Arc<App>>,
    query: Params,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let day = query.date("tuan")?.unwrap_or_else(|| app.today());
    let monday = monday_of(day);
    let key = week_url(monday);
    cached(&app, &headers, key, || render_week(app.clone(), monday)).await
}

/// `GET /lich-cong-tac/{slug}`: the week of that entry.
pub async fn week_entry(
    State(app): State<Arc<App>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let found = app
        .store
        .read(move |tx| content::find_published(tx, Kind::ScheduleWeek, &slug))
        .await?
        .ok_or(HttpError::NotFound)?;
    let monday = found
        .revision
        .fields
        .schedule
        .as_ref()
        .map(|w| w.start)
        .ok_or(HttpError::NotFound)?;
    let key = week_url(monday);
    cached(&app, &headers, key, || render_week(app.clone(), monday)).await
}

async fn render_week(app: Arc<App>, monday: Date) -> Result<String, HttpError> {
    let (site, weeks) = app
        .store
        .read(move |tx| -> Result<_, content::Error> {
            let mut weeks = Vec::new();
            for id in content::schedule::entries_of_week(tx, monday)? {
                weeks.extend(content::published(tx, content::EntryId(id))?);
            }
            Ok((site::load(tx)?, weeks))
        })
        .await?;
    let items: Vec<_> = weeks
        .iter()
        .filter_map(|p| p.revision.fields.schedule.as_ref())
        .filter(|w| w.start == monday)
        .flat_map(|w| w.items.iter())
        .collect();
    let today = app.today();
    let days = (0..7)
        .filter_map(|n| monday.checked_add(jiff::Span::new().days(n)).ok())
        .map(|day| DayView {
            label: format!(
                "{}, {}",
                crate::format::weekday(day.weekday()),
                day.strftime("%d/%m/%Y")
            ),
            date_iso: day.to_string(),
            today: day == today,
            items: items
                .iter()
                .filter(|i| i.date == day)
                .map(|i| ItemView {
                    time: i.time.strftime("%H:%M").to_string(),
                    leaders: i.leaders.join(", "),
                    content: i.content.clone(),
                    venue: i.venue.clone(),
                    attendees: i.attendees.clone(),
                })
                .collect(),
        })
        .collect();
    let step = |days: i64| {
        monday
            .checked_add(jiff::Span::new().days(days))
            .unwrap_or(monday)
    };
    let heading = week_title(monday);
    let view = WeekView {
        layout: Layout::new(
            &site,
            app.origin(),
            &format!("Lịch công tác lãnh đạo – {heading}"),
            "/lich-cong-tac",
        )
        .with_site_dublin_core(crate::render::views::last_change(&weeks)),
        heading,
        empty: items.is_empty(),
        days,
        prev: week_url(step(-7)),
        next: week_url(step(7)),
        this_week: week_url(monday_of(today)),
    };
    Ok(app.renderer.render("public/schedule.html", &view)?)
}
