//! Accessibility over HTTP (the browser tests check the same in Chromium with axe):
//! display preferences without JavaScript, shortcuts and the skip link on every page.

use crate::support::TestServer;

#[tokio::test(flavor = "multi_thread")]
async fn display_preferences_are_a_plain_form_and_a_private_stylesheet() {
    let server = TestServer::start().await;
    let origin = format!("https://{}", server.https);
    let choose = |fields: Vec<(&'static str, &'static str)>, cookie: Option<String>| {
        let mut request = server
            .client()
            .post(server.url("/hien-thi"))
            .header("origin", origin.clone())
            .form(&fields);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send()
    };

    let r = choose(
        vec![("co-chu", "lon"), ("quay-lai", "/tin-tuc?trang=2")],
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/tin-tuc?trang=2");
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set.starts_with("hien-thi=lon;"), "{set}");
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attribute), "{set}");
    }
    let cookie = set.split(';').next().unwrap().to_string();

    // Adding high contrast keeps the size.
    let r = choose(vec![("tuong-phan", "cao")], Some(cookie.clone()))
        .await
        .unwrap();
    let both = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(both, "hien-thi=lon.cao");
    assert_eq!(r.headers()["location"], "/", "no return path: home");

    let css = server
        .client()
        .get(server.url("/hien-thi.css"))
        .header("cookie", both.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["cache-control"], "private, no-cache");
    assert_eq!(css.headers()["vary"], "cookie");
    let etag = css.headers()["etag"].to_str().unwrap().to_string();
    let text = css.text().await.unwrap();
    assert!(
        text.contains("font-size: 125%") && text.contains("#ff0"),
        "{text}"
    );
    let again = server
        .client()
        .get(server.url("/hien-thi.css"))
        .header("cookie", both)
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let (_, plain) = server.page("/hien-thi.css").await;
    assert!(
        !plain.contains("font-size") && !plain.contains("#ff0"),
        "{plain}"
    );

    // Back to the defaults clears the cookie.
    let r = choose(
        vec![("co-chu", "vua"), ("tuong-phan", "thuong")],
        Some(cookie),
    )
    .await
    .unwrap();
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );

    // Bad input: another site's form, an unknown value, a return path elsewhere.
    let r = server
        .client()
        .post(server.url("/hien-thi"))
        .header("origin", "https://evil.example")
        .form(&[("co-chu", "lon")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = choose(vec![("co-chu", "khong-lo")], None).await.unwrap();
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("lang=\"vi\""), "a Vietnamese error page");
    for elsewhere in [
        "//evil.example/x",
        "https://evil.example/",
        "\\\\evil",
        "/\t/evil.example",
        "/\\evil.example",
    ] {
        let r = choose(vec![("co-chu", "lon"), ("quay-lai", elsewhere)], None)
            .await
            .unwrap();
        assert_eq!(r.headers()["location"], "/", "{elsewhere}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_public_page_has_the_skip_link_landmarks_and_shortcuts() {
    let server = TestServer::start().await;
    for path in [
        "/",
        "/tin-tuc",
        "/van-ban",
        "/so-do-trang",
        "/tro-nang",
        "/tim-kiem?q=khoa",
    ] {
        let (status, html) = server.page(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            html.contains("<a class=\"skip\" href=\"#noi-dung\">"),
            "{path}"
        );
        for landmark in [
            "<header",
            "<main id=\"noi-dung\"",
            "<footer",
            "role=\"search\"",
        ] {
            assert!(html.contains(landmark), "{path}: {landmark}");
        }
        for key in [
            "accesskey=\"1\"",
            "accesskey=\"3\"",
            "accesskey=\"4\"",
            "accesskey=\"0\"",
        ] {
            assert!(html.contains(key), "{path}: {key}");
        }
        assert!(html.contains("action=\"/hien-thi\""), "{path}");
        assert!(html.contains("href=\"/hien-thi.css\""), "{path}");
        assert_eq!(html.matches("<h1").count(), 1, "{path}: one h1");
    }
    let (_, statement) = server.page("/tro-nang").await;
    assert!(statement.contains("<caption>") && statement.contains("scope=\"col\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_editor_warns_about_accessibility_before_approval() {
    use crate::admin::{article, entry_id, step};
    let server = TestServer::start().await;
    let compiler = server.login("tonghop").await;
    let body = "<h2>Mục tiêu</h2><h4>Chi tiết</h4>\
                <p>Toàn văn: <a href=\"/van-ban\">bấm vào đây</a>.</p>\
                <table><tr><td>2026</td><td>12</td></tr></table>";
    let location = compiler
        .post_ok(
            "/quan-tri/bai-viet/moi",
            &article("Bài thiếu trợ năng", body),
        )
        .await;
    let id = entry_id(&location);
    let page = compiler.get(&location).await.1;
    for expected in [
        "Cần sửa để mọi người đọc được",
        "nhảy từ cấp h2 xuống h4",
        "Liên kết “bấm vào đây”",
        "Bảng thứ 1 không có ô tiêu đề",
    ] {
        assert!(page.contains(expected), "{expected}");
    }
    step(&compiler, id, "submit", "").await;
    step(&compiler, id, "forward", "").await;
    let head = server.login("truongban").await;
    let review = head.get(&location).await.1;
    assert!(
        review.contains("lỗi trợ năng"),
        "the approver is warned at the step"
    );
    assert!(review.contains("Bảng thứ 1 không có ô tiêu đề"));

    // A clean body has no warning.
    let clean = compiler
        .post_ok(
            "/quan-tri/bai-viet/moi",
            &article(
                "Bài đạt trợ năng",
                "<h2>Mục tiêu</h2><p>Xem <a href=\"/van-ban\">danh mục văn bản</a>.</p>",
            ),
        )
        .await;
    let page = compiler.get(&clean).await.1;
    assert!(!page.contains("Cần sửa để mọi người đọc được"));
}
