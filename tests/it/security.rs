//! Guessing passwords: per-account lock-out, per-address limits, no enumeration, and
//! the hash-chained audit trail that records it all.

use std::time::{Duration, Instant};

use trangtin::audit::{self, Break, Record};

use crate::support::{Staff, TEST_PASSWORD, TestServer, field_value};

const WRONG: &str = "không phải mật khẩu này";

/// A login try's status and page (or redirect target).
async fn attempt(server: &TestServer, login: &str, password: &str) -> (u16, String) {
    let (_, response) = server.login_attempt(login, password).await;
    let status = response.status().as_u16();
    if status == 303 {
        let location = response.headers()["location"].to_str().unwrap().to_string();
        return (status, location);
    }
    (status, response.text().await.unwrap())
}

async fn trail(server: &TestServer) -> Vec<Record> {
    server
        .app
        .store
        .read(|tx| trangtin::audit::tables::AUDIT.values(tx))
        .await
        .unwrap()
}

fn count(records: &[Record], action: &str, target: &str) -> usize {
    records
        .iter()
        .filter(|r| r.action == action && r.target == target)
        .count()
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_until_an_administrator_unlocks_it() {
    let server = TestServer::start().await;
    let admin = server.login("admin").await;
    server.login("donvi").await;
    for i in 1..=5 {
        let (status, page) = attempt(&server, "donvi", WRONG).await;
        assert_eq!(status, 422, "failure {i}");
        let expected = if i < 5 {
            "Tên đăng nhập hoặc mật khẩu không đúng."
        } else {
            "Tài khoản tạm khóa"
        };
        assert!(page.contains(expected), "failure {i}: {page}");
    }
    // Locked: now even the right password is refused.
    let (status, page) = attempt(&server, "donvi", TEST_PASSWORD).await;
    assert_eq!(status, 422);
    assert!(page.contains("Tài khoản tạm khóa"), "{page}");

    let records = trail(&server).await;
    assert_eq!(count(&records, "login_failed", "donvi"), 5);
    assert_eq!(count(&records, "locked", "donvi"), 1);
    assert_eq!(count(&records, "login_refused_locked", "donvi"), 1);
    assert!(
        records
            .iter()
            .all(|r| r.ip == "127.0.0.1" || r.action != "login_failed")
    );

    // The administrator sees the lock and lifts it.
    let id = server.user_id("donvi").await;
    let (_, page) = admin.get(&format!("/quan-tri/nguoi-dung/{id}")).await;
    assert!(page.contains("Mở khóa ngay"), "{page}");
    admin
        .post_ok(&format!("/quan-tri/nguoi-dung/{id}/mo-khoa"), &[])
        .await;
    let (_, page) = admin.get(&format!("/quan-tri/nguoi-dung/{id}")).await;
    assert!(!page.contains("Mở khóa ngay"));
    assert!(server.login_with("donvi", TEST_PASSWORD).await.is_some());

    let records = trail(&server).await;
    assert_eq!(count(&records, "unlocked", "donvi"), 1);
    let unlocked = records.iter().find(|r| r.action == "unlocked").unwrap();
    assert_eq!(unlocked.actor, "admin");
    let verified = server.app.store.read(audit::verify).await.unwrap();
    assert_eq!(verified, Ok(records.len()));
}

#[tokio::test]
async fn a_lock_ends_by_itself_after_the_configured_period() {
    let server = TestServer::start_with(|c| {
        c.login.max_failures = 3;
        c.login.window = jiff::SignedDuration::from_mins(10);
    })
    .await;
    server.login("tonghop").await;
    for _ in 0..3 {
        attempt(&server, "tonghop", WRONG).await;
    }
    assert!(server.login_with("tonghop", TEST_PASSWORD).await.is_none());
    server.app.clock.advance(9 * 60);
    assert!(server.login_with("tonghop", TEST_PASSWORD).await.is_none());
    server.app.clock.advance(2 * 60);
    assert!(server.login_with("tonghop", TEST_PASSWORD).await.is_some());
}

#[tokio::test]
async fn the_per_address_limit_holds_across_many_accounts() {
    let server = TestServer::start_with(|c| {
        c.login.max_failures_per_address = 8;
        c.login.delay_step = Duration::ZERO;
    })
    .await;
    server.login("bientap").await;
    // One or two tries each at many accounts, real and made up: no account reaches
    // its own limit, but the address does.
    let logins = ["donvi", "tonghop", "xuatban", "lanhdao", "ai-do", "khach"];
    for (i, login) in logins.iter().cycle().take(8).enumerate() {
        let (status, _) = attempt(&server, login, WRONG).await;
        assert_eq!(status, 422, "try {i}");
    }
    let (status, page) = attempt(&server, "bientap", TEST_PASSWORD).await;
    assert_eq!(status, 429, "{page}");
    assert!(page.contains("quá nhiều lần đăng nhập sai"), "{page}");
    // The account itself is not locked: after the window the right password works.
    server.app.clock.advance(16 * 60);
    assert!(server.login_with("bientap", TEST_PASSWORD).await.is_some());
}

/// The page with what differs between two tries (the form's one-time token and the
/// login typed back into the field) taken out.
fn normalised(page: &str, login: &str) -> String {
    let token = field_value(page, "csrf").unwrap_or_default();
    page.replace(&token, "TOKEN")
        .replace(&format!("value=\"{login}\""), "value=\"LOGIN\"")
}

#[tokio::test]
async fn an_unknown_login_and_a_wrong_password_look_and_take_the_same() {
    let server = TestServer::start_with(|c| {
        c.login.max_failures = 100;
        c.login.max_failures_per_address = 1000;
        c.login.delay_step = Duration::ZERO;
    })
    .await;
    server.login("donvi").await;
    let (known_status, known) = attempt(&server, "donvi", WRONG).await;
    let (unknown_status, unknown) = attempt(&server, "khongcoai", WRONG).await;
    assert_eq!(known_status, unknown_status);
    assert_eq!(
        normalised(&known, "donvi"),
        normalised(&unknown, "khongcoai")
    );

    // Interleaved, so load on the machine falls on both alike.
    let mut known_times = Vec::new();
    let mut unknown_times = Vec::new();
    for _ in 0..15 {
        for (login, times) in [
            ("donvi", &mut known_times),
            ("khongcoai", &mut unknown_times),
        ] {
            let started = Instant::now();
            let (_, response) = server.login_attempt(login, WRONG).await;
            let _ = response.text().await;
            times.push(started.elapsed());
        }
    }
    let median = |times: &mut Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    let (known, unknown) = (median(&mut known_times), median(&mut unknown_times));
    let gap = known.abs_diff(unknown);
    // Checking a password costs tens of milliseconds; skipping it for unknown logins
    // would show as a gap of about that size.
    assert!(
        gap < Duration::from_millis(10) + known.max(unknown) / 5,
        "median known {known:?}, unknown {unknown:?}"
    );
}

#[tokio::test]
async fn altering_or_removing_an_audit_record_is_detected() {
    let server = TestServer::start().await;
    server.login("admin").await;
    attempt(&server, "admin", WRONG).await;
    attempt(&server, "nobody", WRONG).await;
    server.login("donvi").await;
    let records = trail(&server).await;
    assert!(records.len() >= 4, "{records:?}");
    assert_eq!(
        server.app.store.read(audit::verify).await.unwrap(),
        Ok(records.len())
    );

    // Someone with the database file rewrites who failed to log in.
    let second = records[1].seq;
    server
        .app
        .store
        .write(move |tx| -> Result<(), trangtin::store::Error> {
            let mut r = trangtin::audit::tables::AUDIT.get(tx, second)?.unwrap();
            r.actor = "someone-else".into();
            trangtin::audit::tables::AUDIT.insert(tx, second, &r)
        })
        .await
        .unwrap();
    assert_eq!(
        server.app.store.read(audit::verify).await.unwrap(),
        Err(Break::Altered(second))
    );

    // Putting it back and deleting it instead cuts the chain.
    let original = records[1].clone();
    server
        .app
        .store
        .write(move |tx| -> Result<(), trangtin::store::Error> {
            trangtin::audit::tables::AUDIT.insert(tx, second, &original)?;
            tx.open_table(trangtin::audit::tables::AUDIT.definition())?
                .remove(second)?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(
        server.app.store.read(audit::verify).await.unwrap(),
        Err(Break::Unchained(second + 1))
    );

    // Putting it back and deleting the newest records instead breaks no link, but the
    // trail then ends before the last number issued.
    let original = records[1].clone();
    let newest = records.last().unwrap().seq;
    server
        .app
        .store
        .write(move |tx| -> Result<(), trangtin::store::Error> {
            trangtin::audit::tables::AUDIT.insert(tx, second, &original)?;
            tx.open_table(trangtin::audit::tables::AUDIT.definition())?
                .remove(newest)?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(
        server.app.store.read(audit::verify).await.unwrap(),
        Err(Break::Truncated {
            last_issued: newest
        })
    );
}

#[tokio::test]
async fn the_admin_pages_can_be_limited_to_the_office_network() {
    let elsewhere = TestServer::start_with(|c| {
        c.admin_allow = vec!["10.9.8.0/24".parse().unwrap()];
    })
    .await;
    let (status, page) = elsewhere.page("/quan-tri/dang-nhap").await;
    assert_eq!(status, 403);
    assert!(page.contains("Không có quyền"), "{page}");
    let response = elsewhere
        .client()
        .post(elsewhere.url("/quan-tri/dang-nhap"))
        .header("origin", format!("https://{}", elsewhere.https))
        .form(&[("login", "admin"), ("password", WRONG)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // The public site is not limited.
    assert_eq!(elsewhere.page("/").await.0, 200);

    let office = TestServer::start_with(|c| {
        c.admin_allow = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    assert_eq!(office.page("/quan-tri/dang-nhap").await.0, 200);
    office.login("admin").await;
}

#[tokio::test]
async fn security_txt_says_where_to_report_from_the_config() {
    let server = TestServer::start().await;
    let response = server.get("/.well-known/security.txt").await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(content_type, "text/plain; charset=utf-8");
    let text = response.text().await.unwrap();
    let site = server.app.store.read(trangtin::site::load).await.unwrap();
    assert!(
        text.contains(&format!("Contact: mailto:{}\n", site.email)),
        "{text}"
    );
    assert!(text.contains("Expires: 20"), "{text}");
    assert!(text.contains("Preferred-Languages: vi, en"), "{text}");

    let configured = TestServer::start_with(|c| {
        c.base_url = Some("https://sokhcn.gialai.gov.vn".into());
        c.security_txt.contact = vec!["mailto:attt@sokhcn.gialai.gov.vn".into()];
        c.security_txt.expires = Some(jiff::civil::date(2027, 6, 30));
    })
    .await;
    let text = configured
        .get("/.well-known/security.txt")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("Contact: mailto:attt@sokhcn.gialai.gov.vn\n"),
        "{text}"
    );
    assert!(!text.contains(&site.email), "{text}");
    assert!(text.contains("Expires: 2027-06-30T16:59:59Z"), "{text}");
    assert!(
        text.contains("Canonical: https://sokhcn.gialai.gov.vn/.well-known/security.txt"),
        "{text}"
    );
}

#[tokio::test]
async fn administrators_browse_filter_and_export_the_audit_trail() {
    let server = TestServer::start().await;
    let admin = server.login("admin").await;
    attempt(&server, "donvi", WRONG).await;
    attempt(&server, "donvi", WRONG).await;
    server.login("tonghop").await;

    let (status, page) = admin.get("/quan-tri/nhat-ky").await;
    assert_eq!(status, 200);
    assert!(page.contains("Chuỗi nhật ký toàn vẹn"), "{page}");
    assert!(page.contains("Đăng nhập sai"), "{page}");

    let (_, page) = admin
        .get("/quan-tri/nhat-ky?nguoi=donvi&hanh_dong=login_failed")
        .await;
    assert!(page.contains("2 bản ghi"), "{page}");
    assert!(!page.contains("<td>tonghop</td>"), "{page}");

    let (status, page) = admin.get("/quan-tri/nhat-ky?tu_ngay=hôm-qua").await;
    assert_eq!(status, 422);
    assert!(page.contains("Ngày lọc không hợp lệ"), "{page}");

    let today = server.app.today().to_string();
    let response = admin
        .client
        .get(server.url(&format!(
            "/quan-tri/nhat-ky/xuat?tu_ngay={today}&den_ngay={today}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(disposition.contains(".jsonl"), "{disposition}");
    let text = response.text().await.unwrap();
    let lines: Vec<Record> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one record"))
        .collect();
    // The records of the range asked for: today.
    let todays: Vec<Record> = trail(&server)
        .await
        .into_iter()
        .filter(|r| {
            r.at.to_zoned_datetime(trangtin::format::vietnam())
                .date()
                .to_string()
                == today
        })
        .collect();
    assert!(!todays.is_empty());
    assert_eq!(lines, todays);
    // Oldest first, each chained to the one before.
    for pair in lines.windows(2) {
        assert_eq!(pair[1].prev, pair[0].hash);
    }

    // Tampering shows on the page.
    server
        .app
        .store
        .write(|tx| -> Result<(), trangtin::store::Error> {
            let mut r = trangtin::audit::tables::AUDIT.get(tx, 1)?.unwrap();
            r.ip = "10.0.0.1".into();
            trangtin::audit::tables::AUDIT.insert(tx, 1, &r)
        })
        .await
        .unwrap();
    let (_, page) = admin.get("/quan-tri/nhat-ky").await;
    assert!(page.contains("bản ghi số 1 đã bị sửa"), "{page}");
}

async fn change_password(staff: &Staff, old: &str, new: &str) -> (u16, String) {
    let r = staff
        .post(
            "/quan-tri/doi-mat-khau",
            &[("old", old), ("new", new), ("confirm", new)],
        )
        .await;
    let status = r.status().as_u16();
    (status, r.text().await.unwrap_or_default())
}

#[tokio::test]
async fn a_new_password_must_be_long_uncommon_and_not_one_of_the_last_ten() {
    let server = TestServer::start().await;
    let staff = server.login("donvi").await;
    let refused = [
        (
            WRONG,
            "một câu mới đủ dài để dùng",
            "Mật khẩu hiện tại không đúng.",
        ),
        // Two-step sign-in enrolled (every role, by default): 12 characters at least.
        (TEST_PASSWORD, "mây trôi lữ", "ít nhất 12 ký tự"),
        (
            TEST_PASSWORD,
            "donvi của tôi năm 2026",
            "không được chứa tên đăng nhập",
        ),
        (TEST_PASSWORD, "Matkhau@2026!!!!", "quá phổ biến"),
        (TEST_PASSWORD, "12345678901234567", "quá phổ biến"),
        (TEST_PASSWORD, TEST_PASSWORD, "khác mật khẩu hiện tại"),
    ];
    for (old, new, message) in refused {
        let (status, page) = change_password(&staff, old, new).await;
        assert_eq!(status, 422, "{new}");
        assert!(page.contains(message), "{new}: {page}");
    }
    // Ten changes in a row (each gives a new session, so sign in again each time).
    let passwords: Vec<String> = (1..=10)
        .map(|n| format!("câu thứ {n} dùng để thử đổi"))
        .collect();
    let mut current = TEST_PASSWORD.to_string();
    for next in &passwords {
        let staff = server.login_with("donvi", &current).await.unwrap();
        let (status, page) = change_password(&staff, &current, next).await;
        assert_eq!(status, 303, "{next}: {page}");
        current = next.clone();
    }
    let staff = server.login_with("donvi", &current).await.unwrap();
    // The current one and the nine before it (the last ten) are refused…
    for earlier in &passwords[..9] {
        let (status, page) = change_password(&staff, &current, earlier).await;
        assert_eq!(status, 422, "{earlier}");
        assert!(page.contains("9 mật khẩu gần nhất"), "{page}");
    }
    // …and TEST_PASSWORD, eleven passwords back, is allowed again.
    let (status, _) = change_password(&staff, &current, TEST_PASSWORD).await;
    assert_eq!(status, 303);
}

#[tokio::test]
async fn a_login_rehashes_a_password_stored_with_weaker_parameters() {
    use argon2::password_hash::PasswordHasher;
    let server = TestServer::start().await;
    let params = argon2::Params::new(4096, 1, 1, None).unwrap();
    let weak = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(TEST_PASSWORD.as_bytes())
        .unwrap()
        .to_string();
    assert!(weak.contains("m=4096,t=1"));
    let now = server.app.clock.now();
    server
        .app
        .store
        .write(move |tx| -> Result<(), trangtin::auth::Error> {
            let user = trangtin::auth::find_by_login(tx, "lanhdao")?.unwrap();
            trangtin::auth::set_password_hash(tx, user.id, weak, false, now)?;
            Ok(())
        })
        .await
        .unwrap();
    assert!(server.login_with("lanhdao", TEST_PASSWORD).await.is_some());
    let stored = server
        .app
        .store
        .read(|tx| trangtin::auth::find_by_login(tx, "lanhdao"))
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
    assert!(server.login_with("lanhdao", TEST_PASSWORD).await.is_some());
}

#[tokio::test]
async fn every_route_that_changes_state_refuses_a_post_without_a_valid_token() {
    use trangtin::http::admin::{Capability, routes};
    let server = TestServer::start().await;
    // Each route is tried by someone allowed to use it, so only the token is missing.
    let admin = server.login("admin").await;
    let writer = server.login("tonghop").await;
    let head = server.login("truongban").await;
    let snapshot = |server: &TestServer| {
        let store = server.app.store.clone();
        async move {
            store
                .read(|tx| -> Result<_, trangtin::store::Error> {
                    Ok((
                        trangtin::audit::tables::AUDIT.values(tx)?.len(),
                        trangtin::content::tables::ENTRIES.values(tx)?.len(),
                        trangtin::auth::tables::USERS.values(tx)?,
                        trangtin::auth::tables::DELEGATIONS.values(tx)?.len(),
                        trangtin::auth::tables::SESSIONS.values(tx)?.len(),
                    ))
                })
                .await
                .unwrap()
        }
    };
    let before = snapshot(&server).await;
    let mut checked = 0;
    for spec in routes() {
        let Some(capability) = spec.post() else {
            continue;
        };
        let who = match capability {
            Capability::Writer => &writer,
            Capability::BoardHead => &head,
            _ => &admin,
        };
        let path = spec
            .path
            .replace("{id}", "1")
            .replace("/nguoi-dung/1", "/nguoi-dung/2");
        for token in [None, Some("0".repeat(64)), Some(String::new())] {
            let mut form = vec![
                ("title", "x".to_string()),
                ("name", "x".to_string()),
                ("login", "x".to_string()),
                ("action", "submit".to_string()),
            ];
            if let Some(token) = &token {
                form.push(("csrf", token.clone()));
            }
            let response = who
                .client
                .post(server.url(&path))
                .header("origin", format!("https://{}", server.https))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 403, "POST {path} with token {token:?}");
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} routes");
    assert_eq!(
        snapshot(&server).await,
        before,
        "a refused POST changed the store"
    );
}

#[tokio::test]
async fn accounts_unused_for_the_configured_days_are_disabled_and_reviewed() {
    let server = TestServer::start_with(|c| c.inactive_days = 45).await;
    server.login("donvi").await; // sets its password: activity at day 0
    let clock = server.app.clock.clone();
    clock.advance(40 * 24 * 3600);
    let admin = server.login("admin").await; // a login at day 40
    clock.advance(6 * 24 * 3600);
    let disabled = trangtin::ops::jobs::disable_inactive(&server.app)
        .await
        .unwrap();
    assert!(disabled.contains(&"donvi".to_string()), "{disabled:?}");
    assert!(!disabled.contains(&"admin".to_string()), "{disabled:?}");
    assert!(server.login_with("donvi", TEST_PASSWORD).await.is_none());
    let records = trail(&server).await;
    assert_eq!(count(&records, "disabled_inactive", "donvi"), 1);

    // The access review shows roles and last logins.
    let admin = server
        .login_with("admin", TEST_PASSWORD)
        .await
        .unwrap_or(admin);
    let (_, page) = admin.get("/quan-tri/nguoi-dung").await;
    assert!(
        page.contains("Rà soát tài khoản và quyền truy cập"),
        "{page}"
    );
    assert!(page.contains("Chưa đăng nhập"), "{page}");
    assert!(page.contains("Đã khóa"), "{page}");
}

#[tokio::test]
async fn changing_roles_or_delegations_asks_for_the_password_again() {
    let server = TestServer::start().await;
    let admin = server.login("admin").await;
    let id = server.user_id("donvi").await;
    let path = format!("/quan-tri/nguoi-dung/{id}");
    let unit = server
        .app
        .store
        .read(move |tx| trangtin::auth::user(tx, trangtin::auth::UserId(id)))
        .await
        .unwrap()
        .unwrap()
        .unit
        .map(|u| u.0.to_string())
        .unwrap_or_default();
    let edit = |roles: &'static str, confirm: &'static str| {
        vec![
            ("name", "Nguyễn Thị Lan"),
            ("unit", unit.as_str()),
            ("roles", roles),
            ("enabled", "on"),
            ("xac_nhan", confirm),
        ]
    };
    for confirm in ["", WRONG] {
        let r = admin.post(&path, &edit("compiler", confirm)).await;
        assert_eq!(r.status(), 422, "confirmation {confirm:?}");
        let page = r.text().await.unwrap();
        assert!(page.contains("xác nhận thao tác này"), "{page}");
    }
    let roles = |server: &TestServer| {
        let store = server.app.store.clone();
        async move {
            store
                .read(|tx| trangtin::auth::find_by_login(tx, "donvi"))
                .await
                .unwrap()
                .unwrap()
                .roles
        }
    };
    assert_eq!(
        roles(&server).await,
        vec![trangtin::workflow::Role::Contributor]
    );
    // The same roles need no password; a change with it goes through.
    let donvi = server.login("donvi").await;
    admin.post_ok(&path, &edit("contributor", "")).await;
    assert_eq!(
        donvi.get("/quan-tri").await.0,
        200,
        "no change, session kept"
    );
    admin.post_ok(&path, &edit("compiler", TEST_PASSWORD)).await;
    assert_eq!(
        roles(&server).await,
        vec![trangtin::workflow::Role::Compiler]
    );
    // New roles, new session: the person signs in again.
    assert_eq!(donvi.get("/quan-tri").await.0, 303);
    // Changing one's own roles keeps one signed in, under a new session id.
    let own = format!("/quan-tri/nguoi-dung/{}", server.user_id("admin").await);
    let before = admin.session_token(&server).unwrap();
    let r = admin
        .post(
            &own,
            &[
                ("name", "Quản trị"),
                ("roles", "administrator"),
                ("roles", "leadership"),
                ("enabled", "on"),
                ("xac_nhan", TEST_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_ne!(admin.session_token(&server).unwrap(), before);
    assert_eq!(admin.get(&own).await.0, 200);

    // Delegations: granting and revoking both ask.
    let head = server.login("truongban").await;
    let r = head
        .post(
            "/quan-tri/uy-quyen",
            &[
                ("delegate", "3"),
                ("from", "2026-12-01"),
                ("until", "2026-12-31"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let delegations = server
        .app
        .store
        .read(|tx| trangtin::auth::tables::DELEGATIONS.values(tx))
        .await
        .unwrap();
    let active = delegations
        .iter()
        .find(|d| !d.revoked)
        .expect("a demo delegation");
    let revoke = format!("/quan-tri/uy-quyen/{}/thu-hoi", active.id);
    assert_eq!(
        head.post(&revoke, &[("xac_nhan", WRONG)]).await.status(),
        422
    );
    head.post_ok(&revoke, &[("xac_nhan", TEST_PASSWORD)]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reset_link_works_once_and_expires_in_a_day() {
    let server = TestServer::start().await;
    let admin = server.login("admin").await;
    let id = server.user_id("donvi").await;
    let donvi = server.login("donvi").await;

    let make_link = || async {
        let r = admin
            .post(&format!("/quan-tri/nguoi-dung/{id}/mat-khau"), &[])
            .await;
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        let link = page
            .split("<code class=\"secret\">")
            .nth(1)
            .and_then(|r| r.split('<').next())
            .expect("the link is shown")
            .to_string();
        assert!(page.contains("hết hạn lúc"), "{page}");
        link
    };
    let link = make_link().await;
    let origin = format!("https://{}", server.https);
    // Absolute, on the site's configured address (the test server's is on port 0).
    let path = link
        .strip_prefix(server.app.origin())
        .expect("the link is on the site's address")
        .to_string();
    assert!(path.starts_with("/quan-tri/dat-mat-khau/"), "{link}");
    let link = server.url(&path);
    // The person's sessions ended with the reset, and the old password no longer works.
    let (status, _) = donvi.get("/quan-tri").await;
    assert_eq!(status, 303);
    assert!(server.login_with("donvi", TEST_PASSWORD).await.is_none());

    // The person opens the link (no session) and chooses a password.
    let client = server.browser_client();
    let open = |client: &reqwest::Client, link: &str| {
        let (client, link) = (client.clone(), link.to_string());
        async move {
            let r = client.get(&link).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, form) = open(&client, &link).await;
    assert_eq!(status, 200, "{form}");
    assert!(form.contains("Đặt mật khẩu mới") && form.contains("donvi"));
    let submit = |new: &str, confirm: &str, csrf: String| {
        let (client, link, origin) = (client.clone(), link.clone(), origin.clone());
        let (new, confirm) = (new.to_string(), confirm.to_string());
        async move {
            let r = client
                .post(&link)
                .header("origin", origin)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("new", &new),
                    ("confirm", &confirm),
                ])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let csrf = field_value(&form, "csrf").unwrap();
    let (status, page) = submit("ngắn", "khác", csrf).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("ít nhất 12 ký tự") && page.contains("không khớp"),
        "{page}"
    );
    assert!(page.contains("aria-invalid=\"true\""));
    let csrf = field_value(&page, "csrf").unwrap();
    let chosen = "mật khẩu tự chọn qua liên kết";
    let (status, page) = submit(chosen, chosen, csrf).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Đã đặt mật khẩu mới"));
    assert!(server.login_with("donvi", chosen).await.is_some());

    // Used once, the link is gone.
    let (status, page) = open(&client, &link).await;
    assert_eq!(status, 410);
    assert!(page.contains("không còn dùng được"), "{page}");

    // A new link stops working after 24 hours, and a later link replaces an earlier one.
    let first = server.url(make_link().await.strip_prefix(server.app.origin()).unwrap());
    let second = server.url(make_link().await.strip_prefix(server.app.origin()).unwrap());
    assert_eq!(open(&client, &first).await.0, 410);
    assert_eq!(open(&client, &second).await.0, 200);
    server.app.clock.advance(24 * 3600 + 1);
    assert_eq!(open(&client, &second).await.0, 410);

    // A link is refused for a disabled account, and one open in a signed-in browser
    // posts with that session's token (a day on, the administrator signs in again).
    let admin = server.login("admin").await;
    let r = admin
        .post(&format!("/quan-tri/nguoi-dung/{id}/mat-khau"), &[])
        .await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    let link = page
        .split("<code class=\"secret\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_string();
    let link = server.url(link.strip_prefix(server.app.origin()).unwrap());
    let (_, form) = {
        let r = admin.client.get(&link).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    };
    let csrf = field_value(&form, "csrf").unwrap();
    assert_eq!(csrf, admin.csrf, "the session's token");
    let again = "một mật khẩu khác qua liên kết";
    let r = admin
        .client
        .post(&link)
        .header("origin", &origin)
        .form(&[("csrf", csrf.as_str()), ("new", again), ("confirm", again)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    let records = trail(&server).await;
    assert_eq!(count(&records, "password_reset_link", "donvi"), 4);
    assert_eq!(count(&records, "password_set_by_link", "donvi"), 2);
    assert!(
        records
            .iter()
            .filter(|r| r.action.starts_with("password_"))
            .all(|r| r.ip == "127.0.0.1"),
        "every record of it carries the address"
    );
    // Issuing for a disabled account is refused with a message.
    let now = server.app.clock.now();
    server
        .app
        .store
        .write(move |tx| -> Result<_, trangtin::auth::Error> {
            let mut user = trangtin::auth::user(tx, trangtin::auth::UserId(id))?.unwrap();
            user.enabled = false;
            user.updated_at = now;
            trangtin::auth::tables::USERS.insert(tx, id, &user)?;
            Ok(())
        })
        .await
        .unwrap();
    let r = admin
        .post(&format!("/quan-tri/nguoi-dung/{id}/mat-khau"), &[])
        .await;
    let page = r.text().await.unwrap();
    assert!(page.contains("vô hiệu hóa"), "{page}");
    assert!(!page.contains("<code class=\"secret\">"));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_staff_role_needs_two_step_sign_in_by_default() {
    let config = trangtin::config::Config::from_toml("", &Default::default()).unwrap();
    assert_eq!(
        config.second_factor_roles,
        trangtin::workflow::Role::ALL.to_vec()
    );
    let server = TestServer::start().await;
    // A contributor, not enrolled: the login goes to enrolment, not the desk.
    let now = server.app.clock.now();
    let hash = trangtin::auth::password::hash(TEST_PASSWORD).unwrap();
    server
        .app
        .store
        .write(move |tx| -> Result<_, trangtin::auth::Error> {
            let user = trangtin::auth::find_by_login(tx, "donvi")?.unwrap();
            trangtin::auth::set_password_hash(tx, user.id, hash, false, now)?;
            Ok(())
        })
        .await
        .unwrap();
    let (client, response) = server.login_attempt("donvi", TEST_PASSWORD).await;
    assert_eq!(response.status(), 303);
    let (_, desk) = {
        let r = client.get(server.url("/quan-tri")).send().await.unwrap();
        (r.status(), r.headers().get("location").cloned())
    };
    let desk = desk
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(desk.contains("xac-thuc-hai-buoc"), "sent to {desk}");
}
