//! The citizens' forms that reach the Editorial Board (feedback, reuse requests), end
//! to end over HTTPS: the self-hosted challenge, the honeypot, the rate limit, bad
//! input kept for correction, the Board's page, and erasing personal data.

use crate::support::TestServer;

const NUMBERS: [&str; 10] = [
    "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
];

/// The challenge's token and its answer, read from a form page as a person would.
pub(crate) fn solve(html: &str) -> (String, String) {
    let token = html
        .split("name=\"challenge\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("challenge token")
        .to_string();
    let question = html
        .split("Câu hỏi kiểm tra (chống thư rác): ")
        .nth(1)
        .and_then(|r| r.split(" bằng").next())
        .expect("challenge question")
        .to_lowercase();
    let words: Vec<&str> = question.split(" cộng ").collect();
    let value = |w: &str| {
        NUMBERS
            .iter()
            .position(|n| *n == w.trim())
            .expect("a number word")
    };
    (token, (value(words[0]) + value(words[1])).to_string())
}

async fn form_page(server: &TestServer, path: &str) -> String {
    let (status, html) = server.page(path).await;
    assert_eq!(status, 200, "{path}");
    html
}

pub(crate) async fn send(
    server: &TestServer,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let r = server
        .client()
        .post(server.url(path))
        .header("origin", format!("https://{}", server.https))
        .form(fields)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn feedback<'a>(token: &'a str, answer: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("name", "Trần Thị Bình"),
        ("email", "binh@example.vn"),
        ("subject", "Liên kết hỏng ở trang thủ tục"),
        (
            "text",
            "Liên kết tải mẫu đơn ở trang thủ tục không mở được.",
        ),
        ("page", "/thu-tuc"),
        ("consent", "1"),
        ("website", ""),
        ("challenge", token),
        ("answer", answer),
    ]
}

fn quick_forms(c: &mut trangtin::config::Config) {
    c.forms.min_fill = std::time::Duration::ZERO;
}

#[tokio::test(flavor = "multi_thread")]
async fn feedback_reaches_the_board_which_handles_it_and_erases_personal_data() {
    let server = TestServer::start_with(quick_forms).await;
    let html = form_page(&server, "/gop-y?trang-lien-quan=/thu-tuc").await;
    assert!(
        html.contains("value=\"/thu-tuc\""),
        "the page asked about is filled in"
    );
    assert!(
        html.contains("href=\"/xu-ly-du-lieu-ca-nhan\""),
        "the processing notice"
    );
    let (token, answer) = solve(&html);
    let (status, sent) = send(&server, "/gop-y", &feedback(&token, &answer)).await;
    assert_eq!(status, 200, "{sent}");
    assert!(sent.contains("GY-000001"), "{sent}");
    assert!(!sent.contains("Trần Thị Bình"), "the name is not echoed");

    // Nowhere public.
    let (_, found) = server
        .page("/tim-kiem?q=Tr%E1%BA%A7n+Th%E1%BB%8B+B%C3%ACnh")
        .await;
    assert!(!found.contains("binh@example.vn"));

    // Only the Board sees it.
    let writer = server.login("donvi").await;
    assert_eq!(writer.get("/quan-tri/y-kien").await.0, 403);
    let board = server.login("truongban").await;
    let (status, page) = board.get("/quan-tri/y-kien").await;
    assert_eq!(status, 200);
    for expected in [
        "GY-000001",
        "Trần Thị Bình",
        "binh@example.vn",
        "Liên kết tải mẫu đơn",
        "/thu-tuc",
    ] {
        assert!(page.contains(expected), "{expected}");
    }
    let r = board
        .post("/quan-tri/y-kien/1/da-xu-ly", &[("ghi_chu", " ")])
        .await;
    assert_eq!(r.status(), 422, "a note is required");
    board
        .post_ok(
            "/quan-tri/y-kien/1/da-xu-ly",
            &[("ghi_chu", "Đã sửa liên kết, trả lời qua thư ngày 28/11.")],
        )
        .await;
    board.post_ok("/quan-tri/y-kien/1/xoa-du-lieu", &[]).await;
    let (_, page) = board.get("/quan-tri/y-kien").await;
    assert!(page.contains("Đã sửa liên kết"));
    assert!(page.contains("Đã xóa dữ liệu cá nhân"));
    assert!(!page.contains("Trần Thị Bình") && !page.contains("binh@example.vn"));
    assert_eq!(
        board
            .post("/quan-tri/y-kien/99/xoa-du-lieu", &[])
            .await
            .status(),
        404
    );
    // Both actions are in the audit trail.
    let admin = server.login("admin").await;
    let (_, trail) = admin.get("/quan-tri/nhat-ky").await;
    assert!(
        trail.contains("Xử lý ý kiến, đề nghị") && trail.contains("Xóa thông tin cá nhân (ý kiến)")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reuse_request_shows_the_terms_and_keeps_what_was_typed_when_invalid() {
    let server = TestServer::start_with(quick_forms).await;
    let html = form_page(&server, "/tai-su-dung").await;
    assert!(html.contains("Điều kiện tái sử dụng thông tin"));
    assert!(html.contains("Ghi rõ nguồn"));
    let (token, answer) = solve(&html);
    let mut fields = feedback(&token, &answer);
    fields[2] = ("subject", "Ảnh hội thảo Techfest");
    let (status, page) = send(&server, "/tai-su-dung", &fields).await;
    assert_eq!(status, 422, "the organisation is required");
    assert!(page.contains("Vui lòng nhập tên cơ quan, tổ chức"));
    assert!(
        page.contains("value=\"Trần Thị Bình\"") && page.contains("Ảnh hội thảo Techfest"),
        "kept"
    );
    let (token, answer) = solve(&page);
    let mut fields = feedback(&token, &answer);
    fields.push(("organisation", "Báo Gia Lai"));
    let (status, page) = send(&server, "/tai-su-dung", &fields).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("TSD-000001"));

    // Without consent nothing is stored.
    let html = form_page(&server, "/tai-su-dung").await;
    let (token, answer) = solve(&html);
    let mut fields = feedback(&token, &answer);
    fields.retain(|(k, _)| *k != "consent");
    fields.push(("organisation", "Báo Gia Lai"));
    let (status, page) = send(&server, "/tai-su-dung", &fields).await;
    assert_eq!(status, 422);
    assert!(page.contains("đồng ý với thông báo xử lý dữ liệu cá nhân"));
    let stored = server.app.store.read(trangtin::citizen::all).await.unwrap();
    assert_eq!(stored.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn spam_is_refused_without_any_outside_service() {
    let server = TestServer::start_with(|c| {
        quick_forms(c);
        c.forms.per_address_per_hour = 2;
    })
    .await;
    let stored = || async {
        server
            .app
            .store
            .read(trangtin::citizen::all)
            .await
            .unwrap()
            .len()
    };

    // The honeypot.
    let (token, answer) = solve(&form_page(&server, "/gop-y").await);
    let mut fields = feedback(&token, &answer);
    fields[6] = ("website", "http://spam.example");
    let (status, page) = send(&server, "/gop-y", &fields).await;
    assert_eq!(status, 422);
    assert!(page.contains("biểu mẫu có dữ liệu lạ"));

    // A wrong answer, a forged token, no token: refused, with what was typed kept.
    let (token, answer) = solve(&form_page(&server, "/gop-y").await);
    let wrong = (answer.parse::<u32>().unwrap() + 1).to_string();
    let (status, page) = send(&server, "/gop-y", &feedback(&token, &wrong)).await;
    assert_eq!(status, 422);
    assert!(page.contains("chưa đúng") && page.contains("Liên kết hỏng ở trang thủ tục"));
    let forged = "00".repeat(32);
    assert_eq!(
        send(&server, "/gop-y", &feedback(&forged, "5")).await.0,
        422
    );
    assert_eq!(send(&server, "/gop-y", &feedback("", "5")).await.0, 422);
    assert_eq!(stored().await, 0);

    // A wrong answer spent that challenge; a fresh one works once.
    let (status, page) = send(&server, "/gop-y", &feedback(&token, &answer)).await;
    assert_eq!(status, 422);
    assert!(page.contains("đã hết hạn hoặc đã dùng"));
    let (token, answer) = solve(&form_page(&server, "/gop-y").await);
    let (status, _) = send(&server, "/gop-y", &feedback(&token, &answer)).await;
    assert_eq!(status, 200);
    let (status, page) = send(&server, "/gop-y", &feedback(&token, &answer)).await;
    assert_eq!(status, 422);
    assert!(page.contains("đã hết hạn hoặc đã dùng"));

    // Two per address per hour here; the third is refused with 429.
    let (token, answer) = solve(&form_page(&server, "/gop-y").await);
    assert_eq!(
        send(&server, "/gop-y", &feedback(&token, &answer)).await.0,
        200
    );
    let (token, answer) = solve(&form_page(&server, "/gop-y").await);
    let (status, page) = send(&server, "/gop-y", &feedback(&token, &answer)).await;
    assert_eq!(status, 429);
    assert!(page.contains("quá nhiều lần"));
    assert_eq!(stored().await, 2);

    // Another site's form.
    let r = server
        .client()
        .post(server.url("/gop-y"))
        .header("origin", "https://evil.example")
        .form(&feedback(&token, &answer))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_form_sent_faster_than_a_person_types_is_refused() {
    let server =
        TestServer::start_with(|c| c.forms.min_fill = std::time::Duration::from_secs(60)).await;
    let (token, answer) = solve(&form_page(&server, "/gop-y").await);
    let (status, page) = send(&server, "/gop-y", &feedback(&token, &answer)).await;
    assert_eq!(status, 422);
    assert!(page.contains("quá nhanh"));
}
