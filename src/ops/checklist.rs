//! The first-run checklist: what turns an empty install into the agency's own site. The
//! administrator sees it at `/quan-tri/bat-dau` (and a banner until it is done);
//! `trangtin doctor` prints the same list. Each item is worked out from the store and the
//! configuration, except "import the old site", which the administrator marks done.

use serde::{Deserialize, Serialize};

use crate::auth;
use crate::config::Config;
use crate::store::{self, Tx};
use crate::workflow::Role;

const LOOK_PROPOSED_KEY: &str = "checklist_look_proposed";
const IMPORT_DONE_KEY: &str = "checklist_import_done";

/// The roles a site needs at least one account for before anything can be published.
const PUBLISHING_ROLES: [Role; 3] = [Role::Contributor, Role::BoardHead, Role::Publisher];

/// What the store says about the checklist (part of the facts `doctor` reads).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Header and footer facts (F5–F6) still empty, by setting name.
    pub missing_facts: Vec<String>,
    pub units: usize,
    /// Publishing roles no enabled account holds.
    pub roles_without_account: Vec<String>,
    pub look_proposed: bool,
    /// A backup was taken and passed.
    pub backup_ok: bool,
    pub import_done: bool,
}

pub fn state(tx: &impl Tx) -> Result<State, auth::Error> {
    let site = crate::site::load(tx)?;
    let users = auth::users(tx)?;
    let roles_without_account = PUBLISHING_ROLES
        .iter()
        .filter(|role| !users.iter().any(|u| u.enabled && u.roles.contains(role)))
        .map(|role| role.as_str().to_string())
        .collect();
    Ok(State {
        missing_facts: site
            .missing_required()
            .into_iter()
            .map(str::to_string)
            .collect(),
        units: auth::units(tx)?.len(),
        roles_without_account,
        look_proposed: store::meta_get::<jiff::Timestamp>(tx, LOOK_PROPOSED_KEY)?.is_some(),
        backup_ok: crate::backup::schedule::last_run(tx)?.is_some_and(|run| run.ok),
        import_done: store::meta_get::<jiff::Timestamp>(tx, IMPORT_DONE_KEY)?.is_some(),
    })
}

/// Notes that the look was submitted for approval (by `site::propose`).
pub fn note_look_proposed(
    tx: &redb::WriteTransaction,
    now: jiff::Timestamp,
) -> Result<(), store::Error> {
    if store::meta_get::<jiff::Timestamp>(tx, LOOK_PROPOSED_KEY)?.is_none() {
        store::meta_put(tx, LOOK_PROPOSED_KEY, &now)?;
    }
    Ok(())
}

/// The administrator says the old site is brought in (or there is none).
pub fn mark_import_done(
    tx: &redb::WriteTransaction,
    by: &str,
    now: jiff::Timestamp,
) -> Result<(), store::Error> {
    store::meta_put(tx, IMPORT_DONE_KEY, &now)?;
    crate::audit::append(
        tx,
        crate::audit::Event::new(by, "checklist_import_done", "checklist"),
        now,
    )?;
    Ok(())
}

/// One item of the checklist.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub key: &'static str,
    /// What to do (Vietnamese).
    pub title: &'static str,
    pub done: bool,
    /// What is missing, or what was found (Vietnamese).
    pub detail: String,
    /// Where it is done.
    pub link: &'static str,
    pub link_label: &'static str,
    /// The same, for `doctor` (English).
    pub english: String,
}

/// The checklist, in the order an administrator works through it.
pub fn items(state: &State, config: &Config) -> Vec<Item> {
    let role_names: Vec<&str> = state
        .roles_without_account
        .iter()
        .filter_map(|r| Role::parse(r))
        .map(Role::label)
        .collect();
    vec![
        Item {
            key: "thong-tin",
            title: "Nhập thông tin cơ quan (tên, cơ quan chủ quản, người chịu trách nhiệm, địa chỉ, điện thoại, thư điện tử, bản quyền)",
            done: state.missing_facts.is_empty(),
            detail: if state.missing_facts.is_empty() {
                "Đã đủ thông tin bắt buộc ở đầu trang và chân trang.".into()
            } else {
                format!(
                    "Còn thiếu {} mục bắt buộc ở đầu trang và chân trang.",
                    state.missing_facts.len()
                )
            },
            link: "/quan-tri/giao-dien",
            link_label: "Giao diện trang",
            english: format!(
                "agency facts (F5-F6): {}",
                if state.missing_facts.is_empty() {
                    "complete".to_string()
                } else {
                    format!("missing {}", state.missing_facts.join(", "))
                }
            ),
        },
        Item {
            key: "dia-chi",
            title: "Đặt địa chỉ chính thức của trang (base_url)",
            done: config.base_url.is_some(),
            detail: match &config.base_url {
                Some(url) => format!("Địa chỉ chính thức: {url}."),
                None => "Chưa đặt: ghi base_url = \"https://tên-miền\" trong tệp cấu hình (/etc/trangtin/trangtin.toml) rồi khởi động lại dịch vụ. Địa chỉ này dùng cho liên kết chuẩn, RSS, sơ đồ trang và chứng chỉ.".into(),
            },
            link: "/quan-tri/bat-dau#dia-chi",
            link_label: "Cách đặt",
            english: match &config.base_url {
                Some(url) => format!("base URL: {url}"),
                None => "base URL: not set (base_url in the configuration file)".into(),
            },
        },
        Item {
            key: "don-vi",
            title: "Tạo các phòng, đơn vị",
            done: state.units > 0,
            detail: if state.units == 0 {
                "Chưa có đơn vị nào.".into()
            } else {
                format!("Đã có {} đơn vị.", state.units)
            },
            link: "/quan-tri/don-vi",
            link_label: "Đơn vị",
            english: format!("units: {}", state.units),
        },
        Item {
            key: "tai-khoan",
            title: "Tạo tài khoản cán bộ với vai trò (ít nhất người viết bài, Trưởng Ban biên tập, người xuất bản)",
            done: state.roles_without_account.is_empty(),
            detail: if role_names.is_empty() {
                "Đã có tài khoản cho mọi vai trò cần để đăng bài.".into()
            } else {
                format!("Chưa có tài khoản: {}.", role_names.join(", "))
            },
            link: "/quan-tri/nguoi-dung",
            link_label: "Người dùng",
            english: if state.roles_without_account.is_empty() {
                "staff accounts: every publishing role has one".into()
            } else {
                format!(
                    "staff accounts: no account for {}",
                    state.roles_without_account.join(", ")
                )
            },
        },
        Item {
            key: "giao-dien",
            title: "Trình duyệt giao diện (màu sắc, biểu trưng, trình đơn, chân trang)",
            done: state.look_proposed,
            detail: if state.look_proposed {
                "Đã lưu bản nháp giao diện để Trưởng Ban biên tập duyệt.".into()
            } else {
                "Chưa trình duyệt giao diện lần nào.".into()
            },
            link: "/quan-tri/giao-dien",
            link_label: "Giao diện trang",
            english: format!(
                "look submitted for approval: {}",
                if state.look_proposed { "yes" } else { "not yet" }
            ),
        },
        Item {
            key: "sao-luu",
            title: "Chọn nơi lưu bản sao lưu và sao lưu lần đầu",
            done: state.backup_ok && config.backup.copy_to.is_some(),
            detail: match (state.backup_ok, &config.backup.copy_to) {
                (true, Some(to)) => format!("Đã sao lưu; bản sao được chép sang {}.", to.display()),
                (true, None) => "Đã sao lưu, nhưng bản sao chỉ nằm trên cùng ổ đĩa với dữ liệu: đặt backup.copy_to (ổ NAS hoặc USB) trong tệp cấu hình.".into(),
                (false, _) => "Chưa có bản sao lưu nào thành công: đặt backup.copy_to (ổ NAS hoặc USB) trong tệp cấu hình và bấm “Sao lưu ngay”.".into(),
            },
            link: "/quan-tri/sao-luu",
            link_label: "Sao lưu",
            english: format!(
                "backups: {}; copy_to {}",
                if state.backup_ok { "a backup passed" } else { "none passed yet" },
                config
                    .backup
                    .copy_to
                    .as_ref()
                    .map_or("not set".to_string(), |p| p.display().to_string())
            ),
        },
        Item {
            key: "trang-cu",
            title: "Đưa nội dung trang cũ vào (hoặc xác nhận không có trang cũ)",
            done: state.import_done,
            detail: if state.import_done {
                "Đã xác nhận.".into()
            } else {
                "Chưa xác nhận. Nội dung trang cũ được nhập bằng lệnh trangtin trên máy chủ (xem hướng dẫn); xong thì đánh dấu ở đây.".into()
            },
            link: "/quan-tri/bat-dau#trang-cu",
            link_label: "Đánh dấu",
            english: format!(
                "old site imported or none: {}",
                if state.import_done { "yes" } else { "not confirmed" }
            ),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_item_says_what_is_missing_until_it_is_done() {
        let mut config = Config::for_data("/tmp/unused");
        let empty = State {
            missing_facts: vec!["agency_name".into()],
            roles_without_account: vec!["board_head".into()],
            ..State::default()
        };
        let listed = items(&empty, &config);
        assert_eq!(listed.len(), 7);
        assert!(listed.iter().all(|i| !i.done));
        let accounts = listed.iter().find(|i| i.key == "tai-khoan").unwrap();
        assert!(
            accounts.detail.contains("Trưởng Ban Biên tập"),
            "{}",
            accounts.detail
        );
        assert!(accounts.english.contains("board_head"));

        config.base_url = Some("https://skhcn.example.gov.vn".into());
        config.backup.copy_to = Some("/mnt/nas".into());
        let done = State {
            units: 2,
            look_proposed: true,
            backup_ok: true,
            import_done: true,
            ..State::default()
        };
        let listed = items(&done, &config);
        assert!(listed.iter().all(|i| i.done), "{listed:?}");
    }
}
