//! The integrity check against real tampering: the redb file and the blob folder are
//! changed behind the server's back, and the check finds, reports and contains each.

use std::path::Path;

use trangtin::content::EntryId;
use trangtin::integrity::Finding;
use trangtin::store::Store;

use crate::admin::{article, base_of, publish_through_workflow, step};
use crate::support::{TestServer, trangtin};

async fn entry_of(server: &TestServer, path: &str) -> u64 {
    let slug = path.rsplit('/').next().unwrap().to_string();
    server
        .app
        .store
        .read(move |tx| {
            trangtin::content::find_published(tx, trangtin::content::Kind::Article, &slug)
        })
        .await
        .unwrap()
        .expect("published")
        .entry
        .id
        .0
}

/// Opens the stopped server's database file and changes it with `f`.
fn tamper(data: &Path, f: impl FnOnce(&redb::WriteTransaction)) {
    let (store, _) = Store::open(data).unwrap();
    store
        .write_blocking(|tx| -> Result<(), trangtin::store::Error> {
            f(tx);
            Ok(())
        })
        .unwrap();
}

/// `trangtin verify` on `data` (through the server, if one runs there).
async fn verify(data: &Path) -> std::process::Output {
    let data = data.to_path_buf();
    tokio::task::spawn_blocking(move || trangtin(&data, &["verify"], ""))
        .await
        .unwrap()
}

/// `trangtin verify` exits 0: nothing is found.
async fn passes_verify(data: &Path) {
    let out = verify(data).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Waits until the server's control socket answers, so the CLI goes through it.
async fn wait_for_control(server: &TestServer) {
    for _ in 0..200 {
        if trangtin::ops::control::server_running(&server.data) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tampering_with_content_files_trail_and_settings_is_found_reported_and_contained() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = TestServer::start_in(&data, |_| {}).await;
    // An article approved and published twice: the second version goes live.
    let path = publish_through_workflow(&server, "Bài kiểm tra toàn vẹn", "<p>Bản một.</p>").await;
    let id = entry_of(&server, &path).await;
    let compiler = server.login("tonghop").await;
    let base = base_of(&compiler, id).await;
    let mut second = article("Bài kiểm tra toàn vẹn, bản hai", "<p>Bản hai đã duyệt.</p>");
    second.push(("base", &base));
    compiler
        .post_ok(&format!("/quan-tri/bai-viet/{id}"), &second)
        .await;
    step(&compiler, id, "submit", "").await;
    step(&compiler, id, "forward", "").await;
    step(&server.login("truongban").await, id, "approve", "").await;
    step(&server.login("xuatban").await, id, "publish", "").await;
    assert!(server.page(&path).await.1.contains("Bản hai đã duyệt."));
    assert!(
        server
            .page("/tin-tuc")
            .await
            .1
            .contains("Bài kiểm tra toàn vẹn, bản hai")
    );
    // The check passes before anything is touched.
    let admin = server.login("admin").await;
    let clean = admin.post("/quan-tri/kiem-tra", &[]).await;
    assert_eq!(
        clean.headers()["location"],
        "/quan-tri/kiem-tra?tb=kiem-tra-dat"
    );
    // A demo article, published with its only revision, to be altered too.
    let demo = server
        .app
        .store
        .read(|tx| trangtin::content::all_published(tx, trangtin::content::Kind::Article))
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.entry.id.0 != id)
        .expect("a seeded article");
    let demo_id = Some(demo.entry.id.0);
    let demo_path = format!("/tin-tuc/{}", demo.entry.slug);
    assert_eq!(server.page(&demo_path).await.0, 200);
    server.stop().await;

    // 1. The live revision's body, changed in the database file.
    let altered_demo = demo_id;
    tamper(&data, move |tx| {
        for entry_id in std::iter::once(id).chain(altered_demo) {
            let entry = trangtin::content::tables::ENTRIES
                .get(tx, entry_id)
                .unwrap()
                .unwrap();
            let live = entry.published.unwrap().0;
            let mut revision = trangtin::content::tables::REVISIONS
                .get(tx, live)
                .unwrap()
                .unwrap();
            revision.fields.body_html = "<p>Nội dung bị sửa trái phép.</p>".into();
            trangtin::content::tables::REVISIONS
                .insert(tx, live, &revision)
                .unwrap();
        }
        // 3. An audit record removed.
        let records = trangtin::audit::tables::AUDIT.values(tx).unwrap();
        let middle = records[records.len() / 2].seq;
        tx.open_table(trangtin::audit::tables::AUDIT.definition())
            .unwrap()
            .remove(middle)
            .unwrap();
        // 4. A setting changed without the program.
        let mut site = trangtin::site::tables::SETTINGS
            .get(tx, "site")
            .unwrap()
            .unwrap();
        site["agency_name"] = serde_json::json!("Cơ quan giả mạo");
        trangtin::site::tables::SETTINGS
            .insert(tx, "site", &site)
            .unwrap();
    });
    // 2. One blob deleted, another corrupted.
    let mut blobs: Vec<_> = walkdir(&data.join("blobs"));
    blobs.sort();
    assert!(blobs.len() >= 2);
    std::fs::remove_file(&blobs[0]).unwrap();
    let mut bytes = std::fs::read(&blobs[1]).unwrap();
    bytes[0] ^= 0xff;
    std::fs::write(&blobs[1], bytes).unwrap();
    let deleted = blobs[0].file_name().unwrap().to_string_lossy().into_owned();
    let corrupted = blobs[1].file_name().unwrap().to_string_lossy().into_owned();

    // The CLI finds each, without a server, and exits 1 with a JSON report.
    let out = verify(&data).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: trangtin::integrity::Report = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!report.ok);
    let found: Vec<&Finding> = report.mismatches.iter().map(|m| &m.finding).collect();
    assert!(
        found
            .iter()
            .any(|f| matches!(f, Finding::RevisionAltered { entry, .. } if *entry == id))
    );
    if let Some(demo) = demo_id {
        assert!(
            found
                .iter()
                .any(|f| matches!(f, Finding::RevisionAltered { entry, .. } if *entry == demo))
        );
    }
    assert!(
        found
            .iter()
            .any(|f| matches!(f, Finding::BlobMissing { hash, .. } if *hash == deleted))
    );
    assert!(
        found
            .iter()
            .any(|f| matches!(f, Finding::BlobAltered { hash } if *hash == corrupted))
    );
    assert!(
        found
            .iter()
            .any(|f| matches!(f, Finding::AuditBroken { .. }))
    );
    assert!(
        found
            .iter()
            .any(|f| matches!(f, Finding::SettingsChanged { .. }))
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no longer hashes"), "{stderr}");

    // Served again: the altered article shows its last good approved version; the
    // one with no earlier approval shows the notice; every admin page has a banner.
    let server = TestServer::start_in(&data, |_| {}).await;
    let (_, page) = server.page(&path).await;
    assert!(page.contains("Bản một."), "the earlier approved revision");
    assert!(!page.contains("trái phép"));
    // Its card in the lists shows that version too, not the held one's title.
    let (_, news) = server.page("/tin-tuc").await;
    assert!(news.contains(&path) && !news.contains("bản hai"), "{news}");
    if demo_id.is_some() {
        let (_, page) = server.page(&demo_path).await;
        assert!(page.contains("đang được kiểm tra") && !page.contains("trái phép"));
    }
    // Search shows what citizens see too: a rebuilt index holds none of the altered text.
    let search = server.app.search.clone();
    let store = server.app.store.clone();
    tokio::task::spawn_blocking(move || search.rebuild(&store).unwrap())
        .await
        .unwrap();
    let found = server.app.search.search("trái phép", None, 0, 10).unwrap();
    assert_eq!(found.total, 0);
    let shown = server.app.search.search("bản một", None, 0, 10).unwrap();
    assert!(
        shown.total >= 1,
        "the last good revision is what is indexed"
    );
    let donvi = server.login("donvi").await;
    let (_, inbox) = donvi.get("/quan-tri").await;
    assert!(
        inbox.contains("alert-banner") && inbox.contains("không khớp"),
        "{inbox}"
    );
    let (_, checks) = donvi.get("/quan-tri/kiem-tra").await;
    assert!(checks.contains("Không đạt") && checks.contains("Phát hiện từ"));
    // A second run keeps the date each mismatch was first seen.
    let again = server.app.check_integrity("test").await.unwrap();
    assert_eq!(again.mismatches.len(), report.mismatches.len());
    for (a, b) in again.mismatches.iter().zip(&report.mismatches) {
        assert_eq!(a.since, b.since);
    }
    // A new approved publication replaces the held revision at once, without waiting
    // for the next check.
    let compiler = server.login("tonghop").await;
    let base = base_of(&compiler, id).await;
    let mut third = article("Bài kiểm tra toàn vẹn", "<p>Bản ba sau khi xử lý.</p>");
    third.push(("base", &base));
    compiler
        .post_ok(&format!("/quan-tri/bai-viet/{id}"), &third)
        .await;
    step(&compiler, id, "submit", "").await;
    step(&compiler, id, "forward", "").await;
    step(&server.login("truongban").await, id, "approve", "").await;
    step(&server.login("xuatban").await, id, "publish", "").await;
    assert!(server.page(&path).await.1.contains("Bản ba sau khi xử lý."));
    assert_eq!(
        server
            .app
            .store
            .read(move |tx| trangtin::integrity::hold(tx, EntryId(id)))
            .await
            .unwrap()
            .map(|h| matches!(h.show, trangtin::integrity::Show::Revision { .. })),
        Some(true)
    );
}

fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for shard in std::fs::read_dir(dir).unwrap().flatten() {
        for file in std::fs::read_dir(shard.path()).unwrap().flatten() {
            out.push(file.path());
        }
    }
    out
}

/// The lists show each entry's card, not its revision: a card changed in the file is
/// found by the check (from the CLI, without a server), made again from the verified
/// revision, and the lists show the approved title at the next start.
#[tokio::test(flavor = "multi_thread")]
async fn a_card_changed_in_the_file_is_found_and_made_again() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = TestServer::start_in(&data, |_| {}).await;
    let path = publish_through_workflow(&server, "Bài có thẻ tin bị sửa", "<p>Nội dung.</p>").await;
    let id = entry_of(&server, &path).await;
    assert!(
        server
            .page("/tin-tuc")
            .await
            .1
            .contains("Bài có thẻ tin bị sửa")
    );
    server.stop().await;

    // This one's title, and every other card's summary.
    let mut cards = 0;
    tamper(&data, |tx| {
        let ids: Vec<u64> = trangtin::content::cards::ROWS
            .values(tx)
            .unwrap()
            .iter()
            .map(|card| card.id.0)
            .collect();
        for card_id in ids {
            let mut card = trangtin::content::cards::ROWS
                .get(tx, card_id)
                .unwrap()
                .unwrap();
            if card_id == id {
                card.title = "Tiêu đề giả mạo trên trang chủ".into();
            } else {
                card.summary = "Tóm tắt giả mạo".into();
            }
            trangtin::content::cards::ROWS
                .insert(tx, card_id, &card)
                .unwrap();
            cards += 1;
        }
    });
    assert!(cards > 25, "the demo lists {cards} entries");
    // Served as it is until a check runs (as an altered revision would be).
    let server = TestServer::start_in(&data, |_| {}).await;
    let (_, news) = server.page("/tin-tuc").await;
    assert!(news.contains("Tiêu đề giả mạo trên trang chủ"), "{news}");
    wait_for_control(&server).await;
    // `trangtin verify`, through the running server.
    let out = verify(&data).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: trangtin::integrity::Report = serde_json::from_slice(&out.stdout).unwrap();
    // Twenty named, the rest counted; no hold: the revisions verify.
    let found: Vec<&Finding> = report.mismatches.iter().map(|m| &m.finding).collect();
    assert_eq!(found.len(), 21, "{found:?}");
    assert!(
        found[..20]
            .iter()
            .all(|f| matches!(f, Finding::CardAltered { .. }))
    );
    assert_eq!(found[20], &Finding::MoreCardsAltered { more: cards - 20 });
    assert!(
        report.mismatches[0]
            .message
            .contains("what the lists show of it differed")
    );
    // Made again at once: the lists show the approved title, the admin page says what
    // was found, and the next check passes.
    let (_, news) = server.page("/tin-tuc").await;
    assert!(
        news.contains("Bài có thẻ tin bị sửa") && !news.contains("giả mạo"),
        "{news}"
    );
    let (_, home) = server.page("/").await;
    assert!(!home.contains("giả mạo"), "{home}");
    let admin = server.login("admin").await;
    let (_, checks) = admin.get("/quan-tri/kiem-tra").await;
    assert!(
        checks.contains("hiển thị lại đúng theo phiên bản đang đăng"),
        "{checks}"
    );
    assert!(
        checks.contains(&format!("Thêm {} bài khác", cards - 20)),
        "{checks}"
    );
    passes_verify(&data).await;
}

/// The legal document register and the described kinds' lists show rows of their own:
/// one changed in the file is found and made again; one that no longer decodes does
/// not break the register, and is made again too.
#[tokio::test(flavor = "multi_thread")]
async fn register_and_record_rows_changed_in_the_file_are_found_and_made_again() {
    use trangtin::content::{record_list, register};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = TestServer::start_in(&data, |_| {}).await;
    server.stop().await;
    let (mut forged, mut damaged, mut task) = (None, None, None);
    tamper(&data, |tx| {
        // The two newest, on the register's first page.
        let newest = register::page(tx, register::ALL, 0, 2).unwrap();
        assert_eq!(newest.len(), 2, "the demo registers {newest:?}");
        let mut row = register::ROWS.get(tx, newest[0]).unwrap().unwrap();
        row.legal.number = "999/QĐ-GIẢ".into();
        register::ROWS.insert(tx, newest[0], &row).unwrap();
        forged = Some(newest[0]);
        let second = register::ROWS.get(tx, newest[1]).unwrap().unwrap();
        damaged = Some((newest[1], second.legal.number));
        tx.open_table(register::ROWS.definition())
            .unwrap()
            .insert(newest[1], b"{not json".as_slice())
            .unwrap();
        let (task_id, mut row) = record_list::ROWS
            .values(tx)
            .unwrap()
            .into_iter()
            .find(|row| row.url().starts_with("/nhiem-vu/"))
            .map(|row| {
                let slug = row.slug.clone();
                let id = trangtin::store::get_plain(
                    tx,
                    trangtin::content::tables::SLUGS,
                    (row.kind.as_str(), slug.as_str()),
                    |v| v,
                )
                .unwrap()
                .unwrap();
                (id, row)
            })
            .unwrap();
        row.title = "Nhiệm vụ giả mạo".into();
        record_list::ROWS.insert(tx, task_id, &row).unwrap();
        task = Some(task_id);
    });
    let (forged, (damaged, damaged_number), task) =
        (forged.unwrap(), damaged.unwrap(), task.unwrap());
    let server = TestServer::start_in(&data, |_| {}).await;
    // Served as they are until a check runs; the row that does not decode is read from
    // its document.
    let (status, register_page) = server.page("/van-ban").await;
    assert_eq!(status, 200, "{register_page}");
    assert!(register_page.contains("999/QĐ-GIẢ"), "{register_page}");
    assert!(register_page.contains(&damaged_number), "{register_page}");
    let (status, tasks) = server.page("/nhiem-vu").await;
    assert_eq!(status, 200);
    assert!(tasks.contains("Nhiệm vụ giả mạo"), "{tasks}");
    wait_for_control(&server).await;
    let out = verify(&data).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: trangtin::integrity::Report = serde_json::from_slice(&out.stdout).unwrap();
    let mut altered: Vec<u64> = report
        .mismatches
        .iter()
        .map(|m| match &m.finding {
            Finding::CardAltered { entry, .. } => *entry,
            other => panic!("unexpected finding {other:?}"),
        })
        .collect();
    altered.sort_unstable();
    let mut want = vec![forged, damaged, task];
    want.sort_unstable();
    assert_eq!(altered, want);
    // Made again: the register and the list show the approved text; the next check
    // passes.
    let (_, register_page) = server.page("/van-ban").await;
    assert!(!register_page.contains("999/QĐ-GIẢ"), "{register_page}");
    assert!(register_page.contains(&damaged_number), "{register_page}");
    let (_, tasks) = server.page("/nhiem-vu").await;
    assert!(!tasks.contains("giả mạo"), "{tasks}");
    passes_verify(&data).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clean_site_passes_from_the_cli_and_the_daily_review_reaches_the_board() {
    let server = TestServer::start().await;
    wait_for_control(&server).await;
    let out = verify(&server.data).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: trangtin::integrity::Report = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report.ok && report.revisions_checked > 10 && report.blobs_checked > 0);

    // Something published today is in the daily review; the person on duty reports it.
    let path = publish_through_workflow(&server, "Bài xem xét hằng ngày", "<p>Nội dung.</p>").await;
    let id = entry_of(&server, &path).await;
    let revision = server
        .app
        .store
        .read(move |tx| trangtin::content::editorial::entry(tx, EntryId(id)))
        .await
        .unwrap()
        .published
        .unwrap()
        .0
        .to_string();
    let publisher = server.login("xuatban").await;
    let (_, page) = publisher.get("/quan-tri/kiem-tra").await;
    assert!(page.contains("Bài xem xét hằng ngày"));
    let no_note = publisher
        .post(
            "/quan-tri/kiem-tra/xem-xet/bao-cao",
            &[
                ("entry", &id.to_string()),
                ("revision", &revision),
                ("ghi_chu", " "),
            ],
        )
        .await;
    assert_eq!(no_note.status(), 422);
    publisher
        .post_ok(
            "/quan-tri/kiem-tra/xem-xet/bao-cao",
            &[
                ("entry", &id.to_string()),
                ("revision", &revision),
                ("ghi_chu", "Ảnh minh họa chưa ghi nguồn."),
            ],
        )
        .await;
    let (_, page) = publisher.get("/quan-tri/kiem-tra").await;
    assert!(page.contains("Đã báo cáo Ban biên tập"));
    // It waits in the Board's inbox until handled.
    let member = server.login("bientap").await;
    let (_, inbox) = member.get("/quan-tri").await;
    assert!(inbox.contains("Ảnh minh họa chưa ghi nguồn."), "{inbox}");
    let seq = server
        .app
        .store
        .read(trangtin::integrity::review::open_reports)
        .await
        .unwrap()[0]
        .seq;
    assert_eq!(
        publisher
            .post(&format!("/quan-tri/kiem-tra/bao-cao/{seq}"), &[])
            .await
            .status(),
        403,
        "only the Board marks it handled"
    );
    member
        .post_ok(&format!("/quan-tri/kiem-tra/bao-cao/{seq}"), &[])
        .await;
    let (_, inbox) = member.get("/quan-tri").await;
    assert!(!inbox.contains("Ảnh minh họa chưa ghi nguồn."));
    // A stale revision number is refused: the verdict is for what was seen.
    let stale = publisher
        .post(
            "/quan-tri/kiem-tra/xem-xet/da-kiem-tra",
            &[("entry", &id.to_string()), ("revision", "1")],
        )
        .await;
    assert_eq!(stale.status(), 422);
    // A confirmation, and all of it in the audit trail.
    publisher
        .post_ok(
            "/quan-tri/kiem-tra/xem-xet/da-kiem-tra",
            &[("entry", &id.to_string()), ("revision", &revision)],
        )
        .await;
    let trail = server
        .app
        .store
        .read(|tx| trangtin::audit::tables::AUDIT.values(tx))
        .await
        .unwrap();
    for action in [
        "integrity_check",
        "review_reported",
        "review_handled",
        "review_checked",
    ] {
        assert!(trail.iter().any(|r| r.action == action), "{action}");
    }
}

/// Damaged bookkeeping fails closed: an unreadable holds row hides content instead of
/// releasing it, an unreadable audit anchor is reported instead of reset to genesis,
/// and a file whose bytes changed is not served once the check has seen it.
#[tokio::test(flavor = "multi_thread")]
async fn damaged_holds_anchor_and_files_fail_closed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = TestServer::start_in(&data, |_| {}).await;
    let path =
        publish_through_workflow(&server, "Bài giữ an toàn", "<p>Nội dung đã duyệt.</p>").await;
    // A published file: the first /tep/ link on an article page with an attachment.
    let mut file = None;
    for article in server
        .app
        .store
        .read(|tx| trangtin::content::all_published(tx, trangtin::content::Kind::Article))
        .await
        .unwrap()
    {
        let (_, html) = server
            .page(&format!("/tin-tuc/{}", article.entry.slug))
            .await;
        if let Some(at) = html.find("href=\"/tep/") {
            let start = at + 6;
            let end = html[start..].find('"').unwrap() + start;
            file = Some(html[start..end].to_string());
            break;
        }
    }
    let file = file.expect("a demo article with an attachment");
    assert_eq!(server.get(&file).await.status(), 200);
    let hash = file.split('/').nth(2).unwrap().to_string();
    server.stop().await;

    tamper(&data, |tx| {
        let damaged = serde_json::json!("not a map of holds");
        trangtin::store::META
            .insert(tx, "integrity_holds", &damaged)
            .unwrap();
        trangtin::store::META
            .insert(tx, "audit_anchor", &serde_json::json!(42))
            .unwrap();
    });
    let blob = data.join("blobs").join(&hash[..2]).join(&hash);
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[0] ^= 0xff;
    std::fs::write(&blob, bytes).unwrap();

    let server = TestServer::start_in(&data, |_| {}).await;
    // Unreadable holds: every entry shows the notice, not what may be held.
    let (status, page) = server.page(&path).await;
    assert_eq!(status, 200);
    assert!(page.contains("đang được kiểm tra"), "{page}");
    assert!(!page.contains("Nội dung đã duyệt."));

    let report = server.app.check_integrity("test").await.unwrap();
    let found: Vec<&Finding> = report.mismatches.iter().map(|m| &m.finding).collect();
    assert!(
        found
            .iter()
            .any(|f| matches!(f, Finding::AuditBroken { detail } if detail.contains("anchor"))),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|f| matches!(f, Finding::BlobAltered { hash: h } if *h == hash))
    );
    // The check rewrote the holds: the untouched article is back.
    assert!(server.page(&path).await.1.contains("Nội dung đã duyệt."));
    // The altered file is not served, not even as "not modified".
    let altered = server.get(&file).await;
    assert_eq!(altered.status(), 503);
    assert!(
        altered
            .text()
            .await
            .unwrap()
            .contains("Tệp đang được kiểm tra")
    );
    let revalidate = server
        .client()
        .get(server.url(&file))
        .header("if-none-match", format!("\"{hash}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(revalidate.status(), 503);
    // The trail page says the chain cannot be checked.
    let (_, trail) = server.login("admin").await.get("/quan-tri/nhat-ky").await;
    assert!(
        trail.contains("không đọc được điểm bắt đầu của chuỗi"),
        "{trail}"
    );
}

/// Browsers may keep a file for good only once its bytes were checked against its
/// name since the file was last written; a file changed behind the server's back is
/// revalidated, and once the check flags it, it is not served at all.
#[tokio::test(flavor = "multi_thread")]
async fn only_checked_files_are_cached_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = TestServer::start_in(&data, |_| {}).await;
    let (_, html) = server.page("/").await;
    let at = html.find("/tep/").expect("a file on the home page");
    let end = html[at..].find(['"', ' ', '?']).unwrap() + at;
    let file = html[at..end].to_string();
    server.stop().await;

    let cache_control =
        |r: &reqwest::Response| r.headers()["cache-control"].to_str().unwrap().to_string();
    let server = TestServer::start_in(&data, |_| {}).await;
    // A new process has checked nothing yet: revalidate, and check in the background.
    let first = server.get(&file).await;
    assert_eq!(first.status(), 200);
    assert_eq!(cache_control(&first), "public, no-cache");
    let mut checked = false;
    for _ in 0..100 {
        if cache_control(&server.get(&file).await).contains("immutable") {
            checked = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(checked, "the background check marks the file as checked");
    // Changed on disk: no longer cached for good.
    let hash = file.split('/').nth(2).unwrap().to_string();
    let blob = data.join("blobs").join(&hash[..2]).join(&hash);
    let mut bytes = std::fs::read(&blob).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&blob, bytes).unwrap();
    let changed = server.get(&file).await;
    assert!(!cache_control(&changed).contains("immutable"));
    // That answer's background check finds the bytes altered: the file is held at once,
    // before the integrity check runs.
    let mut held_early = false;
    for _ in 0..100 {
        if server.get(&file).await.status() == 503 {
            held_early = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(held_early, "held as soon as a check finds it altered");
    // Once the integrity check has flagged it, it stays held.
    server.app.check_integrity("test").await.unwrap();
    let held = server.get(&file).await;
    assert_eq!(held.status(), 503);
    assert!(!cache_control(&held).contains("immutable"));
}

/// Overwrites every 4 KiB page of `file` that holds `needle` (the live copy and any
/// stale ones); returns how many.
fn damage_pages_holding(file: &Path, needle: &[u8]) -> usize {
    let mut bytes = std::fs::read(file).unwrap();
    let pages: std::collections::BTreeSet<usize> = bytes
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(at, _)| at / 4096 * 4096)
        .collect();
    for &page in &pages {
        let end = (page + 4096).min(bytes.len());
        for b in &mut bytes[page..end] {
            *b = 0xAA;
        }
    }
    std::fs::write(file, bytes).unwrap();
    pages.len()
}

/// Pages of a seeded database overwritten where three different records live: no
/// command panics; `verify` and `doctor` exit 1 and say the file is damaged; a server
/// on it keeps serving what it can read, answers 503 (never 500) for what it cannot,
/// and once the check has run `/readyz` reports the damage.
#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_database_is_reported_and_the_rest_is_still_served() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = TestServer::start_in(&data, |_| {}).await;
    server.stop().await;
    // Opened and closed once more by a command: the copies start from a clean close.
    let first = trangtin(&data, &["verify"], "");
    assert!(first.status.success(), "{first:?}");
    for (n, needle) in [
        "Tập huấn an toàn bức xạ",
        "Hiệu quả mô hình nuôi tôm",
        "Nghiệm thu nhiệm vụ ứng dụng chế phẩm",
    ]
    .into_iter()
    .enumerate()
    {
        let copy = dir.path().join(format!("copy-{n}"));
        copy_dir(&data, &copy);
        let pages = damage_pages_holding(&copy.join("trangtin.redb"), needle.as_bytes());
        assert!(pages > 0, "{needle} is in the file");
        let run = |args: &'static [&'static str]| {
            let copy = copy.clone();
            tokio::task::spawn_blocking(move || trangtin(&copy, args, ""))
        };
        let verify = run(&["verify"]).await.unwrap();
        let said = String::from_utf8_lossy(&verify.stderr).into_owned();
        assert_eq!(verify.status.code(), Some(1), "verify on {needle}: {said}");
        assert!(said.contains("the database file"), "{said}");
        let doctor = run(&["doctor"]).await.unwrap();
        let said = String::from_utf8_lossy(&doctor.stdout).into_owned();
        assert_eq!(doctor.status.code(), Some(1), "doctor on {needle}: {said}");
        assert!(said.contains("[FAIL] database file is damaged"), "{said}");
        let backup = run(&["backup"]).await.unwrap();
        assert!(
            matches!(backup.status.code(), Some(0..=2)),
            "backup on {needle}: {:?}",
            backup.status
        );

        let mut served = crate::binary::Binary::serve(&copy, "");
        let verify = run(&["verify"]).await.unwrap();
        assert_eq!(verify.status.code(), Some(1), "verify through the server");
        let (status, why) = served.page("/readyz").await;
        assert_eq!(status, 503, "{why}");
        assert!(why.contains("damaged"), "{why}");
        let mut answered = Vec::new();
        for path in [
            "/",
            "/tin-tuc",
            "/van-ban",
            "/thu-tuc",
            "/so-do-trang",
            "/tim-kiem?q=khoa+h%E1%BB%8Dc",
        ] {
            let (status, _) = served.page(path).await;
            assert!(
                status == 200 || status == 503,
                "{path} on {needle}: {status}"
            );
            answered.push(status);
        }
        assert!(
            answered.contains(&200),
            "undamaged pages are served: {answered:?}"
        );
        assert!(served.exited().is_none());
        drop(served);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// redb's own check works on a copy of the file. When the disk cannot take that copy
/// (here the copy's name leads to `/dev/full`, which answers every write with "no space
/// left on device"), the check says the file was not checked and why, and asks for
/// space: it does not call the file damaged, `/readyz` stays ready and nothing is held.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn a_disk_too_full_for_the_files_check_is_not_called_damage() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = TestServer::start_in(&data, |_| {}).await;
    wait_for_control(&server).await;
    let copy = data.join(".tmp-integrity-check.redb");
    std::os::unix::fs::symlink("/dev/full", &copy).unwrap();

    let out = verify(&data).await;
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("the database file was not checked"), "{said}");
    assert!(said.contains("free space on the disk"), "{said}");
    assert!(!said.contains("damage"), "{said}");
    let report: trangtin::integrity::Report = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.mismatches.len(), 1, "{said}");
    assert!(matches!(
        report.mismatches[0].finding,
        Finding::StorageUnchecked {
            disk_full: true,
            ..
        }
    ));
    // The rest of the check ran: the published revisions were verified.
    assert!(report.revisions_checked > 0);
    let (status, why) = server.page("/readyz").await;
    assert_eq!(status, 200, "{why}");
    assert_eq!(server.page("/").await.0, 200);
    let admin = server.login("admin").await;
    let (_, checks) = admin.get("/quan-tri/kiem-tra").await;
    assert!(
        checks.contains("ổ đĩa chứa thư mục dữ liệu đã đầy"),
        "{checks}"
    );
    assert!(!checks.contains("khôi phục từ bản sao lưu"), "{checks}");
    // The history of checks says the same.
    assert!(
        checks.contains("Không đạt: chưa kiểm tra được tệp cơ sở dữ liệu vì ổ đĩa"),
        "{checks}"
    );
    assert!(!checks.contains("1 điểm không khớp"), "{checks}");
    // The banner on every admin page says the file was not checked, not that content
    // was changed.
    let (_, home) = admin.get("/quan-tri").await;
    assert!(
        home.contains("chưa kiểm tra được tệp cơ sở dữ liệu vì ổ đĩa chứa dữ liệu đã đầy"),
        "{home}"
    );
    assert!(
        !home.contains("điểm không khớp với nội dung đã duyệt"),
        "{home}"
    );

    // The failed copy's name is gone; `doctor` says the same of a full disk.
    assert!(std::fs::symlink_metadata(&copy).is_err());
    std::os::unix::fs::symlink("/dev/full", &copy).unwrap();
    let doctor = {
        let data = data.clone();
        tokio::task::spawn_blocking(move || trangtin(&data, &["doctor"], ""))
            .await
            .unwrap()
    };
    let said = String::from_utf8_lossy(&doctor.stdout).into_owned();
    assert_eq!(doctor.status.code(), Some(1), "{said}");
    assert!(said.contains("[FAIL] database file not checked"), "{said}");
    assert!(
        said.contains("the disk holding the data folder is full"),
        "{said}"
    );
    assert!(!said.contains("restore the last backup"), "{said}");
    // With room again the check passes.
    passes_verify(&data).await;
}
