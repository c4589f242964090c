//! "Ý kiến, đề nghị": what citizens sent through the public forms (feedback, reuse
//! requests), for the Editorial Board. A Board member records what was done and marks
//! it handled, and erases the sender's personal data when asked or when it is no
//! longer needed. Both are audited.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;

use super::form::FormData;
use super::views::{AdminLayout, FieldError};
use super::{Desk, SignedIn, page};
use crate::app::App;
use crate::citizen::{self, Message};
use crate::format;
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::params::Params;

pub const PATH: &str = "/quan-tri/y-kien";

#[derive(Serialize)]
struct Row {
    seq: u64,
    reference: String,
    kind: &'static str,
    at: String,
    name: String,
    email: String,
    organisation: String,
    subject: String,
    text: String,
    page: String,
    handled: Option<String>,
    erased: Option<String>,
}

impl Row {
    fn of(m: &Message) -> Row {
        Row {
            seq: m.seq,
            reference: m.reference(),
            kind: m.sent.kind.label(),
            at: format::datetime(m.at),
            name: m.sent.name.clone(),
            email: m.sent.email.clone(),
            organisation: m.sent.organisation.clone(),
            subject: m.sent.subject.clone(),
            text: m.sent.text.clone(),
            page: m.sent.page.clone(),
            handled: m.handled.as_ref().map(|h| {
                format!(
                    "Đã xử lý: {} lúc {}: {}",
                    h.by_name,
                    format::datetime(h.at),
                    h.note
                )
            }),
            erased: m
                .erased_at
                .map(|at| format!("Đã xóa dữ liệu cá nhân lúc {}", format::datetime(at))),
        }
    }
}

#[derive(Serialize)]
struct MessagesView {
    layout: AdminLayout,
    waiting: Vec<Row>,
    handled: Vec<Row>,
    errors: Vec<FieldError>,
}

async fn messages_page(
    app: &Arc<App>,
    staff: &Desk,
    errors: Vec<FieldError>,
    flash: Option<&str>,
) -> Result<Response, HttpError> {
    let all = app.store.read(citizen::all).await?;
    let (handled, waiting): (Vec<_>, Vec<_>) = all.iter().partition(|m| m.handled.is_some());
    let outcome = if errors.is_empty() {
        Outcome::Shown
    } else {
        Outcome::Invalid
    };
    let view = MessagesView {
        layout: staff.layout("Ý kiến, đề nghị").with_flash(flash),
        waiting: waiting.into_iter().map(Row::of).collect(),
        handled: handled.into_iter().map(Row::of).collect(),
        errors,
    };
    page(app, "admin/messages.html", &view, outcome)
}

/// `GET /quan-tri/y-kien`
pub async fn messages(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    messages_page(&app, &staff, Vec::new(), query.flash()).await
}

/// `POST /quan-tri/y-kien/{seq}/da-xu-ly`: marks it handled, with a note (`ghi_chu`).
pub async fn mark_handled(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(seq): Path<u64>,
    form: FormData,
) -> Result<Response, HttpError> {
    let note = form.get("ghi_chu").to_string();
    let (by, now) = (staff.actor.clone(), app.clock.now());
    let done = app
        .store
        .write(move |tx| citizen::mark_handled(tx, &by, seq, &note, now))
        .await;
    match done {
        Ok(_) => Ok(see_other(&format!("{PATH}?tb=da-xu-ly-y-kien"))),
        Err(citizen::Error::NoteRequired) => {
            let error = FieldError {
                field: "ghi_chu",
                message:
                    "Vui lòng ghi rõ đã xử lý thế nào (ví dụ: đã trả lời qua thư điện tử ngày …)."
                        .into(),
            };
            messages_page(&app, &staff, vec![error], None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /quan-tri/y-kien/{seq}/xoa-du-lieu`: erases the sender's personal data.
pub async fn erase_sender(
    State(app): State<Arc<App>>,
    SignedIn(staff): SignedIn,
    Path(seq): Path<u64>,
) -> Result<Response, HttpError> {
    let (by, now) = (staff.actor.clone(), app.clock.now());
    app.store
        .write(move |tx| citizen::erase_personal_data(tx, &by, seq, now))
        .await?;
    Ok(see_other(&format!("{PATH}?tb=da-xoa-du-lieu")))
}
