//! `trangtin export --out DIR`: a static mirror of the public site for any web server,
//! object store or CDN. It renders pages through the real router (no network), starting
//! from the home page, the sitemap, the feeds and the open-data files, and follows every
//! internal link. Paths become files (`/tin-tuc` → `tin-tuc/index.html`); list pages
//! (`?trang=2`) become `…/trang-2.html`; other query strings (filters) are dropped, and
//! the search, which needs the server, is replaced by a page that links to the live one.

use std::collections::{BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

use crate::app::App;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

/// What an export wrote.
#[derive(Debug, Clone, Default)]
pub struct Exported {
    pub pages: usize,
    pub files: usize,
    pub bytes: u64,
}

const SEEDS: &[&str] = &[
    "/",
    "/so-do-trang",
    "/tin-tuc",
    "/van-ban",
    "/thu-tuc",
    "/lich-cong-tac",
    "/du-lieu/van-ban.json",
    "/du-lieu/van-ban.csv",
    "/du-lieu/thu-tuc.json",
    "/du-lieu/thu-tuc.csv",
    "/rss/toan-trang.xml",
    "/robots.txt",
    "/sitemap.xml",
];

/// Pages that need the server (search, and the forms that post to it): the mirror has
/// a notice for each that links to the live page.
const LIVE_ONLY: &[(&str, &str)] = &[
    (crate::paths::SEARCH, "Tìm kiếm"),
    ("/gop-y", "Góp ý"),
    ("/tai-su-dung", "Tái sử dụng thông tin"),
    ("/hien-thi", "Tùy chọn hiển thị"),
    ("/hoi-dap/gui-cau-hoi", "Gửi câu hỏi"),
    ("/hoi-dap/tra-cuu", "Tra cứu câu hỏi"),
    ("/hoi-dap/tra-cuu/xoa-du-lieu", "Tra cứu câu hỏi"),
];

fn live_only(path: &str) -> bool {
    LIVE_ONLY.iter().any(|(p, _)| *p == path) || is_comment_form(path)
}

/// The comment form of a draft open for consultation.
fn is_comment_form(path: &str) -> bool {
    path.starts_with("/lay-y-kien/") && path.ends_with("/gop-y")
}

/// The mirror's URL for a site URL: list pages become files, other queries go.
pub fn mirror_url(url: &str) -> String {
    let (url, fragment) = match url.split_once('#') {
        Some((u, f)) => (u, format!("#{f}")),
        None => (url, String::new()),
    };
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let page = list_page(query);
    let path = if live_only(path) {
        format!("{path}/")
    } else {
        path.to_string()
    };
    match page {
        Some(n) => format!("{}/trang-{n}.html{fragment}", path.trim_end_matches('/')),
        None => format!("{path}{fragment}"),
    }
}

/// The page number of a list beyond its first (`trang=2`), if the query names one.
fn list_page(query: &str) -> Option<usize> {
    crate::http::params::Params::parse(Some(query))
        .ok()?
        .page()
        .ok()
        .filter(|n| *n > 1)
}

/// The site URL the crawler fetches for a link: its path, and the page number of a list
/// (other query strings, such as filters or the schedule's week, are not mirrored, so
/// following them would only walk an endless calendar).
fn canonical(url: &str) -> String {
    let url = url.split('#').next().unwrap_or("");
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    match list_page(query) {
        Some(n) => format!("{path}?trang={n}"),
        None => path.to_string(),
    }
}

/// The file a mirror URL is served from, relative to the mirror's root.
pub fn file_for(mirror_url: &str) -> PathBuf {
    let path = mirror_url.split(['#', '?']).next().unwrap_or("/");
    let trimmed = path.trim_start_matches('/');
    let last = trimmed.rsplit('/').next().unwrap_or("");
    if trimmed.is_empty() {
        PathBuf::from("index.html")
    } else if path.ends_with('/') || !last.contains('.') {
        PathBuf::from(trimmed.trim_end_matches('/')).join("index.html")
    } else {
        PathBuf::from(trimmed)
    }
}

/// Internal links in an HTML page: `href`, `src` and `action` values starting with `/`.
fn links(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["href=\"", "src=\"", "action=\""] {
        for piece in html.split(attribute).skip(1) {
            let Some(value) = piece.split('"').next() else {
                continue;
            };
            let value = value.replace("&amp;", "&");
            if value.starts_with('/') && !value.starts_with("//") {
                found.push(value);
            }
        }
    }
    // `srcset` lists several URLs with widths.
    for piece in html.split("srcset=\"").skip(1) {
        if let Some(value) = piece.split('"').next() {
            for candidate in value.split(',') {
                if let Some(url) = candidate.split_whitespace().next()
                    && url.starts_with('/')
                {
                    found.push(url.to_string());
                }
            }
        }
    }
    found
}

/// Rewrites a page's internal links to the mirror's.
fn rewrite(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("=\"/") {
        let (head, tail) = rest.split_at(at + 2);
        out.push_str(head);
        let end = tail.find('"').unwrap_or(tail.len());
        let (value, after) = tail.split_at(end);
        let path = value.split(['?', '#']).next().unwrap_or("");
        if value.contains('?') || live_only(path) {
            let plain = value.replace("&amp;", "&");
            out.push_str(&mirror_url(&plain).replace('&', "&amp;"));
        } else {
            out.push_str(value);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

async fn fetch(
    router: &axum::Router,
    host: &str,
    url: &str,
) -> Option<(StatusCode, String, Vec<u8>)> {
    let request = Request::get(url)
        .header(header::HOST, host)
        .body(Body::empty())
        .ok()?;
    let response = router.clone().oneshot(request).await.ok()?;
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .ok()?;
    Some((status, content_type, bytes.to_vec()))
}

fn write(out: &Path, file: &Path, bytes: &[u8]) -> Result<(), Error> {
    let target = out.join(file);
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            context: format!("cannot create {}", dir.display()),
            source,
        })?;
    }
    std::fs::write(&target, bytes).map_err(|source| Error::Io {
        context: format!("cannot write {}", target.display()),
        source,
    })
}

/// Writes the mirror of the public site into `out` (which must be empty or new).
pub async fn export(app: &Arc<App>, out: &Path) -> Result<Exported, Error> {
    if std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_some()) {
        return Err(Error::Invalid(format!(
            "{} is not empty; export into a new folder",
            out.display()
        )));
    }
    let host = app
        .config
        .hosts
        .first()
        .cloned()
        .unwrap_or_else(|| "localhost".into());
    let router = crate::http::router(app.clone());
    let mut queue: VecDeque<String> = SEEDS.iter().map(std::string::ToString::to_string).collect();
    let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
    let mut done = Exported::default();
    let mut comment_forms = BTreeSet::new();
    while let Some(url) = queue.pop_front() {
        let path = url.split('?').next().unwrap_or("");
        if is_comment_form(path) {
            comment_forms.insert(path.to_string());
        }
        if live_only(path) || url.starts_with("/quan-tri") {
            continue;
        }
        let Some((status, content_type, body)) = fetch(&router, &host, &url).await else {
            continue;
        };
        if status != StatusCode::OK {
            tracing::warn!(%url, status = status.as_u16(), "export: skipped a link that does not answer 200");
            continue;
        }
        let file = file_for(&mirror_url(&url));
        let body = if content_type.starts_with("text/html") {
            let html = String::from_utf8_lossy(&body).into_owned();
            for link in links(&html) {
                let key = canonical(&link);
                if !key.is_empty() && seen.insert(key.clone()) {
                    queue.push_back(key);
                }
            }
            done.pages += 1;
            rewrite(&html).into_bytes()
        } else {
            done.files += 1;
            body
        };
        done.bytes += body.len() as u64;
        write(out, &file, &body)?;
    }
    // Search and the forms need the server: the mirror says so and links to them.
    let forms = comment_forms
        .iter()
        .map(|p| (p.as_str(), "Gửi ý kiến về dự thảo"));
    for (path, title) in LIVE_ONLY.iter().copied().chain(forms) {
        let live = format!("{}{}", app.origin(), path);
        let notice = format!(
            "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>{title}</title>\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head><body>\
             <main><h1>{title}</h1><p>Bản sao tĩnh này không có chức năng này. \
             Vui lòng dùng <a href=\"{live}\">trang {title} của cổng thông tin</a>.</p>\
             <p><a href=\"/\">Về trang chủ</a></p></main></body></html>"
        );
        write(out, &file_for(&format!("{path}/")), notice.as_bytes())?;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_map_to_files_and_list_pages_to_their_own() {
        assert_eq!(mirror_url("/tin-tuc?trang=2"), "/tin-tuc/trang-2.html");
        assert_eq!(mirror_url("/tin-tuc?trang=1"), "/tin-tuc");
        assert_eq!(
            mirror_url("/van-ban?loai=x&trang=3#a"),
            "/van-ban/trang-3.html#a"
        );
        assert_eq!(mirror_url("/van-ban?loai=x"), "/van-ban");
        assert_eq!(file_for("/"), PathBuf::from("index.html"));
        assert_eq!(file_for("/tin-tuc"), PathBuf::from("tin-tuc/index.html"));
        assert_eq!(
            file_for("/tin-tuc/trang-2.html"),
            PathBuf::from("tin-tuc/trang-2.html")
        );
        assert_eq!(
            file_for("/rss/tin-tuc.xml"),
            PathBuf::from("rss/tin-tuc.xml")
        );
        assert_eq!(
            rewrite("<a href=\"/tin-tuc?trang=2\">2</a><a href=\"/x?a=1&amp;trang=3\">"),
            "<a href=\"/tin-tuc/trang-2.html\">2</a><a href=\"/x/trang-3.html\">"
        );
    }
}
