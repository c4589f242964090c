//! Faults made on purpose: bodies that never arrive, heads too large to take, floods.
//! The server answers each with a status, stays up, and keeps serving everyone else.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::binary::Binary;
use crate::support::{TestServer, status_of};

const STALLED_POST: &[u8] = b"POST /hoi-dap/gui-cau-hoi HTTP/1.1\r\nHost: 127.0.0.1\r\n\
    Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n";

/// Reads what the server sends until it closes (or `limit` passes).
async fn read_until_closed(
    conn: &mut (impl tokio::io::AsyncRead + Unpin),
    limit: Duration,
) -> Option<String> {
    let mut out = Vec::new();
    match tokio::time::timeout(limit, conn.read_to_end(&mut out)).await {
        Ok(_) => Some(String::from_utf8_lossy(&out).into_owned()),
        Err(_) => None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_stops_arriving_gets_408_and_its_connection_closes() {
    let server = TestServer::start_with(|c| c.limits.body_timeout = Duration::from_secs(2)).await;
    let mut conn = server.raw_connection().await;
    conn.write_all(STALLED_POST).await.unwrap();
    conn.write_all(b"ten=Nguy%E1%BB%85n").await.unwrap();
    let started = Instant::now();
    let answer = read_until_closed(&mut conn, Duration::from_secs(20))
        .await
        .expect("the server closes the connection");
    assert_eq!(status_of(&answer), 408, "{answer}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"));
    assert!(answer.contains("Quá thời gian chờ"), "the Vietnamese page");
    assert!(started.elapsed() < Duration::from_secs(15));
    // Everyone else is still served.
    assert_eq!(server.page("/").await.0, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_over_the_caps_are_refused_at_once_and_the_slots_come_back() {
    let server = TestServer::start_with(|c| {
        c.limits.max_pending_bodies_per_ip = 2;
        c.limits.body_timeout = Duration::from_secs(3);
    })
    .await;
    let mut stalled = Vec::new();
    for _ in 0..2 {
        let mut conn = server.raw_connection().await;
        conn.write_all(STALLED_POST).await.unwrap();
        stalled.push(conn);
    }
    // Let the server take both heads before the third arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut third = server.raw_connection().await;
    third.write_all(STALLED_POST).await.unwrap();
    let answer = read_until_closed(&mut third, Duration::from_secs(2))
        .await
        .expect("refused at once, not after the body deadline");
    assert_eq!(status_of(&answer), 503, "{answer}");
    assert!(answer.to_ascii_lowercase().contains("retry-after: 10"));
    assert!(answer.contains("Máy chủ đang bận"));
    // The stalled two run out of time, and their places are free again.
    for mut conn in stalled {
        let answer = read_until_closed(&mut conn, Duration::from_secs(20)).await;
        assert_eq!(status_of(&answer.unwrap_or_default()), 408);
    }
    let form = server
        .client()
        .post(server.url("/hoi-dap/gui-cau-hoi"))
        .form(&[("ho_ten", "Trần Văn A")])
        .send()
        .await
        .unwrap();
    assert_ne!(form.status(), 503);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_head_is_answered_before_the_connection_closes() {
    let server = TestServer::start().await;
    // The client writes all 100 KB before it reads: it must still read the status.
    for (request, expected) in [
        (
            format!(
                "GET /tim-kiem?q={} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                "a".repeat(100_000)
            ),
            414,
        ),
        (
            format!(
                "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {}\r\n\r\n",
                "c".repeat(100_000)
            ),
            431,
        ),
    ] {
        let mut conn = server.raw_connection().await;
        conn.write_all(request.as_bytes())
            .await
            .expect("the server keeps reading while the client sends");
        let answer = read_until_closed(&mut conn, Duration::from_secs(10))
            .await
            .expect("closed after the answer");
        assert_eq!(status_of(&answer), expected, "{answer}");
    }
    // HTTP/2 answers the same with a status, not a refused stream (a client's URI
    // type stops at 64 KiB).
    let long = format!("/tim-kiem?q={}", "a".repeat(60_000));
    let response = server.client().get(server.url(&long)).send().await.unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(response.status(), 414);
    let response = server
        .client()
        .get(server.url("/"))
        .header("x-filler", "f".repeat(40_000))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 431);
    // Under the limits all is well.
    let fine = format!("/tim-kiem?q={}", "a".repeat(7_000));
    assert_eq!(server.page(&fine).await.0, 200);
}

/// Outcomes of the flood's connections.
#[derive(Default)]
struct Tally {
    refused: AtomicUsize,
    timed_out: AtomicUsize,
}

/// One attacker: from 127.0.0.`address`, declares a 100 KB body and sends none of it,
/// again and again until `stop`.
async fn stall_bodies(
    address: u8,
    port: u16,
    config: Arc<rustls::ClientConfig>,
    stop: Arc<AtomicBool>,
    tally: Arc<Tally>,
) {
    let server = SocketAddr::from(([127, 0, 0, 1], port));
    while !stop.load(Ordering::Relaxed) {
        let Ok(socket) = tokio::net::TcpSocket::new_v4() else {
            return;
        };
        if socket
            .bind(SocketAddr::from(([127, 0, 0, address], 0)))
            .is_err()
        {
            return;
        }
        let connected = async {
            let tcp = socket.connect(server).await.ok()?;
            let name = rustls_pki_types::ServerName::IpAddress(server.ip().into());
            tokio_rustls::TlsConnector::from(config.clone())
                .connect(name, tcp)
                .await
                .ok()
        };
        let Some(mut conn) = connected.await else {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        };
        if conn.write_all(STALLED_POST).await.is_err() {
            continue;
        }
        let mut out = Vec::new();
        let read = tokio::select! {
            read = conn.read_to_end(&mut out) => read,
            () = async { while !stop.load(Ordering::Relaxed) { tokio::time::sleep(Duration::from_millis(100)).await } } => return,
        };
        if read.is_err() && out.is_empty() {
            continue;
        }
        match status_of(&String::from_utf8_lossy(&out)) {
            503 => {
                tally.refused.fetch_add(1, Ordering::Relaxed);
                // Told to come back in 10 s, an attacker comes back sooner.
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            408 => {
                tally.timed_out.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }
}

/// 17 addresses × 64 connections, each declaring a body and never sending it (the
/// probe that once held every connection for 40 s): a fresh client keeps being
/// served, the caps refuse the excess at once, and the deadline ends the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_body_flood_leaves_a_fresh_client_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = Binary::serve(&dir.path().join("data"), "");
    let config = Arc::new(server.tls_config());
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let mut attackers = Vec::new();
    for address in 2..=18u8 {
        for _ in 0..64 {
            attackers.push(tokio::spawn(stall_bodies(
                address,
                server.port,
                config.clone(),
                stop.clone(),
                tally.clone(),
            )));
        }
    }
    let started = Instant::now();
    let (mut served, mut slowest) = (0, Duration::ZERO);
    while started.elapsed() < Duration::from_secs(20) {
        let asked = Instant::now();
        // A new client each time: a new connection and handshake, as a citizen's is.
        let answer = tokio::time::timeout(
            Duration::from_secs(5),
            server.client().get(server.url("/")).send(),
        )
        .await;
        let status = match answer {
            Ok(Ok(response)) => response.status().as_u16(),
            Ok(Err(e)) => panic!("the fresh client failed after {served} answers: {e}"),
            Err(waited) => panic!("the fresh client waited ({waited}) after {served} answers"),
        };
        assert_eq!(status, 200);
        served += 1;
        slowest = slowest.max(asked.elapsed());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for attacker in attackers {
        let _ = tokio::time::timeout(Duration::from_secs(5), attacker).await;
    }
    let (refused, timed_out) = (
        tally.refused.load(Ordering::Relaxed),
        tally.timed_out.load(Ordering::Relaxed),
    );
    eprintln!(
        "slow-body flood: {served} fresh requests served, slowest {} ms; \
         {refused} stalled bodies refused at once, {timed_out} ended by the deadline",
        slowest.as_millis()
    );
    assert!(refused > 0, "the caps refused the excess");
    assert!(timed_out > 0, "the deadline ended stalled bodies");
}

/// A small tmpfs mounted for one test, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
    sudo: bool,
}

impl Tmpfs {
    /// Mounted as root, or through `sudo -n` (owned by this user), as CI allows; `None`
    /// where neither works.
    fn mount(mebibytes: u32) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        // SAFETY: getuid and getgid cannot fail and touch no memory.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        let options = format!("size={mebibytes}m,mode=0700,uid={uid},gid={gid}");
        let try_mount = |program: &str, args: &[&str]| {
            std::process::Command::new(program)
                .args(args)
                .args(["mount", "-t", "tmpfs", "-o", &options, "tmpfs"])
                .arg(dir.path())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        let mounted = if uid == 0 {
            try_mount("env", &[])
        } else {
            try_mount("sudo", &["-n"])
        };
        mounted.then_some(Tmpfs {
            dir,
            sudo: uid != 0,
        })
    }

    fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Writes a file that takes every byte left.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let filler = self.path().join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        for chunk in [1 << 20, 4096, 1] {
            let block = vec![0xEEu8; chunk];
            while file.write_all(&block).is_ok() {}
        }
        let _ = file.sync_all();
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let mut umount = if self.sudo {
            let mut sudo = std::process::Command::new("sudo");
            sudo.args(["-n", "umount"]);
            sudo
        } else {
            std::process::Command::new("umount")
        };
        let _ = umount.arg("-l").arg(self.dir.path()).status();
    }
}

/// Files the server leaves only while it works: none may stay behind.
fn leftovers(folder: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![folder.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(entry.path());
            } else if name.starts_with(".tmp") || name.ends_with("-probe") {
                found.push(entry.path().display().to_string());
            }
        }
    }
    found
}

/// The data folder on a 64 MiB tmpfs, which the test then fills: writes answer 503
/// with the Vietnamese page and `/readyz` says why; once the space is freed the server
/// reopens and verifies its database by itself, without a restart, and writes work.
#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_refuses_writes_and_heals_when_space_returns() {
    let Some(disk) = Tmpfs::mount(64) else {
        crate::support::missing_tool(
            "a_full_disk_refuses_writes_and_heals_when_space_returns",
            "permission to mount a tmpfs",
            "run the tests as root or with passwordless sudo",
        );
        return;
    };
    let data = disk.path().join("data");
    let mut server = Binary::serve(
        &data,
        "[login]\nmax_failures_per_address = 100000\ndelay_step_ms = 0\n",
    );
    // A failed login is a write (the failure is counted).
    let (status, _) = server.login_attempt("khong-co-0", "sai").await;
    assert!(status < 500, "{status}");
    let filler = disk.fill();
    let mut refused = None;
    for n in 1..=300 {
        let (status, page) = server.login_attempt(&format!("khong-co-{n}"), "sai").await;
        if status == 503 {
            eprintln!("full disk: the write of login failure {n} was refused");
            refused = Some(page);
            break;
        }
    }
    let page = refused.expect("a write failed once the disk was full");
    assert!(
        page.contains("Hệ thống tạm thời không ghi được dữ liệu"),
        "{page}"
    );
    // More writes meet the same state: each gets its 503, the log one line for them.
    for n in 1..=10 {
        let (status, _) = server.login_attempt(&format!("lai-{n}"), "sai").await;
        assert_eq!(status, 503);
    }
    let told = server
        .read_log()
        .iter()
        .filter(|l| l.contains("answered 503"))
        .count();
    assert!(
        (1..=2).contains(&told),
        "{told} lines for 11 refusals:\n{}",
        server.log.join("\n")
    );
    let (status, why) = server.page("/readyz").await;
    assert_eq!(status, 503);
    assert!(why.contains("refuses writes"), "{why}");
    // Reading still works.
    assert_eq!(server.page("/").await.0, 200);

    std::fs::remove_file(&filler).unwrap();
    let started = Instant::now();
    while server.page("/readyz").await.0 != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not ready 30 s after the space came back:\n{}",
            server.read_log().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (status, _) = server.login_attempt("khong-co-sau", "sai").await;
    assert!(status < 500, "writes work again: {status}");
    assert!(server.exited().is_none(), "healed without a restart");
    assert!(
        server
            .read_log()
            .iter()
            .any(|l| l.contains("reopened and verified")),
        "{}",
        server.log.join("\n")
    );
    assert_eq!(leftovers(&data), Vec::<String>::new());
    for line in server.read_log().iter().filter(|l| l.contains("database")) {
        eprintln!("{line}");
    }
    assert!(server.stop().success());
}

/// Signed-in editors see why their saves fail while the disk is full, and the banner
/// goes once the server has healed.
#[tokio::test(flavor = "multi_thread")]
async fn editors_see_a_banner_while_the_disk_refuses_writes() {
    let Some(disk) = Tmpfs::mount(64) else {
        crate::support::missing_tool(
            "editors_see_a_banner_while_the_disk_refuses_writes",
            "permission to mount a tmpfs",
            "run the tests as root or with passwordless sudo",
        );
        return;
    };
    let server = TestServer::start_in(&disk.path().join("data"), |_| {}).await;
    let writer = server.login("tonghop").await;
    const BANNER: &str = "Hệ thống tạm thời không ghi được dữ liệu";
    assert!(!writer.get("/quan-tri").await.1.contains(BANNER));
    let filler = disk.fill();
    let mut refused = false;
    for n in 0..50 {
        let title = format!("Bài viết khi ổ đĩa đầy số {n}");
        let saved = writer
            .post(
                "/quan-tri/bai-viet/moi",
                &crate::admin::article(&title, &"<p>Nội dung dài.</p>".repeat(200)),
            )
            .await;
        if saved.status() == 503 {
            assert!(saved.text().await.unwrap().contains(BANNER));
            refused = true;
            break;
        }
    }
    assert!(refused, "a save failed once the disk was full");
    let (status, page) = writer.get("/quan-tri").await;
    assert_eq!(status, 200, "reading goes on");
    assert!(page.contains(BANNER), "the banner says why");
    std::fs::remove_file(&filler).unwrap();
    let started = Instant::now();
    while server.app.store.write_fault().is_some() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "healed in time"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(!writer.get("/quan-tri").await.1.contains(BANNER));
    server.stop().await;
}

/// A backup that cannot be written says why in Vietnamese, with no English detail on
/// the page, and leaves no partial archive.
#[tokio::test(flavor = "multi_thread")]
async fn a_backup_onto_a_full_disk_says_why_in_vietnamese() {
    let Some(disk) = Tmpfs::mount(8) else {
        crate::support::missing_tool(
            "a_backup_onto_a_full_disk_says_why_in_vietnamese",
            "permission to mount a tmpfs",
            "run the tests as root or with passwordless sudo",
        );
        return;
    };
    let backups = disk.path().join("backups");
    let dir = backups.clone();
    let server = TestServer::start_with(move |c| c.backup.dir = Some(dir)).await;
    let admin = server.login("admin").await;
    disk.fill();
    let answer = admin.post("/quan-tri/sao-luu", &[]).await;
    let page = answer.text().await.unwrap();
    assert!(
        page.contains("Không tạo được bản sao lưu: ổ đĩa chứa bản sao lưu đã hết chỗ trống"),
        "{page}"
    );
    assert!(!page.contains("No space left"), "no English on the page");
    let archives: Vec<_> = std::fs::read_dir(&backups)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        archives
            .iter()
            .all(|n| !n.to_string_lossy().ends_with(".tar.zst")),
        "no partial archive: {archives:?}"
    );
}

/// The search results' count line and titles, to compare one answer with another.
fn search_results(page: &str) -> Vec<String> {
    page.lines()
        .filter(|l| l.contains("class=\"lead\"") || l.contains("class=\"card-title\""))
        .map(|l| l.trim().to_string())
        .collect()
}

/// Cuts each segment's postings (`.idx`) in the search folder under `data` short, as a
/// disk fault or a bad copy leaves them; how many it cut.
fn cut_search_segments(data: &std::path::Path) -> usize {
    let mut cut = 0;
    for file in std::fs::read_dir(data.join("search")).unwrap() {
        let path = file.unwrap().path();
        if path.extension().is_some_and(|e| e == "idx") {
            let len = std::fs::metadata(&path).unwrap().len();
            std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .unwrap()
                .set_len(len.min(8192) / 2)
                .unwrap();
            cut += 1;
        }
    }
    cut
}

/// A search index whose files were damaged (its segments' postings cut short, as a
/// disk fault or a bad copy leaves them) rebuilds itself from the store: meanwhile a
/// search says so in Vietnamese with 503, not a bare 500, and afterwards it finds what
/// it found before, without a restart or an operator.
#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_search_index_rebuilds_itself() {
    let server = TestServer::start().await;
    let query = "/tim-kiem?q=khoa+h%E1%BB%8Dc";
    let (status, page) = server.page(query).await;
    assert_eq!(status, 200);
    let before = search_results(&page);
    assert!(before.len() > 2, "{before:?}");
    assert!(before[0].contains("Tìm thấy"), "{before:?}");

    assert!(
        cut_search_segments(&server.data) > 0,
        "no segment files to damage"
    );

    let (status, page) = server.page(query).await;
    assert_eq!(status, 503, "{page}");
    assert!(page.contains("Tìm kiếm đang được khôi phục"), "{page}");
    assert!(page.contains("dựng lại tự động"), "{page}");
    // The rest of the site is untouched.
    assert_eq!(server.page("/").await.0, 200);

    let started = Instant::now();
    let after = loop {
        let (status, page) = server.page(query).await;
        if status == 200 {
            break page;
        }
        assert_eq!(status, 503, "{page}");
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the index was not rebuilt within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(search_results(&after), before);
    // The rebuild ends just after its searcher reloads.
    until_repaired(&server).await;
}

/// Waits (up to 60 s) until no search index repair runs.
async fn until_repaired(server: &TestServer) {
    let started = Instant::now();
    while server.app.search_repair.is_running() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the rebuild never ended"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A server starts over a search index damaged while it was stopped (the index is
/// derived: started afresh and rebuilt), instead of refusing to start and taking the
/// whole site down with it.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_starts_over_a_damaged_search_index() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let query = "/tim-kiem?q=khoa+h%E1%BB%8Dc";
    let server = TestServer::start_in(&data, |_| {}).await;
    let before = search_results(&server.page(query).await.1);
    assert!(before.len() > 2, "{before:?}");
    server.stop().await;
    assert!(cut_search_segments(&data) > 0, "no segment files to damage");

    let server = TestServer::start_in(&data, |_| {}).await;
    let (status, page) = server.page(query).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(search_results(&page), before);
    assert_eq!(server.page("/").await.0, 200);
    server.stop().await;
}

/// A site whose search index is new (deleted, or of a format an upgrade changed) and
/// larger than `limits.search_index_at_start` serves its pages at once and builds the
/// index in the background: a search meanwhile says so with a 503, and an entry
/// published meanwhile, through the same path as the admin pages, is found once the
/// index is ready. (The deterministic part, searches held while a build waits and
/// updates that do not wait for it, is `app::search_repair`'s unit test.)
#[tokio::test(flavor = "multi_thread")]
async fn a_large_site_serves_while_its_new_search_index_is_built() {
    use trangtin::content::{self, Fields, Kind, NewEntry};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let query = "/tim-kiem?q=khoa+h%E1%BB%8Dc";
    let server = TestServer::start_in(&data, |_| {}).await;
    let (status, page) = server.page(query).await;
    assert_eq!(status, 200, "{page}");
    let before = search_results(&page);
    assert!(before.len() > 2, "{before:?}");
    server.stop().await;
    std::fs::remove_dir_all(data.join("search")).unwrap();

    // Every demo entry is past the limit of 0.
    let server = TestServer::start_in(&data, |c| c.limits.search_index_at_start = 0).await;
    assert_eq!(server.page("/").await.0, 200);
    let now = server.app.clock.now();
    let id = server
        .app
        .store
        .write(move |tx| {
            let new = NewEntry {
                kind: Kind::Article,
                slug: "hoi-thao-khoa-hoc-xanh".into(),
                category: Some("tin-hoat-dong".into()),
                unit: None,
                featured: false,
            };
            let fields = Fields {
                title: "Hội thảo khoa học về pin mặt trời".into(),
                body_html: "<p>Hội thảo bàn về pin mặt trời perovskite.</p>".into(),
                ..Fields::default()
            };
            content::create(tx, new, fields, "test", now).map(|e| e.id)
        })
        .await
        .unwrap();
    server.app.publish(id).await.unwrap();

    let started = Instant::now();
    let mut answered_503 = 0;
    let page = loop {
        let (status, page) = server.page(query).await;
        if status == 200 {
            break page;
        }
        assert_eq!(status, 503, "{page}");
        assert!(page.contains("Tìm kiếm đang được chuẩn bị"), "{page}");
        assert!(
            page.contains("Các trang khác vẫn hoạt động bình thường"),
            "{page}"
        );
        answered_503 += 1;
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the index was not built within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    eprintln!("searches answered 503 while the index was built: {answered_503}");
    let after = search_results(&page);
    assert_eq!(after.len(), before.len(), "{after:?}");
    assert_ne!(after[0], before[0], "one more result: {after:?}");
    let (status, found) = server.page("/tim-kiem?q=perovskite").await;
    assert_eq!(status, 200, "{found}");
    let found = search_results(&found);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[1].contains("Hội thảo khoa học về pin mặt trời"),
        "{found:?}"
    );
    server.stop().await;

    // At the default limit, a site this size is searchable from its first request.
    std::fs::remove_dir_all(data.join("search")).unwrap();
    let server = TestServer::start_in(&data, |_| {}).await;
    let (status, page) = server.page(query).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(search_results(&page), after);
    server.stop().await;
}

/// An index whose list of segments (`meta.json`) is garbled: an index update fails as
/// damage, and the repair starts the index empty and fills it again from the store.
#[tokio::test(flavor = "multi_thread")]
async fn a_garbled_search_segment_list_is_rebuilt() {
    let server = TestServer::start().await;
    let query = "/tim-kiem?q=khoa+h%E1%BB%8Dc";
    let before = search_results(&server.page(query).await.1);
    assert!(before.len() > 2, "{before:?}");
    let meta = server.data.join("search/meta.json");
    std::fs::write(&meta, b"{\"index_settings\": {\"docstore_compr").unwrap();

    let (search, store) = (server.app.search.clone(), server.app.store.clone());
    let failed = tokio::task::spawn_blocking(move || search.update(&store, &[]))
        .await
        .unwrap()
        .expect_err("a writer cannot open over a garbled meta.json");
    assert!(failed.is_damage(), "{failed}");
    assert!(server.app.search_repair.start_if_damaged(&failed));
    until_repaired(&server).await;
    let text = std::fs::read_to_string(&meta).unwrap();
    assert!(
        serde_json::from_str::<serde_json::Value>(&text).is_ok(),
        "{text}"
    );
    let (status, page) = server.page(query).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(search_results(&page), before);
}
