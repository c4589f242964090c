//! The plain-HTTP listener: every request gets a 301 to the same path on HTTPS, except
//! ACME HTTP-01 validations (RFC 8555 section 8.3), which are answered here while an
//! order is open.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::header::{HOST, LOCATION, STRICT_TRANSPORT_SECURITY};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::HttpError;
use super::frame::{SECURITY_HEADERS, host_name};
use super::tls::CertSwitch;
use crate::app::App;

#[derive(Clone)]
struct Target {
    hosts: Vec<String>,
    base_url: Option<String>,
    https_port: u16,
    app: Arc<App>,
}

pub fn router(app: Arc<App>, https_port: u16, certs: Arc<CertSwitch>) -> Router {
    let target = Target {
        hosts: app.config.hosts.clone(),
        base_url: app.config.base_url.clone(),
        https_port,
        app: app.clone(),
    };
    Router::new()
        .route(
            "/.well-known/acme-challenge/{token}",
            axum::routing::get(http01_answer).with_state(certs),
        )
        .fallback(redirect)
        .with_state(target)
}

/// The key authorization for a token of an open order; 404 for any other token.
async fn http01_answer(
    State(certs): State<Arc<CertSwitch>>,
    Path(token): Path<String>,
) -> Response {
    match certs.responses().http01(&token) {
        Some(answer) => {
            tracing::info!(target: "trangtin::request", %token, "answered an ACME HTTP-01 validation");
            (
                [(axum::http::header::CONTENT_TYPE, "application/octet-stream")],
                answer,
            )
                .into_response()
        }
        None => HttpError::NotFound.into_response(),
    }
}

async fn redirect(State(target): State<Target>, request: Request) -> Response {
    let path = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
    let asked_host = request
        .headers()
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .map(host_name);
    // The old site's host name: straight to this site, where the address moved to.
    let old_host = asked_host.is_some_and(|h| {
        target
            .app
            .config
            .old_hosts
            .iter()
            .any(|old| old.eq_ignore_ascii_case(h))
    });
    let location = if old_host {
        crate::redirects::on_new_host(
            &target.app.store,
            &target.app.config.new_origin(),
            path.to_string(),
        )
        .await
    } else {
        format!("{}{path}", origin(&target, &request))
    };
    let mut response = match HeaderValue::from_str(&location) {
        Ok(value) => (StatusCode::MOVED_PERMANENTLY, [(LOCATION, value)]).into_response(),
        Err(_) => HttpError::BadRequest("unusable redirect target").into_response(),
    };
    // The hardening headers of the HTTPS frame, except HSTS, which means nothing here.
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS
        .iter()
        .filter(|(n, _)| n != STRICT_TRANSPORT_SECURITY)
    {
        headers.insert(name.clone(), HeaderValue::from_static(value));
    }
    tracing::info!(
        target: "trangtin::request",
        method = %request.method(),
        path = %request.uri().path(),
        status = response.status().as_u16(),
        "redirect to HTTPS"
    );
    response
}

/// The HTTPS origin to send a plain-HTTP request to: `base_url`, or the host it asked
/// for if this site answers to it, on the HTTPS port.
fn origin(target: &Target, request: &Request) -> String {
    if let Some(base) = &target.base_url {
        base.clone()
    } else {
        // Only a host we serve is echoed back; anything else goes to the first one.
        let asked = request
            .headers()
            .get(HOST)
            .and_then(|v| v.to_str().ok())
            .map(host_name)
            .filter(|h| {
                target
                    .hosts
                    .iter()
                    .any(|known| known.eq_ignore_ascii_case(h))
            });
        let host = asked
            .or_else(|| target.hosts.first().map(String::as_str))
            .unwrap_or("localhost");
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        match target.https_port {
            443 => format!("https://{host}"),
            port => format!("https://{host}:{port}"),
        }
    }
}
