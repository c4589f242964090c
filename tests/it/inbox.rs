//! "Việc của tôi" gathers every kind of waiting work over HTTPS: a question to route,
//! then to answer; a change of the look to approve (shown field by field, colours as
//! swatches); a locked account for administrators. Each appears for the people who
//! act on it, with counts in the menu, and leaves once done; a walk over every role
//! checks nobody is shown work they may not act on.

use crate::admin::PEOPLE as ROLES;
use crate::support::TestServer;

const TO_ROUTE: &str = "Câu hỏi chờ chuyển đơn vị xử lý";
const TO_ANSWER: &str = "Câu hỏi chờ đơn vị trả lời";
const LOOK: &str = "Thay đổi giao diện chờ duyệt";
const LOCKED: &str = "Tài khoản bị khóa do đăng nhập sai nhiều lần";

/// The count shown beside a menu link, if any.
fn menu_count(page: &str, label: &str) -> Option<u64> {
    let at = page.find(&format!(">{label} <span class=\"count\""))?;
    let rest = &page[at..];
    let start = rest.find("\">")? + 2;
    rest[start..].split('<').next()?.parse().ok()
}

async fn ask(server: &TestServer) -> u64 {
    let (now, calendar) = (server.app.clock.now(), server.app.config.calendar.clone());
    let (question, _) = server
        .app
        .store
        .write(move |tx| {
            trangtin::citizen::questions::ask(
                tx,
                trangtin::citizen::questions::Asked {
                    name: "Người hỏi".into(),
                    email: "nguoihoi@example.vn".into(),
                    topic: "Sở hữu trí tuệ".into(),
                    text: "Hỏi về nhãn hiệu.".into(),
                    mail_consent: false,
                },
                now,
                &calendar,
            )
        })
        .await
        .unwrap();
    question.seq
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_of_waiting_work_reaches_the_right_people_and_leaves_when_done() {
    let server = TestServer::start().await;
    let seq = ask(&server).await;

    // To route: the Board and the compilers, with the deadline in working days.
    let compiler = server.login("tonghop").await;
    let (_, inbox) = compiler.get("/quan-tri").await;
    assert!(inbox.contains(TO_ROUTE), "the compiler routes questions");
    assert!(
        inbox.contains("ngày làm việc"),
        "the deadline counts working days"
    );
    assert!(
        menu_count(&inbox, "Hỏi – đáp").is_some_and(|n| n >= 1),
        "a count in the menu"
    );
    let contributor = server.login("donvi").await;
    let (_, theirs) = contributor.get("/quan-tri").await;
    assert!(!theirs.contains(TO_ROUTE), "a unit does not route");

    // Routed to the contributor's unit: it waits there, no longer for the compiler.
    let unit = server
        .app
        .store
        .read(|tx| trangtin::auth::find_by_login(tx, "donvi"))
        .await
        .unwrap()
        .unwrap()
        .unit
        .unwrap()
        .0;
    compiler
        .post_ok(
            &format!("/quan-tri/hoi-dap/{seq}/chuyen"),
            &[("don_vi", &unit.to_string())],
        )
        .await;
    let (_, inbox) = compiler.get("/quan-tri").await;
    assert!(
        !inbox.contains(TO_ROUTE),
        "routed: gone from the compiler's list"
    );
    let (_, theirs) = contributor.get("/quan-tri").await;
    assert!(theirs.contains(TO_ANSWER), "the unit answers it");

    // A change of the look: the Board head approves, and sees each change.
    let now = server.app.clock.now();
    server
        .app
        .store
        .write(move |tx| {
            let mut settings = trangtin::site::load(tx)?;
            settings.colours.header = "#114477".into();
            settings.tagline = "Khoa học – Công nghệ – Đổi mới sáng tạo".into();
            trangtin::site::propose(
                tx,
                &trangtin::site::Draft {
                    settings,
                    by: "admin".into(),
                    by_name: "Quản trị".into(),
                    at: now,
                },
            )
        })
        .await
        .unwrap();
    let head = server.login("truongban").await;
    let (_, inbox) = head.get("/quan-tri").await;
    assert!(inbox.contains(LOOK));
    assert_eq!(menu_count(&inbox, "Giao diện trang"), Some(1));
    let (_, look) = head.get("/quan-tri/giao-dien").await;
    assert!(
        look.contains("Những gì bản nháp thay đổi"),
        "a side-by-side table"
    );
    assert!(
        look.contains("fill=\"#114477\""),
        "the new colour as a swatch"
    );
    assert!(look.contains("Khoa học – Công nghệ – Đổi mới sáng tạo"));
    assert!(
        look.contains("/quan-tri/giao-dien/xem-truoc"),
        "a link to the preview"
    );
    let member = server.login("bientap").await;
    assert!(
        !member.get("/quan-tri").await.1.contains(LOOK),
        "only the head approves"
    );
    let version = look
        .split("name=\"ban_nhap\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    head.post_ok("/quan-tri/giao-dien/duyet", &[("ban_nhap", &version)])
        .await;
    assert!(
        !head.get("/quan-tri").await.1.contains(LOOK),
        "approved: gone"
    );

    // Nobody is shown work they may not act on.
    for (login, role) in ROLES {
        let staff = server.login(login).await;
        let (_, page) = staff.get("/quan-tri").await;
        use trangtin::workflow::Role;
        if page.contains(LOCKED) {
            assert_eq!(*role, Role::Administrator, "{login} sees locked accounts");
        }
        if page.contains(LOOK) {
            assert_eq!(*role, Role::BoardHead, "{login} sees look approvals");
        }
        if page.contains(TO_ROUTE) {
            assert!(
                matches!(role, Role::BoardHead | Role::BoardMember | Role::Compiler),
                "{login} sees questions to route"
            );
        }
        if page.contains(TO_ANSWER) {
            assert_eq!(*role, Role::Contributor, "{login} sees the unit's question");
        }
    }
    // A locked account: administrators are told.
    for _ in 0..5 {
        let _ = server.login_with("donvi", "sai-mat-khau-hoan-toan").await;
    }
    let admin = server.login("admin").await;
    let (_, inbox) = admin.get("/quan-tri").await;
    assert!(
        inbox.contains(LOCKED),
        "administrators see the locked account"
    );
    let (_, theirs) = head.get("/quan-tri").await;
    assert!(!theirs.contains(LOCKED), "only administrators");
}
