//! Secrets that must be kept readable by the server but useless in a copy of the
//! database (TOTP secrets) are sealed with ChaCha20-Poly1305 under a key that lives
//! outside the redb file, in `data/secret.key` (mode 0600). A stolen `trangtin.redb`
//! or a backup without that file opens no second factor.

use std::path::{Path, PathBuf};

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

/// The file name of the key, inside the data folder.
pub const KEY_FILE: &str = "secret.key";
const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a {KEY_LEN}-byte key; restore it from a backup of the data folder")]
    Malformed { path: PathBuf },
    #[error("no randomness: {0}")]
    Random(String),
}

/// The sealing key. Cheap to share; never printed.
pub struct SecretKey {
    key: LessSafeKey,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl SecretKey {
    /// Reads `data/secret.key`, making it (mode 0600) when the folder has none. An
    /// existing key is never replaced: losing it would lose every enrolled factor.
    pub fn load_or_create(data: &Path) -> Result<SecretKey, Error> {
        let path = data.join(KEY_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                restrict_permissions(&path);
                SecretKey::from_bytes(&bytes).ok_or(Error::Malformed { path })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => SecretKey::create(&path),
            Err(source) => Err(Error::Read { path, source }),
        }
    }

    fn create(path: &Path) -> Result<SecretKey, Error> {
        let mut bytes = [0u8; KEY_LEN];
        crate::random::fill(&mut bytes).map_err(|e| Error::Random(e.to_string()))?;
        let write_error = |source| Error::Write {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(write_error)?;
        }
        // Written aside, then linked into place: linking fails if another process made
        // the key meanwhile, and a crash never leaves a half-written key.
        let pending = path.with_extension("key.new");
        crate::files::write_file(&pending, &bytes, true).map_err(write_error)?;
        let linked = std::fs::hard_link(&pending, path);
        let _ = std::fs::remove_file(&pending);
        match linked {
            Ok(()) => {
                tracing::info!(path = %path.display(), "made the key that seals second-factor secrets");
                SecretKey::from_bytes(&bytes).ok_or(Error::Malformed {
                    path: path.to_path_buf(),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                SecretKey::load_or_create(path.parent().unwrap_or(Path::new(".")))
            }
            Err(source) => Err(write_error(source)),
        }
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<SecretKey> {
        if bytes.len() != KEY_LEN {
            return None;
        }
        let key = UnboundKey::new(&CHACHA20_POLY1305, bytes).ok()?;
        Some(SecretKey {
            key: LessSafeKey::new(key),
        })
    }

    /// Encrypts `plain`, bound to `context` (a user id, say), as hex of nonce and
    /// ciphertext. A sealed value moved to another context does not open.
    pub fn seal(&self, plain: &[u8], context: &str) -> Result<String, Error> {
        let mut nonce = [0u8; NONCE_LEN];
        crate::random::fill(&mut nonce).map_err(|e| Error::Random(e.to_string()))?;
        let mut buffer = plain.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut buffer,
            )
            .map_err(|_| Error::Random("sealing failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buffer);
        Ok(hex::encode(out))
    }

    /// The plain bytes, or `None` if `sealed` was altered, made under another key or
    /// for another context.
    pub fn open(&self, sealed: &str, context: &str) -> Option<Vec<u8>> {
        let bytes = hex::decode(sealed).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, cipher) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buffer = cipher.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut buffer)
            .ok()?;
        Some(plain.to_vec())
    }
}

/// A key readable by others is tightened rather than refused: the server can fix it.
#[cfg(unix)]
fn restrict_permissions(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(path = %path.display(), "secret key was readable by others; setting mode 0600");
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
}

#[cfg(not(unix))]
fn restrict_permissions(_: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_private_and_reopens_what_it_sealed() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::load_or_create(dir.path()).unwrap();
        let sealed = key.seal(b"totp secret", "user:1").unwrap();
        assert!(!sealed.contains(&hex::encode(b"totp secret")));
        let again = SecretKey::load_or_create(dir.path()).unwrap();
        assert_eq!(again.open(&sealed, "user:1").unwrap(), b"totp secret");
        assert_eq!(again.open(&sealed, "user:2"), None, "bound to its context");
        let mut tampered = sealed.clone();
        tampered.replace_range(30..32, if &sealed[30..32] == "00" { "01" } else { "00" });
        assert_eq!(again.open(&tampered, "user:1"), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn another_key_opens_nothing_and_a_short_file_is_refused() {
        let one = tempfile::tempdir().unwrap();
        let two = tempfile::tempdir().unwrap();
        let sealed = SecretKey::load_or_create(one.path())
            .unwrap()
            .seal(b"x", "c")
            .unwrap();
        let other = SecretKey::load_or_create(two.path()).unwrap();
        assert_eq!(other.open(&sealed, "c"), None);
        std::fs::write(two.path().join(KEY_FILE), b"short").unwrap();
        assert!(matches!(
            SecretKey::load_or_create(two.path()),
            Err(Error::Malformed { .. })
        ));
    }
}
