//! "Ý kiến, đề nghị": what citizens sent through the public forms (feedback, reuse
//! requests), for the Editorial Board. A Board member records what was done and marks
//! it handled, and erases the sender's personal data when asked or when it is no
//! longer needed. Both are audited.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde::Serialize;

use super::form::FormData;
use super::views::{AdminLayout, FieldError, flash_code};
use super::{SignedIn, page, site_and_inbox};
use crate::app::App;
use crate::audit::{self, Event};
use crate::citizen::{self, Message};
use crate::http::error::{HttpError, Outcome, see_other};
use crate::render::format;

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
    staff: &super::Staff,
    errors: Vec<FieldError>,
    flash: Option<&str>,
) -> Result<Response, HttpError> {
    let (site, inbox) = site_and_inbox(app, staff).await?;
    let all = app.store.read(citizen::all).await?;
    let (handled, waiting): (Vec<_>, Vec<_>) = all.iter().partition(|m| m.handled.is_some());
    let outcome = if errors.is_empty() {
        Outcome::Shown
    } else {
        Outcome::Invalid
    };
    let view = MessagesView {
        layout: AdminLayout::new(&site, staff, "Ý kiến, đề nghị", PATH, inbox).with_flash(flash),
        waiting: waiting.into_iter().map(Row::of).collect(),
        handled: handled.into_iter().map(Row::of).collect(),
        errors,
    };
    page(app, "admin/messages.html", &view, outcome)
}

/// `GET /quan-tri/y-kien`
pub async fn messages(
    State(app): State<Arc<App>>,
    SignedIn(staff): SignedIn,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    messages_page(&app, &staff, Vec::new(), flash_code(query.as_deref())).await
}

/// `POST /quan-tri/y-kien/{seq}`: `thao_tac=da-xu-ly` with a note, or
/// `thao_tac=xoa-du-lieu` to erase the sender's personal data.
pub async fn act_on_message(
    State(app): State<Arc<App>>,
    SignedIn(staff): SignedIn,
    Path(seq): Path<u64>,
    form: FormData,
) -> Result<Response, HttpError> {
    let action = form.get("thao_tac").to_string();
    let note = form.get("ghi_chu").to_string();
    let user = staff.user.clone();
    let now = app.clock.now();
    let done = app
        .store
        .write(
            move |tx| -> Result<Result<&'static str, citizen::Error>, HttpError> {
                let outcome = match action.as_str() {
                    "da-xu-ly" => citizen::mark_handled(tx, seq, &user, &note, now)
                        .map(|m| ("message_handled", m.reference(), "da-xu-ly-y-kien")),
                    "xoa-du-lieu" => citizen::erase_personal_data(tx, seq, now).map(|m| {
                        (
                            "message_personal_data_erased",
                            m.reference(),
                            "da-xoa-du-lieu",
                        )
                    }),
                    _ => return Err(HttpError::BadRequest("unknown action")),
                };
                match outcome {
                    Ok((event, reference, flash)) => {
                        audit::append(tx, Event::new(&user.login, event, reference), now)?;
                        Ok(Ok(flash))
                    }
                    Err(e) => Ok(Err(e)),
                }
            },
        )
        .await?;
    match done {
        Ok(flash) => Ok(see_other(&format!("{PATH}?tb={flash}"))),
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
