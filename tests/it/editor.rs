//! The editor's server side over HTTPS: the library and entry searches its dialogs use,
//! uploads answered in JSON, images given their smaller copies, pickers that work
//! without JavaScript, the words of attached PDFs found by search, and Word images
//! described before the draft is made.

use std::process::Command;

use image::ImageEncoder;
use trangtin::content::{EntryId, editorial};

use crate::admin::{article, entry_id, step};
use crate::support::{Staff, TestServer, missing_tool};

const PDF: &[u8] = include_bytes!("../fixtures/pdf/quyet-dinh.pdf");
const SCAN: &[u8] = include_bytes!("../fixtures/pdf/ban-quet.pdf");

pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            &image::RgbImage::from_fn(width, height, |x, y| {
                image::Rgb([(x % 256) as u8, (y % 256) as u8, 120])
            }),
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

async fn json(staff: &Staff, path: &str) -> serde_json::Value {
    let (status, body) = staff.get(path).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

/// An upload as the editor's image dialog sends it.
async fn upload_json(staff: &Staff, name: &str, bytes: Vec<u8>, alt: &str) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("csrf", staff.csrf.clone())
        .text("alt", alt.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
    staff
        .client
        .post(format!("{}/quan-tri/tep", staff.base))
        .header("origin", &staff.base)
        .header("accept", "application/json")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn saved_body(server: &TestServer, id: u64) -> String {
    server
        .app
        .store
        .read(move |tx| {
            let entry = editorial::entry(tx, EntryId(id))?;
            editorial::revision(tx, entry.working)
        })
        .await
        .unwrap()
        .fields
        .body_html
}

#[tokio::test(flavor = "multi_thread")]
async fn editor_images_are_uploaded_in_place_and_saved_with_their_smaller_copies() {
    let server = TestServer::start().await;
    let writer = server.login("tonghop").await;

    // The image dialog's upload: JSON back, with the copies for srcset.
    let answer = upload_json(&writer, "hoi-thao.png", png(900, 600), "Hội thảo khoa học").await;
    assert_eq!(answer.status(), 200);
    let item: serde_json::Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
    let item = &item["item"];
    let url = item["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("/tep/"), "{item}");
    assert_eq!(item["alt"], "Hội thảo khoa học");
    assert_eq!(item["width"], 900);
    assert!(item["srcset"].as_str().unwrap().contains(" 320w"), "{item}");

    // Without alt text: refused, in Vietnamese, as JSON the dialog can show.
    let refused = upload_json(&writer, "khong-mo-ta.png", png(400, 300), "").await;
    assert_eq!(refused.status(), 422);
    let refused: serde_json::Value = serde_json::from_str(&refused.text().await.unwrap()).unwrap();
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("mô tả thay thế"),
        "{refused}"
    );
    // Not an image at all.
    let refused = upload_json(&writer, "anh.png", b"not an image".to_vec(), "Ảnh").await;
    assert_eq!(refused.status(), 422);

    // The library search: without diacritics, by alt text, images only.
    let found = json(&writer, "/quan-tri/tep/tim?loai=anh&q=hoi%20thao%20khoa").await;
    let items = found["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{found}");
    assert_eq!(items[0]["url"].as_str().unwrap(), url);
    assert!(items[0]["thumb"].as_str().unwrap().starts_with("/tep/"));
    let none = json(&writer, "/quan-tri/tep/tim?loai=tai-lieu&q=hoi%20thao").await;
    assert!(none["items"].as_array().unwrap().is_empty(), "{none}");

    // The link dialog's search over published entries.
    let entries = json(&writer, "/quan-tri/bai-viet/tim?q=").await;
    let first = &entries["items"][0];
    assert!(first["url"].as_str().unwrap().starts_with('/'), "{entries}");
    let title = first["title"].as_str().unwrap().to_string();
    let word = title.split_whitespace().last().unwrap().to_string();
    let by_word = json(
        &writer,
        &format!("/quan-tri/bai-viet/tim?q={}", urlencode(&word)),
    )
    .await;
    assert!(
        by_word["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["title"] == title.as_str()),
        "{word}: {by_word}"
    );

    // The editor's body as saved: the image gets srcset, sizes and its size; markup
    // outside the editor's schema is still removed by the server.
    let body = format!(
        "<p>Mở đầu.</p><figure><img src=\"{url}\" alt=\"Hội thảo khoa học\"><figcaption>Toàn cảnh hội thảo</figcaption></figure>\
         <script>alert(1)</script><div onclick=\"steal()\" style=\"color:red\">Đoạn trong div.</div>\
         <iframe src=\"https://example.com\"></iframe><p><a href=\"javascript:alert(1)\">liên kết xấu</a></p>"
    );
    let location = writer
        .post_ok(
            "/quan-tri/bai-viet/moi",
            &article("Bài có ảnh chèn tại chỗ", &body),
        )
        .await;
    let saved = saved_body(&server, entry_id(&location)).await;
    assert!(saved.contains("srcset=\"/tep/"), "{saved}");
    assert!(saved.contains(" 320w"), "{saved}");
    assert!(saved.contains("sizes=\""), "{saved}");
    assert!(saved.contains("width=\"900\" height=\"600\""), "{saved}");
    assert!(
        saved.contains("<figcaption>Toàn cảnh hội thảo</figcaption>"),
        "{saved}"
    );
    for gone in [
        "<script",
        "onclick",
        "style=",
        "<iframe",
        "javascript:",
        "<div",
    ] {
        assert!(!saved.contains(gone), "{gone} survived: {saved}");
    }
    assert!(saved.contains("Đoạn trong div."), "the text stays: {saved}");
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phrase_inside_an_attached_pdf_finds_its_entry_and_a_scan_is_flagged() {
    let server = TestServer::start().await;
    let writer = server.login("tonghop").await;
    assert_eq!(
        writer
            .upload("Quyết định công nhận.pdf", PDF.to_vec(), "")
            .await
            .status(),
        303
    );
    assert_eq!(
        writer
            .upload("Bản quét.pdf", SCAN.to_vec(), "")
            .await
            .status(),
        303
    );
    let (_, library) = writer.get("/quan-tri/tep?loai=tai-lieu").await;
    assert!(
        library.contains("Không tìm kiếm được: tệp là bản quét, không có chữ."),
        "the scan is flagged in the library"
    );
    let found = json(&writer, "/quan-tri/tep/tim?loai=tai-lieu&q=ban%20quet").await;
    assert_eq!(found["items"][0]["searchable"], false, "{found}");
    let found = json(
        &writer,
        "/quan-tri/tep/tim?loai=tai-lieu&q=quyet%20dinh%20cong",
    )
    .await;
    assert_eq!(found["items"][0]["searchable"], true, "{found}");

    // A name the library does not have: said, nothing saved.
    let mut fields = article("Công nhận kết quả nhiệm vụ", "<p>Xem tệp đính kèm.</p>");
    fields.push(("attachments_add", "khong-co-tep-nay.pdf"));
    let answer = writer.post("/quan-tri/bai-viet/moi", &fields).await;
    assert_eq!(answer.status(), 422);
    assert!(
        answer
            .text()
            .await
            .unwrap()
            .contains("Thư viện không có tài liệu “khong-co-tep-nay.pdf”.")
    );

    // Attached by name (the form without JavaScript), in another case and decomposed.
    let nfd: String =
        unicode_normalization::UnicodeNormalization::nfd("quyết định công nhận.pdf").collect();
    let mut fields = article("Công nhận kết quả nhiệm vụ", "<p>Xem tệp đính kèm.</p>");
    let names = format!("{nfd}\nBản quét.pdf");
    fields.push(("attachments_add", &names));
    let location = writer.post_ok("/quan-tri/bai-viet/moi", &fields).await;
    let id = entry_id(&location);
    let (_, editor) = writer.get(&location).await;
    assert!(editor.contains("Quyết định công nhận.pdf"), "attached");
    assert!(
        editor.contains("Không tìm kiếm được: tệp là bản quét"),
        "the editor is told the scan cannot be searched"
    );
    step(&writer, id, "submit", "").await;
    step(&writer, id, "forward", "").await;
    step(&server.login("truongban").await, id, "approve", "").await;
    step(&server.login("xuatban").await, id, "publish", "").await;

    // The phrase is only in the PDF.
    let (status, results) = server
        .page("/tim-kiem?q=nh%C3%A2n%20gi%E1%BB%91ng%20hoa%20lan%20r%E1%BB%ABng")
        .await;
    assert_eq!(status, 200);
    assert!(
        results.contains("Công nhận kết quả nhiệm vụ"),
        "the decision is found by the words of its PDF"
    );
    // Without diacritics too.
    let (_, results) = server.page("/tim-kiem?q=kon%20ka%20kinh").await;
    assert!(results.contains("Công nhận kết quả nhiệm vụ"));

    // A file stored before its words were kept (an upgrade): read when the index is
    // rebuilt, and found again.
    let forgotten = server
        .app
        .store
        .write(|tx| -> Result<usize, trangtin::store::Error> {
            let rows = trangtin::document_text::DOCUMENT_TEXTS.entries(tx)?;
            for (hash, _) in &rows {
                trangtin::document_text::DOCUMENT_TEXTS.remove(tx, hash.as_str())?;
            }
            Ok(rows.len())
        })
        .await
        .unwrap();
    assert!(forgotten >= 2, "{forgotten}");
    let app = server.app.clone();
    tokio::task::spawn_blocking(move || app.search.rebuild(&app.store))
        .await
        .unwrap()
        .unwrap();
    let kept = server
        .app
        .store
        .read(|tx| trangtin::document_text::DOCUMENT_TEXTS.entries(tx))
        .await
        .unwrap();
    assert_eq!(kept.len(), forgotten, "every file read again");
    let (_, results) = server.page("/tim-kiem?q=kon%20ka%20kinh").await;
    assert!(results.contains("Công nhận kết quả nhiệm vụ"));
}

#[tokio::test(flavor = "multi_thread")]
async fn word_images_without_alt_text_are_described_before_the_draft_is_made() {
    if Command::new("pandoc").arg("--version").output().is_err() {
        missing_tool(
            "word_images_without_alt_text_are_described_before_the_draft_is_made",
            "pandoc",
            "apt-get install pandoc",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bieu-do.png"), png(700, 400)).unwrap();
    std::fs::write(
        dir.path().join("bao-cao.md"),
        "# Báo cáo kết quả quý III\n\nSố liệu trong biểu đồ.\n\n![](bieu-do.png)\n\nHết.\n",
    )
    .unwrap();
    let made = Command::new("pandoc")
        .current_dir(dir.path())
        .args(["bao-cao.md", "-o", "bao-cao.docx"])
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let docx = std::fs::read(dir.path().join("bao-cao.docx")).unwrap();

    let server = TestServer::start().await;
    let writer = server.login("tonghop").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", writer.csrf.clone())
        .text("category", "tin-hoat-dong")
        .part(
            "file",
            reqwest::multipart::Part::bytes(docx).file_name("bao-cao.docx"),
        );
    let prompt = writer
        .client
        .post(format!("{}/quan-tri/bai-viet/nhap-word", writer.base))
        .header("origin", &writer.base)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(prompt.status(), 200);
    let prompt = prompt.text().await.unwrap();
    assert!(prompt.contains("Mô tả ảnh trong tệp Word"), "{prompt}");
    let hash = crate::support::field_value(&prompt, "anh").expect("the image to describe");
    let fields = |alt: &str| {
        let mut fields: Vec<(String, String)> = ["title", "category", "source_file", "body"]
            .iter()
            .map(|n| {
                (
                    (*n).to_string(),
                    crate::support::field_value(&prompt, n)
                        .map(|v| html_unescape(&v))
                        .unwrap_or_default(),
                )
            })
            .collect();
        fields.push(("anh".into(), hash.clone()));
        fields.push((format!("alt-{hash}"), alt.to_string()));
        fields
    };
    // Left empty: asked again, nothing made.
    let empty = fields("  ");
    let empty: Vec<(&str, &str)> = empty
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let again = writer
        .post("/quan-tri/bai-viet/nhap-word/mo-ta-anh", &empty)
        .await;
    assert_eq!(again.status(), 422);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("Vui lòng nhập mô tả cho mọi ảnh")
    );

    let described = fields("Biểu đồ số liệu quý III");
    let described: Vec<(&str, &str)> = described
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let location = writer
        .post_ok("/quan-tri/bai-viet/nhap-word/mo-ta-anh", &described)
        .await;
    let body = saved_body(&server, entry_id(&location)).await;
    assert!(body.contains("alt=\"Biểu đồ số liệu quý III\""), "{body}");
    assert!(body.contains("srcset=\""), "{body}");
    // The library remembers the description.
    let found = json(
        &writer,
        "/quan-tri/tep/tim?loai=anh&q=bieu%20do%20so%20lieu",
    )
    .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
}

fn html_unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}
