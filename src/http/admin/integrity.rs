//! "Kiểm tra toàn vẹn": the integrity reports, "check now", and the daily review of
//! what was published or changed, where the staff on duty confirm each item or report
//! it to the Editorial Board; the Board marks reports handled from its inbox.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;

use super::form::FormData;
use super::views::{AdminLayout, FieldError};
use super::{Desk, SignedIn, page};
use crate::app::App;
use crate::content::EntryId;
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::params::Params;
use crate::integrity::review::{self, Verdict};
use crate::integrity::{self, Report};

const PATH: &str = "/quan-tri/kiem-tra";

#[derive(Serialize)]
struct MismatchView {
    what: String,
    since: String,
}

#[derive(Serialize)]
struct ReportView {
    seq: u64,
    at: String,
    by: String,
    ok: bool,
    /// What it found, when it did not pass.
    found: String,
    revisions: u64,
    blobs: u64,
    audit_records: u64,
    mismatches: Vec<MismatchView>,
}

impl ReportView {
    fn of(r: &Report) -> ReportView {
        let format = crate::format::datetime;
        ReportView {
            seq: r.seq,
            at: format(r.at),
            by: r.by.clone(),
            ok: r.ok,
            found: r.found_in_vietnamese(),
            revisions: r.revisions_checked,
            blobs: r.blobs_checked,
            audit_records: r.audit_records,
            mismatches: r
                .mismatches
                .iter()
                .map(|m| MismatchView {
                    what: m.finding.vietnamese(),
                    since: format(m.since),
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct ReviewRow {
    entry: u64,
    revision: u64,
    title: String,
    state: &'static str,
    changed: String,
    /// "Đã kiểm tra bởi …" or "Đã báo cáo: …" lines.
    reviews: Vec<String>,
}

#[derive(Serialize)]
struct ChecksView {
    layout: AdminLayout,
    latest: Option<ReportView>,
    history: Vec<ReportView>,
    review: Vec<ReviewRow>,
    errors: Vec<FieldError>,
}

async fn checks_page(
    app: &Arc<App>,
    staff: &Desk,
    errors: Vec<FieldError>,
    flash: Option<&str>,
) -> Result<Response, HttpError> {
    let (now, actor) = (app.clock.now(), staff.actor.clone());
    let reports = app.store.read(|tx| integrity::recent(tx, 15)).await?;
    let items = app
        .store
        .read(move |tx| review::items(tx, &actor, now))
        .await?;
    let format = crate::format::datetime;
    let review = items
        .into_iter()
        .map(|item| ReviewRow {
            entry: item.entry.id.0,
            revision: item.revision,
            title: item.title,
            state: crate::workflow::state_label(item.entry.state),
            changed: format(item.changed_at),
            reviews: item
                .reviews
                .iter()
                .map(|r| match &r.verdict {
                    Verdict::Checked => format!("Đã kiểm tra: {} lúc {}", r.by_name, format(r.at)),
                    Verdict::Reported { note } => format!(
                        "Đã báo cáo Ban biên tập: {} lúc {}: {note}",
                        r.by_name,
                        format(r.at)
                    ),
                })
                .collect(),
        })
        .collect();
    let outcome = if errors.is_empty() {
        Outcome::Shown
    } else {
        Outcome::Invalid
    };
    let view = ChecksView {
        layout: staff.layout("Kiểm tra toàn vẹn").with_flash(flash),
        latest: reports.first().map(ReportView::of),
        history: reports.iter().map(ReportView::of).collect(),
        review,
        errors,
    };
    page(app, "admin/checks.html", &view, outcome)
}

/// `GET /quan-tri/kiem-tra`
pub async fn checks(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    checks_page(&app, &staff, Vec::new(), query.flash()).await
}

/// `POST /quan-tri/kiem-tra` — runs the check now.
pub async fn check_now(
    State(app): State<Arc<App>>,
    SignedIn(staff): SignedIn,
) -> Result<Response, HttpError> {
    let report = match app.check_integrity(&staff.user.login).await {
        Ok(report) => report,
        Err(crate::app::CheckError::Running) => {
            return Ok(see_other(&format!("{PATH}?tb=dang-kiem-tra")));
        }
        Err(crate::app::CheckError::Store(e)) => return Err(e.into()),
    };
    let flash = if report.ok {
        "kiem-tra-dat"
    } else {
        "kiem-tra-khong-dat"
    };
    Ok(see_other(&format!("{PATH}?tb={flash}")))
}

/// `POST /quan-tri/kiem-tra/xem-xet/da-kiem-tra` — the person on duty confirms an
/// item (`entry` at the `revision` they saw).
pub async fn confirm_item(
    State(app): State<Arc<App>>,
    staff: Desk,
    form: FormData,
) -> Result<Response, HttpError> {
    review_item(&app, &staff, &form, Verdict::Checked).await
}

/// `POST /quan-tri/kiem-tra/xem-xet/bao-cao` — or reports it to the Board with a
/// note (`ghi_chu`).
pub async fn report_item(
    State(app): State<Arc<App>>,
    staff: Desk,
    form: FormData,
) -> Result<Response, HttpError> {
    let note = form.get("ghi_chu").trim().to_string();
    review_item(&app, &staff, &form, Verdict::Reported { note }).await
}

async fn review_item(
    app: &Arc<App>,
    staff: &Desk,
    form: &FormData,
    verdict: Verdict,
) -> Result<Response, HttpError> {
    let (Ok(entry), Ok(seen)) = (
        form.get("entry").parse::<u64>(),
        form.get("revision").parse::<u64>(),
    ) else {
        return Err(HttpError::BadRequest("no entry or revision"));
    };
    let (by, now) = (staff.actor.clone(), app.clock.now());
    let recorded = app
        .store
        .write(move |tx| review::record(tx, EntryId(entry), seen, &by, verdict, now))
        .await;
    let message = match recorded {
        Ok(_) => return Ok(see_other(&format!("{PATH}?tb=da-ghi-nhan"))),
        Err(review::Error::NoteRequired) => "Vui lòng ghi rõ vấn đề khi báo cáo Ban biên tập.",
        Err(review::Error::Changed) => {
            "Bài này vừa thay đổi sau khi bạn xem. Vui lòng xem lại phiên bản mới rồi xác nhận."
        }
        Err(e) => return Err(e.into()),
    };
    let error = FieldError {
        field: "ghi_chu",
        message: message.into(),
    };
    checks_page(app, staff, vec![error], None).await
}

/// `POST /quan-tri/kiem-tra/bao-cao/{seq}` — a Board member marks a report handled.
pub async fn handle_report(
    State(app): State<Arc<App>>,
    SignedIn(staff): SignedIn,
    Path(seq): Path<u64>,
) -> Result<Response, HttpError> {
    let (by, now) = (staff.actor.clone(), app.clock.now());
    app.store
        .write(move |tx| review::mark_handled(tx, &by, seq, now))
        .await?;
    Ok(see_other("/quan-tri?tb=da-xu-ly-bao-cao"))
}
