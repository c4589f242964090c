//! English pages (C18): an `/en/` tree with the introduction and the contacts, the
//! contacts drawn from the site settings so they never go stale.

use crate::support::TestServer;

#[tokio::test(flavor = "multi_thread")]
async fn the_english_tree_has_the_introduction_and_current_contacts() {
    let server = TestServer::start().await;
    let r = server.get("/en").await;
    assert_eq!(r.status(), 308);
    assert_eq!(r.headers()["location"], "/en/");
    let (status, index) = server.page("/en/").await;
    assert_eq!(status, 200);
    let site = server.app.store.read(trangtin::site::load).await.unwrap();
    assert!(index.contains(&site.agency_name_en), "the English name");
    assert!(index.contains("<div class=\"primary\" lang=\"en\">"));
    for fact in [&site.phone, &site.email] {
        assert!(index.contains(fact.as_str()), "{fact}");
    }
    assert!(index.contains("href=\"/en/introduction\""));
    let (status, intro) = server.page("/en/introduction").await;
    assert_eq!(status, 200);
    assert!(intro.contains("<article class=\"entry primary\" lang=\"en\">"));
    assert!(intro.contains("Department of Science and Technology of Gia Lai Province"));
    assert_eq!(server.get("/en/khong-co").await.status(), 404);
    // Every page links the English tree, marked as English.
    let (_, home) = server.page("/").await;
    assert!(home.contains("<a href=\"/en/\" lang=\"en\" hreflang=\"en\">English</a>"));
    // English pages are not news: the site feed leaves them out.
    let (_, feed) = server.page("/rss/toan-trang.xml").await;
    assert!(!feed.contains("/en/introduction"));
}

#[tokio::test(flavor = "multi_thread")]
async fn english_settings_an_organisation_page_and_a_contacts_directory() {
    let server = TestServer::start().await;
    let (_, index) = server.page("/en/").await;
    for expected in [
        "Committee of Gia Lai Province",
        "10 Trần Phú Street",
        "Director of the Department",
        "href=\"/en/organisation\"",
        "href=\"/en/contacts\"",
    ] {
        assert!(index.contains(expected), "/en/ lacks {expected:?}");
    }
    let (status, org) = server.page("/en/organisation").await;
    assert_eq!(status, 200);
    assert!(org.contains("<div class=\"primary\" lang=\"en\">"));
    assert!(org.contains("Board of Directors") && org.contains("Deputy Director"));
    assert!(org.contains("Centre for Information Technology and Digital Transformation"));
    // No English page can take a fixed page's address, nor stand in for it in the
    // cache through a percent-encoded request.
    let taken = server
        .app
        .store
        .read(|tx| {
            trangtin::content::slug_taken(tx, trangtin::content::Kind::EnglishPage, "organisation")
        })
        .await
        .unwrap();
    assert!(taken, "the fixed page's slug is reserved");
    assert_eq!(server.page("/en/%6Frganisation").await.0, 404);
    let (_, again) = server.page("/en/organisation").await;
    assert!(again.contains("Board of Directors"));
    let (status, contacts) = server.page("/en/contacts").await;
    assert_eq!(status, 200);
    assert!(contacts.contains("Head of Division") && contacts.contains("mailto:"));
    assert!(
        !contacts.contains("Trưởng phòng"),
        "English where the record has it"
    );

    // A person without English fields shows the Vietnamese, marked as Vietnamese.
    let now = server.app.clock.now();
    server
        .app
        .store
        .write(move |tx| -> Result<_, trangtin::content::Error> {
            let mut site = trangtin::site::load(tx)?;
            site.address_en.clear();
            trangtin::site::save(tx, &site, now)?;
            Ok(())
        })
        .await
        .unwrap();
    server.app.cache.clear();
    let (_, index) = server.page("/en/").await;
    assert!(index.contains("<dd lang=\"vi\">Số 10 Trần Phú"), "{index}");
}
