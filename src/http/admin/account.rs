//! Signing in and out, and changing one's password.

use std::net::IpAddr;
use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::header::{SET_COOKIE, USER_AGENT};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use serde::Serialize;

use super::form::{self, FormData};
use super::views::{AdminLayout, FieldError};
use super::{Desk, LOGIN_COOKIE, MaybeStaff, PREFIX, SignedIn, Staff, page};
use crate::app::{App, LoginOutcome, PasswordAttempt};
use crate::auth::{self, accounts, password, second_factor, session};
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::params::Params;
use crate::http::server::Peer;

#[derive(Serialize)]
struct LoginView {
    site_name: String,
    csrf: String,
    next: String,
    error: Option<&'static str>,
    login: String,
}

/// `GET /quan-tri/dang-nhap`
pub async fn login_form(
    State(app): State<Arc<App>>,
    MaybeStaff(staff): MaybeStaff,
    query: Params,
) -> Result<Response, HttpError> {
    if staff.is_some() {
        return Ok(see_other(PREFIX));
    }
    let next = query.get("tiep").to_string();
    login_page(&app, next, String::new(), None, Outcome::Shown).await
}

pub(super) async fn login_page(
    app: &Arc<App>,
    next: String,
    login: String,
    error: Option<&'static str>,
    outcome: Outcome,
) -> Result<Response, HttpError> {
    let csrf = random_token()?;
    let site_name = app.store.read(crate::site::load).await?.agency_name;
    let view = LoginView {
        site_name,
        csrf: csrf.clone(),
        next: safe_next(&next).to_string(),
        error,
        login,
    };
    let mut response = page(app, "admin/login.html", &view, outcome)?;
    let cookie = form::set_cookie(LOGIN_COOKIE, &csrf, Some(3600));
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    Ok(response)
}

pub(super) fn random_token() -> Result<String, HttpError> {
    Ok(hex::encode(crate::random::bytes::<32>()?))
}

/// Only paths inside the admin pages are followed after login.
pub(super) fn safe_next(next: &str) -> &str {
    if next.starts_with("/quan-tri") && !next.contains("//") && !next.contains('\\') {
        next
    } else {
        PREFIX
    }
}

pub(super) const WRONG_LOGIN: &str = "Tên đăng nhập hoặc mật khẩu không đúng.";
/// The site is an archive now.
const ARCHIVED: &str =
    "Trang này đã chuyển sang lưu trữ, không còn cập nhật: chỉ quản trị viên được đăng nhập.";
pub(super) const LOCKED: &str = "Tài khoản tạm khóa vì nhập sai mật khẩu nhiều lần. Vui lòng thử lại sau hoặc liên hệ quản trị viên.";
pub(super) const TOO_MANY: &str =
    "Có quá nhiều lần đăng nhập sai từ địa chỉ này. Vui lòng thử lại sau ít phút.";

/// `POST /quan-tri/dang-nhap` (the protocol is `App::attempt_login`).
pub async fn login(
    State(app): State<Arc<App>>,
    client: Client,
    form: FormData,
) -> Result<Response, HttpError> {
    // As typed, trimmed and lower-cased: unknown logins lock like real ones.
    let login: String = form
        .get("login")
        .trim()
        .to_lowercase()
        .chars()
        .take(64)
        .collect();
    let next = form.get("tiep").to_string();
    let attempt = PasswordAttempt {
        login: login.clone(),
        password: form.get("password").to_string(),
        ip: client.ip,
        origin: client.origin,
        previous: client.session,
    };
    let outcome = app.attempt_login(attempt).await?;
    login_answer(&app, outcome, next, login).await
}

/// How the password step answers: on to the code step, signed in, or the login page
/// again with what went wrong.
async fn login_answer(
    app: &Arc<App>,
    outcome: LoginOutcome,
    next: String,
    login: String,
) -> Result<Response, HttpError> {
    let (error, outcome) = match outcome {
        LoginOutcome::CodeNext { half_session } => return Ok(code_next(&half_session, &next)),
        LoginOutcome::SignedIn {
            session,
            must_change_password,
        } => return Ok(signed_in(&session, must_change_password, &next)),
        LoginOutcome::Throttled => (TOO_MANY, Outcome::Throttled),
        LoginOutcome::Locked => (LOCKED, Outcome::Invalid),
        LoginOutcome::Archived => (ARCHIVED, Outcome::Invalid),
        _ => (WRONG_LOGIN, Outcome::Invalid),
    };
    login_page(app, next, login, Some(error), outcome).await
}

/// The password was right: on to the code step, in the half-session.
fn code_next(half_session: &str, next: &str) -> Response {
    let target = format!("{}?tiep={}", super::SECOND_FACTOR_LOGIN, form::encode(next));
    with_cookies(
        see_other(&target),
        &[form::set_cookie(session::COOKIE, half_session, None)],
    )
}

/// Where a completed login goes: the password change first if one is owed, else
/// `next`, with the session cookie set and the login form's cookie cleared.
pub(super) fn signed_in(session: &str, must_change_password: bool, next: &str) -> Response {
    let target = if must_change_password {
        super::PASSWORD
    } else {
        safe_next(next)
    };
    with_cookies(
        see_other(target),
        &[
            form::set_cookie(session::COOKIE, session, None),
            form::set_cookie(LOGIN_COOKIE, "", Some(0)),
        ],
    )
}

/// Adds `Set-Cookie` headers to a response.
pub(super) fn with_cookies(mut response: Response, cookies: &[String]) -> Response {
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

/// The remote address the server saw (unspecified if none was recorded).
pub(super) fn client_ip(peer: Option<Extension<Peer>>) -> IpAddr {
    peer.map_or(IpAddr::from([0, 0, 0, 0]), |Extension(Peer(addr))| {
        addr.ip()
    })
}

/// Who is at the other end: the address the server saw and where a session they start
/// begins (address and browser, for "my sessions").
pub struct Client {
    pub ip: IpAddr,
    pub origin: session::Origin,
    /// The session cookie the browser sent, if any.
    pub session: Option<String>,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Client {
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, HttpError> {
        let ip = client_ip(parts.extensions.get::<Peer>().copied().map(Extension));
        Ok(Client {
            ip,
            origin: session_origin(ip, &parts.headers),
            session: form::cookie(&parts.headers, session::COOKIE).map(str::to_string),
        })
    }
}

/// What "my sessions" shows about where a session began.
pub fn session_origin(ip: IpAddr, headers: &HeaderMap) -> session::Origin {
    let device = headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    session::Origin {
        ip: ip.to_canonical().to_string(),
        device,
    }
}

/// `POST /quan-tri/dang-xuat`
pub async fn logout(
    State(app): State<Arc<App>>,
    SignedIn(staff): SignedIn,
) -> Result<Response, HttpError> {
    app.end_session(&staff.token).await?;
    let mut response = see_other(super::LOGIN);
    if let Ok(value) = HeaderValue::from_str(&form::set_cookie(session::COOKIE, "", Some(0))) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    Ok(response)
}

#[derive(Serialize)]
struct PasswordView {
    layout: AdminLayout,
    forced: bool,
    min_length: usize,
    errors: Vec<FieldError>,
}

/// `GET /quan-tri/doi-mat-khau`
pub async fn password_form(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    let id = staff.user.id;
    let enrolled = app
        .store
        .read(move |tx| second_factor::is_enrolled(tx, id))
        .await?;
    let view = PasswordView {
        layout: staff.layout("Đổi mật khẩu").with_flash(query.flash()),
        forced: staff.user.must_change_password,
        min_length: password::min_length(enrolled),
        errors: Vec::new(),
    };
    page(&app, "admin/password.html", &view, Outcome::Shown)
}

/// The password page, with what was wrong if anything.
fn password_page(
    app: &Arc<App>,
    staff: &Desk,
    enrolled: bool,
    errors: Vec<FieldError>,
    outcome: Outcome,
) -> Result<Response, HttpError> {
    let view = PasswordView {
        layout: staff.layout("Đổi mật khẩu"),
        forced: staff.user.must_change_password,
        min_length: password::min_length(enrolled),
        errors,
    };
    page(app, "admin/password.html", &view, outcome)
}

/// What is wrong with a password change: the current password, the confirmation, the
/// policy (with a second factor the law allows a shorter password) or reuse.
async fn password_errors(
    app: &Arc<App>,
    staff: &Desk,
    form: &FormData,
    enrolled: bool,
) -> Result<Vec<FieldError>, HttpError> {
    let error = |field, message: &str| FieldError {
        field,
        message: message.into(),
    };
    let (old, new) = (form.get("old").to_string(), form.get("new").to_string());
    let mut errors = Vec::new();
    if !app
        .verify_password(old, staff.user.password_hash.clone())
        .await?
    {
        errors.push(error("old", "Mật khẩu hiện tại không đúng."));
    }
    if new != form.get("confirm") {
        errors.push(error("confirm", "Hai lần nhập mật khẩu mới không khớp."));
    }
    if let Err(message) = password::policy(&new, &staff.user.login, enrolled) {
        errors.push(error("new", message));
    } else if app.password_reused(new, &staff.user).await? {
        errors.push(error("new", REUSED));
    }
    Ok(errors)
}

/// `POST /quan-tri/doi-mat-khau`
pub async fn change_password(
    State(app): State<Arc<App>>,
    staff: Desk,
    client: Client,
    form: FormData,
) -> Result<Response, HttpError> {
    let id = staff.user.id;
    let enrolled = app
        .store
        .read(move |tx| second_factor::is_enrolled(tx, id))
        .await?;
    let errors = password_errors(&app, &staff, &form, enrolled).await?;
    if !errors.is_empty() {
        return password_page(&app, &staff, enrolled, errors, Outcome::Invalid);
    }
    let (hash, origin) = (
        app.hash_password(form.get("new").to_string()).await?,
        client.origin,
    );
    let (by, now) = (staff.actor.clone(), app.clock.now());
    // Every other session of this person ends; this browser gets a fresh one.
    let token = app
        .store
        .write(move |tx| accounts::change_own_password(tx, &by, hash, origin, now))
        .await?;
    Ok(with_cookies(
        see_other("/quan-tri/doi-mat-khau?tb=da-doi-mat-khau"),
        &[form::set_cookie(session::COOKIE, &token, None)],
    ))
}

#[derive(Serialize)]
struct ResetView {
    site_name: String,
    csrf: String,
    login: String,
    name: String,
    min_length: usize,
    errors: Vec<FieldError>,
    /// The link no longer works (used, expired or never made).
    gone: bool,
    done: bool,
}

/// The reset page in one of its states. A browser with a session (someone signed in
/// opens a link) posts the session's token; others get one in the login cookie.
async fn reset_page(
    app: &Arc<App>,
    session: Option<&Staff>,
    holder: Option<(auth::User, bool)>,
    errors: Vec<FieldError>,
    done: bool,
) -> Result<Response, HttpError> {
    let site_name = app.store.read(crate::site::load).await?.agency_name;
    let outcome = match (&holder, errors.is_empty()) {
        _ if done => Outcome::Shown,
        (None, _) => Outcome::Gone,
        (Some(_), false) => Outcome::Invalid,
        (Some(_), true) => Outcome::Shown,
    };
    let csrf = match session {
        Some(staff) => staff.csrf.clone(),
        None => random_token()?,
    };
    let view = ResetView {
        site_name,
        csrf: csrf.clone(),
        login: holder
            .as_ref()
            .map(|(u, _)| u.login.clone())
            .unwrap_or_default(),
        name: holder
            .as_ref()
            .map(|(u, _)| u.name.clone())
            .unwrap_or_default(),
        min_length: password::min_length(holder.as_ref().is_some_and(|(_, e)| *e)),
        gone: holder.is_none() && !done,
        errors,
        done,
    };
    let mut response = page(app, "admin/reset.html", &view, outcome)?;
    if session.is_none() {
        // The form's CSRF token, as on the login page: no session yet.
        let cookie = form::set_cookie(LOGIN_COOKIE, &csrf, Some(3600));
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    Ok(response)
}

/// Whom a reset link is for while it works, and whether they have a second factor.
async fn link_holder(
    app: &Arc<App>,
    token: String,
) -> Result<Option<(auth::User, bool)>, HttpError> {
    let now = app.clock.now();
    Ok(app
        .store
        .read(move |tx| -> Result<_, auth::Error> {
            let Some(user) = auth::reset::holder(tx, &token, now)? else {
                return Ok(None);
            };
            let enrolled = second_factor::is_enrolled(tx, user.id)?;
            Ok(Some((user, enrolled)))
        })
        .await?)
}

/// `GET /quan-tri/dat-mat-khau/{token}`: the form to choose a new password, or a page
/// saying the link no longer works (410).
pub async fn reset_form(
    State(app): State<Arc<App>>,
    MaybeStaff(session): MaybeStaff,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> Result<Response, HttpError> {
    let holder = link_holder(&app, token).await?;
    reset_page(&app, session.as_deref(), holder, Vec::new(), false).await
}

/// `POST /quan-tri/dat-mat-khau/{token}`: the new password, under the same rules as a
/// change; the link is used up and the person signs in with it.
pub async fn reset(
    State(app): State<Arc<App>>,
    MaybeStaff(session): MaybeStaff,
    axum::extract::Path(token): axum::extract::Path<String>,
    form: FormData,
) -> Result<Response, HttpError> {
    let session = session.as_deref();
    let Some((user, enrolled)) = link_holder(&app, token.clone()).await? else {
        return reset_page(&app, session, None, Vec::new(), false).await;
    };
    let new = form.get("new").to_string();
    let mut errors = Vec::new();
    if new != form.get("confirm") {
        errors.push(FieldError {
            field: "confirm",
            message: "Hai lần nhập mật khẩu mới không khớp.".into(),
        });
    }
    if let Err(message) = password::policy(&new, &user.login, enrolled) {
        errors.push(FieldError {
            field: "new",
            message: message.into(),
        });
    }
    if errors.is_empty() && app.password_reused(new.clone(), &user).await? {
        errors.push(FieldError {
            field: "new",
            message: REUSED.into(),
        });
    }
    if !errors.is_empty() {
        return reset_page(&app, session, Some((user, enrolled)), errors, false).await;
    }
    let hash = app.hash_password(new).await?;
    let now = app.clock.now();
    let redeemed = app
        .store
        .write(move |tx| auth::reset::redeem(tx, &token, hash, now))
        .await?;
    match redeemed {
        Some(user) => {
            tracing::info!(user = %user.login, "password set through a reset link");
            reset_page(&app, session, None, Vec::new(), true).await
        }
        None => reset_page(&app, session, None, Vec::new(), false).await,
    }
}

const REUSED: &str = "Mật khẩu mới phải khác mật khẩu hiện tại và 9 mật khẩu gần nhất.";
