//! Guessing passwords is slowed and stopped: failures are counted per account in the
//! store (so a lock survives a restart) and per address in memory. After
//! `max_failures` within `window` the account locks for `window`; an administrator can
//! unlock it sooner. Every answer takes the same work whether or not the account exists.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};
use redb::WriteTransaction;
use serde::{Deserialize, Serialize};

use crate::store::{self, Tx};

/// How much guessing is tolerated; `[login]` in the config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures per account before it locks.
    pub max_failures: usize,
    /// The window failures are counted in, and how long a lock lasts.
    pub window: SignedDuration,
    /// Failures per address (across accounts) within the window before it is refused.
    pub max_failures_per_address: usize,
    /// How much longer each further failure from an address waits for its answer.
    pub delay_step: std::time::Duration,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            max_failures: 5,
            window: SignedDuration::from_mins(15),
            max_failures_per_address: 30,
            delay_step: std::time::Duration::from_millis(250),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Failures {
    /// Times of recent failures, oldest first.
    pub times: Vec<Timestamp>,
    #[serde(default)]
    pub locked_until: Option<Timestamp>,
}

/// When the lock on `login` ends, if it is locked now.
pub fn locked_until(
    tx: &impl Tx,
    login: &str,
    now: Timestamp,
) -> Result<Option<Timestamp>, store::Error> {
    Ok(super::tables::LOGIN_FAILURES
        .get(tx, login)?
        .and_then(|f| f.locked_until)
        .filter(|until| *until > now))
}

/// Whether `login` is locked now.
pub fn locked(tx: &impl Tx, login: &str, now: Timestamp) -> Result<bool, store::Error> {
    Ok(locked_until(tx, login, now)?.is_some())
}

/// Records a failure; returns true when this one locked the account.
pub fn fail(
    tx: &WriteTransaction,
    policy: &Policy,
    login: &str,
    now: Timestamp,
) -> Result<bool, store::Error> {
    let mut f = super::tables::LOGIN_FAILURES
        .get(tx, login)?
        .unwrap_or_default();
    f.times.retain(|t| now.duration_since(*t) < policy.window);
    f.times.push(now);
    let newly_locked =
        f.times.len() >= policy.max_failures && f.locked_until.is_none_or(|u| u <= now);
    if newly_locked {
        f.locked_until = now.checked_add(policy.window).ok();
        f.times.clear();
    }
    super::tables::LOGIN_FAILURES.insert(tx, login, &f)?;
    Ok(newly_locked)
}

/// Clears the count after a good login, or when an administrator unlocks.
pub fn clear(tx: &WriteTransaction, login: &str) -> Result<(), store::Error> {
    tx.open_table(super::tables::LOGIN_FAILURES.definition())?
        .remove(login)?;
    Ok(())
}

/// Failures per remote address, in memory.
#[derive(Default)]
pub struct AddressLimit {
    failures: Mutex<HashMap<IpAddr, Vec<Timestamp>>>,
}

impl AddressLimit {
    /// How many failures this address has in the window.
    pub fn count(&self, ip: IpAddr, window: SignedDuration, now: Timestamp) -> usize {
        let mut map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(times) = map.get_mut(&ip) else {
            return 0;
        };
        times.retain(|t| now.duration_since(*t) < window);
        times.len()
    }

    pub fn fail(&self, ip: IpAddr, window: SignedDuration, now: Timestamp) {
        let mut map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(ip).or_default().push(now);
        // Bound the map: forget addresses with nothing recent.
        if map.len() > 10_000 {
            map.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < window));
        }
    }
}

impl Policy {
    /// The pause before answering a failed login: none for the first few from an
    /// address, then one `delay_step` more per failure, up to eight steps. Known and
    /// unknown logins wait alike.
    pub fn delay(&self, failures_from_address: usize) -> std::time::Duration {
        let beyond = failures_from_address.saturating_sub(3).min(8) as u32;
        self.delay_step * beyond
    }
}

/// For administrators: accounts locked now after failed logins.
pub fn waiting_for(
    tx: &impl Tx,
    actor: &crate::workflow::Actor,
    now: Timestamp,
) -> Result<Vec<crate::inbox::Waiting>, store::Error> {
    if !actor.has(crate::workflow::Role::Administrator) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for user in super::tables::USERS.values(tx)? {
        if locked(tx, &user.login, now)? {
            out.push(crate::inbox::Waiting::new(
                "/quan-tri/nguoi-dung",
                "Tài khoản bị khóa do đăng nhập sai nhiều lần",
                format!("{} ({})", user.name, user.login),
                format!("/quan-tri/nguoi-dung/{}", user.id.0),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn five_failures_lock_for_the_window_and_clear_unlocks() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let at = |s: i64| t0.checked_add(SignedDuration::from_secs(s)).unwrap();
        let policy = Policy::default();
        for i in 0..4 {
            assert!(
                !store
                    .write_blocking(|tx| fail(tx, &policy, "donvi", at(i)))
                    .unwrap()
            );
        }
        assert!(
            store
                .write_blocking(|tx| fail(tx, &policy, "donvi", at(5)))
                .unwrap()
        );
        assert!(
            store
                .read_blocking(|tx| locked(tx, "donvi", at(6)))
                .unwrap()
        );
        assert!(
            !store
                .read_blocking(|tx| locked(tx, "donvi", at(5 + 15 * 60 + 1)))
                .unwrap()
        );
        store
            .write_blocking(|tx| fail(tx, &policy, "donvi", at(10)))
            .unwrap();
        store.write_blocking(|tx| clear(tx, "donvi")).unwrap();
        assert!(
            !store
                .read_blocking(|tx| locked(tx, "donvi", at(11)))
                .unwrap()
        );
    }
}
