//! The look of the site changes only with leadership's approval (Art. 3.3): a draft is
//! blocked until the head of the Board approves it, the preview shows the draft, and
//! approval puts it live and drops the page cache.

use crate::support::TestServer;

/// The live settings as form fields, with `changes` applied.
async fn form_of(
    server: &TestServer,
    changes: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    let site = server.app.store.read(trangtin::site::load).await.unwrap();
    let mut menu = Vec::new();
    for item in &site.menu {
        menu.push(format!("{} | {}", item.label, item.href));
        for child in &item.children {
            menu.push(format!("- {} | {}", child.label, child.href));
        }
    }
    let mut fields: Vec<(&'static str, String)> = vec![
        ("agency_name", site.agency_name.clone()),
        ("agency_name_en", site.agency_name_en.clone()),
        ("short_name", site.short_name.clone()),
        ("managing_body", site.managing_body.clone()),
        ("responsible_person", site.responsible_person.clone()),
        ("address", site.address.clone()),
        ("phone", site.phone.clone()),
        ("fax", site.fax.clone()),
        ("email", site.email.clone()),
        ("copyright", site.copyright.clone()),
        ("tagline", site.tagline.clone()),
        ("logo", String::new()),
        ("header_colour", site.colours.header.clone()),
        ("menu_colour", site.colours.menu.clone()),
        ("menu", menu.join("\n")),
        ("portals", String::new()),
        ("banners", String::new()),
        ("home_featured", "1".into()),
        ("home_latest", "1".into()),
        ("home_categories", "1".into()),
        ("home_documents", "1".into()),
        ("home_procedures", "1".into()),
        ("home_portals", "1".into()),
    ];
    for (key, value) in changes {
        match fields.iter_mut().find(|(k, _)| k == key) {
            Some(field) => field.1 = value.to_string(),
            None => fields.push((key, value.to_string())),
        }
    }
    fields
}

fn borrowed<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_of_look_waits_for_approval_then_goes_live_at_once() {
    let server = TestServer::start().await;
    let admin = server.login("admin").await;
    let head = server.login("truongban").await;
    let writer = server.login("donvi").await;
    assert_eq!(writer.get("/quan-tri/giao-dien").await.0, 403);
    let (status, page) = admin.get("/quan-tri/giao-dien").await;
    assert_eq!(status, 200);
    assert!(page.contains("Sở Khoa học và Công nghệ tỉnh Gia Lai"));

    // Bad drafts: an empty footer fact (F6), a colour white text cannot be read on.
    let bad = form_of(&server, &[("managing_body", "  ")]).await;
    let r = admin.post("/quan-tri/giao-dien", &borrowed(&bad)).await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Không được để trống cơ quan chủ quản")
    );
    let bad = form_of(&server, &[("header_colour", "#ffcccc")]).await;
    let r = admin.post("/quan-tri/giao-dien", &borrowed(&bad)).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("quá nhạt") && body.contains("4,5:1"),
        "kept: {}",
        body.contains("#ffcccc")
    );

    // The home page is cached before the change.
    let (_, before) = server.page("/").await;
    let (_, css_before) = server.page("/giao-dien.css").await;
    assert!(css_before.contains("#a50d22"));

    let menu = {
        let site = server.app.store.read(trangtin::site::load).await.unwrap();
        let mut lines: Vec<String> = site
            .menu
            .iter()
            .map(|m| format!("{} | {}", m.label, m.href))
            .collect();
        lines.push("Hỏi – đáp | /hoi-dap".into());
        lines.join("\n")
    };
    // A banner: an image from the library, by the code the page lists.
    let (_, look) = admin.get("/quan-tri/giao-dien").await;
    assert!(look.contains("Mã các ảnh trong thư viện"));
    let image = look
        .split("<td><code>")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("an image code")
        .to_string();
    let banner = format!("{image} | Băng-rôn Ngày hội đổi mới sáng tạo | /lay-y-kien");
    let good = form_of(
        &server,
        &[
            ("tagline", "Khẩu hiệu mới đã qua duyệt"),
            ("header_colour", "#1D4E89"),
            ("menu", &menu),
            (
                "portals",
                "Cổng Dịch vụ công quốc gia | https://dichvucong.gov.vn",
            ),
            ("banners", &banner),
            ("home_banners", "1"),
        ],
    )
    .await;
    admin.post_ok("/quan-tri/giao-dien", &borrowed(&good)).await;

    // Blocked until approved: the public site is unchanged.
    let (_, home) = server.page("/").await;
    assert_eq!(home, before, "the live page is untouched");
    assert!(!home.contains("Khẩu hiệu mới"));
    assert!(server.page("/giao-dien.css").await.1.contains("#a50d22"));

    // The preview shows the draft.
    let (status, preview) = admin.get("/quan-tri/giao-dien/xem-truoc").await;
    assert_eq!(status, 200);
    assert!(preview.contains("Bản xem trước giao diện chưa được duyệt"));
    assert!(preview.contains("Khẩu hiệu mới đã qua duyệt"));
    assert!(preview.contains("href=\"/hoi-dap\""));
    assert!(preview.contains("Cổng Dịch vụ công quốc gia"));
    assert!(preview.contains("/quan-tri/giao-dien/xem-truoc.css"));
    assert!(
        admin
            .get("/quan-tri/giao-dien/xem-truoc.css")
            .await
            .1
            .contains("#1d4e89")
    );
    let (_, page) = head.get("/quan-tri/giao-dien").await;
    assert!(
        page.contains("Bản nháp chờ duyệt")
            && page.contains("màu sắc")
            && page.contains("trình đơn")
    );

    let seen = crate::support::field_value(&page, "ban_nhap").expect("the draft's version");

    // Only the head of the Board approves.
    let r = admin
        .post("/quan-tri/giao-dien/duyet", &[("ban_nhap", &seen)])
        .await;
    assert_eq!(r.status(), 403);
    // A draft saved after the head looked is not approved unseen.
    let mut newer = good.clone();
    newer.retain(|(k, _)| *k != "tagline");
    newer.push(("tagline", "Khẩu hiệu mới đã qua duyệt".into()));
    server.app.clock.advance(1);
    admin
        .post_ok("/quan-tri/giao-dien", &borrowed(&newer))
        .await;
    let location = head
        .post_ok("/quan-tri/giao-dien/duyet", &[("ban_nhap", &seen)])
        .await;
    assert!(location.contains("khong-co-ban-nhap"), "{location}");
    assert!(
        !server.page("/").await.1.contains("Khẩu hiệu mới"),
        "nothing went live"
    );
    let (_, page) = head.get("/quan-tri/giao-dien").await;
    let seen = crate::support::field_value(&page, "ban_nhap").unwrap();
    head.post_ok("/quan-tri/giao-dien/duyet", &[("ban_nhap", &seen)])
        .await;

    let (_, home) = server.page("/").await;
    assert!(
        home.contains("Khẩu hiệu mới đã qua duyệt"),
        "live at once: the cache was dropped"
    );
    assert!(home.contains("href=\"/hoi-dap\""));
    assert!(home.contains("https://dichvucong.gov.vn"));
    assert!(
        home.contains(&format!("/tep/{image}/")),
        "the banner's image"
    );
    assert!(home.contains("alt=\"Băng-rôn Ngày hội đổi mới sáng tạo\""));
    assert!(server.page("/giao-dien.css").await.1.contains("#1d4e89"));
    assert!(
        admin
            .get("/quan-tri/giao-dien/xem-truoc")
            .await
            .1
            .contains("Không có bản nháp chờ duyệt"),
        "no draft left"
    );

    // Recorded, and the integrity check agrees the live settings are the approved ones.
    let (_, trail) = admin.get("/quan-tri/nhat-ky").await;
    assert!(trail.contains("Lưu bản nháp cấu hình") && trail.contains("Duyệt và áp dụng cấu hình"));
    let report = server.app.check_integrity("test").await.unwrap();
    assert!(report.ok, "{:?}", report.mismatches);

    // A draft can be returned, with a reason.
    let another = form_of(&server, &[("tagline", "Một khẩu hiệu khác")]).await;
    admin
        .post_ok("/quan-tri/giao-dien", &borrowed(&another))
        .await;
    let r = head
        .post("/quan-tri/giao-dien/tra-lai", &[("ly_do", "")])
        .await;
    assert_eq!(r.status(), 422);
    head.post_ok(
        "/quan-tri/giao-dien/tra-lai",
        &[("ly_do", "Khẩu hiệu chưa thống nhất.")],
    )
    .await;
    let (_, home) = server.page("/").await;
    assert!(!home.contains("Một khẩu hiệu khác"));
    let (_, preview) = admin.get("/quan-tri/giao-dien/xem-truoc").await;
    assert!(
        preview.contains("Không có bản nháp chờ duyệt") && !preview.contains("Một khẩu hiệu khác")
    );
}
