//! Sessions: fixation, idle and absolute expiry on an injected clock, cookie flags,
//! and revoking one's own or (as an administrator) someone else's sessions.

use crate::support::{Staff, TEST_PASSWORD, TestServer};

/// Whether this signed-in client still reaches the admin pages.
async fn still_signed_in(staff: &Staff) -> bool {
    let (status, body) = staff.get("/quan-tri").await;
    match status {
        200 => true,
        303 if body.contains("/quan-tri/dang-nhap") => false,
        other => panic!("unexpected {other}: {body}"),
    }
}

#[tokio::test]
async fn the_session_cookie_is_host_only_secure_httponly_and_strict() {
    let server = TestServer::start().await;
    server.login("donvi").await;
    let (_, response) = server.login_attempt("donvi", TEST_PASSWORD).await;
    assert_eq!(response.status(), 303);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("__Host-trangtin="))
        .expect("a session cookie");
    for flag in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing: {cookie}");
    }
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
}

fn session_cookie_of(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.strip_prefix("__Host-trangtin="))
        .map(|v| v.split(';').next().unwrap_or("").to_string())
        .next()
}

/// Whether a bare request carrying only `token` as its session reaches the admin pages.
async fn token_works(server: &TestServer, token: &str) -> bool {
    let response = server
        .client()
        .get(server.url("/quan-tri"))
        .header("cookie", format!("__Host-trangtin={token}"))
        .send()
        .await
        .unwrap();
    response.status() == 200
}

#[tokio::test]
async fn a_session_id_from_before_login_is_not_kept() {
    // A password alone opens a session here (no second factor asked of contributors).
    let server = TestServer::start_with(|c| c.second_factor_roles.clear()).await;
    server.login("donvi").await;

    // A session id planted in the browser before login is replaced, not adopted.
    let planted = "ab".repeat(32);
    let response = server
        .client()
        .post(server.url("/quan-tri/dang-nhap"))
        .header("origin", format!("https://{}", server.https))
        .header(
            "cookie",
            format!("__Host-trangtin={planted}; __Host-trangtin-login=t"),
        )
        .form(&[
            ("csrf", "t"),
            ("login", "donvi"),
            ("password", TEST_PASSWORD),
            ("tiep", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let issued = session_cookie_of(&response).expect("a new session cookie");
    assert_ne!(issued, planted);
    assert!(token_works(&server, &issued).await);
    assert!(!token_works(&server, &planted).await);

    // Signing in again from a signed-in browser: a new id, and the old one is dead.
    let staff = server.login("donvi").await;
    let before = staff.session_token(&server).expect("signed in");
    let response = staff
        .post(
            "/quan-tri/dang-nhap",
            &[
                ("login", "donvi"),
                ("password", TEST_PASSWORD),
                ("tiep", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let after = session_cookie_of(&response).expect("a new session cookie");
    assert_ne!(after, before);
    assert!(token_works(&server, &after).await);
    assert!(!token_works(&server, &before).await);
}

#[tokio::test]
async fn sessions_end_when_idle_and_at_the_absolute_limit() {
    let server = TestServer::start_with(|c| {
        c.sessions.idle = jiff::SignedDuration::from_mins(30);
        c.sessions.absolute = jiff::SignedDuration::from_hours(2);
    })
    .await;
    let clock = server.app.clock.clone();

    // Idle: used every 25 minutes it lives; left 31 minutes it ends.
    let idle = server.login("donvi").await;
    for _ in 0..2 {
        clock.advance(25 * 60);
        assert!(still_signed_in(&idle).await);
    }
    clock.advance(31 * 60);
    assert!(!still_signed_in(&idle).await);

    // Absolute: used every 20 minutes, it still ends two hours after login.
    let busy = server.login("tonghop").await;
    for _ in 0..5 {
        clock.advance(20 * 60);
        assert!(still_signed_in(&busy).await);
    }
    clock.advance(21 * 60);
    assert!(!still_signed_in(&busy).await);
}

#[tokio::test]
async fn people_see_and_revoke_their_sessions_and_administrators_end_all_of_them() {
    let server = TestServer::start().await;
    let office = server.login("bientap").await;
    let phone = server
        .login_with("bientap", TEST_PASSWORD)
        .await
        .expect("second login");
    let laptop = server
        .login_with("bientap", TEST_PASSWORD)
        .await
        .expect("third login");

    let (status, page) = office.get("/quan-tri/phien").await;
    assert_eq!(status, 200);
    assert!(page.contains("3 phiên đang mở"), "{page}");
    assert!(page.contains("(phiên này)"), "{page}");
    assert!(page.contains("127.0.0.1"), "{page}");

    // End the phone's session from the office.
    let phone_id = phone.session_id(&server).unwrap();
    office
        .post_ok("/quan-tri/phien", &[("id", &phone_id)])
        .await;
    assert!(!still_signed_in(&phone).await);
    assert!(still_signed_in(&laptop).await);

    // Someone else's session id does nothing.
    let admin = server.login("admin").await;
    let admin_id = admin.session_id(&server).unwrap();
    office
        .post_ok("/quan-tri/phien", &[("id", &admin_id)])
        .await;
    assert!(still_signed_in(&admin).await);

    // "Every other session" keeps only this one.
    office.post_ok("/quan-tri/phien", &[("khac", "1")]).await;
    assert!(!still_signed_in(&laptop).await);
    assert!(still_signed_in(&office).await);

    // The administrator ends all of bientap's sessions.
    let id = server.user_id("bientap").await;
    admin
        .post_ok(&format!("/quan-tri/nguoi-dung/{id}/dang-xuat"), &[])
        .await;
    assert!(!still_signed_in(&office).await);
    let trail = server
        .app
        .store
        .read(|tx| trangtin::audit::tables::AUDIT.values(tx))
        .await
        .unwrap();
    let revokes = trail
        .iter()
        .filter(|r| r.action.starts_with("session"))
        .count();
    assert_eq!(revokes, 3, "one, the others, and the administrator's");
}
