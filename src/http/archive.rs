//! Archive mode (`[archive]`, `trangtin site archive`): a site a successor replaced
//! stays online read-only, so old links, legal documents and answers still resolve.
//! Every page carries the notice (the renderer's banner); this layer does the rest:
//! the citizens' forms are closed with a page that says where to go instead, every
//! other write is refused the same way, only signing in (for administrators: see
//! `App::attempt_login`) and a person's rights over their own data (erasure, a copy,
//! stopping mail) are let through, and the old addresses the setting lists go to the
//! successor.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use super::admin::{LOGIN, PASSWORD, SECOND_FACTOR_LOGIN};
use super::public::{messages, questions};
use crate::app::App;
use crate::config::Archive;
use crate::render::views::Layout;
use crate::site;

/// What an administrator needs to sign in (a first password change included).
const SIGNING_IN: [&str; 4] = [LOGIN, SECOND_FACTOR_LOGIN, PASSWORD, "/quan-tri/dang-xuat"];

/// Writes an archive still takes, because they are a person's rights over what the
/// site holds about them or choices kept only in their own browser: erasing or
/// downloading their data, stopping mail, and the display preferences (a cookie).
const STILL_TAKEN: [&str; 3] = [questions::ERASE, questions::DOWNLOAD, "/hien-thi"];

/// Whether a POST to `path` is one an archive still takes.
fn still_taken(path: &str) -> bool {
    SIGNING_IN.contains(&path)
        || STILL_TAKEN.contains(&path)
        || path
            .strip_prefix("/thu/ngung/")
            .is_some_and(|token| !token.is_empty() && !token.contains('/'))
}

pub async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let Some(archive) = app.archive() else {
        return next.run(request).await;
    };
    let path = request.uri().path();
    let reading = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if reading {
        if let Some(target) = moved(&archive, request.uri()) {
            return match HeaderValue::try_from(target) {
                Ok(location) => (
                    StatusCode::MOVED_PERMANENTLY,
                    [(header::LOCATION, location)],
                )
                    .into_response(),
                Err(_) => next.run(request).await,
            };
        }
        if !is_form(path) {
            return next.run(request).await;
        }
        return closed(&app, &archive, path, StatusCode::GONE).await;
    }
    if still_taken(path) {
        return next.run(request).await;
    }
    tracing::info!(path, "refused a write: the site is archived");
    closed(&app, &archive, path, StatusCode::FORBIDDEN).await
}

/// The successor's address for an old one the setting sends there.
fn moved(archive: &Archive, uri: &axum::http::Uri) -> Option<String> {
    let successor = archive.successor.as_ref()?;
    let path = uri.path();
    let listed = archive.redirect_prefixes.iter().any(|prefix| {
        path == prefix
            || path
                .strip_prefix(prefix.as_str())
                .is_some_and(|rest| prefix.ends_with('/') || rest.starts_with('/'))
    });
    listed.then(|| {
        let rest = uri.path_and_query().map_or(path, |p| p.as_str());
        format!("{successor}{rest}")
    })
}

/// The citizens' forms, which an archive no longer takes.
fn is_form(path: &str) -> bool {
    path == messages::FEEDBACK
        || path == messages::REUSE
        || path == questions::ASK
        || (path.starts_with("/lay-y-kien/") && path.ends_with("/gop-y"))
}

#[derive(Serialize)]
struct ClosedView {
    layout: Layout,
    message: String,
    successor: Option<String>,
    path: String,
}

/// The page that says the archive takes nothing, and where to go instead.
async fn closed(app: &Arc<App>, archive: &Archive, path: &str, status: StatusCode) -> Response {
    let site = app.store.read(site::load).await.unwrap_or_default();
    let since = archive.since.strftime("%d/%m/%Y").to_string();
    let message = format!(
        "Trang này là trang lưu trữ, không còn cập nhật từ ngày {since}, nên không nhận câu \
         hỏi, góp ý hay bất kỳ thay đổi nào nữa."
    );
    // A form's own address is sent on to the same form on the successor.
    let form_path = if is_form(path) { path } else { "/" };
    let view = ClosedView {
        layout: Layout::new(&site, "", "Trang lưu trữ", path).without_canonical(),
        message: message.clone(),
        successor: archive.successor.clone(),
        path: form_path.to_string(),
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    match app.renderer.render("errors/archived.html", &view) {
        Ok(html) => (status, headers, Html(html)).into_response(),
        Err(e) => {
            tracing::error!("the archive page failed to render: {e}");
            (status, headers, message).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_old_addresses_go_to_the_successor() {
        let archive = Archive {
            since: jiff::civil::date(2025, 7, 1),
            successor: Some("https://moi.example.vn".into()),
            redirect_prefixes: vec!["/tin-tuc".into(), "/thu-tuc/".into()],
        };
        let at = |uri: &str| moved(&archive, &uri.parse().unwrap());
        assert_eq!(
            at("/tin-tuc/bai-a?x=1").as_deref(),
            Some("https://moi.example.vn/tin-tuc/bai-a?x=1")
        );
        assert_eq!(
            at("/tin-tuc").as_deref(),
            Some("https://moi.example.vn/tin-tuc")
        );
        assert_eq!(at("/tin-tucx"), None);
        assert_eq!(
            at("/thu-tuc/a").as_deref(),
            Some("https://moi.example.vn/thu-tuc/a")
        );
        assert_eq!(at("/van-ban/a"), None);
        assert!(is_form("/hoi-dap/gui-cau-hoi"));
        assert!(is_form("/lay-y-kien/du-thao-a/gop-y"));
        assert!(!is_form("/hoi-dap"));
        assert!(still_taken("/thu/ngung/abc"));
        assert!(still_taken("/hoi-dap/tra-cuu/xoa-du-lieu"));
        assert!(!still_taken("/thu/ngung/"));
        assert!(!still_taken("/quan-tri/bai-viet/moi"));
        assert!(!still_taken("/gop-y"));
    }
}
