//! The transport: HTTPS with HTTP/2, the HTTP redirect, headers, caching, compression.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{TestServer, client_tls, connect_tls, first_link};

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_redirects_to_the_same_path_on_https() {
    let server = TestServer::start().await;
    let http = server.http.expect("http listener");
    let mut tcp = tokio::net::TcpStream::connect(http).await.unwrap();
    tcp.write_all(b"GET /tin-tuc?trang=2 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    tcp.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 301"), "{out}");
    let expected = format!(
        "location: https://127.0.0.1:{}/tin-tuc?trang=2",
        server.https.port()
    );
    assert!(out.to_ascii_lowercase().contains(&expected), "{out}");
    assert!(
        !out.to_ascii_lowercase()
            .contains("strict-transport-security"),
        "no HSTS over plain HTTP"
    );
    assert!(
        out.to_ascii_lowercase()
            .contains("x-content-type-options: nosniff")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn http2_is_negotiated_and_http1_still_works() {
    let server = TestServer::start().await;
    let response = server.client().get(server.url("/")).send().await.unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(response.status(), 200);
    let response = server
        .http1_client()
        .get(server.url("/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_11);
    assert_eq!(response.status(), 200);
}

/// An HTTP/2 connection's requests run on the connection's task (`conn_streams`): one
/// still waiting for its body must not hold up the others, and a server stopping lets
/// it finish.
#[tokio::test(flavor = "multi_thread")]
async fn http2_requests_on_one_connection_do_not_wait_for_each_other() {
    let mut server = TestServer::start().await;
    let client = server.client();
    // The upload's body arrives in two parts, the second only when the test says so.
    let (more, parts) = tokio::sync::mpsc::channel::<&'static str>(1);
    let body = futures_util::stream::unfold(parts, |mut parts| async move {
        let part = parts.recv().await?;
        Some((Ok::<_, std::io::Error>(part), parts))
    });
    more.send("ten-dang-nhap=").await.unwrap();
    let upload = tokio::spawn(
        client
            .post(server.url("/quan-tri/dang-nhap"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(reqwest::Body::wrap_stream(body))
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Meanwhile, on the same connection, pages are answered.
    let pages = (0..20).map(|i| {
        let client = client.clone();
        let url = server.url(if i % 2 == 0 { "/" } else { "/tin-tuc" });
        async move {
            let response = client.get(url).send().await.unwrap();
            (response.version(), response.status().as_u16())
        }
    });
    let answered = tokio::time::timeout(
        Duration::from_secs(10),
        futures_util::future::join_all(pages),
    )
    .await
    .expect("pages are answered while another request waits for its body");
    for (version, status) in answered {
        assert_eq!((version, status), (reqwest::Version::HTTP_2, 200));
    }
    assert!(!upload.is_finished(), "the upload still waits for its body");
    // The server is asked to stop while the upload is under way: the upload still
    // gets its answer.
    let stopping = server.trigger_stop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    more.send("ai&mat-khau=x").await.unwrap();
    drop(more);
    let response = upload.await.unwrap().expect("the upload is answered");
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    // Refused as a form without its CSRF token: answered, by the handler.
    assert_eq!(response.status(), 403, "{:?}", response.text().await);
    let stopped = tokio::time::timeout(Duration::from_secs(20), stopping)
        .await
        .expect("the server stops once the last request is done")
        .unwrap()
        .unwrap();
    assert_eq!(stopped, trangtin::http::server::Stopped::Clean);
}

/// An HTTP/2 connection's writes go out together at the end of each poll of its task
/// (`held_writes`): many answers at once, far past the buffer's bound together (the
/// editor's script alone is 289 KB), each arrive whole, on their own stream.
#[tokio::test(flavor = "multi_thread")]
async fn many_http2_answers_at_once_arrive_whole() {
    let server = TestServer::start().await;
    let client = server.client();
    let assets = trangtin::http::assets::StaticAssets::shared();
    // One request first: the client then sends the others on its HTTP/2 connection
    // (from cold, each would start a connection of its own while ALPN is unknown).
    let first = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(first.version(), reqwest::Version::HTTP_2);
    let files = [
        "css/site.css",
        "js/editor.js",
        "img/emblem-512.png",
        "js/site.js",
    ];
    let fetches = (0..48).map(|i| {
        let client = client.clone();
        let file = files[i % files.len()];
        let url = server.url(&assets.url(file).unwrap());
        async move {
            let response = client.get(url).send().await.unwrap();
            let version = response.version();
            (file, version, response.bytes().await.unwrap())
        }
    });
    let answered = tokio::time::timeout(
        Duration::from_secs(30),
        futures_util::future::join_all(fetches),
    )
    .await
    .expect("every answer arrives");
    // Each as HTTP/1.1 answers it, one at a time.
    let mut expected = std::collections::HashMap::new();
    for file in files {
        let url = server.url(&assets.url(file).unwrap());
        let response = server.http1_client().get(url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        expected.insert(file, response.bytes().await.unwrap());
    }
    assert!(expected["js/editor.js"].len() > 200_000);
    for (file, version, body) in answered {
        assert_eq!(version, reqwest::Version::HTTP_2);
        assert!(
            body == expected[file],
            "{file}: {} bytes, {} expected",
            body.len(),
            expected[file].len()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_1_2_and_1_3_are_offered() {
    let server = TestServer::start().await;
    for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
        let mut roots = rustls::RootCertStore::empty();
        let pem = std::fs::read(server.certs.cert_path()).unwrap();
        use rustls_pki_types::pem::PemObject;
        for cert in rustls_pki_types::CertificateDer::pem_slice_iter(&pem) {
            roots.add(cert.unwrap()).unwrap();
        }
        let config = rustls::ClientConfig::builder_with_provider(trangtin::http::tls::provider())
            .with_protocol_versions(&[version])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let tls = connect_tls(server.https, Arc::new(config)).await;
        assert_eq!(tls.get_ref().1.protocol_version(), Some(version.version));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_response_carries_the_security_headers() {
    let server = TestServer::start().await;
    let (_, home) = server.page("/").await;
    let css = first_link(&home, "/static/css/site.").unwrap();
    for path in ["/", "/khong-co", css.as_str()] {
        let response = server.get(path).await;
        let h = response.headers();
        assert_eq!(h["strict-transport-security"], "max-age=31536000", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(h.contains_key("referrer-policy"));
        assert!(h.contains_key("permissions-policy"));
        assert!(h.contains_key("x-request-id"));
    }
    assert!(!home.contains("<script>"), "no inline script");
    assert!(!home.contains(" style=\""), "no inline style");
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_have_etags_and_answer_304() {
    let server = TestServer::start().await;
    let first = server.get("/tin-tuc").await;
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].clone();
    assert!(
        first.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("no-cache")
    );
    let client = server.client();
    let again = client
        .get(server.url("/tin-tuc"))
        .header("if-none-match", etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag);
    assert!(again.bytes().await.unwrap().is_empty());
    let other = client
        .get(server.url("/tin-tuc"))
        .header("if-none-match", "\"not-it\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_come_gzipped_or_brotli_compressed_as_asked() {
    let server = TestServer::start().await;
    let client = server.client();
    let plain = client.get(server.url("/")).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.text().await.unwrap();

    let gz = client
        .get(server.url("/"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    assert_eq!(gz.headers()["vary"], "accept-encoding");
    let bytes = gz.bytes().await.unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, plain);

    let br = client
        .get(server.url("/"))
        .header("accept-encoding", "gzip, deflate, br")
        .send()
        .await
        .unwrap();
    assert_eq!(br.headers()["content-encoding"], "br");
    let bytes = br.bytes().await.unwrap();
    let mut out = Vec::new();
    brotli::BrotliDecompress(&mut &bytes[..], &mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), plain);
    // Right after a miss the encoding is a fast one; the best replaces it in the
    // background.
    assert!(bytes.len() * 3 < plain.len(), "brotli shrinks the page");
    let mut best = usize::MAX;
    for _ in 0..100 {
        let r = client
            .get(server.url("/"))
            .header("accept-encoding", "br")
            .send()
            .await
            .unwrap();
        best = r.bytes().await.unwrap().len();
        if best * 4 < plain.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        best * 4 < plain.len(),
        "the best compression arrives: {best} of {}",
        plain.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn static_assets_have_hashed_urls_cached_for_a_year() {
    let server = TestServer::start().await;
    let (_, home) = server.page("/").await;
    for prefix in [
        "/static/css/site.",
        "/static/js/site.",
        "/static/img/emblem.",
    ] {
        let url = first_link(&home, prefix).unwrap_or_else(|| panic!("no {prefix}"));
        let response = server.get(&url).await;
        assert_eq!(response.status(), 200, "{url}");
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
    }
    let js = first_link(&home, "/static/js/site.").unwrap();
    let response = server.get(&js).await;
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ipv6_listeners_work() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        crate::support::missing_tool(
            "ipv6_listeners_work",
            "an IPv6 loopback address",
            "enable IPv6 on lo",
        );
        return;
    }
    let server = TestServer::start_with(|c| {
        c.https = "[::1]:0".parse().unwrap();
        c.http = None;
    })
    .await;
    assert!(server.https.is_ipv6());
    let config = client_tls(server.certs.cert_path());
    let mut tls = connect_tls(server.https, Arc::new(config)).await;
    tls.write_all(b"GET / HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    tls.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "{}",
        &text[..80.min(text.len())]
    );
}
