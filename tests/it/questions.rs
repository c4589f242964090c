//! Hỏi – đáp end to end over HTTPS: a citizen asks (challenge, consent), gets a ticket
//! and a key; the Board routes the question to a unit, which answers through the
//! ordinary workflow; the asker reads the answer on the status page; answers of
//! general interest are listed publicly, others nowhere; the deadline counts 15
//! working days with the configured holidays, and late questions are listed; personal
//! data never shows publicly and is erased on request.

use crate::admin::step;
use crate::citizen::{send, solve};
use crate::support::TestServer;

fn holidays(c: &mut trangtin::config::Config) {
    c.forms.min_fill = std::time::Duration::ZERO;
    // Every weekday of the next three weeks is a holiday but one: the deadline moves.
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(trangtin::format::vietnam())
        .date();
    let mut day = today;
    for _ in 0..10 {
        day = day.tomorrow().unwrap();
        c.calendar.holidays.push(day);
    }
}

pub(crate) async fn ask(server: &TestServer, text: &str) -> (String, String, String) {
    let (status, html) = server.page("/hoi-dap/gui-cau-hoi").await;
    assert_eq!(status, 200);
    let (token, answer) = solve(&html);
    let (status, page) = send(
        server,
        "/hoi-dap/gui-cau-hoi",
        &[
            ("name", "Lê Văn Cường"),
            ("email", "cuong@example.vn"),
            ("topic", "Sở hữu trí tuệ"),
            ("text", text),
            ("consent", "1"),
            ("website", ""),
            ("challenge", &token),
            ("answer", &answer),
        ],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let (ticket, key) = ticket_and_key(&page);
    let due = page
        .split("Hạn trả lời:</dt> <dd>")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_string();
    (ticket, key, due)
}

/// The ticket number and the key on the page that confirms a question was received.
pub(crate) fn ticket_and_key(page: &str) -> (String, String) {
    let ticket = page
        .split("Số tiếp nhận:")
        .nth(1)
        .and_then(|r| r.split("<strong>").nth(1))
        .and_then(|r| r.split('<').next())
        .unwrap_or_default()
        .to_string();
    let key = page
        .split("<code>")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("a key")
        .to_string();
    (ticket, key)
}

async fn unit_of(server: &TestServer, login: &'static str) -> u64 {
    server
        .app
        .store
        .read(move |tx| trangtin::auth::find_by_login(tx, login))
        .await
        .unwrap()
        .unwrap()
        .unit
        .unwrap()
        .0
}

#[tokio::test(flavor = "multi_thread")]
async fn a_question_is_routed_answered_through_the_workflow_and_read_by_the_asker() {
    let server = TestServer::start_with(holidays).await;
    let (ticket, key, due) = ask(
        &server,
        "Thủ tục đăng ký nhãn hiệu cho hợp tác xã gồm những gì?",
    )
    .await;
    assert_eq!(ticket, "HD-000001");
    assert_eq!(key.len(), 16);
    // 15 working days after today, skipping the 10 configured holidays.
    let calendar = server.app.config.calendar.clone();
    let today = server.app.today();
    let expected = calendar.add_working_days(today, 15);
    assert_eq!(due, expected.strftime("%d/%m/%Y").to_string());
    assert!(expected > trangtin::calendar::Calendar::default().add_working_days(today, 15));

    // The status page: a wrong key finds nothing; the right one shows the question.
    let (status, page) = server
        .page(&format!("/hoi-dap/tra-cuu?so={ticket}&ma=sai"))
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("Không tìm thấy câu hỏi"));
    let status_url = format!("/hoi-dap/tra-cuu?so={ticket}&ma={key}");
    let (status, page) = server.page(&status_url).await;
    assert_eq!(status, 200);
    assert!(page.contains("Đã tiếp nhận") && page.contains("nhãn hiệu cho hợp tác xã"));

    // Contributors do not see unrouted questions; the Board routes it to their unit.
    let contributor = server.login("donvi").await;
    assert!(
        !contributor
            .get("/quan-tri/hoi-dap")
            .await
            .1
            .contains("HD-000001")
    );
    assert_eq!(contributor.get("/quan-tri/hoi-dap/1").await.0, 404);
    let board = server.login("truongban").await;
    let (_, list) = board.get("/quan-tri/hoi-dap?loc=chua-chuyen").await;
    assert!(list.contains("HD-000001"));
    let (_, detail) = board.get("/quan-tri/hoi-dap/1").await;
    assert!(detail.contains("Lê Văn Cường") && detail.contains("cuong@example.vn"));
    let unit = unit_of(&server, "donvi").await.to_string();
    assert_eq!(
        contributor
            .post("/quan-tri/hoi-dap/1/chuyen", &[("don_vi", &unit)])
            .await
            .status(),
        404,
        "contributors neither see nor route unrouted questions"
    );
    board
        .post_ok("/quan-tri/hoi-dap/1/chuyen", &[("don_vi", &unit)])
        .await;

    // The unit answers: an empty answer is refused, then a private answer is created.
    let r = contributor
        .post(
            "/quan-tri/hoi-dap/1/tra-loi",
            &[
                ("tieu_de", "Đăng ký nhãn hiệu"),
                ("cau_hoi", "Hồ sơ đăng ký nhãn hiệu gồm những gì?"),
                ("noi_dung", "  "),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    // The asker's name must not reach what will be public.
    let r = contributor
        .post(
            "/quan-tri/hoi-dap/1/tra-loi",
            &[
                ("tieu_de", "Đăng ký nhãn hiệu"),
                (
                    "cau_hoi",
                    "Ông Lê Văn Cường hỏi về hồ sơ đăng ký nhãn hiệu.",
                ),
                ("noi_dung", "<p>Hồ sơ gồm tờ khai.</p>"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Còn họ tên hoặc thư điện tử của người hỏi")
    );
    let location = contributor
        .post_ok(
            "/quan-tri/hoi-dap/1/tra-loi",
            &[
                ("tieu_de", "Hồ sơ đăng ký nhãn hiệu của hợp tác xã"),
                (
                    "cau_hoi",
                    "Thủ tục đăng ký nhãn hiệu cho hợp tác xã gồm những gì?",
                ),
                // Typed as plain text (no editor script): blank lines make paragraphs.
                (
                    "noi_dung",
                    "Hồ sơ gồm tờ khai, mẫu nhãn hiệu\nvà quy chế sử dụng.\n\nNộp tại Sở.",
                ),
            ],
        )
        .await;
    let id: u64 = location
        .trim_start_matches("/quan-tri/bai-viet/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let body = server
        .app
        .store
        .read(move |tx| {
            let entry = trangtin::content::editorial::entry(tx, trangtin::content::EntryId(id))?;
            trangtin::content::editorial::revision(tx, entry.working)
        })
        .await
        .unwrap()
        .fields
        .body_html;
    assert_eq!(body.matches("<p>").count(), 2, "{body}");
    assert!(body.contains("<br"), "{body}");
    let (_, page) = server.page(&status_url).await;
    assert!(page.contains("Đang soạn và duyệt câu trả lời"));
    assert!(
        !page.contains("tờ khai"),
        "not before it is approved and published"
    );

    step(&contributor, id, "submit", "").await;
    step(&server.login("tonghop").await, id, "forward", "").await;
    step(&board, id, "approve", "").await;
    step(&server.login("xuatban").await, id, "publish", "").await;

    let (_, page) = server.page(&status_url).await;
    assert!(
        page.contains("Đã trả lời") && page.contains("tờ khai, mẫu nhãn hiệu"),
        "{page}"
    );
    // A private answer is nowhere else: not listed, not at its address, not searchable.
    let slug = server
        .app
        .store
        .read(move |tx| trangtin::content::editorial::entry(tx, trangtin::content::EntryId(id)))
        .await
        .unwrap()
        .slug;
    assert_eq!(server.get(&format!("/hoi-dap/{slug}")).await.status(), 404);
    let (_, list) = server.page("/hoi-dap").await;
    assert!(!list.contains("Hồ sơ đăng ký nhãn hiệu"));
    let (_, found) = server
        .page("/tim-kiem?q=nh%C3%A3n+hi%E1%BB%87u+h%E1%BB%A3p+t%C3%A1c+x%C3%A3")
        .await;
    assert!(!found.contains(&slug), "not in search");
    let (_, sitemap) = server.page("/sitemap/hoi-dap-1.xml").await;
    assert!(!sitemap.contains(&slug));

    // The asker erases their personal data.
    let r = server
        .client()
        .post(server.url("/hoi-dap/tra-cuu/xoa-du-lieu"))
        .header("origin", format!("https://{}", server.https))
        .form(&[("so", ticket.as_str()), ("ma", key.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Đã xóa họ tên và thư điện tử")
    );
    let (_, detail) = board.get("/quan-tri/hoi-dap/1").await;
    assert!(!detail.contains("Lê Văn Cường") && !detail.contains("cuong@example.vn"));
    let r = server
        .client()
        .post(server.url("/hoi-dap/tra-cuu/xoa-du-lieu"))
        .header("origin", format!("https://{}", server.https))
        .form(&[("so", ticket.as_str()), ("ma", "sai")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "a wrong key erases nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_of_general_interest_are_listed_and_late_questions_are_flagged() {
    let server = TestServer::start_with(|c| c.forms.min_fill = std::time::Duration::ZERO).await;
    ask(
        &server,
        "Doanh nghiệp khoa học và công nghệ được ưu đãi thuế thế nào?",
    )
    .await;
    let (late_ticket, late_key, _) = ask(&server, "Câu hỏi chưa ai trả lời về đo lường.").await;
    let board = server.login("truongban").await;
    let contributor = server.login("donvi").await;
    let unit = unit_of(&server, "donvi").await.to_string();
    board
        .post_ok("/quan-tri/hoi-dap/1/chuyen", &[("don_vi", &unit)])
        .await;
    let location = contributor
        .post_ok(
            "/quan-tri/hoi-dap/1/tra-loi",
            &[
                (
                    "tieu_de",
                    "Ưu đãi thuế cho doanh nghiệp khoa học và công nghệ",
                ),
                (
                    "cau_hoi",
                    "Doanh nghiệp khoa học và công nghệ được ưu đãi thuế thế nào?",
                ),
                (
                    "noi_dung",
                    "<p>Được miễn thuế thu nhập doanh nghiệp 4 năm.</p>",
                ),
                ("cong_khai", "1"),
            ],
        )
        .await;
    let id: u64 = location
        .trim_start_matches("/quan-tri/bai-viet/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    step(&contributor, id, "submit", "").await;
    step(&server.login("tonghop").await, id, "forward", "").await;
    step(&board, id, "approve", "").await;
    step(&server.login("xuatban").await, id, "publish", "").await;
    let (_, list) = server.page("/hoi-dap").await;
    assert!(list.contains("Ưu đãi thuế cho doanh nghiệp"), "listed");
    assert!(list.contains("href=\"/hoi-dap/gui-cau-hoi\""));
    let link = list
        .split("href=\"/hoi-dap/")
        .filter_map(|r| r.split('"').next())
        .find(|s| s.starts_with("uu-dai"))
        .unwrap()
        .to_string();
    let (status, page) = server.page(&format!("/hoi-dap/{link}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("ưu đãi thuế thế nào") && page.contains("miễn thuế"));
    assert!(
        !page.contains("Lê Văn Cường") && !page.contains("cuong@example.vn"),
        "no personal data"
    );

    // Thirty days on, the unanswered question is overdue; the answered one is not.
    server.app.clock.advance(30 * 86_400);
    let board = server.login("truongban").await;
    let (_, overdue) = board.get("/quan-tri/hoi-dap?loc=qua-han").await;
    assert!(
        overdue.contains("HD-000002") && !overdue.contains("HD-000001"),
        "{overdue}"
    );
    assert!(overdue.contains("quá hạn"));

    // Closing needs a reason, which the asker then sees.
    let r = board
        .post("/quan-tri/hoi-dap/2/dong", &[("ly_do", "")])
        .await;
    assert_eq!(r.status(), 422);
    board
        .post_ok(
            "/quan-tri/hoi-dap/2/dong",
            &[("ly_do", "Đã trả lời trong câu hỏi HD-000001.")],
        )
        .await;
    let (_, page) = server
        .page(&format!("/hoi-dap/tra-cuu?so={late_ticket}&ma={late_key}"))
        .await;
    assert!(page.contains("Đã đóng") && page.contains("Đã trả lời trong câu hỏi HD-000001."));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_question_form_refuses_spam_and_keeps_to_the_rate_limit() {
    let server = TestServer::start_with(|c| {
        c.forms.min_fill = std::time::Duration::ZERO;
        c.forms.per_address_per_hour = 1;
    })
    .await;
    let fields = |token: &str, answer: &str, honeypot: &str| {
        vec![
            ("name", "Bot".to_string()),
            ("email", "bot@example.vn".to_string()),
            ("topic", "Khác".to_string()),
            ("text", "Mua thuốc giá rẻ tại đây ngay hôm nay.".to_string()),
            ("consent", "1".to_string()),
            ("website", honeypot.to_string()),
            ("challenge", token.to_string()),
            ("answer", answer.to_string()),
        ]
    };
    let post = |f: Vec<(&'static str, String)>| {
        let server = &server;
        async move {
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            send(server, "/hoi-dap/gui-cau-hoi", &f).await
        }
    };
    let (token, answer) = solve(&server.page("/hoi-dap/gui-cau-hoi").await.1);
    let (status, page) = post(fields(&token, &answer, "http://spam.example")).await;
    assert_eq!(status, 422);
    assert!(page.contains("biểu mẫu có dữ liệu lạ"));
    let (status, _) = post(fields(&token, "99", "")).await;
    assert_eq!(status, 422, "wrong answer");
    // An unknown topic is refused with what was typed kept (the wrong answer spent
    // the last challenge: a fresh one).
    let (token, answer) = solve(&server.page("/hoi-dap/gui-cau-hoi").await.1);
    let mut other = fields(&token, &answer, "");
    other[2].1 = "Chủ đề lạ".into();
    let (status, page) = post(other).await;
    assert_eq!(status, 422);
    assert!(page.contains("Vui lòng chọn lĩnh vực") && page.contains("Mua thuốc giá rẻ"));
    let (token, answer) = solve(&server.page("/hoi-dap/gui-cau-hoi").await.1);
    assert_eq!(post(fields(&token, &answer, "")).await.0, 200);
    let (token, answer) = solve(&server.page("/hoi-dap/gui-cau-hoi").await.1);
    let (status, page) = post(fields(&token, &answer, "")).await;
    assert_eq!(status, 429, "one question per address per hour here");
    assert!(page.contains("quá nhiều lần"));
    let stored = server
        .app
        .store
        .read(trangtin::citizen::questions::all)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_error_of_the_form_is_reported_in_one_pass_next_to_its_field() {
    let server = TestServer::start_with(|c| c.forms.min_fill = std::time::Duration::ZERO).await;
    let (_, html) = server.page("/hoi-dap/gui-cau-hoi").await;
    let (token, answer) = solve(&html);
    let wrong: u32 = answer.parse::<u32>().unwrap_or(0) + 1;
    let wrong = wrong.to_string();
    let (status, page) = send(
        &server,
        "/hoi-dap/gui-cau-hoi",
        &[
            ("name", ""),
            ("email", "cuong@example.vn"),
            ("topic", "Sở hữu trí tuệ"),
            ("text", "Câu hỏi của tôi về nhãn hiệu."),
            ("website", ""),
            ("challenge", &token),
            ("answer", &wrong),
        ],
    )
    .await;
    assert_eq!(status, 422);
    // The wrong answer, the missing name and the missing consent, all at once.
    assert!(
        page.contains("id=\"answer-loi\""),
        "the anti-spam answer's error"
    );
    assert!(page.contains("id=\"name-loi\""), "the name's error");
    assert!(page.contains("id=\"consent-loi\""), "the consent's error");
    assert!(page.contains("aria-invalid=\"true\" aria-describedby=\"name-loi\""));
    assert!(page.contains("aria-invalid=\"true\" aria-describedby=\"answer-loi\""));
    // What the person typed is kept.
    assert!(page.contains("value=\"cuong@example.vn\""));
    assert!(page.contains("Câu hỏi của tôi về nhãn hiệu."));
}
