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
    let long = format!("/tin-tuc/{}", "a".repeat(3000));
    assert_eq!(status_of(&server.raw(&get(&long)).await), 414);
    let very_long = format!("/{}", "b".repeat(100_000));
    let status = status_of(&server.raw(&get(&very_long)).await);
    assert!(status == 414 || status == 431, "very long URI got {status}");
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
    assert!(raw.contains("Tên miền không được phục vụ"));
    let raw = server
        .raw(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        .await;
    assert_eq!(status_of(&raw), 400);
    let raw = server
        .raw(b"GET / HTTP/1.1\r\nHost: localhost:8443\r\nConnection: close\r\n\r\n")
        .await;
    assert_eq!(status_of(&raw), 200);
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
