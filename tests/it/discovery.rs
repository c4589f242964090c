//! Feeds and discovery: RSS 2.0 for the whole site, each kind and each category;
//! `sitemap.xml` (an index of parts, with lastmod); robots.txt; Open Graph and canonical
//! links. Every document is parsed as XML and checked for the elements its format
//! requires, and every sitemap URL is fetched.

use crate::admin::publish_through_workflow;
use crate::support::TestServer;

fn parse(text: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("not XML ({e}):\n{text}"))
}

fn child_text<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
    node.children()
        .find(|c| c.has_tag_name(name))
        .and_then(|c| c.text())
}

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

/// Checks one RSS 2.0 feed and returns its item links.
fn check_rss(path: &str, text: &str, origin: &str) -> Vec<String> {
    let doc = parse(text);
    let rss = doc.root_element();
    assert!(rss.has_tag_name("rss"), "{path}");
    assert_eq!(rss.attribute("version"), Some("2.0"), "{path}");
    let channel = rss
        .children()
        .find(|c| c.has_tag_name("channel"))
        .expect("channel");
    for required in ["title", "link", "description"] {
        assert!(
            child_text(channel, required).is_some_and(|t| !t.trim().is_empty())
                || required == "description",
            "{path}: channel {required}"
        );
    }
    assert!(child_text(channel, "link").unwrap().starts_with(origin));
    let mut links = Vec::new();
    for item in channel.children().filter(|c| c.has_tag_name("item")) {
        let title = child_text(item, "title").expect("item title");
        assert!(!title.trim().is_empty(), "{path}");
        let link = child_text(item, "link").expect("item link");
        assert!(link.starts_with(origin), "{path}: {link}");
        assert_eq!(child_text(item, "guid"), Some(link), "{path}");
        let date = child_text(item, "pubDate").expect("pubDate");
        assert!(
            jiff::fmt::rfc2822::parse(date).is_ok(),
            "{path}: pubDate {date:?} is RFC 2822"
        );
        links.push(link.to_string());
    }
    links
}

#[tokio::test(flavor = "multi_thread")]
async fn feeds_sitemaps_and_robots_are_well_formed_and_complete() {
    let server = TestServer::start_with(|c| {
        c.base_url = Some("https://sokhcn.gialai.gov.vn".into());
        c.hosts.push("sokhcn.gialai.gov.vn".into());
    })
    .await;
    let origin = "https://sokhcn.gialai.gov.vn";

    // Feeds: the whole site, each kind, a category.
    let everything = {
        let r = server.get("/rss/toan-trang.xml").await;
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["etag"].to_str().is_ok(),
            "feeds are revalidated"
        );
        check_rss("/rss/toan-trang.xml", &r.text().await.unwrap(), origin)
    };
    assert!(everything.len() >= 10, "{everything:?}");
    let kinds: std::collections::BTreeSet<&str> = everything
        .iter()
        .filter_map(|l| l.strip_prefix(origin)?.split('/').nth(1))
        .collect();
    assert!(kinds.len() >= 3, "several kinds: {kinds:?}");
    assert!(
        !kinds.contains("trang"),
        "fixed pages are not news: {kinds:?}"
    );
    for path in [
        "/rss/tin-tuc.xml",
        "/rss/van-ban.xml",
        "/rss/thu-tuc.xml",
        "/rss/chuyen-muc/tin-hoat-dong.xml",
    ] {
        let (status, text) = server.page(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!check_rss(path, &text, origin).is_empty(), "{path}");
    }

    // The sitemap index and every part: each URL absolute, dated, and served.
    let (status, index) = server.page("/sitemap.xml").await;
    assert_eq!(status, 200);
    let doc = parse(&index);
    let root = doc.root_element();
    assert!(root.has_tag_name((SITEMAP_NS, "sitemapindex")), "{index}");
    let parts: Vec<String> = root
        .children()
        .filter(|c| c.has_tag_name((SITEMAP_NS, "sitemap")))
        .map(|s| {
            let lastmod = child_text(s, "lastmod").expect("part lastmod");
            assert!(lastmod.parse::<jiff::Timestamp>().is_ok(), "{lastmod}");
            child_text(s, "loc").expect("part loc").to_string()
        })
        .collect();
    assert!(parts.len() >= 3, "{parts:?}");
    let mut urls = Vec::new();
    for part in &parts {
        let path = part.strip_prefix(origin).expect("absolute part URL");
        let (status, text) = server.page(path).await;
        assert_eq!(status, 200, "{path}");
        let doc = parse(&text);
        assert!(doc.root_element().has_tag_name((SITEMAP_NS, "urlset")));
        for url in doc
            .root_element()
            .children()
            .filter(|c| c.has_tag_name((SITEMAP_NS, "url")))
        {
            let loc = child_text(url, "loc").expect("loc");
            if let Some(lastmod) = child_text(url, "lastmod") {
                assert!(lastmod.parse::<jiff::Timestamp>().is_ok(), "{lastmod}");
            } else {
                // The sitemap page, and lists with nothing published in the demo (the
                // Q&A, statistics, sections the demo does not fill), carry no date.
                assert!(
                    loc.ends_with("/so-do-trang")
                        || loc.ends_with("/hoi-dap")
                        || loc.ends_with("/thong-ke")
                        || loc.contains("/chuyen-muc/"),
                    "only pages without dated content are undated: {loc}"
                );
            }
            urls.push(loc.strip_prefix(origin).expect("absolute URL").to_string());
        }
    }
    for path in &urls {
        assert_eq!(server.get(path).await.status(), 200, "{path}");
    }
    for expected in [
        "/",
        "/so-do-trang",
        "/tin-tuc",
        "/van-ban",
        "/chuyen-muc/tin-hoat-dong",
    ] {
        assert!(urls.iter().any(|u| u == expected), "{expected} missing");
    }
    let entries = urls.iter().filter(|u| u.matches('/').count() == 2).count();
    assert!(entries >= 20, "every published entry is listed: {entries}");
    assert_eq!(server.get("/sitemap/tin-tuc-99.xml").await.status(), 404);
    assert_eq!(server.get("/sitemap/khong-co-1.xml").await.status(), 404);
    assert_eq!(server.get("/sitemap/tin-tuc-0.xml").await.status(), 404);

    // robots.txt keeps crawlers out of the admin and points at the sitemap.
    let (status, robots) = server.page("/robots.txt").await;
    assert_eq!(status, 200);
    assert!(robots.contains("Disallow: /quan-tri"), "{robots}");
    assert!(
        robots.contains(&format!("Sitemap: {origin}/sitemap.xml")),
        "{robots}"
    );

    // A new publication shows in the site feed and the sitemap at once.
    let location = publish_through_workflow(
        &server,
        "Khánh thành phòng thí nghiệm mới",
        "<p>Nội dung.</p>",
    )
    .await;
    let path = location
        .split("/tin-tuc/")
        .nth(1)
        .map(|slug| format!("/tin-tuc/{slug}"))
        .unwrap_or(location.clone());
    let (_, feed) = server.page("/rss/toan-trang.xml").await;
    assert!(feed.contains("Khánh thành phòng thí nghiệm mới"), "{feed}");
    let (_, part) = server.page("/sitemap/tin-tuc-1.xml").await;
    assert!(part.contains(&path), "{path} not in\n{part}");
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_carry_canonical_and_open_graph_tags() {
    let server = TestServer::start_with(|c| {
        c.base_url = Some("https://sokhcn.gialai.gov.vn".into());
        c.hosts.push("sokhcn.gialai.gov.vn".into());
    })
    .await;
    let (_, home) = server.page("/").await;
    assert!(home.contains("<link rel=\"canonical\" href=\"https://sokhcn.gialai.gov.vn/\">"));
    assert!(home.contains("<meta property=\"og:type\" content=\"website\">"));
    assert!(home.contains("<meta property=\"og:url\" content=\"https://sokhcn.gialai.gov.vn/\">"));
    assert!(home.contains("href=\"/rss/toan-trang.xml\""));
    let (_, list) = server.page("/tin-tuc").await;
    let article = list
        .split("href=\"/tin-tuc/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an article link");
    let (status, page) = server.page(&format!("/tin-tuc/{article}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("<meta property=\"og:type\" content=\"article\">"));
    assert!(page.contains(&format!(
        "<meta property=\"og:url\" content=\"https://sokhcn.gialai.gov.vn/tin-tuc/{article}\">"
    )));
    let title = page
        .split("<meta property=\"og:title\" content=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert!(page.contains(&format!("<h1>{title}</h1>")) || page.contains(title));
}

#[tokio::test(flavor = "multi_thread")]
async fn favicon_ico_leads_to_the_sites_icon() {
    let server = TestServer::start().await;
    let response = server.get("/favicon.ico").await;
    assert_eq!(response.status(), 301);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with("/static/img/emblem") || location.starts_with("/tep/"),
        "{location}"
    );
    assert_eq!(server.get(&location).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_that_are_not_cached_are_compressed_too() {
    let server = TestServer::start().await;
    let client = server.client();
    for path in [
        "/tim-kiem?q=khoa+h%E1%BB%8Dc",
        "/hoi-dap/gui-cau-hoi",
        "/quan-tri/dang-nhap",
    ] {
        let response = client
            .get(server.url(path))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
        assert_eq!(response.headers()["content-encoding"], "gzip", "{path}");
        let bytes = response.bytes().await.unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
            .unwrap();
        assert!(text.contains("</html>"), "{path}");
    }
    // Without Accept-Encoding: as it is.
    let plain = client
        .get(server.url("/tim-kiem?q=a"))
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_register_is_open_data_in_json_and_csv_documented_on_one_page() {
    let server = TestServer::start().await;
    let (status, index) = server.page("/du-lieu").await;
    assert_eq!(status, 200);
    let (_, home) = server.page("/").await;
    assert!(
        home.contains("href=\"/du-lieu\""),
        "the footer links the open data page"
    );
    let datasets = [
        "van-ban",
        "thu-tuc",
        "tin-tuc",
        "nhiem-vu",
        "ke-hoach",
        "du-an",
        "thong-ke",
        "lay-y-kien",
        "hoi-dap",
        "can-bo",
        "tap-chi",
        "lich-cong-tac",
    ];
    for name in datasets {
        assert!(
            index.contains(&format!("href=\"/du-lieu/{name}.json\""))
                && index.contains(&format!("href=\"/du-lieu/{name}.csv\"")),
            "/du-lieu lacks {name}"
        );
        let r = server.get(&format!("/du-lieu/{name}.json")).await;
        assert_eq!(r.status(), 200, "{name}.json");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let items: Vec<serde_json::Value> = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        let r = server.get(&format!("/du-lieu/{name}.csv")).await;
        assert_eq!(r.status(), 200, "{name}.csv");
        let csv = r.text().await.unwrap();
        assert!(csv.starts_with('\u{feff}'), "{name}.csv has a BOM");
        // The header, then at least a record per item (the demo has no statistics).
        assert!(csv_records(&csv) > items.len(), "{name}.csv has its rows");
    }
    // A record kind: the common fields, then its own, documented on the page.
    let r = server.get("/du-lieu/nhiem-vu.json").await;
    assert!(
        r.headers()["x-total-count"]
            .to_str()
            .unwrap()
            .parse::<usize>()
            .unwrap()
            > 0
    );
    assert!(
        r.headers()["link"]
            .to_str()
            .unwrap()
            .contains("rel=\"last\""),
        "paged with Link headers"
    );
    let items: Vec<serde_json::Value> = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    for field in [
        "id",
        "title",
        "url",
        "published",
        "files",
        "code",
        "status",
        "status_label",
    ] {
        assert!(items[0].get(field).is_some(), "nhiem-vu lacks {field}");
        assert!(index.contains(&format!("<code>{field}</code>")) || field == "status_label");
    }
    assert!(items[0]["url"].as_str().unwrap().starts_with("https://"));
    // The schedule: one CSV row per appointment.
    let (_, csv) = server.page("/du-lieu/lich-cong-tac.csv").await;
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .contains("week_start,date,time,leaders")
    );
    // Past the last page, and unknown datasets, are 404.
    assert_eq!(
        server.get("/du-lieu/nhiem-vu.json?trang=99").await.status(),
        404
    );
    assert_eq!(server.get("/du-lieu/khong-co.json").await.status(), 404);
    assert_eq!(server.get("/du-lieu/nhiem-vu.xml").await.status(), 404);
}

/// Records in a CSV text: line ends outside quoted fields.
fn csv_records(csv: &str) -> usize {
    let mut quoted = false;
    let mut records = 0;
    for c in csv.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => records += 1,
            _ => {}
        }
    }
    records
}
