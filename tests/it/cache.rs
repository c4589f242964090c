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
