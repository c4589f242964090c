//! Writing a small file durably (a key, a certificate, a status): created owner-only
//! (0600) when it holds a secret, and synced before the caller renames it into place.

use std::path::Path;

/// Writes `bytes` to `path` and syncs it; `private` files are readable by the owner only.
#[cfg(unix)]
pub fn write_file(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(if private { 0o600 } else { 0o644 })
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
pub fn write_file(path: &Path, bytes: &[u8], _private: bool) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// Writes `path` through a temporary file and a rename, so readers see the old content
/// or the new, never half of either (nor a missing file). Creates the folder if needed.
pub fn replace_file(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let temporary = path.with_extension("new");
    let written =
        write_file(&temporary, bytes, private).and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written?;
    sync_folder(dir);
    Ok(())
}

/// Syncs `dir`, so that a rename into it survives a power cut. Best effort: the rename
/// itself has happened either way.
pub fn sync_folder(dir: &Path) {
    if let Ok(folder) = std::fs::File::open(dir) {
        let _ = folder.sync_all();
    }
}

/// Whether `e` says the disk (or the user's quota) is full.
pub fn is_disk_full(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull
        || e.kind() == std::io::ErrorKind::QuotaExceeded
        || e.raw_os_error() == Some(libc::ENOSPC)
}
