//! The legal-document register over HTTPS: list, filters, detail, relations, banner,
//! and lookup by number.

use crate::support::TestServer;

#[tokio::test(flavor = "multi_thread")]
async fn the_register_lists_and_filters_documents_newest_first() {
    let server = TestServer::start().await;
    let (status, html) = server.page("/van-ban").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>Văn bản</h1>"));
    let count = html.matches("<tr><td><a href=\"/van-ban/").count();
    assert!(count >= 12, "{count} rows");
    // Newest issue date first.
    let dates: Vec<(u32, u32, u32)> = html
        .split("<td>")
        .filter_map(|cell| {
            let d = cell.get(..10)?;
            let parts: Vec<u32> = d.split('/').filter_map(|x| x.parse().ok()).collect();
            (parts.len() == 3 && d.len() == 10).then(|| (parts[2], parts[1], parts[0]))
        })
        .collect();
    assert!(dates.len() >= 12);
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");

    let (_, laws) = server.page("/van-ban?loai=Lu%E1%BA%ADt").await;
    assert!(laws.contains("29/2013/QH13"));
    assert!(!laws.contains("242/QĐ-SKHCN"), "only laws");
    let (_, year) = server.page("/van-ban?nam=2018").await;
    assert!(year.contains("242/QĐ-SKHCN"));
    assert!(!year.contains("29/2013/QH13"));
    let (_, expired) = server.page("/van-ban?hieu-luc=het_hieu_luc").await;
    assert!(expired.contains("242/QĐ-SKHCN"), "no longer in force");
    let (_, in_force) = server.page("/van-ban?hieu-luc=con_hieu_luc").await;
    assert!(!in_force.contains("242/QĐ-SKHCN"));
    let (_, none) = server.page("/van-ban?co-quan=Kh%C3%B4ng+c%C3%B3").await;
    assert!(none.contains("Không có văn bản nào khớp bộ lọc."));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replaced_document_says_so_and_relations_show_both_ways() {
    let server = TestServer::start().await;
    let (_, register) = server.page("/van-ban?nam=2018").await;
    let at = register.find("242/QĐ-SKHCN").unwrap();
    let start = register[..at].rfind("href=\"").unwrap() + 6;
    let end = register[start..].find('"').unwrap() + start;
    let path = register[start..end].to_string();
    let (status, html) = server.page(&path).await;
    assert_eq!(status, 200);
    assert!(html.contains("class=\"legal-banner\""), "a warning banner");
    for label in [
        "Số, ký hiệu",
        "Cơ quan ban hành",
        "Ngày ban hành",
        "Ngày có hiệu lực",
        "Lĩnh vực",
        "Tình trạng hiệu lực",
        "Trích yếu",
    ] {
        assert!(
            html.contains(&format!("<th scope=\"row\">{label}</th>")),
            "{label}"
        );
    }
    assert!(html.contains("Bị thay thế bởi"));
    assert!(html.contains("Tệp toàn văn"));
    // The replacing document names the one it replaces.
    let banner = &html[html.find("class=\"legal-banner\"").unwrap()..];
    let start = banner.find("href=\"").unwrap() + 6;
    let end = banner[start..].find('"').unwrap() + start;
    let (_, newer) = server.page(&banner[start..end]).await;
    assert!(newer.contains("<dt>Thay thế</dt>"));
    assert!(newer.contains("242/QĐ-SKHCN"));
    assert!(
        !newer.contains("class=\"legal-banner\""),
        "the newer one is in force"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn documents_are_found_by_number_with_or_without_diacritics() {
    let server = TestServer::start().await;
    for q in ["242%2FQĐ-SKHCN", "242%2FQD-SKHCN", "242"] {
        let (_, html) = server
            .page(&format!("/tim-kiem?q={q}&loai=legal_document"))
            .await;
        assert!(html.contains("242/QĐ-SKHCN"), "query {q}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_document_goes_through_the_workflow_with_its_metadata_checked() {
    let server = TestServer::start().await;
    let compiler = server.login("tonghop").await;
    let r = compiler
        .upload(
            "qd-500-2026.pdf",
            b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\n".to_vec(),
            "",
        )
        .await;
    assert_eq!(r.status(), 303);
    let pdf = server
        .app
        .store
        .read(|tx| trangtin::media::library(tx, Some(false)))
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.original_name == "qd-500-2026.pdf")
        .unwrap()
        .hash
        .to_string();
    let mut fields = vec![
        ("kind", "legal_document"),
        (
            "title",
            "Ban hành Quy chế thử nghiệm quản lý nhiệm vụ khoa học và công nghệ",
        ),
        ("doc_type", "Quyết định"),
        ("number", "500/QĐ-SKHCN"),
        ("issuer", "Sở Khoa học và Công nghệ tỉnh Gia Lai"),
        ("issued", "2026-11-20"),
        ("effective", "2026-11-10"),
        ("field", "Khoa học và công nghệ"),
        ("attachments", pdf.as_str()),
    ];
    let bad = compiler.post("/quan-tri/bai-viet/moi", &fields).await;
    assert_eq!(bad.status(), 422);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("Ngày có hiệu lực không được trước ngày ban hành.")
    );
    fields.retain(|(k, _)| *k != "effective");
    fields.push(("effective", "2026-12-01"));
    let location = compiler.post_ok("/quan-tri/bai-viet/moi", &fields).await;
    let id: u64 = location
        .trim_start_matches("/quan-tri/bai-viet/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    for (who, action) in [
        ("tonghop", "submit"),
        ("tonghop", "forward"),
        ("truongban", "approve"),
        ("xuatban", "publish"),
    ] {
        let staff = server.login(who).await;
        staff
            .post_ok(
                &format!("/quan-tri/bai-viet/{id}/buoc"),
                &[("action", action)],
            )
            .await;
    }
    let (_, register) = server.page("/van-ban?nam=2026").await;
    assert!(register.contains("500/QĐ-SKHCN"));
    let (_, html) = server
        .page("/van-ban/ban-hanh-quy-che-thu-nghiem-quan-ly-nhiem-vu-khoa-hoc-va-cong-nghe")
        .await;
    assert!(
        html.contains("Chưa có hiệu lực"),
        "effective from 1 December"
    );
    assert!(html.contains("qd-500-2026.pdf"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_register_is_open_data_and_lists_have_feeds() {
    let server = TestServer::start().await;
    let r = server.get("/du-lieu/van-ban.json").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let docs: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    let docs = docs.as_array().unwrap();
    assert!(docs.len() >= 12);
    let qd = docs.iter().find(|d| d["number"] == "242/QĐ-SKHCN").unwrap();
    assert_eq!(qd["issued"], "2018-09-17");
    assert!(qd["url"].as_str().unwrap().starts_with("https://"));
    assert!(qd["files"][0]["url"].as_str().unwrap().contains("/tep/"));
    let replacing = docs
        .iter()
        .find(|d| {
            d["replaces"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n == "242/QĐ-SKHCN")
        })
        .expect("the replacement names 242 by number");
    assert!(replacing["number"].as_str().unwrap().contains("SKHCN"));

    let r = server.get("/du-lieu/van-ban.csv").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert!(csv.lines().count() > 12);
    assert!(csv.contains("242/QĐ-SKHCN"));

    for path in [
        "/rss/tin-tuc.xml",
        "/rss/van-ban.xml",
        "/rss/chuyen-muc/tin-hoat-dong.xml",
    ] {
        let r = server.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/rss+xml")
        );
        let xml = r.text().await.unwrap();
        assert!(
            xml.contains("<rss version=\"2.0\">") && xml.matches("<item>").count() >= 3,
            "{path}"
        );
        assert!(xml.contains("<link>https://"), "absolute links");
    }
    assert_eq!(server.get("/rss/khong-co.xml").await.status(), 404);
    assert_eq!(
        server.get("/rss/chuyen-muc/khong-co.xml").await.status(),
        404
    );
    let (_, list) = server.page("/chuyen-muc/tin-hoat-dong").await;
    assert!(list.contains("href=\"/rss/chuyen-muc/tin-hoat-dong.xml\""));
}
