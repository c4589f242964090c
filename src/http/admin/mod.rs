//! The editors' workspace under `/quan-tri`: sign-in, the inbox, entries, the editor,
//! revisions, media, delegations, accounts and units. Every page works without
//! JavaScript. The guard in front of all of it loads the session and, on every POST,
//! checks the Origin and the CSRF token before a handler runs.

mod account;
mod audit;
mod backups;
mod comments;
mod deadlines;
mod entries;
pub mod form;
mod imports;
mod integrity;
mod mail;
mod media;
mod messages;
mod people;
mod pickers;
mod questions;
mod redirects;
mod report;
mod resources;
mod routes;
mod second_factor;
mod sections;
mod sessions;
mod site;
mod start;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::app::App;
use crate::auth::{self, User, session};
use crate::http::error::HttpError;
use crate::workflow::{Actor, Role};
use form::{FormData, cookie};

pub const PREFIX: &str = "/quan-tri";
pub const LOGIN: &str = "/quan-tri/dang-nhap";
pub const PASSWORD: &str = "/quan-tri/doi-mat-khau";
pub const UPLOAD: &str = "/quan-tri/tep";
/// Enrolling and managing one's second factor.
pub const SECOND_FACTOR: &str = "/quan-tri/xac-thuc-hai-buoc";
/// The code step of a login.
pub const SECOND_FACTOR_LOGIN: &str = "/quan-tri/dang-nhap/ma";
/// The pre-session cookie that carries the login form's CSRF token.
pub const LOGIN_COOKIE: &str = "__Host-trangtin-login";
/// Uploads may be larger than other bodies.
pub const UPLOAD_MAX_BYTES: u64 = crate::media::MAX_DOCUMENT_BYTES as u64 + 1024 * 1024;

/// What a route requires of the person asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Anyone, signed in or not (the login page).
    Anyone,
    /// Someone whose password was just accepted and who still owes the second factor
    /// (the code step); anyone else is sent to the login page.
    PasswordAccepted,
    /// Any signed-in member of staff.
    Staff,
    /// Someone who writes (contributor or compiler).
    Writer,
    /// The Board head (delegations).
    BoardHead,
    /// A member or the head of the Editorial Board (reports from the daily review).
    Board,
    /// Who may propose a change to the site's look: administrators and the Board.
    SiteLook,
    /// Who may see the look and the sections, drafts included: those who may propose
    /// a change, and the leadership.
    SiteLookView,
    /// Editorial staff: writers, the Board and publishers (not administrators alone).
    Editorial,
    Administrator,
}

impl Capability {
    pub fn admits(self, roles: &[Role]) -> bool {
        match self {
            Capability::Anyone | Capability::PasswordAccepted | Capability::Staff => true,
            Capability::Writer => {
                roles.contains(&Role::Contributor) || roles.contains(&Role::Compiler)
            }
            Capability::BoardHead => roles.contains(&Role::BoardHead),
            Capability::Board => {
                roles.contains(&Role::BoardHead) || roles.contains(&Role::BoardMember)
            }
            Capability::Editorial => [
                Role::Contributor,
                Role::Compiler,
                Role::BoardHead,
                Role::BoardMember,
                Role::Publisher,
            ]
            .iter()
            .any(|r| roles.contains(r)),
            Capability::SiteLook => [Role::Administrator, Role::BoardHead, Role::BoardMember]
                .iter()
                .any(|r| roles.contains(r)),
            Capability::SiteLookView => {
                Capability::SiteLook.admits(roles) || roles.contains(&Role::Leadership)
            }
            Capability::Administrator => roles.contains(&Role::Administrator),
        }
    }
}

pub use routes::{AdminRoute, Verb, routes};

/// The admin router: the route table behind the guard.
pub fn router(app: Arc<App>) -> Router<Arc<App>> {
    routes::router().layer(axum::middleware::from_fn_with_state(app, guard))
}

/// The CSRF token a multipart body must carry in its first field, `csrf`.
#[derive(Clone)]
pub struct PendingCsrf(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PendingCsrf {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, HttpError> {
        parts
            .extensions
            .get::<PendingCsrf>()
            .cloned()
            .filter(|p| !p.0.is_empty())
            .ok_or(HttpError::Forbidden("missing or wrong CSRF token"))
    }
}

/// A multipart upload, read after its CSRF token: one file and the text fields.
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
    texts: Vec<(String, String)>,
}

impl Upload {
    /// The text field `name`, or "".
    pub fn text(&self, name: &str) -> &str {
        self.texts
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Reads an upload whose first field is the CSRF token: a forged request is refused
    /// before anything of its file is read. A body that stops arriving runs into its
    /// deadline (`body_deadline`): 408.
    pub async fn read(
        expected: &str,
        mut multipart: axum::extract::Multipart,
    ) -> Result<Upload, HttpError> {
        let token = match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("csrf") => {
                field.text().await.unwrap_or_default()
            }
            _ => String::new(),
        };
        if !form::same(expected, &token) {
            return Err(HttpError::Forbidden("missing or wrong CSRF token"));
        }
        let mut upload = Upload {
            file_name: String::new(),
            bytes: Vec::new(),
            texts: Vec::new(),
        };
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(HttpError::PayloadTooLarge);
                }
                Err(_) => return Err(HttpError::BadRequest("malformed upload")),
            };
            let name = field.name().unwrap_or("").to_string();
            if name == "file" {
                upload.file_name = field.file_name().unwrap_or("").to_string();
                upload.bytes = field
                    .bytes()
                    .await
                    .map_err(|_| HttpError::PayloadTooLarge)?
                    .to_vec();
            } else {
                let text = field.text().await.unwrap_or_default();
                upload.texts.push((name, text));
            }
        }
        Ok(upload)
    }
}

/// A signed-in person, as the guard found them.
#[derive(Clone)]
pub struct Staff {
    pub user: User,
    pub actor: Actor,
    pub csrf: String,
    pub token: String,
    /// Their roles or delegations need a second factor.
    pub second_factor_required: bool,
    /// ... and they have none yet: every page but enrolment sends them there.
    pub must_enrol: bool,
    /// Red banners for every page they see (a failed backup, for administrators).
    pub alerts: Vec<String>,
}

/// What the guard learned about the session, for the extractors.
#[derive(Clone)]
struct SessionInfo(Option<Arc<Staff>>);

fn signed_in(parts: &Parts) -> Result<Arc<Staff>, HttpError> {
    let staff = parts
        .extensions
        .get::<SessionInfo>()
        .and_then(|s| s.0.clone())
        .ok_or_else(|| HttpError::LoginRequired {
            next: parts
                .uri
                .path_and_query()
                .map_or(PREFIX.to_string(), |pq| pq.as_str().to_string()),
        })?;
    let path = parts.uri.path();
    if staff.user.must_change_password && path != PASSWORD && path != "/quan-tri/dang-xuat" {
        return Err(HttpError::PasswordChangeRequired);
    }
    // A one-time password is replaced first, then the second factor enrolled.
    let changing_password = staff.user.must_change_password && path == PASSWORD;
    let enrolling = path == SECOND_FACTOR || path.starts_with(&format!("{SECOND_FACTOR}/"));
    if staff.must_enrol && !changing_password && !enrolling && path != "/quan-tri/dang-xuat" {
        return Err(HttpError::SecondFactorRequired);
    }
    Ok(staff)
}

/// The signed-in person. The route table has already checked the route's capability
/// (see `routes`), so a handler only asks who is acting.
pub struct SignedIn(pub Arc<Staff>);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, HttpError> {
        signed_in(parts).map(SignedIn)
    }
}

/// An admin page's desk: the signed-in person (the route table has checked the
/// route's capability) with what every page's frame shows, the agency's name and how
/// many items wait for them. Handlers that render a page take it; it derefs to `Staff`.
pub struct Desk {
    pub staff: Arc<Staff>,
    site: String,
    /// How many items wait per menu area; "Việc của tôi" counts them all.
    counts: std::collections::HashMap<&'static str, usize>,
    path: String,
}

impl std::ops::Deref for Desk {
    type Target = Staff;

    fn deref(&self) -> &Staff {
        &self.staff
    }
}

impl FromRequestParts<Arc<App>> for Desk {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, HttpError> {
        let staff = signed_in(parts)?;
        let (site, counts) = if let Some(counts) = app.menu_counts.get(staff.user.id.0) {
            (app.store.read(crate::site::load).await?.agency_name, counts)
        } else {
            let waiting = waiting_now(app, &staff).await?;
            let counts = waiting.counts();
            app.menu_counts.put(staff.user.id.0, counts.clone());
            (waiting.site, counts)
        };
        Ok(Desk {
            staff,
            site,
            counts,
            path: parts.uri.path().to_string(),
        })
    }
}

impl Desk {
    /// The same desk for a person whose session just changed (new roles or factor).
    pub fn with_staff(&self, staff: Staff) -> Desk {
        Desk {
            staff: Arc::new(staff),
            site: self.site.clone(),
            counts: self.counts.clone(),
            path: self.path.clone(),
        }
    }

    /// The frame of a page titled `title`, with the menu link of this address marked.
    pub fn layout(&self, title: &str) -> views::AdminLayout {
        views::AdminLayout::new(&self.site, &self.staff, title, &self.path, &self.counts)
    }
}

/// The signed-in person, if any (the login page uses it).
pub struct MaybeStaff(pub Option<Arc<Staff>>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeStaff {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, HttpError> {
        Ok(MaybeStaff(
            parts
                .extensions
                .get::<SessionInfo>()
                .and_then(|s| s.0.clone()),
        ))
    }
}

/// Loads the session; on POST checks Origin and the CSRF token, and hands the parsed
/// form to the handler.
async fn guard(
    State(app): State<Arc<App>>,
    request: Request,
    next: Next,
) -> Result<Response, HttpError> {
    let (mut parts, body) = request.into_parts();
    if !app.config.admin_allow.is_empty() {
        let peer = parts.extensions.get::<crate::http::server::Peer>();
        let allowed = peer.is_some_and(|p| {
            let ip = p.0.ip();
            app.config.admin_allow.iter().any(|net| net.contains(ip))
        });
        if !allowed {
            return Err(HttpError::Forbidden("address not in admin.allow"));
        }
    }
    let staff = match cookie(&parts.headers, session::COOKIE) {
        Some(token) => load_staff(&app, token.to_string()).await?,
        None => None,
    };
    let posted = parts.method == Method::POST;
    let body = if posted {
        crate::http::frame::check_origin(&parts.headers, &parts.uri)?;
        let expected = match &staff {
            Some(s) => Some(s.csrf.clone()),
            None => cookie(&parts.headers, LOGIN_COOKIE).map(str::to_string),
        };
        let content_type = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let (sent, body) = if content_type.starts_with("multipart/form-data") {
            // An upload's token is its first multipart field; the upload handler checks
            // it before it reads the file (see `PendingCsrf`).
            let expected = expected.clone().unwrap_or_default();
            parts.extensions.insert(PendingCsrf(expected.clone()));
            (Some(expected), body)
        } else {
            let limit = usize::try_from(app.config.limits.body_max_bytes).unwrap_or(usize::MAX);
            // A body trickling in runs into its deadline (`body_deadline`): 408.
            let bytes = axum::body::to_bytes(body, limit)
                .await
                .map_err(|_| HttpError::PayloadTooLarge)?;
            let form = FormData::parse(&bytes).ok_or(HttpError::BadRequest("malformed form"))?;
            let sent = Some(form.get("csrf").to_string());
            parts.extensions.insert(form);
            (sent, Body::from(bytes))
        };
        match (expected, sent) {
            (Some(expected), Some(sent))
                if !expected.is_empty() && form::same(&expected, &sent) => {}
            _ => return Err(HttpError::Forbidden("missing or wrong CSRF token")),
        }
        body
    } else {
        body
    };
    parts.extensions.insert(SessionInfo(staff));
    let response = next.run(Request::from_parts(parts, body)).await;
    if posted {
        // Whatever the change, the menu counts are gathered again.
        app.menu_counts.clear();
    }
    Ok(response)
}

async fn load_staff(app: &Arc<App>, token: String) -> Result<Option<Arc<Staff>>, HttpError> {
    let now = app.clock.now();
    let lookup = token.clone();
    let lifetimes = app.config.sessions;
    let extra_roles = app.config.second_factor_roles.clone();
    let today = app.today();
    let found = app
        .store
        .read(move |tx| -> Result<_, auth::Error> {
            let Some(session) = session::find(tx, &lookup, now, &lifetimes)? else {
                return Ok(None);
            };
            let Some(user) = auth::user(tx, session.user)?.filter(|u| u.enabled) else {
                return Ok(None);
            };
            let actor = auth::actor(tx, &user)?;
            let required = auth::second_factor::required(&actor, &extra_roles, today);
            let enrolled = auth::second_factor::is_enrolled(tx, user.id)?;
            let alerts = alerts_for(tx, &user)?;
            Ok(Some((session, user, actor, required, enrolled, alerts)))
        })
        .await?;
    let Some((session, user, actor, required, enrolled, mut alerts)) = found else {
        return Ok(None);
    };
    if user.roles.contains(&Role::Administrator) {
        let state = app.store.read(crate::ops::checklist::state).await?;
        let left = crate::ops::checklist::items(&state, &app.config)
            .iter()
            .filter(|i| !i.done)
            .count();
        if left > 0 {
            alerts.push(format!(
                "Trang mới còn {left} việc cần làm trước khi đưa vào sử dụng: xem mục “Bắt đầu”."
            ));
        }
    }
    if app.store.write_fault().is_some() {
        alerts.push(
            "Hệ thống tạm thời không ghi được dữ liệu (thường do ổ đĩa máy chủ đầy): mọi thao tác lưu đều bị từ chối, dữ liệu đã lưu vẫn an toàn. Hệ thống tự hoạt động lại khi ổ đĩa có chỗ trống; quản trị viên hãy giải phóng dung lượng."
                .to_string(),
        );
    }
    if app.store.damage().is_some() && user.roles.contains(&Role::Administrator) {
        alerts.push(
            "Tệp cơ sở dữ liệu bị hỏng ở một phần: một số trang không đọc được. Hãy chạy trangtin verify và khôi phục từ bản sao lưu gần nhất."
                .to_string(),
        );
    }
    if user.roles.contains(&Role::Administrator)
        && let Ok(problem) = app.tls_problem.lock()
        && problem.is_some()
    {
        alerts.push(
            "Không gia hạn hoặc nạp lại được chứng chỉ TLS; máy chủ vẫn dùng chứng chỉ cũ. Xem nhật ký máy chủ (journalctl -u trangtin)."
                .to_string(),
        );
    }
    if session::needs_touch(&session, now) {
        // Awaited, not spawned: it happens once every few minutes per session, and the
        // idle timeout then counts from a write that has landed. A failed write costs
        // at most an early idle sign-out, so it is logged, not fatal.
        let touched = token.clone();
        if let Err(e) = app
            .store
            .write(move |tx| session::touch(tx, &touched, now))
            .await
        {
            tracing::warn!("cannot record session activity: {e}");
        }
    }
    Ok(Some(Arc::new(Staff {
        user,
        actor,
        csrf: session.csrf,
        token,
        second_factor_required: required,
        must_enrol: required && !enrolled,
        alerts,
    })))
}

/// The banner for a check that did not pass.
fn integrity_alert(report: &crate::integrity::Report) -> String {
    format!(
        "Kiểm tra toàn vẹn lúc {} {}. Xem trang Kiểm tra toàn vẹn.",
        crate::format::datetime(report.at),
        report.found_in_vietnamese()
    )
}

/// What must not go unnoticed, shown as a red banner on every admin page: an integrity
/// check that found something not as approved, for everyone; a failed daily backup or
/// restore drill, for administrators.
fn alerts_for(tx: &impl crate::store::Tx, user: &User) -> Result<Vec<String>, auth::Error> {
    let mut alerts = Vec::new();
    if let Some(report) = crate::integrity::latest(tx)?
        && !report.ok
    {
        alerts.push(integrity_alert(&report));
    }
    if user.roles.contains(&Role::Administrator)
        && let Some(sample) = crate::ops::resources::latest(tx)?
    {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        alerts.extend(crate::ops::resources::warnings(&sample, cores));
    }
    if user.roles.contains(&Role::Administrator)
        && let Some(run) = crate::backup::schedule::last_run(tx)?
        && !run.ok
    {
        alerts.push(format!(
            "Sao lưu tự động lúc {} không thành công. Xem chi tiết ở trang Sao lưu và xử lý ngay.",
            crate::format::datetime(run.at)
        ));
    }
    Ok(alerts)
}

/// Whether the request carries the session of an administrator (for `/metrics`).
pub async fn is_administrator(
    app: &Arc<App>,
    headers: &axum::http::HeaderMap,
) -> Result<bool, HttpError> {
    let Some(token) = cookie(headers, session::COOKIE) else {
        return Ok(false);
    };
    let staff = load_staff(app, token.to_string()).await?;
    Ok(staff.is_some_and(|s| s.user.roles.contains(&Role::Administrator) && !s.must_enrol))
}

/// A file to save (`Content-Disposition: attachment`), never cached.
pub fn attachment(
    name: &str,
    content_type: &'static str,
    body: impl Into<axum::body::Body>,
) -> Response {
    use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION};
    use axum::response::IntoResponse;
    let disposition = format!("attachment; filename=\"{}\"", crate::paths::file_name(name));
    (
        [
            (CONTENT_TYPE, content_type.to_string()),
            (CONTENT_DISPOSITION, disposition),
            (CACHE_CONTROL, "no-store".to_string()),
        ],
        body.into(),
    )
        .into_response()
}

/// Renders an admin page; never cached by anyone.
pub fn page(
    app: &App,
    template: &str,
    view: &impl serde::Serialize,
    outcome: crate::http::error::Outcome,
) -> Result<Response, HttpError> {
    use axum::response::IntoResponse;
    let html = app.renderer.render(template, view)?;
    Ok((
        outcome.status(),
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        axum::response::Html(html),
    )
        .into_response())
}

/// What waits for a person now: their entries at a workflow step, and everything else
/// the domain modules report (`inbox::gather`), with what only the running server
/// knows (the certificate, the disk) for administrators.
pub struct WaitingNow {
    pub site: String,
    pub entries: usize,
    pub others: Vec<crate::inbox::Waiting>,
}

impl WaitingNow {
    pub fn counts(&self) -> std::collections::HashMap<&'static str, usize> {
        let mut counts = crate::inbox::counts(&self.others);
        counts.insert(PREFIX, self.entries + self.others.len());
        counts
    }
}

pub async fn waiting_now(app: &Arc<App>, staff: &Staff) -> Result<WaitingNow, HttpError> {
    let actor = staff.actor.clone();
    let (today, now) = (app.today(), app.clock.now());
    let (calendar, deadlines) = (app.config.calendar.clone(), app.config.deadlines);
    let (site, entries, mut others) = app
        .store
        .read(move |tx| -> Result<_, crate::content::Error> {
            let site = crate::site::load(tx)?.agency_name;
            let entries = crate::content::editorial::inbox(tx, &actor, today)?.len();
            let ctx = crate::inbox::Context {
                actor: &actor,
                today,
                now,
                calendar: &calendar,
                deadlines: &deadlines,
                agency: &site,
            };
            let others = crate::inbox::gather(tx, &ctx)?;
            Ok((site, entries, others))
        })
        .await?;
    if staff.actor.has(Role::Administrator) {
        let problem = app.tls_problem.lock().ok().and_then(|p| p.clone());
        if problem.is_some() {
            others.push(crate::inbox::Waiting::new(
                start::PATH,
                "Chứng chỉ HTTPS chưa gia hạn được",
                "Máy chủ đang dùng chứng chỉ cũ và sẽ thử lại".to_string(),
                start::PATH.to_string(),
            ));
        }
        let reserve = app.config.limits.disk_reserve_bytes;
        if let Some((free, total)) = crate::ops::doctor::free_space(&app.config.data)
            && !crate::media::leaves_reserve(free, total, 0, reserve)
        {
            others.push(crate::inbox::Waiting::new(
                start::PATH,
                "Ổ đĩa máy chủ sắp đầy",
                format!("Còn trống {}", crate::format::file_size(free)),
                start::PATH.to_string(),
            ));
        }
        crate::inbox::sort(&mut others);
    }
    Ok(WaitingNow {
        site,
        entries,
        others,
    })
}

/// The HTTP status a capability check gives `roles` for a route (tests use it).
pub fn expected_status(cap: Capability, roles: Option<&[Role]>, method: &Method) -> StatusCode {
    match (cap, roles) {
        (Capability::Anyone, None) => StatusCode::OK,
        // The only such page is the login page, which sends signed-in people on.
        (Capability::Anyone, Some(_)) => StatusCode::SEE_OTHER,
        // Without the half-session of a password step, to the login page.
        (Capability::PasswordAccepted, _) if method == Method::GET => StatusCode::SEE_OTHER,
        (_, None) if method == Method::GET => StatusCode::SEE_OTHER,
        (_, None) => StatusCode::FORBIDDEN,
        (cap, Some(roles)) if cap.admits(roles) => StatusCode::OK,
        (_, Some(_)) => StatusCode::FORBIDDEN,
    }
}

#[cfg(test)]
mod tests {
    use super::integrity_alert;
    use crate::integrity::{Finding, Mismatch, Report};

    fn report(findings: Vec<Finding>) -> Report {
        Report {
            seq: 1,
            at: "2026-12-07T02:37:00Z".parse().unwrap(),
            by: "schedule".into(),
            ok: false,
            revisions_checked: 3,
            blobs_checked: 2,
            audit_records: 9,
            mismatches: findings
                .into_iter()
                .map(|finding| Mismatch {
                    message: finding.english(),
                    finding,
                    since: "2026-12-07T02:37:00Z".parse().unwrap(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_banner_tells_an_unchecked_file_from_changed_content() {
        let full = Finding::StorageUnchecked {
            problem: "no space left on device".into(),
            disk_full: true,
        };
        let changed = Finding::BlobAltered { hash: "ab".into() };
        let other = Finding::StorageUnchecked {
            problem: "permission denied".into(),
            disk_full: false,
        };
        let said = integrity_alert(&report(vec![full.clone()]));
        assert!(
            said.contains("chưa kiểm tra được tệp cơ sở dữ liệu vì ổ đĩa chứa dữ liệu đã đầy"),
            "{said}"
        );
        assert!(!said.contains("không khớp"), "{said}");
        let said = integrity_alert(&report(vec![changed.clone(), full]));
        assert!(said.contains("phát hiện 1 điểm không khớp với nội dung đã duyệt; chưa kiểm tra được tệp cơ sở dữ liệu vì ổ đĩa"), "{said}");
        let said = integrity_alert(&report(vec![other]));
        assert!(
            said.ends_with("chưa kiểm tra được tệp cơ sở dữ liệu. Xem trang Kiểm tra toàn vẹn."),
            "{said}"
        );
        let said = integrity_alert(&report(vec![changed.clone(), changed]));
        assert!(
            said.contains(" phát hiện 2 điểm không khớp với nội dung đã duyệt. Xem trang"),
            "{said}"
        );
    }
}
