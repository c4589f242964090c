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

/// Whether `e` says the disk (or the user's quota) is full.
pub fn is_disk_full(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull
        || e.kind() == std::io::ErrorKind::QuotaExceeded
        || e.raw_os_error() == Some(libc::ENOSPC)
}
