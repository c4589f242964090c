//! "Thống kê truy cập" over HTTPS: page views of citizens count once per visitor per
//! day, without cookies; assets, the admin and crawlers do not count; the counts
//! survive a restart.

use crate::support::TestServer;

async fn get_as(server: &TestServer, path: &str, agent: &str) -> reqwest::Response {
    server
        .client()
        .get(server.url(path))
        .header("user-agent", agent)
        .send()
        .await
        .unwrap()
}

async fn counts(server: &TestServer) -> serde_json::Value {
    let r = get_as(server, "/thong-ke-truy-cap.json", "Mozilla/5.0 test").await;
    assert_eq!(r.headers()["cache-control"], "no-store");
    serde_json::from_str(&r.text().await.unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn visitors_are_counted_without_cookies_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = TestServer::start_in(&data, |_| {}).await;
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
    let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36";
    for path in ["/", "/tin-tuc", "/so-do-trang"] {
        let r = get_as(&server, path, firefox).await;
        assert_eq!(r.status(), 200);
        assert!(
            r.headers().get("set-cookie").is_none(),
            "no cookie on {path}"
        );
    }
    get_as(&server, "/", chrome).await;
    get_as(
        &server,
        "/",
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
    )
    .await;
    get_as(&server, "/robots.txt", "Mozilla/5.0 other").await;
    get_as(&server, "/quan-tri/dang-nhap", "Mozilla/5.0 staff").await;
    let c = counts(&server).await;
    assert_eq!(
        (
            c["online"].as_u64(),
            c["today"].as_u64(),
            c["total"].as_u64()
        ),
        (Some(2), Some(2), Some(2)),
        "{c}"
    );

    // The page for browsers without script, and the footer's slot for the numbers.
    let (_, page) = server.page("/thong-ke-truy-cap").await;
    assert!(page.contains("Tổng lượt truy cập") && page.contains("<td>"));
    let (_, home) = server.page("/").await;
    assert!(home.contains("data-visits") && home.contains("href=\"/thong-ke-truy-cap\""));

    // Saved each minute; a restart carries today's and the total on.
    trangtin::ops::jobs::save_visits(&server.app).await.unwrap();
    drop(server);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let server = TestServer::start_in(&data, |_| {}).await;
    let c = counts(&server).await;
    assert_eq!(
        (c["today"].as_u64(), c["total"].as_u64()),
        (Some(2), Some(2)),
        "{c}"
    );
    get_as(&server, "/", "Mozilla/5.0 a third browser").await;
    let c = counts(&server).await;
    assert_eq!(
        (c["today"].as_u64(), c["total"].as_u64()),
        (Some(3), Some(3)),
        "{c}"
    );
}
