//! `trangtin user add | passwd | list`: through a running server's control socket, or
//! straight on the data folder when no server runs.

use crate::support::{TestServer, trangtin};

#[tokio::test(flavor = "multi_thread")]
async fn users_are_added_through_a_running_server_and_can_sign_in() {
    let server = TestServer::start().await;
    // The server task binds its socket as soon as it runs.
    let socket = server.data.join("trangtin.sock");
    for _ in 0..100 {
        if socket.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(socket.exists(), "the control socket is up");
    let data = server.data.clone();
    let out = tokio::task::spawn_blocking(move || {
        trangtin(
            &data,
            &[
                "user",
                "add",
                "bientapvien",
                "--role",
                "contributor,compiler",
                "--unit",
                "Phòng Quản lý khoa học",
                "--name",
                "Hoàng Văn Biên",
            ],
            "một mật khẩu rất dài 2026\n",
        )
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let staff = server
        .login_with("bientapvien", "một mật khẩu rất dài 2026")
        .await;
    assert!(staff.is_some(), "the new account signs in over HTTPS");

    let data = server.data.clone();
    let list = tokio::task::spawn_blocking(move || trangtin(&data, &["user", "list"], ""))
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(
        text.contains("bientapvien")
            && text.contains("Hoàng Văn Biên")
            && text.contains("contributor,compiler"),
        "{text}"
    );
    assert!(text.contains("admin"));

    let data = server.data.clone();
    let out = tokio::task::spawn_blocking(move || {
        trangtin(
            &data,
            &["user", "passwd", "bientapvien"],
            "mật khẩu thứ hai đủ dài\n",
        )
    })
    .await
    .unwrap();
    assert!(out.status.success());
    assert!(
        server
            .login_with("bientapvien", "một mật khẩu rất dài 2026")
            .await
            .is_none()
    );
    assert!(
        server
            .login_with("bientapvien", "mật khẩu thứ hai đủ dài")
            .await
            .is_some()
    );

    // An administrator who lost their phone: the operator resets the second factor.
    let admin = server.login("admin").await;
    let data = server.data.clone();
    let out =
        tokio::task::spawn_blocking(move || trangtin(&data, &["user", "reset-2fa", "admin"], ""))
            .await
            .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(admin.get("/quan-tri").await.0, 303, "their sessions ended");
    let (client, response) = server
        .login_attempt("admin", crate::support::TEST_PASSWORD)
        .await;
    assert_eq!(response.status(), 303);
    // No code is asked; a new password first, then enrolment again.
    assert_eq!(response.headers()["location"], "/quan-tri/doi-mat-khau");
    let inbox = client.get(server.url("/quan-tri")).send().await.unwrap();
    assert_eq!(inbox.headers()["location"], "/quan-tri/doi-mat-khau");
    let data = server.data.clone();
    let again =
        tokio::task::spawn_blocking(move || trangtin(&data, &["user", "reset-2fa", "admin"], ""))
            .await
            .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("no second factor"));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_server_the_command_opens_the_store_and_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = TestServer::start_in(&data, |_| {}).await;
    server.stop().await;
    assert!(
        !data.join("trangtin.sock").exists(),
        "the socket goes with the server"
    );
    let out = trangtin(
        &data,
        &["user", "add", "ketoan", "--role", "contributor"],
        "mười hai ký tự trở lên\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (args, stdin, message) in [
        (
            vec!["user", "add", "x1", "--role", "king"],
            "mười hai ký tự trở lên\n",
            "unknown role",
        ),
        (
            vec!["user", "add", "x2", "--role", "publisher"],
            "ngắn\n",
            "password refused",
        ),
        (
            vec!["user", "add", "ketoan", "--role", "publisher"],
            "mười hai ký tự trở lên\n",
            "invalid login",
        ),
        (
            vec![
                "user",
                "add",
                "x3",
                "--role",
                "publisher",
                "--unit",
                "Không có",
            ],
            "mười hai ký tự trở lên\n",
            "unknown unit",
        ),
        (
            vec!["user", "passwd", "khongco"],
            "mười hai ký tự trở lên\n",
            "no user",
        ),
    ] {
        let out = trangtin(&data, &args, stdin);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    let list = trangtin(&data, &["user", "list"], "");
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.contains("ketoan") && !text.contains("x1") && !text.contains("x2"));
}

/// Missing certificate files fail `check-config` with the setting named, and `serve`
/// stops before it creates a data folder (no account, no one-time password printed).
#[test]
fn missing_certificate_files_fail_check_config_and_serve_leaves_no_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("trangtin.toml");
    std::fs::write(
        &config,
        "[tls]\ncert = \"/nonexistent/fullchain.pem\"\nkey = \"/nonexistent/privkey.pem\"\n\
         [listen]\nhttps = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let config = config.to_str().unwrap();
    let checked = crate::support::trangtin(&data, &["--config", config, "check-config"], "");
    assert_eq!(checked.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&checked.stderr);
    assert!(stderr.contains("tls.cert"), "{stderr}");
    assert!(stderr.contains("/nonexistent/fullchain.pem"), "{stderr}");
    let served = crate::support::trangtin(&data, &["--config", config, "serve"], "");
    assert_eq!(served.status.code(), Some(2));
    assert!(
        !data.exists(),
        "serve touched the data folder before failing"
    );
    let stdout = String::from_utf8_lossy(&served.stdout);
    assert!(!stdout.contains("one-time"), "{stdout}");
}

/// `check-config` tries the listening ports: one held by another program fails,
/// naming the setting.
#[test]
fn check_config_names_a_port_that_cannot_be_bound() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let config = dir.path().join("trangtin.toml");
    std::fs::write(
        &config,
        format!("[listen]\nhttps = \"127.0.0.1:{port}\"\nhttp = \"off\"\n"),
    )
    .unwrap();
    let data = dir.path().join("data");
    let config = config.to_str().unwrap();
    let checked = trangtin(&data, &["--config", config, "check-config"], "");
    assert_eq!(checked.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&checked.stderr);
    assert!(
        stderr.contains(&format!("listen.https = 127.0.0.1:{port}")),
        "{stderr}"
    );
    drop(taken);
    let checked = trangtin(&data, &["--config", config, "check-config"], "");
    assert!(checked.status.success(), "{checked:?}");
}

/// A second `serve` on a folder a server holds says so, not that a backup failed.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_server_on_the_same_folder_names_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let _server = TestServer::start_in(&data, |_| {}).await;
    let data2 = data.clone();
    let out = tokio::task::spawn_blocking(move || {
        trangtin(
            &data2,
            &["--https", "127.0.0.1:0", "--http", "127.0.0.1:0", "serve"],
            "",
        )
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("in use by another trangtin process"),
        "{stderr}"
    );
    assert!(!stderr.contains("backup before migrating"), "{stderr}");
}

/// Outside the demo the site must know its public address: `check-config` and
/// `doctor` fail without `base_url`, and pass with it.
#[test]
fn a_real_site_without_base_url_fails_check_config_and_doctor() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("trangtin.toml");
    let data = dir.path().join("data");
    std::fs::write(
        &config,
        "demo = false\n[listen]\nhttps = \"127.0.0.1:0\"\nhttp = \"off\"\n",
    )
    .unwrap();
    let config_path = config.to_str().unwrap();
    let checked = crate::support::trangtin(&data, &["--config", config_path, "check-config"], "");
    assert_eq!(checked.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&checked.stderr).contains("base_url is not set"));
    let doctor = crate::support::trangtin(&data, &["--config", config_path, "doctor"], "");
    assert!(String::from_utf8_lossy(&doctor.stdout).contains("[FAIL] base_url is not set"));
    std::fs::write(
        &config,
        "demo = false\nbase_url = \"https://skhcn.gialai.gov.vn\"\n[listen]\nhttps = \"127.0.0.1:0\"\nhttp = \"off\"\n",
    )
    .unwrap();
    let checked = crate::support::trangtin(&data, &["--config", config_path, "check-config"], "");
    assert_eq!(checked.status.code(), Some(0), "{checked:?}");
}
