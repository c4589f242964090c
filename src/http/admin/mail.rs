//! Mail in the admin pages: "Thư thông báo", where each person sets their address and
//! how they hear of waiting work; and "Thư đi" for administrators: what waits in the
//! outbox, what failed and why (in Vietnamese), and sending a failed message again.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::form::FormData;
use super::views::{AdminLayout, FieldError};
use super::{Desk, page};
use crate::app::App;
use crate::auth::{self, MailChoice};
use crate::format;
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::params::Params;
use crate::mail::outbox::{self, Status};

pub const MINE: &str = "/quan-tri/thu-cua-toi";
pub const OUTBOX: &str = "/quan-tri/thu-di";

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: &'static str,
    chosen: bool,
}

#[derive(Serialize)]
struct MineView {
    layout: AdminLayout,
    email: String,
    choices: Vec<Choice>,
    errors: Vec<FieldError>,
    mail_on: bool,
    digest_at: String,
}

fn mine_view(
    app: &App,
    staff: &Desk,
    email: String,
    choice: MailChoice,
    errors: Vec<FieldError>,
    flash: Option<&str>,
) -> MineView {
    MineView {
        layout: staff.layout("Thư thông báo").with_flash(flash),
        email,
        choices: MailChoice::ALL
            .iter()
            .map(|c| Choice {
                value: c.as_str(),
                label: c.label(),
                chosen: *c == choice,
            })
            .collect(),
        errors,
        mail_on: app.config.mail.is_some(),
        digest_at: app.config.mail.as_ref().map_or_else(
            || "07:30".to_string(),
            |m| m.digest_at.strftime("%H:%M").to_string(),
        ),
    }
}

/// `GET /quan-tri/thu-cua-toi`
pub async fn my_mail(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    let view = mine_view(
        &app,
        &staff,
        staff.user.email.clone(),
        staff.user.mail,
        Vec::new(),
        query.flash(),
    );
    page(&app, "admin/mail_mine.html", &view, Outcome::Shown)
}

/// `POST /quan-tri/thu-cua-toi`
pub async fn save_my_mail(
    State(app): State<Arc<App>>,
    staff: Desk,
    form: FormData,
) -> Result<Response, HttpError> {
    let email = form.get("email").to_string();
    let choice = MailChoice::ALL
        .into_iter()
        .find(|c| c.as_str() == form.get("cach"))
        .unwrap_or_default();
    let (id, now, typed) = (staff.user.id, app.clock.now(), email.clone());
    let saved = app
        .store
        .write(move |tx| auth::set_mail(tx, id, &typed, choice, now))
        .await;
    match saved {
        Ok(_) => Ok(see_other(&format!("{MINE}?tb=da-luu-thu"))),
        Err(auth::Error::Invalid { field, message }) => {
            let errors = vec![FieldError {
                field,
                message: message.to_string(),
            }];
            let view = mine_view(&app, &staff, email, choice, errors, None);
            page(&app, "admin/mail_mine.html", &view, Outcome::Invalid)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Serialize)]
struct Row {
    id: u64,
    to: String,
    subject: String,
    kind: &'static str,
    status: &'static str,
    failed: bool,
    attempts: u32,
    created: String,
    next: String,
    error: String,
}

#[derive(Serialize)]
struct OutboxView {
    layout: AdminLayout,
    relay: Option<String>,
    waiting: usize,
    failed: usize,
    rows: Vec<Row>,
}

/// `GET /quan-tri/thu-di`
pub async fn outbox_page(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    let all = app.store.read(outbox::all).await?;
    let count = |s: Status| all.iter().filter(|m| m.status == s).count();
    let view = OutboxView {
        layout: staff.layout("Thư đi").with_flash(query.flash()),
        relay: app.config.mail.as_ref().map(|m| {
            format!(
                "{}:{} ({})",
                m.host,
                m.port,
                match m.security {
                    crate::mail::Security::Starttls => "STARTTLS",
                    crate::mail::Security::Tls => "TLS",
                    crate::mail::Security::None => "không mã hóa, trên máy này",
                }
            )
        }),
        waiting: count(Status::Waiting) + count(Status::Digest),
        failed: count(Status::Failed),
        rows: all
            .iter()
            .take(200)
            .map(|m| Row {
                id: m.id,
                to: m.to.clone(),
                subject: m.subject.clone(),
                kind: m.kind.label(),
                status: m.status.label(),
                failed: m.status == Status::Failed,
                attempts: m.attempts,
                created: format::datetime(m.created),
                next: if m.status == Status::Waiting {
                    format::datetime(m.next_attempt)
                } else {
                    String::new()
                },
                error: m.last_error.clone().unwrap_or_default(),
            })
            .collect(),
    };
    page(&app, "admin/outbox.html", &view, Outcome::Shown)
}

/// `POST /quan-tri/thu-di` (`id`): a failed message goes back into the queue.
pub async fn retry_mail(
    State(app): State<Arc<App>>,
    _staff: Desk,
    form: FormData,
) -> Result<Response, HttpError> {
    let id: u64 = form
        .get("id")
        .parse()
        .map_err(|_| HttpError::BadRequest("no message named"))?;
    let now = app.clock.now();
    app.store
        .write(move |tx| outbox::retry(tx, id, now))
        .await?;
    app.mail_wake.notify_one();
    Ok(see_other(&format!("{OUTBOX}?tb=da-gui-lai")))
}
