//! Old addresses that moved answer 301: administrators manage them on "Chuyển hướng",
//! chains collapse, a loop is refused, a page that exists is never redirected, and a
//! backup and restore keeps them.

use crate::support::{TestServer, first_link, trangtin};

#[tokio::test(flavor = "multi_thread")]
async fn old_addresses_answer_301_and_administrators_manage_them() {
    let server = TestServer::start().await;
    let admin = server.login("admin").await;
    let (_, news) = server.page("/tin-tuc").await;
    let article = first_link(&news, "/tin-tuc/").unwrap();
    // The PHP portal's article address, as linked from elsewhere with its old host.
    let old = "/index.php/Home/ChiTietTin/?tin=NDczMQ%3D%3D";
    admin
        .post_ok(
            "/quan-tri/chuyen-huong",
            &[
                ("tu", &format!("https://skhcn.binhdinh.gov.vn{old}")),
                ("den", &article),
                ("ghi_chu", "Trang cũ của Sở KH&CN Bình Định"),
            ],
        )
        .await;
    let answer = server.get(old).await;
    assert_eq!(answer.status(), 301);
    assert_eq!(answer.headers()["location"], article.as_str());
    assert_eq!(server.page(&article).await.0, 200);

    // A Liferay address to an address that is itself moved: straight to the end.
    let liferay = "/web/guest/tin-tuc?p_p_id=49&p_p_lifecycle=1";
    admin
        .post_ok(
            "/quan-tri/chuyen-huong",
            &[("tu", liferay), ("den", "/web/guest/trang-moi")],
        )
        .await;
    admin
        .post_ok(
            "/quan-tri/chuyen-huong",
            &[("tu", "/web/guest/trang-moi"), ("den", "/van-ban")],
        )
        .await;
    let answer = server.get(liferay).await;
    assert_eq!(answer.status(), 301);
    assert_eq!(answer.headers()["location"], "/van-ban", "no chain");
    // A loop is refused, with the reason.
    let looped = admin
        .post(
            "/quan-tri/chuyen-huong",
            &[("tu", "/van-ban"), ("den", liferay)],
        )
        .await;
    assert_eq!(looped.status(), 422);
    assert!(looped.text().await.unwrap().contains("vòng lặp"));
    // A page that exists is never redirected away.
    admin
        .post_ok(
            "/quan-tri/chuyen-huong",
            &[("tu", "/so-do-trang"), ("den", "/")],
        )
        .await;
    assert_eq!(server.page("/so-do-trang").await.0, 200);
    // Listed and searched; removed.
    let (status, page) = admin.get("/quan-tri/chuyen-huong?q=ChiTietTin").await;
    assert_eq!(status, 200);
    assert!(page.contains("/index.php/Home/ChiTietTin/?tin=NDczMQ%3D%3D"));
    assert!(!page.contains("p_p_id=49"), "the search narrows the list");
    admin
        .post_ok("/quan-tri/chuyen-huong/xoa", &[("tu", old)])
        .await;
    assert_eq!(server.get(old).await.status(), 404);
    // Only administrators.
    let writer = server.login("tonghop").await;
    assert_eq!(writer.get("/quan-tri/chuyen-huong").await.0, 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_and_restore_keeps_the_redirects() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = TestServer::start_in(&data, |_| {}).await;
    let now = server.app.clock.now();
    server
        .app
        .store
        .write(move |tx| trangtin::redirects::add(tx, "/?p=123", "/tin-tuc", "", "test", now))
        .await
        .unwrap();
    server.stop().await;
    let made = trangtin(
        &data,
        &["backup", "--out", dir.path().to_str().unwrap()],
        "",
    );
    assert!(made.status.success());
    let archive = String::from_utf8_lossy(&made.stdout).trim().to_string();
    let target = dir.path().join("restored");
    let restored = trangtin(&target, &["restore", &archive], "");
    assert!(restored.status.success(), "{restored:?}");
    let (store, _) = trangtin::store::Store::open(&target).unwrap();
    let to = store
        .read_blocking(|tx| trangtin::redirects::find(tx, "/?p=123"))
        .unwrap();
    assert_eq!(to.as_deref(), Some("/tin-tuc"));
}

/// A live entry given a new address: the old one answers 301 with it; an address
/// another entry has is refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_address_for_a_live_entry_leaves_the_old_one_answering_301() {
    let server = TestServer::start().await;
    let old = crate::admin::publish_through_workflow(
        &server,
        "Tin sẽ đổi đường dẫn",
        "<p>Nội dung tin.</p>",
    )
    .await;
    let slug = old.trim_start_matches("/tin-tuc/").to_string();
    let id = server
        .app
        .store
        .read(move |tx| {
            trangtin::content::find_published(tx, trangtin::content::Kind::Article, &slug)
        })
        .await
        .unwrap()
        .unwrap()
        .entry
        .id
        .0;
    let compiler = server.login("tonghop").await;
    let (_, news) = server.page("/tin-tuc").await;
    // Another live article's address.
    let taken_slug = news
        .split("href=\"/tin-tuc/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|s| {
            !s.is_empty()
                && !s.contains('?')
                && !s.contains(".xml")
                && format!("/tin-tuc/{s}") != old
        })
        .expect("another article")
        .to_string();
    let base = crate::admin::base_of(&compiler, id).await;
    let mut fields = crate::admin::article("Tin sẽ đổi đường dẫn", "<p>Nội dung tin.</p>");
    fields.push(("base", &base));
    fields.push(("slug", &taken_slug));
    let refused = compiler
        .post(&format!("/quan-tri/bai-viet/{id}"), &fields)
        .await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("đã được dùng"));
    fields.pop();
    fields.push(("slug", "tin-da-doi-duong-dan"));
    compiler
        .post_ok(&format!("/quan-tri/bai-viet/{id}"), &fields)
        .await;
    let answer = server.get(&old).await;
    assert_eq!(answer.status(), 301);
    assert_eq!(
        answer.headers()["location"],
        "/tin-tuc/tin-da-doi-duong-dan"
    );
    assert_eq!(server.page("/tin-tuc/tin-da-doi-duong-dan").await.0, 200);
}
