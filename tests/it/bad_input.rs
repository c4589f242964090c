//! Malformed and hostile requests get the proper 4xx, never a panic or a hang.

use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::support::{TestServer, status_of};

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").into_bytes()
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_paths_are_refused() {
    let server = TestServer::start().await;
    for (path, expected) in [
        ("/../etc/passwd", 400),
        ("/tin-tuc/../../etc/passwd", 400),
        ("/tep/%2e%2e/%2e%2e/etc/passwd", 400),
        ("/trang/%00", 400),
        ("/tin-tuc/abc%00.html", 400),
        ("/tin-tuc/%ff%fe", 400),
        ("/tin-tuc/%zz", 400),
    ] {
        let raw = server.raw(&get(path)).await;
        assert_eq!(
            status_of(&raw),
            expected,
            "{path}: {}",
            &raw[..raw.len().min(200)]
        );
        if expected == 400 {
            assert!(
                raw.contains("Yêu cầu không hợp lệ"),
                "{path} gets the Vietnamese page"
            );
        }
    }
    let long = format!("/tin-tuc/{}", "a".repeat(9000));
    assert_eq!(status_of(&server.raw(&get(&long)).await), 414);
    let very_long = format!("/{}", "b".repeat(100_000));
    assert_eq!(status_of(&server.raw(&get(&very_long)).await), 414);
    // The server is still fine.
    assert_eq!(server.page("/").await.0, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn huge_headers_get_431() {
    let server = TestServer::start().await;
    let request = format!(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: {}\r\nConnection: close\r\n\r\n",
        "x".repeat(64 * 1024)
    );
    assert_eq!(status_of(&server.raw(request.as_bytes()).await), 431);
    let many: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
    let request = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n{many}Connection: close\r\n\r\n");
    assert_eq!(status_of(&server.raw(request.as_bytes()).await), 431);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_or_missing_hosts_are_refused() {
    let server = TestServer::start().await;
    let raw = server
        .raw(b"GET / HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n")
        .await;
    assert_eq!(status_of(&raw), 421);
    assert!(raw.contains("Máy chủ không phục vụ tên miền này"));
    let raw = server
        .raw(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        .await;
    assert_eq!(status_of(&raw), 400);
    let raw = server
        .raw(b"GET / HTTP/1.1\r\nHost: localhost:8443\r\nConnection: close\r\n\r\n")
        .await;
    assert_eq!(status_of(&raw), 200);
    // Our name with something other than a port after it (which would go into the
    // sitemap's and the feeds' absolute addresses when no base_url is set).
    let raw = server
        .raw(b"GET /sitemap.xml HTTP/1.1\r\nHost: localhost:x<y>\r\nConnection: close\r\n\r\n")
        .await;
    assert_eq!(status_of(&raw), 400);
}

/// RFC 9110: a request with two Host fields is invalid, even when both are ours.
#[tokio::test(flavor = "multi_thread")]
async fn two_host_headers_get_400() {
    let server = TestServer::start().await;
    for request in [
        &b"GET / HTTP/1.1\r\nHost: localhost\r\nHost: localhost\r\nConnection: close\r\n\r\n"[..],
        &b"GET / HTTP/1.1\r\nHost: localhost\r\nHost: attacker.example\r\nConnection: close\r\n\r\n"[..],
    ] {
        let raw = server.raw(request).await;
        assert_eq!(status_of(&raw), 400, "{raw}");
        assert!(raw.contains("Yêu cầu không hợp lệ"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_bodies_get_413_and_wrong_methods_405() {
    let server = TestServer::start().await;
    let request = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 104857600\r\nConnection: close\r\n\r\n";
    let raw = server.raw(request).await;
    assert_eq!(status_of(&raw), 413);
    assert!(raw.contains("Dữ liệu gửi lên quá lớn"));
    let raw = server
        .raw(b"DELETE /tin-tuc HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await;
    assert_eq!(status_of(&raw), 405);
    let raw = server
        .raw(b"BREW / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await;
    assert_eq!(status_of(&raw), 405);
    let raw = server.raw(b"NOT-HTTP\r\n\r\n").await;
    assert_eq!(status_of(&raw), 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_request_head_gets_408() {
    let server = TestServer::start_with(|c| c.limits.header_timeout = Duration::from_secs(1)).await;
    let mut conn = server.raw_connection().await;
    conn.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    let read = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::io::AsyncReadExt::read_to_end(&mut conn, &mut out),
    )
    .await;
    assert!(read.is_ok(), "the server closed the connection");
    let text = String::from_utf8_lossy(&out);
    assert_eq!(status_of(&text), 408, "{text}");
    // An idle connection is closed without a response.
    let mut idle = server.raw_connection().await;
    let mut out = Vec::new();
    let read = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::io::AsyncReadExt::read_to_end(&mut idle, &mut out),
    )
    .await;
    assert!(read.is_ok(), "the idle connection was closed");
    assert!(out.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_query_strings_do_not_grow_the_cache() {
    let server = TestServer::start().await;
    for i in 0..50 {
        assert_eq!(server.page(&format!("/tin-tuc?utm={i}")).await.0, 200);
    }
    let (pages, _) = server.app.cache.stats();
    assert!(pages <= 2, "{pages} cache entries for one page");
}

#[tokio::test(flavor = "multi_thread")]
async fn pipelined_and_bare_lf_requests_are_served() {
    let server = TestServer::start_with(|c| c.limits.header_timeout = Duration::from_secs(1)).await;
    let two = b"GET /so-do-trang HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /tin-tuc HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    let raw = server.raw(two).await;
    assert_eq!(
        raw.matches("HTTP/1.1 200").count(),
        2,
        "{}",
        &raw[..raw.len().min(300)]
    );
    let raw = server
        .raw(b"GET / HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n\n")
        .await;
    assert_eq!(status_of(&raw), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_reader_is_not_cut_off_by_the_head_timeout() {
    use tokio::io::AsyncReadExt;
    let server = TestServer::start_with(|c| c.limits.header_timeout = Duration::from_secs(1)).await;
    let big: Vec<u8> = (0..8 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    let expected = big.len();
    let blobs = server.app.store.blobs.clone();
    let now = server.app.clock.now();
    let meta = server
        .app
        .store
        .write(move |tx| {
            trangtin::content::put_blob(
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
    conn.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut first = vec![0u8; 8192];
    let n = conn.read(&mut first).await.unwrap();
    // Stall for longer than the head timeout while the response is in flight.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).await.unwrap();
    let mut all = first[..n].to_vec();
    all.extend_from_slice(&rest);
    let body_start = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(all.len() - body_start, expected);
}

/// A flood of refused connections writes one warning, not one per connection: the
/// real binary's log is read while 1,000 connections over its per-address cap arrive.
#[tokio::test(flavor = "multi_thread")]
async fn refused_connections_are_summarised_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = crate::binary::Binary::serve(
        &dir.path().join("data"),
        "[limits]\nmax_connections_per_ip = 4\n",
    );
    let port = server.port;
    let mut held = Vec::new();
    for _ in 0..1000 {
        if let Ok(conn) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            held.push(conn);
        }
    }
    // Let the server see them all, then read what it wrote.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(server.exited().is_none(), "the server is still up");
    drop(held);
    let refused = server
        .read_log()
        .iter()
        .filter(|l| l.contains("per-address connection limit"))
        .count();
    assert_eq!(refused, 1, "{}", server.log.join("\n"));
    assert!(server.stop().success());
}
