//! Accounts, units (administrators) and approval delegations (the Board head).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;

use super::form::FormData;
use super::views::{AdminLayout, FieldError};
use super::{Desk, page};
use crate::app::App;
use crate::auth::{self, Grant, NewUser, UnitId, UserEdit, UserId, accounts, password, throttle};
use crate::content::{self, Kind};
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::params::Params;
use crate::workflow::{Actor, Role};
use jiff::Timestamp;

#[derive(Serialize)]
struct RoleChoice {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

fn role_choices(held: &[Role]) -> Vec<RoleChoice> {
    Role::ALL
        .iter()
        .map(|r| RoleChoice {
            value: r.as_str(),
            label: r.label(),
            checked: held.contains(r),
        })
        .collect()
}

#[derive(Serialize)]
struct UserRow {
    id: u64,
    login: String,
    name: String,
    unit: String,
    roles: Vec<&'static str>,
    enabled: bool,
    /// "Chưa đăng nhập" or the date and time.
    last_login: String,
    created: String,
    second_factor: bool,
    second_factor_required: bool,
}

#[derive(Serialize)]
struct UnitChoice {
    id: u64,
    name: String,
    selected: bool,
}

#[derive(Serialize)]
struct UsersView {
    layout: AdminLayout,
    /// When this report was made, for the printed access review.
    generated: String,
    inactive_days: i64,
    users: Vec<UserRow>,
    units: Vec<UnitChoice>,
    roles: Vec<RoleChoice>,
    errors: Vec<FieldError>,
    /// A one-time password just made, shown this once.
    created: Option<(String, String)>,
    login: String,
    name: String,
}

async fn users_page(
    app: &Arc<App>,
    staff: &Desk,
    errors: Vec<FieldError>,
    created: Option<(String, String)>,
    flash: Option<&str>,
) -> Result<Response, HttpError> {
    let extra_roles = app.config.second_factor_roles.clone();
    let today = app.today();
    let (users, units, enrolled, required) = app
        .store
        .read(move |tx| -> Result<_, auth::Error> {
            let users = auth::users(tx)?;
            let mut required = std::collections::HashSet::new();
            for user in &users {
                if auth::second_factor::required(&auth::actor(tx, user)?, &extra_roles, today) {
                    required.insert(user.id.0);
                }
            }
            let enrolled = auth::second_factor::enrolled(tx)?;
            Ok((users, auth::units(tx)?, enrolled, required))
        })
        .await?;
    let outcome = if errors.is_empty() {
        Outcome::Shown
    } else {
        Outcome::Invalid
    };
    let view = UsersView {
        layout: staff.layout("Người dùng").with_flash(flash),
        generated: crate::format::datetime(app.clock.now()),
        inactive_days: app.config.inactive_days,
        users: users
            .iter()
            .map(|u| UserRow {
                id: u.id.0,
                login: u.login.clone(),
                name: u.name.clone(),
                unit: u
                    .unit
                    .and_then(|id| units.iter().find(|x| x.id == id))
                    .map(|x| x.name.clone())
                    .unwrap_or_default(),
                roles: u.roles.iter().map(|r| r.label()).collect(),
                enabled: u.enabled,
                last_login: u
                    .last_login
                    .map_or("Chưa đăng nhập".to_string(), crate::format::datetime),
                created: crate::format::date(u.created_at),
                second_factor: enrolled.contains(&u.id.0),
                second_factor_required: required.contains(&u.id.0),
            })
            .collect(),
        units: units
            .iter()
            .map(|u| UnitChoice {
                id: u.id.0,
                name: u.name.clone(),
                selected: false,
            })
            .collect(),
        roles: role_choices(&[]),
        errors,
        created,
        login: String::new(),
        name: String::new(),
    };
    page(app, "admin/users.html", &view, outcome)
}

/// `GET /quan-tri/nguoi-dung`
pub async fn list_users(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    users_page(&app, &staff, Vec::new(), None, query.flash()).await
}

fn roles_from(form: &FormData) -> Vec<Role> {
    form.all("roles")
        .into_iter()
        .filter_map(Role::parse)
        .collect()
}

/// The account's name, unit and roles as the form gives them.
fn edit_from(form: &FormData) -> UserEdit {
    UserEdit {
        name: form.get("name").to_string(),
        unit: unit_from(form),
        roles: roles_from(form),
        enabled: form.has("enabled"),
    }
}

fn unit_from(form: &FormData) -> Option<UnitId> {
    form.get("unit").parse().ok().map(UnitId)
}

fn auth_errors(e: auth::Error) -> Result<Vec<FieldError>, HttpError> {
    match e {
        auth::Error::Invalid { field, message } => Ok(vec![FieldError {
            field,
            message: message.into(),
        }]),
        auth::Error::NoSuchUnit => Ok(vec![FieldError {
            field: "unit",
            message: "Đơn vị không tồn tại.".into(),
        }]),
        auth::Error::ConfirmationRequired => Ok(vec![FieldError {
            field: "xac_nhan",
            message: "Vui lòng nhập đúng mật khẩu của bạn để xác nhận thao tác này.".into(),
        }]),
        other => Err(other.into()),
    }
}

/// `POST /quan-tri/nguoi-dung` — a new account with a one-time password shown once.
pub async fn create_user(
    State(app): State<Arc<App>>,
    staff: Desk,
    form: FormData,
) -> Result<Response, HttpError> {
    let new = NewUser {
        login: form.get("login").trim().to_lowercase(),
        name: form.get("name").to_string(),
        unit: unit_from(&form),
        roles: roles_from(&form),
    };
    let one_time = password::generate()?;
    let hash = app.hash_password(one_time.clone()).await?;
    let (by, now) = (staff.actor.clone(), app.clock.now());
    let made = app
        .store
        .write(move |tx| accounts::create(tx, &by, new, hash, true, now))
        .await;
    match made {
        Ok(user) => {
            tracing::info!(by = %staff.user.login, login = %user.login, "account created");
            users_page(&app, &staff, Vec::new(), Some((user.login, one_time)), None).await
        }
        Err(e) => users_page(&app, &staff, auth_errors(e)?, None, None).await,
    }
}

#[derive(Serialize)]
struct UserView {
    layout: AdminLayout,
    id: u64,
    login: String,
    name: String,
    enabled: bool,
    units: Vec<UnitChoice>,
    roles: Vec<RoleChoice>,
    errors: Vec<FieldError>,
    /// A password reset link just made, and when it stops working.
    reset_link: Option<ResetLinkView>,
    /// When a lock from failed logins ends, if the account is locked now.
    locked_until: Option<String>,
    second_factor: bool,
}

#[derive(Serialize)]
struct ResetLinkView {
    url: String,
    expires: String,
}

async fn user_page(
    app: &Arc<App>,
    staff: &Desk,
    id: UserId,
    errors: Vec<FieldError>,
    reset_link: Option<ResetLinkView>,
    flash: Option<&str>,
) -> Result<Response, HttpError> {
    let now = app.clock.now();
    let (user, units, locked_until, second_factor) = app
        .store
        .read(move |tx| -> Result<_, auth::Error> {
            let user = auth::user(tx, id)?.ok_or(auth::Error::NoSuchUser)?;
            let locked_until = throttle::locked_until(tx, &user.login, now)?;
            let second_factor = auth::second_factor::is_enrolled(tx, id)?;
            Ok((user, auth::units(tx)?, locked_until, second_factor))
        })
        .await?;
    let locked_until = locked_until.map(crate::format::datetime);
    let outcome = if errors.is_empty() {
        Outcome::Shown
    } else {
        Outcome::Invalid
    };
    let view = UserView {
        layout: staff.layout(&user.name).with_flash(flash),
        id: user.id.0,
        login: user.login.clone(),
        name: user.name.clone(),
        enabled: user.enabled,
        units: units
            .iter()
            .map(|u| UnitChoice {
                id: u.id.0,
                name: u.name.clone(),
                selected: user.unit == Some(u.id),
            })
            .collect(),
        roles: role_choices(&user.roles),
        errors,
        reset_link,
        locked_until,
        second_factor,
    };
    page(app, "admin/user.html", &view, outcome)
}

/// `GET /quan-tri/nguoi-dung/{id}`
pub async fn edit_user(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(id): Path<u64>,
    query: Params,
) -> Result<Response, HttpError> {
    user_page(&app, &staff, UserId(id), Vec::new(), None, query.flash()).await
}

/// Back to the account, saved; changing their own roles renewed this browser's session.
fn saved_with_session(id: UserId, renewed: Option<String>) -> Response {
    let cookies = renewed.map(|t| super::form::set_cookie(auth::session::COOKIE, &t, None));
    let saved = format!("/quan-tri/nguoi-dung/{}?tb=da-luu-nguoi-dung", id.0);
    super::account::with_cookies(see_other(&saved), cookies.as_slice())
}

/// `POST /quan-tri/nguoi-dung/{id}`
pub async fn update_user(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(id): Path<u64>,
    client: super::account::Client,
    form: FormData,
) -> Result<Response, HttpError> {
    let (id, edit) = (UserId(id), edit_from(&form));
    let confirmed = password_confirmed(&app, &staff, &form).await?.is_none();
    let (by, token, now) = (staff.actor.clone(), staff.token.clone(), app.clock.now());
    let own_session = (token, client.origin);
    let saved = app
        .store
        .write(move |tx| {
            let own_session = Some((own_session.0.as_str(), own_session.1));
            accounts::update(tx, &by, id, edit, confirmed, own_session, now)
        })
        .await;
    match saved {
        // Changing their own roles renews this browser's session.
        Ok(renewed) => Ok(saved_with_session(id, renewed)),
        Err(e) => user_page(&app, &staff, id, auth_errors(e)?, None, None).await,
    }
}

/// `POST /quan-tri/nguoi-dung/{id}/mat-khau` — a link through which the person sets
/// a new password of their own, shown once; it works once, for 24 hours. The person's
/// sessions end.
pub async fn reset_password(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(id): Path<u64>,
) -> Result<Response, HttpError> {
    let id = UserId(id);
    let (by, now) = (staff.actor.clone(), app.clock.now());
    let issued = app
        .store
        .write(move |tx| auth::reset::issue(tx, &by, id, now))
        .await;
    let (token, expires_at) = match issued {
        Ok(issued) => issued,
        Err(e) => return user_page(&app, &staff, id, auth_errors(e)?, None, None).await,
    };
    tracing::info!(by = %staff.user.login, user = id.0, "password reset link made");
    let link = ResetLinkView {
        url: format!("{}{}{token}", app.origin(), auth::reset::PATH),
        expires: crate::format::datetime(expires_at),
    };
    user_page(&app, &staff, id, Vec::new(), Some(link), None).await
}

/// Sensitive changes (roles, delegations) ask for the acting person's password again,
/// so a session left open on an unattended desk cannot make them.
pub(super) async fn password_confirmed(
    app: &Arc<App>,
    staff: &Desk,
    form: &FormData,
) -> Result<Option<FieldError>, HttpError> {
    let given = form.get("xac_nhan").to_string();
    if !given.is_empty()
        && app
            .verify_password(given, staff.user.password_hash.clone())
            .await?
    {
        return Ok(None);
    }
    Ok(Some(FieldError {
        field: "xac_nhan",
        message: "Vui lòng nhập đúng mật khẩu của bạn để xác nhận thao tác này.".into(),
    }))
}

/// An administrator's one-click action on an account (a command of
/// `auth::accounts`), then back to the account's page with `flash`.
async fn account_action(
    app: &Arc<App>,
    staff: &Desk,
    id: UserId,
    flash: &'static str,
    command: fn(&redb::WriteTransaction, &Actor, UserId, Timestamp) -> Result<(), auth::Error>,
) -> Result<Response, HttpError> {
    let (by, now) = (staff.actor.clone(), app.clock.now());
    app.store.write(move |tx| command(tx, &by, id, now)).await?;
    tracing::info!(by = %staff.user.login, user = id.0, flash, "account action");
    Ok(see_other(&format!(
        "/quan-tri/nguoi-dung/{}?tb={flash}",
        id.0
    )))
}

/// `POST /quan-tri/nguoi-dung/{id}/mo-khoa` — ends a lock from failed logins early.
pub async fn unlock_user(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(id): Path<u64>,
) -> Result<Response, HttpError> {
    account_action(&app, &staff, UserId(id), "da-mo-khoa", accounts::unlock).await
}

/// `POST /quan-tri/nguoi-dung/{id}/xac-thuc-hai-buoc` — removes a person's second
/// factor (a lost phone with no recovery codes left) and ends their sessions; they
/// enrol again at their next login. The administrator confirms with their password.
pub async fn reset_second_factor(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(id): Path<u64>,
    form: FormData,
) -> Result<Response, HttpError> {
    let id = UserId(id);
    if let Some(error) = password_confirmed(&app, &staff, &form).await? {
        return user_page(&app, &staff, id, vec![error], None, None).await;
    }
    let flash = "da-dat-lai-xac-thuc";
    account_action(&app, &staff, id, flash, accounts::reset_second_factor).await
}

/// `POST /quan-tri/nguoi-dung/{id}/dang-xuat` — ends every session of the account.
pub async fn end_user_sessions(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(id): Path<u64>,
) -> Result<Response, HttpError> {
    account_action(
        &app,
        &staff,
        UserId(id),
        "da-dong-phien",
        accounts::end_sessions,
    )
    .await
}

#[derive(Serialize)]
struct UnitsView {
    layout: AdminLayout,
    units: Vec<UnitChoice>,
    errors: Vec<FieldError>,
}

async fn units_page(
    app: &Arc<App>,
    staff: &Desk,
    errors: Vec<FieldError>,
    flash: Option<&str>,
) -> Result<Response, HttpError> {
    let units = app.store.read(auth::units).await?;
    let outcome = if errors.is_empty() {
        Outcome::Shown
    } else {
        Outcome::Invalid
    };
    let view = UnitsView {
        layout: staff.layout("Đơn vị").with_flash(flash),
        units: units
            .iter()
            .map(|u| UnitChoice {
                id: u.id.0,
                name: u.name.clone(),
                selected: false,
            })
            .collect(),
        errors,
    };
    page(app, "admin/units.html", &view, outcome)
}

/// `GET /quan-tri/don-vi`
pub async fn list_units(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    units_page(&app, &staff, Vec::new(), query.flash()).await
}

/// `POST /quan-tri/don-vi`
pub async fn create_unit(
    State(app): State<Arc<App>>,
    staff: Desk,
    form: FormData,
) -> Result<Response, HttpError> {
    let name = form.get("name").to_string();
    match app
        .store
        .write(move |tx| auth::create_unit(tx, &name))
        .await
    {
        Ok(_) => Ok(see_other("/quan-tri/don-vi?tb=da-luu-don-vi")),
        Err(e) => units_page(&app, &staff, auth_errors(e)?, None).await,
    }
}

/// `POST /quan-tri/don-vi/{id}`
pub async fn rename_unit(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(id): Path<u64>,
    form: FormData,
) -> Result<Response, HttpError> {
    let name = form.get("name").to_string();
    match app
        .store
        .write(move |tx| auth::rename_unit(tx, UnitId(id), &name))
        .await
    {
        Ok(_) => Ok(see_other("/quan-tri/don-vi?tb=da-luu-don-vi")),
        Err(e) => units_page(&app, &staff, auth_errors(e)?, None).await,
    }
}

#[derive(Serialize)]
struct DelegationRow {
    id: u64,
    delegate: String,
    from: String,
    until: String,
    scope: String,
    status: &'static str,
    active: bool,
}

#[derive(Serialize)]
struct PersonChoice {
    id: u64,
    name: String,
}

#[derive(Serialize)]
struct DelegationsView {
    layout: AdminLayout,
    rows: Vec<DelegationRow>,
    people: Vec<PersonChoice>,
    kinds: Vec<(&'static str, &'static str)>,
    categories: Vec<content::Category>,
    errors: Vec<FieldError>,
    today: String,
}

async fn delegations_page(
    app: &Arc<App>,
    staff: &Desk,
    errors: Vec<FieldError>,
    flash: Option<&str>,
) -> Result<Response, HttpError> {
    let me = staff.user.id.0;
    let delegations = app.store.read(auth::delegations).await?;
    let users = app.store.read(auth::users).await?;
    let categories = app.store.read(content::categories).await?;
    let today = app.today();
    let outcome = if errors.is_empty() {
        Outcome::Shown
    } else {
        Outcome::Invalid
    };
    let view = DelegationsView {
        layout: staff.layout("Ủy quyền duyệt tin").with_flash(flash),
        rows: delegations
            .iter()
            .filter(|d| d.grantor == me)
            .map(|d| {
                let mut scope: Vec<String> =
                    d.kinds.iter().map(|k| k.label().to_string()).collect();
                scope.extend(d.categories.iter().cloned());
                DelegationRow {
                    id: d.id,
                    delegate: d.delegate_name.clone(),
                    from: d.from.strftime("%d/%m/%Y").to_string(),
                    until: d.until.strftime("%d/%m/%Y").to_string(),
                    scope: if scope.is_empty() {
                        "Tất cả".into()
                    } else {
                        scope.join(", ")
                    },
                    status: if d.revoked {
                        "Đã thu hồi"
                    } else if d.until < today {
                        "Đã hết hạn"
                    } else if d.from > today {
                        "Chưa đến ngày"
                    } else {
                        "Đang hiệu lực"
                    },
                    active: !d.revoked && d.until >= today,
                }
            })
            .collect(),
        people: users
            .iter()
            .filter(|u| u.enabled && u.id.0 != me)
            .map(|u| PersonChoice {
                id: u.id.0,
                name: format!("{} ({})", u.name, u.login),
            })
            .collect(),
        kinds: Kind::ALL.iter().map(|k| (k.as_str(), k.label())).collect(),
        categories,
        errors,
        today: today.to_string(),
    };
    page(app, "admin/delegations.html", &view, outcome)
}

/// `GET /quan-tri/uy-quyen`
pub async fn list_delegations(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    delegations_page(&app, &staff, Vec::new(), query.flash()).await
}

/// The delegation the form asks for: who, from when until when, for which kinds and
/// categories (none: all).
fn grant_from(form: &FormData) -> Result<Grant, FieldError> {
    let (Ok(from), Ok(until)) = (form.get("from").parse(), form.get("until").parse()) else {
        return Err(FieldError {
            field: "from",
            message: "Vui lòng chọn ngày bắt đầu và ngày kết thúc.".into(),
        });
    };
    let Ok(delegate) = form.get("delegate").parse::<u64>() else {
        return Err(FieldError {
            field: "delegate",
            message: "Vui lòng chọn người được ủy quyền.".into(),
        });
    };
    Ok(Grant {
        delegate: UserId(delegate),
        from,
        until,
        kinds: form
            .all("kinds")
            .into_iter()
            .filter_map(|k| Kind::ALL.iter().copied().find(|x| x.as_str() == k))
            .collect(),
        categories: form
            .all("categories")
            .into_iter()
            .map(String::from)
            .collect(),
    })
}

/// `POST /quan-tri/uy-quyen`
pub async fn grant_delegation(
    State(app): State<Arc<App>>,
    staff: Desk,
    form: FormData,
) -> Result<Response, HttpError> {
    if let Some(error) = password_confirmed(&app, &staff, &form).await? {
        return delegations_page(&app, &staff, vec![error], None).await;
    }
    let grant = match grant_from(&form) {
        Ok(grant) => grant,
        Err(error) => return delegations_page(&app, &staff, vec![error], None).await,
    };
    let (by, now) = (staff.actor.clone(), app.clock.now());
    match app
        .store
        .write(move |tx| accounts::grant_delegation(tx, &by, grant, now))
        .await
    {
        Ok(d) => {
            tracing::info!(by = %staff.user.login, delegate = d.delegate, "approval delegated");
            Ok(see_other("/quan-tri/uy-quyen?tb=da-uy-quyen"))
        }
        Err(e) => delegations_page(&app, &staff, auth_errors(e)?, None).await,
    }
}

/// `POST /quan-tri/uy-quyen/{id}/thu-hoi`
pub async fn revoke_delegation(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(id): Path<u64>,
    form: FormData,
) -> Result<Response, HttpError> {
    if let Some(error) = password_confirmed(&app, &staff, &form).await? {
        return delegations_page(&app, &staff, vec![error], None).await;
    }
    let (by, now) = (staff.actor.clone(), app.clock.now());
    match app
        .store
        .write(move |tx| accounts::revoke_delegation(tx, &by, id, now))
        .await
    {
        Ok(()) => Ok(see_other("/quan-tri/uy-quyen?tb=da-thu-hoi")),
        Err(e) => delegations_page(&app, &staff, auth_errors(e)?, None).await,
    }
}
