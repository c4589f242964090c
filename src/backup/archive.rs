//! Reading an archive: every member checked against the manifest, encrypted or not.

use std::io::{self, Read};
use std::path::Path;

use super::{DATABASE, Error, FORMAT, Hashing, KEY, MANIFEST, Manifest, invalid, io_error, seal};

/// Opens an archive for reading: plain, or decrypted with `passphrase`.
pub(super) fn open_stream(path: &Path, passphrase: Option<&str>) -> Result<Box<dyn Read>, Error> {
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

pub(super) fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
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
pub(super) fn allowed_member(path: &str) -> bool {
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
pub(super) fn walk(
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
    // The store refuses a newer database; so does a restore, before writing anything.
    if manifest.schema_version > crate::store::SCHEMA_VERSION {
        return Err(invalid(format!(
            "{} holds a database of schema version {}, newer than this program's {}; restore it with the newer trangtin that made it",
            path.display(),
            manifest.schema_version,
            crate::store::SCHEMA_VERSION
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
