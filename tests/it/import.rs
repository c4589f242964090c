//! Bringing an old site in: `trangtin import wordpress` on the real WordPress 6.1 export
//! (tests/fixtures/wordpress, as WordPress wrote it), and `trangtin import crawl` on an
//! old portal this test serves on loopback. Each run is one batch: nothing is public
//! until the Board head approves it; then every item renders and every old address
//! answers 301 with a page that answers 200.

use std::path::{Path, PathBuf};

use crate::support::{Staff, TestServer, trangtin};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wordpress")
}

/// A site as `install` leaves it (no demo), with a Board head, signed in.
async fn fresh_site() -> (TestServer, Staff) {
    let server = TestServer::start_with(|c| c.demo = false).await;
    let made = trangtin(
        &server.data,
        &[
            "user",
            "add",
            "truongban",
            "--role",
            "board_head",
            "--name",
            "Lê Thị Thu Hà",
        ],
        "mat-khau-truong-ban-2026\n",
    );
    assert!(made.status.success(), "{made:?}");
    let head = server.login("truongban").await;
    (server, head)
}

fn import(data: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["import"];
    all.extend_from_slice(args);
    let out = trangtin(data, &all, "");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The status a path ends at, following one redirect (which must be a 301).
async fn status_through_redirect(server: &TestServer, path: &str) -> (u16, Option<String>) {
    let first = server.get(path).await;
    if first.status() != 301 {
        return (first.status().as_u16(), None);
    }
    let location = first.headers()["location"].to_str().unwrap().to_string();
    (
        server.get(&location).await.status().as_u16(),
        Some(location),
    )
}

/// The local links and images of an entry page's body.
fn body_links(html: &str) -> Vec<String> {
    let start = html.find("<div class=\"body\">").expect("an entry body");
    let end = html[start..].find("</div>").unwrap() + start;
    let body = &html[start..end];
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        let mut rest = body;
        while let Some(at) = rest.find(attr) {
            rest = &rest[at + attr.len()..];
            let value = &rest[..rest.find('"').unwrap()];
            if value.starts_with('/') {
                out.push(value.replace("&amp;", "&"));
            }
        }
    }
    out
}

async fn batches(server: &TestServer) -> Vec<trangtin::import::Batch> {
    server
        .app
        .store
        .read(trangtin::import::batches)
        .await
        .unwrap()
}

async fn staged(server: &TestServer, batch: u64) -> Vec<trangtin::import::Staged> {
    server
        .app
        .store
        .read(move |tx| trangtin::import::items(tx, batch))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wordpress_export_comes_in_as_one_batch_the_board_head_approves() {
    let (server, head) = fresh_site().await;
    let export = fixture().join("export.xml");
    let uploads = fixture().join("uploads");
    let dir = tempfile::tempdir().unwrap();

    // Malformed XML: one clear error with the line and column, and nothing written.
    let text = std::fs::read_to_string(&export).unwrap();
    let broken = dir.path().join("broken.xml");
    std::fs::write(
        &broken,
        text.replacen("</wp:post_name>", "</wp:post_nam>", 40),
    )
    .unwrap();
    let (code, _, err) = import(&server.data, &["wordpress", broken.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("line") && err.contains("column"), "{err}");
    assert!(batches(&server).await.is_empty(), "nothing written");

    // A dry run says what would happen and writes nothing.
    let (code, out, err) = import(
        &server.data,
        &[
            "wordpress",
            export.to_str().unwrap(),
            "--uploads",
            uploads.to_str().unwrap(),
            "--dry-run",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("dry run") && out.contains("imported 207 items"),
        "{out}"
    );
    assert!(
        batches(&server).await.is_empty(),
        "a dry run writes nothing"
    );

    // The real run: one batch, and its report.
    let report_path = dir.path().join("report.json");
    let (code, out, err) = import(
        &server.data,
        &[
            "wordpress",
            export.to_str().unwrap(),
            "--uploads",
            uploads.to_str().unwrap(),
            "--report",
            report_path.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let report: trangtin::import::Report =
        serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    // 206 posts and 2 pages, less the private post; the draft and the pending post
    // come in as drafts.
    assert_eq!(report.imported, 207, "{out}");
    assert_eq!(report.drafts, 2);
    assert_eq!(report.files, 3, "two JPEGs and a PDF");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert!(
        report.missing_files.is_empty(),
        "{:?}",
        report.missing_files
    );
    assert!(
        report
            .skipped
            .iter()
            .any(|s| s.source_id == "post:214" && s.reason.contains("riêng tư")),
        "the private post is reported, not imported: {:?}",
        report.skipped
    );
    assert_eq!(report.comments, 1, "counted, not published");
    assert!(
        !report.unmapped_categories.is_empty(),
        "unmapped categories are listed"
    );
    let all = batches(&server).await;
    assert_eq!(all.len(), 1);
    let batch = all[0].id;
    let items = staged(&server, batch).await;
    let seminar = items
        .iter()
        .find(|s| s.source_id == "post:206")
        .unwrap()
        .clone();

    // Nothing is public before the approval: not the new address, not the old one.
    assert_eq!(server.page(&seminar.address).await.0, 404);
    assert_eq!(
        server.get("/hoi-thao-giong-lua-chiu-han/").await.status(),
        404
    );
    // (`/?p=206` is the home page until then.)
    assert_eq!(server.get("/?p=206").await.status(), 200);
    let (_, found) = server.page("/tim-kiem?q=gi%E1%BB%91ng+l%C3%BAa").await;
    assert!(
        !found.contains(&seminar.address),
        "not searchable before approval"
    );

    // The preview names the items, their sections and the old addresses.
    let (status, preview) = head.get(&format!("/quan-tri/nhap/{batch}")).await;
    assert_eq!(status, 200);
    assert!(preview.contains("Hội thảo khoa học về giống lúa chịu hạn"));
    assert!(preview.contains("/hoi-thao-giong-lua-chiu-han/"));
    assert!(preview.contains("Duyệt cả lô"));
    // The Board head approves the batch in one step.
    head.post_ok(&format!("/quan-tri/nhap/{batch}/duyet"), &[])
        .await;

    // Every item that was published renders; every old address answers 301 to a 200;
    // every internal link and image in the bodies resolves.
    let mut checked_links = 0;
    for item in items.iter().filter(|s| s.go_live) {
        let (status, html) = server.page(&item.address).await;
        assert_eq!(status, 200, "{} {}", item.source_id, item.address);
        if item.entry.is_some() {
            for link in body_links(&html) {
                let (status, _) = status_through_redirect(&server, &link).await;
                assert_eq!(status, 200, "{} links to {link}", item.address);
                checked_links += 1;
            }
        }
        for old in &item.old_addresses {
            let answer = server.get(old).await;
            assert_eq!(answer.status(), 301, "{old}");
            assert_eq!(answer.headers()["location"], item.address.as_str(), "{old}");
        }
    }
    assert!(
        checked_links >= 4,
        "the seminar's images and links were checked"
    );
    // The seminar: its caption, its gallery, its cover, its tags, its old date.
    let (_, page) = server.page(&seminar.address).await;
    assert!(
        page.contains("<figcaption>Quang cảnh hội thảo. Ảnh: KL</figcaption>"),
        "{page}"
    );
    assert!(page.contains("alt=\"Ruộng lúa thử nghiệm giống chịu hạn ở huyện Tây Sơn\""));
    assert!(!page.contains("[caption") && !page.contains("[gallery"));
    assert!(
        page.contains("giống lúa, hội thảo, nông nghiệp"),
        "tags became keywords"
    );
    assert!(page.contains("23/07/2024"), "the old date is kept");
    assert!(
        page.contains("Nguyễn Thị Biên Tập"),
        "the author's name is kept"
    );
    // The internal link points at the new address itself, not through a redirect.
    assert!(page.contains(
        "href=\"/tin-tuc/bac-ninh-canh-bao-thu-doan-lua-dao-gia-danh-co-quan-nha-nuoc\""
    ));
    // The old file addresses, every size WordPress made, lead to the stored file.
    for old in [
        "/wp-content/uploads/2024/07/hoi-thao-lua.jpg",
        "/wp-content/uploads/2024/07/hoi-thao-lua-1024x576.jpg",
        "/wp-content/uploads/2024/08/ke-hoach-2024.pdf",
    ] {
        let (status, location) = status_through_redirect(&server, old).await;
        assert_eq!(status, 200, "{old}");
        assert!(location.unwrap().starts_with("/tep/"));
    }
    // The PDF is the notice's attachment.
    let notice = items.iter().find(|s| s.source_id == "post:210").unwrap();
    let (_, notice_page) = server.page(&notice.address).await;
    assert!(notice_page.contains("ke-hoach-2024.pdf"), "{notice_page}");
    // The child page names its parent.
    let child = items.iter().find(|s| s.source_id == "page:205").unwrap();
    let (_, child_page) = server.page(&child.address).await;
    assert!(
        child_page.contains(">Giới thiệu</a> › "),
        "breadcrumb through the parent"
    );
    // The decomposed title is stored composed (NFC).
    use unicode_normalization::UnicodeNormalization;
    for item in &items {
        assert_eq!(
            item.title,
            item.title.nfc().collect::<String>(),
            "{}",
            item.source_id
        );
    }
    // Drafts stay drafts, in the workflow, not public.
    let draft = items.iter().find(|s| s.source_id == "post:213").unwrap();
    assert!(!draft.go_live);
    assert_eq!(server.page(&draft.address).await.0, 404);
    let draft_id = draft.entry.unwrap();
    let history = server
        .app
        .store
        .read(move |tx| trangtin::content::editorial::events(tx, draft_id))
        .await
        .unwrap();
    assert!(
        history[0].comment.contains("Nhập từ tệp xuất WordPress"),
        "{history:?}"
    );
    // Search finds imported text with and without diacritics.
    for q in [
        "gi%E1%BB%91ng+l%C3%BAa+ch%E1%BB%8Bu+h%E1%BA%A1n",
        "giong+lua+chiu+han",
    ] {
        let (_, found) = server.page(&format!("/tim-kiem?q={q}")).await;
        assert!(found.contains(&seminar.address), "search {q}");
    }
    // The approval is in the audit trail, with its approver.
    let trail = server
        .app
        .store
        .read(|tx| trangtin::audit::tables::AUDIT.values(tx))
        .await
        .unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.action == "import_approved" && e.actor == "truongban")
    );

    // A second run changes nothing.
    let (code, out, _) = import(
        &server.data,
        &[
            "wordpress",
            export.to_str().unwrap(),
            "--uploads",
            uploads.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0);
    assert!(out.contains("imported 0 items"), "{out}");
    assert_eq!(batches(&server).await.len(), 1, "no new batch");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_upload_is_listed_and_the_item_still_comes_in() {
    let (server, head) = fresh_site().await;
    let dir = tempfile::tempdir().unwrap();
    // A copy of the uploads without one image.
    let uploads = dir.path().join("uploads");
    let kept = "2024/07/hoi-thao-lua.jpg";
    std::fs::create_dir_all(uploads.join(kept).parent().unwrap()).unwrap();
    std::fs::copy(fixture().join("uploads").join(kept), uploads.join(kept)).unwrap();
    let report_path = dir.path().join("r.json");
    let (code, out, err) = import(
        &server.data,
        &[
            "wordpress",
            fixture().join("export.xml").to_str().unwrap(),
            "--uploads",
            uploads.to_str().unwrap(),
            "--report",
            report_path.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let report: trangtin::import::Report =
        serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    assert_eq!(report.missing_files.len(), 2, "{:?}", report.missing_files);
    assert!(
        report
            .missing_files
            .iter()
            .any(|m| m.contains("ruong-lua.jpg"))
    );
    assert!(out.contains("missing file"), "{out}");
    // The seminar came in, flagged for its editor.
    let batch = batches(&server).await[0].id;
    let seminar = staged(&server, batch)
        .await
        .into_iter()
        .find(|s| s.source_id == "post:206")
        .unwrap();
    assert!(
        seminar.notes.iter().any(|n| n.contains("Thiếu tệp")),
        "{:?}",
        seminar.notes
    );
    let (_, preview) = head.get(&format!("/quan-tri/nhap/{batch}")).await;
    assert!(preview.contains("Thiếu tệp"));
    let id = seminar.entry.unwrap();
    let history = server
        .app
        .store
        .read(move |tx| trangtin::content::editorial::events(tx, id))
        .await
        .unwrap();
    assert!(
        history[0].comment.contains("Thiếu tệp"),
        "the editor sees it"
    );
}

/// A run killed part-way (the process, with `kill -9`) resumes where it stopped: the
/// second run stages the rest, once each.
#[test]
fn a_killed_import_resumes_where_it_stopped() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A folder as the server leaves it, then no server: the command opens it itself.
    let server = crate::binary::Binary::serve(&data, "");
    server.stop();
    let export = dir.path().join("big.xml");
    let uploads = dir.path().join("uploads");
    trangtin::import::sample::write_export(&export, 1200, 0, &uploads).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_trangtin"))
        .arg("--data")
        .arg(&data)
        .args(["import", "wordpress", export.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Killed once the progress lines show a good part staged.
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut killed_at = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("progress: items ") {
            let done: u64 = rest.split('/').next().unwrap().parse().unwrap();
            if done >= 600 {
                child.kill().unwrap();
                killed_at = Some(done);
                break;
            }
        }
    }
    let _ = child.wait();
    let killed_at = killed_at.expect("the run was killed part-way");
    assert!(killed_at < 1200);
    let out = trangtin(
        &data,
        &["import", "wordpress", export.to_str().unwrap()],
        "",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // What reached the disk before the kill is kept; the rest comes in now.
    let unchanged: u64 = text
        .split("unchanged ")
        .nth(1)
        .and_then(|t| t.split(';').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap();
    assert!(unchanged >= 250, "{text}");
    let (store, _) = trangtin::store::Store::open(&data).unwrap();
    let all = store.read_blocking(trangtin::import::batches).unwrap();
    assert_eq!(all.len(), 1, "the same batch, continued");
    let items = store
        .read_blocking(|tx| trangtin::import::items(tx, all[0].id))
        .unwrap();
    assert_eq!(items.len(), 1200, "each post once");
    let mut addresses: Vec<&str> = items.iter().map(|s| s.address.as_str()).collect();
    addresses.sort_unstable();
    addresses.dedup();
    assert_eq!(addresses.len(), 1200, "no post staged twice");
}
