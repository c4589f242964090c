//! One-file backups (Art. 5.2 of the agency's rules): a consistent copy of the store
//! from one read transaction, the blobs it refers to and the key that seals second
//! factors, in one `.tar.zst` with a manifest of SHA-256 sums; optionally encrypted
//! with a passphrase. `verify` checks every member against the manifest; `restore`
//! verifies first, writes into a temporary folder beside the target and swaps it in.
//!
//! Archive members, in order: `trangtin.redb`, `secret.key` (when the folder has one),
//! `blobs/ab/<sha256>` for each blob, then `manifest.json`, last so that it can carry
//! the hash of everything before it.

pub mod schedule;
pub mod seal;

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hash: Sha256,
    size: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

impl<R> Hashing<R> {
    fn new(inner: R) -> Hashing<R> {
        Hashing {
            inner,
            hash: Sha256::new(),
            size: 0,
        }
    }

    fn member(self, path: &str) -> Member {
        Member {
            path: path.to_string(),
            size: self.size,
            sha256: hex::encode(self.hash.finalize()),
        }
    }
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

/// What is known about a backup besides its bytes, in `<archive>.json` beside it: the
/// manifest (so listing needs no decompression), and the checks made since.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub file: String,
    pub size: u64,
    pub manifest: Manifest,
    /// Who asked for it: a login, `cli`, `schedule` or `migration`.
    pub by: String,
    #[serde(default)]
    pub verified_at: Option<Timestamp>,
    /// The last restore drill: when, and whether the restored copy matched.
    #[serde(default)]
    pub drill: Option<Drill>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drill {
    pub at: Timestamp,
    pub ok: bool,
    pub message: String,
}

fn status_path(archive: &Path) -> PathBuf {
    let mut name = archive.as_os_str().to_owned();
    name.push(".json");
    PathBuf::from(name)
}

pub fn write_status(archive: &Path, status: &Status) -> Result<(), Error> {
    let path = status_path(archive);
    let json = serde_json::to_vec_pretty(status).map_err(|e| invalid(e.to_string()))?;
    let pending = path.with_extension("json.partial");
    let _ = std::fs::remove_file(&pending);
    let mut file = create_private(&pending)?;
    file.write_all(&json)
        .and_then(|()| file.sync_all())
        .map_err(io_error(format!("cannot write {}", pending.display())))?;
    std::fs::rename(&pending, &path).map_err(io_error(format!("cannot write {}", path.display())))
}

pub fn read_status(archive: &Path) -> Option<Status> {
    let bytes = std::fs::read(status_path(archive)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The backups in `dir`, newest first, with what their status files say.
pub fn list(dir: &Path) -> Vec<(PathBuf, Option<Status>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with("trangtin-")
                    && (n.ends_with(".tar.zst") || n.ends_with(".tar.zst.enc"))
            })
        })
        .collect();
    found.sort();
    found.reverse();
    found
        .into_iter()
        .map(|p| {
            let status = read_status(&p);
            (p, status)
        })
        .collect()
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

/// Creates `dir` readable by its owner only; an existing folder is left as it is.
fn create_private_dir(dir: &Path) -> Result<(), Error> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(io_error(format!("cannot create {}", dir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    Ok(())
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

/// Writes a backup of `store` to `dest` (a file path). The archive is written under a
/// temporary name and renamed when complete, so `dest` is never half-written.
pub fn create(
    store: &Store,
    dest: &Path,
    options: &Options,
    now: Timestamp,
) -> Result<Made, Error> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_error(format!("cannot create {}", dir.display())))?;
    let work = tempfile::Builder::new()
        .prefix(".backup-")
        .tempdir_in(dir)
        .map_err(io_error(format!("cannot write in {}", dir.display())))?;
    let copy = work.path().join(DATABASE);
    let snapshot = store.snapshot(&copy)?;
    let pending = work.path().join("archive.partial");
    let file = create_private(&pending)?;
    let encrypted = options.passphrase.is_some();
    let mut members = Vec::new();
    let mut blob_bytes = 0;
    let sink = Sink::new(file, options.passphrase.as_deref())?;
    let mut encoder = zstd::Encoder::new(sink, LEVEL).map_err(io_error("zstd"))?;
    encoder
        .include_checksum(true)
        .map_err(io_error("zstd checksum"))?;
    let mut tar = tar::Builder::new(encoder);
    tar.mode(tar::HeaderMode::Deterministic);
    let mtime = u64::try_from(now.as_second()).unwrap_or(0);
    let add = |tar: &mut tar::Builder<_>, path: &str, source: &Path| -> Result<Member, Error> {
        let file = std::fs::File::open(source)
            .map_err(io_error(format!("cannot read {}", source.display())))?;
        let size = file
            .metadata()
            .map_err(io_error(format!("cannot read {}", source.display())))?
            .len();
        let mut header = tar::Header::new_gnu();
        header.set_size(size);
        header.set_mode(0o600);
        header.set_mtime(mtime);
        let mut reader = Hashing::new(file.take(size));
        tar.append_data(&mut header, path, &mut reader)
            .map_err(io_error(format!("cannot add {path} to the archive")))?;
        if reader.size != size {
            return Err(invalid(format!(
                "{} changed size while being copied",
                source.display()
            )));
        }
        Ok(reader.member(path))
    };
    members.push(add(&mut tar, DATABASE, &copy)?);
    let key = store.data_dir().join(KEY);
    if key.exists() {
        members.push(add(&mut tar, KEY, &key)?);
    }
    for hash in &snapshot.blobs {
        let path = store.blobs.path(hash);
        let name = format!("blobs/{}/{}", &hash.as_str()[..2], hash.as_str());
        let member = add(&mut tar, &name, &path)?;
        // A blob whose bytes no longer match its name is reported now, not at restore.
        if member.sha256 != hash.as_str() {
            return Err(invalid(format!(
                "blob {hash} is corrupt on disk (its bytes hash to {}); run `trangtin verify`",
                member.sha256
            )));
        }
        blob_bytes += member.size;
        members.push(member);
    }
    let manifest = Manifest {
        format: FORMAT,
        app_version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version: snapshot.schema_version,
        created_at: now,
        tables: snapshot
            .tables
            .iter()
            .map(|(name, rows)| (name.to_string(), *rows))
            .collect(),
        blob_count: snapshot.blobs.len() as u64,
        blob_bytes,
        encrypted,
        members,
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| invalid(e.to_string()))?;
    let mut header = tar::Header::new_gnu();
    header.set_size(json.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(mtime);
    tar.append_data(&mut header, MANIFEST, json.as_slice())
        .map_err(io_error("cannot add the manifest"))?;
    let encoder = tar
        .into_inner()
        .map_err(io_error("cannot finish the archive"))?;
    let sink = encoder
        .finish()
        .map_err(io_error("cannot finish compression"))?;
    let file = sink
        .finish()
        .map_err(io_error("cannot finish the archive"))?;
    file.sync_all()
        .map_err(io_error("cannot flush the archive to disk"))?;
    drop(file);
    // Read back and checked before it takes its name: a bad archive is never listed.
    let read_back = verify(&pending, options.passphrase.as_deref())?;
    if read_back != manifest {
        return Err(invalid(
            "the archive reads back differently from what was written",
        ));
    }
    std::fs::rename(&pending, dest).map_err(io_error(format!(
        "cannot move the archive to {}",
        dest.display()
    )))?;
    sync_dir(dir);
    let size = std::fs::metadata(dest).map_or(0, |m| m.len());
    Ok(Made {
        path: dest.to_path_buf(),
        size,
        manifest,
    })
}

/// Where the compressed stream goes: the file, or the encrypting writer in front of it.
enum Sink {
    Plain(io::BufWriter<std::fs::File>),
    Sealed(Box<seal::SealWriter<io::BufWriter<std::fs::File>>>),
}

impl Sink {
    fn new(file: std::fs::File, passphrase: Option<&str>) -> Result<Sink, Error> {
        let buffered = io::BufWriter::with_capacity(256 * 1024, file);
        Ok(match passphrase {
            Some(passphrase) => Sink::Sealed(Box::new(
                seal::SealWriter::new(buffered, passphrase)
                    .map_err(io_error("cannot start the encrypted stream"))?,
            )),
            None => Sink::Plain(buffered),
        })
    }

    /// Seals the last chunk if encrypting, flushes, and hands back the file.
    fn finish(self) -> io::Result<std::fs::File> {
        let buffered = match self {
            Sink::Plain(w) => w,
            Sink::Sealed(w) => w.finish()?,
        };
        buffered
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Sealed(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Sealed(w) => w.flush(),
        }
    }
}

/// A new file readable by its owner only (backups hold every account's data).
fn create_private(path: &Path) -> Result<std::fs::File, Error> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map_err(io_error(format!("cannot create {}", path.display())))
}

/// Makes a rename durable (best effort: not every filesystem allows it).
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Opens an archive for reading: plain, or decrypted with `passphrase`.
fn open_stream(path: &Path, passphrase: Option<&str>) -> Result<Box<dyn Read>, Error> {
    let mut file =
        std::fs::File::open(path).map_err(io_error(format!("cannot open {}", path.display())))?;
    let mut magic = [0u8; 8];
    let n = read_up_to(&mut file, &mut magic)
        .map_err(io_error(format!("cannot read {}", path.display())))?;
    let file =
        std::fs::File::open(path).map_err(io_error(format!("cannot open {}", path.display())))?;
    let buffered = io::BufReader::with_capacity(256 * 1024, file);
    let plain: Box<dyn Read> = if seal::is_sealed(&magic[..n]) {
        let Some(passphrase) = passphrase else {
            return Err(invalid(format!(
                "{} is encrypted: give its passphrase (TRANGTIN_BACKUP_PASSPHRASE or --passphrase-stdin)",
                path.display()
            )));
        };
        Box::new(
            seal::OpenReader::new(buffered, passphrase)
                .map_err(io_error(format!("cannot decrypt {}", path.display())))?,
        )
    } else if magic[..n].starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(buffered)
    } else {
        return Err(invalid(format!(
            "{} is not a trangtin backup (neither a zstd archive nor an encrypted one)",
            path.display()
        )));
    };
    let decoder = zstd::Decoder::new(plain).map_err(io_error("cannot start decompression"))?;
    Ok(Box::new(decoder))
}

fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = reader.read(&mut buf[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

/// Only these names may appear in an archive: nothing can be written outside the
/// target folder, whatever a forged archive says.
fn allowed_member(path: &str) -> bool {
    if path == DATABASE || path == KEY {
        return true;
    }
    let parts: Vec<&str> = path.split('/').collect();
    let hex = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    };
    parts.len() == 3
        && parts[0] == "blobs"
        && parts[1].len() == 2
        && parts[2].len() == 64
        && hex(parts[2])
        && parts[2].starts_with(parts[1])
}

/// Reads every member of the archive at `path`, hashing it, and hands each to `visit`
/// (which may copy it somewhere); returns the manifest once every hash matched.
fn walk(
    path: &Path,
    passphrase: Option<&str>,
    mut visit: impl FnMut(&str, &mut dyn Read) -> Result<(), Error>,
) -> Result<Manifest, Error> {
    let stream = open_stream(path, passphrase)?;
    let mut archive = tar::Archive::new(stream);
    let read_error = || {
        io_error(format!(
            "cannot read {} (damaged or cut short)",
            path.display()
        ))
    };
    let mut seen = Vec::new();
    let mut manifest: Option<Manifest> = None;
    for entry in archive.entries().map_err(read_error())? {
        let mut entry = entry.map_err(read_error())?;
        let name = entry
            .path()
            .map_err(read_error())?
            .to_string_lossy()
            .into_owned();
        if manifest.is_some() {
            return Err(invalid(format!(
                "{}: member {name} follows the manifest",
                path.display()
            )));
        }
        if name == MANIFEST {
            let mut json = Vec::new();
            (&mut entry)
                .take(64 * 1024 * 1024)
                .read_to_end(&mut json)
                .map_err(read_error())?;
            let parsed: Manifest = serde_json::from_slice(&json).map_err(|e| {
                invalid(format!(
                    "{}: the manifest is unreadable: {e}",
                    path.display()
                ))
            })?;
            manifest = Some(parsed);
            continue;
        }
        if !allowed_member(&name) {
            return Err(invalid(format!(
                "{}: unexpected member {name:?}",
                path.display()
            )));
        }
        let mut hashing = Hashing::new(&mut entry);
        visit(&name, &mut hashing)?;
        io::copy(&mut hashing, &mut io::sink()).map_err(read_error())?;
        seen.push(hashing.member(&name));
    }
    // A zstd frame cut short can still yield whole tar entries: insist on the end.
    let manifest = manifest.ok_or_else(|| {
        invalid(format!(
            "{}: no manifest (not a trangtin backup, or the file is cut short)",
            path.display()
        ))
    })?;
    if manifest.format > FORMAT {
        return Err(invalid(format!(
            "{} was made by a newer trangtin (archive format {}, this program reads up to {FORMAT})",
            path.display(),
            manifest.format
        )));
    }
    if seen.len() != manifest.members.len() {
        return Err(invalid(format!(
            "{}: the manifest lists {} files but the archive holds {}",
            path.display(),
            manifest.members.len(),
            seen.len()
        )));
    }
    for (got, listed) in seen.iter().zip(&manifest.members) {
        if got != listed {
            return Err(invalid(format!(
                "{}: {} does not match the manifest (SHA-256 {} expected, {} found)",
                path.display(),
                listed.path,
                listed.sha256,
                got.sha256
            )));
        }
    }
    if !seen.iter().any(|m| m.path == DATABASE) {
        return Err(invalid(format!(
            "{}: the archive holds no database",
            path.display()
        )));
    }
    Ok(manifest)
}

/// Checks every member of the archive against its manifest.
pub fn verify(path: &Path, passphrase: Option<&str>) -> Result<Manifest, Error> {
    walk(path, passphrase, |_, _| Ok(()))
}

/// What `restore` did.
#[derive(Debug, Clone)]
pub struct Restored {
    pub manifest: Manifest,
    /// Where the folder that was replaced now is, if there was one.
    pub previous: Option<PathBuf>,
    /// Records in the restored audit trail, all verified.
    pub audit_records: usize,
}

/// Restores the archive at `archive` into the data folder `data`.
///
/// 1. The whole archive is verified; nothing is written if any hash differs.
/// 2. A folder that is not empty is refused unless `force`.
/// 3. The members are written into a new temporary folder beside `data`, each checked
///    again against the manifest as it is written, and flushed to disk.
/// 4. The restored store is opened (migrating an older schema) and its audit chain and
///    blobs are checked.
/// 5. The old folder is renamed to `<data>.before-restore-<time>` and the new one renamed
///    to `data`; if that second rename fails the first is undone. Each rename is atomic.
pub fn restore(
    archive: &Path,
    data: &Path,
    force: bool,
    passphrase: Option<&str>,
    now: Timestamp,
) -> Result<Restored, Error> {
    let manifest = verify(archive, passphrase)?;
    let occupied = std::fs::read_dir(data).is_ok_and(|mut d| d.next().is_some());
    if occupied && !force {
        return Err(invalid(format!(
            "{} is not empty; add --force to replace it (the old folder is kept beside it)",
            data.display()
        )));
    }
    if occupied && crate::ops::control::server_running(data) {
        return Err(invalid(format!(
            "a trangtin server is running on {}; stop it before restoring into its folder",
            data.display()
        )));
    }
    let parent = match data.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .map_err(io_error(format!("cannot create {}", parent.display())))?;
    let work = tempfile::Builder::new()
        .prefix(".restore-")
        .tempdir_in(&parent)
        .map_err(io_error(format!("cannot write in {}", parent.display())))?;
    let root = work.path().to_path_buf();
    let mut written = Vec::new();
    walk(archive, passphrase, |name, reader| {
        let target = root.join(name);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)
                .map_err(io_error(format!("cannot create {}", dir.display())))?;
        }
        let mut file = create_private(&target)?;
        io::copy(reader, &mut file)
            .map_err(io_error(format!("cannot write {}", target.display())))?;
        file.sync_all()
            .map_err(io_error(format!("cannot flush {}", target.display())))?;
        written.push(name.to_string());
        Ok(())
    })?;
    let audit_records = check_restored(&root)?;
    let previous = if data.exists() {
        let aside = PathBuf::from(format!(
            "{}.before-restore-{}",
            data.display(),
            now.as_second()
        ));
        std::fs::rename(data, &aside)
            .map_err(io_error(format!("cannot move {} aside", data.display())))?;
        Some(aside)
    } else {
        None
    };
    let kept = work.keep();
    if let Err(e) = std::fs::rename(&kept, data) {
        if let Some(aside) = &previous {
            let _ = std::fs::rename(aside, data);
        }
        return Err(io_error(format!(
            "cannot move the restored folder to {}",
            data.display()
        ))(e));
    }
    sync_dir(&parent);
    Ok(Restored {
        manifest,
        previous,
        audit_records,
    })
}

/// Opens a restored folder and checks what must hold: the audit chain verifies and every
/// blob the database names is present with the right bytes. Returns the audit count.
fn check_restored(root: &Path) -> Result<usize, Error> {
    let (store, _) = Store::open(root)?;
    let audit = store
        .read_blocking(crate::audit::verify)?
        .map_err(|b| invalid(format!("the restored audit trail does not verify: {b}")))?;
    let blobs = store.read_blocking(|tx| crate::store::BLOBS.values(tx))?;
    for meta in blobs {
        let path = store.blobs.path(&meta.hash);
        let bytes = std::fs::read(&path).map_err(io_error(format!(
            "blob {} is missing from the restored folder",
            meta.hash
        )))?;
        if hex::encode(Sha256::digest(&bytes)) != meta.hash.as_str() {
            return Err(invalid(format!(
                "blob {} does not match its name",
                meta.hash
            )));
        }
    }
    Ok(audit)
}

#[cfg(test)]
mod tests {
    use super::*;

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
