//! Writing an archive: the store copied in one read transaction, the key, the blobs,
//! then the manifest, into a private file synced before it is renamed into place.

use std::io::{self, Read, Write};
use std::path::Path;

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::store::Store;

use super::{
    DATABASE, Error, FORMAT, KEY, LEVEL, MANIFEST, Made, Manifest, Member, Options, invalid,
    io_error, seal, verify,
};

/// A reader that hashes what passes through it.
pub(super) struct Hashing<R> {
    pub(super) inner: R,
    pub(super) hash: Sha256,
    pub(super) size: u64,
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
    pub(super) fn new(inner: R) -> Hashing<R> {
        Hashing {
            inner,
            hash: Sha256::new(),
            size: 0,
        }
    }

    pub(super) fn member(self, path: &str) -> Member {
        Member {
            path: path.to_string(),
            size: self.size,
            sha256: hex::encode(self.hash.finalize()),
        }
    }
}

/// Creates `dir` readable by its owner only; an existing folder is left as it is.
pub(super) fn create_private_dir(dir: &Path) -> Result<(), Error> {
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

/// How old the work folder of a backup must be to count as abandoned: no backup runs
/// for a day, so a younger one may be another backup's, still being written.
const ABANDONED_AFTER: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// Removes the work folders (`.backup-*`) that backups killed part way left in `dir`:
/// each holds a copy of the store as large as the store itself.
pub(super) fn remove_abandoned(dir: &Path, now: Timestamp) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(".backup-") {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let changed = meta
            .modified()
            .ok()
            .and_then(|t| Timestamp::try_from(t).ok());
        let old = changed.is_some_and(|changed| now.duration_since(changed) >= ABANDONED_AFTER);
        if !meta.is_dir() || !old {
            continue;
        }
        match std::fs::remove_dir_all(entry.path()) {
            Ok(()) => tracing::warn!(
                folder = %entry.path().display(),
                "removed what an interrupted backup left"
            ),
            Err(e) => tracing::warn!(
                folder = %entry.path().display(),
                error = %e,
                "cannot remove what an interrupted backup left"
            ),
        }
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
    remove_abandoned(dir, now);
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
pub(super) enum Sink {
    Plain(io::BufWriter<std::fs::File>),
    Sealed(Box<seal::SealWriter<io::BufWriter<std::fs::File>>>),
}

impl Sink {
    pub(super) fn new(file: std::fs::File, passphrase: Option<&str>) -> Result<Sink, Error> {
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
    pub(super) fn finish(self) -> io::Result<std::fs::File> {
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
pub(super) fn create_private(path: &Path) -> Result<std::fs::File, Error> {
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
pub(super) fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}
