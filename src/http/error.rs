//! `HttpError`: the one place a status code is chosen for a failure. Responses it makes
//! carry an `ErrorPage` marker; the frame middleware turns that into a Vietnamese error
//! page with the request id, and logs the internal detail, which pages never show.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::{content, render, store};

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("host not served here")]
    MisdirectedHost,
    #[error("URI too long")]
    UriTooLong,
    #[error("request header fields too large")]
    HeaderFieldsTooLarge,
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("request body too slow")]
    RequestTimeout,
    /// Too many request bodies are on their way in (see `body_deadline`).
    #[error("too many request bodies in flight")]
    Busy,
    #[error("internal error: {0}")]
    Internal(String),
    /// Not signed in: go to the login page, then back to `next`.
    #[error("login required")]
    LoginRequired { next: String },
    /// Signed in with a one-time password: choose a new one first.
    #[error("password change required")]
    PasswordChangeRequired,
    /// Their role needs a second factor and they have none yet.
    #[error("second factor enrolment required")]
    SecondFactorRequired,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// An uploaded file whose bytes the integrity check found altered.
    #[error("file held by the integrity check")]
    HeldForReview,
    /// The store could not read what the page needs (a damaged database page).
    #[error("store unavailable: {0}")]
    StoreUnavailable(String),
    /// The store refuses writes until its file is reopened (a full disk).
    #[error("writes unavailable: {0}")]
    WritesUnavailable(String),
    /// The search index was found damaged and is being rebuilt from the store.
    #[error("search index being rebuilt: {0}")]
    SearchRebuilding(String),
    /// The search index is being built from the store (new, or of an older format),
    /// while the rest of the site serves.
    #[error("search index being built")]
    SearchBuilding,
    /// The address moved for good (a retired section, an old site's address): 301 to it.
    #[error("moved to {0}")]
    Moved(String),
}

/// How a rendered page answers: the status of pages that are not errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Shown,
    /// A form came back with field messages.
    Invalid,
    /// Saving over a newer revision: both versions are shown.
    Conflict,
    /// Too many attempts: the form is shown again, but nothing was tried.
    Throttled,
    /// What was asked for is gone for good (a used or expired link, a withdrawn item).
    Gone,
}

impl Outcome {
    pub fn status(self) -> StatusCode {
        match self {
            Outcome::Shown => StatusCode::OK,
            Outcome::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            Outcome::Conflict => StatusCode::CONFLICT,
            Outcome::Gone => StatusCode::GONE,
            Outcome::Throttled => StatusCode::TOO_MANY_REQUESTS,
        }
    }
}

/// Put on error responses; the frame middleware renders the page.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: StatusCode,
    /// The Vietnamese heading and message.
    pub text: (&'static str, &'static str),
    /// For the log only.
    pub detail: String,
    /// For a 503, the state the server is in, which many requests meet at once: the
    /// log tells it once per kind every ten seconds (`logs::Summarised`).
    pub state: Option<&'static str>,
}

impl HttpError {
    pub fn status(&self) -> StatusCode {
        match self {
            HttpError::NotFound => StatusCode::NOT_FOUND,
            HttpError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HttpError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            HttpError::MisdirectedHost => StatusCode::MISDIRECTED_REQUEST,
            HttpError::Moved(_) => StatusCode::MOVED_PERMANENTLY,
            HttpError::UriTooLong => StatusCode::URI_TOO_LONG,
            HttpError::HeaderFieldsTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            HttpError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            HttpError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            HttpError::LoginRequired { .. }
            | HttpError::PasswordChangeRequired
            | HttpError::SecondFactorRequired => StatusCode::SEE_OTHER,
            HttpError::Forbidden(_) => StatusCode::FORBIDDEN,
            HttpError::HeldForReview
            | HttpError::StoreUnavailable(_)
            | HttpError::WritesUnavailable(_)
            | HttpError::SearchRebuilding(_)
            | HttpError::SearchBuilding
            | HttpError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The state behind a 503, named for the log.
    fn state(&self) -> Option<&'static str> {
        match self {
            HttpError::HeldForReview => Some("file_held_for_review"),
            HttpError::StoreUnavailable(_) => Some("store_unreadable"),
            HttpError::WritesUnavailable(_) => Some("store_unwritable"),
            HttpError::SearchRebuilding(_) => Some("search_rebuilding"),
            HttpError::SearchBuilding => Some("search_building"),
            HttpError::Busy => Some("bodies_busy"),
            _ => None,
        }
    }

    /// The heading and message of the error page.
    pub fn text(&self) -> (&'static str, &'static str) {
        match self {
            HttpError::HeldForReview => (
                "Tệp đang được kiểm tra",
                "Tệp này tạm thời không được cung cấp trong khi cơ quan kiểm tra tính toàn vẹn và sẽ có lại khi hoàn tất. Xin cảm ơn bạn đọc.",
            ),
            HttpError::WritesUnavailable(_) => (
                "Hệ thống tạm thời không ghi được dữ liệu",
                "Máy chủ tạm thời không lưu được dữ liệu (thường do ổ đĩa đầy). Nội dung bạn vừa gửi chưa được lưu: hãy giữ lại bản đang soạn và thử lại sau ít phút. Việc xem trang vẫn bình thường và quản trị viên đã được báo.",
            ),
            HttpError::SearchBuilding => (
                "Tìm kiếm đang được chuẩn bị",
                "Máy chủ đang lập chỉ mục tìm kiếm từ dữ liệu gốc (sau khi cài đặt, nâng cấp, khôi phục, hoặc khi chỉ mục cũ bị hỏng); với trang thông tin có nhiều bài viết, việc này có thể mất vài phút. Các trang khác vẫn hoạt động bình thường. Vui lòng thử tìm lại sau ít phút.",
            ),
            HttpError::SearchRebuilding(_) => (
                "Tìm kiếm đang được khôi phục",
                "Dữ liệu tra cứu của chức năng tìm kiếm bị hỏng và đang được dựng lại tự động từ dữ liệu gốc; việc này thường mất vài phút. Các trang khác vẫn hoạt động bình thường. Vui lòng thử tìm lại sau ít phút.",
            ),
            HttpError::Busy => (
                "Máy chủ đang bận",
                "Máy chủ đang nhận quá nhiều dữ liệu gửi lên cùng lúc. Vui lòng gửi lại sau ít phút.",
            ),
            HttpError::StoreUnavailable(_) => (
                "Hệ thống tạm thời không đọc được dữ liệu",
                "Trang này tạm thời không đọc được do lỗi của dữ liệu lưu trữ; các trang khác vẫn hoạt động. Quản trị viên đã được báo. Nếu cần báo lỗi, hãy gửi kèm mã yêu cầu dưới đây.",
            ),
            other => describe(other.status()),
        }
    }
}

/// A 303 to `location`: the answer to every successful form post.
pub fn see_other(location: &str) -> Response {
    redirect(StatusCode::SEE_OTHER, location)
}

fn redirect(status: StatusCode, location: &str) -> Response {
    match axum::http::HeaderValue::from_str(location) {
        Ok(value) => (status, [(axum::http::header::LOCATION, value)]).into_response(),
        Err(_) => HttpError::Internal(format!("bad redirect target {location:?}")).into_response(),
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        match &self {
            HttpError::LoginRequired { next } => {
                let mut target = String::from("/quan-tri/dang-nhap");
                if next.starts_with("/quan-tri") && !next.starts_with("//") {
                    target.push_str("?tiep=");
                    target.push_str(&crate::http::admin::form::encode(next));
                }
                return see_other(&target);
            }
            HttpError::PasswordChangeRequired => return see_other("/quan-tri/doi-mat-khau"),
            HttpError::SecondFactorRequired => {
                return see_other("/quan-tri/xac-thuc-hai-buoc?tb=can-xac-thuc");
            }
            HttpError::Moved(location) => {
                return redirect(StatusCode::MOVED_PERMANENTLY, location);
            }
            _ => {}
        }
        let status = self.status();
        let mut response = status.into_response();
        response.extensions_mut().insert(ErrorPage {
            status,
            text: self.text(),
            detail: self.to_string(),
            state: self.state(),
        });
        response
    }
}

impl From<store::Error> for HttpError {
    fn from(e: store::Error) -> Self {
        match e {
            store::Error::Damaged(_) | store::Error::Reopening => {
                HttpError::StoreUnavailable(e.to_string())
            }
            store::Error::Unwritable(_) => HttpError::WritesUnavailable(e.to_string()),
            store::Error::Blob(ref io) if crate::files::is_disk_full(io) => {
                HttpError::WritesUnavailable(e.to_string())
            }
            e => HttpError::Internal(e.to_string()),
        }
    }
}

impl From<render::Error> for HttpError {
    fn from(e: render::Error) -> Self {
        HttpError::Internal(e.to_string())
    }
}

impl From<content::Error> for HttpError {
    fn from(e: content::Error) -> Self {
        match e {
            content::Error::NoSuchEntry(_) => HttpError::NotFound,
            content::Error::Denied(_) => HttpError::Forbidden("workflow step not permitted"),
            other => HttpError::Internal(other.to_string()),
        }
    }
}

impl From<crate::auth::Error> for HttpError {
    fn from(e: crate::auth::Error) -> Self {
        match e {
            crate::auth::Error::NoSuchUser | crate::auth::Error::NoSuchUnit => HttpError::NotFound,
            crate::auth::Error::AlreadyEnrolled => {
                HttpError::BadRequest("the account already has a second factor")
            }
            crate::auth::Error::NoSecondFactor => {
                HttpError::BadRequest("the account has no second factor")
            }
            crate::auth::Error::ConfirmationRequired => {
                HttpError::Forbidden("the password must confirm this change")
            }
            other => HttpError::Internal(other.to_string()),
        }
    }
}

impl From<crate::media::Error> for HttpError {
    fn from(e: crate::media::Error) -> Self {
        HttpError::Internal(e.to_string())
    }
}

impl From<crate::citizen::Error> for HttpError {
    fn from(e: crate::citizen::Error) -> Self {
        match e {
            crate::citizen::Error::Store(e) => e.into(),
            crate::citizen::Error::NoSuchMessage => HttpError::NotFound,
            crate::citizen::Error::NoteRequired => HttpError::BadRequest("a note is required"),
        }
    }
}

impl From<crate::citizen::questions::Error> for HttpError {
    fn from(e: crate::citizen::questions::Error) -> Self {
        use crate::citizen::questions::Error;
        match e {
            Error::Store(e) => e.into(),
            Error::Content(e) => e.into(),
            Error::Random(e) => e.into(),
            Error::NoSuchQuestion => HttpError::NotFound,
            Error::AlreadyAnswered => HttpError::BadRequest("the question already has an answer"),
            Error::Closed => HttpError::BadRequest("the question is closed"),
            Error::ReasonRequired => HttpError::BadRequest("a reason is required"),
            Error::NoSuchUnit => HttpError::BadRequest("no such unit"),
            Error::Denied(crate::workflow::Denied::NotPermitted) => {
                HttpError::Forbidden("this question step is not permitted")
            }
            Error::Denied(crate::workflow::Denied::NotFromThisState) => {
                HttpError::BadRequest("this question step is not possible now")
            }
        }
    }
}

impl From<crate::citizen::comments::Error> for HttpError {
    fn from(e: crate::citizen::comments::Error) -> Self {
        use crate::citizen::comments::Error;
        match e {
            Error::Store(e) => e.into(),
            Error::NoSuchComment | Error::NoSuchDraft => HttpError::NotFound,
            Error::NotOpen => HttpError::BadRequest("commenting is not open"),
            Error::ReasonRequired => HttpError::BadRequest("a reason is required"),
        }
    }
}

impl From<crate::integrity::review::Error> for HttpError {
    fn from(e: crate::integrity::review::Error) -> Self {
        use crate::integrity::review::Error;
        match e {
            Error::Store(e) => e.into(),
            Error::NoSuchEntry | Error::NoSuchReport => HttpError::NotFound,
            Error::NoteRequired => HttpError::BadRequest("a report needs a note"),
            Error::Changed => HttpError::BadRequest("the entry changed since it was shown"),
        }
    }
}

impl From<crate::random::Error> for HttpError {
    fn from(e: crate::random::Error) -> Self {
        HttpError::Internal(e.to_string())
    }
}

impl From<std::io::Error> for HttpError {
    fn from(e: std::io::Error) -> Self {
        HttpError::Internal(e.to_string())
    }
}

/// The Vietnamese heading and message of an error page.
pub fn describe(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => (
            "Yêu cầu không hợp lệ",
            "Địa chỉ hoặc dữ liệu gửi lên không đúng định dạng. Vui lòng kiểm tra lại.",
        ),
        403 => (
            "Không có quyền thực hiện",
            "Tài khoản của bạn không có quyền xem trang này hoặc thực hiện thao tác này. Nếu bạn vừa gửi biểu mẫu, hãy tải lại trang rồi thử lại.",
        ),
        404 => (
            "Không tìm thấy trang",
            "Trang bạn đang tìm không tồn tại hoặc đã được chuyển đi. Hãy thử tìm từ trang chủ hoặc sơ đồ trang.",
        ),
        405 => (
            "Phương thức không được hỗ trợ",
            "Địa chỉ này không nhận loại yêu cầu vừa gửi.",
        ),
        413 => (
            "Dữ liệu gửi lên quá lớn",
            "Nội dung gửi lên vượt quá dung lượng cho phép.",
        ),
        408 => (
            "Quá thời gian chờ",
            "Dữ liệu gửi lên quá chậm nên máy chủ đã dừng chờ. Vui lòng thử lại.",
        ),
        414 => ("Địa chỉ quá dài", "Địa chỉ trang vượt quá độ dài cho phép."),
        431 => (
            "Phần đầu yêu cầu quá lớn",
            "Yêu cầu mang quá nhiều thông tin kèm theo (thường do cookie quá lớn). Hãy xoá cookie của trang rồi thử lại.",
        ),
        421 => (
            "Máy chủ không phục vụ tên miền này",
            "Địa chỉ bạn gõ không thuộc trang thông tin này.",
        ),
        _ => (
            "Lỗi hệ thống",
            "Đã có lỗi xảy ra khi xử lý yêu cầu. Vui lòng thử lại sau ít phút. Nếu lỗi vẫn tiếp diễn, hãy báo cho quản trị viên kèm mã yêu cầu dưới đây.",
        ),
    }
}
