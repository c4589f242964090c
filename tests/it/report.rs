//! The annual report (O2): counted from what the site did, shown to the leadership and
//! the Board, and as CSV.

use crate::support::TestServer;

#[tokio::test(flavor = "multi_thread")]
async fn the_annual_report_counts_the_years_work_and_exports_csv() {
    let server = TestServer::start_with(|c| c.forms.min_fill = std::time::Duration::ZERO).await;
    // A question this year, and an hourly sample.
    crate::questions::ask(&server, "Xin hỏi thủ tục đăng ký nhãn hiệu thế nào?").await;
    trangtin::ops::jobs::sample_resources(&server.app)
        .await
        .unwrap();
    let year = server.app.today().year();

    let leader = server.login("lanhdao").await;
    let (status, page) = leader.get("/quan-tri/bao-cao-nam").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&format!("Báo cáo năm {year}")));
    for section in [
        "Thông tin được đăng",
        "Bảo đảm thời hạn cập nhật",
        "Tiếp nhận, trả lời người dân",
        "Hoạt động của hệ thống",
        "Tỷ lệ thời gian hoạt động",
        "Kiểm tra toàn vẹn dữ liệu",
    ] {
        assert!(page.contains(section), "the report lacks {section}");
    }
    // The demo's content was published this year (the seed's clock).
    let published: usize = page
        .split("Tổng số mục đăng lần đầu trong kỳ: <strong>")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(published > 10, "{published}");
    assert!(page.contains("<tr><th scope=\"row\">Câu hỏi tiếp nhận</th><td>1</td></tr>"));

    let r = leader
        .client
        .get(server.url(&format!("/quan-tri/bao-cao-nam.csv?nam={year}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("bao-cao-nam-{year}.csv"))
    );
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with("\u{feff}Phần,Mục,Giá trị\r\n"));
    assert!(csv.contains(&format!("Thông tin đăng,Tổng số,{published}\r\n")));
    assert!(csv.contains("Hỏi – đáp,Tiếp nhận,1\r\n"));

    // A year before the site existed reports nothing; a year in the future is refused.
    let (_, empty) = leader.get("/quan-tri/bao-cao-nam?nam=2001").await;
    assert!(empty.contains("Tổng số mục đăng lần đầu trong kỳ: <strong>0</strong>"));
    assert_eq!(leader.get("/quan-tri/bao-cao-nam?nam=3000").await.0, 400);
    // A contributor does not see it.
    let contributor = server.login("donvi").await;
    assert_eq!(contributor.get("/quan-tri/bao-cao-nam").await.0, 403);
}
