//! Server-side sessions. The browser holds a random 256-bit token in a `__Host-` cookie;
//! the store keeps only its SHA-256, so a copy of the database opens no session. Each
//! session carries its own CSRF token for forms.

use jiff::{SignedDuration, Timestamp};
use redb::WriteTransaction;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Error, UserId};
use crate::store::{self, Tx, tables};

pub const COOKIE: &str = "__Host-trangtin";
/// A session unused this long ends.
pub const IDLE: SignedDuration = SignedDuration::from_hours(2);
/// No session lives longer than this.
pub const ABSOLUTE: SignedDuration = SignedDuration::from_hours(12);
/// `last_seen` is rewritten at most this often, to spare a write per request.
const TOUCH_EVERY: SignedDuration = SignedDuration::from_mins(1);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub user: UserId,
    pub csrf: String,
    pub created_at: Timestamp,
    pub last_seen: Timestamp,
}

impl Session {
    fn expired(&self, now: Timestamp) -> bool {
        now.duration_since(self.last_seen) > IDLE || now.duration_since(self.created_at) > ABSOLUTE
    }
}

fn random_hex(bytes: usize) -> Result<String, Error> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| Error::Hash(format!("no randomness: {e}")))?;
    Ok(hex::encode(buf))
}

fn key(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Starts a session; returns the token for the cookie.
pub fn start(
    tx: &WriteTransaction,
    user: UserId,
    now: Timestamp,
) -> Result<(String, Session), Error> {
    let token = random_hex(32)?;
    let session = Session {
        user,
        csrf: random_hex(32)?,
        created_at: now,
        last_seen: now,
    };
    tables::SESSIONS.insert(tx, key(&token).as_str(), &session)?;
    Ok((token, session))
}

/// The live session for `token`, if any.
pub fn find(tx: &impl Tx, token: &str, now: Timestamp) -> Result<Option<Session>, Error> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(tables::SESSIONS
        .get(tx, key(token).as_str())?
        .filter(|s| !s.expired(now)))
}

/// Whether `last_seen` is old enough to be worth a write.
pub fn needs_touch(session: &Session, now: Timestamp) -> bool {
    now.duration_since(session.last_seen) > TOUCH_EVERY
}

pub fn touch(tx: &WriteTransaction, token: &str, now: Timestamp) -> Result<(), Error> {
    let k = key(token);
    if let Some(mut session) = tables::SESSIONS.get(tx, k.as_str())? {
        session.last_seen = now;
        tables::SESSIONS.insert(tx, k.as_str(), &session)?;
    }
    Ok(())
}

pub fn end(tx: &WriteTransaction, token: &str) -> Result<(), Error> {
    tx.open_table(tables::SESSIONS.definition())
        .map_err(store::Error::from)?
        .remove(key(token).as_str())
        .map_err(store::Error::from)?;
    Ok(())
}

/// Ends every session of a user (account disabled, password changed).
pub fn end_all_for(tx: &WriteTransaction, user: UserId) -> Result<(), Error> {
    let mut table = tx
        .open_table(tables::SESSIONS.definition())
        .map_err(store::Error::from)?;
    table
        .retain(|_, value| {
            serde_json::from_slice::<Session>(value).map_or(true, |s| s.user != user)
        })
        .map_err(store::Error::from)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn sessions_expire_when_idle_or_old_and_are_stored_hashed() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let (token, _) = store.write_blocking(|tx| start(tx, UserId(1), t0)).unwrap();
        let raw = store
            .read_blocking(|tx| tables::SESSIONS.get(tx, token.as_str()))
            .unwrap();
        assert!(raw.is_none(), "the token itself is not a key");
        let at = |secs: i64| t0.checked_add(SignedDuration::from_secs(secs)).unwrap();
        assert!(
            store
                .read_blocking(|tx| find(tx, &token, at(60)))
                .unwrap()
                .is_some()
        );
        assert!(
            store
                .read_blocking(|tx| find(tx, &token, at(3 * 3600)))
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .read_blocking(|tx| find(tx, "zz", t0))
                .unwrap()
                .is_none()
        );
        store
            .write_blocking(|tx| end_all_for(tx, UserId(1)))
            .unwrap();
        assert!(
            store
                .read_blocking(|tx| find(tx, &token, t0))
                .unwrap()
                .is_none()
        );
    }
}
