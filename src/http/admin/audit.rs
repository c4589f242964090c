//! The audit trail for administrators: browse and filter it, see whether the chain
//! verifies, and export what the filter selects as JSON lines.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use jiff::Timestamp;
use serde::Serialize;

use super::views::AdminLayout;
use super::{Desk, SignedIn, page};
use crate::app::App;
use crate::audit::{self, Filter, Record};
use crate::format;
use crate::http::error::{HttpError, Outcome};
use crate::http::params::Params;

const PER_PAGE: usize = 100;

/// The filter as typed in the form (kept to fill the form again).
#[derive(Debug, Clone, Default, Serialize)]
struct Query {
    nguoi: String,
    hanh_dong: String,
    tu_ngay: String,
    den_ngay: String,
    trang: usize,
}

impl Query {
    fn parse(params: &Params) -> Query {
        let text = |name| params.get(name).trim().to_string();
        Query {
            nguoi: text("nguoi"),
            hanh_dong: text("hanh_dong"),
            tu_ngay: text("tu_ngay"),
            den_ngay: text("den_ngay"),
            trang: params.number("trang").unwrap_or(1).clamp(1, 100_000),
        }
    }

    /// The filter, or a Vietnamese message about a date that does not parse.
    fn filter(&self) -> Result<Filter, &'static str> {
        let day = |text: &str, plus_one: bool| -> Result<Option<Timestamp>, &'static str> {
            if text.is_empty() {
                return Ok(None);
            }
            let date: jiff::civil::Date = text
                .parse()
                .map_err(|_| "Ngày lọc không hợp lệ; hãy chọn ngày theo dạng năm-tháng-ngày.")?;
            let date = if plus_one {
                date.tomorrow().unwrap_or(date)
            } else {
                date
            };
            Ok(date
                .to_datetime(jiff::civil::Time::midnight())
                .to_zoned_datetime(format::vietnam())
                .ok()
                .map(|z| z.timestamp()))
        };
        Ok(Filter {
            person: Some(self.nguoi.to_lowercase()).filter(|p| !p.is_empty()),
            action: Some(self.hanh_dong.clone()).filter(|a| !a.is_empty()),
            from: day(&self.tu_ngay, false)?,
            until: day(&self.den_ngay, true)?,
        })
    }

    fn encoded(&self) -> String {
        let enc = super::form::encode;
        format!(
            "nguoi={}&hanh_dong={}&tu_ngay={}&den_ngay={}",
            enc(&self.nguoi),
            enc(&self.hanh_dong),
            enc(&self.tu_ngay),
            enc(&self.den_ngay)
        )
    }
}

#[derive(Serialize)]
struct Row {
    seq: u64,
    at: String,
    actor: String,
    ip: String,
    action: String,
    label: &'static str,
    target: String,
    detail: String,
}

/// What an action is called on the page.
fn label(action: &str) -> &'static str {
    match action {
        "login" => "Đăng nhập",
        "login_failed" => "Đăng nhập sai",
        "login_refused_locked" => "Đăng nhập khi đang khóa",
        "locked" => "Khóa tài khoản",
        "unlocked" => "Mở khóa tài khoản",
        "session_revoked" => "Đóng một phiên",
        "disabled_inactive" => "Khóa vì lâu không dùng",
        "password_rehashed" => "Cập nhật mã băm mật khẩu",
        "sessions_revoked" => "Đóng các phiên",
        "user_created" => "Tạo tài khoản",
        "user_updated" => "Sửa tài khoản, vai trò",
        "password_reset" => "Cấp mật khẩu một lần",
        "password_changed" | "password_set" => "Đổi mật khẩu",
        "delegation_granted" => "Ủy quyền duyệt",
        "delegation_revoked" => "Thu hồi ủy quyền",
        a if a.starts_with("step:") => "Bước quy trình",
        _ => "Khác",
    }
}

#[derive(Serialize)]
struct TrailView {
    layout: AdminLayout,
    query: Query,
    query_string: String,
    rows: Vec<Row>,
    total: usize,
    page: usize,
    pages: usize,
    /// Records in the chain when it verifies.
    chain_ok: Option<usize>,
    /// Where it breaks, when it does.
    chain_break: Option<String>,
    error: Option<&'static str>,
    retention_days: i64,
}

/// `GET /quan-tri/nhat-ky`
pub async fn audit_page(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    let query = Query::parse(&query);
    let (filter, error) = match query.filter() {
        Ok(f) => (f, None),
        Err(message) => (Filter::default(), Some(message)),
    };
    let (verified, records) = app
        .store
        .read(move |tx| audit::verify_and_select(tx, Some(&filter)))
        .await?;
    let total = records.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page_no = query.trang.min(pages);
    let rows = records
        .into_iter()
        .skip((page_no - 1) * PER_PAGE)
        .take(PER_PAGE)
        .map(|r| Row {
            label: label(&r.action),
            seq: r.seq,
            at: format::datetime(r.at),
            actor: r.actor,
            ip: r.ip,
            action: r.action,
            target: r.target,
            detail: r.detail,
        })
        .collect();
    let (chain_ok, chain_break) = match verified {
        Ok(n) => (Some(n), None),
        Err(b) => (None, Some(b.vietnamese())),
    };
    if let Some(b) = &chain_break {
        tracing::error!("audit chain does not verify: {b}");
    }
    let view = TrailView {
        layout: staff.layout("Nhật ký hệ thống"),
        query_string: query.encoded(),
        query,
        rows,
        total,
        page: page_no,
        pages,
        chain_ok,
        chain_break,
        error,
        retention_days: app.config.audit_retention_days,
    };
    let outcome = if error.is_some() {
        Outcome::Invalid
    } else {
        Outcome::Shown
    };
    page(&app, "admin/audit.html", &view, outcome)
}

/// `GET /quan-tri/nhat-ky/xuat` — what the filter selects, oldest first, one JSON
/// record per line, hashes included so the chain can be checked elsewhere.
pub async fn audit_export(
    State(app): State<Arc<App>>,
    SignedIn(staff): SignedIn,
    query: Params,
) -> Result<Response, HttpError> {
    let filter = Query::parse(&query)
        .filter()
        .map_err(|_| HttpError::BadRequest("invalid date in the audit filter"))?;
    let records: Vec<Record> = app.store.read(move |tx| audit::select(tx, &filter)).await?;
    tracing::info!(by = %staff.user.login, records = records.len(), "audit trail exported");
    let name = format!("nhat-ky-{}.jsonl", format::iso_date(app.clock.now()));
    Ok(super::attachment(
        &name,
        "application/x-ndjson; charset=utf-8",
        audit::json_lines(&records),
    ))
}
