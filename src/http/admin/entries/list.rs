//! `GET /quan-tri/bai-viet`: every entry this person may see, filtered and paginated.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::super::views::AdminLayout;
use super::super::{Desk, page};
use super::{Choice, PER_PAGE, Row, row};
use crate::app::App;
use crate::auth::{self};
use crate::content::editorial::{self};
use crate::content::{self, Entry, Kind, Revision, State as EntryState};
use crate::http::error::{HttpError, Outcome};
use crate::http::params::Params;
use crate::workflow::{self};

#[derive(Serialize, Default, Clone)]
pub(super) struct Filters {
    pub(super) kind: String,
    pub(super) state: String,
    pub(super) unit: String,
    pub(super) category: String,
    pub(super) author: String,
    pub(super) text: String,
}

impl Filters {
    pub(super) fn from_query(params: &Params) -> (Filters, usize) {
        let text = |name| params.get(name).to_string();
        let filters = Filters {
            kind: text("loai"),
            state: text("trang_thai"),
            unit: text("don_vi"),
            category: text("chuyen_muc"),
            author: text("tac_gia"),
            text: text("q"),
        };
        (
            filters,
            params.number("trang").unwrap_or(1).clamp(1, 10_000),
        )
    }

    pub(super) fn query(&self) -> String {
        let enc = super::super::form::encode;
        format!(
            "loai={}&trang_thai={}&don_vi={}&chuyen_muc={}&tac_gia={}&q={}",
            enc(&self.kind),
            enc(&self.state),
            enc(&self.unit),
            enc(&self.category),
            enc(&self.author),
            enc(&self.text)
        )
    }

    pub(super) fn admits(&self, entry: &Entry, revision: &Revision) -> bool {
        let folded = |s: &str| crate::content::slug::slugify(s);
        (self.kind.is_empty() || entry.kind.as_str() == self.kind)
            && (self.state.is_empty() || state_key(entry.state) == self.state)
            && (self.unit.is_empty()
                || entry.unit.map(|u| u.to_string()) == Some(self.unit.clone()))
            && (self.category.is_empty()
                || entry.category.as_deref() == Some(self.category.as_str()))
            && (self.author.is_empty()
                || folded(&revision.saved_by).contains(&folded(&self.author))
                || folded(&revision.fields.author).contains(&folded(&self.author)))
            && (self.text.is_empty()
                || folded(&revision.fields.title).contains(&folded(&self.text))
                || folded(&revision.fields.summary).contains(&folded(&self.text)))
    }
}

pub(super) fn state_key(state: EntryState) -> String {
    serde_json::to_value(state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[derive(Serialize)]
pub(super) struct ListView {
    pub(super) layout: AdminLayout,
    pub(super) filters: Filters,
    pub(super) rows: Vec<Row>,
    pub(super) total: usize,
    pub(super) page: usize,
    pub(super) pages: usize,
    pub(super) prev: Option<String>,
    pub(super) next: Option<String>,
    pub(super) kinds: Vec<Choice>,
    pub(super) states: Vec<Choice>,
    pub(super) units: Vec<Choice>,
    pub(super) categories: Vec<Choice>,
}

/// `GET /quan-tri/bai-viet` — every entry, filtered and paginated.
pub async fn list_entries(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    let (filters, page_no) = Filters::from_query(&query);
    let (actor, now) = (staff.actor.clone(), app.clock.now());
    let f = filters.clone();
    let units = app.store.read(auth::units).await?;
    let categories = app.store.read(content::categories).await?;
    let rows: Vec<Row> = app
        .store
        .read(move |tx| editorial::all_seen_by(tx, &actor))
        .await?
        .iter()
        .filter(|(entry, revision)| f.admits(entry, revision))
        .map(|(entry, revision)| row(entry, revision, &units, &categories, Vec::new(), now))
        .collect();
    let total = rows.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page_no = page_no.min(pages);
    let base = format!("/quan-tri/bai-viet?{}", filters.query());
    let view = ListView {
        layout: staff.layout("Danh sách bài"),
        rows: rows
            .into_iter()
            .skip((page_no - 1) * PER_PAGE)
            .take(PER_PAGE)
            .collect(),
        total,
        page: page_no,
        pages,
        prev: (page_no > 1).then(|| format!("{base}&trang={}", page_no - 1)),
        next: (page_no < pages).then(|| format!("{base}&trang={}", page_no + 1)),
        kinds: Kind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str().into(),
                label: k.label().into(),
            })
            .collect(),
        states: [
            EntryState::Draft,
            EntryState::Submitted,
            EntryState::InReview,
            EntryState::Returned,
            EntryState::Approved,
            EntryState::Scheduled,
            EntryState::Published,
            EntryState::Withdrawn,
        ]
        .iter()
        .map(|s| Choice {
            value: state_key(*s),
            label: workflow::state_label(*s).into(),
        })
        .collect(),
        units: units
            .iter()
            .map(|u| Choice {
                value: u.id.0.to_string(),
                label: u.name.clone(),
            })
            .collect(),
        categories: categories
            .iter()
            .map(|c| Choice {
                value: c.slug.clone(),
                label: c.name.clone(),
            })
            .collect(),
        filters,
    };
    page(&app, "admin/entries.html", &view, Outcome::Shown)
}
