//! The citizens' forms that reach the Editorial Board: feedback ("Góp ý") and requests
//! to reuse the site's information ("Tái sử dụng thông tin", with its terms), and the
//! notice on how the personal data they carry is processed (O9).
//!
//! The forms are never cached (each carries its own challenge); a refused or invalid
//! submission comes back with everything typed kept and a new challenge.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Query, State};

use crate::http::form::Form;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::citizen::{self, Kind, Sent};
use crate::http::admin::page;
use crate::http::error::{HttpError, Outcome};
use crate::http::frame::check_origin;
use crate::http::server::Peer;
use crate::render::views::Layout;
use crate::site;

pub const FEEDBACK: &str = "/gop-y";
pub const REUSE: &str = "/tai-su-dung";
pub const PRIVACY: &str = "/xu-ly-du-lieu-ca-nhan";

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Fields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    text: String,
    /// The page the feedback is about (`?trang-lien-quan=/tin-tuc/…`).
    #[serde(default)]
    page: String,
    #[serde(default)]
    consent: Option<String>,
    /// The honeypot: hidden from people, filled by bots.
    #[serde(default)]
    website: String,
    #[serde(default)]
    challenge: String,
    #[serde(default)]
    answer: String,
}

#[derive(Serialize)]
struct FieldError {
    field: &'static str,
    message: &'static str,
}

#[derive(Serialize)]
struct FormView {
    layout: Layout,
    /// "feedback" or "reuse": which texts the template shows.
    kind: &'static str,
    action: &'static str,
    values: Fields,
    errors: Vec<FieldError>,
    refusal: Option<&'static str>,
    question: String,
    token: String,
}

#[derive(Serialize)]
struct SentView {
    layout: Layout,
    reference: String,
    kind_label: &'static str,
}

fn kind_of(path: &str) -> Kind {
    if path == REUSE {
        Kind::Reuse
    } else {
        Kind::Feedback
    }
}

fn title_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Feedback => "Góp ý",
        Kind::Reuse => "Tái sử dụng thông tin",
    }
}

async fn show(
    app: &Arc<App>,
    kind: Kind,
    values: Fields,
    errors: Vec<FieldError>,
    refusal: Option<&'static str>,
    outcome: Outcome,
) -> Result<Response, HttpError> {
    let site = app.store.read(site::load).await?;
    let (action, name) = match kind {
        Kind::Feedback => (FEEDBACK, "feedback"),
        Kind::Reuse => (REUSE, "reuse"),
    };
    let challenge = app.form_guard.challenge()?;
    let view = FormView {
        layout: Layout::new(&site, app.origin(), title_of(kind), action),
        kind: name,
        action,
        values: Fields {
            challenge: String::new(),
            answer: String::new(),
            website: String::new(),
            ..values
        },
        errors,
        refusal,
        question: challenge.question,
        token: challenge.token,
    };
    page(app, "public/message_form.html", &view, outcome)
}

#[derive(Deserialize)]
pub struct About {
    #[serde(rename = "trang-lien-quan", default)]
    page: String,
}

/// `GET /gop-y` (optionally `?trang-lien-quan=/path`)
pub async fn feedback_form(
    State(app): State<Arc<App>>,
    Query(about): Query<About>,
) -> Result<Response, HttpError> {
    let values = Fields {
        page: about.page,
        ..Fields::default()
    };
    show(
        &app,
        Kind::Feedback,
        values,
        Vec::new(),
        None,
        Outcome::Shown,
    )
    .await
}

/// `GET /tai-su-dung`: the terms of reuse and the request form.
pub async fn reuse_form(State(app): State<Arc<App>>) -> Result<Response, HttpError> {
    show(
        &app,
        Kind::Reuse,
        Fields::default(),
        Vec::new(),
        None,
        Outcome::Shown,
    )
    .await
}

/// `POST /gop-y` and `POST /tai-su-dung`
pub async fn submit(
    State(app): State<Arc<App>>,
    peer: Option<Extension<Peer>>,
    headers: HeaderMap,
    uri: Uri,
    Form(fields): Form<Fields>,
) -> Result<Response, HttpError> {
    check_origin(&headers, &uri)?;
    let kind = kind_of(uri.path());
    let ip = super::antispam::sender(peer);
    // A wrong anti-spam answer is one error among the others, reported in one pass.
    let mut answer_error = None;
    if let Err(refused) = super::antispam::admit(
        &app,
        uri.path(),
        ip,
        &fields.website,
        &fields.challenge,
        &fields.answer,
    ) {
        if !refused.on_answer {
            return show(
                &app,
                kind,
                fields,
                Vec::new(),
                Some(refused.message),
                refused.outcome,
            )
            .await;
        }
        answer_error = Some(FieldError {
            field: "answer",
            message: refused.message,
        });
    }
    let sent = Sent {
        kind,
        name: fields.name.clone(),
        email: fields.email.clone(),
        organisation: fields.organisation.clone(),
        subject: fields.subject.clone(),
        text: fields.text.clone(),
        page: fields.page.clone(),
    };
    let mut errors: Vec<FieldError> = match citizen::check(sent.clone()) {
        Ok(_) => Vec::new(),
        Err(invalid) => invalid
            .into_iter()
            .map(|i| FieldError {
                field: i.field,
                message: i.message,
            })
            .collect(),
    };
    errors.extend(answer_error);
    if fields.consent.is_none() {
        errors.push(FieldError {
            field: "consent",
            message: "Vui lòng đồng ý với thông báo xử lý dữ liệu cá nhân để gửi.",
        });
    }
    let checked = match citizen::check(sent) {
        Ok(checked) if errors.is_empty() => checked,
        _ => return show(&app, kind, fields, errors, None, Outcome::Invalid).await,
    };
    let now = app.clock.now();
    let message = app
        .store
        .write(move |tx| citizen::submit(tx, checked, now))
        .await?;
    app.form_guard.count(ip);
    tracing::info!(reference = %message.reference(), "a citizen's message reached the Editorial Board");
    let site = app.store.read(site::load).await?;
    let view = SentView {
        layout: Layout::new(&site, app.origin(), title_of(kind), uri.path()).without_canonical(),
        reference: message.reference(),
        kind_label: kind.label(),
    };
    page(&app, "public/message_sent.html", &view, Outcome::Shown)
}

/// What the privacy notice states, from the settings the site enforces.
#[derive(Serialize)]
struct PrivacyView {
    layout: Layout,
    /// Months personal data is kept after its matter is closed.
    keep_months: u32,
    /// Days the request log (with addresses) is kept.
    log_days: i64,
    /// Days audit records (with addresses) are kept.
    audit_days: i64,
    /// How long the oldest backup is kept, in words ("12 tháng"); empty without daily
    /// backups.
    backups_kept: String,
    per_hour: usize,
}

/// `GET /xu-ly-du-lieu-ca-nhan`: how the site processes personal data (Law 91/2025/QH15,
/// Decree 356/2025/ND-CP). Every period it states is a setting the site enforces.
pub async fn privacy(State(app): State<Arc<App>>) -> Result<Response, HttpError> {
    let site = app.store.read(site::load).await?;
    let backup = &app.config.backup;
    let backups_kept = if !backup.enabled {
        String::new()
    } else if backup.keep_monthly > 0 {
        format!("{} tháng", backup.keep_monthly)
    } else if backup.keep_weekly > 0 {
        format!("{} tuần", backup.keep_weekly)
    } else {
        format!("{} ngày", backup.keep_daily.max(1))
    };
    let view = PrivacyView {
        layout: Layout::new(
            &site,
            app.origin(),
            "Thông báo xử lý dữ liệu cá nhân",
            PRIVACY,
        ),
        keep_months: app.config.forms.keep_personal_data_months,
        log_days: app.config.request_log_days,
        audit_days: app.config.audit_retention_days,
        backups_kept,
        per_hour: app.config.forms.per_address_per_hour,
    };
    page(&app, "public/privacy.html", &view, Outcome::Shown)
}
