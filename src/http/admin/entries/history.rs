//! Revisions: the list, a side-by-side comparison, and restoring an old one.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;

use super::super::form::FormData;
use super::super::views::AdminLayout;
use super::super::{Desk, SignedIn, page};
use crate::app::App;
use crate::content::editorial::{self};
use crate::content::{self, Entry, EntryId, Revision, RevisionId};
use crate::format;
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::params::Params;
use crate::workflow::{self, Action};

#[derive(Serialize)]
pub(super) struct RevisionRow {
    pub(super) id: u64,
    pub(super) saved_by: String,
    pub(super) at: String,
    pub(super) hash: String,
    pub(super) title: String,
    pub(super) current: bool,
    pub(super) live: bool,
}

#[derive(Serialize)]
pub(super) struct DiffRow {
    pub(super) field: &'static str,
    pub(super) left: String,
    pub(super) right: String,
    pub(super) changed: bool,
}

#[derive(Serialize)]
pub(super) struct HistoryView {
    pub(super) layout: AdminLayout,
    pub(super) id: u64,
    pub(super) title: String,
    pub(super) revisions: Vec<RevisionRow>,
    pub(super) can_restore: bool,
    pub(super) diff: Option<(u64, u64)>,
    pub(super) rows: Vec<DiffRow>,
}

impl HistoryView {
    /// The revisions of `entry`, newest first, and the comparison of revisions `a` and
    /// `b` when both are named.
    fn new(
        layout: AdminLayout,
        entry: &Entry,
        revisions: &[Revision],
        (a, b): (Option<u64>, Option<u64>),
        can_restore: bool,
    ) -> HistoryView {
        let find = |n: Option<u64>| n.and_then(|n| revisions.iter().find(|r| r.id.0 == n));
        let (left, right) = (find(a), find(b));
        HistoryView {
            layout,
            id: entry.id.0,
            title: revisions
                .first()
                .map(|r| r.fields.title.clone())
                .unwrap_or_default(),
            revisions: revisions
                .iter()
                .map(|r| RevisionRow {
                    id: r.id.0,
                    saved_by: r.saved_by.clone(),
                    at: format::datetime(r.created_at),
                    hash: r.hash.chars().take(12).collect(),
                    title: r.fields.title.clone(),
                    current: r.id == entry.working,
                    live: Some(r.id) == entry.published,
                })
                .collect(),
            can_restore,
            diff: left.zip(right).map(|(l, r)| (l.id.0, r.id.0)),
            rows: left
                .zip(right)
                .map(|(l, r)| diff_rows(l, r))
                .unwrap_or_default(),
        }
    }
}

/// `GET /quan-tri/bai-viet/{id}/lich-su?a=&b=` — revisions and a side-by-side diff.
pub async fn entry_history(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(id): Path<u64>,
    query: Params,
) -> Result<Response, HttpError> {
    let id = EntryId(id);
    let (a, b) = (query.number::<u64>("a"), query.number::<u64>("b"));
    let actor = staff.actor.clone();
    let entry = app
        .store
        .read(move |tx| editorial::seen_by(tx, &actor, id))
        .await?;
    let revisions = app
        .store
        .read(move |tx| editorial::revisions(tx, id))
        .await?;
    // Restoring makes a new working revision: whoever may save the entry may do it.
    let can_restore = workflow::available(&staff.actor, &editorial::facts(&entry), app.today())
        .contains(&Action::Save);
    let layout = staff.layout("Lịch sử phiên bản");
    let view = HistoryView::new(layout, &entry, &revisions, (a, b), can_restore);
    page(&app, "admin/history.html", &view, Outcome::Shown)
}

/// Field by field, and the body line by line (one block element per line).
pub(super) fn diff_rows(left: &Revision, right: &Revision) -> Vec<DiffRow> {
    let (l, r) = (&left.fields, &right.fields);
    let mut rows = Vec::new();
    let mut field = |name: &'static str, a: &str, b: &str| {
        rows.push(DiffRow {
            field: name,
            left: a.to_string(),
            right: b.to_string(),
            changed: a != b,
        });
    };
    field("Tiêu đề", &l.title, &r.title);
    field("Tóm tắt", &l.summary, &r.summary);
    field("Tác giả", &l.author, &r.author);
    field("Nguồn", &l.source, &r.source);
    let cover = |f: &content::Fields| f.cover.as_ref().map(|c| c.alt.clone()).unwrap_or_default();
    field("Ảnh đại diện", &cover(l), &cover(r));
    let files = |f: &content::Fields| {
        f.attachments
            .iter()
            .map(|a| a.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    field("Tệp đính kèm", &files(l), &files(r));
    let lines = |html: &str| {
        html.replace("</p>", "</p>\n")
            .replace("</h2>", "</h2>\n")
            .replace("</h3>", "</h3>\n")
            .replace("</li>", "</li>\n")
            .replace("</tr>", "</tr>\n")
    };
    let (a, b) = (lines(&l.body_html), lines(&r.body_html));
    let diff = similar::TextDiff::from_lines(&a, &b);
    for op in diff.ops() {
        let old: String = diff.old_slices()[op.old_range()].concat();
        let new: String = diff.new_slices()[op.new_range()].concat();
        rows.push(DiffRow {
            field: "Nội dung",
            changed: old != new,
            left: old,
            right: new,
        });
    }
    rows
}

/// `POST /quan-tri/bai-viet/{id}/khoi-phuc` — an old revision becomes a new one.
pub async fn restore_revision(
    State(app): State<Arc<App>>,
    SignedIn(staff): SignedIn,
    Path(id): Path<u64>,
    form: FormData,
) -> Result<Response, HttpError> {
    let id = EntryId(id);
    let old = RevisionId(
        form.get("revision")
            .parse()
            .map_err(|_| HttpError::BadRequest("revision"))?,
    );
    let (actor, today, now) = (staff.actor.clone(), app.today(), app.clock.now());
    app.write_and_refresh(id, move |tx| {
        editorial::restore(tx, &actor, id, old, today, now)
    })
    .await
    .map_err(|e| match e {
        content::Error::Invalids(_) => {
            HttpError::BadRequest("the old revision no longer validates")
        }
        other => other.into(),
    })?;
    Ok(see_other(&format!(
        "/quan-tri/bai-viet/{id}?tb=da-khoi-phuc"
    )))
}
