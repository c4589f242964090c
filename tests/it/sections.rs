//! Sections over real HTTPS: a draft that only the Board head puts live, retiring with
//! 301s, the generated list of disclosed information, and lists that show only their
//! own kind, on the demo site and on a fresh one.

use crate::admin::{entry_id, step};
use crate::support::{TestServer, field_value, first_link, uploaded_pdf};

/// The version of the pending draft, as the Board head's page offers it for approval.
async fn pending_version(server: &TestServer) -> String {
    let head = server.login("truongban").await;
    let (status, page) = head.get("/quan-tri/chuyen-muc").await;
    assert_eq!(status, 200);
    field_value(&page, "ban_nhap").expect("a draft waits for approval")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_section_draft_is_invisible_until_the_board_head_approves_it() {
    let server = TestServer::start().await;
    let admin = server.login("admin").await;
    admin
        .post_ok(
            "/quan-tri/chuyen-muc",
            &[
                ("name", "Thông báo tuyển dụng"),
                ("parent", "tin-tuc-su-kien"),
                ("kind_article", "1"),
                ("in_menu", "1"),
                ("on_home", "1"),
                ("deadline_days", "5"),
                ("retention_years", "2"),
            ],
        )
        .await;
    // Not live: no page, not in the menu, not in the list of disclosed information.
    assert_eq!(server.page("/chuyen-muc/thong-bao-tuyen-dung").await.0, 404);
    let (_, home) = server.page("/").await;
    assert!(!home.contains("Thông báo tuyển dụng"));
    assert!(
        !server
            .page("/cong-khai")
            .await
            .1
            .contains("Thông báo tuyển dụng")
    );

    // The leadership sees the draft and its preview, but cannot approve it; nor can
    // the administrator who wrote it.
    let leader = server.login("lanhdao").await;
    let (status, page) = leader.get("/quan-tri/chuyen-muc").await;
    assert_eq!(status, 200, "the leadership sees the tree");
    assert!(page.contains("Bản nháp chờ duyệt"));
    assert!(page.contains("Thêm “Thông báo tuyển dụng”"), "{page}");
    assert!(!page.contains("action=\"/quan-tri/chuyen-muc/duyet\""));
    let (status, preview) = leader.get("/quan-tri/chuyen-muc/xem-truoc").await;
    assert_eq!(status, 200);
    assert!(
        preview.contains("Thông báo tuyển dụng"),
        "the preview has the menu"
    );
    assert_eq!(
        leader.get("/quan-tri/giao-dien").await.0,
        200,
        "and the look"
    );
    let version = pending_version(&server).await;
    for refused in [&leader, &admin] {
        let answer = refused
            .post("/quan-tri/chuyen-muc/duyet", &[("ban_nhap", &version)])
            .await;
        assert_eq!(answer.status(), 403);
    }
    assert_eq!(
        leader
            .post("/quan-tri/chuyen-muc", &[("name", "Không được")])
            .await
            .status(),
        403,
        "the leadership does not change the draft"
    );

    let head = server.login("truongban").await;
    head.post_ok("/quan-tri/chuyen-muc/duyet", &[("ban_nhap", &version)])
        .await;
    let (status, section) = server.page("/chuyen-muc/thong-bao-tuyen-dung").await;
    assert_eq!(status, 200);
    assert!(section.contains("Chuyên mục chưa có bài."));
    let (_, home) = server.page("/").await;
    assert!(
        home.contains(">Thông báo tuyển dụng</a>"),
        "in the menu now"
    );
    let (_, disclosure) = server.page("/cong-khai").await;
    assert!(disclosure.contains("Thông báo tuyển dụng"));
    assert!(disclosure.contains("Chậm nhất 5 ngày làm việc"));
    assert!(disclosure.contains("Tối thiểu 2 năm kể từ ngày đăng tải"));
    // The approval is in the audit trail, like the look's.
    let actions: Vec<(String, String)> = server
        .app
        .store
        .read(|tx| trangtin::audit::tables::AUDIT.values(tx))
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.target == "sections")
        .map(|r| (r.action, r.actor))
        .collect();
    assert!(actions.contains(&("settings_draft_saved".into(), "admin".into())));
    assert!(actions.contains(&("settings_changed".into(), "truongban".into())));
}

#[tokio::test(flavor = "multi_thread")]
async fn retiring_a_section_moves_its_entries_and_its_addresses_answer_301() {
    let server = TestServer::start().await;
    let (_, list) = server.page("/chuyen-muc/so-huu-tri-tue").await;
    let article = first_link(&list, "/tin-tuc/").expect("the section has news");
    let admin = server.login("admin").await;
    admin
        .post_ok(
            "/quan-tri/chuyen-muc/thoi-dung",
            &[
                ("slug", "so-huu-tri-tue"),
                ("chuyen_sang", "khoa-hoc-cong-nghe"),
            ],
        )
        .await;
    assert_eq!(
        server.page("/chuyen-muc/so-huu-tri-tue").await.0,
        200,
        "nothing changes before the approval"
    );
    let version = pending_version(&server).await;
    server
        .login("truongban")
        .await
        .post_ok("/quan-tri/chuyen-muc/duyet", &[("ban_nhap", &version)])
        .await;
    for (old, new) in [
        (
            "/chuyen-muc/so-huu-tri-tue",
            "/chuyen-muc/khoa-hoc-cong-nghe",
        ),
        (
            "/chuyen-muc/so-huu-tri-tue?trang=2",
            "/chuyen-muc/khoa-hoc-cong-nghe",
        ),
        (
            "/rss/chuyen-muc/so-huu-tri-tue.xml",
            "/rss/chuyen-muc/khoa-hoc-cong-nghe.xml",
        ),
    ] {
        let answer = server.get(old).await;
        assert_eq!(answer.status(), 301, "{old}");
        assert_eq!(answer.headers()["location"], new, "{old}");
    }
    // The news keeps its address and is listed where the section went.
    assert_eq!(server.page(&article).await.0, 200);
    let (_, moved) = server.page("/chuyen-muc/khoa-hoc-cong-nghe").await;
    assert!(moved.contains(&format!("href=\"{article}\"")), "{article}");
    let (_, home) = server.page("/").await;
    assert!(!home.contains("/chuyen-muc/so-huu-tri-tue\""));
    // Nobody can write into it any more.
    let writer = server.login("tonghop").await;
    let refused = writer
        .post(
            "/quan-tri/bai-viet/moi",
            &[
                ("kind", "article"),
                ("title", "Bài vào chuyên mục cũ"),
                ("body", "<p>Nội dung.</p>"),
                ("category", "so-huu-tri-tue"),
                ("author", "Nguyễn Thị Lan"),
                ("source", "Phòng Quản lý khoa học"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("đã thôi sử dụng"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_list_of_disclosed_information_matches_the_sections() {
    let server = TestServer::start().await;
    let (status, page) = server.page("/cong-khai").await;
    assert_eq!(status, 200);
    let sections = server
        .app
        .store
        .read(trangtin::content::categories)
        .await
        .unwrap();
    let rules = server.app.config.deadlines;
    let expected = trangtin::content::sections::disclosure_list(&sections, &rules);
    assert!(expected.len() >= 20, "{}", expected.len());
    for row in &expected {
        let html_row = format!("<th scope=\"row\">{}", row.name.replace('&', "&amp;"));
        assert!(page.contains(&html_row), "no row for {}", row.name);
        assert!(
            page.contains(&format!("<a href=\"{0}\">{0}</a>", row.address)),
            "{}",
            row.address
        );
        for text in [&row.form, &row.timing, &row.period] {
            assert!(page.contains(text.as_str()), "{}: {text}", row.name);
        }
    }
    // Every address it gives answers.
    for row in &expected {
        let status = server.page(&row.address).await.0;
        assert_eq!(status, 200, "{}", row.address);
    }
}

/// Every list page shows only entries of its own kind (the demo once fed the staff
/// directory into the consultations), on the demo site and on a fresh one.
#[tokio::test(flavor = "multi_thread")]
async fn every_public_list_shows_only_its_own_kind() {
    let demo = TestServer::start().await;
    lists_show_only_their_own_kind(&demo, true).await;
    let fresh = TestServer::start_with(|c| c.demo = false).await;
    lists_show_only_their_own_kind(&fresh, false).await;
}

async fn lists_show_only_their_own_kind(server: &TestServer, demo: bool) {
    // Standing pages have no list of their own: their section lists them.
    for kind in trangtin::content::Kind::ALL
        .iter()
        .filter(|k| **k != trangtin::content::Kind::Page)
    {
        let list = kind.list_url();
        let (status, html) = server.page(list).await;
        assert_eq!(status, 200, "{list}");
        let prefix = format!("{}/", kind.url_prefix());
        let others: Vec<&str> = trangtin::content::Kind::ALL
            .iter()
            .filter(|k| *k != kind && k.url_prefix() != "/en")
            .map(|k| k.url_prefix())
            .collect();
        // Links into this list's own prefix lead to its entries, which answer.
        let mut rest = html.as_str();
        let mut seen = 0;
        while let Some(at) = rest.find(&format!("href=\"{prefix}")) {
            let start = at + 6;
            let end = rest[start..].find('"').unwrap() + start;
            let link = &rest[start..end];
            rest = &rest[end..];
            let data = std::path::Path::new(link)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("xml") || e.eq_ignore_ascii_case("json"));
            if link.contains('?') || data {
                continue;
            }
            seen += 1;
            let (status, entry) = server.page(link).await;
            assert_eq!(status, 200, "{link}");
            for other in &others {
                assert!(
                    !entry.contains(&format!("<link rel=\"canonical\" href=\"{other}/")),
                    "{link} is an entry of another kind"
                );
            }
        }
        if demo && kind == &trangtin::content::Kind::Consultation {
            assert_eq!(seen, 2, "the two demo drafts, and no staff records");
            assert!(
                !html.contains("lqhuy.skhcn@gialai.gov.vn"),
                "no staff contacts"
            );
        }
    }
}

/// On a site started with `demo = false`: the default tree is there with nothing in it,
/// and a statistic and news in the new sections go through the whole workflow.
#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_site_has_the_laws_sections_and_every_kind_publishes() {
    let server = TestServer::start_with(|c| c.demo = false).await;
    let (_, home) = server.page("/").await;
    for label in [
        "Giới thiệu",
        "Tin tức – Sự kiện",
        "Văn bản",
        "Thủ tục hành chính",
        "Công khai",
        "Hỏi – đáp",
        "Sơ đồ trang",
    ] {
        assert!(
            home.contains(&format!(">{label}</a>")),
            "menu lacks {label}"
        );
    }
    for path in [
        "/chuyen-muc/khen-thuong-xu-phat",
        "/chuyen-muc/tra-loi-kien-nghi",
        "/chuyen-muc/pho-bien-phap-luat",
        "/chuyen-muc/cong-khai-tai-chinh",
        "/chuyen-muc/gioi-thieu",
        "/thong-ke",
        "/cong-khai",
        "/lay-y-kien",
    ] {
        assert_eq!(server.page(path).await.0, 200, "{path}");
    }
    // A unit and accounts for the workflow, as an administrator would make them.
    let admin = server.login("admin").await;
    admin
        .post_ok("/quan-tri/don-vi", &[("name", "Phòng Quản lý khoa học")])
        .await;
    let unit = server
        .app
        .store
        .read(trangtin::auth::units)
        .await
        .unwrap()
        .first()
        .expect("the unit")
        .id
        .0
        .to_string();
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
        assert_eq!(made.status(), 200);
        assert!(made.text().await.unwrap().contains("Đã tạo tài khoản"));
    }
    let compiler = server.login("tonghop").await;
    let head = server.login("truongban").await;
    let publisher = server.login("xuatban").await;
    let statistic = [
        ("kind", "statistic"),
        ("title", "Số liệu thống kê khoa học và công nghệ năm 2025"),
        ("r_field", "Thống kê khoa học và công nghệ"),
        ("r_period", "Năm 2025"),
        ("r_unit", "Phòng Quản lý khoa học"),
        (
            "r_method",
            "Tổng hợp báo cáo của các tổ chức khoa học và công nghệ.",
        ),
        ("r_decided_on", "2026-11-30"),
    ];
    let refused = compiler.post("/quan-tri/bai-viet/moi", &statistic).await;
    assert_eq!(refused.status(), 422, "a statistic needs its data files");
    let file = uploaded_pdf(&server, &compiler, "so-lieu-2025.pdf").await;
    let mut with_file = statistic.to_vec();
    with_file.push(("attachments", &file));
    let sections = [
        "khen-thuong-xu-phat",
        "tra-loi-kien-nghi",
        "pho-bien-phap-luat",
        "cong-khai-tai-chinh",
    ];
    let mut drafts = vec![(
        compiler.post_ok("/quan-tri/bai-viet/moi", &with_file).await,
        "/thong-ke",
    )];
    for section in sections {
        let title = format!("Tin thử trong chuyên mục {section}");
        let fields = [
            ("kind", "article"),
            ("title", title.as_str()),
            ("summary", "Tóm tắt."),
            ("body", "<p>Nội dung tin.</p>"),
            ("category", section),
            ("author", "Nguyễn Thị Lan"),
            ("source", "Phòng Quản lý khoa học"),
        ];
        drafts.push((
            compiler.post_ok("/quan-tri/bai-viet/moi", &fields).await,
            section,
        ));
    }
    for (location, list) in drafts {
        let id = entry_id(&location);
        step(&compiler, id, "submit", "").await;
        step(&compiler, id, "forward", "").await;
        step(&head, id, "approve", "").await;
        step(&publisher, id, "publish", "").await;
        let list = if list.starts_with('/') {
            list.to_string()
        } else {
            format!("/chuyen-muc/{list}")
        };
        server.app.cache.clear();
        let (_, html) = server.page(&list).await;
        let entry = first_link(
            &html,
            if list == "/thong-ke" {
                "/thong-ke/"
            } else {
                "/tin-tuc/"
            },
        )
        .unwrap_or_else(|| panic!("{list} lists nothing"));
        let (status, page) = server.page(&entry).await;
        assert_eq!(status, 200, "{entry}");
        if list == "/thong-ke" {
            assert!(page.contains("Năm 2025"));
            assert!(page.contains("so-lieu-2025.pdf"));
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn past_its_online_period_a_sections_items_move_to_the_public_archive() {
    let server = TestServer::start().await;
    // A news section with items, given an online period of one year.
    let (slug, first) = server
        .app
        .store
        .read(|tx| -> Result<_, trangtin::content::Error> {
            for c in trangtin::content::categories(tx)? {
                let items = trangtin::content::list_published(
                    tx,
                    trangtin::content::List::Category(&c.slug),
                    1,
                    1,
                )?
                .items;
                if let Some(p) = items.first() {
                    return Ok((c.slug.clone(), p.url()));
                }
            }
            panic!("the demo has a section with items")
        })
        .await
        .unwrap();
    let now = server.app.clock.now();
    let s = slug.clone();
    server
        .app
        .store
        .write(move |tx| -> Result<_, trangtin::content::Error> {
            let mut section = trangtin::content::category(tx, &s)?.unwrap();
            section.retention_years = Some(1);
            trangtin::content::put_category(tx, &section, now)
        })
        .await
        .unwrap();
    server.app.cache.clear();
    let (_, live) = server.page(&format!("/chuyen-muc/{slug}")).await;
    assert!(
        live.contains(&format!("href=\"{first}\"")),
        "still in its list"
    );
    assert!(
        live.contains(&format!("href=\"/luu-tru/{slug}\"")),
        "the list names its archive"
    );

    // Two years on, the items have left the list and the home page for the archive.
    server.app.clock.advance(2 * 366 * 86_400);
    server.app.cache.clear();
    let (_, live) = server.page(&format!("/chuyen-muc/{slug}")).await;
    assert!(
        !live.contains(&format!("href=\"{first}\"")),
        "gone from the list"
    );
    let (status, index) = server.page("/luu-tru").await;
    assert_eq!(status, 200);
    assert!(index.contains(&format!("href=\"/luu-tru/{slug}\"")));
    let (status, archive) = server.page(&format!("/luu-tru/{slug}")).await;
    assert_eq!(status, 200);
    assert!(archive.contains(&format!("href=\"{first}\"")), "{archive}");
    assert!(archive.contains("Lưu trữ"));
    // It keeps its address.
    assert_eq!(server.page(&first).await.0, 200);
    // A section without a period has no archive.
    assert_eq!(server.page("/luu-tru/khong-co").await.0, 404);
}
