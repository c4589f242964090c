//! "Nhập từ tệp Word (.docx)": a real `.docx` (made by pandoc from a Vietnamese text
//! with nested lists, a table, an image, a footnote and a link) becomes a draft whose
//! structure is what pandoc itself reads in the same file.

use std::process::Command;

use crate::support::{TestServer, missing_tool};

/// The texts of every `<tag>` element in `html`, in order, tags inside removed and
/// spaces collapsed.
fn texts(html: &str, tag: &str) -> Vec<String> {
    let mut out = Vec::new();
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut rest = html;
    while let Some(at) = rest.find(&open) {
        let after = &rest[at + open.len()..];
        // `<h2` must not match `<h2x`, nor `<li` `<link`.
        if !after.starts_with('>') && !after.starts_with(' ') {
            rest = after;
            continue;
        }
        let Some(start) = after.find('>') else { break };
        let inner = &after[start + 1..];
        let end = inner.find(&close).unwrap_or(inner.len());
        let mut text = String::new();
        let mut in_tag = false;
        for c in inner[..end].chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    text.push(' ');
                }
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        out.push(text.split_whitespace().collect::<Vec<_>>().join(" "));
        rest = &inner[end..];
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_word_document_becomes_a_draft_with_its_structure() {
    if Command::new("pandoc").arg("--version").output().is_err() {
        missing_tool(
            "a_word_document_becomes_a_draft_with_its_structure",
            "pandoc",
            "apt-get install pandoc",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(
            &image::RgbImage::from_pixel(80, 60, image::Rgb([20, 90, 160])),
            80,
            60,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    use image::ImageEncoder;
    std::fs::write(dir.path().join("so-do.png"), &png).unwrap();
    std::fs::write(
        dir.path().join("ke-hoach.md"),
        "# Kế hoạch chuyển đổi số năm 2026\n\n\
         Sở Khoa học và Công nghệ ban hành **kế hoạch** với *mục tiêu* rõ ràng[^1]. \
         Xem [cổng dịch vụ công](https://dichvucong.gov.vn).\n\n\
         ## Nhiệm vụ trọng tâm\n\n\
         1. Hoàn thiện thể chế\n    - Rà soát văn bản\n    - Ban hành quy chế\n\
         2. Phát triển hạ tầng số\n\n\
         | Nhiệm vụ | Thời hạn |\n|---|---|\n| Rà soát | Quý I |\n| Ban hành | Quý II |\n\n\
         ![Sơ đồ tổ chức thực hiện](so-do.png)\n\n\
         ## Tổ chức thực hiện\n\nCác phòng, đơn vị triển khai.\n\n\
         [^1]: Theo Quyết định số 41/2026/QĐ-UBND.\n",
    )
    .unwrap();
    let made = Command::new("pandoc")
        .current_dir(dir.path())
        .args(["ke-hoach.md", "-o", "ke-hoach.docx"])
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let docx = std::fs::read(dir.path().join("ke-hoach.docx")).unwrap();
    let read_back = Command::new("pandoc")
        .current_dir(dir.path())
        .args(["ke-hoach.docx", "-t", "html"])
        .output()
        .unwrap();
    let pandoc = String::from_utf8(read_back.stdout).unwrap();

    let server = TestServer::start().await;
    let writer = server.login("tonghop").await;
    let (_, page) = writer.get("/quan-tri/bai-viet/moi").await;
    assert!(page.contains("Nhập từ tệp Word (.docx)"));
    let form = reqwest::multipart::Form::new()
        .text("csrf", writer.csrf.clone())
        .text("category", "tin-hoat-dong")
        .part(
            "file",
            reqwest::multipart::Part::bytes(docx).file_name("ke-hoach.docx"),
        );
    let origin = format!("https://{}", server.https);
    let answer = writer
        .client
        .post(server.url("/quan-tri/bai-viet/nhap-word"))
        .header("origin", &origin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    if answer.status() != 303 {
        let page = answer.text().await.unwrap();
        let at = page.find("role=\"alert\"").unwrap_or(0);
        panic!(
            "not imported: {}",
            &page[at..page.floor_char_boundary((at + 600).min(page.len()))]
        );
    }
    let location = answer.headers()["location"].to_str().unwrap().to_string();
    let id: u64 = location
        .trim_start_matches("/quan-tri/bai-viet/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (entry, revision) = server
        .app
        .store
        .read(move |tx| {
            let entry = trangtin::content::editorial::entry(tx, trangtin::content::EntryId(id))?;
            let revision = trangtin::content::editorial::revision(tx, entry.working)?;
            Ok::<_, trangtin::content::Error>((entry, revision))
        })
        .await
        .unwrap();
    assert_eq!(entry.state, trangtin::content::State::Draft);
    let body = revision.fields.body_html;
    assert_eq!(revision.fields.title, "Kế hoạch chuyển đổi số năm 2026");

    // The same headings (pandoc's h1/h2 are h2/h3 here: the page has the h1).
    let mut ours = texts(&body, "h2");
    ours.extend(texts(&body, "h3"));
    let mut theirs = texts(&pandoc, "h1");
    theirs.extend(texts(&pandoc, "h2"));
    for heading in &theirs {
        assert!(
            ours.contains(heading),
            "{heading:?} missing from {ours:?}\n{body}"
        );
    }
    // The same list items, the nested list inside the numbered one.
    let pandoc_items: Vec<String> = texts(&pandoc, "li")
        .into_iter()
        .filter(|t| !t.starts_with("Theo Quyết định"))
        .collect();
    let our_items = texts(&body, "li");
    for item in &pandoc_items {
        assert!(
            our_items
                .iter()
                .any(|o| o.starts_with(item.split(" Rà soát").next().unwrap())),
            "{item:?} missing from {our_items:?}"
        );
    }
    assert!(body.contains("<ol>") && body.contains("<ul>"), "{body}");
    let nested = body.find("<ol>").unwrap() < body.find("<ul>").unwrap()
        && body.find("<ul>").unwrap() < body.find("</ol>").unwrap();
    assert!(
        nested,
        "the bulleted list sits inside the numbered one: {body}"
    );
    // The same table, with its header cells.
    assert_eq!(texts(&body, "th"), texts(&pandoc, "th"), "{body}");
    assert_eq!(texts(&body, "td"), texts(&pandoc, "td"), "{body}");
    // Bold, italic, the link, the footnote as an endnote, the image in the library.
    assert!(body.contains("<strong>kế hoạch</strong>") && body.contains("<em>mục tiêu</em>"));
    assert!(body.contains("href=\"https://dichvucong.gov.vn\""));
    assert!(body.contains("Chú thích") && body.contains("Theo Quyết định số 41/2026/QĐ-UBND."));
    assert!(body.contains("<img src=\"/tep/"), "{body}");
    assert!(!body.contains("docx-image-"), "every image was stored");
    // The editor shows the draft, and names what to check.
    let (_, editor) = writer.get(&location).await;
    assert!(editor.contains("Đã nhập tệp Word thành bản nháp"));

    // Not a Word document: a clear message, nothing made.
    let form = reqwest::multipart::Form::new()
        .text("csrf", writer.csrf.clone())
        .text("category", "tin-hoat-dong")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"not a zip".to_vec()).file_name("gia.docx"),
        );
    let refused = writer
        .client
        .post(server.url("/quan-tri/bai-viet/nhap-word"))
        .header("origin", &origin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Tệp không phải tài liệu Word (.docx).")
    );
}
