//! Backups through the real binary: taken while the server serves and writers write,
//! verified, restored; bad archives refused; and a store that survives SIGKILL.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use trangtin::audit;
use trangtin::store::Store;

use crate::support::{TestServer, trangtin};

async fn wait_for_socket(data: &Path) {
    for _ in 0..200 {
        if trangtin::ops::control::server_running(data) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the control socket never answered");
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_under_load_restores_to_the_store_as_of_its_transaction() {
    let server = TestServer::start().await;
    wait_for_socket(&server.data).await;
    // Writers append units and audit records for a few seconds, flat out.
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut writers = Vec::new();
    for w in 0..4 {
        let store = server.app.store.clone();
        writers.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                store
                    .write(move |tx| -> Result<(), trangtin::auth::Error> {
                        trangtin::auth::create_unit(tx, &format!("Đơn vị {w}-{n}"))?;
                        audit::append(
                            tx,
                            audit::Event::new("tai", "load", format!("{w}-{n}")),
                            jiff::Timestamp::now(),
                        )?;
                        Ok(())
                    })
                    .await
                    .unwrap();
                n += 1;
            }
            n
        }));
    }
    // Public pages keep being served meanwhile.
    let reader = {
        let client = server.client();
        let url = server.url("/");
        tokio::spawn(async move {
            let mut served = 0;
            while Instant::now() < deadline {
                let r = client.get(&url).send().await.unwrap();
                assert_eq!(r.status(), 200);
                // Read as a browser does: a page dropped unread is a reset stream, and
                // a connection that resets a thousand gets a GOAWAY.
                r.bytes().await.unwrap();
                served += 1;
            }
            served
        })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    let out = dir_backup(&server.data).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let archive = PathBuf::from(stdout(&out));
    let mut written = 0;
    for w in writers {
        written += w.await.unwrap();
    }
    let served = reader.await.unwrap();
    assert!(
        written > 20 && served > 10,
        "{written} writes, {served} pages"
    );

    // Verify, restore into a fresh folder, and compare with the live store.
    let verified = trangtin(
        &server.data,
        &["backup", "verify", archive.to_str().unwrap()],
        "",
    );
    assert!(verified.status.success(), "{}", stderr(&verified));
    assert!(stdout(&verified).contains("OK"));
    let scratch = tempfile::tempdir().unwrap();
    let target = scratch.path().join("restored");
    let restored = trangtin(&target, &["restore", archive.to_str().unwrap()], "");
    assert!(restored.status.success(), "{}", stderr(&restored));
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode(&target),
            0o700,
            "the restored folder is the owner's alone"
        );
        assert_eq!(mode(&target.join("trangtin.redb")), 0o600);
    }
    let (copy, _) = Store::open(&target).unwrap();
    let restored_trail = copy
        .read_blocking(|tx| trangtin::audit::tables::AUDIT.values(tx))
        .unwrap();
    let live_trail = server
        .app
        .store
        .read(|tx| trangtin::audit::tables::AUDIT.values(tx))
        .await
        .unwrap();
    assert!(
        copy.read_blocking(audit::verify).unwrap().is_ok(),
        "the copy's chain and counter agree: one transaction"
    );
    assert!(
        restored_trail.len() < live_trail.len(),
        "writes went on after"
    );
    assert_eq!(
        restored_trail[..],
        live_trail[..restored_trail.len()],
        "the copy is exactly the live trail up to the backup's transaction"
    );
    // Every unit written by then is there, and none written after.
    let units = copy
        .read_blocking(|tx| trangtin::auth::tables::UNITS.values(tx))
        .unwrap();
    let loads = restored_trail.iter().filter(|r| r.action == "load").count();
    let seeded = server
        .app
        .store
        .read(|tx| trangtin::auth::tables::UNITS.values(tx))
        .await
        .unwrap()
        .len() as u64
        - written;
    assert_eq!(units.len() as u64, seeded + loads as u64);
    let manifest = trangtin::backup::verify(&archive, None).unwrap();
    assert_eq!(manifest.tables["audit_v1"], restored_trail.len() as u64);
    assert_eq!(manifest.tables["units_v1"], units.len() as u64);
}

async fn dir_backup(data: &Path) -> Output {
    let data = data.to_path_buf();
    tokio::task::spawn_blocking(move || trangtin(&data, &["backup"], ""))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_archives_fail_verify_and_restore_with_a_clear_message_and_change_nothing() {
    let server = TestServer::start().await;
    wait_for_socket(&server.data).await;
    let out = dir_backup(&server.data).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let archive = PathBuf::from(stdout(&out));
    let bytes = std::fs::read(&archive).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // A folder holding a store already: a failed restore must leave it as it was.
    let existing = dir.path().join("existing");
    drop(Store::open(&existing).unwrap());
    let before = std::fs::read(existing.join("trangtin.redb")).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated", bytes[..bytes.len() * 2 / 3].to_vec(), ""),
        (
            "corrupted",
            {
                let mut b = bytes.clone();
                let at = b.len() / 2;
                b[at] ^= 0xff;
                b
            },
            "",
        ),
        (
            "foreign",
            b"not a backup at all, just text\n".repeat(100),
            "not a trangtin backup",
        ),
    ];
    for (what, content, message) in cases {
        let bad = dir.path().join(format!("{what}.tar.zst"));
        std::fs::write(&bad, content).unwrap();
        let verify = trangtin(
            &server.data,
            &["backup", "verify", bad.to_str().unwrap()],
            "",
        );
        assert_eq!(verify.status.code(), Some(2), "{what}");
        let err = stderr(&verify);
        assert!(
            err.starts_with("error: ") && err.contains(message),
            "{what}: {err}"
        );
        let fresh = dir.path().join(format!("fresh-{what}"));
        let restore = trangtin(&fresh, &["restore", bad.to_str().unwrap()], "");
        assert_eq!(restore.status.code(), Some(2), "{what}");
        assert!(!fresh.exists(), "{what}: nothing written");
        let forced = trangtin(
            &existing,
            &["restore", "--force", bad.to_str().unwrap()],
            "",
        );
        assert_eq!(forced.status.code(), Some(2), "{what}");
        assert_eq!(
            std::fs::read(existing.join("trangtin.redb")).unwrap(),
            before
        );
    }
    // A good archive is refused over a folder in use without --force.
    let refused = trangtin(&existing, &["restore", archive.to_str().unwrap()], "");
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("--force"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(std::result::Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".restore-"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary folders left behind");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_encrypted_backup_restores_only_with_its_passphrase() {
    let server = TestServer::start().await;
    wait_for_socket(&server.data).await;
    let data = server.data.clone();
    let out = tokio::task::spawn_blocking(move || {
        trangtin(
            &data,
            &["backup", "--encrypt"],
            "cụm mật khẩu sao lưu dài\n",
        )
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let archive = stdout(&out);
    assert!(archive.ends_with(".tar.zst.enc"), "{archive}");
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("restored");
    let wrong = trangtin(&target, &["restore", &archive], "sai rồi\n");
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        stderr(&wrong).contains("wrong passphrase"),
        "{}",
        stderr(&wrong)
    );
    assert!(!target.exists());
    let right = trangtin(
        &target,
        &["restore", &archive],
        "cụm mật khẩu sao lưu dài\n",
    );
    assert!(right.status.success(), "{}", stderr(&right));
    // The restored folder runs: its second-factor key came along.
    let key = std::fs::read(target.join("secret.key")).unwrap();
    assert_eq!(key, std::fs::read(server.data.join("secret.key")).unwrap());
    let restored = TestServer::start_in(&target, |_| {}).await;
    assert_eq!(restored.page("/").await.0, 200);
    let report = restored.app.check_integrity("test").await.unwrap();
    assert!(
        report.ok,
        "the integrity check passes after a restore: {report:?}"
    );
}

/// Runs the server binary on `data` until killed; returns once its socket answers.
fn start_binary(data: &Path) -> std::process::Child {
    let child = Command::new(env!("CARGO_BIN_EXE_trangtin"))
        .arg("--data")
        .arg(data)
        .args(["--https", "127.0.0.1:0", "--http", "off"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !trangtin::ops::control::server_running(data) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

fn random_below(n: u64) -> u64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap();
    u64::from_le_bytes(bytes) % n
}

#[test]
fn a_store_killed_mid_write_opens_verifies_and_keeps_every_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut acknowledged: Vec<String> = Vec::new();
    let rounds = 20;
    for round in 0..rounds {
        let mut child = start_binary(&data);
        // A writer adds accounts through the control socket; each success is a commit
        // the server acknowledged.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let data = data.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut done = Vec::new();
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let login = format!("u{round}-{n}");
                    let out = trangtin(
                        &data,
                        &["user", "add", &login, "--role", "contributor"],
                        "một mật khẩu thật dài 2026\n",
                    );
                    if out.status.success() {
                        done.push(login);
                    }
                    n += 1;
                }
                done
            })
        };
        std::thread::sleep(Duration::from_millis(150 + random_below(600)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        acknowledged.extend(writer.join().unwrap());
        let (store, _) = Store::open(&data).expect("the store opens after SIGKILL");
        assert!(
            store.read_blocking(audit::verify).unwrap().is_ok(),
            "round {round}: the audit chain verifies"
        );
        for login in &acknowledged {
            assert!(
                store
                    .read_blocking(|tx| trangtin::auth::find_by_login(tx, login))
                    .unwrap()
                    .is_some(),
                "round {round}: acknowledged account {login} survived"
            );
        }
    }
    assert!(
        acknowledged.len() >= rounds,
        "writes were acknowledged: {}",
        acknowledged.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn administrators_back_up_now_and_download_only_after_their_password() {
    let server = TestServer::start().await;
    let admin = server.login("admin").await;
    let (status, page) = admin.get("/quan-tri/sao-luu").await;
    assert_eq!(status, 200);
    assert!(page.contains("0 bản sao lưu"), "{page}");
    let r = admin.post("/quan-tri/sao-luu", &[]).await;
    assert_eq!(r.status(), 303);
    let (_, page) = admin.get("/quan-tri/sao-luu?tb=da-sao-luu").await;
    assert!(page.contains("1 bản sao lưu") && page.contains("Đã kiểm tra mã băm"));
    let listed = trangtin::backup::list(&server.data.join("backups"));
    assert_eq!(listed.len(), 1);
    let (path, status) = &listed[0];
    assert_eq!(status.as_ref().unwrap().by, "admin");
    let file = path.file_name().unwrap().to_str().unwrap().to_string();

    let refused = admin
        .post(
            "/quan-tri/sao-luu/tai-ve",
            &[("file", file.as_str()), ("xac_nhan", "sai")],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let outside = admin
        .post(
            "/quan-tri/sao-luu/tai-ve",
            &[
                ("file", "../trangtin.redb"),
                ("xac_nhan", crate::support::TEST_PASSWORD),
            ],
        )
        .await;
    assert_eq!(outside.status(), 404);
    let download = admin
        .post(
            "/quan-tri/sao-luu/tai-ve",
            &[
                ("file", file.as_str()),
                ("xac_nhan", crate::support::TEST_PASSWORD),
            ],
        )
        .await;
    assert_eq!(download.status(), 200);
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let bytes = download.bytes().await.unwrap();
    assert_eq!(bytes.as_ref(), std::fs::read(path).unwrap().as_slice());
    let trail = server
        .app
        .store
        .read(|tx| trangtin::audit::tables::AUDIT.values(tx))
        .await
        .unwrap();
    assert!(
        trail
            .iter()
            .any(|r| r.action == "backup_created" && r.actor == "admin")
    );
    let downloads: Vec<_> = trail
        .iter()
        .filter(|r| r.action == "backup_downloaded")
        .collect();
    assert_eq!(downloads.len(), 1, "the refused tries are not downloads");
    assert_eq!(downloads[0].target, file);
    // Others may not even see the page.
    let donvi = server.login("donvi").await;
    assert_eq!(donvi.get("/quan-tri/sao-luu").await.0, 403);
}

async fn wait_for_last_run(server: &TestServer) -> trangtin::backup::schedule::LastRun {
    for _ in 0..600 {
        if let Some(run) = server
            .app
            .store
            .read(trangtin::backup::schedule::last_run)
            .await
            .unwrap()
        {
            return run;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the daily backup never ran");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daily_backup_is_copied_drilled_and_a_failure_is_a_banner() {
    let second = tempfile::tempdir().unwrap();
    let copy_to = second.path().join("nas");
    let server = TestServer::start_with(|c| {
        c.backup.enabled = true;
        c.backup.at = jiff::civil::time(0, 0, 0, 0);
        c.backup.copy_to = Some(copy_to.clone());
    })
    .await;
    let run = wait_for_last_run(&server).await;
    assert!(run.ok, "{}", run.message);
    assert!(run.last_verified_restore.is_some());
    let file = run.file.clone().unwrap();
    let archive = server.data.join("backups").join(&file);
    let status = trangtin::backup::read_status(&archive).unwrap();
    assert_eq!(status.by, "schedule");
    assert!(status.drill.as_ref().unwrap().ok);
    assert_eq!(
        std::fs::read(copy_to.join(&file)).unwrap(),
        std::fs::read(&archive).unwrap(),
        "copied to the second folder"
    );
    let admin = server.login("admin").await;
    let (_, page) = admin.get("/quan-tri/sao-luu").await;
    assert!(page.contains("Lần khôi phục thử thành công gần nhất"));
    assert!(!page.contains("không thành công"), "no failure banner");
    let (_, dashboard) = admin.get("/quan-tri").await;
    assert!(
        dashboard.contains("Khôi phục thử thành công gần nhất: "),
        "{dashboard}"
    );
    assert!(!dashboard.contains("gần nhất: chưa có"));

    // Where the second folder cannot be written, the run fails and says so on every
    // administrator's page.
    let blocked = tempfile::NamedTempFile::new().unwrap();
    let failing = TestServer::start_with(|c| {
        c.backup.enabled = true;
        c.backup.at = jiff::civil::time(0, 0, 0, 0);
        c.backup.copy_to = Some(blocked.path().join("under-a-file"));
    })
    .await;
    let run = wait_for_last_run(&failing).await;
    assert!(!run.ok);
    let admin = failing.login("admin").await;
    let (_, page) = admin.get("/quan-tri").await;
    assert!(
        page.contains("alert-banner") && page.contains("không thành công"),
        "{page}"
    );
    let donvi = failing.login("donvi").await;
    let (_, page) = donvi.get("/quan-tri").await;
    assert!(!page.contains("alert-banner"), "administrators act on it");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_is_taken_before_a_schema_migration() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    TestServer::start_in(&data, |_| {}).await.stop().await;
    // Make it look like the database of the version before the last migration.
    let older = trangtin::store::SCHEMA_VERSION - 1;
    {
        let db = redb::Database::open(data.join("trangtin.redb")).unwrap();
        let tx = db.begin_write().unwrap();
        trangtin::store::META
            .insert(&tx, "schema_version", &serde_json::json!(older))
            .unwrap();
        tx.delete_table(trangtin::auth::tables::SECOND_FACTORS.definition())
            .unwrap();
        tx.commit().unwrap();
    }
    let server = TestServer::start_in(&data, |_| {}).await;
    let listed = trangtin::backup::list(&data.join("backups"));
    assert_eq!(listed.len(), 1, "one backup, taken before migrating");
    let status = listed[0].1.clone().unwrap();
    assert_eq!(status.by, "migration");
    assert_eq!(status.manifest.schema_version, older);
    assert_eq!(server.page("/").await.0, 200, "then migrated and serving");
    // That archive, of the older schema, restores; the restored store is migrated when
    // opened and passes the integrity check.
    let target = dir.path().join("from-older");
    let archive = listed[0].0.clone();
    let out = tokio::task::spawn_blocking({
        let target = target.clone();
        move || trangtin(&target, &["restore", archive.to_str().unwrap()], "")
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let restored = TestServer::start_in(&target, |_| {}).await;
    assert!(restored.app.check_integrity("test").await.unwrap().ok);
}

/// An archive whose manifest claims a schema newer than this program's is refused by
/// `restore`, which writes nothing, as the store refuses a newer database.
#[tokio::test(flavor = "multi_thread")]
async fn an_archive_of_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    TestServer::start_in(&data, |_| {}).await.stop().await;
    let made = trangtin(
        &data,
        &["backup", "--out", dir.path().to_str().unwrap()],
        "",
    );
    assert!(made.status.success(), "{}", stderr(&made));
    let archive = PathBuf::from(stdout(&made).trim());
    // The manifest, rewritten as a newer trangtin would have written it.
    let bytes = zstd::decode_all(std::fs::File::open(&archive).unwrap()).unwrap();
    let mut out = tar::Builder::new(Vec::new());
    for entry in tar::Archive::new(bytes.as_slice()).entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
        if name == "manifest.json" {
            let mut manifest: serde_json::Value = serde_json::from_slice(&data).unwrap();
            manifest["schema_version"] = serde_json::json!(trangtin::store::SCHEMA_VERSION + 1);
            data = serde_json::to_vec(&manifest).unwrap();
        }
        let mut header = entry.header().clone();
        header.set_size(data.len() as u64);
        header.set_cksum();
        out.append(&header, data.as_slice()).unwrap();
    }
    let newer = dir.path().join("newer.tar.zst");
    std::fs::write(
        &newer,
        zstd::encode_all(out.into_inner().unwrap().as_slice(), 3).unwrap(),
    )
    .unwrap();
    let target = dir.path().join("restored");
    let refused = trangtin(&target, &["restore", newer.to_str().unwrap()], "");
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("newer than this program"),
        "{}",
        stderr(&refused)
    );
    assert!(!target.exists(), "nothing written");
}
