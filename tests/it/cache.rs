//! The page cache around a publish: the changed entry is never served from before the
//! publish, the pages that show it follow, and the rest of the cache stays.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use trangtin::content::{self, Kind};

use crate::admin::{article, base_of, publish_through_workflow, step};
use crate::support::TestServer;

/// The first link under `prefix` on `path`.
async fn first_link(server: &TestServer, path: &str, prefix: &str) -> String {
    let (_, html) = server.page(path).await;
    let start = html
        .find(&format!("href=\"{prefix}"))
        .unwrap_or_else(|| panic!("no {prefix} link on {path}"));
    let rest = &html[start + 6..];
    rest[..rest.find('"').unwrap()].to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_publish_never_serves_the_old_entry_and_keeps_unrelated_pages() {
    let server = TestServer::start().await;
    let path = publish_through_workflow(&server, "Bản tin thử bộ nhớ đệm", "<p>Bản một.</p>").await;
    let slug = path.trim_start_matches("/tin-tuc/").to_string();
    let id = server
        .app
        .store
        .read(move |tx| content::find_published(tx, Kind::Article, &slug))
        .await
        .unwrap()
        .expect("published")
        .entry
        .id
        .0;

    // Pages that show the entry, and pages that do not.
    let document = first_link(&server, "/van-ban", "/van-ban/").await;
    let procedure = first_link(&server, "/thu-tuc", "/thu-tuc/").await;
    let standing = first_link(&server, "/so-do-trang", "/trang/").await;
    let unrelated = [document.as_str(), procedure.as_str(), standing.as_str()];
    for page in [path.as_str(), "/", "/tin-tuc"].iter().chain(&unrelated) {
        assert_eq!(server.page(page).await.0, 200, "{page}");
        assert!(server.app.cache.get(page).is_some(), "{page} is cached");
    }
    let (_, before) = server.page(&path).await;
    assert!(before.contains("Bản một."));

    // An edit goes through the workflow while readers keep asking for the entry.
    let compiler = server.login("tonghop").await;
    let base = base_of(&compiler, id).await;
    let mut edit = article("Bản tin thử bộ nhớ đệm, bản sửa", "<p>Bản hai.</p>");
    edit.push(("base", &base));
    compiler
        .post_ok(&format!("/quan-tri/bai-viet/{id}"), &edit)
        .await;
    step(&compiler, id, "submit", "").await;
    step(&compiler, id, "forward", "").await;
    step(&server.login("truongban").await, id, "approve", "").await;
    let publisher = server.login("xuatban").await;

    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let client = server.client();
            let url = server.url(&path);
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let asked = Instant::now();
                    let page = client.get(&url).send().await.unwrap().text().await.unwrap();
                    let new = page.contains("Bản hai.");
                    assert!(new || page.contains("Bản một."), "one version or the other");
                    seen.push((asked, new));
                }
                seen
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    step(&publisher, id, "publish", "").await;
    let published = Instant::now();
    tokio::time::sleep(Duration::from_millis(400)).await;
    stop.store(true, Ordering::Relaxed);
    let mut after = 0;
    for reader in readers {
        for (asked, new) in reader.await.unwrap() {
            if asked > published {
                assert!(new, "a request made after the publish got the old version");
                after += 1;
            }
        }
    }
    assert!(after > 0, "readers asked after the publish");

    // The pages that do not show the entry were not dropped.
    for page in unrelated {
        assert!(
            server.app.cache.get(page).is_some(),
            "{page} was dropped by an unrelated publish"
        );
    }
    // The home page shows the new title once its new version is in; until then the old
    // one is served, never an error or a half page.
    let mut home_updated = false;
    for _ in 0..100 {
        let (status, home) = server.page("/").await;
        assert_eq!(status, 200);
        if home.contains("Bản tin thử bộ nhớ đệm, bản sửa") {
            home_updated = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(home_updated, "the home page follows the publish");
}

/// A page the router has served is then answered before routing, with the same headers
/// and body, the same metrics route and a log line; what the frame would refuse or
/// redirect (another host, a query, a stale page) still goes through it.
#[tokio::test(flavor = "multi_thread")]
async fn the_fast_path_answers_as_the_router_does() {
    let server = TestServer::start().await;
    let path = first_link(&server, "/tin-tuc", "/tin-tuc/").await;
    let get = |encoding: &'static str| {
        let (client, url) = (server.client(), server.url(&path));
        async move {
            let r = client
                .get(url)
                .header("accept-encoding", encoding)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let mut headers: Vec<(String, String)> = r
                .headers()
                .iter()
                .filter(|(name, _)| !matches!(name.as_str(), "x-request-id" | "date"))
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
                .collect();
            headers.sort();
            (status, headers, r.bytes().await.unwrap())
        }
    };
    let early = || server.app.cache.early_hits();
    // The first fills the cache through the router, which notes its route.
    let routed = get("identity").await;
    assert_eq!(early(), 0);
    let fast = get("identity").await;
    assert_eq!(early(), 1, "the second was answered before routing");
    assert_eq!(fast, routed, "the same status, headers and bytes");
    assert!(fast.1.iter().any(|(n, _)| n == "content-security-policy"));
    // Once compressed at its best (in the background), the page goes out compressed.
    // (A niced background thread does it: on a busy machine it can take a while.)
    for _ in 0..600 {
        if server.app.cache.get(&path).is_some_and(|p| p.is_complete()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let fast = get("gzip").await;
    assert_eq!(early(), 2);
    assert!(
        fast.1
            .iter()
            .any(|(n, v)| n == "content-encoding" && v == "gzip"),
        "{:?}",
        fast.1
    );

    // A revalidation gets its 304 there too.
    let etag = fast.1.iter().find(|(n, _)| n == "etag").unwrap().1.clone();
    let r = server
        .client()
        .get(server.url(&path))
        .header("accept-encoding", "gzip")
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(early(), 3);

    // Another host, or a query, is the frame's to answer.
    let raw = format!("GET {path} HTTP/1.1\r\nHost: khac.example.vn\r\nConnection: close\r\n\r\n");
    assert_eq!(
        crate::support::status_of(&server.raw(raw.as_bytes()).await),
        421
    );
    assert_eq!(server.page(&format!("{path}?a=1")).await.0, 200);
    assert_eq!(early(), 3);

    // Counted under its route, and logged.
    let (_, metrics) = server.page("/metrics").await;
    let requests = metrics
        .lines()
        .find(|l| {
            l.starts_with("trangtin_requests_total{route=\"/tin-tuc/{slug}\",status=\"200\"}")
        })
        .unwrap_or_else(|| panic!("{metrics}"));
    assert!(requests.ends_with(" 4"), "{requests}");
    assert!(
        metrics.contains("trangtin_page_cache_early_hits_total 3"),
        "{metrics}"
    );
    let log = server
        .data
        .join("logs")
        .join(format!("requests-{}.log", server.app.today()));
    let mut lines = 0;
    for _ in 0..400 {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        lines = text
            .lines()
            .filter(|l| l.contains(&format!(" GET {path} ")))
            .count();
        if lines >= 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(lines, 6, "a line for each request but the query's");
}
