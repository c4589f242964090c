//! "Báo cáo năm" (O2): the annual report on the site's operation, as a printable page
//! and as CSV, for the leadership, the Editorial Board and administrators.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::views::AdminLayout;
use super::{Desk, SignedIn, attachment, page};
use crate::app::App;
use crate::format;
use crate::http::error::{HttpError, Outcome};
use crate::http::params::Params;
use crate::ops::annual_report::{self, AnnualReport};

pub const PATH: &str = "/quan-tri/bao-cao-nam";
pub const CSV: &str = "/quan-tri/bao-cao-nam.csv";

#[derive(Serialize)]
struct LateRow {
    title: String,
    kind: &'static str,
    due: String,
    published: String,
    late_by: u32,
}

#[derive(Serialize)]
struct ReportView {
    layout: AdminLayout,
    report: AnnualReport,
    until: String,
    uptime: Option<String>,
    on_time_percent: Option<String>,
    late: Vec<LateRow>,
    years: Vec<i16>,
    csv: String,
}

/// The year asked for (`nam`), this year by default; only years the site can have.
fn year_of(query: &Params, this_year: i16) -> Result<i16, HttpError> {
    match query.get("nam") {
        "" => Ok(this_year),
        text => text
            .parse::<i16>()
            .ok()
            .filter(|y| (2000..=this_year).contains(y))
            .ok_or(HttpError::BadRequest("year out of range")),
    }
}

async fn gather(app: &Arc<App>, year: i16) -> Result<AnnualReport, HttpError> {
    let (rules, calendar, today, now) = (
        app.config.deadlines,
        app.config.calendar.clone(),
        app.today(),
        app.clock.now(),
    );
    Ok(app
        .store
        .read(move |tx| annual_report::gather(tx, year, &rules, &calendar, today, now))
        .await?)
}

fn percent(part: usize, whole: usize) -> Option<String> {
    (whole > 0).then(|| format::decimal(part as f64 * 100.0 / whole as f64, 1))
}

/// `GET /quan-tri/bao-cao-nam?nam=2026`
pub async fn annual_report(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    let this_year = app.today().year();
    let year = year_of(&query, this_year)?;
    let report = gather(&app, year).await?;
    let view = ReportView {
        layout: staff.layout(&format!("Báo cáo năm {year}")),
        until: format::civil_date(report.until),
        uptime: report.uptime_percent().map(|p| format::decimal(p, 1)),
        on_time_percent: percent(report.on_time, report.with_deadline),
        late: report
            .late
            .iter()
            .take(50)
            .map(|l| LateRow {
                title: l.title.clone(),
                kind: l.kind,
                due: format::civil_date(l.due),
                published: l
                    .published_on
                    .map_or_else(|| "Chưa đăng".to_string(), format::civil_date),
                late_by: l.late_by,
            })
            .collect(),
        years: (2000..=this_year).rev().take(10).collect(),
        csv: format!("{CSV}?nam={year}"),
        report,
    };
    page(&app, "admin/annual_report.html", &view, Outcome::Shown)
}

/// `GET /quan-tri/bao-cao-nam.csv?nam=2026`: the same figures, one per line
/// (section, item, value), for a spreadsheet.
pub async fn annual_report_csv(
    State(app): State<Arc<App>>,
    _staff: SignedIn,
    query: Params,
) -> Result<Response, HttpError> {
    let year = year_of(&query, app.today().year())?;
    let r = gather(&app, year).await?;
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let mut row = |part: &str, item: &str, value: String| {
        rows.push((part.to_string(), item.to_string(), value));
    };
    row("Kỳ báo cáo", "Từ ngày", format!("{year}-01-01"));
    row("Kỳ báo cáo", "Đến ngày", r.until.to_string());
    row("Thông tin đăng", "Tổng số", r.published_total.to_string());
    for c in &r.by_kind {
        row("Thông tin đăng theo loại", &c.label, c.count.to_string());
    }
    for c in &r.by_section {
        row(
            "Tin bài đăng theo chuyên mục",
            &c.label,
            c.count.to_string(),
        );
    }
    row(
        "Thời hạn cập nhật",
        "Mục có thời hạn",
        r.with_deadline.to_string(),
    );
    row("Thời hạn cập nhật", "Đúng hạn", r.on_time.to_string());
    row("Thời hạn cập nhật", "Chậm", r.late.len().to_string());
    let q = &r.questions;
    row("Hỏi – đáp", "Tiếp nhận", q.received.to_string());
    row("Hỏi – đáp", "Đã trả lời", q.answered.to_string());
    row(
        "Hỏi – đáp",
        "Trả lời đúng hạn",
        q.answered_in_time.to_string(),
    );
    row("Hỏi – đáp", "Trả lời quá hạn", q.answered_late.to_string());
    row(
        "Hỏi – đáp",
        "Đóng không trả lời",
        q.closed_without_answer.to_string(),
    );
    row("Hỏi – đáp", "Đang xử lý", q.still_open.to_string());
    row("Góp ý dự thảo", "Tiếp nhận", r.comments.to_string());
    row("Ý kiến, đề nghị", "Tiếp nhận", r.messages.to_string());
    row(
        "Hoạt động",
        "Giờ có số liệu vận hành",
        r.hours_up.to_string(),
    );
    row(
        "Hoạt động",
        "Số giờ trong kỳ",
        r.hours_in_period.to_string(),
    );
    row(
        "Hoạt động",
        "Tỷ lệ hoạt động (%)",
        r.uptime_percent()
            .map(|p| format!("{p:.1}"))
            .unwrap_or_default(),
    );
    row("Sao lưu", "Số bản sao lưu đã tạo", r.backups.to_string());
    row(
        "Kiểm tra toàn vẹn",
        "Số lần kiểm tra",
        r.integrity_checks.to_string(),
    );
    row(
        "Kiểm tra toàn vẹn",
        "Số lần phát hiện sai lệch",
        r.integrity_failed.to_string(),
    );
    let mut out = String::from("\u{feff}Phần,Mục,Giá trị\r\n");
    for (part, item, value) in rows {
        let fields: Vec<String> = [part, item, value]
            .iter()
            .map(|f| crate::format::csv_field(f))
            .collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    Ok(attachment(
        &format!("bao-cao-nam-{year}.csv"),
        "text/csv; charset=utf-8",
        out,
    ))
}
