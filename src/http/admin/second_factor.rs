//! The second factor in the browser: the code step of a login, and the page where a
//! person enrols an authenticator app, renews recovery codes or turns the factor off.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;

use super::account::{self, client_ip, login_page, session_origin};
use super::form::{self, FormData};
use super::people::password_confirmed;
use super::views::{AdminLayout, FieldError};
use super::{Desk, LOGIN_COOKIE, SECOND_FACTOR, Staff, page};
use crate::app::{App, CodeAttempt, LoginOutcome};
use crate::auth::second_factor::{self, NewSecret};
use crate::auth::{self, accounts, session};
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::params::Params;
use crate::http::server::Peer;

const WRONG_CODE: &str = "Mã xác thực không đúng hoặc đã được dùng. Vui lòng nhập mã mới trên ứng dụng xác thực, hoặc một mã dự phòng.";
const EXPIRED: &str = "Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.";
const KEY_MISMATCH: &str = "Máy chủ không mở được khóa bí mật của mã xác thực. Hãy dùng một mã dự phòng, hoặc liên hệ quản trị viên để đặt lại xác thực hai bước.";

#[derive(Serialize)]
struct CodeView {
    site_name: String,
    csrf: String,
    next: String,
    error: Option<&'static str>,
}

async fn code_page(
    app: &Arc<App>,
    next: &str,
    error: Option<&'static str>,
    outcome: Outcome,
) -> Result<Response, HttpError> {
    let csrf = account::random_token()?;
    let site_name = app.store.read(crate::site::load).await?.agency_name;
    let view = CodeView {
        site_name,
        csrf: csrf.clone(),
        next: account::safe_next(next).to_string(),
        error,
    };
    let response = page(app, "admin/login_code.html", &view, outcome)?;
    Ok(account::with_cookies(
        response,
        &[form::set_cookie(LOGIN_COOKIE, &csrf, Some(3600))],
    ))
}

/// The half-session of the password step, with its person, if it is still live.
async fn awaiting(
    app: &Arc<App>,
    headers: &HeaderMap,
) -> Result<Option<(String, auth::User)>, HttpError> {
    let Some(token) = form::cookie(headers, session::COOKIE).map(str::to_string) else {
        return Ok(None);
    };
    let now = app.clock.now();
    let lookup = token.clone();
    let user = app
        .store
        .read(move |tx| -> Result<_, auth::Error> {
            let Some(pending) = session::find_awaiting_second_factor(tx, &lookup, now)? else {
                return Ok(None);
            };
            Ok(auth::user(tx, pending.user)?.filter(|u| u.enabled))
        })
        .await?;
    Ok(user.map(|u| (token, u)))
}

/// `GET /quan-tri/dang-nhap/ma`
pub async fn code_form(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    query: Params,
) -> Result<Response, HttpError> {
    let next = query.get("tiep").to_string();
    if awaiting(&app, &headers).await?.is_none() {
        return Ok(see_other(super::LOGIN));
    }
    code_page(&app, &next, None, Outcome::Shown).await
}

/// `POST /quan-tri/dang-nhap/ma`
///
/// A wrong or replayed code counts as a failed login against the account, so the
/// lock-out that guards passwords guards codes too.
pub async fn submit_code(
    State(app): State<Arc<App>>,
    peer: Option<Extension<Peer>>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, HttpError> {
    let ip = client_ip(peer);
    let next = form.get("tiep").to_string();
    let Some((half_session, user)) = awaiting(&app, &headers).await? else {
        return login_page(&app, next, String::new(), Some(EXPIRED), Outcome::Invalid).await;
    };
    let login = user.login.clone();
    let attempt = CodeAttempt {
        half_session,
        user,
        code: form.get("ma").to_string(),
        ip,
        origin: session_origin(ip, &headers),
    };
    let outcome = app.attempt_code(attempt).await?;
    code_answer(&app, outcome, next, login).await
}

/// How the code step answers: signed in, back to the login page (locked, expired),
/// or the code page again with what went wrong.
async fn code_answer(
    app: &Arc<App>,
    outcome: LoginOutcome,
    next: String,
    login: String,
) -> Result<Response, HttpError> {
    let (error, outcome) = match outcome {
        LoginOutcome::SignedIn {
            session,
            must_change_password,
        } => return Ok(account::signed_in(&session, must_change_password, &next)),
        LoginOutcome::Locked => {
            return login_page(app, next, login, Some(account::LOCKED), Outcome::Invalid).await;
        }
        LoginOutcome::Expired | LoginOutcome::CodeNext { .. } | LoginOutcome::Archived => {
            return login_page(app, next, login, Some(EXPIRED), Outcome::Invalid).await;
        }
        LoginOutcome::Throttled => (account::TOO_MANY, Outcome::Throttled),
        LoginOutcome::KeyMismatch => (KEY_MISMATCH, Outcome::Invalid),
        LoginOutcome::Refused => (WRONG_CODE, Outcome::Invalid),
    };
    code_page(app, &next, Some(error), outcome).await
}

/// What the enrolment form shows: the secret sealed for the form, as text and as QR.
#[derive(Serialize)]
struct Enrolment {
    sealed: String,
    /// The base32 secret in groups of four, for typing by hand.
    secret: String,
    qr: String,
}

#[derive(Serialize)]
struct SecondFactorView {
    layout: AdminLayout,
    enrolled: bool,
    required: bool,
    enrolled_at: Option<String>,
    recovery_left: usize,
    enrolment: Option<Enrolment>,
    /// Recovery codes just made, shown this once.
    recovery_codes: Vec<String>,
    errors: Vec<FieldError>,
}

fn enrolment(
    app: &App,
    staff: &Desk,
    secret: &NewSecret,
    site_name: &str,
) -> Result<Enrolment, HttpError> {
    let sealed = secret
        .seal_for_form(&app.secret_key, staff.user.id)
        .map_err(|e| HttpError::Internal(e.to_string()))?;
    let base32 = secret.base32();
    let grouped = base32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let uri = secret.provisioning_uri(site_name, &staff.user.login);
    let qr = crate::render::qr::svg(
        &uri,
        "Mã QR để thêm tài khoản vào ứng dụng xác thực; nếu không quét được, hãy nhập khóa bên dưới.",
    )
    .ok_or_else(|| HttpError::Internal("QR code too long".into()))?;
    Ok(Enrolment {
        sealed,
        secret: grouped,
        qr,
    })
}

/// Renders the page; `secret` is the one being enrolled (a fresh one when `None` and
/// the person has no factor yet).
async fn second_factor_page(
    app: &Arc<App>,
    staff: &Desk,
    secret: Option<NewSecret>,
    recovery_codes: Vec<String>,
    errors: Vec<FieldError>,
    flash: Option<&str>,
) -> Result<Response, HttpError> {
    let id = staff.user.id;
    let factor = app.store.read(move |tx| second_factor::get(tx, id)).await?;
    let enrolment = match (&factor, secret) {
        (Some(_), _) => None,
        (None, Some(secret)) => Some(enrolment(app, staff, &secret, &staff.site)?),
        (None, None) => Some(enrolment(app, staff, &NewSecret::generate()?, &staff.site)?),
    };
    let outcome = if errors.is_empty() {
        Outcome::Shown
    } else {
        Outcome::Invalid
    };
    let view = SecondFactorView {
        layout: staff.layout("Xác thực hai bước").with_flash(flash),
        enrolled: factor.is_some(),
        required: staff.second_factor_required,
        enrolled_at: factor
            .as_ref()
            .map(|f| crate::format::datetime(f.enrolled_at)),
        recovery_left: factor.as_ref().map_or(0, |f| f.recovery.len()),
        enrolment,
        recovery_codes,
        errors,
    };
    page(app, "admin/second_factor.html", &view, outcome)
}

/// `GET /quan-tri/xac-thuc-hai-buoc`
pub async fn second_factor_form(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    second_factor_page(&app, &staff, None, Vec::new(), Vec::new(), query.flash()).await
}

fn field_error(field: &'static str, message: &str) -> Vec<FieldError> {
    vec![FieldError {
        field,
        message: message.into(),
    }]
}

/// Changing an enrolled factor asks for the password and a current code. Returns the
/// page to answer with when either is wrong.
async fn confirmed_with_code(
    app: &Arc<App>,
    staff: &Desk,
    form: &FormData,
) -> Result<Option<Response>, HttpError> {
    if let Some(error) = password_confirmed(app, staff, form).await? {
        return second_factor_page(app, staff, None, Vec::new(), vec![error], None)
            .await
            .map(Some);
    }
    let (key, id, now) = (app.secret_key.clone(), staff.user.id, app.clock.now());
    let code = form.get("ma").to_string();
    let checked = app
        .store
        .write(move |tx| second_factor::check(tx, &key, id, &code, now))
        .await?;
    if checked.accepted() {
        return Ok(None);
    }
    let errors = field_error(
        "ma",
        "Mã xác thực không đúng hoặc đã được dùng. Hãy nhập mã mới trên ứng dụng, hoặc một mã dự phòng.",
    );
    second_factor_page(app, staff, None, Vec::new(), errors, None)
        .await
        .map(Some)
}

/// `POST /quan-tri/xac-thuc-hai-buoc/bat`: enrols the app whose QR code the page
/// showed (`bi_mat`), with the first code (`ma`) and the password.
pub async fn enrol_second_factor(
    State(app): State<Arc<App>>,
    staff: Desk,
    client: account::Client,
    form: FormData,
) -> Result<Response, HttpError> {
    let pending = NewSecret::unseal(&app.secret_key, form.get("bi_mat"), staff.user.id);
    if let Some(error) = password_confirmed(&app, &staff, &form).await? {
        return second_factor_page(&app, &staff, pending, Vec::new(), vec![error], None).await;
    }
    let Some(secret) = pending else {
        let errors = field_error("ma", STALE_QR);
        return second_factor_page(&app, &staff, None, Vec::new(), errors, None).await;
    };
    let code = form.get("ma").to_string();
    let Some((enrolled, secret)) = enrol(&app, &staff, secret, code, client.origin).await? else {
        // A new factor replaces nothing: a present one is turned off first.
        return Ok(see_other(SECOND_FACTOR));
    };
    if let Some(enrolled) = enrolled {
        return enrolled_page(&app, &staff, enrolled).await;
    }
    let errors = field_error("ma", WRONG_FIRST_CODE);
    second_factor_page(&app, &staff, Some(secret), Vec::new(), errors, None).await
}

/// Enrols `secret` if `code` is right for it; `None` when a factor is already there.
async fn enrol(
    app: &Arc<App>,
    staff: &Desk,
    secret: NewSecret,
    code: String,
    origin: session::Origin,
) -> Result<Option<(Option<accounts::Enrolled>, NewSecret)>, HttpError> {
    let (by, key, now) = (staff.actor.clone(), app.secret_key.clone(), app.clock.now());
    let written = app
        .store
        .write(move |tx| {
            accounts::enrol_second_factor(tx, &by, &key, &secret, &code, origin, now)
                .map(|enrolled| (enrolled, secret))
        })
        .await;
    match written {
        Err(auth::Error::AlreadyEnrolled) => Ok(None),
        other => Ok(Some(other?)),
    }
}

const STALE_QR: &str = "Mã QR đã cũ. Vui lòng quét lại mã QR mới bên dưới.";
const WRONG_FIRST_CODE: &str = "Mã xác thực không đúng. Hãy nhập mã 6 chữ số đang hiện trên ứng dụng (kiểm tra đồng hồ của điện thoại).";

/// After enrolment: the recovery codes, shown once, in the new session that replaces
/// every earlier one.
async fn enrolled_page(
    app: &Arc<App>,
    staff: &Desk,
    enrolled: accounts::Enrolled,
) -> Result<Response, HttpError> {
    tracing::info!(user = %staff.user.login, "second factor enrolled");
    let renewed = staff.with_staff(Staff {
        csrf: enrolled.session.csrf,
        token: enrolled.token.clone(),
        must_enrol: false,
        ..(*staff.staff).clone()
    });
    let codes = enrolled.recovery_codes;
    let response = second_factor_page(app, &renewed, None, codes, Vec::new(), None).await?;
    Ok(account::with_cookies(
        response,
        &[form::set_cookie(session::COOKIE, &enrolled.token, None)],
    ))
}

/// `POST /quan-tri/xac-thuc-hai-buoc/ma-du-phong`: new recovery codes, shown once.
pub async fn renew_recovery_codes(
    State(app): State<Arc<App>>,
    staff: Desk,
    form: FormData,
) -> Result<Response, HttpError> {
    if let Some(refused) = confirmed_with_code(&app, &staff, &form).await? {
        return Ok(refused);
    }
    let (by, now) = (staff.actor.clone(), app.clock.now());
    let codes = app
        .store
        .write(move |tx| accounts::renew_recovery_codes(tx, &by, now))
        .await?;
    second_factor_page(&app, &staff, None, codes, Vec::new(), None).await
}

/// `POST /quan-tri/xac-thuc-hai-buoc/tat`: turns the factor off, unless a role
/// requires it.
pub async fn turn_off_second_factor(
    State(app): State<Arc<App>>,
    staff: Desk,
    form: FormData,
) -> Result<Response, HttpError> {
    if let Some(refused) = confirmed_with_code(&app, &staff, &form).await? {
        return Ok(refused);
    }
    if staff.second_factor_required {
        let errors = field_error(
            "xac_nhan",
            "Vai trò của bạn bắt buộc dùng xác thực hai bước nên không thể tắt.",
        );
        return second_factor_page(&app, &staff, None, Vec::new(), errors, None).await;
    }
    let (by, now) = (staff.actor.clone(), app.clock.now());
    app.store
        .write(move |tx| accounts::turn_off_second_factor(tx, &by, now))
        .await?;
    Ok(see_other(&format!("{SECOND_FACTOR}?tb=da-tat-xac-thuc")))
}
