//! The rich-text editor in a real Chromium, on the real server: paragraphs with Enter,
//! an image pasted in place with its alt text, a link through the dialog, a Word
//! document imported (its images described first), and two versions compared; axe-core
//! on every page and dialog on the way. Plus the editor's benchmark (ignored by
//! default): the bundle's size and the time to first input on the edit page.

use std::process::Command;
use std::time::Duration;

use fantoccini::{Client, Locator};

use crate::browser::{axe, axe_source, chromium, login, open_browser, start_driver, visit};
use crate::support::{TestServer, missing_tool, uploaded_pdf};

/// Waits until `script` (a JS expression) is true in the page.
async fn until(client: &Client, what: &str, script: &str) {
    for _ in 0..150 {
        let ok = client
            .execute(&format!("return !!({script});"), vec![])
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if ok {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never happened: {what} ({script})");
}

/// The field of the open dialog whose label starts with `label`.
async fn dialog_field(client: &Client, label: &str) -> fantoccini::elements::Element {
    let id = client
        .execute(
            "const d = document.querySelector('dialog[open]');
             if (!d) return null;
             for (const l of d.querySelectorAll('label')) {
               if (l.textContent.trim().startsWith(arguments[0])) return l.htmlFor;
             }
             return null;",
            vec![serde_json::json!(label)],
        )
        .await
        .unwrap();
    let id = id
        .as_str()
        .unwrap_or_else(|| panic!("no field “{label}” in the open dialog"));
    client.find(Locator::Id(id)).await.unwrap()
}

async fn click(client: &Client, css: &str) {
    client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no {css}"))
        .click()
        .await
        .unwrap();
}

async fn type_into(client: &Client, id: &str, text: &str) {
    client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("no #{id}"))
        .send_keys(text)
        .await
        .unwrap();
}

/// The entry id once the browser is on its edit page.
async fn edit_page_id(client: &Client) -> u64 {
    for _ in 0..150 {
        let path = client.current_url().await.unwrap().path().to_string();
        if let Ok(id) = path.trim_start_matches("/quan-tri/bai-viet/").parse() {
            return id;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let html = client.source().await.unwrap();
    let at = html.find("role=\"alert\"").unwrap_or(0);
    let shown: String = html[at..].chars().take(800).collect();
    panic!("not on an edit page: {shown}");
}

/// Pastes a freshly drawn PNG into the editor, as a screenshot tool would.
const PASTE_IMAGE: &str = "
  const done = arguments[arguments.length - 1];
  const c = document.createElement('canvas');
  c.width = 900; c.height = 600;
  const g = c.getContext('2d');
  g.fillStyle = '#2a6f4e'; g.fillRect(0, 0, 900, 600);
  g.fillStyle = '#ffffff'; g.fillRect(120, 120, 400, 240);
  c.toBlob(blob => {
    const data = new DataTransfer();
    data.items.add(new File([blob], 'image.png', { type: 'image/png' }));
    const event = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true });
    document.querySelector('.rte-area').dispatchEvent(event);
    done(true);
  }, 'image/png');";

#[tokio::test(flavor = "multi_thread")]
async fn the_editor_in_chromium_writes_pastes_links_imports_word_and_compares() {
    if chromium().is_none() {
        return;
    }
    let Some(axe_js) = axe_source() else { return };
    let Some(driver) = start_driver().await else {
        return;
    };
    let pandoc = Command::new("pandoc").arg("--version").output().is_ok();
    if !pandoc {
        missing_tool(
            "the_editor_in_chromium_writes_pastes_links_imports_word_and_compares",
            "pandoc",
            "apt-get install pandoc",
        );
        return;
    }
    let server = TestServer::start().await;
    server.login("tonghop").await; // sets the known test password
    let client = open_browser(&driver).await;
    let mut violations = Vec::new();
    login(&client, &server, "tonghop", &mut violations, &axe_js).await;

    // 1. Two paragraphs typed with Enter, an image pasted, a link through the dialog.
    visit(&client, &server.url("/quan-tri/bai-viet/moi")).await;
    until(&client, "the editor", "document.querySelector('.rte-area')").await;
    violations.extend(axe(&client, &axe_js).await);
    type_into(&client, "title", "Trình soạn thảo mới trong trình duyệt").await;
    type_into(&client, "summary", "Bài thử trình soạn thảo.").await;
    type_into(&client, "author", "Nguyễn Thị Lan").await;
    type_into(&client, "source", "Phòng Quản lý khoa học").await;
    client
        .find(Locator::Id("category"))
        .await
        .unwrap()
        .select_by_value("tin-hoat-dong")
        .await
        .unwrap();
    let area = client.find(Locator::Css(".rte-area")).await.unwrap();
    area.click().await.unwrap();
    area.send_keys("Đoạn thứ nhất của bài.\u{E007}Đoạn thứ hai của bài.\u{E007}")
        .await
        .unwrap();
    client.execute_async(PASTE_IMAGE, vec![]).await.unwrap();
    until(
        &client,
        "the image dialog",
        "document.querySelector('dialog[open]')",
    )
    .await;
    violations.extend(axe(&client, &axe_js).await);
    // No alt text: the dialog refuses, and says why.
    click(&client, "dialog[open] button[type=submit]").await;
    until(
        &client,
        "the alt text is asked for",
        "document.querySelector('dialog[open] [role=alert]').textContent.length > 0",
    )
    .await;
    violations.extend(axe(&client, &axe_js).await);
    dialog_field(&client, "Mô tả ảnh")
        .await
        .send_keys("Toàn cảnh buổi làm việc")
        .await
        .unwrap();
    dialog_field(&client, "Chú thích ảnh")
        .await
        .send_keys("Buổi làm việc tại Sở")
        .await
        .unwrap();
    click(&client, "dialog[open] button[type=submit]").await;
    until(
        &client,
        "the uploaded image in place",
        "document.querySelector('.rte-area figure img[srcset]') && !document.querySelector('dialog[open]')",
    )
    .await;
    area.send_keys("Xem thêm ").await.unwrap();
    click(&client, "button[title='Chèn liên kết']").await;
    until(
        &client,
        "the link dialog",
        "document.querySelector('dialog[open]')",
    )
    .await;
    dialog_field(&client, "Tìm bài viết")
        .await
        .send_keys("techfest")
        .await
        .unwrap();
    click(&client, "dialog[open] .rte-result").await;
    let address = dialog_field(&client, "Địa chỉ")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(address.starts_with("/tin-tuc/"), "{address}");
    // Choosing an entry offers its title as the link's text; the writer shortens it.
    let text = dialog_field(&client, "Chữ hiển thị").await;
    assert!(
        !text
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default()
            .is_empty(),
        "the chosen entry's title is offered as the text"
    );
    text.clear().await.unwrap();
    text.send_keys("bài về Techfest").await.unwrap();
    violations.extend(axe(&client, &axe_js).await);
    click(&client, "dialog[open] button[type=submit]").await;
    until(
        &client,
        "the link in the text",
        "document.querySelector('.rte-area a[href^=\"/tin-tuc/\"]')",
    )
    .await;
    click(&client, "#editor-form button.primary").await;
    let id = edit_page_id(&client).await;
    let body = crate::editor::saved_body(&server, id).await;
    assert!(
        body.contains("<p>Đoạn thứ nhất của bài.</p><p>Đoạn thứ hai của bài.</p>"),
        "two paragraphs: {body}"
    );
    assert!(body.contains("alt=\"Toàn cảnh buổi làm việc\""), "{body}");
    assert!(body.contains("srcset=\"/tep/"), "{body}");
    assert!(
        body.contains("<figcaption>Buổi làm việc tại Sở</figcaption>"),
        "{body}"
    );
    assert!(body.contains(">bài về Techfest</a>"), "{body}");

    // Reloaded, the editor shows the same two paragraphs.
    visit(&client, &server.url(&format!("/quan-tri/bai-viet/{id}"))).await;
    until(&client, "the editor", "document.querySelector('.rte-area')").await;
    let paragraphs = client
        .execute(
            "return [...document.querySelectorAll('.rte-area > p')].map(p => p.textContent);",
            vec![],
        )
        .await
        .unwrap();
    let paragraphs: Vec<&str> = paragraphs
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    assert!(
        paragraphs.starts_with(&["Đoạn thứ nhất của bài.", "Đoạn thứ hai của bài."]),
        "{paragraphs:?}"
    );
    violations.extend(axe(&client, &axe_js).await);

    // 2. A second version, then the two compared.
    let area = client.find(Locator::Css(".rte-area p")).await.unwrap();
    area.click().await.unwrap();
    area.send_keys("\u{E010} Câu bổ sung mới.").await.unwrap();
    click(&client, "#editor-form button.primary").await;
    until(&client, "saved", "location.search.includes('tb=da-luu')").await;
    let history = format!("/quan-tri/bai-viet/{id}/lich-su");
    visit(&client, &server.url(&history)).await;
    click(&client, "button[name=so_sanh]").await;
    until(
        &client,
        "asked to choose two versions",
        "document.body.textContent.includes('Hãy chọn hai phiên bản')",
    )
    .await;
    client
        .execute(
            "const a = document.querySelectorAll('input[name=a]');
             a[a.length - 1].click();
             document.querySelectorAll('input[name=b]')[0].click();",
            vec![],
        )
        .await
        .unwrap();
    click(&client, "button[name=so_sanh]").await;
    until(
        &client,
        "the comparison",
        "[...document.querySelectorAll('td ins')].some(i => i.textContent.includes('Câu bổ sung mới.'))",
    )
    .await;
    violations.extend(axe(&client, &axe_js).await);

    // 3. A Word document: its image described first, then headings, list and table.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("so-do.png"), crate::editor::png(640, 400)).unwrap();
    std::fs::write(
        dir.path().join("ke-hoach.md"),
        "# Kế hoạch kiểm tra năm 2027\n\n## Mục đích\n\nBảo đảm **đúng quy định**.\n\n\
         1. Kiểm tra hồ sơ\n    - Hồ sơ nhiệm vụ\n    - Hồ sơ tài chính\n2. Báo cáo kết quả\n\n\
         | Đợt | Thời gian |\n|---|---|\n| Đợt 1 | Quý I |\n| Đợt 2 | Quý III |\n\n\
         ![](so-do.png)\n\n## Tổ chức thực hiện\n\nCác phòng thực hiện.\n",
    )
    .unwrap();
    let made = Command::new("pandoc")
        .current_dir(dir.path())
        .args(["ke-hoach.md", "-o", "ke-hoach.docx"])
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    visit(&client, &server.url("/quan-tri/bai-viet/moi")).await;
    client
        .find(Locator::Id("word-file"))
        .await
        .unwrap()
        .send_keys(dir.path().join("ke-hoach.docx").to_str().unwrap())
        .await
        .unwrap();
    click(&client, "#word button[type=submit]").await;
    until(
        &client,
        "the page asking for the image's description",
        "document.querySelector('.word-alt')",
    )
    .await;
    violations.extend(axe(&client, &axe_js).await);
    client
        .find(Locator::Css(".word-alt input[name^='alt-']"))
        .await
        .unwrap()
        .send_keys("Sơ đồ các đợt kiểm tra")
        .await
        .unwrap();
    click(&client, ".word-alt button[type=submit]").await;
    let id = edit_page_id(&client).await;
    until(&client, "the editor", "document.querySelector('.rte-area')").await;
    let shape = client
        .execute(
            "const a = document.querySelector('.rte-area');
             return {
               h2: [...a.querySelectorAll('h2, h3')].map(h => h.textContent),
               items: a.querySelectorAll('ol > li').length,
               nested: a.querySelectorAll('ol li ul li').length,
               th: [...a.querySelectorAll('table th')].map(h => h.textContent.trim()),
               td: a.querySelectorAll('table td').length,
               img: a.querySelector('img[src]') && a.querySelector('img[src]').alt,
             };",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        shape["h2"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h == "Mục đích"),
        "{shape}"
    );
    assert_eq!(shape["items"], 2, "{shape}");
    assert_eq!(shape["nested"], 2, "{shape}");
    assert_eq!(
        shape["th"],
        serde_json::json!(["Đợt", "Thời gian"]),
        "{shape}"
    );
    assert_eq!(shape["td"], 4, "{shape}");
    assert_eq!(
        shape["img"],
        "Sơ đồ các đợt kiểm tra",
        "{shape} {}",
        crate::editor::saved_body(&server, id).await
    );
    assert!(
        crate::editor::saved_body(&server, id)
            .await
            .contains("<table>")
    );
    violations.extend(axe(&client, &axe_js).await);

    client.close().await.unwrap();
    assert!(
        violations.is_empty(),
        "axe-core found WCAG 2.1 AA violations:\n{}",
        violations.join("\n")
    );
}

/// In a register longer than the relation lists, an old document is found by its
/// number through the picker's dialog, added to the list chosen, and saved.
#[tokio::test(flavor = "multi_thread")]
async fn an_old_legal_document_is_found_and_related_in_chromium() {
    if chromium().is_none() {
        return;
    }
    let Some(axe_js) = axe_source() else { return };
    let Some(driver) = start_driver().await else {
        return;
    };
    let server = TestServer::start().await;
    crate::support::seed_register(&server, 230).await;
    let compiler = server.login("tonghop").await;
    let pdf = uploaded_pdf(&server, &compiler, "qd-902.pdf").await;
    let today = server.app.today().to_string();
    let location = compiler
        .post_ok(
            "/quan-tri/bai-viet/moi",
            &[
                ("kind", "legal_document"),
                ("attachments", pdf.as_str()),
                ("title", "Sửa đổi quy chế quản lý nhiệm vụ"),
                ("doc_type", "Quyết định"),
                ("number", "902/QĐ-SKHCN"),
                ("issuer", "Sở Khoa học và Công nghệ"),
                ("issued", today.as_str()),
                ("effective", today.as_str()),
                ("field", "Khoa học và công nghệ"),
            ],
        )
        .await;
    let edit = location.split('?').next().unwrap().to_string();
    let client = open_browser(&driver).await;
    let mut violations = Vec::new();
    login(&client, &server, "tonghop", &mut violations, &axe_js).await;
    visit(&client, &server.url(&edit)).await;
    click(&client, "p[data-picker=legal] .picker-add").await;
    until(
        &client,
        "the dialog",
        "document.querySelector('dialog[open]')",
    )
    .await;
    dialog_field(&client, "Số, ký hiệu")
        .await
        .send_keys("242")
        .await
        .unwrap();
    let found = "[...document.querySelectorAll('dialog[open] .rte-result')]\
                 .find(b => b.textContent.startsWith('242/QĐ-SKHCN'))";
    until(&client, "the old document among the results", found).await;
    violations.extend(axe(&client, &axe_js).await);
    client
        .execute(&format!("{found}.click();"), vec![])
        .await
        .unwrap();
    until(
        &client,
        "the document chosen in the list",
        "!document.querySelector('dialog[open]') && \
         [...document.querySelector('#replaces').selectedOptions]\
         .some(o => o.textContent.startsWith('242/QĐ-SKHCN'))",
    )
    .await;
    violations.extend(axe(&client, &axe_js).await);
    click(&client, "#editor-form button.primary").await;
    until(&client, "saved", "location.search.includes('tb=da-luu')").await;
    let (_, saved) = compiler.get(&edit).await;
    let replaces = saved.split("<select id=\"replaces\"").nth(1).unwrap();
    let replaces = &replaces[..replaces.find("</select>").unwrap()];
    assert!(
        replaces.contains(" selected>242/QĐ-SKHCN — "),
        "the relation is saved: {replaces}"
    );
    client.close().await.unwrap();
    assert!(
        violations.is_empty(),
        "axe-core found WCAG 2.1 AA violations:\n{}",
        violations.join("\n")
    );
}

/// The editor's benchmark: the bundle's size, and how long after navigation the edit
/// page's editor takes input, in Chromium (median of 15 loads).
///
///   `cargo test --release --test it -- --ignored --nocapture editor_benchmark`
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: run it with --ignored"]
async fn editor_benchmark() {
    let bundle = std::fs::read("assets/static/js/editor.js").unwrap();
    let gz = Command::new("sh")
        .args(["-c", "gzip -9 -c assets/static/js/editor.js | wc -c"])
        .output()
        .unwrap();
    let gz: usize = String::from_utf8_lossy(&gz.stdout).trim().parse().unwrap();
    println!(
        "editor bundle: {} bytes, {} bytes gzipped ({:.1} KB)",
        bundle.len(),
        gz,
        gz as f64 / 1024.0
    );
    if chromium().is_none() {
        return;
    }
    let Some(driver) = start_driver().await else {
        return;
    };
    let server = TestServer::start().await;
    server.login("tonghop").await;
    let client = open_browser(&driver).await;
    let mut ignored = Vec::new();
    let Some(axe_js) = axe_source() else { return };
    login(&client, &server, "tonghop", &mut ignored, &axe_js).await;
    let mut ready = Vec::new();
    let mut first_key = Vec::new();
    for _ in 0..15 {
        visit(&client, &server.url("/quan-tri/bai-viet/1")).await;
        until(&client, "the editor", "window.trangtinEditorReadyAt").await;
        let at = client
            .execute("return window.trangtinEditorReadyAt;", vec![])
            .await
            .unwrap()
            .as_f64()
            .unwrap();
        ready.push(at);
        // The first key typed reaches the document.
        let typed = client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const area = document.querySelector('.rte-area');
                 const t = document.querySelector('textarea[data-editor]');
                 const start = performance.now();
                 t.addEventListener('input', () => done(performance.now() - start), { once: true });
                 area.focus();
                 document.execCommand('insertText', false, 'x');",
                vec![],
            )
            .await
            .unwrap()
            .as_f64()
            .unwrap();
        first_key.push(typed);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "edit page, time to first input (navigation start → editor ready): median {:.0} ms, min {:.0} ms, max {:.0} ms",
        median(&mut ready.clone()),
        ready.iter().copied().fold(f64::MAX, f64::min),
        ready.iter().copied().fold(0.0, f64::max)
    );
    println!(
        "first keystroke to the form's field: median {:.1} ms",
        median(&mut first_key)
    );
    client.close().await.unwrap();
}
