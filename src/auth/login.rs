//! The transactional steps of signing in. Each step is one write transaction that
//! writes its own audit records, so the trail and the state never disagree. The
//! protocol that strings them together (throttling, the decoy hash, delays) is
//! `App::attempt_login` and `App::attempt_code`.

use std::net::IpAddr;

use jiff::Timestamp;
use redb::WriteTransaction;

use super::{Error, User, UserId, session, throttle};
use crate::audit::{self, Event};

/// A failed login step, as the audit trail records it.
pub struct Failure<'a> {
    /// The login as typed (an unknown one locks too).
    pub login: &'a str,
    pub ip: IpAddr,
    /// `login_failed`, `login_refused_locked`, `second_factor_failed`.
    pub action: &'a str,
    pub detail: Option<&'a str>,
    /// Whether it counts towards the lock.
    pub counts: bool,
}

/// Records a failed step and counts it; returns whether it locked the account.
pub fn refuse(
    tx: &WriteTransaction,
    policy: &throttle::Policy,
    failure: &Failure,
    now: Timestamp,
) -> Result<bool, Error> {
    let Failure {
        login,
        ip,
        action,
        detail,
        counts,
    } = *failure;
    let address = ip.to_string();
    let mut event = Event::new(login, action, login).ip(&address);
    if let Some(detail) = detail {
        event = event.detail(detail);
    }
    audit::append(tx, event, now)?;
    let newly_locked = counts && throttle::fail(tx, policy, login, now)?;
    if newly_locked {
        let detail = format!(
            "{} failures in {} minutes",
            policy.max_failures,
            policy.window.as_mins()
        );
        let event = Event::new("", "locked", login).ip(&address).detail(detail);
        audit::append(tx, event, now)?;
        // Administrators hear of a locked account, in the same transaction; a guessed
        // login that does not exist is in the audit trail only.
        if super::find_by_login(tx, login).ok().flatten().is_some() {
            crate::mail::notify::alert_administrators(
                tx,
                "Một tài khoản bị khóa tạm thời",
                &format!(
                    "Tài khoản “{login}” bị khóa tạm thời sau {} lần đăng nhập sai trong {} phút (từ địa chỉ {address}). Nếu đó không phải người dùng quên mật khẩu, có thể có người đang dò mật khẩu.",
                    policy.max_failures,
                    policy.window.as_mins()
                ),
                now,
                crate::mail::origin_placeholder(),
            )?;
        }
    }
    Ok(newly_locked)
}

/// Replaces a hash made with weaker parameters than today's, while the password is at
/// hand.
pub fn rehash(
    tx: &WriteTransaction,
    user: &User,
    hash: String,
    now: Timestamp,
) -> Result<(), Error> {
    super::set_password_hash(tx, user.id, hash, user.must_change_password, now)?;
    let event = Event::new(&user.login, "password_rehashed", &user.login);
    audit::append(tx, event, now)?;
    Ok(())
}

/// The password was right and a code is owed: a half-session for the code step. The
/// session the browser brought (`previous`) ends: nobody keeps a known id.
pub fn await_code(
    tx: &WriteTransaction,
    user: UserId,
    origin: session::Origin,
    previous: Option<&str>,
    now: Timestamp,
) -> Result<String, Error> {
    if let Some(previous) = previous {
        session::end(tx, previous)?;
    }
    Ok(session::start_awaiting_second_factor(tx, user, origin, now)?.0)
}

/// The last step of every login: ends the session the browser brought (a planted id,
/// or the half-session of the password step), clears the failure count, records the
/// login and starts a fresh session, whose token it returns. `how` says which
/// factors were shown.
pub fn finish(
    tx: &WriteTransaction,
    user: &User,
    ip: IpAddr,
    origin: session::Origin,
    previous: Option<&str>,
    how: &str,
    now: Timestamp,
) -> Result<String, Error> {
    if let Some(previous) = previous {
        session::end(tx, previous)?;
    }
    throttle::clear(tx, &user.login)?;
    let event = Event::new(&user.login, "login", &user.login)
        .ip(ip.to_string())
        .detail(how);
    audit::append(tx, event, now)?;
    super::record_login(tx, user.id, now)?;
    Ok(session::start(tx, user.id, origin, now)?.0)
}
