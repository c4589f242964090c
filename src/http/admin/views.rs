//! Admin view structs: each page has one `AdminLayout` (who is signed in, the menu with
//! inbox counts, the CSRF token, a flash message) and its own fields.

use serde::Serialize;

use super::Staff;

#[derive(Debug, Clone, Serialize)]
pub struct MenuLink {
    pub label: &'static str,
    pub href: &'static str,
    pub count: usize,
    pub current: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AdminLayout {
    pub site_name: String,
    pub title: String,
    pub user_name: String,
    pub user_login: String,
    pub roles: Vec<&'static str>,
    pub csrf: String,
    pub menu: Vec<MenuLink>,
    pub flash: Option<String>,
    /// The flash warns (something still to do, or refused), and looks it.
    pub flash_warns: bool,
    pub alerts: Vec<String>,
}

impl AdminLayout {
    pub fn new(
        site_name: &str,
        staff: &Staff,
        title: &str,
        path: &str,
        counts: &std::collections::HashMap<&'static str, usize>,
    ) -> AdminLayout {
        let roles = &staff.user.roles;
        let menu: Vec<(&'static str, &'static str, usize)> = super::routes()
            .iter()
            .filter(|r| r.get().is_some_and(|cap| cap.admits(roles)))
            .filter_map(|r| {
                let count = counts.get(r.path).copied().unwrap_or(0);
                Some((r.menu?, r.path, count))
            })
            .collect();
        let current = menu
            .iter()
            .filter(|(_, href, _)| path == *href || path.starts_with(&format!("{href}/")))
            .map(|(_, href, _)| href.len())
            .max()
            .unwrap_or(0);
        AdminLayout {
            site_name: site_name.to_string(),
            title: title.to_string(),
            user_name: staff.user.name.clone(),
            user_login: staff.user.login.clone(),
            roles: roles.iter().map(|r| r.label()).collect(),
            csrf: staff.csrf.clone(),
            menu: menu
                .into_iter()
                .map(|(label, href, count)| MenuLink {
                    label,
                    href,
                    count,
                    current: href.len() == current
                        && (path == href || path.starts_with(&format!("{href}/"))),
                })
                .collect(),
            flash: None,
            flash_warns: false,
            alerts: staff.alerts.clone(),
        }
    }

    /// A message after a redirect, from a fixed list (`?tb=code`), never echoed input.
    pub fn with_flash(mut self, code: Option<&str>) -> AdminLayout {
        self.flash = code.and_then(flash).map(str::to_string);
        self.flash_warns = code.is_some_and(|c| WARNINGS.contains(&c));
        self
    }

    /// A message made from the store (names, times), not from the request.
    pub fn with_message(mut self, message: String) -> AdminLayout {
        self.flash = Some(message);
        self
    }
}

/// Flash messages that are warnings, not confirmations.
const WARNINGS: &[&str] = &[
    "can-xac-thuc",
    "dang-sao-luu",
    "dang-kiem-tra",
    "kiem-tra-khong-dat",
    "khong-co-ban-nhap",
    "lo-nhap-da-xu-ly",
];

fn flash(code: &str) -> Option<&'static str> {
    Some(match code {
        "da-luu" => "Đã lưu bản sửa.",
        "da-luu-thu" => "Đã lưu cách nhận thư thông báo.",
        "da-gui-lai" => "Thư được đưa lại vào hàng chờ gửi.",
        "da-tao" => "Đã tạo bài mới.",
        "da-nhap-word" => {
            "Đã nhập tệp Word thành bản nháp. Hãy đọc lại, chọn ảnh đại diện và bổ sung mô tả cho ảnh nếu còn thiếu."
        }
        "da-chuyen" => "Đã thực hiện bước duyệt.",
        "da-khoi-phuc" => "Đã khôi phục phiên bản cũ thành một phiên bản mới.",
        "da-tai-len" => "Đã tải tệp lên thư viện.",
        "da-doi-mat-khau" => "Đã đổi mật khẩu.",
        "da-luu-nguoi-dung" => "Đã lưu tài khoản.",
        "da-mo-khoa" => "Đã mở khóa tài khoản.",
        "da-dong-phien" => "Đã đóng phiên đăng nhập.",
        "da-luu-don-vi" => "Đã lưu đơn vị.",
        "da-uy-quyen" => "Đã ủy quyền duyệt tin.",
        "da-thu-hoi" => "Đã thu hồi ủy quyền.",
        "da-tat-xac-thuc" => "Đã tắt xác thực hai bước.",
        "da-dat-lai-xac-thuc" => {
            "Đã đặt lại xác thực hai bước; người dùng sẽ đăng ký lại ở lần đăng nhập sau."
        }
        "kiem-tra-dat" => {
            "Đã kiểm tra: mọi nội dung đang đăng, tệp, nhật ký và cấu hình đều khớp với bản đã duyệt."
        }
        "kiem-tra-khong-dat" => "Đã kiểm tra: có điểm không khớp, xem chi tiết bên dưới.",
        "dang-kiem-tra" => "Một lần kiểm tra khác đang chạy. Vui lòng xem kết quả sau ít phút.",
        "da-ghi-nhan" => "Đã ghi nhận kết quả xem xét.",
        "da-xu-ly-bao-cao" => "Đã đánh dấu báo cáo là đã xử lý.",
        "da-xu-ly-y-kien" => "Đã ghi nhận việc xử lý ý kiến.",
        "da-chuyen-don-vi" => "Đã chuyển câu hỏi tới đơn vị.",
        "da-ra-soat" => "Đã ghi nhận trang được rà soát.",
        "da-luu-giao-dien" => "Đã lưu bản nháp giao diện; bản nháp chờ Trưởng Ban biên tập duyệt.",
        "da-duyet-giao-dien" => "Đã duyệt: giao diện mới đã được áp dụng trên trang.",
        "da-tra-lai-giao-dien" => "Đã trả lại bản nháp giao diện.",
        "da-luu-chuyen-muc" => {
            "Đã lưu vào bản nháp cây chuyên mục; bản nháp chờ Trưởng Ban biên tập duyệt."
        }
        "da-duyet-chuyen-muc" => "Đã duyệt: cây chuyên mục mới đã được áp dụng trên trang.",
        "da-tra-lai-chuyen-muc" => "Đã trả lại bản nháp cây chuyên mục.",
        "da-luu-chuyen-huong" => "Đã lưu chuyển hướng; địa chỉ cũ chuyển tới địa chỉ mới ngay.",
        "da-xoa-chuyen-huong" => "Đã xóa chuyển hướng.",
        "da-duyet-lo-nhap" => {
            "Đã duyệt lô nhập: các bài đã đăng trên trang cũ nay đã đăng ở đây, và địa chỉ cũ của chúng chuyển tới địa chỉ mới."
        }
        "da-huy-lo-nhap" => "Đã hủy lô nhập: các bản nháp của lô đã được xóa.",
        "lo-nhap-da-xu-ly" => "Lô nhập này đã được xử lý trước đó.",
        "khong-co-ban-nhap" => {
            "Bản nháp đã thay đổi hoặc không còn: hãy xem lại bản nháp hiện tại trước khi duyệt."
        }
        "da-duyet-y-kien" => "Đã duyệt ý kiến; ý kiến hiển thị dưới dự thảo.",
        "da-tu-choi-y-kien" => "Đã ghi nhận ý kiến không được duyệt.",
        "da-dong" => "Đã đóng câu hỏi; người hỏi thấy lý do trên trang tra cứu.",
        "da-xoa-du-lieu" => "Đã xóa dữ liệu cá nhân của người gửi.",
        "da-sao-luu" => "Đã tạo và kiểm tra bản sao lưu.",
        "dang-sao-luu" => "Một bản sao lưu khác đang được tạo. Vui lòng thử lại sau ít phút.",
        "can-xac-thuc" => {
            "Vai trò của bạn bắt buộc dùng xác thực hai bước. Hãy bật xác thực hai bước để tiếp tục làm việc."
        }
        _ => return None,
    })
}

/// A field message for a form.
#[derive(Debug, Clone, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}
