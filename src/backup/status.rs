//! What is known of each archive (its check and its restore drill), kept beside it.

use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Error, Manifest, create_private, invalid, io_error};

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

pub(super) fn status_path(archive: &Path) -> PathBuf {
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
