//! Operating the box: health and readiness probes, systemd's notify protocol, and
//! `trangtin doctor` on a healthy and on a broken data folder.

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{TestServer, trangtin};

#[tokio::test(flavor = "multi_thread")]
async fn health_and_readiness_answer_without_a_session() {
    let server = TestServer::start().await;
    let (status, body) = server.page("/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    let response = server.get("/readyz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.text().await.unwrap(), "ready\n");
}

#[test]
fn the_server_tells_systemd_it_is_ready_and_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_trangtin"))
        .arg("--data")
        .arg(dir.path().join("data"))
        .args(["--https", "127.0.0.1:0", "--http", "off"])
        .env("NOTIFY_SOCKET", &socket_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut buffer = [0u8; 512];
    let n = socket.recv(&mut buffer).expect("a notification");
    let message = String::from_utf8_lossy(&buffer[..n]).into_owned();
    assert!(message.contains("READY=1"), "{message}");
    // Ready means serving: the control socket answers now.
    assert!(trangtin::ops::control::server_running(
        &dir.path().join("data")
    ));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let n = socket.recv(&mut buffer).expect("a notification");
    assert!(String::from_utf8_lossy(&buffer[..n]).contains("STOPPING=1"));
    assert!(child.wait().unwrap().success());
}

fn checklist(out: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_passes_a_healthy_folder_and_names_what_is_wrong_with_a_broken_one() {
    // Healthy: the daily backup (with its restore drill) and check have run.
    let server = TestServer::start_with(|c| {
        c.backup.enabled = true;
        c.backup.at = jiff::civil::time(0, 0, 0, 0);
        c.integrity.daily = true;
        c.integrity.at = jiff::civil::time(0, 0, 0, 0);
    })
    .await;
    std::fs::set_permissions(&server.data, std::fs::Permissions::from_mode(0o700)).unwrap();
    let started = Instant::now();
    loop {
        let (backup, check) = server
            .app
            .store
            .read(|tx| -> Result<_, trangtin::store::Error> {
                Ok((
                    trangtin::backup::schedule::last_run(tx)?,
                    trangtin::integrity::latest(tx)?,
                ))
            })
            .await
            .unwrap();
        if backup.is_some() && check.is_some() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "daily jobs ran"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let data = server.data.clone();
    let out = tokio::task::spawn_blocking(move || trangtin(&data, &["doctor"], ""))
        .await
        .unwrap();
    let lines = checklist(&out);
    for expected in [
        "[ok]   configuration is valid",
        "[ok]   data folder is writable",
        "[ok]   last daily backup",
        "[ok]   last verified restore",
        "[ok]   last integrity check",
        "[ok]   certificate for",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(expected)),
            "{expected}: {lines:#?}"
        );
    }
    // The only failure a healthy folder may show is a nearly full disk on the machine
    // that runs the tests.
    let failures: Vec<_> = lines.iter().filter(|l| l.starts_with("[FAIL]")).collect();
    assert!(
        failures.iter().all(|l| l.contains("free of")),
        "{failures:#?}"
    );
    if failures.is_empty() {
        assert_eq!(out.status.code(), Some(0));
    }

    // Broken: nothing has run, and the folder and key are open to others.
    let broken = TestServer::start().await;
    std::fs::set_permissions(&broken.data, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        broken.data.join("secret.key"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    // The doctor asks the running server; its socket is bound once it serves.
    while !trangtin::ops::control::server_running(&broken.data) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let data = broken.data.clone();
    let out = tokio::task::spawn_blocking(move || trangtin(&data, &["doctor"], ""))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let lines = checklist(&out);
    for expected in [
        "is open to other users",
        "secret.key is readable by others",
        "no restore of a backup has been verified yet",
        "the integrity check has never run",
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("[FAIL]") && l.contains(expected)),
            "{expected}: {lines:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_routes_latency_cache_and_the_box() {
    let server = TestServer::start().await;
    for _ in 0..3 {
        assert_eq!(server.page("/tin-tuc").await.0, 200);
    }
    assert_eq!(server.page("/khong-co-trang-nay").await.0, 404);
    let (status, text) = server.page("/metrics").await;
    assert_eq!(status, 200);
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix}: {text}"))
            .to_string()
    };
    assert!(line("trangtin_requests_total{route=\"/tin-tuc\",status=\"200\"}").ends_with(" 3"));
    assert!(line("trangtin_requests_total{route=\"unmatched\",status=\"404\"}").ends_with(" 1"));
    let count: u64 = line("trangtin_request_duration_seconds_count ")
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(count >= 4);
    assert!(
        line("trangtin_request_duration_seconds_bucket{le=\"+Inf\"}")
            .ends_with(&format!(" {count}"))
    );
    // Three reads of one page: one miss, then hits.
    let hits: u64 = line("trangtin_page_cache_hits_total ")
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(hits >= 2, "{text}");
    for name in [
        "trangtin_page_cache_hit_ratio ",
        "trangtin_store_bytes ",
        "trangtin_blob_bytes ",
        "trangtin_certificate_expiry_seconds ",
    ] {
        line(name);
    }
}

fn html_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            html_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "html") {
            out.push(path);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn export_writes_a_mirror_in_which_every_internal_link_resolves() {
    let server = TestServer::start().await;
    while !trangtin::ops::control::server_running(&server.data) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let mirror = dir.path().join("mirror");
    let data = server.data.clone();
    let target = mirror.clone();
    let out = tokio::task::spawn_blocking(move || {
        trangtin(&data, &["export", "--out", target.to_str().unwrap()], "")
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in [
        "index.html",
        "tin-tuc/index.html",
        "tin-tuc/trang-2.html",
        "so-do-trang/index.html",
        "du-lieu/van-ban.json",
        "tim-kiem/index.html",
    ] {
        assert!(mirror.join(file).is_file(), "{file}");
    }
    let mut pages = Vec::new();
    html_files(&mirror, &mut pages);
    assert!(pages.len() > 30, "{} pages", pages.len());
    let mut checked = 0;
    for page in &pages {
        let html = std::fs::read_to_string(page).unwrap();
        for attribute in ["href=\"", "src=\"", "action=\""] {
            for piece in html.split(attribute).skip(1) {
                let link = piece.split('"').next().unwrap().replace("&amp;", "&");
                if !link.starts_with('/') || link.starts_with("//") {
                    continue;
                }
                assert!(!link.contains('?'), "{}: {link}", page.display());
                let file = mirror.join(trangtin::ops::export::file_for(&link));
                assert!(
                    file.is_file(),
                    "{}: {link} → {}",
                    page.display(),
                    file.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "{checked} links checked");
    // A second export into the same folder is refused rather than mixed.
    let data = server.data.clone();
    let again = tokio::task::spawn_blocking(move || {
        trangtin(&data, &["export", "--out", mirror.to_str().unwrap()], "")
    })
    .await
    .unwrap();
    assert_eq!(again.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_resource_dashboard_charts_hourly_samples_and_warns_past_thresholds() {
    let server = TestServer::start().await;
    for _ in 0..5 {
        assert_eq!(server.page("/").await.0, 200);
    }
    let sample = trangtin::ops::jobs::sample_resources(&server.app)
        .await
        .unwrap();
    assert!(sample.requests >= 5, "{sample:?}");
    assert!(sample.disk_total > 0 && sample.memory_total > 0);
    assert!(sample.p95_ms > 0.0);
    let admin = server.login("admin").await;
    let (status, page) = admin.get("/quan-tri/tai-nguyen").await;
    assert_eq!(status, 200);
    assert!(page.contains("Lần ghi nhận gần nhất"));
    assert_eq!(page.matches("<figure class=\"chart-box\">").count(), 5);
    assert!(page.contains("role=\"img\""));
    // A full disk, a day later: the page and every administrator's page warn.
    let full = trangtin::ops::resources::Sample {
        at: server.app.clock.now() + jiff::SignedDuration::from_hours(24),
        disk_used: 95,
        disk_total: 100,
        memory_used: 1,
        memory_total: 2,
        load: 0.1,
        requests: 1000,
        p95_ms: 12.0,
    };
    server
        .app
        .store
        .write(move |tx| trangtin::ops::resources::record(tx, &full))
        .await
        .unwrap();
    server.app.clock.advance(24 * 3600);
    let admin = server.login("admin").await;
    let (_, page) = admin.get("/quan-tri/tai-nguyen").await;
    assert!(page.contains("Ổ đĩa dữ liệu đã dùng 95 %"), "{page}");
    let (_, inbox) = admin.get("/quan-tri").await;
    assert!(inbox.contains("Ổ đĩa dữ liệu đã dùng 95 %"));
    let donvi = server.login("donvi").await;
    assert_eq!(donvi.get("/quan-tri/tai-nguyen").await.0, 403);
}
