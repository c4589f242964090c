//! Start, reload, stop and restart: certificates reload on SIGHUP without dropping
//! connections, shutdown lets a request finish, data survives a restart, and the
//! configuration refuses what it does not know.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use trangtin::config::TlsSource;
use trangtin::content::{self, Fields, Kind, NewEntry};

use crate::support::{TestServer, client_tls, connect_tls};

/// Reads one HTTP/1.1 response with a Content-Length from a keep-alive connection.
async fn read_response<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) -> (u16, Vec<u8>) {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).await.expect("read head");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let status = crate::support::status_of(&head);
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap());
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.expect("read body");
    (status, body)
}

fn write_cert(dir: &std::path::Path) {
    let generated = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    std::fs::write(dir.join("cert.pem"), generated.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), generated.signing_key.serialize_pem()).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_reloads_the_certificate_without_dropping_connections() {
    let pem_dir = tempfile::tempdir().unwrap();
    write_cert(pem_dir.path());
    let old_cert = pem_dir.path().join("old.pem");
    std::fs::copy(pem_dir.path().join("cert.pem"), &old_cert).unwrap();
    let (cert, key) = (
        pem_dir.path().join("cert.pem"),
        pem_dir.path().join("key.pem"),
    );
    let server = TestServer::start_with(|c| c.tls = TlsSource::Files { cert, key }).await;

    let mut old_conn = connect_tls(server.https, Arc::new(client_tls(&old_cert))).await;
    let request = b"GET /so-do-trang HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    old_conn.write_all(request).await.unwrap();
    assert_eq!(read_response(&mut old_conn).await.0, 200);

    write_cert(pem_dir.path());
    let status = Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());

    // New handshakes get the new certificate (the reload is asynchronous).
    let new_config = Arc::new(client_tls(&pem_dir.path().join("cert.pem")));
    let mut reloaded = false;
    for _ in 0..50 {
        let tcp = tokio::net::TcpStream::connect(server.https).await.unwrap();
        let name = rustls_pki_types::ServerName::IpAddress(server.https.ip().into());
        if tokio_rustls::TlsConnector::from(new_config.clone())
            .connect(name, tcp)
            .await
            .is_ok()
        {
            reloaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reloaded, "the new certificate was never served");

    // The connection made before the reload still works.
    old_conn.write_all(request).await.unwrap();
    assert_eq!(read_response(&mut old_conn).await.0, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_lets_an_in_flight_request_finish() {
    let mut server = TestServer::start().await;
    let big: Vec<u8> = (0..24 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let expected = big.len();
    let blobs = server.app.store.blobs.clone();
    let now = server.app.clock.now();
    let meta = server
        .app
        .store
        .write(move |tx| {
            content::put_blob(
                tx,
                &blobs,
                &big,
                "application/octet-stream",
                "lon.bin",
                "test",
                now,
            )
        })
        .await
        .unwrap();
    let path = trangtin::paths::blob(&meta.hash, "lon.bin");

    let mut conn = server.raw_connection().await;
    conn.write_all(format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut first = vec![0u8; 16 * 1024];
    let n = conn.read(&mut first).await.unwrap();
    assert!(n > 0);
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));

    // Shut down while the body is still on its way.
    let task = server.trigger_stop();
    let mut refused = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(server.https).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(refused, "no new connections after shutdown began");
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).await.unwrap();
    let mut all = first[..n].to_vec();
    all.extend_from_slice(&rest);
    let body_start = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(all.len() - body_start, expected, "the whole file arrived");
    let stopped = tokio::time::timeout(Duration::from_secs(15), task)
        .await
        .expect("shutdown finished")
        .unwrap()
        .unwrap();
    assert_eq!(stopped, trangtin::http::server::Stopped::Clean);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_keeps_the_data_and_does_not_reseed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = TestServer::start_in(&data, |_| {}).await;
    let now = server.app.clock.now();
    let entry = server
        .app
        .store
        .write(move |tx| {
            content::create(
                tx,
                NewEntry {
                    kind: Kind::Page,
                    slug: "con-lai-sau-khoi-dong".into(),
                    category: None,
                    unit: None,
                    featured: false,
                },
                Fields {
                    title: "Còn lại sau khi khởi động lại".into(),
                    ..Fields::default()
                },
                "test",
                now,
            )
        })
        .await
        .unwrap();
    server.app.publish(entry.id).await.unwrap();
    let count = |s: &TestServer| {
        let store = s.app.store.clone();
        async move {
            store
                .read(|tx| content::list_published(tx, content::List::Kind(Kind::Article), 1, 1))
                .await
                .unwrap()
                .total
        }
    };
    let articles = count(&server).await;
    server.stop().await;

    let server = TestServer::start_in(&data, |_| {}).await;
    let (status, html) = server.page("/trang/con-lai-sau-khoi-dong").await;
    assert_eq!(status, 200);
    assert!(html.contains("Còn lại sau khi khởi động lại"));
    assert_eq!(
        count(&server).await,
        articles,
        "demo content is seeded once"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_config_file_can_turn_the_demo_off_and_name_the_agency() {
    let config = trangtin::config::Config::from_toml(
        r#"
demo = false
[site]
agency_name = "Sở Khoa học và Công nghệ tỉnh Mẫu"
managing_body = "Ủy ban nhân dân tỉnh Mẫu"
responsible_person = "Giám đốc Sở"
address = "1 Đường Mẫu"
phone = "0200 000 000"
email = "mau@example.gov.vn"
copyright = "© Sở KH&CN tỉnh Mẫu"
"#,
        &Default::default(),
    )
    .unwrap();
    let server = TestServer::start_with(|c| {
        c.demo = config.demo;
        c.site = config.site.clone();
    })
    .await;
    let (status, html) = server.page("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("Sở Khoa học và Công nghệ tỉnh Mẫu"));
    assert!(html.contains("Chưa có tin bài nào."));
    assert_eq!(server.page("/trang/gioi-thieu").await.0, 404);
}

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trangtin"))
}

#[test]
fn an_unknown_config_key_stops_the_binary_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("trangtin.toml");
    std::fs::write(
        &config,
        "demo = false\n[listen]\nhttps = \"127.0.0.1:0\"\nport = 80\n",
    )
    .unwrap();
    for args in [vec!["check-config"], vec!["serve"]] {
        let out = binary()
            .arg("--config")
            .arg(&config)
            .args(&args)
            .env("TRANGTIN_DATA", dir.path().join("data"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("unknown field `port`"), "{stderr}");
        assert!(stderr.contains("trangtin.toml"), "{stderr}");
    }
    assert!(!dir.path().join("data").exists(), "nothing was created");
    let out = binary()
        .args(["--https", "nonsense", "check-config"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_binary_serves_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    // No subcommand: serving is the default, and the flags are global.
    let ipv6 = std::net::TcpListener::bind("[::1]:0").is_ok();
    let https = if ipv6 { "[::1]:0" } else { "127.0.0.1:0" };
    let mut child = binary()
        .args(["--data"])
        .arg(dir.path().join("data"))
        .args(["--https", https, "--http", "off"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server logs before exiting")
            .unwrap();
        if let Some(at) = line.find("listening on https://") {
            break line[at + "listening on https://".len()..]
                .trim()
                .to_string();
        }
    };
    let cert = dir.path().join("data/tls/self-signed.crt");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let status = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(client_tls(&cert))
            .build()
            .unwrap();
        client
            .get(format!("https://{addr}/"))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 200);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let mut exited = None;
    for _ in 0..150 {
        if let Some(status) = child.try_wait().unwrap() {
            exited = Some(status);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = exited.unwrap_or_else(|| {
        let _ = child.kill();
        panic!("the server did not stop within 15 s of SIGTERM")
    });
    assert!(status.success(), "{status:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(
        rest.iter().any(|l| l.contains("stopped cleanly")),
        "{rest:?}"
    );
}

/// Sets a file's modification time a little ahead, so a change is seen even within the
/// filesystem's timestamp granularity.
fn touch_later(path: &std::path::Path) {
    let later = std::time::SystemTime::now() + Duration::from_secs(2);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(later)
        .unwrap();
}

async fn handshake_ok(server: &TestServer, cert: &std::path::Path) -> bool {
    let tcp = tokio::net::TcpStream::connect(server.https).await.unwrap();
    let name = rustls_pki_types::ServerName::IpAddress(server.https.ip().into());
    tokio_rustls::TlsConnector::from(Arc::new(client_tls(cert)))
        .connect(name, tcp)
        .await
        .is_ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn changed_certificate_files_and_an_expiring_self_signed_one_are_replaced() {
    let pem_dir = tempfile::tempdir().unwrap();
    write_cert(pem_dir.path());
    let (cert, key) = (
        pem_dir.path().join("cert.pem"),
        pem_dir.path().join("key.pem"),
    );
    let server = TestServer::start_with(|c| {
        c.tls = TlsSource::Files {
            cert: cert.clone(),
            key: key.clone(),
        }
    })
    .await;
    let now = server.app.clock.now();
    assert!(!server.certs.refresh(now).unwrap(), "nothing changed yet");
    write_cert(pem_dir.path());
    touch_later(&cert);
    assert!(
        server.certs.refresh(now).unwrap(),
        "changed files are loaded"
    );
    assert!(handshake_ok(&server, &cert).await);
    let good = pem_dir.path().join("good.pem");
    std::fs::copy(&cert, &good).unwrap();
    // A broken file is refused and the certificate in service stays.
    std::fs::write(&cert, "not a certificate").unwrap();
    touch_later(&cert);
    assert!(server.certs.refresh(now).is_err());
    assert!(handshake_ok(&server, &good).await);
    // Administrators see a warning while it lasts. (The test's clients trust the file,
    // so the good certificate goes back first; the server has not reloaded it.)
    std::fs::copy(&good, &cert).unwrap();
    // Loaded here, so the server's periodic reload finds nothing new and leaves the
    // warning set below in place (it raced with this test before).
    let _ = server.certs.refresh(now);
    *server.app.tls_problem.lock().unwrap() = Some("bad file".into());
    let admin = server.login("admin").await;
    let (_, page) = admin.get("/quan-tri").await;
    assert!(
        page.contains("chứng chỉ TLS") && page.contains("alert-banner"),
        "{page}"
    );

    // A self-signed certificate that expires within 30 days is made anew.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("tls")).unwrap();
    let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 10);
    let date = soon.to_zoned_datetime(trangtin::format::vietnam()).date();
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.not_after =
        rcgen::date_time_ymd(i32::from(date.year()), date.month() as u8, date.day() as u8);
    let signing = rcgen::KeyPair::generate().unwrap();
    let expiring = params.self_signed(&signing).unwrap();
    std::fs::write(data.join("tls/self-signed.crt"), expiring.pem()).unwrap();
    std::fs::write(data.join("tls/self-signed.key"), signing.serialize_pem()).unwrap();
    let path = data.join("tls/self-signed.crt");
    let before = trangtin::http::certinfo::from_pem_file(&path).unwrap();
    assert!(before.not_after < soon + jiff::SignedDuration::from_hours(48));
    let server = TestServer::start_in(&data, |_| {}).await;
    // The refresh task renews it as the server starts; a refresh now either does it or
    // finds it done (refreshes take turns).
    server.certs.refresh(server.app.clock.now()).unwrap();
    let after = trangtin::http::certinfo::from_pem_file(&path).unwrap();
    assert!(after.not_after > soon + jiff::SignedDuration::from_hours(24 * 365));
    assert!(
        handshake_ok(&server, &path).await,
        "the new one is in service"
    );
    let admin = server.login("admin").await;
    let (_, page) = admin.get("/quan-tri").await;
    assert!(page.contains("Chứng chỉ TLS cho"), "{page}");
}
