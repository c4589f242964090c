//! What citizens see: home, lists, articles, pages, files and the 404 page.

use crate::support::{TestServer, first_link};

const MENU: &[&str] = &[
    "Trang chủ",
    "Giới thiệu",
    "Tin tức – Sự kiện",
    "Văn bản",
    "Thủ tục hành chính",
    "Sơ đồ trang",
];

#[tokio::test(flavor = "multi_thread")]
async fn the_home_page_is_the_departments_site() {
    let server = TestServer::start().await;
    let (status, html) = server.page("/").await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"<html lang="vi">"#));
    assert!(html.contains("Sở Khoa học và Công nghệ tỉnh Gia Lai"));
    for label in MENU {
        assert!(
            html.contains(&format!(">{label}</a>")),
            "menu lacks {label}"
        );
    }
    for fact in [
        "Cơ quan chủ quản:",
        "Ủy ban nhân dân tỉnh Gia Lai",
        "Người chịu trách nhiệm:",
        "Địa chỉ:",
        "Điện thoại:",
        "Thư điện tử:",
        "© 2026",
    ] {
        assert!(html.contains(fact), "footer lacks {fact}");
    }
    assert!(html.contains("Tin nổi bật"));
    assert!(html.contains("Tin mới nhất"));
    assert_eq!(html.matches(r#"class="featured-grid""#).count(), 1);
    assert!(html.contains(r#"name="DC.publisher""#));
}

#[tokio::test(flavor = "multi_thread")]
async fn header_and_footer_come_from_site_settings() {
    let server = TestServer::start().await;
    let mut site = server.app.store.read(trangtin::site::load).await.unwrap();
    site.agency_name = "Sở Khoa học và Công nghệ tỉnh Thử Nghiệm".into();
    site.responsible_person = "Bà Nguyễn Thị Kiểm Tra".into();
    site.menu.push(trangtin::site::MenuItem {
        label: "Hỏi đáp thử".into(),
        href: "/gop-y".into(),
        children: vec![],
    });
    let now = server.app.clock.now();
    server
        .app
        .store
        .write(move |tx| trangtin::site::save(tx, &site, now))
        .await
        .unwrap();
    server.app.cache.clear();
    let (_, html) = server.page("/tin-tuc").await;
    assert!(html.contains("Sở Khoa học và Công nghệ tỉnh Thử Nghiệm"));
    assert!(html.contains("Bà Nguyễn Thị Kiểm Tra"));
    assert!(html.contains(">Hỏi đáp thử</a>"));
    assert!(!html.contains("tỉnh Gia Lai</a>"));
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_are_paginated_and_refuse_bad_page_numbers() {
    let server = TestServer::start().await;
    let (status, first) = server.page("/tin-tuc").await;
    assert_eq!(status, 200);
    assert!(first.contains(r#"href="/tin-tuc?trang=2""#));
    let (status, second) = server.page("/tin-tuc?trang=2").await;
    assert_eq!(status, 200);
    let first_item = first_link(&first, "/tin-tuc/").unwrap();
    let second_item = first_link(&second, "/tin-tuc/").unwrap();
    assert_ne!(first_item, second_item, "page 2 shows other items");
    assert!(second.contains(r#"rel="prev""#));
    assert_eq!(server.page("/tin-tuc?trang=99").await.0, 404);
    assert_eq!(server.page("/tin-tuc?trang=abc").await.0, 400);
    assert_eq!(server.page("/tin-tuc?trang=0").await.0, 400);

    let (status, category) = server.page("/chuyen-muc/tin-hoat-dong").await;
    assert_eq!(status, 200);
    assert!(category.contains("<h1>Tin hoạt động</h1>"));
    assert!(category.matches(r#"class="card""#).count() >= 3);
    assert_eq!(server.page("/chuyen-muc/khong-ton-tai").await.0, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_article_shows_everything_the_law_asks_for() {
    let server = TestServer::start().await;
    let (_, list) = server
        .page("/chuyen-muc/tieu-chuan-do-luong-chat-luong")
        .await;
    let mut url = None;
    // Find an article with both a cover image and an attachment.
    for link in list.split("href=\"/tin-tuc/").skip(1) {
        let path = format!("/tin-tuc/{}", &link[..link.find('"').unwrap()]);
        let (_, html) = server.page(&path).await;
        if html.contains(r#"class="cover""#) && html.contains("Tệp đính kèm") {
            url = Some((path, html));
            break;
        }
    }
    let (path, html) = url.expect("an article with a cover and an attachment");
    assert!(html.contains("<h1>"));
    assert!(html.contains(r#"class="summary""#));
    assert!(html.contains("Tác giả:"));
    assert!(html.contains("Nguồn:"));
    assert!(html.contains("<time datetime=\"2026-"));
    assert!(html.contains("data-print"), "print button");
    assert!(html.contains("media=\"print\""), "print stylesheet");
    let cover = &html[html.find(r#"class="cover""#).unwrap()..];
    let img = &cover[..cover.find('>').unwrap() + 200.min(cover.len())];
    assert!(
        img.contains("alt=\"Hình minh họa"),
        "cover has alt text: {img}"
    );
    for dc in [
        "DC.title",
        "DC.creator",
        "DC.date",
        "DC.description",
        "DC.publisher",
        "DC.identifier",
    ] {
        let tag = format!(r#"<meta name="{dc}" content=""#);
        let at = html.find(&tag).unwrap_or_else(|| panic!("{dc} missing"));
        assert_ne!(
            &html[(at + tag.len())..=(at + tag.len())],
            "\"",
            "{dc} is empty"
        );
    }
    // Absolute, from the configured origin (never from the request's Host).
    let origin = server.app.origin().to_string();
    assert!(origin.starts_with("https://"), "{origin}");
    assert!(html.contains(&format!(
        r#"<meta name="DC.identifier" content="{origin}{path}">"#
    )));

    let attachment = first_link(&html[html.find("Tệp đính kèm").unwrap()..], "/tep/").unwrap();
    let response = server.get(&attachment).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    // A PDF opens in the browser, under its own name if saved.
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline;")
    );
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"));

    let image = first_link(cover, "/tep/").unwrap();
    let response = server.get(&image).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_standing_pages_and_the_sitemap_exist() {
    let server = TestServer::start().await;
    for (slug, heading) in [
        ("gioi-thieu", "Giới thiệu"),
        ("chuc-nang-nhiem-vu", "Chức năng"),
        ("co-cau-to-chuc", "Cơ cấu tổ chức"),
        ("lanh-dao", "Lãnh đạo"),
        ("van-ban", "Văn bản"),
        ("thu-tuc-hanh-chinh", "Thủ tục hành chính"),
    ] {
        let (status, html) = server.page(&format!("/trang/{slug}")).await;
        assert_eq!(status, 200, "{slug}");
        assert!(html.contains(&format!("<h1>{heading}")), "{slug} heading");
    }
    let (status, html) = server.page("/so-do-trang").await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"href="/trang/co-cau-to-chuc""#));
    assert!(html.contains(r#"href="/chuyen-muc/so-huu-tri-tue""#));
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_pages_get_the_vietnamese_404() {
    let server = TestServer::start().await;
    for path in [
        "/khong-co-trang-nay",
        "/tin-tuc/khong-co-bai-nay",
        "/trang/khong-co",
        "/tep/abc/x.pdf",
        "/static/css/site.css",
    ] {
        let response = server.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_string();
        let html = response.text().await.unwrap();
        assert!(html.contains("Không tìm thấy trang"), "{path}");
        assert!(html.contains(&id));
        assert!(
            html.contains("Người chịu trách nhiệm"),
            "the 404 page keeps the footer"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_internal_error_shows_a_request_id_and_never_the_error() {
    let server = TestServer::start().await;
    let (_, html) = server
        .page("/tin-tuc/techfest-gia-lai-2026-ket-noi-he-sinh-thai-khoi-nghiep")
        .await;
    let image = first_link(&html[html.find(r#"class="cover""#).unwrap()..], "/tep/").unwrap();
    let hash = image.split('/').nth(2).unwrap();
    // The database still lists the blob, but its file is gone.
    std::fs::remove_file(server.data.join("blobs").join(&hash[..2]).join(hash)).unwrap();
    let response = server.get(&image).await;
    assert_eq!(response.status(), 500);
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let html = response.text().await.unwrap();
    assert!(html.contains("Lỗi hệ thống"));
    assert!(html.contains(&format!("<code>{id}</code>")));
    for leak in ["unreadable", "No such file", "os error", hash] {
        assert!(!html.contains(leak), "the page leaks {leak:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn publishing_drops_the_page_cache() {
    use trangtin::content::{self, Fields, Kind, NewEntry};
    let server = TestServer::start().await;
    let (_, before) = server.page("/").await;
    assert!(!before.contains("Tin vừa đăng để thử bộ nhớ đệm"));
    let now = server.app.clock.now();
    let entry = server
        .app
        .store
        .write(move |tx| {
            content::create(
                tx,
                NewEntry {
                    kind: Kind::Article,
                    slug: "tin-vua-dang".into(),
                    category: Some("tin-hoat-dong".into()),
                    unit: None,
                    featured: false,
                },
                Fields {
                    title: "Tin vừa đăng để thử bộ nhớ đệm".into(),
                    body_html: "<p>Nội dung</p><script>alert(1)</script>".into(),
                    ..Fields::default()
                },
                "test",
                now,
            )
        })
        .await
        .unwrap();
    let (_, cached) = server.page("/").await;
    assert!(!cached.contains("Tin vừa đăng"), "a draft never shows");
    server.app.publish(entry.id).await.unwrap();
    // The home page is rendered anew right after the commit; until then the old one
    // is served.
    let mut after = String::new();
    for _ in 0..100 {
        after = server.page("/").await.1;
        if after.contains("Tin vừa đăng để thử bộ nhớ đệm") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(after.contains("Tin vừa đăng để thử bộ nhớ đệm"));
    let (_, article) = server.page("/tin-tuc/tin-vua-dang").await;
    assert!(article.contains("<p>Nội dung</p>"));
    assert!(!article.contains("alert(1)"), "the body is sanitised");
}

#[tokio::test(flavor = "multi_thread")]
async fn search_understands_vietnamese_and_follows_publishing() {
    use crate::support::TestServer as Server;
    let server = Server::start().await;
    // Folded query, highlighted snippet, kind filter.
    let (status, html) = server.page("/tim-kiem?q=chuyen+doi+so").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Ngày Chuyển đổi số quốc gia"),
        "a folded query finds the article"
    );
    assert!(html.contains("<mark>"), "matches are highlighted");
    let (_, pages_only) = server.page("/tim-kiem?q=chuyen+doi+so&loai=page").await;
    assert!(!pages_only.contains("Ngày Chuyển đổi số quốc gia"));
    let (_, none) = server.page("/tim-kiem?q=xyzkhongtontai").await;
    assert!(none.contains("Không tìm thấy kết quả nào"));
    // Past the last page: not found, as on the lists, not an empty "Trang 9 / 1".
    let (status, past) = server.page("/tim-kiem?q=chuyen+doi+so&trang=9").await;
    assert_eq!(status, 404, "{past}");
    assert!(!past.contains("Trang 9"), "{past}");
    let (status, _) = server.page("/tim-kiem?q=%3Cscript%3E%22%27").await;
    assert_eq!(status, 200);

    // A withdrawn entry leaves the results in the same step.
    let publisher = server.login("xuatban").await;
    let id = server
        .app
        .store
        .read(|tx| {
            trangtin::content::find_published(
                tx,
                trangtin::content::Kind::Article,
                "soi-noi-hoat-dong-huong-ung-ngay-chuyen-doi-so-quoc-gia-2026",
            )
        })
        .await
        .unwrap()
        .unwrap()
        .entry
        .id;
    let link = "/tin-tuc/soi-noi-hoat-dong-huong-ung-ngay-chuyen-doi-so-quoc-gia-2026";
    let (_, before) = server.page("/tim-kiem?q=soi+noi+chuyen+doi+so").await;
    assert!(before.contains(link));
    publisher
        .post_ok(
            &format!("/quan-tri/bai-viet/{id}/buoc"),
            &[("action", "withdraw"), ("comment", "Gỡ để thử tìm kiếm.")],
        )
        .await;
    let (_, after) = server.page("/tim-kiem?q=soi+noi+chuyen+doi+so").await;
    assert!(!after.contains(link), "withdrawn: gone from search");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_search_index_is_derived_and_rebuilt() {
    use crate::support::TestServer as Server;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start_in(&data, |_| {}).await;
    server.stop().await;
    std::fs::remove_dir_all(data.join("search")).unwrap();
    let server = Server::start_in(&data, |_| {}).await;
    let (_, html) = server.page("/tim-kiem?q=do+luong").await;
    assert!(html.contains("kết quả"), "rebuilt on start");
    assert!(!html.contains("Không tìm thấy"));
    server.stop().await;
    // `trangtin reindex` with no server running.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trangtin"))
        .arg("--data")
        .arg(&data)
        .arg("reindex")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("search index rebuilt"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_withdrawn_item_answers_410_saying_when_and_what_replaces_it() {
    let server = TestServer::start().await;
    let publisher = server.login("xuatban").await;
    let id_of = |kind: trangtin::content::Kind, slug: &'static str| {
        let store = server.app.store.clone();
        async move {
            store
                .read(move |tx| trangtin::content::find_published(tx, kind, slug))
                .await
                .unwrap()
                .unwrap()
                .entry
                .id
        }
    };
    // An article, withdrawn with a reason.
    let slug = "soi-noi-hoat-dong-huong-ung-ngay-chuyen-doi-so-quoc-gia-2026";
    let id = id_of(trangtin::content::Kind::Article, slug).await;
    publisher
        .post_ok(
            &format!("/quan-tri/bai-viet/{id}/buoc"),
            &[("action", "withdraw"), ("comment", "Thông tin đã cũ.")],
        )
        .await;
    let (status, page) = server.page(&format!("/tin-tuc/{slug}")).await;
    assert_eq!(status, 410, "{page}");
    let today = trangtin::format::civil_date(server.app.today());
    assert!(
        page.contains(&format!("đã được gỡ khỏi trang ngày {today}")),
        "{page}"
    );
    assert!(page.contains("href=\"/tin-tuc\""));
    assert!(
        !page.contains("Thông tin đã cũ."),
        "the internal comment stays internal"
    );
    assert!(
        page.contains("Sôi nổi") || page.contains("sôi nổi"),
        "the title is named"
    );

    // A legal document another replaces links to it.
    let old = "luat-khoa-hoc-va-cong-nghe-29-2013-qh13";
    let id = id_of(trangtin::content::Kind::LegalDocument, old).await;
    publisher
        .post_ok(
            &format!("/quan-tri/bai-viet/{id}/buoc"),
            &[("action", "withdraw"), ("comment", "Đã được thay thế.")],
        )
        .await;
    let (status, page) = server.page(&format!("/van-ban/{old}")).await;
    assert_eq!(status, 410);
    assert!(
        page.contains("href=\"/van-ban/luat-khoa-hoc-cong-nghe-va-doi-moi-sang-tao-93-2025-qh15\""),
        "{page}"
    );
    // An address that never held anything is still 404.
    let (status, _) = server.page("/tin-tuc/khong-co-bai-nay").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_publish_drops_only_the_pages_that_show_the_entry_and_never_serves_it_stale() {
    use crate::admin::{article, base_of, entry_id, publish_through_workflow, step};
    let server = TestServer::start().await;
    let public =
        publish_through_workflow(&server, "Tin thử bộ nhớ đệm lần một", "<p>Bản một.</p>").await;
    let (_, documents) = server.page("/van-ban").await;
    let document = crate::support::first_link(&documents, "/van-ban/").unwrap();
    let (_, procedures) = server.page("/thu-tuc").await;
    let procedure = crate::support::first_link(&procedures, "/thu-tuc/").unwrap();
    let unrelated = [
        document.as_str(),
        procedure.as_str(),
        "/trang/gioi-thieu",
        "/cong-khai",
    ];
    for page in unrelated
        .iter()
        .chain(&[public.as_str(), "/", "/chuyen-muc/tin-hoat-dong"])
    {
        assert_eq!(server.page(page).await.0, 200, "{page}");
    }
    let before: Vec<_> = unrelated
        .iter()
        .map(|p| server.app.cache.get(p).expect("cached"))
        .collect();

    // An edit of the article goes live.
    let compiler = server.login("tonghop").await;
    let id = server
        .app
        .store
        .read({
            let slug = public.trim_start_matches("/tin-tuc/").to_string();
            move |tx| trangtin::content::find_published(tx, trangtin::content::Kind::Article, &slug)
        })
        .await
        .unwrap()
        .unwrap()
        .entry
        .id
        .0;
    let base = base_of(&compiler, id).await;
    let mut edit = article("Tin thử bộ nhớ đệm lần hai", "<p>Bản hai.</p>");
    edit.push(("base", &base));
    let location = compiler
        .post_ok(&format!("/quan-tri/bai-viet/{id}"), &edit)
        .await;
    assert_eq!(entry_id(&location), id);
    step(&compiler, id, "submit", "").await;
    step(&compiler, id, "forward", "").await;
    step(&server.login("truongban").await, id, "approve", "").await;
    step(&server.login("xuatban").await, id, "publish", "").await;

    // The entry itself is never served from before the publish…
    let (_, page) = server.page(&public).await;
    assert!(
        page.contains("Bản hai.") && !page.contains("Bản một."),
        "stale entry served"
    );
    // …pages that do not show it keep their cached copy…
    // (the same rendered bytes: its compression may have been upgraded meanwhile)
    for (page, cached) in unrelated.iter().zip(&before) {
        let now = server
            .app
            .cache
            .get(page)
            .unwrap_or_else(|| panic!("{page} was dropped"));
        assert_eq!(
            now.html().as_ptr(),
            cached.html().as_ptr(),
            "{page} was rendered again"
        );
    }
    // …and the home page and the section show the new title once rendered anew.
    for list in ["/", "/chuyen-muc/tin-hoat-dong"] {
        let mut shown = false;
        for _ in 0..100 {
            if server
                .page(list)
                .await
                .1
                .contains("Tin thử bộ nhớ đệm lần hai")
            {
                shown = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(shown, "{list} never showed the new title");
    }
}
