//! Hỏi – đáp for citizens: the question form (`/hoi-dap/gui-cau-hoi`), the status page
//! (`/hoi-dap/tra-cuu`, by ticket number and the private key given once), and erasing
//! one's personal data from there. The published answers of general interest are the
//! `Answer` register at `/hoi-dap`, served like any other register.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Query, State};

use crate::http::form::Form;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::citizen::questions::{self, Asked, Question, Status};
use crate::citizen::{self, Kind as MessageKind, Sent};
use crate::content;
use crate::format;
use crate::http::admin::page;
use crate::http::error::{HttpError, Outcome};
use crate::http::frame::check_origin;
use crate::http::server::Peer;
use crate::render::views::Layout;
use crate::site;

pub const ASK: &str = "/hoi-dap/gui-cau-hoi";
pub const STATUS: &str = "/hoi-dap/tra-cuu";
pub const ERASE: &str = "/hoi-dap/tra-cuu/xoa-du-lieu";
pub const DOWNLOAD: &str = "/hoi-dap/tra-cuu/tai-du-lieu";

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct AskFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    consent: Option<String>,
    /// "Tell me by mail": receipt, answer, closing.
    #[serde(default)]
    mail: Option<String>,
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
struct AskView {
    layout: Layout,
    topics: Vec<String>,
    values: AskFields,
    errors: Vec<FieldError>,
    refusal: Option<&'static str>,
    question: String,
    token: String,
    due_days: u32,
}

async fn show_form(
    app: &Arc<App>,
    values: AskFields,
    errors: Vec<FieldError>,
    refusal: Option<&'static str>,
    outcome: Outcome,
) -> Result<Response, HttpError> {
    let site = app.store.read(site::load).await?;
    let challenge = app.form_guard.challenge()?;
    let view = AskView {
        layout: Layout::new(&site, app.origin(), "Gửi câu hỏi", ASK),
        topics: app.config.question_topics.clone(),
        values: AskFields {
            website: String::new(),
            challenge: String::new(),
            answer: String::new(),
            ..values
        },
        errors,
        refusal,
        question: challenge.question,
        token: challenge.token,
        due_days: questions::ANSWER_WITHIN_WORKING_DAYS,
    };
    page(app, "public/question_form.html", &view, outcome)
}

/// `GET /hoi-dap/gui-cau-hoi`
pub async fn ask_form(State(app): State<Arc<App>>) -> Result<Response, HttpError> {
    show_form(&app, AskFields::default(), Vec::new(), None, Outcome::Shown).await
}

#[derive(Serialize)]
struct AskedView {
    layout: Layout,
    ticket: String,
    key: String,
    due: String,
    status_url: String,
}

/// `POST /hoi-dap/gui-cau-hoi`
pub async fn ask(
    State(app): State<Arc<App>>,
    peer: Option<Extension<Peer>>,
    headers: HeaderMap,
    uri: Uri,
    Form(fields): Form<AskFields>,
) -> Result<Response, HttpError> {
    check_origin(&headers, &uri)?;
    let ip = super::antispam::sender(peer);
    // A wrong anti-spam answer is one error among the others, reported in one pass.
    let mut errors: Vec<FieldError> = Vec::new();
    if let Err(refused) = super::antispam::admit(
        &app,
        ASK,
        ip,
        &fields.website,
        &fields.challenge,
        &fields.answer,
    ) {
        if !refused.on_answer {
            return show_form(
                &app,
                fields,
                Vec::new(),
                Some(refused.message),
                refused.outcome,
            )
            .await;
        }
        errors.push(FieldError {
            field: "answer",
            message: refused.message,
        });
    }
    // The same checks as the other forms; the topic stands in for a subject.
    let sent = Sent {
        kind: MessageKind::Feedback,
        name: fields.name.clone(),
        email: fields.email.clone(),
        organisation: String::new(),
        subject: fields.topic.clone(),
        text: fields.text.clone(),
        page: String::new(),
    };
    let checked = match citizen::check(sent) {
        Ok(checked) => Some(checked),
        Err(invalid) => {
            errors.extend(
                invalid
                    .into_iter()
                    .filter(|i| i.field != "subject")
                    .map(|i| FieldError {
                        field: i.field,
                        message: i.message,
                    }),
            );
            None
        }
    };
    if !app.config.question_topics.contains(&fields.topic) {
        errors.push(FieldError {
            field: "topic",
            message: "Vui lòng chọn lĩnh vực của câu hỏi.",
        });
    }
    if fields.consent.is_none() {
        errors.push(FieldError {
            field: "consent",
            message: "Vui lòng đồng ý với thông báo xử lý dữ liệu cá nhân để gửi.",
        });
    }
    let Some(checked) = checked.filter(|_| errors.is_empty()) else {
        return show_form(&app, fields, errors, None, Outcome::Invalid).await;
    };
    let asked = Asked {
        name: checked.name,
        email: checked.email,
        topic: checked.subject,
        text: checked.text,
        mail_consent: fields.mail.is_some(),
    };
    let (now, calendar) = (app.clock.now(), app.config.calendar.clone());
    let (question, key) = app
        .store
        .write(move |tx| questions::ask(tx, asked, now, &calendar))
        .await?;
    app.form_guard.count(ip);
    app.mail_wake.notify_one();
    app.menu_counts.clear();
    tracing::info!(ticket = %question.ticket(), "a citizen asked a question");
    let site = app.store.read(site::load).await?;
    let view = AskedView {
        layout: Layout::new(&site, app.origin(), "Đã gửi câu hỏi", ASK).without_canonical(),
        status_url: format!("{STATUS}?so={}&ma={key}", question.ticket()),
        ticket: question.ticket(),
        key,
        due: format::civil_date(question.due),
    };
    page(&app, "public/question_sent.html", &view, Outcome::Shown)
}

#[derive(Debug, Default, Deserialize)]
pub struct Lookup {
    #[serde(default)]
    so: String,
    #[serde(default)]
    ma: String,
}

#[derive(Serialize)]
struct StatusView {
    layout: Layout,
    asked: bool,
    found: Option<QuestionView>,
    ticket: String,
    key: String,
    flash: Option<&'static str>,
}

#[derive(Serialize)]
struct QuestionView {
    ticket: String,
    topic: String,
    text: String,
    asked_on: String,
    due: String,
    status: &'static str,
    answered: bool,
    answer_html: String,
    answer_url: Option<String>,
    closed_reason: Option<String>,
    has_personal_data: bool,
}

async fn status_page(
    app: &Arc<App>,
    lookup: Lookup,
    flash: Option<&'static str>,
) -> Result<Response, HttpError> {
    let asked = !lookup.so.is_empty() || !lookup.ma.is_empty();
    let (so, ma) = (lookup.so.clone(), lookup.ma.clone());
    let site = app.store.read(site::load).await?;
    let found = app
        .store
        .read(move |tx| questions::status(tx, &so, &ma))
        .await?;
    let found = found.map(
        |(q, answer, state): (Question, Option<content::Published>, Option<content::State>)| {
            let status = q.status(state);
            QuestionView {
                ticket: q.ticket(),
                topic: q.topic.clone(),
                text: q.text.clone(),
                asked_on: format::civil_date(q.asked_on),
                due: format::civil_date(q.due(&app.config.calendar)),
                status: status.label(),
                answered: status == Status::Answered,
                answer_html: answer
                    .as_ref()
                    .map(|p| p.revision.fields.body_html.clone())
                    .unwrap_or_default(),
                answer_url: answer
                    .as_ref()
                    .filter(|p| p.is_listed())
                    .map(crate::content::Published::url),
                closed_reason: q.closed.as_ref().map(|c| c.reason.clone()),
                has_personal_data: q.erased_at.is_none(),
            }
        },
    );
    let outcome = if asked && found.is_none() {
        Outcome::Invalid
    } else {
        Outcome::Shown
    };
    let view = StatusView {
        layout: Layout::new(&site, app.origin(), "Tra cứu câu hỏi", STATUS).without_canonical(),
        asked,
        found,
        ticket: lookup.so,
        key: lookup.ma,
        flash,
    };
    page(app, "public/question_status.html", &view, outcome)
}

/// `GET /hoi-dap/tra-cuu?so=HD-000012&ma=…`
pub async fn status(
    State(app): State<Arc<App>>,
    Query(lookup): Query<Lookup>,
) -> Result<Response, HttpError> {
    status_page(&app, lookup, None).await
}

/// `POST /hoi-dap/tra-cuu/xoa-du-lieu`: the asker erases their name and email.
pub async fn erase(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    uri: Uri,
    Form(lookup): Form<Lookup>,
) -> Result<Response, HttpError> {
    check_origin(&headers, &uri)?;
    let (so, ma, now) = (lookup.so.clone(), lookup.ma.clone(), app.clock.now());
    let erased = app
        .store
        .write(move |tx| questions::erase_by_asker(tx, &so, &ma, now))
        .await?;
    if !erased {
        return Err(HttpError::NotFound);
    }
    status_page(
        &app,
        lookup,
        Some("Đã xóa họ tên và thư điện tử của bạn khỏi hệ thống."),
    )
    .await
}

/// What the site holds about one question, as its asker downloads it (the right to
/// obtain a copy, Law 91/2025/QH15).
#[derive(Serialize)]
struct HeldData {
    ticket: String,
    received_at: String,
    name: String,
    email: String,
    topic: String,
    question: String,
    status: &'static str,
    mail_consent: bool,
    personal_data_erased_at: Option<String>,
    answer_url: Option<String>,
    closed_reason: Option<String>,
    personal_data_kept_until: String,
}

/// `POST /hoi-dap/tra-cuu/tai-du-lieu`: everything held about the question, as JSON.
pub async fn download(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    uri: Uri,
    Form(lookup): Form<Lookup>,
) -> Result<Response, HttpError> {
    check_origin(&headers, &uri)?;
    let (so, ma) = (lookup.so.clone(), lookup.ma.clone());
    let found = app
        .store
        .read(move |tx| questions::status(tx, &so, &ma))
        .await?;
    let Some((q, answer, state)) = found else {
        return Err(HttpError::NotFound);
    };
    let months = app.config.forms.keep_personal_data_months;
    let held = HeldData {
        ticket: q.ticket(),
        received_at: format::datetime(q.asked_at),
        name: q.name.clone(),
        email: q.email.clone(),
        topic: q.topic.clone(),
        question: q.text.clone(),
        status: q.status(state).label(),
        mail_consent: q.mail_consent,
        personal_data_erased_at: q.erased_at.map(format::datetime),
        answer_url: answer
            .as_ref()
            .filter(|p| p.is_listed())
            .map(|p| format!("{}{}", app.origin(), p.url())),
        closed_reason: q.closed.as_ref().map(|c| c.reason.clone()),
        personal_data_kept_until: format!("{months} tháng sau khi câu hỏi được trả lời hoặc đóng"),
    };
    let body = serde_json::to_vec_pretty(&held).map_err(|e| HttpError::Internal(e.to_string()))?;
    let mut response = Response::new(axum::body::Body::from(body));
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    if let Ok(value) =
        axum::http::HeaderValue::from_str(&format!("attachment; filename=\"{}.json\"", q.ticket()))
    {
        headers.insert(axum::http::header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
