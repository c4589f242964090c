//! "Hỏi – đáp" for staff: every question with its deadline (15 working days) and an
//! overdue list; routing a question to a unit; starting its answer, an `Answer` entry
//! that then goes through the ordinary workflow in the editor; closing a question that
//! needs no answer; erasing the asker's personal data. Contributors see the questions
//! routed to their unit; the Editorial Board and compilers see and route all of them.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;

use super::form::FormData;
use super::views::{AdminLayout, FieldError};
use super::{Desk, SignedIn, page};
use crate::app::App;
use crate::auth;
use crate::citizen::questions::{self, Question, Status, Step};
use crate::content::{self, Kind, editorial};
use crate::format;
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::params::Params;

pub const PATH: &str = "/quan-tri/hoi-dap";

#[derive(Serialize)]
struct Row {
    seq: u64,
    ticket: String,
    asked_on: String,
    topic: String,
    unit: String,
    due: String,
    status: &'static str,
    overdue: Option<u32>,
}

#[derive(Serialize)]
struct ListView {
    layout: AdminLayout,
    rows: Vec<Row>,
    filter: &'static str,
    overdue_count: usize,
    calendar_missing_year: Option<i16>,
}

/// `GET /quan-tri/hoi-dap` (`?loc=qua-han` for the overdue list)
pub async fn list(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    let filter = match query.get("loc") {
        "qua-han" => "qua-han",
        "chua-chuyen" => "chua-chuyen",
        _ => "tat-ca",
    };
    let all = app.store.read(questions::all).await?;
    let units = app.store.read(auth::units).await?;
    let today = app.today();
    let calendar = &app.config.calendar;
    let unit_name = |id: Option<u64>| {
        id.and_then(|id| units.iter().find(|u| u.id.0 == id))
            .map_or(String::new(), |u| u.name.clone())
    };
    let mut rows = Vec::new();
    let mut overdue_count = 0;
    for (q, state) in all
        .iter()
        .filter(|(q, _)| questions::may_see(&staff.actor, q))
    {
        let status = q.status(*state);
        let overdue = q.overdue_by(status, today, calendar);
        if overdue.is_some() {
            overdue_count += 1;
        }
        let shown = match filter {
            "qua-han" => overdue.is_some(),
            "chua-chuyen" => status == Status::Received,
            _ => true,
        };
        if shown {
            rows.push(Row {
                seq: q.seq,
                ticket: q.ticket(),
                asked_on: format::civil_date(q.asked_on),
                topic: q.topic.clone(),
                unit: unit_name(q.unit),
                due: format::civil_date(q.due(calendar)),
                status: status.label(),
                overdue,
            });
        }
    }
    let year = today.year();
    let view = ListView {
        layout: staff.layout("Hỏi – đáp"),
        rows,
        filter,
        overdue_count,
        calendar_missing_year: (!calendar.knows_year(year)).then_some(year),
    };
    page(&app, "admin/questions.html", &view, Outcome::Shown)
}

#[derive(Serialize)]
struct UnitChoice {
    id: u64,
    name: String,
    selected: bool,
}

#[derive(Serialize)]
struct DetailView {
    layout: AdminLayout,
    seq: u64,
    ticket: String,
    asked_at: String,
    asked_on: String,
    due: String,
    overdue: Option<u32>,
    status: &'static str,
    name: String,
    email: String,
    erased: bool,
    topic: String,
    text: String,
    units: Vec<UnitChoice>,
    may_route: bool,
    may_close: bool,
    may_erase: bool,
    may_answer: bool,
    answer: Option<u64>,
    closed: Option<String>,
    suggested_title: String,
    errors: Vec<FieldError>,
}

async fn detail_page(
    app: &Arc<App>,
    staff: &Desk,
    seq: u64,
    errors: Vec<FieldError>,
    flash: Option<&str>,
) -> Result<Response, HttpError> {
    let actor = staff.actor.clone();
    let (q, state) = app
        .store
        .read(move |tx| questions::seen_by(tx, &actor, seq))
        .await?;
    let units = app.store.read(auth::units).await?;
    let status = q.status(state);
    let may = |step| questions::decide(&staff.actor, step, &q, status).is_ok();
    let title: String = q.text.chars().take(120).collect();
    let outcome = if errors.is_empty() {
        Outcome::Shown
    } else {
        Outcome::Invalid
    };
    let view = DetailView {
        layout: staff
            .layout(&format!("Câu hỏi {}", q.ticket()))
            .with_flash(flash),
        seq: q.seq,
        ticket: q.ticket(),
        asked_at: format::datetime(q.asked_at),
        asked_on: format::civil_date(q.asked_on),
        due: format::civil_date(q.due(&app.config.calendar)),
        overdue: q.overdue_by(status, app.today(), &app.config.calendar),
        status: status.label(),
        name: q.name.clone(),
        email: q.email.clone(),
        erased: q.erased_at.is_some(),
        topic: q.topic.clone(),
        text: q.text.clone(),
        units: units
            .iter()
            .map(|u| UnitChoice {
                id: u.id.0,
                name: u.name.clone(),
                selected: q.unit == Some(u.id.0),
            })
            .collect(),
        may_route: may(Step::Route),
        may_close: may(Step::Close),
        may_erase: may(Step::Erase) && q.erased_at.is_none(),
        may_answer: may(Step::StartAnswer),
        answer: q.answer,
        closed: q.closed.as_ref().map(|c| {
            format!(
                "Đóng bởi {} lúc {}: {}",
                c.by,
                format::datetime(c.at),
                c.reason
            )
        }),
        suggested_title: title,
        errors,
    };
    page(app, "admin/question.html", &view, outcome)
}

/// `GET /quan-tri/hoi-dap/{seq}`
pub async fn detail(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(seq): Path<u64>,
    query: Params,
) -> Result<Response, HttpError> {
    detail_page(&app, &staff, seq, Vec::new(), query.flash()).await
}

/// `POST /quan-tri/hoi-dap/{seq}/chuyen`: routes the question to `don_vi`.
pub async fn route_question(
    State(app): State<Arc<App>>,
    SignedIn(staff): SignedIn,
    Path(seq): Path<u64>,
    form: FormData,
) -> Result<Response, HttpError> {
    let unit: u64 = form
        .get("don_vi")
        .parse()
        .map_err(|_| HttpError::BadRequest("no unit"))?;
    let (actor, now) = (staff.actor.clone(), app.clock.now());
    app.store
        .write(move |tx| questions::route_to(tx, &actor, seq, unit, now))
        .await?;
    Ok(see_other(&format!("{PATH}/{seq}?tb=da-chuyen-don-vi")))
}

/// `POST /quan-tri/hoi-dap/{seq}/dong`: closes it without an answer (`ly_do`, which
/// the asker sees).
pub async fn close_question(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(seq): Path<u64>,
    form: FormData,
) -> Result<Response, HttpError> {
    let reason = form.get("ly_do").to_string();
    if reason.trim().is_empty() {
        let error = FieldError {
            field: "ly_do",
            message: "Vui lòng ghi lý do đóng câu hỏi (người hỏi sẽ thấy lý do này).".into(),
        };
        return detail_page(&app, &staff, seq, vec![error], None).await;
    }
    let (actor, now) = (staff.actor.clone(), app.clock.now());
    app.store
        .write(move |tx| questions::close_by(tx, &actor, seq, &reason, now))
        .await?;
    Ok(see_other(&format!("{PATH}/{seq}?tb=da-dong")))
}

/// `POST /quan-tri/hoi-dap/{seq}/xoa-du-lieu`: erases the asker's name and email.
pub async fn erase_asker(
    State(app): State<Arc<App>>,
    SignedIn(staff): SignedIn,
    Path(seq): Path<u64>,
) -> Result<Response, HttpError> {
    let (actor, now) = (staff.actor.clone(), app.clock.now());
    app.store
        .write(move |tx| questions::erase_by(tx, &actor, seq, now))
        .await?;
    Ok(see_other(&format!("{PATH}/{seq}?tb=da-xoa-du-lieu")))
}

/// `POST /quan-tri/hoi-dap/{seq}/tra-loi`: starts the answer (`tieu_de`, `cau_hoi`,
/// `noi_dung`, `cong_khai`) as an entry, then opens it in the editor.
pub async fn answer_question(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(seq): Path<u64>,
    form: FormData,
) -> Result<Response, HttpError> {
    let question = app.store.read(move |tx| questions::get(tx, seq)).await?;
    if !questions::may_see(&staff.actor, &question) {
        return Err(HttpError::NotFound);
    }
    let draft = match answer_draft(&form, &question) {
        Ok(draft) => draft,
        Err(errors) => return detail_page(&app, &staff, seq, errors, None).await,
    };
    let (actor, now) = (staff.actor.clone(), app.clock.now());
    let created = app
        .store
        .write(move |tx| questions::start_answer(tx, &actor, seq, draft, now))
        .await?;
    match created {
        Ok(id) => Ok(see_other(&format!("/quan-tri/bai-viet/{id}?tb=da-tao"))),
        Err(invalid) => detail_page(&app, &staff, seq, answer_errors(invalid), None).await,
    }
}

/// The editor's objections to the answer, on the fields of this form.
fn answer_errors(invalid: Vec<content::Invalid>) -> Vec<FieldError> {
    invalid
        .into_iter()
        .map(|i| FieldError {
            field: if i.field == "title" {
                "tieu_de"
            } else {
                "noi_dung"
            },
            message: i.message,
        })
        .collect()
}

/// The answer as HTML: the editor's, or plain text typed without it (no script, or
/// pasted), whose blank lines make paragraphs and single line breaks stay breaks.
fn answer_html(text: &str) -> String {
    if text.contains('<') {
        return text.to_string();
    }
    crate::import::wp_markup::autop(&content::sanitize::escape(text))
}

/// The answer entry the form describes. What will be public must not carry the
/// asker's name or email.
fn answer_draft(form: &FormData, question: &Question) -> Result<editorial::Draft, Vec<FieldError>> {
    let public_text = form.get("cau_hoi").trim().to_string();
    let identifying = |text: &str| {
        let text = text.to_lowercase();
        [&question.name, &question.email]
            .iter()
            .map(|v| v.trim().to_lowercase())
            .filter(|v| v.chars().count() >= 3)
            .any(|v| text.contains(&v))
    };
    let mut errors = Vec::new();
    if public_text.is_empty() {
        errors.push(FieldError {
            field: "cau_hoi",
            message: "Vui lòng nhập câu hỏi sẽ đăng kèm câu trả lời.".into(),
        });
    }
    for (field, text) in [
        ("tieu_de", form.get("tieu_de")),
        ("cau_hoi", public_text.as_str()),
        ("noi_dung", form.get("noi_dung")),
    ] {
        if identifying(text) {
            errors.push(FieldError {
                field,
                message: "Còn họ tên hoặc thư điện tử của người hỏi: hãy bỏ đi, thông tin cá nhân không được đăng."
                    .into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let record = [
        ("topic", question.topic.clone()),
        ("asked_on", question.asked_on.to_string()),
        ("question", public_text),
        ("ticket", question.ticket()),
        (
            content::record::PUBLIC_ANSWER,
            form.has("cong_khai").to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    Ok(editorial::Draft {
        kind: Some(Kind::Answer),
        title: form.get("tieu_de").to_string(),
        body_html: answer_html(form.get("noi_dung")),
        record,
        ..editorial::Draft::default()
    })
}
