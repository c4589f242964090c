//! Server-side sessions. The browser holds a random 256-bit token in a `__Host-` cookie;
//! the store keeps only its SHA-256, so a copy of the database opens no session. Each
//! session carries its own CSRF token for forms.

use jiff::{SignedDuration, Timestamp};
use redb::WriteTransaction;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Error, UserId};
use crate::store::{self, Tx};

pub const COOKIE: &str = "__Host-trangtin";

/// How long sessions live; `[sessions]` in the config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// A session unused this long ends.
    pub idle: SignedDuration,
    /// No session lives longer than this.
    pub absolute: SignedDuration,
}

impl Default for Lifetimes {
    fn default() -> Lifetimes {
        Lifetimes {
            idle: SignedDuration::from_mins(30),
            absolute: SignedDuration::from_hours(12),
        }
    }
}
/// `last_seen` is rewritten at most this often, to spare a write per request.
const TOUCH_EVERY: SignedDuration = SignedDuration::from_mins(1);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub user: UserId,
    pub csrf: String,
    pub created_at: Timestamp,
    pub last_seen: Timestamp,
    /// Where it signed in from, shown on "my sessions".
    #[serde(default)]
    pub ip: String,
    /// The browser's User-Agent, cut short.
    #[serde(default)]
    pub device: String,
    /// The password was right but the second factor is still to come: such a session
    /// opens nothing but the code page, and only for a few minutes.
    #[serde(default)]
    pub awaiting_second_factor: bool,
}

/// How long the code page waits after the password.
pub const SECOND_FACTOR_WAIT: SignedDuration = SignedDuration::from_mins(5);

impl Session {
    fn expired(&self, now: Timestamp, life: &Lifetimes) -> bool {
        if self.awaiting_second_factor {
            return now.duration_since(self.created_at) > SECOND_FACTOR_WAIT;
        }
        now.duration_since(self.last_seen) > life.idle
            || now.duration_since(self.created_at) > life.absolute
    }
}

/// Where and how a session was started.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: String,
    pub device: String,
}

fn random_hex(bytes: usize) -> Result<String, Error> {
    let mut buf = vec![0u8; bytes];
    crate::random::fill(&mut buf).map_err(|e| Error::Hash(format!("no randomness: {e}")))?;
    Ok(hex::encode(buf))
}

fn key(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Starts a session; returns the token for the cookie.
pub fn start(
    tx: &WriteTransaction,
    user: UserId,
    origin: Origin,
    now: Timestamp,
) -> Result<(String, Session), Error> {
    begin(tx, user, origin, now, false)
}

/// Starts the short half-session between a right password and the second factor.
pub fn start_awaiting_second_factor(
    tx: &WriteTransaction,
    user: UserId,
    origin: Origin,
    now: Timestamp,
) -> Result<(String, Session), Error> {
    begin(tx, user, origin, now, true)
}

fn begin(
    tx: &WriteTransaction,
    user: UserId,
    origin: Origin,
    now: Timestamp,
    awaiting_second_factor: bool,
) -> Result<(String, Session), Error> {
    let token = random_hex(32)?;
    let session = Session {
        user,
        csrf: random_hex(32)?,
        created_at: now,
        last_seen: now,
        ip: origin.ip,
        device: origin.device.chars().take(200).collect(),
        awaiting_second_factor,
    };
    super::tables::SESSIONS.insert(tx, key(&token).as_str(), &session)?;
    Ok((token, session))
}

/// The live, fully signed-in session for `token`, if any.
pub fn find(
    tx: &impl Tx,
    token: &str,
    now: Timestamp,
    life: &Lifetimes,
) -> Result<Option<Session>, Error> {
    Ok(find_any(tx, token, now, life)?.filter(|s| !s.awaiting_second_factor))
}

/// The live session for `token` that waits for its second factor, if any.
pub fn find_awaiting_second_factor(
    tx: &impl Tx,
    token: &str,
    now: Timestamp,
) -> Result<Option<Session>, Error> {
    Ok(find_any(tx, token, now, &Lifetimes::default())?.filter(|s| s.awaiting_second_factor))
}

fn find_any(
    tx: &impl Tx,
    token: &str,
    now: Timestamp,
    life: &Lifetimes,
) -> Result<Option<Session>, Error> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(super::tables::SESSIONS
        .get(tx, key(token).as_str())?
        .filter(|s| !s.expired(now, life)))
}

/// A session as its owner sees it: `id` is the stored key (the token's hash), which
/// names the session without being able to open it.
#[derive(Debug, Clone)]
pub struct Listed {
    pub id: String,
    pub session: Session,
    pub current: bool,
}

/// A user's live sessions, most recently used first.
pub fn list_for(
    tx: &impl Tx,
    user: UserId,
    current_token: &str,
    now: Timestamp,
    life: &Lifetimes,
) -> Result<Vec<Listed>, Error> {
    let current = key(current_token);
    let mut listed: Vec<Listed> = super::tables::SESSIONS
        .entries(tx)?
        .into_iter()
        .filter(|(_, s)| s.user == user && !s.awaiting_second_factor && !s.expired(now, life))
        .map(|(id, session)| Listed {
            current: id == current,
            id,
            session,
        })
        .collect();
    listed.sort_by_key(|l| std::cmp::Reverse(l.session.last_seen));
    Ok(listed)
}

/// Ends the session stored under `id` if it belongs to `user`; returns whether it did.
pub fn end_by_id(tx: &WriteTransaction, user: UserId, id: &str) -> Result<bool, Error> {
    if super::tables::SESSIONS
        .get(tx, id)?
        .is_none_or(|s| s.user != user)
    {
        return Ok(false);
    }
    tx.open_table(super::tables::SESSIONS.definition())
        .map_err(store::Error::from)?
        .remove(id)
        .map_err(store::Error::from)?;
    Ok(true)
}

/// Ends every session of `user` but the one holding `keep_token`.
pub fn end_others(tx: &WriteTransaction, user: UserId, keep_token: &str) -> Result<(), Error> {
    let keep = key(keep_token);
    let mut table = tx
        .open_table(super::tables::SESSIONS.definition())
        .map_err(store::Error::from)?;
    table
        .retain(|k, value| {
            k == keep || serde_json::from_slice::<Session>(value).map_or(true, |s| s.user != user)
        })
        .map_err(store::Error::from)?;
    Ok(())
}

/// Whether `last_seen` is old enough to be worth a write.
pub fn needs_touch(session: &Session, now: Timestamp) -> bool {
    now.duration_since(session.last_seen) > TOUCH_EVERY
}

pub fn touch(tx: &WriteTransaction, token: &str, now: Timestamp) -> Result<(), Error> {
    let k = key(token);
    if let Some(mut session) = super::tables::SESSIONS.get(tx, k.as_str())? {
        session.last_seen = now;
        super::tables::SESSIONS.insert(tx, k.as_str(), &session)?;
    }
    Ok(())
}

pub fn end(tx: &WriteTransaction, token: &str) -> Result<(), Error> {
    tx.open_table(super::tables::SESSIONS.definition())
        .map_err(store::Error::from)?
        .remove(key(token).as_str())
        .map_err(store::Error::from)?;
    Ok(())
}

/// Ends every session of a user (account disabled, password changed).
pub fn end_all_for(tx: &WriteTransaction, user: UserId) -> Result<(), Error> {
    let mut table = tx
        .open_table(super::tables::SESSIONS.definition())
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
        let life = Lifetimes::default();
        let (token, _) = store
            .write_blocking(|tx| start(tx, UserId(1), Origin::default(), t0))
            .unwrap();
        let raw = store
            .read_blocking(|tx| crate::auth::tables::SESSIONS.get(tx, token.as_str()))
            .unwrap();
        assert!(raw.is_none(), "the token itself is not a key");
        let at = |secs: i64| t0.checked_add(SignedDuration::from_secs(secs)).unwrap();
        assert!(
            store
                .read_blocking(|tx| find(tx, &token, at(60), &life))
                .unwrap()
                .is_some()
        );
        assert!(
            store
                .read_blocking(|tx| find(tx, &token, at(31 * 60), &life))
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .read_blocking(|tx| find(tx, "zz", t0, &life))
                .unwrap()
                .is_none()
        );
        store
            .write_blocking(|tx| end_all_for(tx, UserId(1)))
            .unwrap();
        assert!(
            store
                .read_blocking(|tx| find(tx, &token, t0, &life))
                .unwrap()
                .is_none()
        );
    }
}
