//! One-file backups (Art. 5.2 of the agency's rules): a consistent copy of the store
//! from one read transaction, the blobs it refers to and the key that seals second
//! factors, in one `.tar.zst` with a manifest of SHA-256 sums; optionally encrypted
//! with a passphrase. `verify` checks every member against the manifest; `restore`
//! verifies first, writes into a temporary folder beside the target and swaps it in.
//!
//! Archive members, in order: `trangtin.redb`, `secret.key` (when the folder has one),
//! `blobs/ab/<sha256>` for each blob, then `manifest.json`, last so that it can carry
//! the hash of everything before it.

mod archive;
mod create;
mod restore;
pub mod schedule;
pub mod seal;
pub mod status;

pub use archive::verify;
use archive::walk;
pub use create::create;
use create::{Hashing, create_private, create_private_dir, sync_dir};
pub use restore::{Restored, restore};
use status::status_path;
pub use status::{Drill, Status, list, read_status, write_status};

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::store::{self, Store};

/// The archive layout this program writes; it reads this one and every older one.
pub const FORMAT: u32 = 1;
pub const MANIFEST: &str = "manifest.json";
const DATABASE: &str = "trangtin.redb";
const KEY: &str = crate::auth::sealing::KEY_FILE;
/// zstd level 3: a good ratio at a speed well above disk speed on modest hardware.
const LEVEL: i32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("{context}: {source}")]
    Io { context: String, source: io::Error },
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// What went wrong, in Vietnamese, for the admin pages (the English detail goes to
    /// the log).
    pub fn vietnamese(&self) -> &'static str {
        match self {
            Error::Io { source, .. } if crate::files::is_disk_full(source) => {
                "ổ đĩa chứa bản sao lưu đã hết chỗ trống. Hãy giải phóng dung lượng hoặc chọn nơi lưu khác rồi thử lại."
            }
            Error::Store(e) if e.is_disk_full() => {
                "ổ đĩa chứa bản sao lưu đã hết chỗ trống. Hãy giải phóng dung lượng hoặc chọn nơi lưu khác rồi thử lại."
            }
            Error::Io { source, .. } if source.kind() == io::ErrorKind::PermissionDenied => {
                "dịch vụ không có quyền ghi vào thư mục sao lưu. Hãy kiểm tra quyền của thư mục (xem README, mục Sao lưu)."
            }
            Error::Io { .. } => {
                "không ghi hoặc đọc lại được tệp sao lưu. Chi tiết đã được ghi vào nhật ký máy chủ (journalctl -u trangtin)."
            }
            Error::Store(_) => {
                "không đọc được dữ liệu để sao lưu. Hãy chạy trangtin verify; chi tiết đã được ghi vào nhật ký máy chủ."
            }
            Error::Invalid(_) => {
                "bản sao lưu vừa tạo không qua được bước kiểm tra. Chi tiết đã được ghi vào nhật ký máy chủ (journalctl -u trangtin)."
            }
        }
    }
}

fn io_error(context: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
    let context = context.into();
    move |source| Error::Io { context, source }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::Invalid(message.into())
}

/// One file in the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// What the archive holds and the hash of each member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub app_version: String,
    pub schema_version: u64,
    pub created_at: Timestamp,
    /// Rows per table.
    pub tables: BTreeMap<String, u64>,
    pub blob_count: u64,
    pub blob_bytes: u64,
    pub encrypted: bool,
    pub members: Vec<Member>,
}

/// How to make a backup.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Encrypt with a key derived from this passphrase.
    pub passphrase: Option<String>,
}

/// A backup just written.
#[derive(Debug, Clone)]
pub struct Made {
    pub path: PathBuf,
    pub size: u64,
    pub manifest: Manifest,
}

/// Where backups go unless told otherwise: `data/backups` (mode 0700).
/// Records that `by` downloaded the archive `name` (`bytes` long) from the admin page.
pub fn record_download(
    tx: &redb::WriteTransaction,
    by: &crate::workflow::Actor,
    name: &str,
    bytes: u64,
    now: Timestamp,
) -> Result<(), crate::store::Error> {
    let event = crate::audit::Event::new(&by.login, "backup_downloaded", name)
        .detail(format!("{bytes} bytes"));
    crate::audit::append(tx, event, now)?;
    Ok(())
}

pub fn default_dir(data: &Path) -> PathBuf {
    data.join("backups")
}

/// Opens the store in `data`, first writing a backup into `dir` if the program is about
/// to migrate its schema; nothing is migrated if that backup fails.
pub fn open_store(data: &Path, dir: &Path) -> Result<Store, Error> {
    if let Some(found) = Store::pending_migration(data)? {
        let store = Store::open_unmigrated(data)?;
        let status = take(
            &store,
            dir,
            &Options::default(),
            "migration",
            Timestamp::now(),
        )?;
        tracing::info!(
            from = found,
            to = store::SCHEMA_VERSION,
            file = %dir.join(&status.file).display(),
            "backed up the store before migrating it"
        );
    }
    Ok(Store::open(data)?.0)
}

/// Makes a backup in `dir` under the default name, verifies it, records it in the
/// audit trail and writes its status file.
pub fn take(
    store: &Store,
    dir: &Path,
    options: &Options,
    by: &str,
    now: Timestamp,
) -> Result<Status, Error> {
    create_private_dir(dir)?;
    let mut dest = dir.join(file_name(now, options.passphrase.is_some()));
    // Two backups in the same second get distinct names.
    let mut n = 1;
    while dest.exists() {
        n += 1;
        let name =
            file_name(now, options.passphrase.is_some()).replacen(".tar", &format!("-{n}.tar"), 1);
        dest = dir.join(name);
    }
    // `create` verifies the archive before it takes its name.
    let made = create(store, &dest, options, now)?;
    let file = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let status = Status {
        file: file.clone(),
        size: made.size,
        manifest: made.manifest,
        by: by.to_string(),
        verified_at: Some(now),
        drill: None,
    };
    write_status(&dest, &status)?;
    let detail = format!(
        "{} bytes, {} blobs, verified{}",
        status.size,
        status.manifest.blob_count,
        if options.passphrase.is_some() {
            ", encrypted"
        } else {
            ""
        }
    );
    store.write_blocking(|tx| {
        crate::audit::append(
            tx,
            crate::audit::Event::new(by, "backup_created", &file).detail(detail),
            now,
        )
    })?;
    tracing::info!(file = %dest.display(), size = status.size, by, "backup written and verified");
    Ok(status)
}

/// The default file name of a backup made at `at`.
pub fn file_name(at: Timestamp, encrypted: bool) -> String {
    let local = at.to_zoned_datetime(crate::format::vietnam());
    let stamp = local.strftime("%Y%m%d-%H%M%S");
    if encrypted {
        format!("trangtin-{stamp}.tar.zst.enc")
    } else {
        format!("trangtin-{stamp}.tar.zst")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backup_removes_what_an_interrupted_one_left_a_day_before() {
        let dir = tempfile::tempdir().unwrap();
        let left = dir.path().join(".backup-Ab12");
        std::fs::create_dir(&left).unwrap();
        std::fs::write(left.join("trangtin.redb"), b"half a copy").unwrap();
        let other = dir.path().join("trangtin-20261207-101500.tar.zst");
        std::fs::write(&other, b"an archive").unwrap();
        let now = Timestamp::now();
        // Still young: perhaps another backup's, being written.
        create::remove_abandoned(dir.path(), now);
        assert!(left.exists());
        let tomorrow = now + jiff::SignedDuration::from_hours(25);
        create::remove_abandoned(dir.path(), tomorrow);
        assert!(!left.exists());
        assert!(other.exists());
    }

    fn store_with_content(dir: &Path) -> Store {
        let (store, _) = Store::open(dir).unwrap();
        crate::auth::sealing::SecretKey::load_or_create(dir).unwrap();
        let now = Timestamp::now();
        let hash = store.blobs.put(b"%PDF-1.4 a document").unwrap();
        store
            .write_blocking(|tx| -> Result<(), store::Error> {
                let meta = store::BlobMeta {
                    hash: hash.clone(),
                    size: 19,
                    content_type: "application/pdf".into(),
                    original_name: "a.pdf".into(),
                    alt: String::new(),
                    uploaded_by: "t".into(),
                    uploaded_at: now,
                    width: 0,
                    height: 0,
                    variants: Vec::new(),
                };
                crate::store::BLOBS.insert(tx, hash.as_str(), &meta)?;
                crate::audit::append(tx, crate::audit::Event::new("t", "test", "x"), now)?;
                Ok(())
            })
            .unwrap();
        store
    }

    #[test]
    fn a_backup_verifies_and_restores_into_an_equal_folder() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_content(&dir.path().join("data"));
        let dest = dir
            .path()
            .join("out")
            .join(file_name(Timestamp::now(), false));
        let made = create(&store, &dest, &Options::default(), Timestamp::now()).unwrap();
        assert_eq!(made.manifest.blob_count, 1);
        assert_eq!(made.manifest.tables["audit_v1"], 1);
        assert_eq!(verify(&dest, None).unwrap(), made.manifest);
        let target = dir.path().join("restored");
        let restored = restore(&dest, &target, false, None, Timestamp::now()).unwrap();
        assert_eq!(restored.audit_records, 1);
        assert!(restored.previous.is_none());
        assert_eq!(
            std::fs::read(target.join(KEY)).unwrap(),
            std::fs::read(dir.path().join("data").join(KEY)).unwrap()
        );
        // A second restore into the now full folder needs --force, and keeps the old.
        let refused = restore(&dest, &target, false, None, Timestamp::now());
        assert!(matches!(refused, Err(Error::Invalid(m)) if m.contains("--force")));
        let again = restore(&dest, &target, true, None, Timestamp::now()).unwrap();
        assert!(again.previous.unwrap().join("trangtin.redb").exists());
    }

    #[test]
    fn damaged_truncated_and_foreign_archives_are_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_content(&dir.path().join("data"));
        let dest = dir.path().join("b.tar.zst");
        create(&store, &dest, &Options::default(), Timestamp::now()).unwrap();
        let bytes = std::fs::read(&dest).unwrap();
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("truncated", bytes[..bytes.len() / 2].to_vec()),
            ("corrupted", {
                let mut b = bytes.clone();
                let at = b.len() / 3;
                b[at] ^= 0x55;
                b
            }),
            ("foreign", b"PK\x03\x04 a zip file, not ours".to_vec()),
            ("empty", Vec::new()),
        ];
        for (what, content) in cases {
            let bad = dir.path().join(format!("{what}.tar.zst"));
            std::fs::write(&bad, content).unwrap();
            let err = verify(&bad, None).unwrap_err().to_string();
            assert!(!err.is_empty(), "{what}");
            let target = dir.path().join(format!("target-{what}"));
            assert!(
                restore(&bad, &target, false, None, Timestamp::now()).is_err(),
                "{what}"
            );
            assert!(!target.exists(), "{what}: nothing written");
        }
    }

    /// The archive at `path` with its manifest changed by `change` (the members'
    /// hashes still match: only what the manifest claims differs).
    fn rewrite_manifest(path: &Path, change: impl Fn(&mut serde_json::Value)) {
        let bytes = zstd::decode_all(std::fs::File::open(path).unwrap()).unwrap();
        let mut archive = tar::Archive::new(bytes.as_slice());
        let mut out = tar::Builder::new(Vec::new());
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().to_string_lossy().into_owned();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
            if name == MANIFEST {
                let mut manifest: serde_json::Value = serde_json::from_slice(&data).unwrap();
                change(&mut manifest);
                data = serde_json::to_vec(&manifest).unwrap();
            }
            let mut header = entry.header().clone();
            header.set_size(data.len() as u64);
            header.set_cksum();
            out.append(&header, data.as_slice()).unwrap();
        }
        let tarred = out.into_inner().unwrap();
        std::fs::write(path, zstd::encode_all(tarred.as_slice(), 3).unwrap()).unwrap();
    }

    #[test]
    fn a_restored_folder_is_private_and_a_newer_schema_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_content(&dir.path().join("data"));
        let dest = dir.path().join("b.tar.zst");
        create(&store, &dest, &Options::default(), Timestamp::now()).unwrap();
        let target = dir.path().join("restored");
        restore(&dest, &target, false, None, Timestamp::now()).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&target), 0o700);
        assert_eq!(mode(&target.join("trangtin.redb")), 0o600);
        assert_eq!(mode(&target.join("blobs")), 0o700);
        let newer = dir.path().join("newer.tar.zst");
        std::fs::copy(&dest, &newer).unwrap();
        rewrite_manifest(&newer, |m| {
            m["schema_version"] = serde_json::json!(crate::store::SCHEMA_VERSION + 1);
        });
        let err = verify(&newer, None).unwrap_err().to_string();
        assert!(err.contains("newer than this program"), "{err}");
        let elsewhere = dir.path().join("not-written");
        assert!(restore(&newer, &elsewhere, false, None, Timestamp::now()).is_err());
        assert!(!elsewhere.exists(), "nothing written");
    }

    #[test]
    fn an_encrypted_backup_needs_its_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_content(&dir.path().join("data"));
        let dest = dir.path().join("b.tar.zst.enc");
        let options = Options {
            passphrase: Some("cụm mật khẩu sao lưu".into()),
        };
        let made = create(&store, &dest, &options, Timestamp::now()).unwrap();
        assert!(made.manifest.encrypted);
        let raw = std::fs::read(&dest).unwrap();
        assert!(seal::is_sealed(&raw));
        assert!(
            verify(&dest, None)
                .unwrap_err()
                .to_string()
                .contains("encrypted")
        );
        assert!(verify(&dest, Some("sai")).is_err());
        assert_eq!(
            verify(&dest, Some("cụm mật khẩu sao lưu")).unwrap(),
            made.manifest
        );
        let target = dir.path().join("restored");
        restore(
            &dest,
            &target,
            false,
            Some("cụm mật khẩu sao lưu"),
            Timestamp::now(),
        )
        .unwrap();
        assert!(target.join("trangtin.redb").exists());
    }
}
