//! The editors' workspace over real HTTPS: every admin route as every role, the whole
//! editorial flow with a delegate and a scheduled publication, and the bad input.

use std::time::Duration;

use axum::http::Method;
use trangtin::content::editorial;
use trangtin::content::{EntryId, State};
use trangtin::http::admin::{expected_status, routes};
use trangtin::workflow::{self, Action, Role};

use crate::support::{Staff, TestServer, field_value};

/// Demo logins, one per role.
pub(crate) const PEOPLE: &[(&str, Role)] = &[
    ("donvi", Role::Contributor),
    ("tonghop", Role::Compiler),
    ("bientap", Role::BoardMember),
    ("truongban", Role::BoardHead),
    ("xuatban", Role::Publisher),
    ("lanhdao", Role::Leadership),
    ("admin", Role::Administrator),
];

pub(crate) fn entry_id(location: &str) -> u64 {
    location
        .trim_start_matches("/quan-tri/bai-viet/")
        .split(['?', '/'])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn state(server: &TestServer, id: u64) -> State {
    server
        .app
        .store
        .read(move |tx| editorial::entry(tx, EntryId(id)))
        .await
        .unwrap()
        .state
}

pub(crate) async fn base_of(staff: &Staff, id: u64) -> String {
    let (status, html) = staff.get(&format!("/quan-tri/bai-viet/{id}")).await;
    field_value(&html, "base").unwrap_or_else(|| {
        panic!(
            "no base revision in the editor ({status}): {}",
            &html[..html.len().min(1500)]
        )
    })
}

pub(crate) fn article<'a>(title: &'a str, body: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("kind", "article"),
        ("title", title),
        ("summary", "Tóm tắt bài thử nghiệm."),
        ("body", body),
        ("category", "tin-hoat-dong"),
        ("author", "Nguyễn Thị Lan"),
        ("source", "Phòng Quản lý khoa học"),
    ]
}

pub(crate) async fn step(staff: &Staff, id: u64, action: &str, comment: &str) {
    staff
        .post_ok(
            &format!("/quan-tri/bai-viet/{id}/buoc"),
            &[("action", action), ("comment", comment)],
        )
        .await;
}

/// Through the whole workflow: written by the Division, approved by the head,
/// published by the Centre. Returns the public path.
pub(crate) async fn publish_through_workflow(
    server: &TestServer,
    title: &str,
    body: &str,
) -> String {
    let compiler = server.login("tonghop").await;
    let location = compiler
        .post_ok("/quan-tri/bai-viet/moi", &article(title, body))
        .await;
    let id = entry_id(&location);
    step(&compiler, id, "submit", "").await;
    step(&compiler, id, "forward", "").await;
    step(&server.login("truongban").await, id, "approve", "").await;
    step(&server.login("xuatban").await, id, "publish", "").await;
    let slug = server
        .app
        .store
        .read(move |tx| editorial::entry(tx, EntryId(id)))
        .await
        .unwrap()
        .slug;
    format!("/tin-tuc/{slug}")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_admin_route_answers_each_role_as_its_capability_says() {
    let server = TestServer::start().await;
    let admin = server.login("admin").await;
    // A spare account, so resetting its password disturbs nobody else in the walk.
    admin
        .post(
            "/quan-tri/nguoi-dung",
            &[
                ("login", "duphong"),
                ("name", "Tài khoản dự phòng"),
                ("roles", "contributor"),
            ],
        )
        .await;
    let spare = server.user_id("duphong").await;
    let ids = |path: &str| {
        path.replace("/bai-viet/{id}", "/bai-viet/1")
            .replace("/uy-quyen/{id}", "/uy-quyen/1")
            .replace("/nguoi-dung/{id}", &format!("/nguoi-dung/{spare}"))
            .replace("/don-vi/{id}", "/don-vi/1")
            .replace("/hoi-dap/{seq}", "/hoi-dap/1")
            .replace("/nhap/{id}", "/nhap/1")
    };
    // A question, not routed yet: only the Board and compilers see it.
    let calendar = server.app.config.calendar.clone();
    let now = server.app.clock.now();
    server
        .app
        .store
        .write(move |tx| {
            trangtin::citizen::questions::ask(
                tx,
                trangtin::citizen::questions::Asked {
                    name: "Người hỏi".into(),
                    email: "nguoihoi@example.vn".into(),
                    topic: "Khác".into(),
                    text: "Câu hỏi thử quyền.".into(),
                    mail_consent: false,
                },
                now,
                &calendar,
            )
        })
        .await
        .unwrap();
    // An import batch waiting for the Board head.
    server
        .app
        .store
        .write(move |tx| {
            trangtin::import::tables::BATCHES.insert(
                tx,
                1,
                &trangtin::import::Batch {
                    id: 1,
                    source: trangtin::import::Source {
                        kind: trangtin::import::SourceKind::Wordpress,
                        site: "http://old.example".into(),
                        input: "export.xml".into(),
                    },
                    state: trangtin::import::BatchState::Draft,
                    started_at: now,
                    started_by: "cli".into(),
                    items: 0,
                    files: 0,
                    decided_by: None,
                    decided_at: None,
                    reason: String::new(),
                    report: trangtin::import::Report::default(),
                },
            )
        })
        .await
        .unwrap();
    let anonymous = server.client();
    let mut people = Vec::new();
    for (login, role) in PEOPLE {
        people.push((*login, *role, server.login(login).await));
    }
    let mut checked = 0;
    for spec in routes() {
        let path = ids(spec.path);
        if let Some(cap) = spec.get() {
            // A password reset link the walk made up works for nobody: 410.
            let made_up_link = spec.path.contains("{token}");
            let r = anonymous.get(server.url(&path)).send().await.unwrap();
            assert_eq!(
                r.status(),
                if made_up_link {
                    axum::http::StatusCode::GONE
                } else {
                    expected_status(cap, None, &Method::GET)
                },
                "GET {path} anonymous"
            );
            for (login, role, staff) in &people {
                let r = staff.client.get(server.url(&path)).send().await.unwrap();
                let mut expected = expected_status(cap, Some(&[*role]), &Method::GET);
                if made_up_link {
                    expected = axum::http::StatusCode::GONE;
                }
                // Entry pages also hide other units' unpublished work (404).
                if spec.path.starts_with("/quan-tri/bai-viet/{id}")
                    && expected == 200
                    && !may_see_entry_1(&server, login).await
                {
                    expected = axum::http::StatusCode::NOT_FOUND;
                }
                // An unrouted question is hidden from everyone but the Board and
                // compilers.
                if spec.path == "/quan-tri/hoi-dap/{seq}"
                    && !matches!(role, Role::BoardHead | Role::BoardMember | Role::Compiler)
                {
                    expected = axum::http::StatusCode::NOT_FOUND;
                }
                let got = r.status();
                let body = r.text().await.unwrap();
                assert_eq!(
                    got,
                    expected,
                    "GET {path} as {role:?}: {}",
                    &body[..body.len().min(300)]
                );
                checked += 1;
            }
        }
        if let Some(cap) = spec.post() {
            if spec.path.ends_with("dang-xuat") {
                continue; // signs the walker out; tested on its own below
            }
            let r = anonymous
                .post(server.url(&path))
                .header("origin", format!("https://{}", server.https))
                .form(&[("x", "1")])
                .send()
                .await
                .unwrap();
            // With no session there is no CSRF token to match, whatever the route.
            assert_eq!(
                r.status(),
                403,
                "POST {path} anonymous (no session, no token)"
            );
            for (login, role, staff) in &people {
                let admitted =
                    cap.admits(&[*role]) && workflow_admits(&server, spec.path, login).await;
                let status = if spec.path == "/quan-tri/tep" {
                    staff
                        .upload("x.txt", b"not a file".to_vec(), "")
                        .await
                        .status()
                } else if spec.path == "/quan-tri/bai-viet/nhap-word" {
                    // A multipart upload too: its token is its first field.
                    let form = reqwest::multipart::Form::new()
                        .text("csrf", staff.csrf.clone())
                        .part(
                            "file",
                            reqwest::multipart::Part::bytes(b"not a zip".to_vec())
                                .file_name("x.docx"),
                        );
                    staff
                        .client
                        .post(server.url(spec.path))
                        .header("origin", format!("https://{}", server.https))
                        .multipart(form)
                        .send()
                        .await
                        .unwrap()
                        .status()
                } else {
                    let fields = [
                        ("name", "Thử"),
                        ("revision", "1"),
                        ("action", "withdraw"),
                        ("comment", "Thử quyền"),
                    ];
                    staff.post(&path, &fields).await.status()
                };
                if admitted {
                    assert!(
                        status != 403 && status != 401,
                        "POST {path} as {role:?} got {status}"
                    );
                } else {
                    assert_eq!(status, 403, "POST {path} as {role:?}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 150, "{checked} combinations");
    let (status, _) = people[0].2.get("/quan-tri").await;
    assert_eq!(status, 200);
    people[0].2.post_ok("/quan-tri/dang-xuat", &[]).await;
    let (status, _) = people[0].2.get("/quan-tri").await;
    assert_eq!(status, 303, "signed out");
}

/// Whether `login` may see entry 1 in the admin pages now.
async fn may_see_entry_1(server: &TestServer, login: &str) -> bool {
    let (entry, actor) = entry_1_and_actor(server, login).await;
    workflow::may_view(&actor, &editorial::facts(&entry))
}

async fn entry_1_and_actor(
    server: &TestServer,
    login: &str,
) -> (trangtin::content::Entry, workflow::Actor) {
    let login = login.to_string();
    server
        .app
        .store
        .read(move |tx| -> Result<_, trangtin::content::Error> {
            let user = trangtin::auth::find_by_login(tx, &login)
                .map_err(|e| trangtin::content::Error::Integrity(e.to_string()))?
                .expect("account");
            let actor = trangtin::auth::actor(tx, &user)
                .map_err(|e| trangtin::content::Error::Integrity(e.to_string()))?;
            Ok((editorial::entry(tx, EntryId(1))?, actor))
        })
        .await
        .unwrap()
}

/// For routes that take a workflow step on entry 1 (save, restore, and — as the walk
/// sends it — withdraw), whether the role may take it now.
async fn workflow_admits(server: &TestServer, path: &str, login: &str) -> bool {
    let action = match path {
        "/quan-tri/bai-viet/{id}" | "/quan-tri/bai-viet/{id}/khoi-phuc" => Action::Save,
        "/quan-tri/bai-viet/{id}/buoc" => Action::Withdraw,
        _ => return true,
    };
    let (entry, actor) = entry_1_and_actor(server, login).await;
    workflow::decide(
        &actor,
        action,
        &editorial::facts(&entry),
        server.app.today(),
    )
    .is_ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_article_goes_from_a_unit_to_the_public_site_and_an_edit_follows_the_same_path() {
    let server = TestServer::start().await;
    let contributor = server.login("donvi").await;
    let compiler = server.login("tonghop").await;
    let delegate = server.login("uyquyen").await;
    let head = server.login("truongban").await;
    let publisher = server.login("xuatban").await;

    // 1. A contributor creates an entry and submits it.
    let location = contributor
        .post_ok(
            "/quan-tri/bai-viet/moi",
            &article("Hội thảo ứng dụng AI trong nông nghiệp", "<p>Bản đầu.</p>"),
        )
        .await;
    let id = entry_id(&location);
    step(&contributor, id, "submit", "").await;
    assert_eq!(state(&server, id).await, State::Submitted);
    let (_, inbox) = compiler.get("/quan-tri").await;
    assert!(
        inbox.contains("Hội thảo ứng dụng AI trong nông nghiệp"),
        "the Division sees it waiting"
    );

    // 2. The compiler returns it; the contributor fixes it and resubmits.
    let refused = compiler
        .post(
            &format!("/quan-tri/bai-viet/{id}/buoc"),
            &[("action", "return"), ("comment", "")],
        )
        .await;
    assert_eq!(refused.status(), 422, "a return needs a reason");
    step(&compiler, id, "return", "Bổ sung số liệu cụ thể.").await;
    assert_eq!(state(&server, id).await, State::Returned);
    let base = base_of(&contributor, id).await;
    let mut fixed = article(
        "Hội thảo ứng dụng AI trong nông nghiệp",
        "<p>Bản đã bổ sung 120 đại biểu.</p>",
    );
    fixed.push(("base", &base));
    contributor
        .post_ok(&format!("/quan-tri/bai-viet/{id}"), &fixed)
        .await;
    step(&contributor, id, "submit", "").await;

    // A contributor cannot approve, nor can the Division.
    let denied = contributor
        .post(
            &format!("/quan-tri/bai-viet/{id}/buoc"),
            &[("action", "approve")],
        )
        .await;
    assert_eq!(denied.status(), 403);

    // 3. The compiler forwards it to the Board.
    step(&compiler, id, "forward", "").await;
    assert_eq!(state(&server, id).await, State::InReview);
    let denied = compiler
        .post(
            &format!("/quan-tri/bai-viet/{id}/buoc"),
            &[("action", "approve")],
        )
        .await;
    assert_eq!(denied.status(), 403);

    // 4. A delegate approves on behalf of the head.
    step(&delegate, id, "approve", "Đồng ý đăng.").await;
    assert_eq!(state(&server, id).await, State::Approved);
    let (_, editor) = publisher.get(&format!("/quan-tri/bai-viet/{id}")).await;
    assert!(
        editor.contains("thay mặt Lê Thị Thu Hà"),
        "the approval names the head"
    );
    let events = server
        .app
        .store
        .read(move |tx| editorial::events(tx, EntryId(id)))
        .await
        .unwrap();
    let approval = events.iter().find(|e| e.action == Action::Approve).unwrap();
    assert_eq!(approval.user_name, "Võ Minh Tâm");
    assert_eq!(approval.on_behalf_of.as_deref(), Some("Lê Thị Thu Hà"));
    assert_eq!(approval.role, Role::BoardHead);
    assert_eq!(approval.revision_hash.len(), 64);

    // 5. The publisher schedules it; time passes, and it is live.
    let at = server
        .app
        .clock
        .now()
        .checked_add(jiff::SignedDuration::from_mins(10))
        .unwrap()
        .to_zoned_datetime(trangtin::format::vietnam())
        .strftime("%Y-%m-%dT%H:%M")
        .to_string();
    publisher
        .post_ok(
            &format!("/quan-tri/bai-viet/{id}/buoc"),
            &[("action", "schedule"), ("schedule_for", &at)],
        )
        .await;
    assert_eq!(state(&server, id).await, State::Scheduled);
    let slug = server
        .app
        .store
        .read(move |tx| editorial::entry(tx, EntryId(id)))
        .await
        .unwrap()
        .slug;
    let public = format!("/tin-tuc/{slug}");
    assert_eq!(server.page(&public).await.0, 404, "not before its time");
    // Twenty minutes later (sessions stay open: they end after two idle hours).
    server.app.clock.advance(20 * 60);
    let mut live = false;
    for _ in 0..100 {
        if server.page(&public).await.0 == 200 {
            live = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(live, "the scheduler published it");
    assert_eq!(state(&server, id).await, State::Published);
    let (_, page) = server.page(&public).await;
    assert!(page.contains("Bản đã bổ sung 120 đại biểu."));
    assert!(page.contains("Nguyễn Thị Lan"));

    // 6. An edit goes through the same steps while the old revision stays live.
    let base = base_of(&contributor, id).await;
    let mut edit = article(
        "Hội thảo ứng dụng AI trong nông nghiệp",
        "<p>Bản sửa lần hai.</p>",
    );
    edit.push(("base", &base));
    contributor
        .post_ok(&format!("/quan-tri/bai-viet/{id}"), &edit)
        .await;
    assert_eq!(state(&server, id).await, State::Draft);
    let (_, page) = server.page(&public).await;
    assert!(
        page.contains("Bản đã bổ sung 120 đại biểu."),
        "the live revision stays up"
    );
    assert!(!page.contains("Bản sửa lần hai."));
    let (_, preview) = contributor
        .get(&format!("/quan-tri/bai-viet/{id}/xem-truoc"))
        .await;
    assert!(preview.contains("Bản sửa lần hai.") && preview.contains("Bản xem trước"));
    step(&contributor, id, "submit", "").await;
    step(&compiler, id, "forward", "").await;
    step(&head, id, "approve", "").await;
    step(&publisher, id, "publish", "").await;
    let (_, page) = server.page(&public).await;
    assert!(page.contains("Bản sửa lần hai."));
    let published = server
        .app
        .store
        .read(move |tx| editorial::entry(tx, EntryId(id)))
        .await
        .unwrap();
    assert_eq!(
        published.published,
        published.live_approval.as_ref().map(|a| a.revision)
    );

    // The history shows every revision and a diff between two of them.
    let revisions = server
        .app
        .store
        .read(move |tx| editorial::revisions(tx, EntryId(id)))
        .await
        .unwrap();
    assert_eq!(revisions.len(), 3);
    let (a, b) = (revisions[2].id.0, revisions[0].id.0);
    let (_, history) = head
        .get(&format!("/quan-tri/bai-viet/{id}/lich-su?a={a}&b={b}"))
        .await;
    // The text as read, what went and what came marked word by word, not raw HTML.
    assert!(
        history.contains("<del>") && history.contains("<ins>"),
        "{history}"
    );
    assert!(history.contains("đầu") && history.contains("hai"));
    assert!(
        !history.contains("&lt;p&gt;"),
        "no raw HTML in the comparison"
    );
    // Pressing "So sánh" with one version chosen says what is missing.
    let (_, one) = head
        .get(&format!("/quan-tri/bai-viet/{id}/lich-su?a={a}&so_sanh=1"))
        .await;
    assert!(one.contains("Hãy chọn hai phiên bản để so sánh"), "{one}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restore_makes_a_new_revision_and_keeps_history() {
    let server = TestServer::start().await;
    let compiler = server.login("tonghop").await;
    let location = compiler
        .post_ok(
            "/quan-tri/bai-viet/moi",
            &article("Bài thử khôi phục", "<p>Một.</p>"),
        )
        .await;
    let id = entry_id(&location);
    let first = base_of(&compiler, id).await;
    let mut second = article("Bài thử khôi phục", "<p>Hai.</p>");
    second.push(("base", &first));
    compiler
        .post_ok(&format!("/quan-tri/bai-viet/{id}"), &second)
        .await;
    compiler
        .post_ok(
            &format!("/quan-tri/bai-viet/{id}/khoi-phuc"),
            &[("revision", &first)],
        )
        .await;
    let revisions = server
        .app
        .store
        .read(move |tx| editorial::revisions(tx, EntryId(id)))
        .await
        .unwrap();
    assert_eq!(revisions.len(), 3);
    assert_eq!(revisions[0].fields.body_html, "<p>Một.</p>");
    assert_eq!(revisions[0].parent, Some(revisions[1].id));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_xss_corpus_through_the_editor_is_harmless_on_the_public_page() {
    let server = TestServer::start().await;
    let payloads = [
        "<p>Đoạn <strong>an toàn</strong> còn lại.</p>",
        "<script>alert('xss')</script>",
        "<img src=x onerror=alert(1) alt=\"a\">",
        "<a href=\"javascript:alert(1)\">bấm</a>",
        "<svg onload=alert(1)><circle/></svg>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<p style=\"background:url(javascript:alert(1))\">kiểu</p>",
        "<div onclick=\"steal()\">nhấp</div>",
        "<a href=\"data:text/html,<script>alert(1)</script>\">dữ liệu</a>",
        "<object data=\"x.swf\"></object><embed src=\"x.swf\">",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<form action=\"https://evil.example\"><input name=p></form>",
        "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
    ];
    let body = payloads.concat();
    let path =
        publish_through_workflow(&server, "Bài <script>alert(2)</script> thử XSS", &body).await;
    let (status, html) = server.page(&path).await;
    assert_eq!(status, 200);
    let body_part = &html[html.find("class=\"body\"").unwrap()..];
    for bad in [
        "<script>alert",
        "onerror",
        "javascript:",
        "<svg",
        "<iframe",
        "style=\"background",
        "onclick",
        "data:text/html",
        "<object",
        "<embed",
        "<form action",
        "http-equiv",
        "<math",
    ] {
        assert!(
            !body_part.contains(bad),
            "{bad} survived on the public page"
        );
    }
    assert!(html.contains("<strong>an toàn</strong>"));
    assert!(
        html.contains("Bài &lt;script&gt;alert(2)&lt;/script&gt; thử XSS"),
        "the title is escaped"
    );
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 255) as u8, (y % 255) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

async fn library_size(server: &TestServer) -> (usize, usize) {
    let items = server
        .app
        .store
        .read(|tx| trangtin::media::library(tx, None))
        .await
        .unwrap()
        .len();
    let files = walk(&server.data.join("blobs"));
    (items, files)
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| {
                if e.path().is_dir() {
                    walk(&e.path())
                } else {
                    1
                }
            })
            .sum()
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_are_checked_by_content_and_bad_ones_store_nothing() {
    let server = TestServer::start().await;
    let writer = server.login("donvi").await;
    let before = library_size(&server).await;
    let cases: Vec<(&str, Vec<u8>, &str, u16, &str)> = vec![
        (
            "bao-cao.pdf",
            png(8, 8),
            "",
            422,
            "không khớp với phần mở rộng",
        ),
        (
            "anh.jpg",
            b"<html><script>alert(1)</script></html>".to_vec(),
            "Ảnh",
            422,
            "Định dạng tệp không được hỗ trợ",
        ),
        ("anh.png", png(40, 40), "", 422, "mô tả thay thế"),
        (
            "lon.jpg",
            [&[0xFF, 0xD8, 0xFF][..], &vec![0u8; 11 * 1024 * 1024]].concat(),
            "Ảnh",
            422,
            "Ảnh lớn quá 10 MB",
        ),
        (
            "qua-lon.pdf",
            [&b"%PDF-1.7\n"[..], &vec![b' '; 22 * 1024 * 1024]].concat(),
            "",
            413,
            "Dữ liệu gửi lên quá lớn",
        ),
    ];
    for (name, bytes, alt, status, message) in cases {
        let r = writer.upload(name, bytes, alt).await;
        assert_eq!(r.status(), status, "{name}");
        let html = r.text().await.unwrap_or_default();
        assert!(html.contains(message), "{name}: expected {message:?}");
    }
    assert_eq!(library_size(&server).await, before, "nothing was stored");

    // A good image: re-encoded JPEG with srcset variants.
    let r = writer
        .upload("Hội thảo.png", png(1600, 900), "Đại biểu dự hội thảo")
        .await;
    assert_eq!(r.status(), 303);
    let meta = server
        .app
        .store
        .read(|tx| trangtin::media::library(tx, Some(true)))
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.alt == "Đại biểu dự hội thảo")
        .expect("the image is in the library");
    assert_eq!(meta.content_type, "image/jpeg");
    assert_eq!(
        meta.variants.iter().map(|v| v.width).collect::<Vec<_>>(),
        vec![320, 640, 1280]
    );
    let r = writer
        .upload(
            "ke-hoach.pdf",
            b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\n".to_vec(),
            "",
        )
        .await;
    assert_eq!(r.status(), 303);
}

#[tokio::test(flavor = "multi_thread")]
async fn posts_without_a_csrf_token_or_from_another_origin_are_refused() {
    let server = TestServer::start().await;
    let staff = server.login("tonghop").await;
    let url = server.url("/quan-tri/bai-viet/moi");
    let fields = article("Không có mã CSRF", "<p>x</p>");
    let no_token = staff
        .client
        .post(&url)
        .header("origin", format!("https://{}", server.https))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 403);
    let mut with_token = fields.clone();
    with_token.push(("csrf", staff.csrf.as_str()));
    let wrong_token = staff
        .client
        .post(&url)
        .header("origin", format!("https://{}", server.https))
        .form(&[("csrf", "0".repeat(64).as_str()), ("title", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_token.status(), 403);
    let cross = staff
        .client
        .post(&url)
        .header("origin", "https://evil.example")
        .form(&with_token)
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    let upload = staff
        .client
        .post(server.url("/quan-tri/tep"))
        .multipart(reqwest::multipart::Form::new().text("alt", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 403, "uploads need the token too");
    let count = server
        .app
        .store
        .read(editorial::all_entries)
        .await
        .unwrap()
        .len();
    let ok = staff.post("/quan-tri/bai-viet/moi", &fields).await;
    assert_eq!(ok.status(), 303);
    let after = server
        .app
        .store
        .read(editorial::all_entries)
        .await
        .unwrap()
        .len();
    assert_eq!(after, count + 1, "only the good request created an entry");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_edits_produce_a_conflict_not_an_overwrite() {
    let server = TestServer::start().await;
    let contributor = server.login("donvi").await;
    // A colleague in the same unit (Phòng Quản lý khoa học).
    let now = server.app.clock.now();
    server
        .app
        .store
        .write(move |tx| -> Result<(), trangtin::auth::Error> {
            let lan = trangtin::auth::find_by_login(tx, "donvi")?.unwrap();
            let new = trangtin::auth::NewUser {
                login: "dongnghiep".into(),
                name: "Đồng nghiệp cùng phòng".into(),
                unit: lan.unit,
                roles: vec![Role::Contributor],
            };
            trangtin::auth::create_user(tx, new, "x".into(), false, now)?;
            Ok(())
        })
        .await
        .unwrap();
    let compiler = server.login("dongnghiep").await;
    let location = contributor
        .post_ok(
            "/quan-tri/bai-viet/moi",
            &article("Bài sửa đồng thời", "<p>Gốc.</p>"),
        )
        .await;
    let id = entry_id(&location);
    let base_a = base_of(&contributor, id).await;
    let base_b = base_of(&compiler, id).await;
    assert_eq!(base_a, base_b);
    let mut first = article("Bài sửa đồng thời", "<p>Bản của người thứ nhất.</p>");
    first.push(("base", &base_a));
    contributor
        .post_ok(&format!("/quan-tri/bai-viet/{id}"), &first)
        .await;
    let mut second = article("Bài sửa đồng thời", "<p>Bản của người thứ hai.</p>");
    second.push(("base", &base_b));
    let r = compiler
        .post(&format!("/quan-tri/bai-viet/{id}"), &second)
        .await;
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap();
    assert!(html.contains("Xung đột khi lưu"));
    assert!(html.contains("Bản của người thứ nhất.") && html.contains("Bản của người thứ hai."));
    let working = server
        .app
        .store
        .read(move |tx| {
            let e = editorial::entry(tx, EntryId(id))?;
            editorial::revision(tx, e.working)
        })
        .await
        .unwrap();
    assert_eq!(working.fields.body_html, "<p>Bản của người thứ nhất.</p>");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_admin_must_change_the_one_time_password() {
    let server = TestServer::start().await;
    let one_time = "một-lần-mật-khẩu-2026";
    let hash = trangtin::auth::password::hash(one_time).unwrap();
    let now = server.app.clock.now();
    server
        .app
        .store
        .write(move |tx| -> Result<(), trangtin::auth::Error> {
            let admin = trangtin::auth::find_by_login(tx, "admin")?.unwrap();
            assert!(
                admin.must_change_password,
                "admin starts with a one-time password"
            );
            assert!(admin.password_hash.starts_with("$argon2id$"));
            trangtin::auth::set_password_hash(tx, admin.id, hash, true, now)?;
            Ok(())
        })
        .await
        .unwrap();
    assert!(server.login_with("admin", "sai mật khẩu").await.is_none());
    let admin = server.login_with("admin", one_time).await.unwrap();
    let (status, _) = admin.get("/quan-tri/nguoi-dung").await;
    assert_eq!(status, 303, "sent to change the password first");
    let (status, html) = admin.get("/quan-tri/doi-mat-khau").await;
    assert_eq!(status, 200);
    assert!(html.contains("mật khẩu một lần"));
    let csrf = field_value(&html, "csrf").unwrap();
    let short = admin
        .client
        .post(server.url("/quan-tri/doi-mat-khau"))
        .header("origin", format!("https://{}", server.https))
        .form(&[
            ("csrf", csrf.as_str()),
            ("old", one_time),
            ("new", "ngắn"),
            ("confirm", "ngắn"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), 422);
    let good = "một mật khẩu mới đủ dài";
    let changed = admin
        .client
        .post(server.url("/quan-tri/doi-mat-khau"))
        .header("origin", format!("https://{}", server.https))
        .form(&[
            ("csrf", csrf.as_str()),
            ("old", one_time),
            ("new", good),
            ("confirm", good),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 303);
    // Next, administrators must enrol a second factor before anything else.
    let (status, location) = admin.get("/quan-tri/nguoi-dung").await;
    assert_eq!(status, 303);
    assert!(
        location.contains("/quan-tri/xac-thuc-hai-buoc"),
        "{location}"
    );
    let (status, html) = admin.get("/quan-tri/xac-thuc-hai-buoc").await;
    assert_eq!(status, 200);
    assert!(html.contains("<svg") && html.contains("bắt buộc"));
    let secret = crate::support::secret_on_page(&html);
    let before = admin.session_token(&server).unwrap();
    let code = trangtin::auth::second_factor::code_at(&secret, server.app.clock.now());
    let enrolled = admin
        .client
        .post(server.url("/quan-tri/xac-thuc-hai-buoc/bat"))
        .header("origin", format!("https://{}", server.https))
        .form(&[
            ("csrf", field_value(&html, "csrf").unwrap().as_str()),
            ("bi_mat", field_value(&html, "bi_mat").unwrap().as_str()),
            ("ma", code.as_str()),
            ("xac_nhan", good),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(enrolled.status(), 200);
    assert!(
        enrolled
            .text()
            .await
            .unwrap()
            .contains("Mã dự phòng của bạn")
    );
    server.remember_secret("admin", secret);
    // Enrolling gave the browser a new session id; the old one opens nothing.
    assert_ne!(admin.session_token(&server).unwrap(), before);
    let stale = server
        .client()
        .get(server.url("/quan-tri"))
        .header("cookie", format!("__Host-trangtin={before}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 303);
    assert!(
        stale.headers()["location"]
            .to_str()
            .unwrap()
            .contains("dang-nhap")
    );
    let (status, _) = admin.get("/quan-tri/nguoi-dung").await;
    assert_eq!(status, 200);
    assert!(server.login_with("admin", one_time).await.is_none());
    let again = server.login_with("admin", good).await.unwrap();
    let (status, _) = again.get("/quan-tri/nguoi-dung").await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn contributors_see_only_their_own_units_unpublished_work() {
    let server = TestServer::start().await;
    let own = server.login("donvi").await; // Phòng Quản lý khoa học
    let location = own
        .post_ok(
            "/quan-tri/bai-viet/moi",
            &article("Bản nháp của phòng khoa học", "<p>Nháp.</p>"),
        )
        .await;
    let id = entry_id(&location);
    let now = server.app.clock.now();
    server
        .app
        .store
        .write(move |tx| -> Result<(), trangtin::auth::Error> {
            let office = trangtin::auth::find_unit(tx, "Văn phòng Sở")?.unwrap();
            let new = trangtin::auth::NewUser {
                login: "vanphong".into(),
                name: "Người Văn phòng".into(),
                unit: Some(office.id),
                roles: vec![Role::Contributor],
            };
            trangtin::auth::create_user(tx, new, "x".into(), false, now)?;
            Ok(())
        })
        .await
        .unwrap();
    let other = server.login("vanphong").await;
    assert_eq!(own.get(&format!("/quan-tri/bai-viet/{id}")).await.0, 200);
    for path in [
        format!("/quan-tri/bai-viet/{id}"),
        format!("/quan-tri/bai-viet/{id}/xem-truoc"),
        format!("/quan-tri/bai-viet/{id}/lich-su"),
    ] {
        assert_eq!(other.get(&path).await.0, 404, "{path}");
    }
    let (_, list) = other.get("/quan-tri/bai-viet").await;
    assert!(!list.contains("Bản nháp của phòng khoa học"));
    let denied = other
        .post(
            &format!("/quan-tri/bai-viet/{id}/buoc"),
            &[("action", "submit")],
        )
        .await;
    assert_eq!(denied.status(), 403);
    let (_, list) = server
        .login("lanhdao")
        .await
        .get("/quan-tri/bai-viet")
        .await;
    assert!(
        list.contains("Bản nháp của phòng khoa học"),
        "leadership sees everything"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revision_changed_after_approval_is_never_published() {
    let server = TestServer::start().await;
    let compiler = server.login("tonghop").await;
    let location = compiler
        .post_ok(
            "/quan-tri/bai-viet/moi",
            &article("Bài được duyệt", "<p>Nội dung đã duyệt.</p>"),
        )
        .await;
    let id = entry_id(&location);
    step(&compiler, id, "submit", "").await;
    step(&compiler, id, "forward", "").await;
    step(&server.login("truongban").await, id, "approve", "").await;
    // Someone with access to the database rewrites the approved revision.
    server
        .app
        .store
        .write(move |tx| -> Result<(), trangtin::content::Error> {
            let entry = editorial::entry(tx, EntryId(id))?;
            let mut revision = editorial::revision(tx, entry.working)?;
            revision.fields.body_html = "<p>Nội dung bị sửa lén.</p>".into();
            trangtin::content::tables::REVISIONS.insert(tx, revision.id.0, &revision)?;
            Ok(())
        })
        .await
        .unwrap();
    let publisher = server.login("xuatban").await;
    let r = publisher
        .post(
            &format!("/quan-tri/bai-viet/{id}/buoc"),
            &[("action", "publish")],
        )
        .await;
    assert_eq!(r.status(), 500, "publishing a tampered revision fails");
    assert_eq!(state(&server, id).await, State::Approved);
    let slug = server
        .app
        .store
        .read(move |tx| editorial::entry(tx, EntryId(id)))
        .await
        .unwrap()
        .slug;
    assert_eq!(server.page(&format!("/tin-tuc/{slug}")).await.0, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn approving_needs_the_revision_the_approver_saw() {
    let server = TestServer::start().await;
    let compiler = server.login("tonghop").await;
    let location = compiler
        .post_ok(
            "/quan-tri/bai-viet/moi",
            &article("Bài duyệt đúng bản", "<p>Một.</p>"),
        )
        .await;
    let id = entry_id(&location);
    step(&compiler, id, "submit", "").await;
    let seen = base_of(&compiler, id).await;
    // The Division edits while it is submitted, then forwards.
    let mut edit = article("Bài duyệt đúng bản", "<p>Hai.</p>");
    edit.push(("base", &seen));
    compiler
        .post_ok(&format!("/quan-tri/bai-viet/{id}"), &edit)
        .await;
    step(&compiler, id, "forward", "").await;
    let head = server.login("truongban").await;
    let stale = head
        .post(
            &format!("/quan-tri/bai-viet/{id}/buoc"),
            &[("action", "approve"), ("revision", &seen)],
        )
        .await;
    assert_eq!(stale.status(), 422);
    assert!(stale.text().await.unwrap().contains("Bài vừa được sửa"));
    assert_eq!(state(&server, id).await, State::InReview);
    let current = base_of(&head, id).await;
    head.post_ok(
        &format!("/quan-tri/bai-viet/{id}/buoc"),
        &[("action", "approve"), ("revision", &current)],
    )
    .await;
    assert_eq!(state(&server, id).await, State::Approved);
}

/// An upload that would eat into the disk's reserve is refused with a clear message,
/// and nothing is stored.
#[tokio::test(flavor = "multi_thread")]
async fn an_upload_that_would_fill_the_disk_is_refused() {
    let server = TestServer::start_with(|c| c.limits.disk_reserve_bytes = Some(u64::MAX / 4)).await;
    let count = |server: &TestServer| {
        let store = server.app.store.clone();
        async move {
            store
                .read(|tx| trangtin::store::BLOBS.values(tx))
                .await
                .unwrap()
                .len()
        }
    };
    let before = count(&server).await;
    let writer = server.login("tonghop").await;
    let r = writer
        .upload(
            "bao-cao.pdf",
            b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\n".to_vec(),
            "",
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Máy chủ sắp hết chỗ lưu trữ")
    );
    assert_eq!(count(&server).await, before, "nothing stored");
}

/// Admin pages speak Vietnamese: after a workflow, a backup and an integrity check
/// (which write the records most likely to leak codes), no page any role opens shows a
/// raw code, an id dump or an English phrase from the store in its visible text.
#[tokio::test(flavor = "multi_thread")]
async fn admin_pages_show_no_raw_codes() {
    const RAW: &[&str] = &[
        "integrity_check",
        "step:",
        "user #",
        "Approved",
        "Published",
        "settings_draft",
        "all as approved",
        "written and restored",
        "schedule",
        "mismatches",
    ];
    let server = TestServer::start().await;
    crate::admin::publish_through_workflow(&server, "Tin kiểm tra nhãn", "<p>Nội dung.</p>").await;
    let admin = server.login("admin").await;
    admin.post_ok("/quan-tri/kiem-tra", &[]).await;
    admin.post("/quan-tri/sao-luu", &[]).await;
    let visible = |html: &str| {
        // The text a person reads: tags, scripts and styles left out.
        let mut text = String::new();
        let mut rest = html;
        while let Some(open) = rest.find('<') {
            text.push_str(&rest[..open]);
            text.push(' ');
            let after = &rest[open..];
            let skip_to = if after.starts_with("<script") {
                after.find("</script>").map(|e| e + 9)
            } else if after.starts_with("<style") {
                after.find("</style>").map(|e| e + 8)
            } else {
                after.find('>').map(|e| e + 1)
            };
            rest = skip_to.map_or("", |e| &after[e..]);
        }
        text.push_str(rest);
        text
    };
    let mut checked = 0;
    for login in ["admin", "truongban", "tonghop", "lanhdao"] {
        let staff = server.login(login).await;
        for spec in routes() {
            if spec.path.contains('{') || spec.get().is_none() {
                continue;
            }
            let (status, html) = staff.get(spec.path).await;
            // Pages only: the JSON export keeps the raw values on purpose.
            if status != 200 || !html.starts_with("<!DOCTYPE html>") {
                continue;
            }
            let text = visible(&html);
            for raw in RAW {
                assert!(
                    !text.contains(raw),
                    "{} as {login} shows {raw:?}: …{}…",
                    spec.path,
                    text.find(raw).map_or("", |at| &text[text
                        .floor_char_boundary(at.saturating_sub(80))
                        ..text.floor_char_boundary((at + 80).min(text.len()))])
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 40, "{checked} pages read");
}

/// Text typed in decomposed Unicode (NFD) is stored composed (NFC, regulation F11):
/// an editor's title, and a citizen's question.
#[tokio::test(flavor = "multi_thread")]
async fn decomposed_input_is_stored_composed() {
    use unicode_normalization::UnicodeNormalization;
    let server = TestServer::start().await;
    let nfd: String = "Hội thảo chuyển đổi số tỉnh Gia Lai".nfd().collect();
    assert_ne!(nfd, "Hội thảo chuyển đổi số tỉnh Gia Lai");
    let address = publish_through_workflow(&server, &nfd, "<p>Nội dung.</p>").await;
    let slug = address.trim_start_matches("/tin-tuc/").to_string();
    let live = server
        .app
        .store
        .read(move |tx| {
            trangtin::content::find_published(tx, trangtin::content::Kind::Article, &slug)
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        live.revision.fields.title,
        "Hội thảo chuyển đổi số tỉnh Gia Lai"
    );
    let (_, page) = server.page(&address).await;
    assert!(
        page.contains("<h1>Hội thảo chuyển đổi số tỉnh Gia Lai</h1>")
            || page.contains(">Hội thảo chuyển đổi số tỉnh Gia Lai</h1>")
    );
}

/// The message a step leaves on the entry's page.
async fn flash_after(staff: &Staff, id: u64, action: &str, comment: &str) -> String {
    let location = staff
        .post_ok(
            &format!("/quan-tri/bai-viet/{id}/buoc"),
            &[("action", action), ("comment", comment)],
        )
        .await;
    let (_, page) = staff.get(&location).await;
    let start = page.find("class=\"flash\"").expect("a message");
    let end = page[start..].find("</p>").unwrap() + start;
    page[start..end].to_string()
}

/// Each workflow step says what it did and what comes next, naming people; a
/// delegate's approve button says for whom before the click; scheduling names the
/// time zone.
#[tokio::test(flavor = "multi_thread")]
async fn each_step_says_what_it_did() {
    let server = TestServer::start().await;
    let compiler = server.login("tonghop").await;
    let location = compiler
        .post_ok(
            "/quan-tri/bai-viet/moi",
            &article("Tin thông báo từng bước", "<p>Nội dung.</p>"),
        )
        .await;
    let id = entry_id(&location);
    assert!(
        flash_after(&compiler, id, "submit", "")
            .await
            .contains("Đã gửi bài")
    );
    assert!(
        flash_after(&compiler, id, "forward", "")
            .await
            .contains("Đã trình Ban Biên tập")
    );
    // Past the writer's step the entry reads as read-only, saying so.
    let (_, waiting) = compiler.get(&format!("/quan-tri/bai-viet/{id}")).await;
    assert!(
        waiting.contains("bạn chỉ xem, không sửa được lúc này"),
        "{waiting}"
    );
    assert!(!waiting.contains(">Lưu bản sửa</button>"), "no save button");
    let head = server.login("truongban").await;
    let returned = flash_after(&head, id, "return", "Bổ sung nguồn.").await;
    assert!(returned.contains("Đã trả lại cho"), "{returned}");
    assert!(
        flash_after(&compiler, id, "submit", "")
            .await
            .contains("Đã gửi bài")
    );
    assert!(
        flash_after(&compiler, id, "forward", "")
            .await
            .contains("Đã trình Ban Biên tập")
    );
    // The delegate sees whom they approve for before they press.
    let delegate = server.login("uyquyen").await;
    let (_, page) = delegate.get(&format!("/quan-tri/bai-viet/{id}")).await;
    assert!(
        page.contains("Duyệt (thay mặt Lê Thị Thu Hà)"),
        "the button names the head"
    );
    let approved = flash_after(&delegate, id, "approve", "").await;
    assert!(
        approved.contains("Đã duyệt thay mặt Lê Thị Thu Hà"),
        "{approved}"
    );
    let publisher = server.login("xuatban").await;
    let (_, page) = publisher.get(&format!("/quan-tri/bai-viet/{id}")).await;
    assert!(
        page.contains("giờ Việt Nam, UTC+7"),
        "the schedule field names the zone"
    );
    assert!(
        flash_after(&publisher, id, "publish", "")
            .await
            .contains("Đã đăng lên trang")
    );
}

/// Every image in the demo's library carries its alt text, as an upload must.
#[tokio::test(flavor = "multi_thread")]
async fn the_demo_library_has_alt_text_for_every_image() {
    let server = TestServer::start().await;
    let images = server
        .app
        .store
        .read(|tx| trangtin::media::library(tx, Some(true)))
        .await
        .unwrap();
    assert!(!images.is_empty());
    for image in images {
        assert!(
            !image.alt.trim().is_empty(),
            "{} has no alt text",
            image.original_name
        );
    }
}
