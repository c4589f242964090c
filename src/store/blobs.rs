//! Content-addressed files under `data/blobs/`: each file is named by the SHA-256 of its
//! bytes (`ab/abcdef…`), written to a temporary name and renamed into place, so a
//! reader never sees half a file and the same upload is stored once.

use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The lowercase hex SHA-256 of a blob's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BlobHash(String);

impl BlobHash {
    pub fn of(bytes: &[u8]) -> BlobHash {
        BlobHash(hex::encode(Sha256::digest(bytes)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for BlobHash {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let valid = s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if valid {
            Ok(BlobHash(s))
        } else {
            Err(format!("{s:?} is not a SHA-256 hex digest"))
        }
    }
}

impl From<BlobHash> for String {
    fn from(h: BlobHash) -> String {
        h.0
    }
}

impl fmt::Display for BlobHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An image variant (a resized copy) stored as its own blob.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub width: u32,
    pub hash: BlobHash,
}

/// What the database knows about a blob.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlobMeta {
    pub hash: BlobHash,
    pub size: u64,
    pub content_type: String,
    pub original_name: String,
    #[serde(default)]
    pub alt: String,
    #[serde(default)]
    pub uploaded_by: String,
    pub uploaded_at: jiff::Timestamp,
    /// Pixel size, for images.
    #[serde(default)]
    pub width: u32,
    #[serde(default)]
    pub height: u32,
    /// Smaller copies of an image, for `srcset`.
    #[serde(default)]
    pub variants: Vec<Variant>,
}

#[derive(Debug, Clone)]
pub struct Blobs {
    dir: PathBuf,
    /// The files whose bytes this process has checked against their names, with their
    /// length and modification time then: a file written or touched since is unchecked.
    checked: Arc<Mutex<HashMap<BlobHash, Stamp>>>,
    /// The files a check of this process found altered, with their stamp then: they are
    /// not served until the file changes again (a restore) or the integrity check,
    /// which holds them in the store, has run.
    altered: Arc<Mutex<HashMap<BlobHash, Stamp>>>,
}

/// Removes the temporary files of writes a crash or a full disk interrupted: no
/// committed blob ever has a `.tmp-` name, so nothing acknowledged is lost.
fn remove_leftovers(dir: &Path) {
    let Ok(shards) = std::fs::read_dir(dir) else {
        return;
    };
    for shard in shards.flatten() {
        let Ok(files) = std::fs::read_dir(shard.path()) else {
            continue;
        };
        for file in files.flatten() {
            if file.file_name().to_string_lossy().starts_with(".tmp-") {
                match std::fs::remove_file(file.path()) {
                    Ok(()) => {
                        tracing::info!(file = %file.path().display(), "removed an unfinished upload");
                    }
                    Err(e) => {
                        tracing::warn!(file = %file.path().display(), "cannot remove an unfinished upload: {e}");
                    }
                }
            }
        }
    }
}

/// What a file looked like when it was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    fn of(path: &Path) -> std::io::Result<Stamp> {
        let meta = std::fs::metadata(path)?;
        Ok(Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }
}

impl Blobs {
    pub fn open(dir: &Path) -> std::io::Result<Blobs> {
        std::fs::create_dir_all(dir)?;
        remove_leftovers(dir);
        Ok(Blobs {
            dir: dir.to_path_buf(),
            checked: Arc::default(),
            altered: Arc::default(),
        })
    }

    /// Whether the file's bytes were checked against its name since it was last written
    /// (by this process: at its write, or by `check`). Only such bytes may be cached
    /// by browsers for good.
    pub fn is_checked(&self, hash: &BlobHash) -> bool {
        let Ok(now) = Stamp::of(&self.path(hash)) else {
            return false;
        };
        self.checked
            .lock()
            .is_ok_and(|checked| checked.get(hash) == Some(&now))
    }

    /// Hashes the file and compares it with its name; remembers a match. Returns whether
    /// the bytes are what their name says.
    pub fn check(&self, hash: &BlobHash) -> std::io::Result<bool> {
        let path = self.path(hash);
        let before = Stamp::of(&path)?;
        let mut file = std::fs::File::open(&path)?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 256 * 1024];
        loop {
            let n = std::io::Read::read(&mut file, &mut buffer)?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
        }
        let matches = hex::encode(hasher.finalize()) == hash.0;
        if matches {
            self.remember(hash, before);
            if let Ok(mut altered) = self.altered.lock() {
                altered.remove(hash);
            }
        } else {
            if let Ok(mut checked) = self.checked.lock() {
                checked.remove(hash);
            }
            if let Ok(mut altered) = self.altered.lock() {
                altered.insert(hash.clone(), before);
            }
        }
        Ok(matches)
    }

    /// Whether a check of this process found the file's bytes altered, and the file has
    /// not changed since.
    pub fn is_known_altered(&self, hash: &BlobHash) -> bool {
        let Ok(now) = Stamp::of(&self.path(hash)) else {
            return false;
        };
        self.altered
            .lock()
            .is_ok_and(|altered| altered.get(hash) == Some(&now))
    }

    fn remember(&self, hash: &BlobHash, stamp: Stamp) {
        if let Ok(mut checked) = self.checked.lock() {
            checked.insert(hash.clone(), stamp);
        }
    }

    pub fn path(&self, hash: &BlobHash) -> PathBuf {
        self.dir.join(&hash.0[..2]).join(&hash.0)
    }

    /// Stores `bytes` and returns their hash. Storing the same bytes twice is a no-op.
    pub fn put(&self, bytes: &[u8]) -> std::io::Result<BlobHash> {
        let hash = BlobHash::of(bytes);
        let path = self.path(&hash);
        if path.exists() {
            return Ok(hash);
        }
        let parent = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(parent)?;
        // A unique temporary name: two uploads of the same bytes never share one.
        let nonce: [u8; 8] = crate::random::bytes().map_err(std::io::Error::other)?;
        let tmp = parent.join(format!(".tmp-{}-{}", hash, hex::encode(nonce)));
        let written = std::fs::File::create(&tmp).and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        });
        // A failed write (a full disk) must not leave its partial file behind.
        if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, &path)) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        // Written from bytes whose hash is its name: checked.
        if let Ok(stamp) = Stamp::of(&path) {
            self.remember(&hash, stamp);
        }
        Ok(hash)
    }

    pub fn exists(&self, hash: &BlobHash) -> bool {
        self.path(hash).is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_named_by_their_hash() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        let hash = blobs.put(b"hello").unwrap();
        assert_eq!(
            hash.as_str(),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(std::fs::read(blobs.path(&hash)).unwrap(), b"hello");
        assert_eq!(blobs.put(b"hello").unwrap(), hash);
        // An interrupted write's temporary file is gone at the next start.
        let leftover = blobs.path(&hash).with_file_name(".tmp-interrupted");
        std::fs::write(&leftover, b"half").unwrap();
        let again = Blobs::open(dir.path()).unwrap();
        assert!(!leftover.exists());
        assert!(again.exists(&hash));
    }

    #[test]
    fn only_hex_digests_are_hashes() {
        assert!(BlobHash::try_from("../../etc/passwd".to_string()).is_err());
        assert!(BlobHash::try_from("A".repeat(64)).is_err());
        assert!(BlobHash::try_from("a".repeat(64)).is_ok());
    }
}
