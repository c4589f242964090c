//! The second factor in the browser: the code step of a login, and the page where a
//! person enrols an authenticator app, renews recovery codes or turns the factor off.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;

use super::account::{self, client_ip, login_page, session_origin};
use super::form::{self, FormData};
use super::people::password_confirmed;
use super::views::{AdminLayout, FieldError, flash_code};
use super::{LOGIN_COOKIE, SECOND_FACTOR, SignedIn, Staff, page, site_and_inbox};
use crate::app::App;
use crate::audit::{self, Event};
use crate::auth::second_factor::{self, Checked, NewSecret};
use crate::auth::{self, session, throttle};
use crate::http::error::{HttpError, Outcome, see_other};
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

fn next_from(query: Option<&str>) -> String {
    query
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("tiep=")))
        .and_then(form::decode)
        .unwrap_or_default()
}

/// `GET /quan-tri/dang-nhap/ma`
pub async fn code_form(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    let next = next_from(query.as_deref());
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
    let Some((token, user)) = awaiting(&app, &headers).await? else {
        return login_page(&app, next, String::new(), Some(EXPIRED), Outcome::Invalid).await;
    };
    let now = app.clock.now();
    let policy = app.config.login;
    let from_address = app.address_failures.count(ip, policy.window, now);
    if from_address >= policy.max_failures_per_address {
        tokio::time::sleep(policy.delay(from_address)).await;
        return code_page(&app, &next, Some(account::TOO_MANY), Outcome::Throttled).await;
    }
    let login = user.login.clone();
    if app
        .store
        .read(move |tx| throttle::locked(tx, &login, now))
        .await?
    {
        end_session(&app, &token).await?;
        record_failed(&app, &user, ip, "login_refused_locked", None, false).await?;
        return login_page(
            &app,
            next,
            user.login,
            Some(account::LOCKED),
            Outcome::Invalid,
        )
        .await;
    }
    let typed = form.get("ma").to_string();
    let (key, id) = (app.secret_key.clone(), user.id);
    let checked = app
        .store
        .write(move |tx| second_factor::check(tx, &key, id, &typed, now))
        .await?;
    match checked {
        Checked::Code => {
            let origin = session_origin(ip, &headers);
            account::finish_login(&app, user, ip, origin, Some(token), "password+totp", &next).await
        }
        Checked::RecoveryCode { left } => {
            let origin = session_origin(ip, &headers);
            tracing::warn!(user = %user.login, left, "signed in with a recovery code");
            account::finish_login(
                &app,
                user,
                ip,
                origin,
                Some(token),
                "password+recovery code",
                &next,
            )
            .await
        }
        Checked::KeyMismatch => {
            tracing::error!(
                user = %user.login,
                "the stored TOTP secret does not open with data/secret.key; was the key replaced?"
            );
            code_page(&app, &next, Some(KEY_MISMATCH), Outcome::Invalid).await
        }
        Checked::NotEnrolled => {
            // Reset by an administrator between the two steps: start again.
            end_session(&app, &token).await?;
            login_page(&app, next, user.login, Some(EXPIRED), Outcome::Invalid).await
        }
        Checked::Wrong | Checked::Replayed => {
            let detail = if checked == Checked::Replayed {
                "code already used"
            } else {
                "wrong code"
            };
            let locked =
                record_failed(&app, &user, ip, "second_factor_failed", Some(detail), true).await?;
            tokio::time::sleep(policy.delay(from_address + 1)).await;
            if locked {
                end_session(&app, &token).await?;
                return login_page(
                    &app,
                    next,
                    user.login,
                    Some(account::LOCKED),
                    Outcome::Invalid,
                )
                .await;
            }
            code_page(&app, &next, Some(WRONG_CODE), Outcome::Invalid).await
        }
    }
}

async fn record_failed(
    app: &Arc<App>,
    user: &auth::User,
    ip: std::net::IpAddr,
    action: &'static str,
    detail: Option<&'static str>,
    counts: bool,
) -> Result<bool, HttpError> {
    account::record_failure(app, &user.login, ip, action, detail, counts).await
}

async fn end_session(app: &Arc<App>, token: &str) -> Result<(), HttpError> {
    let token = token.to_string();
    app.store.write(move |tx| session::end(tx, &token)).await?;
    Ok(())
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
    staff: &Staff,
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
    staff: &Staff,
    secret: Option<NewSecret>,
    recovery_codes: Vec<String>,
    errors: Vec<FieldError>,
    flash: Option<&str>,
) -> Result<Response, HttpError> {
    let id = staff.user.id;
    let factor = app.store.read(move |tx| second_factor::get(tx, id)).await?;
    let (site, inbox) = site_and_inbox(app, staff).await?;
    let enrolment = match (&factor, secret) {
        (Some(_), _) => None,
        (None, Some(secret)) => Some(enrolment(app, staff, &secret, &site)?),
        (None, None) => Some(enrolment(app, staff, &NewSecret::generate()?, &site)?),
    };
    let outcome = if errors.is_empty() {
        Outcome::Shown
    } else {
        Outcome::Invalid
    };
    let view = SecondFactorView {
        layout: AdminLayout::new(&site, staff, "Xác thực hai bước", SECOND_FACTOR, inbox)
            .with_flash(flash),
        enrolled: factor.is_some(),
        required: staff.second_factor_required,
        enrolled_at: factor
            .as_ref()
            .map(|f| crate::render::format::datetime(f.enrolled_at)),
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
    SignedIn(staff): SignedIn,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    second_factor_page(
        &app,
        &staff,
        None,
        Vec::new(),
        Vec::new(),
        flash_code(query.as_deref()),
    )
    .await
}

/// `POST /quan-tri/xac-thuc-hai-buoc`: `thao_tac` is `bat` (enrol), `ma-du-phong`
/// (new recovery codes) or `tat` (turn off). Each asks for the password again.
pub async fn change_second_factor(
    State(app): State<Arc<App>>,
    SignedIn(staff): SignedIn,
    peer: Option<Extension<Peer>>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, HttpError> {
    let pending = NewSecret::unseal(&app.secret_key, form.get("bi_mat"), staff.user.id);
    if let Some(error) = password_confirmed(&app, &staff, &form).await? {
        return second_factor_page(&app, &staff, pending, Vec::new(), vec![error], None).await;
    }
    let (id, login, now) = (staff.user.id, staff.user.login.clone(), app.clock.now());
    let action = form.get("thao_tac");
    let enrolled = app
        .store
        .read(move |tx| second_factor::is_enrolled(tx, id))
        .await?;
    if action == "bat" && enrolled {
        // A new factor replaces nothing: the present one is turned off first.
        return Ok(see_other(SECOND_FACTOR));
    }
    // Changing an enrolled factor takes a current code too, not just the password.
    if action != "bat" && enrolled {
        let (key, code) = (app.secret_key.clone(), form.get("ma").to_string());
        let checked = app
            .store
            .write(move |tx| second_factor::check(tx, &key, id, &code, now))
            .await?;
        if !checked.accepted() {
            let error = FieldError {
                field: "ma",
                message: "Mã xác thực không đúng hoặc đã được dùng. Hãy nhập mã mới trên ứng dụng, hoặc một mã dự phòng.".into(),
            };
            return second_factor_page(&app, &staff, None, Vec::new(), vec![error], None).await;
        }
    }
    match action {
        "bat" => {
            let Some(secret) = pending else {
                let error = FieldError {
                    field: "ma",
                    message: "Mã QR đã cũ. Vui lòng quét lại mã QR mới bên dưới.".into(),
                };
                return second_factor_page(&app, &staff, None, Vec::new(), vec![error], None).await;
            };
            let code = form.get("ma").to_string();
            let key = app.secret_key.clone();
            let origin = session_origin(client_ip(peer), &headers);
            let enrolled = app
                .store
                .write(move |tx| -> Result<_, auth::Error> {
                    let Some(codes) = second_factor::enrol(tx, &key, id, &secret, &code, now)?
                    else {
                        return Ok(Err(secret));
                    };
                    audit::append(
                        tx,
                        Event::new(&login, "second_factor_enrolled", &login),
                        now,
                    )?;
                    // More standing, a new session id; and every other session of
                    // this person, opened with the password alone, ends with it.
                    session::end_all_for(tx, id)?;
                    let (token, session) = session::start(tx, id, origin, now)?;
                    Ok(Ok((codes, token, session)))
                })
                .await?;
            match enrolled {
                Err(secret) => {
                    let error = FieldError {
                        field: "ma",
                        message: "Mã xác thực không đúng. Hãy nhập mã 6 chữ số đang hiện trên ứng dụng (kiểm tra đồng hồ của điện thoại).".into(),
                    };
                    second_factor_page(&app, &staff, Some(secret), Vec::new(), vec![error], None)
                        .await
                }
                Ok((codes, token, session)) => {
                    tracing::info!(user = %staff.user.login, "second factor enrolled");
                    let renewed = Staff {
                        csrf: session.csrf,
                        token: token.clone(),
                        second_factor_required: staff.second_factor_required,
                        must_enrol: false,
                        user: staff.user.clone(),
                        actor: staff.actor.clone(),
                        alerts: staff.alerts.clone(),
                    };
                    let response =
                        second_factor_page(&app, &renewed, None, codes, Vec::new(), None).await?;
                    Ok(account::with_cookies(
                        response,
                        &[form::set_cookie(session::COOKIE, &token, None)],
                    ))
                }
            }
        }
        "ma-du-phong" => {
            let codes = app
                .store
                .write(move |tx| -> Result<_, auth::Error> {
                    let codes = second_factor::renew_recovery_codes(tx, id)?;
                    audit::append(
                        tx,
                        Event::new(&login, "recovery_codes_renewed", &login),
                        now,
                    )?;
                    Ok(codes)
                })
                .await?;
            second_factor_page(&app, &staff, None, codes, Vec::new(), None).await
        }
        "tat" if staff.second_factor_required => {
            let error = FieldError {
                field: "xac_nhan",
                message: "Vai trò của bạn bắt buộc dùng xác thực hai bước nên không thể tắt."
                    .into(),
            };
            second_factor_page(&app, &staff, None, Vec::new(), vec![error], None).await
        }
        "tat" => {
            app.store
                .write(move |tx| -> Result<_, auth::Error> {
                    if second_factor::remove(tx, id)? {
                        audit::append(
                            tx,
                            Event::new(&login, "second_factor_removed", &login),
                            now,
                        )?;
                        // The shorter password the factor allowed may no longer do.
                        auth::require_password_change(tx, id, now)?;
                    }
                    Ok(())
                })
                .await?;
            Ok(see_other(&format!("{SECOND_FACTOR}?tb=da-tat-xac-thuc")))
        }
        _ => Err(HttpError::BadRequest("unknown second-factor action")),
    }
}
