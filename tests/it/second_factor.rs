//! The second factor over real HTTPS: enrolment on its page, the code step of a
//! login, recovery codes, replay, clock skew, lock-out, what roles must enrol, the
//! secret sealed at rest, and an administrator's reset.

use trangtin::audit::{self, Filter, Record};
use trangtin::auth::second_factor::{self, code_at};

use crate::support::{Staff, TEST_PASSWORD, TestServer, field_value, secret_on_page};

/// Enrols `login` (signed in as `staff`) through the page; returns the secret and the
/// recovery codes shown. `staff` carries the new session's token afterwards.
/// Two-step sign-in required only of the roles that always need it, so the tests can
/// enrol a contributor by hand (by default every staff role must).
fn only_required_roles(config: &mut trangtin::config::Config) {
    config.second_factor_roles.clear();
}

async fn enrol(server: &TestServer, staff: &mut Staff, login: &str) -> (Vec<u8>, Vec<String>) {
    let (status, html) = staff.get("/quan-tri/xac-thuc-hai-buoc").await;
    assert_eq!(status, 200);
    let secret = secret_on_page(&html);
    let code = code_at(&secret, server.app.clock.now());
    let sealed = field_value(&html, "bi_mat").unwrap();
    let response = staff
        .post(
            "/quan-tri/xac-thuc-hai-buoc/bat",
            &[
                ("bi_mat", &sealed),
                ("ma", &code),
                ("xac_nhan", TEST_PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    let codes: Vec<String> = html
        .split("<li><code class=\"secret\">")
        .skip(1)
        .map(|rest| rest.split('<').next().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 10, "ten recovery codes shown once");
    staff.csrf = field_value(&html, "csrf").unwrap();
    server.remember_secret(login, secret.clone());
    (secret, codes)
}

/// The password step from a fresh browser: the client, holding its half-session.
async fn password_step(server: &TestServer, login: &str) -> reqwest::Client {
    let (client, response) = server.login_attempt(login, TEST_PASSWORD).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("/quan-tri/dang-nhap/ma"),
        "enrolled people are asked for a code: {location}"
    );
    client
}

/// The token of the code form, as a browser showing it would have.
async fn code_csrf(server: &TestServer, client: &reqwest::Client) -> String {
    let page = client
        .get(server.url("/quan-tri/dang-nhap/ma"))
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    field_value(&html, "csrf").expect("the code form has a token")
}

async fn post_code(
    server: &TestServer,
    client: &reqwest::Client,
    csrf: &str,
    code: &str,
) -> reqwest::Response {
    client
        .post(server.url("/quan-tri/dang-nhap/ma"))
        .header("origin", format!("https://{}", server.https))
        .form(&[("csrf", csrf), ("ma", code), ("tiep", "")])
        .send()
        .await
        .unwrap()
}

/// Types `code` into the code step.
async fn code_step(server: &TestServer, client: &reqwest::Client, code: &str) -> reqwest::Response {
    let csrf = code_csrf(server, client).await;
    post_code(server, client, &csrf, code).await
}

async fn admin_page_status(server: &TestServer, client: &reqwest::Client) -> u16 {
    client
        .get(server.url("/quan-tri"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn audit_of(server: &TestServer, login: &str, action: &str) -> Vec<Record> {
    let filter = Filter {
        person: Some(login.to_string()),
        action: Some(action.to_string()),
        ..Filter::default()
    };
    server
        .app
        .store
        .read(move |tx| audit::page(tx, &filter, 0, usize::MAX))
        .await
        .unwrap()
        .0
}

fn seconds(n: i64) -> jiff::SignedDuration {
    jiff::SignedDuration::from_secs(n)
}

#[tokio::test(flavor = "multi_thread")]
async fn enrolment_then_a_login_needs_the_code_and_a_wrong_code_is_refused() {
    let server = TestServer::start_with(only_required_roles).await;
    // A contributor need not enrol, but may.
    let mut donvi = server.login("donvi").await;
    let (_, html) = donvi.get("/quan-tri/xac-thuc-hai-buoc").await;
    assert!(html.contains("Bật xác thực hai bước") && html.contains("<svg"));
    let sealed = field_value(&html, "bi_mat").unwrap();
    let secret = secret_on_page(&html);
    let offered = secret.clone();
    let now = server.app.clock.now();
    // A wrong code, then a right code with a wrong password: nothing is enrolled.
    for (code, password) in [
        ("123456".to_string(), TEST_PASSWORD),
        (code_at(&secret, now), "không phải mật khẩu"),
    ] {
        let r = donvi
            .post(
                "/quan-tri/xac-thuc-hai-buoc/bat",
                &[("bi_mat", &sealed), ("ma", &code), ("xac_nhan", password)],
            )
            .await;
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert!(page.contains("role=\"alert\""));
        // The same secret is offered again, so the app need not scan a new code.
        assert_eq!(secret_on_page(&page), secret);
    }
    assert!(
        audit_of(&server, "donvi", "second_factor_enrolled")
            .await
            .is_empty()
    );
    let (secret, _) = enrol(&server, &mut donvi, "donvi").await;
    assert_eq!(
        audit_of(&server, "donvi", "second_factor_enrolled")
            .await
            .len(),
        1
    );
    let (_, html) = donvi.get("/quan-tri/xac-thuc-hai-buoc").await;
    assert!(html.contains("đang bật") && html.contains("Còn 10 mã dự phòng"));
    assert!(!html.contains("<svg"), "the secret is never shown again");
    // An enrolled factor is not replaced by another enrolment (an old form replayed).
    let replaced = donvi
        .post(
            "/quan-tri/xac-thuc-hai-buoc/bat",
            &[
                ("bi_mat", &sealed),
                ("ma", &code_at(&offered, server.app.clock.now())),
                ("xac_nhan", TEST_PASSWORD),
            ],
        )
        .await;
    assert_eq!(replaced.status(), 303);
    assert!(
        audit_of(&server, "donvi", "second_factor_enrolled")
            .await
            .len()
            == 1
    );

    // The password alone opens nothing: the half-session reaches no admin page.
    let client = password_step(&server, "donvi").await;
    assert_eq!(admin_page_status(&server, &client).await, 303);
    let wrong = code_step(&server, &client, "000000").await;
    assert_eq!(wrong.status(), 422);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Mã xác thực không đúng")
    );
    assert_eq!(
        audit_of(&server, "donvi", "second_factor_failed")
            .await
            .len(),
        1
    );
    server.app.clock.advance(30);
    let right = code_step(&server, &client, &code_at(&secret, server.app.clock.now())).await;
    assert_eq!(right.status(), 303);
    assert_eq!(right.headers()["location"], "/quan-tri");
    assert_eq!(admin_page_status(&server, &client).await, 200);
    let logins = audit_of(&server, "donvi", "login").await;
    assert_eq!(logins[0].detail, "password+totp");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recovery_code_works_once() {
    let server = TestServer::start_with(only_required_roles).await;
    let mut donvi = server.login("donvi").await;
    let (_, codes) = enrol(&server, &mut donvi, "donvi").await;
    let client = password_step(&server, "donvi").await;
    // Typed in capitals and without the dash, as people do.
    let typed = codes[0].to_uppercase().replace('-', "");
    let r = code_step(&server, &client, &typed).await;
    assert_eq!(r.status(), 303);
    assert_eq!(admin_page_status(&server, &client).await, 200);
    assert_eq!(
        audit_of(&server, "donvi", "login").await[0].detail,
        "password+recovery code"
    );
    let again = password_step(&server, "donvi").await;
    let r = code_step(&server, &again, &codes[0]).await;
    assert_eq!(r.status(), 422, "a recovery code is spent once used");
    let r = code_step(&server, &again, &codes[1]).await;
    assert_eq!(r.status(), 303);
    // Nine, then eight left; new codes replace them all (password asked again).
    let (_, html) = donvi.get("/quan-tri/xac-thuc-hai-buoc").await;
    assert!(html.contains("Còn 8 mã dự phòng"), "{html}");
    let refused = donvi
        .post(
            "/quan-tri/xac-thuc-hai-buoc/ma-du-phong",
            &[("xac_nhan", "sai")],
        )
        .await;
    assert_eq!(refused.status(), 422);
    // The password alone is not enough to renew them: a current code is asked too.
    let no_code = donvi
        .post(
            "/quan-tri/xac-thuc-hai-buoc/ma-du-phong",
            &[("xac_nhan", TEST_PASSWORD)],
        )
        .await;
    assert_eq!(no_code.status(), 422);
    let code = server.next_code("donvi").await;
    let renewed = donvi
        .post(
            "/quan-tri/xac-thuc-hai-buoc/ma-du-phong",
            &[("ma", &code), ("xac_nhan", TEST_PASSWORD)],
        )
        .await;
    assert_eq!(renewed.status(), 200);
    let fresh = renewed.text().await.unwrap();
    assert_eq!(fresh.matches("<li><code class=\"secret\">").count(), 10);
    let third = password_step(&server, "donvi").await;
    let r = code_step(&server, &third, &codes[2]).await;
    assert_eq!(r.status(), 422, "old recovery codes no longer work");

    // Turning it off takes a code and the password, and then a new, longer password.
    let fresh_code = fresh
        .split("<li><code class=\"secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_string();
    donvi.csrf = field_value(&fresh, "csrf").unwrap();
    let off = donvi
        .post(
            "/quan-tri/xac-thuc-hai-buoc/tat",
            &[("ma", &fresh_code), ("xac_nhan", TEST_PASSWORD)],
        )
        .await;
    assert_eq!(off.status(), 303);
    let (status, location) = donvi.get("/quan-tri").await;
    assert_eq!(status, 303);
    assert!(location.contains("/quan-tri/doi-mat-khau"), "{location}");
    assert_eq!(
        audit_of(&server, "donvi", "second_factor_removed")
            .await
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_used_code_is_refused_and_one_step_of_clock_skew_is_accepted() {
    let server = TestServer::start_with(only_required_roles).await;
    let mut donvi = server.login("donvi").await;
    let (secret, _) = enrol(&server, &mut donvi, "donvi").await;
    server.app.clock.advance(60);
    let now = server.app.clock.now();
    let code = code_at(&secret, now);
    let first = password_step(&server, "donvi").await;
    assert_eq!(code_step(&server, &first, &code).await.status(), 303);
    // The same code again, seconds later: refused as a replay.
    let second = password_step(&server, "donvi").await;
    let replay = code_step(&server, &second, &code).await;
    assert_eq!(replay.status(), 422);
    let failed = audit_of(&server, "donvi", "second_factor_failed").await;
    assert_eq!(failed[0].detail, "code already used");

    // A phone one step behind the server is accepted, as is one a step ahead; two
    // steps either way are not.
    for (offset, expected) in [(-30, 303), (30, 303), (-60, 422), (60, 422)] {
        server.app.clock.advance(90);
        let now = server.app.clock.now();
        let client = password_step(&server, "donvi").await;
        let r = code_step(&server, &client, &code_at(&secret, now + seconds(offset))).await;
        assert_eq!(r.status(), expected, "phone at {offset:+} s");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_codes_lock_the_account_like_wrong_passwords() {
    let server = TestServer::start_with(only_required_roles).await;
    let mut donvi = server.login("donvi").await;
    enrol(&server, &mut donvi, "donvi").await;
    let client = password_step(&server, "donvi").await;
    let max = server.app.config.login.max_failures;
    let mut last = None;
    for _ in 0..max {
        last = Some(code_step(&server, &client, "999999").await);
    }
    let page = last.unwrap().text().await.unwrap();
    assert!(page.contains("tạm khóa"), "{page}");
    assert_eq!(audit_of(&server, "donvi", "locked").await.len(), 1);
    // The right password and the right code are now refused too.
    let (_, response) = server.login_attempt("donvi", TEST_PASSWORD).await;
    assert_eq!(response.status(), 422);
    server.app.clock.advance(30);
    assert!(server.login_with("donvi", TEST_PASSWORD).await.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn approvers_publishers_administrators_and_delegates_must_enrol_others_by_config() {
    let server = TestServer::start_with(|c| {
        c.second_factor_roles = vec![trangtin::workflow::Role::Compiler];
    })
    .await;
    for login in ["truongban", "xuatban", "admin", "uyquyen", "tonghop"] {
        // Not enrolled: set a password only, then sign in.
        let now = server.app.clock.now();
        let hash = trangtin::auth::password::hash(TEST_PASSWORD).unwrap();
        let name = login.to_string();
        server
            .app
            .store
            .write(move |tx| -> Result<_, trangtin::auth::Error> {
                let user = trangtin::auth::find_by_login(tx, &name)?.unwrap();
                trangtin::auth::set_password_hash(tx, user.id, hash, false, now)?;
                second_factor::remove(tx, user.id)
            })
            .await
            .unwrap();
        let (client, response) = server.login_attempt(login, TEST_PASSWORD).await;
        assert_eq!(response.status(), 303);
        let inbox = client.get(server.url("/quan-tri")).send().await.unwrap();
        assert_eq!(inbox.status(), 303, "{login}");
        let location = inbox.headers()["location"].to_str().unwrap();
        assert!(
            location.starts_with("/quan-tri/xac-thuc-hai-buoc"),
            "{login}: {location}"
        );
        let page = client.get(server.url(location)).send().await.unwrap();
        let html = page.text().await.unwrap();
        assert!(html.contains("bắt buộc"), "{login}");
    }
    // A contributor is not sent there.
    let donvi = server.login("donvi").await;
    assert_eq!(donvi.get("/quan-tri").await.0, 200);

    // Board members need not enrol, unless they hold a delegation: then they approve.
    let bientap = server.login("bientap").await;
    assert_eq!(bientap.get("/quan-tri").await.0, 200);
    let head = server.login("truongban").await;
    let member_id = server.user_id("bientap").await;
    let today = server.app.today().to_string();
    let granted = head
        .post(
            "/quan-tri/uy-quyen",
            &[
                ("delegate", member_id.to_string().as_str()),
                ("from", today.as_str()),
                ("until", today.as_str()),
                ("xac_nhan", TEST_PASSWORD),
            ],
        )
        .await;
    assert_eq!(granted.status(), 303);
    // A change of privilege ends the delegate's sessions; the next one must enrol.
    let (status, location) = bientap.get("/quan-tri").await;
    assert_eq!(status, 303);
    assert!(location.contains("/quan-tri/dang-nhap"), "{location}");
    let (client, _) = server.login_attempt("bientap", TEST_PASSWORD).await;
    let inbox = client.get(server.url("/quan-tri")).send().await.unwrap();
    assert_eq!(inbox.status(), 303, "a delegate must enrol");
    let location = inbox.headers()["location"].to_str().unwrap();
    assert!(
        location.contains("/quan-tri/xac-thuc-hai-buoc"),
        "{location}"
    );
    // Someone who must enrol cannot turn the factor off.
    let admin = server.login("admin").await;
    let refused = admin
        .post(
            "/quan-tri/xac-thuc-hai-buoc/tat",
            &[("xac_nhan", TEST_PASSWORD)],
        )
        .await;
    assert_eq!(refused.status(), 422);
    // The access review shows who has a second factor.
    let (_, users) = admin.get("/quan-tri/nguoi-dung").await;
    assert!(users.contains("Xác thực hai bước"));
    assert!(users.contains("Chưa bật (bắt buộc)"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_secret_is_sealed_at_rest_under_a_private_key_outside_the_database() {
    let server = TestServer::start_with(only_required_roles).await;
    let mut donvi = server.login("donvi").await;
    let (secret, codes) = enrol(&server, &mut donvi, "donvi").await;
    let key_path = server.data.join("secret.key");
    let key = std::fs::read(&key_path).unwrap();
    assert_eq!(key.len(), 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let db = std::fs::read(server.data.join("trangtin.redb")).unwrap();
    let base32 = totp_rs::Secret::from(secret.clone()).to_base32();
    for needle in [
        secret.clone(),
        hex::encode(&secret).into_bytes(),
        base32.into_bytes(),
        codes[0].clone().into_bytes(),
    ] {
        assert!(
            !db.windows(needle.len()).any(|w| w == needle.as_slice()),
            "the database holds no readable secret or recovery code"
        );
    }
    // An administrator sees that it is on, never what it is.
    let admin = server.login("admin").await;
    let id = server.user_id("donvi").await;
    let (_, page) = admin.get(&format!("/quan-tri/nguoi-dung/{id}")).await;
    assert!(page.contains("Xác thực hai bước đang bật"));
    assert!(!page.contains(&totp_rs::Secret::from(secret.clone()).to_base32()[..8]));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_administrator_resets_a_lost_factor_after_confirming_their_password() {
    let server = TestServer::start_with(only_required_roles).await;
    let mut donvi = server.login("donvi").await;
    enrol(&server, &mut donvi, "donvi").await;
    let id = server.user_id("donvi").await;
    let admin = server.login("admin").await;
    let path = format!("/quan-tri/nguoi-dung/{id}/xac-thuc-hai-buoc");
    let refused = admin.post(&path, &[("xac_nhan", "sai")]).await;
    assert_eq!(refused.status(), 422);
    assert_eq!(admin_page_status_of(&donvi).await, 200, "nothing changed");
    let done = admin.post(&path, &[("xac_nhan", TEST_PASSWORD)]).await;
    assert_eq!(done.status(), 303);
    assert_eq!(
        audit_of(&server, "donvi", "second_factor_reset")
            .await
            .len(),
        1
    );
    assert_eq!(
        admin_page_status_of(&donvi).await,
        303,
        "their sessions ended"
    );
    // The next login needs only the password (a contributor need not enrol again), and
    // then a new password: the shorter minimum came with the factor.
    let (_, response) = server.login_attempt("donvi", TEST_PASSWORD).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/quan-tri/doi-mat-khau");
}

async fn admin_page_status_of(staff: &Staff) -> u16 {
    staff.get("/quan-tri").await.0
}

#[tokio::test(flavor = "multi_thread")]
async fn the_code_step_expires_and_a_replaced_key_is_reported_not_guessed() {
    let server = TestServer::start_with(only_required_roles).await;
    let mut donvi = server.login("donvi").await;
    let (secret, codes) = enrol(&server, &mut donvi, "donvi").await;
    let client = password_step(&server, "donvi").await;
    let csrf = code_csrf(&server, &client).await;
    server.app.clock.advance(6 * 60);
    let now = server.app.clock.now();
    let late = post_code(&server, &client, &csrf, &code_at(&secret, now)).await;
    assert_eq!(late.status(), 422);
    assert!(late.text().await.unwrap().contains("hết hạn"));
    assert_eq!(admin_page_status(&server, &client).await, 303);

    // The stored secret sealed under another key (a restored database without its
    // key file, say): codes cannot be checked, recovery codes still work.
    let other = tempfile::tempdir().unwrap();
    let foreign = trangtin::auth::sealing::SecretKey::load_or_create(other.path()).unwrap();
    let now = server.app.clock.now();
    let secret_again = secret.clone();
    server
        .app
        .store
        .write(move |tx| -> Result<_, trangtin::auth::Error> {
            let user = trangtin::auth::find_by_login(tx, "donvi")?.unwrap();
            let mut factor = second_factor::get(tx, user.id)?.unwrap();
            let stranger = second_factor::NewSecret::from_bytes(&secret_again).unwrap();
            let code = code_at(&secret_again, now);
            second_factor::enrol(tx, &foreign, user.id, &stranger, &code, now)?.unwrap();
            let resealed = second_factor::get(tx, user.id)?.unwrap();
            factor.sealed_secret = resealed.sealed_secret;
            trangtin::auth::tables::SECOND_FACTORS.insert(tx, user.id.0, &factor)?;
            Ok(())
        })
        .await
        .unwrap();
    server.app.clock.advance(60);
    let client = password_step(&server, "donvi").await;
    let r = code_step(&server, &client, &code_at(&secret, server.app.clock.now())).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("khóa bí mật"));
    assert!(
        audit_of(&server, "donvi", "second_factor_failed")
            .await
            .is_empty()
    );
    let r = code_step(&server, &client, &codes[5]).await;
    assert_eq!(r.status(), 303);
}
