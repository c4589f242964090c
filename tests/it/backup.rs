//! Backups through the real binary: taken while the server serves and writers write,
//! verified, restored; bad archives refused; and a store that survives SIGKILL.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use trangtin::audit;
use trangtin::store::{Store, tables};

use crate::support::TestServer;

fn trangtin(data: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trangtin"))
        .arg("--data")
        .arg(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

async fn wait_for_socket(data: &Path) {
    for _ in 0..200 {
        if trangtin::control::server_running(data) {
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
    let (copy, _) = Store::open(&target).unwrap();
    let restored_trail = copy.read_blocking(|tx| tables::AUDIT.values(tx)).unwrap();
    let live_trail = server
        .app
        .store
        .read(|tx| tables::AUDIT.values(tx))
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
    let units = copy.read_blocking(|tx| tables::UNITS.values(tx)).unwrap();
    let loads = restored_trail.iter().filter(|r| r.action == "load").count();
    let seeded = server
        .app
        .store
        .read(|tx| tables::UNITS.values(tx))
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
        .filter_map(|e| e.ok())
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
    while !trangtin::control::server_running(data) {
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
