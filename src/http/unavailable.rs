//! What a site whose store would not open answers: 503 and a page that says so, for
//! every address, while the other sites of the process serve on. The cause is in the
//! log and in `trangtin site list`, not on the page.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use crate::config::Config;

const PAGE: &str = "<!doctype html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Trang tạm ngừng phục vụ</title></head>\
<body style=\"font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem\">\
<h1>Trang tạm ngừng phục vụ</h1>\
<p>Cổng thông tin này đang gặp sự cố kỹ thuật và tạm thời không truy cập được. \
Bộ phận quản trị đã được báo và đang khắc phục. Xin vui lòng quay lại sau.</p>\
</body></html>\n";

pub fn router(config: &Config) -> Router {
    let name = config.name.clone();
    Router::new().fallback(move || {
        let name = name.clone();
        async move {
            tracing::debug!(site = %name, "answered 503: the site's store is not open");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [
                    (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                    (header::RETRY_AFTER, "300"),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                PAGE,
            )
                .into_response()
        }
    })
}
