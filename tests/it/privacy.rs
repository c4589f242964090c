//! Personal data (Law 91/2025/QH15, Decree 356/2025): the notice states real periods,
//! the site erases what is past them by itself, and an asker downloads what is held
//! about their question. Source addresses (Decree 330, S3): on every audit record a
//! request writes, and in the request log, which is pruned past its period.

use crate::questions::ask;
use crate::support::TestServer;

#[tokio::test(flavor = "multi_thread")]
async fn the_privacy_notice_cites_the_law_and_states_the_periods_the_site_enforces() {
    let server = TestServer::start_with(|c| {
        c.forms.keep_personal_data_months = 18;
        c.request_log_days = 120;
    })
    .await;
    let (status, page) = server.page("/xu-ly-du-lieu-ca-nhan").await;
    assert_eq!(status, 200);
    for expected in [
        "91/2025/QH15",
        "356/2025/NĐ-CP",
        "18 tháng",
        "120 ngày",
        "Thống kê truy cập",
        "Chống gửi thư rác",
        "Bản sao lưu",
        "rút lại sự đồng ý",
        "hạn chế xử lý",
        "phản đối",
        "bản sao dữ liệu",
        "khiếu nại",
    ] {
        assert!(page.contains(expected), "the notice lacks {expected:?}");
    }
    assert!(!page.contains("13/2023"), "the replaced decree is gone");
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_erases_an_old_closed_questions_personal_data_and_the_asker_can_download_it() {
    let server = TestServer::start_with(|c| c.forms.min_fill = std::time::Duration::ZERO).await;
    let (ticket, key, _) = ask(&server, "Xin hỏi thủ tục đăng ký nhãn hiệu thế nào?").await;
    let (old_ticket, old_key, _) = ask(&server, "Xin hỏi về hồ sơ đề tài cấp tỉnh?").await;

    // The asker downloads what is held: name and email included.
    let download = |ticket: String, key: String| {
        let server = &server;
        async move {
            server
                .client()
                .post(server.url("/hoi-dap/tra-cuu/tai-du-lieu"))
                .header("origin", format!("https://{}", server.https))
                .form(&[("so", ticket.as_str()), ("ma", key.as_str())])
                .send()
                .await
                .unwrap()
        }
    };
    let r = download(old_ticket.clone(), old_key.clone()).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("{old_ticket}.json"))
    );
    let held: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(held["name"], "Lê Văn Cường");
    assert_eq!(held["email"], "cuong@example.vn");
    assert_eq!(held["question"], "Xin hỏi về hồ sơ đề tài cấp tỉnh?");
    // A wrong key gets nothing.
    let r = download(old_ticket.clone(), "sai".into()).await;
    assert_eq!(r.status(), 404);

    // The second question is closed; the first stays open.
    let board = server.login("truongban").await;
    let seq = old_ticket.trim_start_matches("HD-").parse::<u64>().unwrap();
    board
        .post_ok(
            &format!("/quan-tri/hoi-dap/{seq}/dong"),
            &[("ly_do", "Câu hỏi trùng với câu đã trả lời.")],
        )
        .await;

    // A year on, nothing is erased yet (the default is 24 months)…
    server.app.clock.advance(366 * 86_400);
    assert_eq!(
        trangtin::ops::jobs::erase_expired_personal_data(&server.app)
            .await
            .unwrap(),
        0
    );
    // …past 24 months, the closed question's name and email go; the open one keeps them.
    server.app.clock.advance(400 * 86_400);
    assert_eq!(
        trangtin::ops::jobs::erase_expired_personal_data(&server.app)
            .await
            .unwrap(),
        1
    );
    let held: serde_json::Value = serde_json::from_str(
        &download(old_ticket.clone(), old_key.clone())
            .await
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(held["name"], "");
    assert_eq!(held["email"], "");
    assert!(held["personal_data_erased_at"].is_string(), "{held}");
    assert_eq!(held["question"], "Xin hỏi về hồ sơ đề tài cấp tỉnh?");
    let held: serde_json::Value =
        serde_json::from_str(&download(ticket, key).await.text().await.unwrap()).unwrap();
    assert_eq!(
        held["email"], "cuong@example.vn",
        "an open question keeps its data"
    );
    let (_, status) = server
        .page(&format!("/hoi-dap/tra-cuu?so={old_ticket}&ma={old_key}"))
        .await;
    assert!(status.contains("đã được xóa khỏi hệ thống"), "{status}");

    // The system recorded it; running again erases nothing more.
    let trail = server
        .app
        .store
        .read(|tx| trangtin::audit::tables::AUDIT.values(tx))
        .await
        .unwrap();
    assert!(
        trail
            .iter()
            .any(|r| r.action == "question_personal_data_erased"
                && r.target == old_ticket
                && r.actor.is_empty())
    );
    assert_eq!(
        trangtin::ops::jobs::erase_expired_personal_data(&server.app)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_records_and_the_request_log_carry_the_source_address() {
    let server = TestServer::start().await;
    let admin = server.login("admin").await;
    let before = server
        .app
        .store
        .read(|tx| trangtin::audit::tables::AUDIT.values(tx))
        .await
        .unwrap()
        .len();
    // Actions deep in the workflow and settings, not only logins.
    let id = server.user_id("donvi").await;
    let r = admin
        .post(&format!("/quan-tri/nguoi-dung/{id}/mat-khau"), &[])
        .await;
    assert_eq!(r.status(), 200);
    let writer = server.login("tonghop").await;
    let (_, new) = writer.get("/quan-tri/bai-viet/moi").await;
    assert!(new.contains("csrf"));
    // Every workflow step, publication included (run in a task of its own).
    crate::admin::publish_through_workflow(&server, "Tin thử địa chỉ nguồn", "<p>Nội dung.</p>")
        .await;
    let trail = server
        .app
        .store
        .read(|tx| trangtin::audit::tables::AUDIT.values(tx))
        .await
        .unwrap();
    let fresh = &trail[before..];
    assert!(fresh.iter().any(|r| r.action == "password_reset_link"));
    assert!(fresh.iter().any(|r| r.action == "login"));
    assert!(
        fresh.iter().any(|r| r.action == "step:publish"),
        "{fresh:?}"
    );
    for record in fresh {
        assert_eq!(record.ip, "127.0.0.1", "{record:?} has no source address");
    }

    // The request log: one line per request with the address, in today's file.
    let today = server.app.today();
    let file = server
        .data
        .join("logs")
        .join(format!("requests-{today}.log"));
    let mut text = String::new();
    for _ in 0..100 {
        text = std::fs::read_to_string(&file).unwrap_or_default();
        if text.contains("/quan-tri/bai-viet/moi") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let line = text
        .lines()
        .find(|l| l.contains(" GET /quan-tri/bai-viet/moi "))
        .unwrap_or_else(|| panic!("no line for the request in {text}"));
    assert!(
        line.contains(" 127.0.0.1 GET /quan-tri/bai-viet/moi 200 "),
        "{line}"
    );

    // Files past the period go; the configured minimum is 90 days.
    let old = server.data.join("logs").join("requests-2020-01-01.log");
    std::fs::write(&old, "old\n").unwrap();
    let removed = trangtin::http::access_log::prune(&server.data.join("logs"), today, 90).unwrap();
    assert_eq!(removed, 1);
    assert!(!old.exists() && file.exists());
    let refused =
        trangtin::config::Config::from_toml("[logs]\nretention_days = 30", &Default::default());
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("logs.retention_days")
    );
}

/// The server gzips each closed day's request log itself (the job that prunes them runs
/// at start and hourly), keeps the last two days plain, and goes on logging requests.
#[tokio::test(flavor = "multi_thread")]
async fn the_server_compresses_closed_days_of_the_request_log() {
    use std::io::Read as _;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = TestServer::start_in(&data, |_| {}).await;
    let today = server.app.today();
    server.stop().await;

    let logs = data.join("logs");
    let day = |back: i64| today.checked_sub(jiff::Span::new().days(back)).unwrap();
    let plain = |back: i64| logs.join(format!("requests-{}.log", day(back)));
    let text = |back: i64| {
        format!(
            "{}T03:00:00.000Z 203.0.113.7 GET /tin-tuc 200 0.4 r1\n",
            day(back)
        )
        .repeat(500)
    };
    std::fs::create_dir_all(&logs).unwrap();
    for back in [1, 3, 40] {
        std::fs::write(plain(back), text(back)).unwrap();
    }

    let server = TestServer::start_in(&data, |_| {}).await;
    let gzipped = |back: i64| logs.join(format!("requests-{}.log.gz", day(back)));
    for _ in 0..100 {
        if gzipped(3).exists() && gzipped(40).exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for back in [3, 40] {
        assert!(!plain(back).exists(), "{} is still plain", day(back));
        let mut unpacked = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(gzipped(back)).unwrap())
            .read_to_string(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, text(back));
    }
    // Yesterday's stays plain: the writer may still add its last lines.
    assert_eq!(std::fs::read_to_string(plain(1)).unwrap(), text(1));
    assert!(!gzipped(1).exists());
    // Visitors' addresses are for the server's user only, in files an older version
    // left readable by all (written above with the default mode) as in new ones.
    let mode = |path: &std::path::Path| {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(mode(&logs), 0o700);
    for path in [plain(1), gzipped(3), gzipped(40)] {
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }

    // Requests are logged on, in today's file.
    assert_eq!(server.get("/").await.status(), 200);
    let mut logged = String::new();
    for _ in 0..100 {
        logged = std::fs::read_to_string(plain(0)).unwrap_or_default();
        if logged.contains(" GET / 200 ") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(logged.contains(" GET / 200 "), "{logged}");
    assert_eq!(mode(&plain(0)), 0o600);
    server.stop().await;
}
