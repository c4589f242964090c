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

/// Records per read transaction of the export.
const EXPORT_BATCH: usize = 1_000;

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
    label: String,
    target: String,
    detail: String,
}

/// What an action is called on the page. Every action the code writes has its name
/// here; an unknown one (from a newer version) says so without showing its code.
fn label(action: &str) -> String {
    if let Some(step) = action.strip_prefix("step:") {
        return match crate::workflow::Action::parse(step) {
            Some(a) => format!("Bước quy trình: {}", a.done_label()),
            None => "Bước quy trình".to_string(),
        };
    }
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
        "password_reset_link" => "Tạo liên kết đặt lại mật khẩu",
        "password_set_by_link" => "Đặt mật khẩu qua liên kết",
        "password_changed" | "password_set" => "Đổi mật khẩu",
        "delegation_granted" => "Ủy quyền duyệt",
        "delegation_revoked" => "Thu hồi ủy quyền",
        "second_factor_enrolled" => "Bật xác thực hai bước",
        "second_factor_removed" => "Tắt xác thực hai bước",
        "second_factor_reset" => "Gỡ xác thực hai bước bị mất",
        "recovery_codes_renewed" => "Cấp lại mã dự phòng",
        "backup_created" => "Sao lưu",
        "backup_downloaded" => "Tải bản sao lưu về",
        "integrity_check" => "Kiểm tra tính toàn vẹn",
        "review_checked" => "Rà soát tin đã đăng: đạt",
        "review_reported" => "Rà soát tin đã đăng: báo cáo sai sót",
        "review_handled" => "Xử lý báo cáo rà soát",
        "page_reviewed" => "Xác nhận trang vẫn đúng",
        "first_published_set" => "Đặt ngày đăng đầu tiên",
        "settings_draft_saved" => "Lưu bản nháp cấu hình",
        "settings_draft_returned" => "Trả lại bản nháp cấu hình",
        "settings_changed" | "settings_approved" => "Duyệt và áp dụng cấu hình",
        "redirect_set" => "Đặt chuyển hướng",
        "redirect_removed" => "Xóa chuyển hướng",
        "import_started" => "Bắt đầu nhập nội dung",
        "import_approved" => "Duyệt lô nhập",
        "import_discarded" => "Hủy lô nhập",
        "checklist_import_done" => "Xác nhận đã nhập nội dung cũ",
        "message_handled" => "Xử lý ý kiến, đề nghị",
        "message_personal_data_erased" => "Xóa thông tin cá nhân (ý kiến)",
        "comment_approved" => "Duyệt góp ý dự thảo",
        "comment_rejected" => "Không đăng góp ý dự thảo",
        "comment_personal_data_erased" => "Xóa thông tin cá nhân (góp ý)",
        "question_routed" => "Chuyển câu hỏi tới đơn vị",
        "question_closed" => "Đóng câu hỏi",
        "question_personal_data_erased" => "Xóa thông tin cá nhân (câu hỏi)",
        _ => "Việc khác",
    }
    .to_string()
}

/// What an action happened to, in words.
fn target_text(action: &str, target: &str) -> String {
    let numbered = |prefix: &str, word: &str| {
        target
            .strip_prefix(prefix)
            .filter(|n| n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty())
            .map(|n| format!("{word} số {n}"))
    };
    if let Some(text) = numbered("entry ", "Mục")
        .or_else(|| numbered("comment ", "Góp ý"))
        .or_else(|| numbered("batch ", "Lô nhập"))
    {
        return text;
    }
    match (action, target) {
        ("integrity_check", n) if n.chars().all(|c| c.is_ascii_digit()) => {
            format!("Lần kiểm tra số {n}")
        }
        (_, "sections") => "Cây chuyên mục".into(),
        (_, "site_draft" | "site") => "Giao diện, thông tin trang".into(),
        (_, "checklist") => "Việc cần làm khi bắt đầu".into(),
        _ => target.to_string(),
    }
}

/// The detail of a record, in words: the codes and English some actions write (for
/// the JSON export and older records) become Vietnamese here.
fn detail_text(action: &str, detail: &str) -> String {
    if action.starts_with("step:") {
        // "user #6, Approved → Published, revision 127"
        let parts: Vec<&str> = detail.split(", ").collect();
        if let [_, states, revision] = parts.as_slice()
            && let Some((from, to)) = states.split_once(" → ")
        {
            let state = |name: &str| {
                state_from(name).map_or_else(
                    || name.to_string(),
                    |s| crate::workflow::state_label(s).to_string(),
                )
            };
            let revision = revision.trim_start_matches("revision ");
            return format!("{} → {}, phiên bản {revision}", state(from), state(to));
        }
        return detail.to_string();
    }
    match action {
        "integrity_check" => match detail {
            "all as approved" => "Mọi thứ khớp với bản đã duyệt".into(),
            d => d
                .strip_suffix(" mismatches")
                .map_or_else(|| d.to_string(), |n| format!("{n} điểm không khớp")),
        },
        "backup_created" => {
            // "123 bytes, 4 blobs, verified[, encrypted]"
            let mut words = Vec::new();
            for part in detail.split(", ") {
                if let Some(bytes) = part.strip_suffix(" bytes").and_then(|b| b.parse().ok()) {
                    words.push(crate::format::file_size(bytes));
                } else if let Some(n) = part.strip_suffix(" blobs") {
                    words.push(format!("{n} tệp"));
                } else if part == "verified" {
                    words.push("đã kiểm tra".into());
                } else if part == "encrypted" {
                    words.push("đã mã hóa".into());
                } else {
                    words.push(part.to_string());
                }
            }
            words.join(", ")
        }
        "backup_downloaded" => detail
            .strip_suffix(" bytes")
            .and_then(|b| b.parse().ok())
            .map_or_else(|| detail.to_string(), crate::format::file_size),
        "review_checked" | "review_reported" => detail.replacen("revision ", "phiên bản ", 1),
        "disabled_inactive" => detail
            .strip_prefix("no activity for ")
            .and_then(|d| d.strip_suffix(" days"))
            .map_or_else(
                || detail.to_string(),
                |d| format!("{d} ngày không hoạt động"),
            ),
        "first_published_set" => match detail.split_once(" → ") {
            Some((from, to)) => {
                let when = |t: &str| {
                    t.parse::<jiff::Timestamp>()
                        .map_or_else(|_| t.to_string(), format::datetime)
                };
                format!("{} → {}", when(from), when(to))
            }
            None => detail.to_string(),
        },
        "import_approved" => {
            // "<source> <input>: N published, M redirects (K skipped: loops)"
            let numbers: Vec<&str> = detail
                .rsplit(": ")
                .next()
                .unwrap_or("")
                .split(|c: char| !c.is_ascii_digit())
                .filter(|n| !n.is_empty())
                .collect();
            match numbers.as_slice() {
                [published, redirects, skipped] => format!(
                    "{published} mục được đăng, {redirects} địa chỉ cũ được chuyển hướng{}",
                    if *skipped == "0" {
                        String::new()
                    } else {
                        format!(", {skipped} địa chỉ bỏ qua vì tạo vòng lặp")
                    }
                ),
                _ => detail.to_string(),
            }
        }
        "import_discarded" => match detail.split_once(" drafts removed: ") {
            Some((n, reason)) => format!("{n} bản nháp đã xóa; lý do: {reason}"),
            None => detail.to_string(),
        },
        _ => detail.to_string(),
    }
}

/// A state as the record writes it (its Rust name).
fn state_from(name: &str) -> Option<crate::content::State> {
    use crate::content::State;
    Some(match name.trim() {
        "Draft" => State::Draft,
        "Submitted" => State::Submitted,
        "InReview" => State::InReview,
        "Returned" => State::Returned,
        "Approved" => State::Approved,
        "Scheduled" => State::Scheduled,
        "Published" => State::Published,
        "Withdrawn" => State::Withdrawn,
        _ => return None,
    })
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
    let wanted = query.trang;
    let (verified, records, total, page_no) = app
        .store
        .read(move |tx| -> Result<_, crate::store::Error> {
            let verified = audit::verify(tx)?;
            let (mut records, total) = audit::page(tx, &filter, (wanted - 1) * PER_PAGE, PER_PAGE)?;
            // A page past the end shows the last one.
            let last_page = total.div_ceil(PER_PAGE).max(1);
            let page_no = wanted.min(last_page);
            if page_no != wanted {
                records = audit::page(tx, &filter, (page_no - 1) * PER_PAGE, PER_PAGE)?.0;
            }
            Ok((verified, records, total, page_no))
        })
        .await?;
    let pages = total.div_ceil(PER_PAGE).max(1);
    let rows = records
        .into_iter()
        .map(|r| Row {
            label: label(&r.action),
            target: target_text(&r.action, &r.target),
            detail: detail_text(&r.action, &r.detail),
            seq: r.seq,
            at: format::datetime(r.at),
            actor: r.actor,
            ip: r.ip,
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

/// Where the export's stream stands.
enum Export {
    /// The next records to send; none left when empty.
    Batch(Vec<Record>),
    Failed(String),
    Done,
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
    // The first batch is read before answering, so a store that cannot be read gets
    // an error page, not a broken download.
    let first = {
        let filter = filter.clone();
        app.store
            .read(move |tx| audit::batch_after(tx, &filter, 0, EXPORT_BATCH))
            .await?
    };
    tracing::info!(by = %staff.user.login, "audit trail export started");
    let name = format!("nhat-ky-{}.jsonl", format::iso_date(app.clock.now()));
    let batches = futures_util::stream::unfold(
        (app.clone(), filter, Export::Batch(first)),
        |(app, filter, state)| async move {
            match state {
                Export::Batch(batch) => {
                    let last = batch.last()?.seq;
                    let chunk = bytes::Bytes::from(audit::json_lines(&batch));
                    let next = {
                        let filter = filter.clone();
                        app.store
                            .read(move |tx| audit::batch_after(tx, &filter, last, EXPORT_BATCH))
                            .await
                    };
                    let state = match next {
                        Ok(batch) => Export::Batch(batch),
                        Err(e) => Export::Failed(e.to_string()),
                    };
                    Some((Ok(chunk), (app, filter, state)))
                }
                // The download ends unfinished (no final chunk), never as a short file
                // that looks whole.
                Export::Failed(why) => {
                    tracing::error!("audit trail export stopped: {why}");
                    Some((Err(std::io::Error::other(why)), (app, filter, Export::Done)))
                }
                Export::Done => None,
            }
        },
    );
    Ok(super::attachment(
        &name,
        "application/x-ndjson; charset=utf-8",
        axum::body::Body::from_stream(batches),
    ))
}
