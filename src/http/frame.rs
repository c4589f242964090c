//! The frame around every HTTPS request: a request id, the host and path guards, the
//! security headers, the error pages and one log line (method, path, status, duration,
//! id). Query strings, cookies and bodies are never logged: they may hold secrets.
//!
//! `from_cache` is the same frame for the commonest request, a page the cache holds,
//! answered before routing: the server's service asks it first.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST, RETRY_AFTER,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use futures_util::FutureExt;

use super::cache::Served;
use super::error::{ErrorPage, HttpError};
use crate::app::App;
use crate::render::views::{ErrorView, Layout};
use crate::site;

/// Longest path (with query) served; longer gets 414. A request head over
/// `head_timeout::MAX_HEAD_BYTES` gets 431 (or 414 when its request line alone is).
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// The id that ties a response (and its error page) to its log line: 16 hex digits,
/// kept on the stack (it is made for every request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestId([u8; 16]);

impl RequestId {
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever written into it.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Makes request ids: a random per-process prefix and a counter.
pub struct RequestIds {
    prefix: u32,
    counter: AtomicU64,
}

impl RequestIds {
    pub fn new() -> Result<RequestIds, crate::random::Error> {
        Ok(RequestIds {
            prefix: u32::from_le_bytes(crate::random::bytes()?),
            counter: AtomicU64::new(0),
        })
    }
}

impl RequestIds {
    pub fn next(&self) -> RequestId {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let value = (u64::from(self.prefix) << 32) | (n & 0xffff_ffff);
        let mut text = [0u8; 16];
        for (i, digit) in text.iter_mut().enumerate() {
            *digit = HEX[((value >> (60 - 4 * i)) & 0xf) as usize];
        }
        RequestId(text)
    }
}

pub static SECURITY_HEADERS: [(HeaderName, &str); 7] = [
    (
        HeaderName::from_static("strict-transport-security"),
        "max-age=31536000",
    ),
    (
        HeaderName::from_static("content-security-policy"),
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
         frame-ancestors 'none'",
    ),
    (HeaderName::from_static("x-content-type-options"), "nosniff"),
    (
        HeaderName::from_static("referrer-policy"),
        "strict-origin-when-cross-origin",
    ),
    (HeaderName::from_static("x-frame-options"), "DENY"),
    (
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    ),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
];

pub async fn frame(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = app.request_ids.next();
    let method = request.method().clone();
    // Cheap copies (shared bytes), kept for after the handler took the request.
    let uri = request.uri().clone();
    let path = uri.path();
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .cloned();

    let peer = request
        .extensions()
        .get::<crate::http::server::Peer>()
        .map(|p| p.0.ip().to_canonical());
    let visitor = visitor(&request, peer);
    let body_watch = request
        .extensions()
        .get::<super::body_deadline::BodyWatch>()
        .cloned();
    let body_refused = request
        .extensions()
        .get::<super::body_deadline::BodyRefused>()
        .is_some();
    let http1 = request.version() < axum::http::Version::HTTP_2;
    // An address that moved answers 301; looked up only on the way to a 404.
    let moved_from = matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    )
    .then_some(&uri);
    // An old portal's query addresses (`/?p=123`, `/?page_id=…`, Liferay's
    // `?p_p_id=…`) sit on paths that exist here: the exact address moved, not the path.
    let moved_exactly = match moved_from.and_then(|uri| {
        uri.query()?;
        uri.path_and_query().map(ToString::to_string)
    }) {
        Some(address) => app
            .store
            .read(move |tx| crate::redirects::get(tx, &address))
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let old_host = match on_old_host(&app, &request) {
        Some(address) => {
            Some(crate::redirects::on_new_host(&app.store, &app.config.new_origin(), address).await)
        }
        None => None,
    };
    let mut response = if let Some(location) = old_host {
        HttpError::Moved(location).into_response()
    } else if let Err(e) = guard(&app, &request) {
        e.into_response()
    } else if let Some(redirect) = moved_exactly {
        HttpError::Moved(redirect.to).into_response()
    } else {
        crate::audit::source::serving(peer, AssertUnwindSafe(next.run(request)).catch_unwind())
            .await
            .unwrap_or_else(|_| HttpError::Internal("handler panicked".into()).into_response())
    };

    if response.status() == StatusCode::NOT_FOUND
        && let Some(from) = moved_from.and_then(|uri| uri.path_and_query())
        && let from = from.to_string()
        && let Ok(Some(to)) = app
            .store
            .read(move |tx| crate::redirects::find(tx, &from))
            .await
    {
        response = HttpError::Moved(to).into_response();
    }
    // A withdrawn item's address says so (410), with when and what replaces it.
    if response.status() == StatusCode::NOT_FOUND
        && moved_from.is_some()
        && let Some(gone) = withdrawn_page(&app, path).await
    {
        response = gone;
    }
    // Whatever the handler made of a body that stopped arriving, the answer is 408.
    if body_watch.is_some_and(|w| w.expired()) {
        response = HttpError::RequestTimeout.into_response();
    }
    // A body that is late or refused is still on its way: the connection cannot be
    // reused, so say it will close.
    let unread_body = body_refused
        || matches!(
            response.status(),
            StatusCode::REQUEST_TIMEOUT | StatusCode::PAYLOAD_TOO_LARGE
        );
    // Whatever domain error carried it, a failure while the store refuses writes (or
    // after its file was found damaged) is that, and says so: 503, not 500.
    if response.status() == StatusCode::INTERNAL_SERVER_ERROR {
        if let Some(why) = app.store.write_fault() {
            response = HttpError::WritesUnavailable(why).into_response();
        } else if let Some(why) = app.store.damage() {
            response = HttpError::StoreUnavailable(why).into_response();
        }
    }
    if let Some(page) = response.extensions_mut().remove::<ErrorPage>() {
        if let Some(state) = page.state {
            // Told when the state began; here once in a while, with how many met it.
            app.warnings.warn(state, || {
                format!("answered 503 to {path} (request {id}): {}", page.detail)
            });
        } else if page.status.is_server_error() {
            tracing::error!(request_id = %id, %path, "{}", page.detail);
        } else {
            tracing::debug!(request_id = %id, %path, "{}", page.detail);
        }
        response = error_page(&app, page.status, page.text, id.as_str(), path).await;
    }

    if unread_body && http1 {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    if body_refused {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("10"));
    }
    let route = route.as_ref().map(axum::extract::MatchedPath::as_str);
    // A page served from the cache at its own address, by a route: the fast path may
    // answer it from now on.
    if let Some(served) = response.extensions_mut().remove::<Served>()
        && let Some(route) = route
        && method == axum::http::Method::GET
        && uri.query().is_none()
        && response.status() == StatusCode::OK
        && *served.key == *path
    {
        served.page.served_by(route);
    }
    finish(
        &app,
        response,
        Finish {
            started,
            id,
            method: &method,
            path,
            route,
            peer,
            visitor,
        },
    )
}

/// What the frame knows of a request once its response is ready.
struct Finish<'a> {
    started: Instant,
    id: RequestId,
    method: &'a axum::http::Method,
    path: &'a str,
    /// The route that matched (`None`: none did).
    route: Option<&'a str>,
    peer: Option<std::net::IpAddr>,
    visitor: Option<Visitor>,
}

/// A citizen's page view: their address and browser (no cookie, nothing stored).
type Visitor = (std::net::IpAddr, Option<HeaderValue>);

/// A GET outside the admin pages from a known address: a visit, if it gets a page.
fn visitor<B>(request: &axum::http::Request<B>, peer: Option<std::net::IpAddr>) -> Option<Visitor> {
    if request.method() != axum::http::Method::GET || request.uri().path().starts_with("/quan-tri")
    {
        return None;
    }
    let agent = request
        .headers()
        .get(axum::http::header::USER_AGENT)
        .cloned();
    Some((peer?, agent))
}

/// What every response gets on its way out: the security headers and its id; and what
/// is noted of it: the route's metrics, a visit if it was a page, the log line.
fn finish(app: &App, mut response: Response, request: Finish<'_>) -> Response {
    let Finish {
        started,
        id,
        method,
        path,
        route,
        peer,
        visitor,
    } = request;
    let headers = response.headers_mut();
    headers.reserve(SECURITY_HEADERS.len() + 1);
    for (name, value) in &SECURITY_HEADERS {
        headers.insert(name.clone(), HeaderValue::from_static(value));
    }
    if let Ok(mut value) = HeaderValue::from_str(id.as_str()) {
        // A new value each time: HTTP/2 must not keep it in its header table (each
        // would stay there, and every response's lookup walk them all).
        value.set_sensitive(true);
        headers.insert(HeaderName::from_static("x-request-id"), value);
    }
    let (elapsed, now) = (started.elapsed(), app.clock.now());
    app.metrics.record(
        route.unwrap_or("unmatched"),
        response.status().as_u16(),
        elapsed,
    );
    let is_page = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if let Some((ip, agent)) = visitor
        && is_page
        && response.status().is_success()
    {
        let agent = agent.as_ref().and_then(|v| v.to_str().ok()).unwrap_or("");
        app.visits.record(ip, agent, now);
    }
    let ms = elapsed.as_secs_f64() * 1000.0;
    let status = response.status().as_u16();
    tracing::debug!(
        target: "trangtin::request",
        %method,
        path = %loggable(truncate(path, 200)),
        status,
        ms = format_args!("{ms:.1}"),
        id = %id,
    );
    let logged = loggable(truncate(path, 200));
    app.access_log.record(&crate::http::access_log::Line {
        at: now,
        address: peer,
        method: method.as_str(),
        path: &logged,
        status,
        ms,
        id: id.as_str(),
    });
    response
}

/// The fast path: a GET for a page the cache holds fresh, answered before routing,
/// with what the frame and the route would have answered (the same page, headers,
/// metrics under the same route, visit and log line) at a fraction of their cost.
///
/// `None` leaves the request to the router and the frame: anything but a plain GET of
/// a cached page's own address (a query, a body, an unusual character, a host or path
/// the guard refuses, an old host, archive mode), or a page the router has not yet
/// served at that address, a stale one, or one lacking the encoding asked for.
pub fn from_cache<B: hyper::body::Body>(
    app: &App,
    request: &axum::http::Request<B>,
    peer: std::net::SocketAddr,
) -> Option<Response> {
    if request.method() != axum::http::Method::GET
        || request.uri().query().is_some()
        || !request.body().is_end_stream()
        || app.archive().is_some()
    {
        return None;
    }
    let path = request.uri().path();
    // Cache keys are decoded addresses: a path with anything to decode is the router's.
    if !path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.'))
    {
        return None;
    }
    let started = Instant::now();
    // The cache first: a request it cannot answer goes to the frame, which checks the
    // rest, without being checked twice.
    let page = app.cache.fresh(path)?;
    let route = page.route()?;
    let wanted = super::compress::Encoding::negotiate(request.headers());
    if !(page.is_complete() || page.serves(wanted)) {
        return None;
    }
    guard(app, request).ok()?;
    if on_old_host(app, request).is_some() {
        return None;
    }
    app.cache.count_early_hit();
    let response = page.respond(request.headers());
    let peer = Some(peer.ip().to_canonical());
    Some(finish(
        app,
        response,
        Finish {
            started,
            id: app.request_ids.next(),
            method: request.method(),
            path,
            route: Some(route),
            peer,
            visitor: visitor(request, peer),
        },
    ))
}

/// Refuses what should never reach a handler: a host we do not serve, a path with
/// dot segments, NUL or bad encoding, an overlong URI, a body over the limit.
fn guard<B>(app: &App, request: &axum::http::Request<B>) -> Result<(), HttpError> {
    check_host(&app.config.hosts, request)?;
    let uri_len = request
        .uri()
        .path_and_query()
        .map_or(0, |pq| pq.as_str().len());
    if uri_len > MAX_URI_BYTES {
        return Err(HttpError::UriTooLong);
    }
    // HTTP/1.1 heads are measured as they arrive (`head_timeout`); HTTP/2's here.
    let head_len: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if uri_len + head_len > super::head_timeout::MAX_HEAD_BYTES {
        return Err(HttpError::HeaderFieldsTooLarge);
    }
    check_path(request.uri().path())?;
    if request
        .extensions()
        .get::<super::body_deadline::BodyRefused>()
        .is_some()
    {
        return Err(HttpError::Busy);
    }
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let limit = if request.uri().path() == super::admin::UPLOAD {
        super::admin::UPLOAD_MAX_BYTES
    } else {
        app.config.limits.body_max_bytes
    };
    if declared.is_some_and(|len| len > limit) {
        return Err(HttpError::PayloadTooLarge);
    }
    Ok(())
}

/// For a request to one of the old site's host names: its address (path and query),
/// which answers 301 with the same address on this site, or where it moved.
fn on_old_host<B>(app: &App, request: &axum::http::Request<B>) -> Option<String> {
    if app.config.old_hosts.is_empty() {
        return None;
    }
    let host = requested_host(request)?;
    if !app
        .config
        .old_hosts
        .iter()
        .any(|h| h.eq_ignore_ascii_case(host))
    {
        return None;
    }
    Some(
        request
            .uri()
            .path_and_query()
            .map_or_else(|| "/".to_string(), ToString::to_string),
    )
}

/// The host a request asked for (HTTP/2's authority, or HTTP/1's `Host`), without its
/// port or an IPv6 address's brackets.
fn requested_host<B>(request: &axum::http::Request<B>) -> Option<&str> {
    let host = match request.uri().host() {
        Some(h) => h,
        None => host_name(request.headers().get(HOST)?.to_str().ok()?),
    };
    Some(host.trim_start_matches('[').trim_end_matches(']'))
}

fn check_host<B>(hosts: &[String], request: &axum::http::Request<B>) -> Result<(), HttpError> {
    // RFC 9110 §7.2: a request with more than one Host field is invalid.
    if request.headers().get_all(HOST).iter().count() > 1 {
        return Err(HttpError::BadRequest("more than one Host header"));
    }
    // The port goes into the absolute addresses of feeds and sitemaps (and their cache
    // keys) when no `base_url` is set: it must be a port, not any text.
    if let Some(value) = request.headers().get(HOST)
        && !port_is_valid(value.to_str().unwrap_or_default())
    {
        return Err(HttpError::BadRequest("bad port in Host header"));
    }
    let host = requested_host(request).ok_or(HttpError::BadRequest("missing Host header"))?;
    if hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        Ok(())
    } else {
        Err(HttpError::MisdirectedHost)
    }
}

/// Whether what follows the host name in a `Host` header value is nothing, or `:` and
/// a port number (RFC 9110 §7.2: `uri-host [ ":" port ]`).
fn port_is_valid(value: &str) -> bool {
    let rest = match value.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((_, rest)) => rest,
            None => return false,
        },
        None => value.find(':').map_or("", |at| &value[at..]),
    };
    match rest.strip_prefix(':') {
        None => rest.is_empty(),
        // Digits only: `parse` alone would take "+443".
        Some(port) => {
            (1..=5).contains(&port.len())
                && port.bytes().all(|b| b.is_ascii_digit())
                && port.parse::<u16>().is_ok()
        }
    }
}

/// The host part of a `Host` header value, without the port.
pub fn host_name(value: &str) -> &str {
    if let Some(rest) = value.strip_prefix('[') {
        // "[::1]:8443"
        return rest.split(']').next().unwrap_or(rest);
    }
    value.split(':').next().unwrap_or(value)
}

pub fn check_path(path: &str) -> Result<(), HttpError> {
    if !path.starts_with('/') {
        return Err(HttpError::BadRequest("path must start with /"));
    }
    let decoded = percent_decode(path).ok_or(HttpError::BadRequest("bad percent-encoding"))?;
    if decoded.bytes().any(|b| b.is_ascii_control()) {
        return Err(HttpError::BadRequest("control character in path"));
    }
    if decoded
        .split(['/', '\\'])
        .any(|seg| seg == ".." || seg == ".")
    {
        return Err(HttpError::BadRequest("dot segment in path"));
    }
    Ok(())
}

/// Decodes `%XX` escapes; `None` if one is malformed or the result is not UTF-8.
/// `text` with its %XX escapes decoded; borrowed when it has none (most paths).
fn percent_decode(text: &str) -> Option<std::borrow::Cow<'_, str>> {
    if !text.contains('%') {
        return Some(std::borrow::Cow::Borrowed(text));
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().map(std::borrow::Cow::Owned)
}

/// The path as the request log keeps it: secrets in an address (a password reset
/// link, a mail stop link) are cut off, so the log grants nothing to whoever reads it.
fn loggable(path: &str) -> std::borrow::Cow<'_, str> {
    for secret in [crate::auth::reset::PATH, "/thu/ngung/"] {
        if let Some(rest) = path.strip_prefix(secret)
            && !rest.is_empty()
        {
            return std::borrow::Cow::Owned(format!("{secret}…"));
        }
    }
    std::borrow::Cow::Borrowed(path)
}

fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[derive(serde::Serialize)]
struct WithdrawnView {
    layout: Layout,
    title: String,
    withdrawn_on: String,
    replacement: Option<crate::render::views::Link>,
    list_url: &'static str,
    list_label: &'static str,
}

/// The 410 page of the withdrawn item at `path`, if one was there.
async fn withdrawn_page(app: &Arc<App>, path: &str) -> Option<Response> {
    let at = crate::http::admin::form::decode(path)?;
    let (site, gone) = app
        .store
        .read(move |tx| -> Result<_, crate::content::Error> {
            Ok((
                site::load(tx)?,
                crate::content::withdrawn::at_path(tx, &at)?,
            ))
        })
        .await
        .ok()?;
    let gone = gone?;
    let view = WithdrawnView {
        layout: Layout::new(&site, app.origin(), &gone.title, path).without_canonical(),
        title: gone.title,
        withdrawn_on: crate::format::date(gone.at),
        replacement: gone
            .replacement
            .map(|(url, label)| crate::render::views::Link { label, url }),
        list_url: gone.kind.list_url(),
        list_label: gone.kind.label(),
    };
    let html = app.renderer.render("errors/410.html", &view).ok()?;
    let mut headers = HeaderMap::new();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Some((StatusCode::GONE, headers, Html(html)).into_response())
}

/// The Vietnamese error page. Falls back to plain text if even the site settings or
/// the template fail, so an error page never errors.
async fn error_page(
    app: &Arc<App>,
    status: StatusCode,
    (heading, message): (&str, &str),
    id: &str,
    path: &str,
) -> Response {
    let site = app.store.read(site::load).await.unwrap_or_default();
    let template = match status.as_u16() {
        404 => "errors/404.html",
        500..=599 => "errors/500.html",
        _ => "errors/error.html",
    };
    let view = ErrorView {
        layout: Layout::new(&site, "", heading, path).without_canonical(),
        status: status.as_u16(),
        heading: heading.to_string(),
        message: message.to_string(),
        request_id: Some(id.to_string()),
    };
    let mut headers = HeaderMap::new();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    match app.renderer.render(template, &view) {
        Ok(html) => (status, headers, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(request_id = %id, "error page failed to render: {e}");
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            let body = format!("{heading}\n\n{message}\n\nMã yêu cầu: {id}\n");
            (status, headers, body).into_response()
        }
    }
}

/// A POST from another origin is refused; browsers always send Origin on POST.
pub fn check_origin(headers: &HeaderMap, uri: &axum::http::Uri) -> Result<(), HttpError> {
    let Some(origin) = headers.get(axum::http::header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("null");
    let host = uri
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            headers
                .get(HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_default();
    if origin.eq_ignore_ascii_case(&format!("https://{host}")) {
        Ok(())
    } else {
        Err(HttpError::Forbidden("cross-origin POST"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_nul_and_bad_encoding_are_refused() {
        for bad in [
            "/../etc/passwd",
            "/a/%2e%2e/b",
            "/a/%2E%2E",
            "/x%00y",
            "/x%ff",
            "/x%2",
            "/a/./b",
            "/a\\..\\b",
        ] {
            assert!(check_path(bad).is_err(), "{bad} was accepted");
        }
        for good in ["/", "/tin-tuc/hoi-thao", "/tep/ab/k%E1%BA%BF.pdf", "/a..b"] {
            assert!(check_path(good).is_ok(), "{good} was refused");
        }
    }

    #[test]
    fn a_host_header_has_a_port_or_none() {
        for good in [
            "localhost",
            "localhost:8443",
            "[::1]",
            "[::1]:8443",
            "a.gov.vn:443",
        ] {
            assert!(port_is_valid(good), "{good} was refused");
        }
        for bad in [
            "localhost:",
            "localhost:84x3",
            "localhost:99999",
            "localhost:443:443",
            "localhost:<script>",
            "[::1]8443",
            "[::1]:",
            "[::1]:port",
            "[::1",
            "localhost:+443",
        ] {
            assert!(!port_is_valid(bad), "{bad} was accepted");
        }
    }

    #[test]
    fn host_names_lose_their_port() {
        assert_eq!(host_name("localhost:8443"), "localhost");
        assert_eq!(host_name("[::1]:8443"), "::1");
        assert_eq!(host_name("example.gov.vn"), "example.gov.vn");
    }

    #[test]
    fn request_ids_differ() {
        let ids = RequestIds::new().unwrap();
        let (a, b) = (ids.next(), ids.next());
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 16);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
    }
}
