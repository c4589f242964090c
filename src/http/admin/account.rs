//! Signing in and out, and changing one's password.

use std::net::IpAddr;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::http::header::{SET_COOKIE, USER_AGENT};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::form::{self, FormData};
use super::views::{AdminLayout, FieldError, flash_code};
use super::{LOGIN_COOKIE, MaybeStaff, PREFIX, SignedIn, page, site_and_inbox};
use crate::app::App;
use crate::audit::{self, Event};
use crate::auth::{self, password, second_factor, session, throttle};
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::server::Peer;
use crate::store;

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
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    if staff.is_some() {
        return Ok(see_other(PREFIX));
    }
    let next = query
        .as_deref()
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("tiep=")))
        .and_then(form::decode)
        .unwrap_or_default();
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
pub(super) const LOCKED: &str = "Tài khoản tạm khóa vì nhập sai mật khẩu nhiều lần. Vui lòng thử lại sau hoặc liên hệ quản trị viên.";
pub(super) const TOO_MANY: &str =
    "Có quá nhiều lần đăng nhập sai từ địa chỉ này. Vui lòng thử lại sau ít phút.";

/// `POST /quan-tri/dang-nhap`
///
/// Unknown logins and wrong passwords take the same path: the password is checked
/// against a decoy hash, the failure is counted against the login as typed, and the
/// answer waits the same growing delay. So neither the page nor its timing tells
/// whether an account exists, and unknown logins lock just like real ones.
pub async fn login(
    State(app): State<Arc<App>>,
    peer: Option<Extension<Peer>>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, HttpError> {
    let ip = client_ip(peer);
    let origin = session_origin(ip, &headers);
    let login: String = form
        .get("login")
        .trim()
        .to_lowercase()
        .chars()
        .take(64)
        .collect();
    let password = form.get("password").to_string();
    let next = form.get("tiep").to_string();
    let now = app.clock.now();
    let policy = app.config.login;
    let from_address = app.address_failures.count(ip, policy.window, now);
    if from_address >= policy.max_failures_per_address {
        tracing::warn!(%ip, "login refused: too many failures from this address");
        tokio::time::sleep(policy.delay(from_address)).await;
        return login_page(&app, next, login, Some(TOO_MANY), Outcome::Throttled).await;
    }
    let lookup = login.clone();
    let (user, locked, enrolled) = app
        .store
        .read(move |tx| -> Result<_, auth::Error> {
            let user = auth::find_by_login(tx, &lookup)?.filter(|u| u.enabled);
            let enrolled = match &user {
                Some(u) => second_factor::is_enrolled(tx, u.id)?,
                None => false,
            };
            Ok((user, throttle::locked(tx, &lookup, now)?, enrolled))
        })
        .await?;
    // The same work whether or not the login exists: no account enumeration by timing.
    let hash = user
        .as_ref()
        .map_or(password::decoy_hash().to_string(), |u| {
            u.password_hash.clone()
        });
    let verified = app.verify_password(password.clone(), hash).await?;
    let user = match user.filter(|_| verified) {
        Some(user) if !locked => user,
        good => {
            let refused = if good.is_some() {
                "login_refused_locked"
            } else {
                "login_failed"
            };
            let newly_locked =
                record_failure(&app, &login, ip, refused, None, good.is_none()).await?;
            tokio::time::sleep(policy.delay(from_address + 1)).await;
            let error = if locked || newly_locked {
                LOCKED
            } else {
                WRONG_LOGIN
            };
            return login_page(&app, next, login, Some(error), Outcome::Invalid).await;
        }
    };
    // Hashes made with weaker parameters than today's are replaced while the password
    // is at hand.
    let rehash = if password::needs_rehash(&user.password_hash) {
        Some(app.hash_password(password).await?)
    } else {
        None
    };
    if let Some(rehash) = rehash {
        let (id, actor, must_change) = (user.id, user.login.clone(), user.must_change_password);
        app.store
            .write(move |tx| -> Result<_, auth::Error> {
                auth::set_password_hash(tx, id, rehash, must_change, now)?;
                audit::append(tx, Event::new(&actor, "password_rehashed", &actor), now)?;
                Ok(())
            })
            .await?;
    }
    // A session cookie sent with the login (an earlier session, or one planted by
    // someone else) ends here: the person gets a fresh id, never a known one.
    let previous = form::cookie(&headers, session::COOKIE).map(str::to_string);
    if enrolled {
        // The password was right; the failure count stays until the code is right too,
        // so knowing the password does not buy endless tries at the code.
        let id = user.id;
        let (token, _) = app
            .store
            .write(move |tx| -> Result<_, auth::Error> {
                if let Some(previous) = previous {
                    session::end(tx, &previous)?;
                }
                session::start_awaiting_second_factor(tx, id, origin, now)
            })
            .await?;
        let target = format!(
            "{}?tiep={}",
            super::SECOND_FACTOR_LOGIN,
            form::encode(&next)
        );
        return Ok(with_cookies(
            see_other(&target),
            &[form::set_cookie(session::COOKIE, &token, None)],
        ));
    }
    finish_login(&app, user, ip, origin, previous, "password", &next).await
}

/// Records a failed login step (`action`) against the login as typed, and the lock
/// it may cause; returns whether this failure locked the account.
pub(super) async fn record_failure(
    app: &Arc<App>,
    login: &str,
    ip: IpAddr,
    action: &'static str,
    detail: Option<&'static str>,
    counts: bool,
) -> Result<bool, HttpError> {
    let policy = app.config.login;
    let now = app.clock.now();
    let (actor, address) = (login.to_string(), ip.to_string());
    let newly_locked = app
        .store
        .write(move |tx| -> Result<_, store::Error> {
            let mut event = Event::new(&actor, action, &actor).ip(&address);
            if let Some(detail) = detail {
                event = event.detail(detail);
            }
            audit::append(tx, event, now)?;
            let newly_locked = counts && throttle::fail(tx, &policy, &actor, now)?;
            if newly_locked {
                let detail = format!(
                    "{} failures in {} minutes",
                    policy.max_failures,
                    policy.window.as_mins()
                );
                let event = Event::new("", "locked", &actor).ip(&address).detail(detail);
                audit::append(tx, event, now)?;
            }
            Ok(newly_locked)
        })
        .await?;
    app.address_failures.fail(ip, policy.window, now);
    tracing::info!(%ip, action, locked = newly_locked, "failed login step");
    Ok(newly_locked)
}

/// The last step of every login: ends the session the browser brought (a planted id,
/// or the half-session of the password step), clears the failure count, records the
/// login and starts a fresh session. `how` says which factors were shown.
pub(super) async fn finish_login(
    app: &Arc<App>,
    user: auth::User,
    ip: IpAddr,
    origin: session::Origin,
    previous: Option<String>,
    how: &'static str,
    next: &str,
) -> Result<Response, HttpError> {
    let now = app.clock.now();
    let (actor, address, id) = (user.login.clone(), ip.to_string(), user.id);
    let (token, _) = app
        .store
        .write(move |tx| -> Result<_, auth::Error> {
            if let Some(previous) = previous {
                session::end(tx, &previous)?;
            }
            throttle::clear(tx, &actor)?;
            let event = Event::new(&actor, "login", &actor).ip(&address).detail(how);
            audit::append(tx, event, now)?;
            auth::record_login(tx, id, now)?;
            session::start(tx, id, origin, now)
        })
        .await?;
    tracing::info!(user = %user.login, how, "signed in");
    let target = if user.must_change_password {
        super::PASSWORD
    } else {
        safe_next(next)
    };
    Ok(with_cookies(
        see_other(target),
        &[
            form::set_cookie(session::COOKIE, &token, None),
            form::set_cookie(LOGIN_COOKIE, "", Some(0)),
        ],
    ))
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
    let token = staff.token.clone();
    app.store.write(move |tx| session::end(tx, &token)).await?;
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
    SignedIn(staff): SignedIn,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    let (site, inbox) = site_and_inbox(&app, &staff).await?;
    let id = staff.user.id;
    let enrolled = app
        .store
        .read(move |tx| second_factor::is_enrolled(tx, id))
        .await?;
    let view = PasswordView {
        layout: AdminLayout::new(&site, &staff, "Đổi mật khẩu", super::PASSWORD, inbox)
            .with_flash(flash_code(query.as_deref())),
        forced: staff.user.must_change_password,
        min_length: password::min_length(enrolled),
        errors: Vec::new(),
    };
    page(&app, "admin/password.html", &view, Outcome::Shown)
}

/// `POST /quan-tri/doi-mat-khau`
pub async fn change_password(
    State(app): State<Arc<App>>,
    SignedIn(staff): SignedIn,
    peer: Option<Extension<Peer>>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, HttpError> {
    let ip = client_ip(peer);
    let origin = session_origin(ip, &headers);
    let old = form.get("old").to_string();
    let new = form.get("new").to_string();
    let mut errors = Vec::new();
    if !app
        .verify_password(old, staff.user.password_hash.clone())
        .await?
    {
        errors.push(FieldError {
            field: "old",
            message: "Mật khẩu hiện tại không đúng.".into(),
        });
    }
    if new != form.get("confirm") {
        errors.push(FieldError {
            field: "confirm",
            message: "Hai lần nhập mật khẩu mới không khớp.".into(),
        });
    }
    // With a second factor the law allows a shorter password.
    let id = staff.user.id;
    let enrolled = app
        .store
        .read(move |tx| second_factor::is_enrolled(tx, id))
        .await?;
    if let Err(message) = password::policy(&new, &staff.user.login, enrolled) {
        errors.push(FieldError {
            field: "new",
            message: message.into(),
        });
    } else if app.password_reused(new.clone(), &staff.user).await? {
        errors.push(FieldError {
            field: "new",
            message: "Mật khẩu mới phải khác mật khẩu hiện tại và 4 mật khẩu gần nhất.".into(),
        });
    }
    if !errors.is_empty() {
        let (site, inbox) = site_and_inbox(&app, &staff).await?;
        let view = PasswordView {
            layout: AdminLayout::new(&site, &staff, "Đổi mật khẩu", super::PASSWORD, inbox),
            forced: staff.user.must_change_password,
            min_length: password::min_length(enrolled),
            errors,
        };
        return page(&app, "admin/password.html", &view, Outcome::Invalid);
    }
    let hash = app.hash_password(new).await?;
    let (id, now) = (staff.user.id, app.clock.now());
    let login = staff.user.login.clone();
    // Every other session of this person ends; this browser gets a fresh one.
    let (token, _) = app
        .store
        .write(move |tx| -> Result<_, auth::Error> {
            auth::set_password_hash(tx, id, hash, false, now)?;
            audit::append(tx, Event::new(&login, "password_changed", &login), now)?;
            session::end_all_for(tx, id)?;
            session::start(tx, id, origin, now)
        })
        .await?;
    let mut response = see_other("/quan-tri/doi-mat-khau?tb=da-doi-mat-khau");
    if let Ok(value) = HeaderValue::from_str(&form::set_cookie(session::COOKIE, &token, None)) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    Ok(response.into_response())
}
