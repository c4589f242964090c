//! Restoring an archive, as numbered steps that can be undone: verify, unpack beside
//! the target, check what was unpacked, then swap it in.

use std::io::{self};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::store::Store;

use super::{Error, Manifest, create_private, invalid, io_error, sync_dir, verify, walk};

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
    // Every account, key and upload lives here: the owner's alone, folders 0700 and
    // files 0600, as a new data folder is.
    private_dirs(&root)?;
    let mut written = Vec::new();
    walk(archive, passphrase, |name, reader| {
        let target = root.join(name);
        if let Some(dir) = target.parent() {
            private_dirs(dir)?;
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

/// Creates `dir` and the folders above it that are missing, owner-only, and makes `dir`
/// itself owner-only if it exists.
fn private_dirs(dir: &Path) -> Result<(), Error> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder
            .create(dir)
            .and_then(|()| std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)))
            .map_err(io_error(format!("cannot create {}", dir.display())))
    }
    #[cfg(not(unix))]
    builder
        .create(dir)
        .map_err(io_error(format!("cannot create {}", dir.display())))
}

/// Opens a restored folder and checks what must hold: the audit chain verifies and every
/// blob the database names is present with the right bytes. Returns the audit count.
pub(super) fn check_restored(root: &Path) -> Result<usize, Error> {
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
