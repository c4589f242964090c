//! Update deadlines (A2, D1–D6) over HTTPS: an item's source-document date, lateness in
//! working days with the configured holidays, and standing pages not reviewed for
//! months, confirmed with one button.

use crate::admin::{article, entry_id, step};
use crate::support::TestServer;

#[tokio::test(flavor = "multi_thread")]
async fn late_items_are_counted_in_working_days_and_stale_pages_listed() {
    let server = TestServer::start_with(|c| {
        let today = jiff::Timestamp::now()
            .to_zoned_datetime(trangtin::format::vietnam())
            .date();
        // A holiday inside the window makes the deadline a day later.
        let mut day = today.checked_sub(jiff::Span::new().days(20)).unwrap();
        while !trangtin::calendar::Calendar::default().is_working_day(day) {
            day = day.tomorrow().unwrap();
        }
        c.calendar.holidays.push(day);
    })
    .await;
    let today = server.app.today();
    let calendar = server.app.config.calendar.clone();
    let source = today.checked_sub(jiff::Span::new().days(30)).unwrap();
    let source_text = source.to_string();
    let compiler = server.login("tonghop").await;

    // A wrong date is a clear error and keeps the form.
    let mut bad = article("Hướng dẫn mới", "<p>Nội dung hướng dẫn.</p>");
    bad.push(("source_date", "2026-13-45"));
    let r = compiler.post("/quan-tri/bai-viet/moi", &bad).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("Ngày văn bản nguồn không đúng") && body.contains("Hướng dẫn mới"));

    // Guidance published 30 days after its source: past the 15 working days.
    let mut late = article(
        "Hướng dẫn thực hiện Thông tư về đo lường",
        "<p>Nội dung.</p>",
    );
    late.push(("source_date", &source_text));
    let id = entry_id(&compiler.post_ok("/quan-tri/bai-viet/moi", &late).await);
    step(&compiler, id, "submit", "").await;
    step(&compiler, id, "forward", "").await;
    step(&server.login("truongban").await, id, "approve", "").await;
    step(&server.login("xuatban").await, id, "publish", "").await;
    // One still in draft, and one on time.
    let mut pending = article("Hướng dẫn chưa đăng", "<p>Nội dung.</p>");
    pending.push(("source_date", &source_text));
    compiler.post_ok("/quan-tri/bai-viet/moi", &pending).await;
    let mut on_time = article("Hướng dẫn đúng hạn", "<p>Nội dung.</p>");
    let today_text = today.to_string();
    on_time.push(("source_date", &today_text));
    compiler.post_ok("/quan-tri/bai-viet/moi", &on_time).await;

    let due = calendar.add_working_days(source, 15);
    let expected = calendar.working_days_between(due, today);
    assert!(expected > 0);
    let without_holiday = trangtin::calendar::Calendar::default().working_days_between(
        trangtin::calendar::Calendar::default().add_working_days(source, 15),
        today,
    );
    assert_eq!(
        without_holiday,
        expected + 1,
        "the holiday moves the deadline by a day"
    );
    let (status, page) = compiler.get("/quan-tri/thoi-han").await;
    assert_eq!(status, 200);
    assert!(page.contains("Hướng dẫn thực hiện Thông tư về đo lường"));
    assert!(
        page.contains(&format!("{expected} ngày làm việc")),
        "late by {expected}"
    );
    assert!(page.contains(&due.strftime("%d/%m/%Y").to_string()));
    assert!(page.contains("Hướng dẫn chưa đăng") && page.contains("chưa đăng"));
    assert!(!page.contains("Hướng dẫn đúng hạn"));

    // Standing pages: fine today, stale seven months on; one is confirmed.
    assert!(page.contains("Mọi trang đều đã được rà soát gần đây"));
    server.app.clock.advance(7 * 30 * 86_400);
    let board = server.login("truongban").await;
    let (_, page) = board.get("/quan-tri/thoi-han").await;
    let stale = page.matches("/ra-soat\"").count();
    assert!(stale >= 3, "the demo's standing pages are stale: {stale}");
    let first = page
        .split("action=\"/quan-tri/bai-viet/")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap()
        .to_string();
    board
        .post_ok(&format!("/quan-tri/bai-viet/{first}/ra-soat"), &[])
        .await;
    let (_, page) = board.get("/quan-tri/thoi-han").await;
    assert_eq!(page.matches("/ra-soat\"").count(), stale - 1);
    let admin = server.login("admin").await;
    assert!(
        admin
            .get("/quan-tri/nhat-ky")
            .await
            .1
            .contains("Xác nhận trang vẫn đúng")
    );
}
