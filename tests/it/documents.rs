//! The legal-document register over HTTPS: list, filters, detail, relations, banner,
//! and lookup by number.

use crate::support::{TestServer, seed_register, uploaded_pdf};

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
    let pdf = uploaded_pdf(&server, &compiler, "qd-500-2026.pdf").await;
    // Dates relative to the server's clock, so the test means the same on any day:
    // issued ten days ago, effective in three weeks.
    let today = server.app.today();
    let issued = (today - jiff::Span::new().days(10)).to_string();
    let too_early = (today - jiff::Span::new().days(20)).to_string();
    let effective = (today + jiff::Span::new().days(21)).to_string();
    let year = issued[..4].to_string();
    let mut fields = vec![
        ("kind", "legal_document"),
        (
            "title",
            "Ban hành Quy chế thử nghiệm quản lý nhiệm vụ khoa học và công nghệ",
        ),
        ("doc_type", "Quyết định"),
        ("number", "500/QĐ-SKHCN"),
        ("issuer", "Sở Khoa học và Công nghệ tỉnh Gia Lai"),
        ("issued", issued.as_str()),
        ("effective", too_early.as_str()),
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
    fields.push(("effective", effective.as_str()));
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
    let (_, register) = server.page(&format!("/van-ban?nam={year}")).await;
    assert!(register.contains("500/QĐ-SKHCN"));
    let (_, html) = server
        .page("/van-ban/ban-hanh-quy-che-thu-nghiem-quan-ly-nhiem-vu-khoa-hoc-va-cong-nghe")
        .await;
    assert!(
        html.contains("Chưa có hiệu lực"),
        "effective in three weeks"
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

/// With more documents than the relation lists show, the editor lists those chosen and
/// the newest, says how to find the rest, and finds an old one by its number; a choice
/// survives a form sent back with an error and a save.
#[tokio::test(flavor = "multi_thread")]
async fn relations_in_a_large_register_are_found_by_search() {
    let server = TestServer::start().await;
    seed_register(&server, 230).await;
    let compiler = server.login("tonghop").await;
    let (status, editor) = compiler
        .get("/quan-tri/bai-viet/moi?loai=legal_document")
        .await;
    assert_eq!(status, 200);
    assert!(
        editor.contains("Danh sách có 200 văn bản mới nhất trong số"),
        "the hint"
    );
    let listed = editor.split("<select id=\"replaces\"").nth(1).unwrap();
    let listed = &listed[..listed.find("</select>").unwrap()];
    assert_eq!(listed.matches("<option").count(), 200);
    assert!(
        !listed.contains("242/QĐ-SKHCN"),
        "an old document is not listed"
    );

    let (status, found) = compiler.get("/quan-tri/van-ban/tim?q=242%2FQ%C4%90").await;
    assert_eq!(status, 200);
    let found: serde_json::Value = serde_json::from_str(&found).unwrap();
    let old = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["label"].as_str().unwrap().starts_with("242/QĐ-SKHCN — "))
        .expect("found by number");
    let slug = old["slug"].as_str().unwrap().to_string();
    assert_eq!(old["issued"], "17/09/2018");
    let (_, newest) = compiler.get("/quan-tri/van-ban/tim").await;
    assert!(
        newest.contains("\"items\":[{"),
        "the newest without a query"
    );

    let pdf = uploaded_pdf(&server, &compiler, "qd-901.pdf").await;
    let today = server.app.today().to_string();
    let mut fields = vec![
        ("kind", "legal_document"),
        ("attachments", pdf.as_str()),
        ("title", "Thay thế quy chế cũ về quản lý nhiệm vụ"),
        ("doc_type", "Quyết định"),
        ("number", "901/QĐ-SKHCN"),
        ("issuer", "Sở Khoa học và Công nghệ"),
        ("issued", today.as_str()),
        ("field", "Khoa học và công nghệ"),
        ("replaces", slug.as_str()),
    ];
    let again = compiler.post("/quan-tri/bai-viet/moi", &fields).await;
    assert_eq!(again.status(), 422, "no effective date");
    let again = again.text().await.unwrap();
    assert!(
        again.contains(&format!(
            "<option value=\"{slug}\" selected>242/QĐ-SKHCN — "
        )),
        "the choice is kept"
    );
    fields.push(("effective", today.as_str()));
    let location = compiler.post_ok("/quan-tri/bai-viet/moi", &fields).await;
    let (_, saved) = compiler.get(&location).await;
    assert!(saved.contains(&format!(
        "<option value=\"{slug}\" selected>242/QĐ-SKHCN — "
    )));
}

/// A register longer than the export's batches comes whole, each document once, newest
/// issue first, on a site without demo content; a dangling relation is left out.
#[tokio::test(flavor = "multi_thread")]
async fn a_long_register_exports_whole_in_order() {
    const DOCUMENTS: usize = 530;
    let server = TestServer::start_with(|c| c.demo = false).await;
    seed_register(&server, DOCUMENTS).await;
    let r = server.get("/du-lieu/van-ban.json").await;
    assert_eq!(r.status(), 200);
    let docs: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    let docs = docs.as_array().unwrap();
    assert_eq!(docs.len(), DOCUMENTS);
    let numbers: std::collections::HashSet<&str> =
        docs.iter().map(|d| d["number"].as_str().unwrap()).collect();
    assert_eq!(numbers.len(), DOCUMENTS, "each document once");
    let issued: Vec<&str> = docs.iter().map(|d| d["issued"].as_str().unwrap()).collect();
    assert!(issued.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let last = docs.iter().find(|d| d["number"] == "529/QĐ-SKHCN").unwrap();
    assert_eq!(last["replaces"], serde_json::json!(["528/QĐ-SKHCN"]));
    assert_eq!(last["status"], "con_hieu_luc");
    assert_eq!(last["amends"], serde_json::json!([]), "no such document");
    let first = docs.iter().find(|d| d["number"] == "0/QĐ-SKHCN").unwrap();
    assert_eq!(first["status"], "bi_thay_the");

    let csv = server
        .get("/du-lieu/van-ban.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert_eq!(
        csv.lines().count(),
        DOCUMENTS + 1,
        "a header and one line each"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_procedures_catalogue_lists_details_and_exports() {
    let server = TestServer::start().await;
    let (status, html) = server.page("/thu-tuc").await;
    assert_eq!(status, 200);
    let rows = html.matches("<tr><td>").count();
    assert!(rows >= 4, "{rows} procedures");
    assert!(html.contains("dichvucong.gov.vn"));
    let (_, filtered) = server.page("/thu-tuc?cap=C%E1%BA%A5p+x%C3%A3").await;
    assert!(filtered.contains("Không có thủ tục nào khớp bộ lọc."));

    let (status, detail) = server
        .page("/thu-tuc/dang-ky-ket-qua-nhiem-vu-khcn-khong-su-dung-ngan-sach")
        .await;
    assert_eq!(status, 200);
    for part in [
        "Mã thủ tục",
        "1.002246.000.00.00.H10",
        "Trình tự thực hiện",
        "Thành phần hồ sơ",
        "Thời hạn giải quyết",
        "Căn cứ pháp lý",
        "Mẫu đơn, tờ khai",
        "Nộp hồ sơ trực tuyến",
    ] {
        assert!(detail.contains(part), "{part}");
    }
    assert!(
        detail.contains("href=\"/van-ban/"),
        "the legal basis links to the register"
    );

    let (_, found) = server.page("/tim-kiem?q=1.002246&loai=procedure").await;
    assert!(found.contains("/thu-tuc/dang-ky-ket-qua-nhiem-vu-khcn-khong-su-dung-ngan-sach"));

    let r = server.get("/du-lieu/thu-tuc.json").await;
    let items: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    let item = items
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "1.002246.000.00.00.H10")
        .unwrap();
    assert!(item["portal_url"].as_str().unwrap().starts_with("https://"));
    assert!(!item["legal_basis"].as_array().unwrap().is_empty());
    let csv = server
        .get("/du-lieu/thu-tuc.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains("1.002246.000.00.00.H10"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_procedure_is_checked_and_goes_through_the_workflow() {
    let server = TestServer::start().await;
    let compiler = server.login("tonghop").await;
    let mut fields = vec![
        ("kind", "procedure"),
        ("title", "Thủ tục thử nghiệm cấp giấy xác nhận"),
        ("code", "9.999999.000.00.00.H10"),
        ("proc_field", "Khoa học và công nghệ"),
        ("level", "Cấp tỉnh"),
        (
            "steps_html",
            "<ol><li>Nộp hồ sơ</li><li>Nhận kết quả</li></ol><script>alert(1)</script>",
        ),
        ("submission", "Trực tuyến"),
        ("dossier_html", "<ul><li>Đơn đề nghị</li></ul>"),
        ("processing_time", "05 ngày làm việc"),
        ("fees", "Không"),
        ("applicants", "Tổ chức"),
        ("implementing_body", "Sở Khoa học và Công nghệ tỉnh Gia Lai"),
        ("result", "Giấy xác nhận"),
        ("portal_url", "javascript:alert(1)"),
    ];
    let bad = compiler.post("/quan-tri/bai-viet/moi", &fields).await;
    assert_eq!(bad.status(), 422);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("Đường dẫn Cổng Dịch vụ công phải bắt đầu bằng https://.")
    );
    fields.retain(|(k, _)| *k != "portal_url");
    fields.push(("portal_url", "https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc=9.999999"));
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
        server
            .login(who)
            .await
            .post_ok(
                &format!("/quan-tri/bai-viet/{id}/buoc"),
                &[("action", action)],
            )
            .await;
    }
    let (status, html) = server
        .page("/thu-tuc/thu-tuc-thu-nghiem-cap-giay-xac-nhan")
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("<li>Nhận kết quả</li>"));
    assert!(!html.contains("alert(1)"), "the steps are sanitised");
    let (_, list) = server.page("/thu-tuc").await;
    assert!(list.contains("9.999999.000.00.00.H10"));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_described_kind_has_a_list_with_filters_and_detail_pages() {
    let server = TestServer::start().await;
    for (path, heading, expect) in [
        ("/nhiem-vu", "Nhiệm vụ khoa học và công nghệ", "Chủ nhiệm"),
        (
            "/ke-hoach",
            "Chiến lược, quy hoạch, kế hoạch",
            "Số quyết định",
        ),
        ("/du-an", "Dự án, đấu thầu, mua sắm công", "Loại nguồn vốn"),
        ("/tap-chi", "Tạp chí, bản tin", "Mục lục"),
        ("/can-bo", "Lãnh đạo, cán bộ", "Điện thoại công vụ"),
    ] {
        let (status, list) = server.page(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(list.contains(&format!("<h1>{heading}</h1>")), "{path}");
        let link = crate::support::first_link(&list, &format!("{path}/"))
            .unwrap_or_else(|| panic!("{path} lists entries"));
        let (status, detail) = server.page(&link).await;
        assert_eq!(status, 200, "{link}");
        assert!(detail.contains(expect), "{link} shows {expect}");
    }
    // Filters: accepted tasks show their result reports.
    let (_, accepted) = server.page("/nhiem-vu?status=accepted").await;
    let link = crate::support::first_link(&accepted, "/nhiem-vu/").unwrap();
    let (_, task) = server.page(&link).await;
    assert!(task.contains("Đã nghiệm thu"));
    assert!(task.contains("Báo cáo kết quả"));
    assert!(task.contains("triệu đồng"));
    let (_, in_progress) = server.page("/nhiem-vu?status=in_progress").await;
    assert!(!in_progress.contains(&link));
    // Leaders have photos with alt text and official contacts.
    let (_, people) = server.page("/can-bo").await;
    assert!(people.contains("Trần Minh Khôi"));
    let (_, leader) = server.page("/can-bo/tran-minh-khoi").await;
    assert!(leader.contains("Giám đốc Sở"));
    assert!(leader.contains("alt=\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_form_is_checked_and_every_kind_has_an_editor() {
    let server = TestServer::start().await;
    let compiler = server.login("tonghop").await;
    for kind in trangtin::content::Kind::ALL {
        let (status, html) = compiler
            .get(&format!("/quan-tri/bai-viet/moi?loai={}", kind.as_str()))
            .await;
        assert_eq!(status, 200, "{kind:?}");
        assert!(html.contains(&format!("name=\"kind\" value=\"{}\"", kind.as_str())));
    }
    let fields = [
        ("kind", "task"),
        ("title", "Nghiên cứu thử nghiệm giống lúa chịu mặn"),
        ("r_code", "ĐTKHCN.99/26"),
        ("r_level", "Cấp tỉnh"),
        ("r_field", "Khoa học nông nghiệp"),
        ("r_host", "Viện Nông nghiệp"),
        ("r_lead", "TS. Nguyễn Văn A"),
        ("r_objectives", "Chọn giống lúa chịu mặn."),
        ("r_expected_results", "Hai giống lúa."),
        ("r_start", "2026-06-01"),
        ("r_end", "2026-01-01"),
        ("r_status", "accepted"),
    ];
    let bad = compiler.post("/quan-tri/bai-viet/moi", &fields).await;
    assert_eq!(bad.status(), 422);
    let html = bad.text().await.unwrap();
    assert!(
        html.contains("“Kết thúc” không được trước “Bắt đầu”."),
        "dates are consistent"
    );
    assert!(
        html.contains("báo cáo kết quả"),
        "an accepted task needs its reports"
    );
    let mut good = fields.to_vec();
    good.retain(|(k, _)| *k != "r_end" && *k != "r_status");
    good.push(("r_end", "2027-12-31"));
    good.push(("r_status", "approved"));
    let location = compiler.post_ok("/quan-tri/bai-viet/moi", &good).await;
    let (status, editor) = compiler.get(location.split('?').next().unwrap()).await;
    assert_eq!(status, 200);
    assert!(editor.contains("value=\"ĐTKHCN.99/26\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_leaders_schedule_shows_a_week_with_previous_and_next() {
    let server = TestServer::start().await;
    let (status, html) = server.page("/lich-cong-tac?tuan=2026-11-25").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Lịch công tác tuần từ 23/11 đến 29/11/2026"),
        "any day picks its week"
    );
    assert!(html.contains("Thứ Hai, 23/11/2026"));
    assert!(html.contains("Trần Minh Khôi"));
    assert!(
        html.contains("href=\"/lich-cong-tac?tuan=2026-11-16\""),
        "previous week"
    );
    assert!(
        html.contains("href=\"/lich-cong-tac?tuan=2026-11-30\""),
        "next week"
    );
    let (_, empty) = server.page("/lich-cong-tac?tuan=2020-01-06").await;
    assert!(empty.contains("Chưa có lịch công tác được đăng cho tuần này."));
    assert_eq!(server.page("/lich-cong-tac?tuan=hom-nay").await.0, 400);
    let (_, by_entry) = server.page("/lich-cong-tac/tuan-2026-11-30").await;
    assert!(by_entry.contains("Lịch công tác tuần từ 30/11 đến 06/12/2026"));
    let (_, sitemap) = server.page("/so-do-trang").await;
    for path in [
        "/van-ban",
        "/thu-tuc",
        "/nhiem-vu",
        "/lich-cong-tac",
        "/can-bo",
    ] {
        assert!(
            sitemap.contains(&format!("href=\"{path}\"")),
            "sitemap links {path}"
        );
    }

    // A week through the editor: lines are checked.
    let compiler = server.login("tonghop").await;
    let bad = compiler
        .post(
            "/quan-tri/bai-viet/moi",
            &[
                ("kind", "schedule_week"),
                ("week_start", "2026-12-14"),
                ("schedule_lines", "2026-12-25 | 08:00 | A | B | C"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("ngày không thuộc tuần này")
    );
    let lines = "2026-12-14 | 07:30 | Trần Minh Khôi | Giao ban đầu tuần | Phòng họp số 1 | Các phòng\n2026-12-16 | 14:00 | Lê Thị Thu Hà | Hội đồng tuyển chọn đề tài | Phòng họp số 2 | Thành viên hội đồng";
    let location = compiler
        .post_ok(
            "/quan-tri/bai-viet/moi",
            &[
                ("kind", "schedule_week"),
                ("week_start", "2026-12-16"),
                ("schedule_lines", lines),
            ],
        )
        .await;
    let (_, editor) = compiler.get(location.split('?').next().unwrap()).await;
    assert!(
        editor.contains("Lịch công tác tuần từ 14/12 đến 20/12/2026"),
        "the title is made from the week"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_passes_through_the_workflow_to_its_public_page() {
    let server = TestServer::start().await;
    let compiler = server.login("tonghop").await;
    let pdf = uploaded_pdf(&server, &compiler, "ban-tin.pdf").await;
    // (kind, form fields, public path prefix)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            "task",
            vec![
                ("title", "Nhiệm vụ thử quy trình"),
                ("r_code", "ĐT.01/26"),
                ("r_level", "Cấp tỉnh"),
                ("r_field", "Nông nghiệp"),
                ("r_host", "Viện"),
                ("r_lead", "TS. B"),
                ("r_objectives", "Mục tiêu"),
                ("r_expected_results", "Kết quả"),
                ("r_start", "2026-01-01"),
                ("r_end", "2027-01-01"),
                ("r_status", "in_progress"),
            ],
            "/nhiem-vu/nhiem-vu-thu-quy-trinh",
        ),
        (
            "plan",
            vec![
                ("title", "Kế hoạch thử quy trình"),
                ("r_decision_number", "12/QĐ-UBND"),
                ("r_decision_date", "2026-02-01"),
                ("r_period", "2026–2030"),
                ("r_status", "Đang triển khai"),
            ],
            "/ke-hoach/ke-hoach-thu-quy-trinh",
        ),
        (
            "project",
            vec![
                ("title", "Dự án thử quy trình"),
                ("r_objective", "Mục tiêu"),
                ("r_field", "Đo lường"),
                ("r_project_type", "Nhóm C"),
                ("r_start", "2026-01-01"),
                ("r_end", "2026-12-31"),
                ("r_budget_million_vnd", "500"),
                ("r_funding", "Ngân sách tỉnh"),
                ("r_status", "chuan_bi"),
            ],
            "/du-an/du-an-thu-quy-trinh",
        ),
        (
            "magazine",
            vec![
                ("title", "Bản tin thử quy trình"),
                ("r_issue_number", "9/2026"),
                ("r_date", "2026-12-01"),
                ("r_toc", "Bài một\nBài hai"),
                ("attachments", pdf.as_str()),
            ],
            "/tap-chi/ban-tin-thu-quy-trinh",
        ),
        (
            "person",
            vec![
                ("title", "Nguyễn Văn Thử"),
                ("r_position", "Chuyên viên"),
                ("r_unit", "Văn phòng Sở"),
                ("r_phone", "0256 3822 000"),
                ("r_official_contact", "on"),
            ],
            "/can-bo/nguyen-van-thu",
        ),
    ];
    for (kind, fields, public) in cases {
        let mut all = vec![("kind", kind)];
        all.extend(fields);
        let location = compiler.post_ok("/quan-tri/bai-viet/moi", &all).await;
        let id: u64 = location
            .trim_start_matches("/quan-tri/bai-viet/")
            .split('?')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            server.page(public).await.0,
            404,
            "{kind}: not public before approval"
        );
        for (who, action) in [
            ("tonghop", "submit"),
            ("tonghop", "forward"),
            ("truongban", "approve"),
            ("xuatban", "publish"),
        ] {
            server
                .login(who)
                .await
                .post_ok(
                    &format!("/quan-tri/bai-viet/{id}/buoc"),
                    &[("action", action)],
                )
                .await;
        }
        let (status, html) = server.page(public).await;
        assert_eq!(status, 200, "{kind}: public after publishing");
        assert!(html.contains("Thông tin chi tiết"), "{kind}");
    }
    // A task's status only moves forward.
    let task = server
        .app
        .store
        .read(|tx| {
            trangtin::content::find_published(
                tx,
                trangtin::content::Kind::Task,
                "nhiem-vu-thu-quy-trinh",
            )
        })
        .await
        .unwrap()
        .unwrap()
        .entry
        .id;
    let (_, editor) = compiler.get(&format!("/quan-tri/bai-viet/{task}")).await;
    let base = crate::support::field_value(&editor, "base").unwrap();
    let back = compiler
        .post(
            &format!("/quan-tri/bai-viet/{task}"),
            &[
                ("kind", "task"),
                ("base", &base),
                ("title", "Nhiệm vụ thử quy trình"),
                ("r_code", "ĐT.01/26"),
                ("r_level", "Cấp tỉnh"),
                ("r_field", "Nông nghiệp"),
                ("r_host", "Viện"),
                ("r_lead", "TS. B"),
                ("r_objectives", "Mục tiêu"),
                ("r_expected_results", "Kết quả"),
                ("r_start", "2026-01-01"),
                ("r_end", "2027-01-01"),
                ("r_status", "approved"),
            ],
        )
        .await;
    assert_eq!(back.status(), 422);
    assert!(back.text().await.unwrap().contains("chỉ đi tiếp"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_legal_document_reads_as_it_should() {
    let server = TestServer::start().await;
    let (_, list) = server.page("/van-ban").await;
    // The type is not said twice ("Luật Luật Khoa học…").
    for doubled in [
        "Luật Luật",
        "Quyết định Quyết định",
        "Nghị định Nghị định",
        "Thông tư Thông tư",
    ] {
        assert!(!list.contains(doubled), "{doubled}");
    }
    let path = crate::support::first_link(&list, "/van-ban/").unwrap();
    let (_, page) = server.page(&path).await;
    let h1 = &page[page.find("<h1>").unwrap()..page.find("</h1>").unwrap()];
    // Its heading carries the type and number; the breadcrumb passes through the list.
    assert!(h1.contains('/'), "the number is in the heading: {h1}");
    assert!(h1.contains("class=\"h1-sub\""), "{h1}");
    assert!(
        page.contains("<a href=\"/van-ban\">Văn bản</a> ›"),
        "the breadcrumb"
    );
    assert!(page.contains(">Toàn văn "), "the download says what it is");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_legal_documents_creator_is_its_issuer() {
    let server = TestServer::start().await;
    let (_, list) = server.page("/van-ban").await;
    let path = crate::support::first_link(&list, "/van-ban/").unwrap();
    let (_, page) = server.page(&path).await;
    let issuer_row = page
        .split("Cơ quan ban hành</th>")
        .nth(1)
        .and_then(|r| r.split("<td>").nth(1))
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_string();
    assert!(
        page.contains(&format!(
            "<meta name=\"DC.creator\" content=\"{issuer_row}\">"
        )),
        "DC.creator is the issuer {issuer_row}"
    );
}
