//! Every admin route, declared once: its path, method, capability, handler and, for
//! pages in the menu, the menu label. The router, the capability check in front of
//! each handler, the menu and the route × role test walk all come from this table, so
//! they cannot drift apart. A row cannot be written without a capability.

use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};

use super::{
    Capability, LOGIN, PASSWORD, PREFIX, SECOND_FACTOR, SECOND_FACTOR_LOGIN, UPLOAD,
    UPLOAD_MAX_BYTES, account, audit, backups, comments, deadlines, entries, imports, integrity,
    mail, media, messages, people, pickers, questions, redirects, report, resources, second_factor,
    sections, sessions, signed_in, site, start,
};
use crate::app::App;
use crate::http::error::HttpError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
}

/// One admin route. A route cannot be declared without a capability: the table's
/// constructors (`page`, `menu`, `action`) all take one, and outside this module the
/// struct cannot be filled in at all.
///
/// ```compile_fail
/// use trangtin::http::admin::{AdminRoute, Verb};
/// // No capability (and the handler is not reachable from here): does not compile.
/// let route = AdminRoute { path: "/quan-tri/x", method: Verb::Get, menu: None };
/// ```
pub struct AdminRoute {
    pub path: &'static str,
    pub method: Verb,
    pub capability: Capability,
    /// The label of its link in the admin menu (GET pages only).
    pub menu: Option<&'static str>,
    handler: fn() -> MethodRouter<Arc<App>>,
}

impl AdminRoute {
    /// The capability GET needs, if this is a GET route.
    pub fn get(&self) -> Option<Capability> {
        (self.method == Verb::Get).then_some(self.capability)
    }

    /// The capability POST needs, if this is a POST route.
    pub fn post(&self) -> Option<Capability> {
        (self.method == Verb::Post).then_some(self.capability)
    }
}

fn page(
    path: &'static str,
    capability: Capability,
    handler: fn() -> MethodRouter<Arc<App>>,
) -> AdminRoute {
    AdminRoute {
        path,
        method: Verb::Get,
        capability,
        menu: None,
        handler,
    }
}

fn menu(
    label: &'static str,
    path: &'static str,
    capability: Capability,
    handler: fn() -> MethodRouter<Arc<App>>,
) -> AdminRoute {
    AdminRoute {
        menu: Some(label),
        ..page(path, capability, handler)
    }
}

fn action(
    path: &'static str,
    capability: Capability,
    handler: fn() -> MethodRouter<Arc<App>>,
) -> AdminRoute {
    AdminRoute {
        path,
        method: Verb::Post,
        capability,
        menu: None,
        handler,
    }
}

/// The table. Menu links appear in the order of their rows.
static ROUTES: LazyLock<Vec<AdminRoute>> = LazyLock::new(|| {
    use Capability::{
        Administrator, Anyone, Board, BoardHead, Editorial, PasswordAccepted, SiteLook,
        SiteLookView, Staff, Writer,
    };
    vec![
        menu("Việc của tôi", PREFIX, Staff, || get(entries::inbox)),
        menu("Bắt đầu", start::PATH, Administrator, || {
            get(start::checklist_page)
        }),
        action(start::IMPORT_DONE, Administrator, || {
            post(start::mark_import_done)
        }),
        menu("Danh sách bài", "/quan-tri/bai-viet", Staff, || {
            get(entries::list_entries)
        }),
        menu(
            "Viết bài mới",
            "/quan-tri/bai-viet/moi",
            Writer,
            || get(entries::new_entry),
        ),
        action("/quan-tri/bai-viet/moi", Writer, || {
            post(entries::create_entry)
        }),
        page("/quan-tri/bai-viet/{id}", Staff, || {
            get(entries::edit_entry)
        }),
        action("/quan-tri/bai-viet/{id}", Staff, || {
            post(entries::save_entry)
        }),
        action("/quan-tri/bai-viet/{id}/buoc", Staff, || {
            post(entries::step_entry)
        }),
        page("/quan-tri/bai-viet/{id}/xem-truoc", Staff, || {
            get(entries::preview_entry)
        }),
        page("/quan-tri/bai-viet/{id}/lich-su", Staff, || {
            get(entries::entry_history)
        }),
        action("/quan-tri/bai-viet/{id}/khoi-phuc", Staff, || {
            post(entries::restore_revision)
        }),
        action("/quan-tri/bai-viet/{id}/ra-soat", Editorial, || {
            post(deadlines::mark_reviewed)
        }),
        menu("Thư viện tệp", UPLOAD, Staff, || {
            get(media::list_media)
        }),
        page("/quan-tri/tep/tim", Staff, || get(pickers::find_media)),
        page("/quan-tri/bai-viet/tim", Staff, || {
            get(pickers::find_entries)
        }),
        page("/quan-tri/van-ban/tim", Staff, || get(pickers::find_legal)),
        action("/quan-tri/bai-viet/nhap-word", Writer, || {
            let limit = usize::try_from(UPLOAD_MAX_BYTES).unwrap_or(usize::MAX);
            post(entries::import_word).layer(DefaultBodyLimit::max(limit))
        }),
        action("/quan-tri/bai-viet/nhap-word/mo-ta-anh", Writer, || {
            post(entries::describe_word_images)
        }),
        action(UPLOAD, Writer, || {
            let limit = usize::try_from(UPLOAD_MAX_BYTES).unwrap_or(usize::MAX);
            post(media::upload_media).layer(DefaultBodyLimit::max(limit))
        }),
        menu(
            "Ủy quyền duyệt",
            "/quan-tri/uy-quyen",
            BoardHead,
            || get(people::list_delegations),
        ),
        action("/quan-tri/uy-quyen", BoardHead, || {
            post(people::grant_delegation)
        }),
        action("/quan-tri/uy-quyen/{id}/thu-hoi", BoardHead, || {
            post(people::revoke_delegation)
        }),
        menu(
            "Người dùng",
            "/quan-tri/nguoi-dung",
            Administrator,
            || get(people::list_users),
        ),
        action("/quan-tri/nguoi-dung", Administrator, || {
            post(people::create_user)
        }),
        page("/quan-tri/nguoi-dung/{id}", Administrator, || {
            get(people::edit_user)
        }),
        action("/quan-tri/nguoi-dung/{id}", Administrator, || {
            post(people::update_user)
        }),
        action("/quan-tri/nguoi-dung/{id}/mat-khau", Administrator, || {
            post(people::reset_password)
        }),
        action("/quan-tri/nguoi-dung/{id}/mo-khoa", Administrator, || {
            post(people::unlock_user)
        }),
        action("/quan-tri/nguoi-dung/{id}/dang-xuat", Administrator, || {
            post(people::end_user_sessions)
        }),
        action(
            "/quan-tri/nguoi-dung/{id}/xac-thuc-hai-buoc",
            Administrator,
            || post(people::reset_second_factor),
        ),
        menu("Đơn vị", "/quan-tri/don-vi", Administrator, || {
            get(people::list_units)
        }),
        action("/quan-tri/don-vi", Administrator, || {
            post(people::create_unit)
        }),
        action("/quan-tri/don-vi/{id}", Administrator, || {
            post(people::rename_unit)
        }),
        menu("Sao lưu", "/quan-tri/sao-luu", Administrator, || {
            get(backups::backups_page)
        }),
        action("/quan-tri/sao-luu", Administrator, || {
            post(backups::backup_now)
        }),
        action("/quan-tri/sao-luu/tai-ve", Administrator, || {
            post(backups::download_backup)
        }),
        menu(
            "Tài nguyên máy chủ",
            "/quan-tri/tai-nguyen",
            Administrator,
            || get(resources::resources_page),
        ),
        menu(
            "Nhật ký hệ thống",
            "/quan-tri/nhat-ky",
            Administrator,
            || get(audit::audit_page),
        ),
        page("/quan-tri/nhat-ky/xuat", Administrator, || {
            get(audit::audit_export)
        }),
        menu(
            "Kiểm tra toàn vẹn",
            "/quan-tri/kiem-tra",
            Staff,
            || get(integrity::checks),
        ),
        action("/quan-tri/kiem-tra", Staff, || post(integrity::check_now)),
        action("/quan-tri/kiem-tra/xem-xet/da-kiem-tra", Staff, || {
            post(integrity::confirm_item)
        }),
        action("/quan-tri/kiem-tra/xem-xet/bao-cao", Staff, || {
            post(integrity::report_item)
        }),
        action("/quan-tri/kiem-tra/bao-cao/{id}", Board, || {
            post(integrity::handle_report)
        }),
        menu("Chuyên mục", sections::PATH, SiteLookView, || {
            get(sections::list)
        }),
        action(sections::PATH, SiteLook, || post(sections::save)),
        action(sections::MOVE, SiteLook, || post(sections::reorder)),
        action(sections::RETIRE, SiteLook, || post(sections::retire)),
        page(sections::PREVIEW, SiteLookView, || get(sections::preview)),
        action(sections::APPROVE, BoardHead, || post(sections::approve)),
        action(sections::RETURN, BoardHead, || post(sections::return_draft)),
        menu("Nhập nội dung", imports::PATH, SiteLookView, || {
            get(imports::list)
        }),
        page("/quan-tri/nhap/{id}", SiteLookView, || get(imports::show)),
        action("/quan-tri/nhap/{id}/duyet", BoardHead, || {
            post(imports::approve)
        }),
        action("/quan-tri/nhap/{id}/huy", BoardHead, || {
            post(imports::discard)
        }),
        menu("Chuyển hướng", redirects::PATH, Administrator, || {
            get(redirects::list)
        }),
        action(redirects::PATH, Administrator, || post(redirects::save)),
        action(redirects::REMOVE, Administrator, || post(redirects::remove)),
        menu("Giao diện trang", site::PATH, SiteLookView, || {
            get(site::look)
        }),
        action(site::PATH, SiteLook, || post(site::save_draft)),
        page(site::PREVIEW, SiteLookView, || get(site::preview)),
        page(site::PREVIEW_CSS, SiteLookView, || get(site::preview_css)),
        action(site::APPROVE, BoardHead, || post(site::approve_draft)),
        action(site::RETURN, BoardHead, || post(site::return_draft)),
        menu("Hỏi – đáp", questions::PATH, Staff, || {
            get(questions::list)
        }),
        page("/quan-tri/hoi-dap/{seq}", Staff, || get(questions::detail)),
        action("/quan-tri/hoi-dap/{seq}/chuyen", Staff, || {
            post(questions::route_question)
        }),
        action("/quan-tri/hoi-dap/{seq}/tra-loi", Staff, || {
            post(questions::answer_question)
        }),
        action("/quan-tri/hoi-dap/{seq}/dong", Staff, || {
            post(questions::close_question)
        }),
        action("/quan-tri/hoi-dap/{seq}/xoa-du-lieu", Staff, || {
            post(questions::erase_asker)
        }),
        menu("Thời hạn cập nhật", deadlines::PATH, Staff, || {
            get(deadlines::deadlines_page)
        }),
        menu("Báo cáo năm", report::PATH, SiteLookView, || {
            get(report::annual_report)
        }),
        page(report::CSV, SiteLookView, || get(report::annual_report_csv)),
        menu("Ý kiến, đề nghị", messages::PATH, Board, || {
            get(messages::messages)
        }),
        action("/quan-tri/y-kien/{seq}/da-xu-ly", Board, || {
            post(messages::mark_handled)
        }),
        action("/quan-tri/y-kien/{seq}/xoa-du-lieu", Board, || {
            post(messages::erase_sender)
        }),
        menu(
            "Duyệt ý kiến dự thảo",
            comments::PATH,
            Board,
            || get(comments::comments_list),
        ),
        action("/quan-tri/y-kien-du-thao/{seq}/duyet", Board, || {
            post(comments::approve_comment)
        }),
        action("/quan-tri/y-kien-du-thao/{seq}/tu-choi", Board, || {
            post(comments::reject_comment)
        }),
        action("/quan-tri/y-kien-du-thao/{seq}/xoa-du-lieu", Board, || {
            post(comments::erase_commenter)
        }),
        menu("Đổi mật khẩu", PASSWORD, Staff, || {
            get(account::password_form)
        }),
        action(PASSWORD, Staff, || post(account::change_password)),
        page(mail::MINE, Staff, || get(mail::my_mail)),
        action(mail::MINE, Staff, || post(mail::save_my_mail)),
        menu("Thư đi", mail::OUTBOX, Administrator, || {
            get(mail::outbox_page)
        }),
        action(mail::OUTBOX, Administrator, || post(mail::retry_mail)),
        menu("Phiên đăng nhập", sessions::PATH, Staff, || {
            get(sessions::list_sessions)
        }),
        action(sessions::PATH, Staff, || post(sessions::revoke_sessions)),
        menu("Xác thực hai bước", SECOND_FACTOR, Staff, || {
            get(second_factor::second_factor_form)
        }),
        action("/quan-tri/xac-thuc-hai-buoc/bat", Staff, || {
            post(second_factor::enrol_second_factor)
        }),
        action("/quan-tri/xac-thuc-hai-buoc/ma-du-phong", Staff, || {
            post(second_factor::renew_recovery_codes)
        }),
        action("/quan-tri/xac-thuc-hai-buoc/tat", Staff, || {
            post(second_factor::turn_off_second_factor)
        }),
        page(LOGIN, Anyone, || get(account::login_form)),
        action(LOGIN, Anyone, || post(account::login)),
        page("/quan-tri/dat-mat-khau/{token}", Anyone, || {
            get(account::reset_form)
        }),
        action("/quan-tri/dat-mat-khau/{token}", Anyone, || {
            post(account::reset)
        }),
        page(SECOND_FACTOR_LOGIN, PasswordAccepted, || {
            get(second_factor::code_form)
        }),
        action(SECOND_FACTOR_LOGIN, PasswordAccepted, || {
            post(second_factor::submit_code)
        }),
        action("/quan-tri/dang-xuat", Staff, || post(account::logout)),
    ]
});

/// Every admin route (tests walk it for every role).
pub fn routes() -> &'static [AdminRoute] {
    &ROUTES
}

/// The router of every admin route, each behind the check of its capability.
pub fn router() -> Router<Arc<App>> {
    routes().iter().fold(Router::new(), |router, route| {
        let capability = route.capability;
        let handler = (route.handler)().route_layer(axum::middleware::from_fn(
            move |request: Request, next: Next| enforce(capability, request, next),
        ));
        router.route(route.path, handler)
    })
}

/// Lets the request through only if the signed-in person holds `capability`. The
/// login page and the code step admit everyone; their handlers deal with sessions.
async fn enforce(
    capability: Capability,
    request: Request,
    next: Next,
) -> Result<Response, HttpError> {
    if !matches!(
        capability,
        Capability::Anyone | Capability::PasswordAccepted
    ) {
        let (parts, body) = request.into_parts();
        let staff = signed_in(&parts)?;
        if !capability.admits(&staff.user.roles) {
            return Err(HttpError::Forbidden("missing capability"));
        }
        return Ok(next.run(Request::from_parts(parts, body)).await);
    }
    Ok(next.run(request).await)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn each_path_and_method_is_declared_once_and_the_router_builds() {
        let mut seen = BTreeSet::new();
        for route in routes() {
            assert!(
                seen.insert((route.path, route.method == Verb::Get)),
                "{} {:?} declared twice",
                route.path,
                route.method
            );
            assert!(route.path.starts_with(PREFIX), "{}", route.path);
            assert!(
                route.menu.is_none() || route.method == Verb::Get,
                "only pages are menu links: {}",
                route.path
            );
        }
        // Building the router is where axum would panic on a conflicting route.
        let _ = router();
    }
}
