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
    let server = TestServer::start_with(|c| {
        c.demo = false;
        c.base_url = Some("https://sokhcn.gialai.gov.vn".into());
        c.old_hosts = vec!["skhcn.binhdinh.gov.vn".into()];
    })
    .await;
    // The server task binds its control socket as soon as it runs.
    let socket = server.data.join("trangtin.sock");
    for _ in 0..100 {
        if socket.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
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

    // The old host name, pointed here, leads to the new address in one step, over
    // HTTPS and over plain HTTP.
    let raw = server
        .raw(b"GET /hoi-thao-giong-lua-chiu-han/ HTTP/1.1\r\nHost: skhcn.binhdinh.gov.vn\r\nConnection: close\r\n\r\n")
        .await;
    assert!(raw.starts_with("HTTP/1.1 301"), "{raw}");
    let expected = format!(
        "location: https://sokhcn.gialai.gov.vn{}\r\n",
        seminar.address
    );
    assert!(raw.to_ascii_lowercase().contains(&expected), "{raw}");
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut plain = tokio::net::TcpStream::connect(server.http.unwrap())
            .await
            .unwrap();
        plain
            .write_all(
                b"GET /?p=206 HTTP/1.1\r\nHost: skhcn.binhdinh.gov.vn\r\nConnection: close\r\n\r\n",
            )
            .await
            .unwrap();
        let mut answer = String::new();
        plain.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 301"), "{answer}");
        assert!(answer.to_ascii_lowercase().contains(&expected), "{answer}");
    }

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

    // The Board head discards the batch, with a reason: its drafts go, and a run with
    // the missing file stages everything again in a new batch.
    let refused = head
        .post(&format!("/quan-tri/nhap/{batch}/huy"), &[("ly_do", " ")])
        .await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Vui lòng ghi lý do hủy lô nhập")
    );
    head.post_ok(
        &format!("/quan-tri/nhap/{batch}/huy"),
        &[("ly_do", "Thiếu ảnh, sẽ nhập lại với đủ tệp")],
    )
    .await;
    let gone = server
        .app
        .store
        .read(move |tx| trangtin::content::editorial::entry(tx, id))
        .await;
    assert!(gone.is_err(), "the discarded draft is removed");
    let (code, out, _) = import(
        &server.data,
        &[
            "wordpress",
            fixture().join("export.xml").to_str().unwrap(),
            "--uploads",
            fixture().join("uploads").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("imported 207 items"), "{out}");
    let all = batches(&server).await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].state, trangtin::import::BatchState::Discarded);
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

/// One answer of the old portal this test serves.
#[derive(Clone)]
struct Answer {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    location: Option<String>,
    delay: std::time::Duration,
}

fn html(content_type: &'static str, body: Vec<u8>) -> Answer {
    Answer {
        status: 200,
        content_type,
        body,
        location: None,
        delay: std::time::Duration::ZERO,
    }
}

type Requests = std::sync::Arc<std::sync::Mutex<Vec<(String, std::time::Instant)>>>;

/// A plain-HTTP old portal on loopback, answering `pages` by path and query, and
/// recording every request.
async fn old_portal(
    pages: std::collections::HashMap<String, Answer>,
) -> (std::net::SocketAddr, Requests) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests: Requests = Default::default();
    let seen = requests.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let pages = pages.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head);
                let target = text.split_whitespace().nth(1).unwrap_or("/").to_string();
                seen.lock()
                    .unwrap()
                    .push((target.clone(), std::time::Instant::now()));
                let answer = pages.get(&target).cloned().unwrap_or(Answer {
                    status: 404,
                    content_type: "text/html",
                    body: b"<h1>Not found</h1>".to_vec(),
                    location: None,
                    delay: std::time::Duration::ZERO,
                });
                tokio::time::sleep(answer.delay).await;
                let mut out = format!(
                    "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
                    answer.status,
                    answer.content_type,
                    answer.body.len()
                );
                if let Some(location) = &answer.location {
                    out.push_str(&format!("Location: {location}\r\n"));
                }
                out.push_str("\r\n");
                let _ = stream.write_all(out.as_bytes()).await;
                let _ = stream.write_all(&answer.body).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (addr, requests)
}

fn article(title: &str, date: &str, summary: &str, body: &str, extra: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><title>{title}</title></head><body>\
         <div class=\"menu\"><a href=\"/c/portal/logout\">Thoát</a></div>\
         <h1 class=\"tieu-de\">{title}</h1><p class=\"ngay\">{date}</p>\
         <p class=\"tom-tat\">{summary}</p><div class=\"noi-dung\">{body}</div>{extra}\
         </body></html>"
    )
}

/// Latin-1 characters as the bytes a font-encoded page is made of.
fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_old_portal_is_crawled_into_a_batch_and_its_addresses_redirect() {
    use std::collections::HashMap;
    let (server, head) = fresh_site().await;
    let sections = server
        .app
        .store
        .read(trangtin::content::sections::all)
        .await
        .unwrap();
    let news: Vec<String> = sections
        .iter()
        .filter(|s| s.kinds.contains(&trangtin::content::Kind::Article))
        .map(|s| s.slug.clone())
        .collect();
    let target_section = news.last().unwrap().clone();

    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
        .encode_image(&image::RgbImage::from_pixel(
            64,
            48,
            image::Rgb([30, 120, 60]),
        ))
        .unwrap();
    let liferay = "/web/guest/tin-tuc/-/asset_publisher/abc/content/hoi-thao-chuyen-doi-so";
    let tin = |n: &str| format!("/index.php/Home/ChiTietTin/?tin={n}");
    let page2 = "/web/guest/tin-tuc?p_p_id=101_INSTANCE_abc&p_p_lifecycle=0&cur=2";
    let mut pages: HashMap<String, Answer> = HashMap::new();
    pages.insert(
        "/web/guest/tin-tuc".into(),
        html(
            "text/html; charset=utf-8",
            format!(
                "<html><body><a href=\"{liferay}\">Hội thảo</a>\
                 <a href=\"{liferay}?redirect=%2Fweb%2Fguest%2Ftin-tuc\">Hội thảo (bản khác)</a>\
                 <a href=\"{}\">Trang 2</a>\
                 <a href=\"/c/portal/logout\">Đăng xuất</a>\
                 <a href=\"/web/guest/home?p_p_id=58&amp;p_p_lifecycle=1&amp;_58_struts_action=%2Flogin%2Flogin\">Đăng nhập</a>\
                 <a href=\"/group/control_panel/manage\">Quản trị</a>\
                 <a href=\"https://other.example/tin-tuc/x\">Trang khác</a></body></html>",
                page2.replace('&', "&amp;")
            )
            .into_bytes(),
        ),
    );
    let items = [
        "NDczMQ%3D%3D",
        "NDczMg%3D%3D",
        "NDczMw%3D%3D",
        "NDczNA%3D%3D",
        "NDczNQ%3D%3D",
        "NDczNg%3D%3D",
        "NDczNw%3D%3D",
        "NDczOA%3D%3D",
    ];
    // Another host, which an item redirects to: the crawler must not go there.
    let (elsewhere, elsewhere_requests) = old_portal(HashMap::new()).await;
    pages.insert(
        page2.into(),
        html(
            "text/html; charset=utf-8",
            items
                .iter()
                .map(|n| format!("<a href=\"{}\">Tin {n}</a>", tin(n)))
                .collect::<String>()
                .into_bytes(),
        ),
    );
    let seminar = article(
        "Hội thảo chuyển đổi số năm 2024",
        "Ngày đăng: 19/07/2024",
        "Sở tổ chức hội thảo về chuyển đổi số.",
        "<p>Xin chào các bạn, hội thảo bàn về dữ liệu mở.</p>\
         <img src=\"/image/journal/article?img_id=123\" alt=\"Quang cảnh hội thảo\">\
         <p>Xem <a href=\"/index.php/Home/ChiTietTin/?tin=NDczMg%3D%3D\">tin liên quan</a>.</p>",
        "<div class=\"dinh-kem\"><a href=\"/documents/10180/0/ke-hoach-2024.pdf\">Kế hoạch số 45</a></div>",
    );
    pages.insert(
        liferay.into(),
        html("text/html; charset=utf-8", seminar.clone().into_bytes()),
    );
    pages.insert(
        format!("{liferay}?redirect=%2Fweb%2Fguest%2Ftin-tuc"),
        html("text/html; charset=utf-8", seminar.into_bytes()),
    );
    pages.insert(
        "/image/journal/article?img_id=123".into(),
        html("image/jpeg", jpeg),
    );
    pages.insert(
        "/documents/10180/0/ke-hoach-2024.pdf".into(),
        html(
            "application/pdf",
            b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec(),
        ),
    );
    // TCVN3, labelled as Latin-1 the way such portals were.
    pages.insert(
        tin(items[0]),
        html(
            "text/html; charset=iso-8859-1",
            latin1(&article(
                "Së Khoa häc vµ C«ng nghÖ",
                "19/07/2024",
                "",
                "<p>Së GD-§T vµ UBND tØnh</p>",
                "",
            )),
        ),
    );
    // VNI, with no label at all.
    pages.insert(
        tin(items[1]),
        html(
            "text/html",
            latin1(&article(
                "Xin chaøo caùc baïn",
                "20/07/2024",
                "",
                "<p>Sôû Khoa hoïc vaø Coâng ngheä</p>",
                "",
            )),
        ),
    );
    // Windows-1258, tone marks as combining bytes.
    let w1258_page = article(
        "Quyê\u{301}t đi\u{323}nh vê\u{300} khoa ho\u{323}c",
        "21/07/2024",
        "",
        "<p>Quyê\u{301}t đi\u{323}nh sô\u{301} 41</p>",
        "",
    );
    let (w1258, _, unmappable) = encoding_rs::WINDOWS_1258.encode(&w1258_page);
    assert!(!unmappable);
    pages.insert(
        tin(items[2]),
        html("text/html; charset=windows-1258", w1258.into_owned()),
    );
    // items[3] is not there: 404.
    let mut slow = html(
        "text/html; charset=utf-8",
        article("Chậm", "", "", "<p>x</p>", "").into_bytes(),
    );
    slow.delay = std::time::Duration::from_secs(4);
    pages.insert(tin(items[4]), slow);
    pages.insert(
        tin(items[5]),
        Answer {
            status: 302,
            content_type: "text/html",
            body: Vec::new(),
            location: Some(tin(items[5])),
            delay: std::time::Duration::ZERO,
        },
    );
    pages.insert(
        tin(items[6]),
        html(
            "text/html; charset=utf-8",
            article("Quá lớn", "", "", &"<p>chữ</p>".repeat(20_000), "").into_bytes(),
        ),
    );
    pages.insert(
        tin(items[7]),
        Answer {
            status: 302,
            content_type: "text/html",
            body: Vec::new(),
            location: Some(format!("http://localhost:{}/noi-bo", elsewhere.port())),
            delay: std::time::Duration::ZERO,
        },
    );
    let (addr, requests) = old_portal(pages).await;

    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("map.toml");
    std::fs::write(
        &map,
        format!(
            r#"delay_ms = 150
timeout_secs = 2
max_page_bytes = 100000
date_format = "%d/%m/%Y"

[[lists]]
pattern = "/web/guest/tin-tuc*"
section = "{target_section}"

[[items]]
pattern = "/web/guest/tin-tuc/-/asset_publisher/*/content/*"
title = "h1.tieu-de"
date = ".ngay"
summary = ".tom-tat"
body = ".noi-dung"
attachments = ".dinh-kem a"

[[items]]
pattern = "/index.php/Home/ChiTietTin/?tin=*"
title = "h1.tieu-de"
date = ".ngay"
body = ".noi-dung"
"#
        ),
    )
    .unwrap();
    let start = format!("http://{addr}/web/guest/tin-tuc");
    let report_path = dir.path().join("report.json");
    let (code, out, err) = import(
        &server.data,
        &[
            "crawl",
            &start,
            "--map",
            map.to_str().unwrap(),
            "--report",
            report_path.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 3, "some pages failed, the rest came in: {out}\n{err}");
    let report: trangtin::import::Report =
        serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    assert_eq!(report.imported, 4, "{out}");
    let failed = |n: &str| {
        report
            .failed
            .iter()
            .find(|f| f.source_id.contains(n))
            .map(|f| f.reason.clone())
            .unwrap_or_default()
    };
    assert!(failed(items[3]).contains("404"), "{out}");
    assert!(failed(items[4]).contains("time limit"), "{out}");
    assert!(failed(items[5]).contains("redirect loop"), "{out}");
    assert!(failed(items[6]).contains("larger than the limit"), "{out}");
    assert!(failed(items[7]).contains("not on the old site"), "{out}");
    assert!(
        elsewhere_requests.lock().unwrap().is_empty(),
        "no request left the old site"
    );
    assert!(
        report
            .skipped
            .iter()
            .any(|s| s.source_id.contains("redirect=")),
        "the duplicate is reported: {out}"
    );
    let converted: Vec<&str> = report.converted.iter().map(|(_, e)| e.as_str()).collect();
    for encoding in ["TCVN3", "VNI", "Windows-1258"] {
        assert!(converted.contains(&encoding), "{converted:?}");
    }
    // The crawler stayed on the host, never signed out, in or into the admin pages,
    // and waited between requests.
    let seen = requests.lock().unwrap().clone();
    for (path, _) in &seen {
        assert!(
            !path.contains("logout")
                && !path.contains("p_p_lifecycle=1")
                && !path.contains("control_panel"),
            "{path}"
        );
    }
    for pair in seen.windows(2) {
        let gap = pair[1].1.duration_since(pair[0].1);
        assert!(
            gap >= std::time::Duration::from_millis(140),
            "{gap:?} between {} and {}",
            pair[0].0,
            pair[1].0
        );
    }

    // Approved by the Board head; then every old address leads to a page.
    let batch = batches(&server).await[0].id;
    let staged = staged(&server, batch).await;
    head.post_ok(&format!("/quan-tri/nhap/{batch}/duyet"), &[])
        .await;
    let mut saw_duplicate = false;
    for item in staged.iter().filter(|s| s.go_live) {
        for old in &item.old_addresses {
            let (status, location) = status_through_redirect(&server, old).await;
            assert_eq!(status, 200, "{old}");
            assert_eq!(location.as_deref(), Some(item.address.as_str()), "{old}");
            saw_duplicate |= old.contains("redirect=");
        }
        if item.entry.is_some() {
            let (status, html) = server.page(&item.address).await;
            assert_eq!(status, 200);
            for link in body_links(&html) {
                assert_eq!(
                    status_through_redirect(&server, &link).await.0,
                    200,
                    "{link}"
                );
            }
        }
    }
    assert!(
        saw_duplicate,
        "the duplicate's address leads to the same article"
    );
    // The PHP portal's base64 address, as linked and decoded, and the Liferay one.
    for old in [
        tin(items[0]),
        "/index.php/Home/ChiTietTin/?tin=NDczMQ==".to_string(),
        liferay.to_string(),
    ] {
        assert_eq!(server.get(&old).await.status(), 301, "{old}");
    }
    // Text from every encoding arrives as UTF-8 NFC.
    let text_of = |source: &str| {
        staged
            .iter()
            .find(|s| s.source_id.contains(source))
            .unwrap()
            .clone()
    };
    assert_eq!(text_of(items[0]).title, "Sở Khoa học và Công nghệ");
    assert_eq!(text_of(items[1]).title, "Xin chào các bạn");
    assert_eq!(text_of(items[2]).title, "Quyết định về khoa học");
    let (_, tcvn3) = server.page(&text_of(items[0]).address).await;
    assert!(tcvn3.contains("Sở GD-ĐT và UBND tỉnh"), "{tcvn3}");
    let seminar = text_of("hoi-thao-chuyen-doi-so");
    assert_eq!(
        seminar.section.as_deref(),
        Some(target_section.as_str()),
        "the list's section"
    );
    let (_, page) = server.page(&seminar.address).await;
    assert!(
        page.contains("Kế hoạch số 45"),
        "the attachment, by its link text"
    );
    assert!(page.contains("19/07/2024"), "the old date");
    // Search finds imported text with and without diacritics.
    for q in ["d%E1%BB%AF+li%E1%BB%87u+m%E1%BB%9F", "du+lieu+mo"] {
        let (_, found) = server.page(&format!("/tim-kiem?q={q}")).await;
        assert!(found.contains(&seminar.address), "search {q}");
    }

    // A second run fetches no item again and changes nothing.
    let fetched_before = requests.lock().unwrap().len();
    let (_, out, _) = import(
        &server.data,
        &["crawl", &start, "--map", map.to_str().unwrap()],
    );
    assert!(out.contains("imported 0 items"), "{out}");
    let again: Vec<String> = requests.lock().unwrap()[fetched_before..]
        .iter()
        .map(|(p, _)| p.clone())
        .collect();
    assert!(
        !again.iter().any(|p| p == liferay || p == &tin(items[0])),
        "{again:?}"
    );
    assert_eq!(batches(&server).await.len(), 1);
}

/// The Board head reviews the batch in Chromium, on a desktop and at 390 px, and
/// approves it there; the pages pass axe.
#[tokio::test(flavor = "multi_thread")]
async fn the_board_head_reviews_and_approves_a_batch_in_chromium() {
    use fantoccini::Locator;
    let Some(axe_js) = crate::browser::axe_source() else {
        return;
    };
    let Some(driver) = crate::browser::start_driver().await else {
        return;
    };
    let (server, _) = fresh_site().await;
    let (code, out, err) = import(
        &server.data,
        &[
            "wordpress",
            fixture().join("export.xml").to_str().unwrap(),
            "--uploads",
            fixture().join("uploads").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let batch = batches(&server).await[0].id;
    let client = crate::browser::open_browser(&driver).await;
    let mut violations = Vec::new();
    crate::browser::login(&client, &server, "truongban", &mut violations, &axe_js).await;
    crate::browser::visit(&client, &server.url("/quan-tri/nhap")).await;
    violations.extend(crate::browser::axe(&client, &axe_js).await);
    let list = client.source().await.unwrap();
    assert!(
        list.contains(&format!("Lô số {batch}")) && list.contains("Chờ Trưởng Ban biên tập duyệt")
    );
    crate::browser::visit(&client, &server.url(&format!("/quan-tri/nhap/{batch}"))).await;
    violations.extend(crate::browser::axe(&client, &axe_js).await);
    // On a phone the page does not scroll sideways; the wide table scrolls in its box.
    client.set_window_size(390, 844).await.unwrap();
    let width = crate::browser::page_width(&client).await;
    assert!(width <= 390, "the page is {width} px wide at 390");
    violations.extend(crate::browser::axe(&client, &axe_js).await);
    client
        .find(Locator::XPath(
            "//button[contains(., 'Duyệt cả lô và đăng')]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for _ in 0..100 {
        if client.source().await.unwrap().contains("Đã duyệt lô nhập") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let after = client.source().await.unwrap();
    assert!(after.contains("Đã duyệt lô nhập"), "the flash says so");
    assert!(
        after.contains("(Lê Thị Thu Hà, "),
        "the batch names its approver"
    );
    violations.extend(crate::browser::axe(&client, &axe_js).await);
    client.close().await.unwrap();
    assert!(violations.is_empty(), "{violations:#?}");
    let (status, _) = server.page("/tin-tuc/hoi-thao-giong-lua-chiu-han").await;
    assert_eq!(status, 200);
}
