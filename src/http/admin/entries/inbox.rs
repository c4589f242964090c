//! `GET /quan-tri`: what waits for this person, the Board's open reports, and for
//! administrators the state of backups and the certificate.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::super::views::AdminLayout;
use super::super::{SignedIn, Staff, page};
use super::{Row, row};
use crate::app::App;
use crate::auth::{self};
use crate::backup::schedule;
use crate::content::editorial::{self};
use crate::content::{self};
use crate::http::error::{HttpError, Outcome};
use crate::http::params::Params;
use crate::integrity::review;
use crate::workflow::Role;

#[derive(Serialize)]
pub(super) struct InboxView {
    pub(super) layout: AdminLayout,
    pub(super) rows: Vec<Row>,
    /// Everything else that waits: questions, approvals of the look and sections,
    /// comments, messages, late entries, imports, and administrators' warnings.
    pub(super) others: Vec<OtherRow>,
    /// For the Editorial Board: reports from the daily review not yet handled.
    pub(super) reports: Vec<ReportRow>,
    /// For administrators: the last daily backup and the last verified restore.
    pub(super) backup: Option<String>,
    /// For administrators: the certificate in service.
    pub(super) certificate: Option<String>,
}

#[derive(Serialize)]
pub(super) struct OtherRow {
    kind: &'static str,
    title: String,
    url: String,
    due: String,
    left: String,
    overdue: bool,
}

#[derive(Serialize)]
pub(super) struct ReportRow {
    pub(super) seq: u64,
    pub(super) entry: u64,
    pub(super) title: String,
    pub(super) by: String,
    pub(super) at: String,
    pub(super) note: String,
}

/// `GET /quan-tri` — "Việc của tôi".
pub async fn inbox(
    State(app): State<Arc<App>>,
    SignedIn(staff): SignedIn,
    query: Params,
) -> Result<Response, HttpError> {
    let (actor, today, now) = (staff.actor.clone(), app.today(), app.clock.now());
    let units = app.store.read(auth::units).await?;
    let categories = app.store.read(content::categories).await?;
    let mut rows: Vec<Row> = app
        .store
        .read(move |tx| editorial::waiting_for(tx, &actor, today))
        .await?
        .iter()
        .map(|(entry, revision, next)| {
            let next = next.iter().map(|a| a.label()).collect();
            row(entry, revision, &units, &categories, next, now)
        })
        .collect();
    // Overdue schedules first, then the oldest waiting.
    rows.sort_by_key(|r| !r.overdue);
    let reports = reports_for(&app, &staff).await?;
    let backup = backup_line(&app, &staff).await?;
    let waiting = super::super::waiting_now(&app, &staff).await?;
    let counts = waiting.counts();
    app.menu_counts.put(staff.user.id.0, counts.clone());
    let others = waiting
        .others
        .iter()
        // The Board's reports have their own table below, with its button.
        .filter(|w| w.kind != review::REPORT_KIND)
        .map(|w| OtherRow {
            kind: w.kind,
            title: w.title.clone(),
            url: w.url.clone(),
            due: w.due.map(crate::format::civil_date).unwrap_or_default(),
            left: match (w.days_left, w.working_days) {
                (None, _) => String::new(),
                (Some(d), true) if d < 0 => format!("Quá hạn {} ngày làm việc", -d),
                (Some(d), false) if d < 0 => format!("Quá hạn {} ngày", -d),
                (Some(0), _) => "Hết hạn hôm nay".to_string(),
                (Some(d), true) => format!("Còn {d} ngày làm việc"),
                (Some(d), false) => format!("Còn {d} ngày"),
            },
            overdue: w.overdue(),
        })
        .collect();
    let view = InboxView {
        layout: AdminLayout::new(&waiting.site, &staff, "Việc của tôi", "/quan-tri", &counts)
            .with_flash(query.flash()),
        others,
        rows,
        reports,
        backup,
        certificate: staff
            .user
            .roles
            .contains(&crate::workflow::Role::Administrator)
            .then(|| certificate_line(&app, now)),
    };
    page(&app, "admin/inbox.html", &view, Outcome::Shown)
}

/// For the Editorial Board: reports from the daily review not yet handled.
async fn reports_for(app: &App, staff: &Staff) -> Result<Vec<ReportRow>, HttpError> {
    let board = staff.actor.has(Role::BoardHead) || staff.actor.has(Role::BoardMember);
    if !board {
        return Ok(Vec::new());
    }
    let open = app.store.read(review::open_reports).await?;
    Ok(open
        .into_iter()
        .map(|r| ReportRow {
            seq: r.seq,
            entry: r.entry,
            title: r.title,
            by: r.by_name,
            at: crate::format::datetime(r.at),
            note: match r.verdict {
                review::Verdict::Reported { note } => note,
                review::Verdict::Checked => String::new(),
            },
        })
        .collect())
}

/// For administrators: the last daily backup and the last verified restore.
async fn backup_line(app: &App, staff: &Staff) -> Result<Option<String>, HttpError> {
    if !staff.actor.has(Role::Administrator) {
        return Ok(None);
    }
    let format = crate::format::datetime;
    Ok(Some(match app.store.read(schedule::last_run).await? {
        None => "Chưa có lần sao lưu tự động nào.".to_string(),
        Some(run) => format!(
            "Sao lưu tự động gần nhất: {} ({}). Khôi phục thử thành công gần nhất: {}.",
            format(run.at),
            if run.ok {
                "thành công"
            } else {
                "không thành công"
            },
            run.last_verified_restore
                .map_or("chưa có".to_string(), format)
        ),
    }))
}

/// "Chứng chỉ …": subject, issuer and expiry of the certificate in service.
pub(super) fn certificate_line(app: &App, now: jiff::Timestamp) -> String {
    let path = crate::http::tls::configured_cert_path(&app.config);
    match crate::http::certinfo::from_pem_file(&path) {
        Some(info) => format!(
            "Chứng chỉ TLS cho {} do {} cấp, hết hạn {} (còn {} ngày).",
            info.subject,
            info.issuer,
            crate::format::date(info.not_after),
            info.not_after.duration_since(now).as_hours() / 24
        ),
        None if matches!(app.config.tls, crate::config::TlsSource::Acme(_)) => {
            "Chưa có chứng chỉ từ tổ chức cấp ACME; máy chủ đang dùng chứng chỉ tự ký và sẽ thử xin lại.".to_string()
        }
        None => format!("Không đọc được chứng chỉ TLS {}.", path.display()),
    }
}
