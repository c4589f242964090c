//! Day one, on the production path: `install --no-start` writes the configuration and
//! the server starts on it with no demo. The first administrator signs in with the
//! one-time password, changes it, enrols the second factor and works through the
//! checklist; the Board head approves the look and the section tree; a contributor's
//! news goes through the workflow into the new section, and a citizen finds it on the
//! home page, in the section, in search, in the feed and in the sitemap. The new pages
//! are then read in Chromium with axe.

use std::process::Command;

use trangtin::auth::second_factor::code_at;
use trangtin::config::{Config, Overrides};

use crate::admin::{entry_id, step};
use crate::support::{Staff, TEST_PASSWORD, TestServer, field_value, secret_on_page};

/// The text after `marker` up to the next whitespace or `<`.
fn word_after(text: &str, marker: &str) -> String {
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in {text}"))
        + marker.len();
    text[start..]
        .split(|c: char| c.is_whitespace() || c == '<')
        .next()
        .unwrap()
        .to_string()
}

/// A first sign-in as a person does it: the one-time password, a new password (the
/// tests' own, so later sign-ins work), and the second factor where the role needs one.
async fn first_sign_in(
    server: &TestServer,
    login: &str,
    one_time: &str,
    second_factor: bool,
) -> Staff {
    let mut staff = server
        .login_with(login, one_time)
        .await
        .unwrap_or_else(|| panic!("{login} signs in with the one-time password"));
    let (status, html) = staff.get("/quan-tri/doi-mat-khau").await;
    assert_eq!(status, 200);
    staff.csrf = field_value(&html, "csrf").unwrap();
    let changed = staff
        .post(
            "/quan-tri/doi-mat-khau",
            &[
                ("old", one_time),
                ("new", TEST_PASSWORD),
                ("confirm", TEST_PASSWORD),
            ],
        )
        .await;
    assert_eq!(changed.status(), 303, "{login} changes the password");
    if second_factor {
        let (status, html) = staff.get("/quan-tri/xac-thuc-hai-buoc").await;
        assert_eq!(status, 200);
        let secret = secret_on_page(&html);
        staff.csrf = field_value(&html, "csrf").unwrap();
        let sealed = field_value(&html, "bi_mat").unwrap();
        let code = code_at(&secret, server.app.clock.now());
        let enrolled = staff
            .post(
                "/quan-tri/xac-thuc-hai-buoc/bat",
                &[
                    ("bi_mat", sealed.as_str()),
                    ("ma", code.as_str()),
                    ("xac_nhan", TEST_PASSWORD),
                ],
            )
            .await;
        assert_eq!(enrolled.status(), 200, "{login} enrols");
        let html = enrolled.text().await.unwrap();
        assert!(html.contains("Mã dự phòng"));
        staff.csrf = field_value(&html, "csrf").unwrap();
        server.remember_secret(login, secret);
    }
    let (status, html) = staff.get("/quan-tri").await;
    assert_eq!(status, 200, "{login} reaches the workspace: {html}");
    staff.csrf = field_value(&html, "csrf").unwrap_or(staff.csrf.clone());
    staff
}

/// The draft version the Board head sees on `path`, approved there.
async fn approve_draft(head: &Staff, path: &str) {
    let (status, page) = head.get(path).await;
    assert_eq!(status, 200);
    let version = field_value(&page, "ban_nhap").unwrap_or_else(|| panic!("a draft on {path}"));
    head.post_ok(&format!("{path}/duyet"), &[("ban_nhap", &version)])
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_install_becomes_the_agencys_own_site() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let installed = Command::new(env!("CARGO_BIN_EXE_trangtin"))
        .args([
            "install",
            "--domain",
            "skhcn.example.gov.vn",
            "--no-start",
            "--root",
        ])
        .arg(&root)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&installed.stdout).into_owned();
    assert!(installed.status.success(), "{said}");
    let one_time = word_after(&said, "one-time password: ");
    let nas = dir.path().join("nas");
    std::fs::create_dir_all(&nas).unwrap();
    let mut config = Config::load(&Overrides {
        config: Some(root.join("etc/trangtin/trangtin.toml")),
        data: Some(root.join("var/lib/trangtin")),
        https: Some("127.0.0.1:0".into()),
        http: Some("off".into()),
    })
    .unwrap();
    assert!(!config.demo, "install writes demo = false");
    // What IT staff add to the file: where copies of the backups go.
    config.backup.copy_to = Some(nas.clone());
    // The first start takes the daily backup once its time of day has come; at
    // midnight the test would otherwise wait for 02:00 Vietnam time.
    config.backup.at = jiff::civil::time(0, 0, 0, 0);
    let server = TestServer::start_config(config).await;

    // Nothing of the demo; the law's structure is there.
    let (_, news) = server.page("/tin-tuc").await;
    assert!(!news.contains("href=\"/tin-tuc/"), "no news yet");
    let (_, home) = server.page("/").await;
    assert!(!home.contains("sơ kết công tác 9 tháng"), "no demo news");
    assert!(home.contains(">Công khai</a>"));
    assert_eq!(
        home.matches(">Trang chủ</a>").count(),
        1,
        "one menu, no copies"
    );

    // The first administrator.
    let admin = first_sign_in(&server, "admin", &one_time, true).await;
    // The agency's facts came from the configuration file's [site], and the first start
    // took the daily backup: in the background, so on a busy machine it may finish
    // after the sign-in.
    let mut start = String::new();
    for _ in 0..150 {
        start = admin.get("/quan-tri/bat-dau").await.1;
        if start.contains("Còn 4 việc.") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(start.contains("Còn 4 việc."), "{start}");
    assert!(
        start.contains("Đã xong: Đặt địa chỉ chính thức"),
        "install set base_url"
    );
    let look = [
        ("agency_name", "Sở Khoa học và Công nghệ tỉnh Gia Lai Mới"),
        ("managing_body", "Ủy ban nhân dân tỉnh"),
        ("responsible_person", "Ông Nguyễn Văn Giám Đốc"),
        ("address", "Số 1 Đường Chính, phường Trung Tâm"),
        ("phone", "0256 000 000"),
        ("email", "sokhcn@example.gov.vn"),
        ("copyright", "© 2026 Sở Khoa học và Công nghệ"),
        ("header_colour", "#a50d22"),
        ("menu_colour", "#0b4f8a"),
        ("home_latest", "1"),
        ("home_categories", "1"),
    ];
    admin.post_ok("/quan-tri/giao-dien", &look).await;
    admin
        .post_ok("/quan-tri/don-vi", &[("name", "Văn phòng Sở")])
        .await;
    let unit = server.app.store.read(trangtin::auth::units).await.unwrap()[0]
        .id
        .0
        .to_string();
    let mut passwords = std::collections::HashMap::new();
    for (login, role) in [
        ("vietbai", "contributor"),
        ("tonghop", "compiler"),
        ("truongban", "board_head"),
        ("xuatban", "publisher"),
    ] {
        let made = admin
            .post(
                "/quan-tri/nguoi-dung",
                &[
                    ("login", login),
                    ("name", login),
                    ("email", &format!("{login}@example.gov.vn")),
                    ("roles", role),
                    ("unit", &unit),
                ],
            )
            .await;
        let page = made.text().await.unwrap();
        passwords.insert(login, word_after(&page, "<code class=\"secret\">"));
    }
    admin
        .post_ok(
            "/quan-tri/chuyen-muc",
            &[
                ("name", "Chuyển đổi số"),
                ("parent", "tin-tuc-su-kien"),
                ("kind_article", "1"),
                ("in_menu", "1"),
                ("on_home", "1"),
            ],
        )
        .await;
    admin.post_ok("/quan-tri/sao-luu", &[]).await;
    admin.post_ok("/quan-tri/bat-dau/trang-cu", &[]).await;
    let (_, start) = admin.get("/quan-tri/bat-dau").await;
    assert!(start.contains("Đã xong mọi việc"), "{start}");

    // The Board head approves the look and the tree.
    let head = first_sign_in(&server, "truongban", &passwords["truongban"], true).await;
    approve_draft(&head, "/quan-tri/giao-dien").await;
    approve_draft(&head, "/quan-tri/chuyen-muc").await;
    let (_, start) = admin.get("/quan-tri/bat-dau").await;
    assert!(start.contains("Đã xong mọi việc"), "{start}");
    assert!(
        !start.contains("việc cần làm trước khi đưa vào sử dụng"),
        "no banner"
    );

    // News through the workflow into the new section.
    let writer = first_sign_in(&server, "vietbai", &passwords["vietbai"], false).await;
    let title = "Tỉnh triển khai nền tảng số dùng chung cho cấp xã";
    let location = writer
        .post_ok(
            "/quan-tri/bai-viet/moi",
            &[
                ("kind", "article"),
                ("title", title),
                ("summary", "Nền tảng số dùng chung được đưa vào sử dụng."),
                (
                    "body",
                    "<p>Sở phối hợp triển khai nền tảng số dùng chung.</p>",
                ),
                ("category", "chuyen-doi-so"),
                ("author", "Văn phòng Sở"),
                ("source", "Văn phòng Sở"),
            ],
        )
        .await;
    let id = entry_id(&location);
    step(&writer, id, "submit", "").await;
    let compiler = first_sign_in(&server, "tonghop", &passwords["tonghop"], false).await;
    step(&compiler, id, "forward", "").await;
    step(&head, id, "approve", "").await;
    let publisher = first_sign_in(&server, "xuatban", &passwords["xuatban"], true).await;
    step(&publisher, id, "publish", "").await;

    // A citizen finds it everywhere.
    let (_, home) = server.page("/").await;
    assert!(home.contains(title), "on the home page");
    assert!(
        home.contains("Sở Khoa học và Công nghệ tỉnh Gia Lai Mới"),
        "the approved look"
    );
    let (status, section) = server.page("/chuyen-muc/chuyen-doi-so").await;
    assert_eq!(status, 200);
    assert!(section.contains(title), "in its section");
    let article = crate::support::first_link(&section, "/tin-tuc/").unwrap();
    assert_eq!(server.page(&article).await.0, 200);
    let (_, found) = server
        .page("/tim-kiem?q=n%E1%BB%81n+t%E1%BA%A3ng+s%E1%BB%91")
        .await;
    assert!(found.contains(&format!("href=\"{article}\"")), "in search");
    let (_, feed) = server.page("/rss/chuyen-muc/chuyen-doi-so.xml").await;
    assert!(feed.contains(title), "in the section's feed");
    let (_, index) = server.page("/sitemap.xml").await;
    let mut in_sitemap = false;
    for part in index.split("<loc>").skip(1) {
        let url = part.split("</loc>").next().unwrap();
        let path = &url[url.find("/sitemap/").unwrap()..];
        in_sitemap |= server.page(path).await.1.contains(&article);
    }
    assert!(in_sitemap, "in the sitemap");

    // The pages of day one, in a real browser, against WCAG 2.1 AA.
    let Some(_) = crate::browser::chromium() else {
        return;
    };
    let Some(axe_js) = crate::browser::axe_source() else {
        return;
    };
    let Some(driver) = crate::browser::start_driver().await else {
        return;
    };
    let client = crate::browser::open_browser(&driver).await;
    let mut violations = Vec::new();
    crate::browser::login(&client, &server, "admin", &mut violations, &axe_js).await;
    for path in [
        "/quan-tri/bat-dau",
        "/quan-tri/chuyen-muc",
        "/quan-tri/chuyen-muc?sua=chuyen-doi-so",
        "/",
        "/chuyen-muc/chuyen-doi-so",
        article.as_str(),
        "/cong-khai",
    ] {
        crate::browser::visit(&client, &server.url(path)).await;
        violations.extend(crate::browser::axe(&client, &axe_js).await);
    }
    client.close().await.unwrap();
    assert!(
        violations.is_empty(),
        "axe-core found WCAG 2.1 AA violations:\n{}",
        violations.join("\n")
    );
}
