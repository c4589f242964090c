//! Lấy ý kiến dự thảo (C8): a draft published with its window, the public comment
//! form, moderation before anything shows, and the automatic close.

use trangtin::content::{self, Fields, Kind};

use crate::citizen::{send, solve};
use crate::support::TestServer;

/// Publishes a draft open from `opens_in` to `closes_in` days from today.
pub(crate) async fn draft(server: &TestServer, slug: &'static str, opens_in: i64, closes_in: i64) {
    let today = server.app.today();
    let day = |n: i64| {
        today
            .checked_add(jiff::Span::new().days(n))
            .unwrap()
            .to_string()
    };
    let record = [
        ("opens", day(opens_in)),
        ("closes", day(closes_in)),
        ("field", "Đổi mới sáng tạo".to_string()),
        ("receiving_unit", "Phòng Quản lý khoa học".to_string()),
        ("address", "Số 10 Trần Phú".to_string()),
        ("email", "qlkh@example.gov.vn".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let now = server.app.clock.now();
    server
        .app
        .store
        .write(move |tx| -> Result<(), content::Error> {
            let fields = Fields {
                title: format!("Dự thảo thử {slug}"),
                body_html: "<p>Điều 1. Nội dung dự thảo.</p>".into(),
                record,
                ..Fields::default()
            };
            crate::support::publish_new(tx, Kind::Consultation, slug.into(), fields, now)?;
            Ok(())
        })
        .await
        .unwrap();
    server.app.cache.clear();
}

async fn comment(
    server: &TestServer,
    slug: &str,
    name: &str,
    text: &str,
    show_name: bool,
) -> (u16, String) {
    // The challenge of any form will do; the draft's own form only shows while open.
    let (_, form) = server.page("/gop-y").await;
    let (token, answer) = solve(&form);
    let mut fields = vec![
        ("name", name),
        ("email", "gopy@example.vn"),
        ("text", text),
        ("consent", "1"),
        ("website", ""),
        ("challenge", token.as_str()),
        ("answer", answer.as_str()),
    ];
    if show_name {
        fields.push(("show_name", "1"));
    }
    send(server, &format!("/lay-y-kien/{slug}/gop-y"), &fields).await
}

#[tokio::test(flavor = "multi_thread")]
async fn comments_are_moderated_before_they_show_and_commenting_closes_by_itself() {
    let server = TestServer::start_with(|c| c.forms.min_fill = std::time::Duration::ZERO).await;
    draft(&server, "du-thao-mo", -1, 5).await;
    draft(&server, "du-thao-sap-mo", 3, 10).await;

    let (status, page) = server.page("/lay-y-kien/du-thao-mo").await;
    assert_eq!(status, 200);
    assert!(page.contains("Đang lấy ý kiến đến hết ngày"), "{page}");
    assert!(page.contains("href=\"/lay-y-kien/du-thao-mo/gop-y\""));
    assert!(page.contains("Phòng Quản lý khoa học") && page.contains("qlkh@example.gov.vn"));
    let (_, list) = server.page("/lay-y-kien").await;
    assert!(list.contains("Dự thảo thử du-thao-mo"));
    let (_, later) = server.page("/lay-y-kien/du-thao-sap-mo").await;
    assert!(later.contains("Chưa bắt đầu") && !later.contains("/du-thao-sap-mo/gop-y\""));
    let (status, _) = comment(
        &server,
        "du-thao-sap-mo",
        "Ai đó",
        "Góp ý trước khi mở.",
        false,
    )
    .await;
    assert_eq!(status, 422, "not open yet");

    let (status, form) = server.page("/lay-y-kien/du-thao-mo/gop-y").await;
    assert_eq!(status, 200);
    assert!(form.contains("Câu hỏi kiểm tra"));
    let (status, sent) = comment(
        &server,
        "du-thao-mo",
        "Phạm Thị Dung",
        "Đề nghị nâng mức hỗ trợ lên 300 triệu đồng.",
        true,
    )
    .await;
    assert_eq!(status, 200, "{sent}");
    assert!(sent.contains("sau khi được duyệt") && sent.contains("YK-000001"));
    let (status, _) = comment(
        &server,
        "du-thao-mo",
        "Hoàng Văn Em",
        "Nội dung quảng cáo không liên quan.",
        false,
    )
    .await;
    assert_eq!(status, 200);
    let (status, page) = comment(&server, "du-thao-mo", "Hoàng Văn Em", "ngắn", false).await;
    assert_eq!(status, 422);
    assert!(page.contains("Nội dung quá ngắn"));

    // Spam: a wrong challenge answer and a filled honeypot are refused.
    let (_, form) = server.page("/gop-y").await;
    let (token, answer) = solve(&form);
    let wrong = (answer.parse::<u32>().unwrap() + 1).to_string();
    let base = [
        ("name", "Máy"),
        ("email", "may@example.vn"),
        ("text", "Quảng cáo tự động gửi hàng loạt."),
        ("consent", "1"),
        ("challenge", token.as_str()),
    ];
    let mut bad = base.to_vec();
    bad.extend([("website", ""), ("answer", wrong.as_str())]);
    let (status, page) = send(&server, "/lay-y-kien/du-thao-mo/gop-y", &bad).await;
    assert_eq!(status, 422);
    assert!(page.contains("chưa đúng"));
    let mut bot = base.to_vec();
    bot.extend([
        ("website", "http://spam.example"),
        ("answer", answer.as_str()),
    ]);
    let (status, page) = send(&server, "/lay-y-kien/du-thao-mo/gop-y", &bot).await;
    assert_eq!(status, 422);
    assert!(page.contains("dữ liệu lạ"));

    // Nothing shows before moderation.
    let (_, page) = server.page("/lay-y-kien/du-thao-mo").await;
    assert!(!page.contains("300 triệu đồng") && page.contains("Chưa có ý kiến nào được công bố"));

    // Only the Board moderates.
    let writer = server.login("donvi").await;
    assert_eq!(writer.get("/quan-tri/y-kien-du-thao").await.0, 403);
    let board = server.login("truongban").await;
    let (_, queue) = board.get("/quan-tri/y-kien-du-thao").await;
    assert!(queue.contains("Phạm Thị Dung") && queue.contains("gopy@example.vn"));
    board.post_ok("/quan-tri/y-kien-du-thao/1/duyet", &[]).await;
    let r = board
        .post("/quan-tri/y-kien-du-thao/2/tu-choi", &[("ly_do", "")])
        .await;
    let status = r.status();
    assert_eq!(
        status,
        422,
        "a rejection needs a reason: {}",
        r.text().await.unwrap()
    );
    board
        .post_ok(
            "/quan-tri/y-kien-du-thao/2/tu-choi",
            &[("ly_do", "Không liên quan đến dự thảo.")],
        )
        .await;

    let (_, page) = server.page("/lay-y-kien/du-thao-mo").await;
    assert!(
        page.contains("Đề nghị nâng mức hỗ trợ lên 300 triệu đồng."),
        "approved shows at once"
    );
    assert!(page.contains("Phạm Thị Dung"), "the name shows, as asked");
    assert!(
        !page.contains("Nội dung quảng cáo"),
        "rejected stays hidden"
    );
    assert!(!page.contains("gopy@example.vn"), "emails never show");

    // On request, the Board erases a commenter's personal data; the comment stays.
    board
        .post_ok("/quan-tri/y-kien-du-thao/1/xoa-du-lieu", &[])
        .await;
    let (_, page) = server.page("/lay-y-kien/du-thao-mo").await;
    assert!(!page.contains("Phạm Thị Dung") && page.contains("300 triệu đồng"));
    let (_, queue) = board.get("/quan-tri/y-kien-du-thao").await;
    assert!(!queue.contains("Phạm Thị Dung"));

    // Six days later the window has closed by itself.
    server.app.clock.advance(6 * 86_400);
    let (_, page) = server.page("/lay-y-kien/du-thao-mo").await;
    assert!(page.contains("Đã kết thúc lấy ý kiến"), "{page}");
    assert!(!page.contains("href=\"/lay-y-kien/du-thao-mo/gop-y\""));
    assert!(page.contains("300 triệu đồng"), "approved comments stay");
    let (_, form) = server.page("/lay-y-kien/du-thao-mo/gop-y").await;
    assert!(!form.contains("name=\"challenge\""), "no form once closed");
    let (status, page) = comment(
        &server,
        "du-thao-mo",
        "Trễ hạn",
        "Ý kiến gửi sau khi đã đóng.",
        false,
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("không còn trong thời gian lấy ý kiến"));
    assert_eq!(server.get("/lay-y-kien/khong-co/gop-y").await.status(), 404);
}
