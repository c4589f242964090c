//! "Duyệt ý kiến dự thảo": the Editorial Board approves comments on drafts before they
//! are shown, or rejects them with a reason kept for the record. Either is audited,
//! and an approval drops the page cache so the draft's page shows it at once.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;

use super::form::FormData;
use super::views::{AdminLayout, FieldError};
use super::{Desk, SignedIn, page};
use crate::app::App;
use crate::citizen::comments::{self, Comment, Moderation};
use crate::format;
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::params::Params;

pub const PATH: &str = "/quan-tri/y-kien-du-thao";

#[derive(Serialize)]
struct Row {
    seq: u64,
    draft: String,
    draft_url: String,
    at: String,
    name: String,
    email: String,
    organisation: String,
    show_name: bool,
    text: String,
    decision: Option<String>,
}

#[derive(Serialize)]
struct CommentsView {
    layout: AdminLayout,
    pending: Vec<Row>,
    decided: Vec<Row>,
    errors: Vec<FieldError>,
}

async fn comments_page(
    app: &Arc<App>,
    staff: &Desk,
    errors: Vec<FieldError>,
    flash: Option<&str>,
) -> Result<Response, HttpError> {
    let rows = app.store.read(comments::with_drafts).await?;
    let row = |(c, title, url): &(Comment, String, String)| Row {
        seq: c.seq,
        draft: title.clone(),
        draft_url: url.clone(),
        at: format::datetime(c.at),
        name: c.name.clone(),
        email: c.email.clone(),
        organisation: c.organisation.clone(),
        show_name: c.show_name,
        text: c.text.clone(),
        decision: match &c.moderation {
            Moderation::Pending => None,
            Moderation::Approved {
                moderated_by,
                moderated_at,
            } => Some(format!(
                "Đã duyệt: {moderated_by}, {}",
                format::datetime(*moderated_at)
            )),
            Moderation::Rejected {
                moderated_by,
                moderated_at,
                reason,
            } => Some(format!(
                "Không duyệt: {moderated_by}, {}: {reason}",
                format::datetime(*moderated_at)
            )),
        },
    };
    let (pending, decided): (Vec<_>, Vec<_>) = rows
        .iter()
        .partition(|(c, _, _)| c.moderation == Moderation::Pending);
    let view = CommentsView {
        layout: staff.layout("Duyệt ý kiến dự thảo").with_flash(flash),
        pending: pending.into_iter().map(row).collect(),
        decided: decided.into_iter().map(row).collect(),
        errors,
    };
    let outcome = if view.errors.is_empty() {
        Outcome::Shown
    } else {
        Outcome::Invalid
    };
    page(app, "admin/comments.html", &view, outcome)
}

/// `GET /quan-tri/y-kien-du-thao`
pub async fn comments_list(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    comments_page(&app, &staff, Vec::new(), query.flash()).await
}

/// `POST /quan-tri/y-kien-du-thao/{seq}/xoa-du-lieu`: erases the commenter's personal
/// data on their request (the page cache is dropped, as the name may have been shown).
pub async fn erase_commenter(
    State(app): State<Arc<App>>,
    SignedIn(staff): SignedIn,
    Path(seq): Path<u64>,
) -> Result<Response, HttpError> {
    let (by, now) = (staff.actor.clone(), app.clock.now());
    app.store
        .write(move |tx| comments::erase_personal_data(tx, &by, seq, now))
        .await?;
    app.cache.clear();
    Ok(see_other(&format!("{PATH}?tb=da-xoa-du-lieu")))
}

/// `POST /quan-tri/y-kien-du-thao/{seq}/duyet`: the comment shows under the draft.
pub async fn approve_comment(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(seq): Path<u64>,
) -> Result<Response, HttpError> {
    moderate(&app, &staff, seq, true, String::new()).await
}

/// `POST /quan-tri/y-kien-du-thao/{seq}/tu-choi`: it does not, for the reason `ly_do`.
pub async fn reject_comment(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(seq): Path<u64>,
    form: FormData,
) -> Result<Response, HttpError> {
    moderate(&app, &staff, seq, false, form.get("ly_do").to_string()).await
}

async fn moderate(
    app: &Arc<App>,
    staff: &Desk,
    seq: u64,
    approve: bool,
    reason: String,
) -> Result<Response, HttpError> {
    let (by, now) = (staff.actor.clone(), app.clock.now());
    let done = app
        .store
        .write(move |tx| comments::moderate(tx, &by, seq, approve, &reason, now))
        .await;
    match done {
        Ok(_) => {
            app.cache.clear();
            let flash = if approve {
                "da-duyet-y-kien"
            } else {
                "da-tu-choi-y-kien"
            };
            Ok(see_other(&format!("{PATH}?tb={flash}")))
        }
        Err(comments::Error::ReasonRequired) => {
            let error = FieldError {
                field: "ly_do",
                message: "Vui lòng ghi lý do không duyệt ý kiến.".into(),
            };
            comments_page(app, staff, vec![error], None).await
        }
        Err(e) => Err(e.into()),
    }
}
