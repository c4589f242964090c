//! `GET /quan-tri`: what waits for this person, the Board's open reports, and for
//! administrators the state of backups and the certificate.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::super::views::AdminLayout;
use super::super::{SignedIn, page};
use super::{Row, row};
use crate::app::App;
use crate::auth::{self};
use crate::content::editorial::{self};
use crate::content::{self};
use crate::http::error::{HttpError, Outcome};
use crate::http::params::Params;
use crate::workflow::{self, Action};

#[derive(Serialize)]
pub(super) struct InboxView {
    pub(super) layout: AdminLayout,
    pub(super) rows: Vec<Row>,
    /// For the Editorial Board: reports from the daily review not yet handled.
    pub(super) reports: Vec<ReportRow>,
    /// For administrators: the last daily backup and the last verified restore.
    pub(super) backup: Option<String>,
    /// For administrators: the certificate in service.
    pub(super) certificate: Option<String>,
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
    let (site, rows, reports, backup) = app
        .store
        .read(move |tx| -> Result<_, HttpError> {
            let units = auth::units(tx)?;
            let categories = content::categories(tx)?;
            let mut rows = Vec::new();
            for entry in editorial::inbox(tx, &actor, today)? {
                let revision = editorial::revision(tx, entry.working)?;
                let next = workflow::available(&actor, &editorial::facts(&entry), today)
                    .into_iter()
                    .filter(|a| *a != Action::Save && *a != Action::Withdraw)
                    .map(Action::label)
                    .collect();
                rows.push(row(&entry, &revision, &units, &categories, next, now));
            }
            // Overdue schedules first, then the oldest waiting.
            rows.sort_by_key(|r| !r.overdue);
            let board = actor.roles.contains(&crate::workflow::Role::BoardHead)
                || actor.roles.contains(&crate::workflow::Role::BoardMember);
            let reports = if board {
                crate::integrity::review::open_reports(tx)
                    .map_err(|e| HttpError::Internal(e.to_string()))?
                    .into_iter()
                    .map(|r| ReportRow {
                        seq: r.seq,
                        entry: r.entry,
                        title: r.title,
                        by: r.by_name,
                        at: crate::format::datetime(r.at),
                        note: match r.verdict {
                            crate::integrity::review::Verdict::Reported { note } => note,
                            crate::integrity::review::Verdict::Checked => String::new(),
                        },
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let backup = if actor.roles.contains(&crate::workflow::Role::Administrator) {
                let format = crate::format::datetime;
                Some(match crate::backup::schedule::last_run(tx)? {
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
                })
            } else {
                None
            };
            Ok((crate::site::load(tx)?.agency_name, rows, reports, backup))
        })
        .await?;
    let view = InboxView {
        layout: AdminLayout::new(
            &site,
            &staff,
            "Việc của tôi",
            "/quan-tri",
            rows.len() + reports.len(),
        )
        .with_flash(query.flash()),
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
