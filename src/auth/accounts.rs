//! Account administration as domain commands. Each takes the acting person, runs in
//! the caller's one write transaction and writes its audit record there, so the change
//! and its record commit together. The admin pages and the control socket (`trangtin
//! user …`) call the same functions: the rules below hold whichever way in is used.

use jiff::Timestamp;
use redb::WriteTransaction;

use super::sealing::SecretKey;
use super::second_factor::{self, NewSecret};
use super::{
    Error, Grant, NewUser, User, UserEdit, UserId, password, session, throttle, user as find,
};
use crate::audit::{self, Event};
use crate::workflow::{Actor, Delegation, Role};

fn record(
    tx: &WriteTransaction,
    by: &Actor,
    action: &str,
    target: &str,
    detail: Option<String>,
    now: Timestamp,
) -> Result<(), Error> {
    let mut event = Event::new(&by.login, action, target);
    if let Some(detail) = detail {
        event = event.detail(detail);
    }
    audit::append(tx, event, now)?;
    Ok(())
}

fn existing(tx: &WriteTransaction, id: UserId) -> Result<User, Error> {
    find(tx, id)?.ok_or(Error::NoSuchUser)
}

/// A new account with an already-hashed password (`one_time`: to be changed at the
/// first login).
pub fn create(
    tx: &WriteTransaction,
    by: &Actor,
    new: NewUser,
    hash: String,
    one_time: bool,
    now: Timestamp,
) -> Result<User, Error> {
    let user = super::create_user(tx, new, hash, one_time, now)?;
    let roles = format!("{:?}", user.roles);
    record(tx, by, "user_created", &user.login, Some(roles), now)?;
    Ok(user)
}

/// Saves an account's name, unit, roles and whether it is enabled.
///
/// Two rules hold here and nowhere else: an administrator cannot lock themselves out
/// (their own account stays enabled and an administrator), and new roles end the
/// person's sessions (new standing, new session ids). A change of roles needs the
/// acting person's password confirmed (`confirmed`). When they change their own
/// roles, `own_session` (their token and where it began) is replaced, and the new
/// token is returned.
pub fn update(
    tx: &WriteTransaction,
    by: &Actor,
    id: UserId,
    mut edit: UserEdit,
    confirmed: bool,
    own_session: Option<(&str, session::Origin)>,
    now: Timestamp,
) -> Result<Option<String>, Error> {
    let current = existing(tx, id)?;
    let own = id.0 == by.user;
    if own {
        edit.enabled = true;
        if !edit.roles.contains(&Role::Administrator) {
            edit.roles.push(Role::Administrator);
        }
    }
    let mut wanted = edit.roles.clone();
    wanted.sort();
    wanted.dedup();
    let roles_changed = current.roles != wanted;
    if roles_changed && !confirmed {
        return Err(Error::ConfirmationRequired);
    }
    let detail = format!("roles {:?}, enabled {}", edit.roles, edit.enabled);
    super::update_user(tx, id, edit, now)?;
    record(tx, by, "user_updated", &current.login, Some(detail), now)?;
    if !roles_changed {
        return Ok(None);
    }
    if let Some((token, origin)) = own_session.filter(|_| own) {
        session::end(tx, token)?;
        Ok(Some(session::start(tx, id, origin, now)?.0))
    } else {
        session::end_all_for(tx, id)?;
        Ok(None)
    }
}

/// A one-time password chosen by an administrator; the person's sessions end.
pub fn reset_password(
    tx: &WriteTransaction,
    by: &Actor,
    id: UserId,
    hash: String,
    now: Timestamp,
) -> Result<(), Error> {
    let user = existing(tx, id)?;
    super::set_password_hash(tx, id, hash, true, now)?;
    record(tx, by, "password_reset", &user.login, None, now)?;
    session::end_all_for(tx, id)
}

/// A password set by the operator (`trangtin user passwd`): not one of the last
/// ones, and the way back into an account disabled for inactivity. Sessions end.
pub fn set_password(
    tx: &WriteTransaction,
    by: &Actor,
    login: &str,
    new_password: &str,
    hash: String,
    now: Timestamp,
) -> Result<(), Error> {
    let user = super::find_by_login(tx, login)?.ok_or(Error::NoSuchUser)?;
    if password::reused(new_password, &user.password_hash, &user.previous_hashes) {
        return Err(Error::PasswordReused);
    }
    super::set_password_hash(tx, user.id, hash, false, now)?;
    if !user.enabled {
        let edit = UserEdit {
            name: user.name.clone(),
            unit: user.unit,
            roles: user.roles.clone(),
            enabled: true,
        };
        super::update_user(tx, user.id, edit, now)?;
    }
    record(tx, by, "password_set", login, None, now)?;
    session::end_all_for(tx, user.id)
}

/// Ends a lock from failed logins early.
pub fn unlock(tx: &WriteTransaction, by: &Actor, id: UserId, now: Timestamp) -> Result<(), Error> {
    let user = existing(tx, id)?;
    throttle::clear(tx, &user.login)?;
    record(tx, by, "unlocked", &user.login, None, now)
}

/// Ends every session of the account.
pub fn end_sessions(
    tx: &WriteTransaction,
    by: &Actor,
    id: UserId,
    now: Timestamp,
) -> Result<(), Error> {
    let user = existing(tx, id)?;
    session::end_all_for(tx, id)?;
    record(tx, by, "sessions_revoked", &user.login, None, now)
}

/// Ends every session of the acting person but the one they are using.
pub fn end_other_sessions(
    tx: &WriteTransaction,
    by: &Actor,
    keep: &str,
    now: Timestamp,
) -> Result<(), Error> {
    session::end_others(tx, UserId(by.user), keep)?;
    record(tx, by, "sessions_revoked", &by.login, None, now)
}

/// Ends one of the acting person's sessions, named by its public id.
pub fn end_own_session(
    tx: &WriteTransaction,
    by: &Actor,
    id: &str,
    now: Timestamp,
) -> Result<(), Error> {
    if session::end_by_id(tx, UserId(by.user), id)? {
        let short: String = id.chars().take(12).collect();
        record(tx, by, "session_revoked", &by.login, Some(short), now)?;
    }
    Ok(())
}

/// Removes a person's second factor (a lost phone with no recovery codes left): their
/// sessions end and they choose a new password and enrol again at the next login.
/// Fails with `NoSecondFactor` when there is none, changing nothing.
pub fn reset_second_factor(
    tx: &WriteTransaction,
    by: &Actor,
    id: UserId,
    now: Timestamp,
) -> Result<(), Error> {
    let user = existing(tx, id)?;
    if !second_factor::remove(tx, id)? {
        return Err(Error::NoSecondFactor);
    }
    super::require_password_change(tx, id, now)?;
    session::end_all_for(tx, id)?;
    record(tx, by, "second_factor_reset", &user.login, None, now)
}

/// A person's own new password: every session of theirs ends, and the one they are
/// using is replaced by the returned token.
pub fn change_own_password(
    tx: &WriteTransaction,
    by: &Actor,
    hash: String,
    origin: session::Origin,
    now: Timestamp,
) -> Result<String, Error> {
    let id = UserId(by.user);
    super::set_password_hash(tx, id, hash, false, now)?;
    record(tx, by, "password_changed", &by.login, None, now)?;
    session::end_all_for(tx, id)?;
    Ok(session::start(tx, id, origin, now)?.0)
}

/// What enrolling a second factor gave: the recovery codes (shown once) and the new
/// session that replaces every earlier one.
pub struct Enrolled {
    pub recovery_codes: Vec<String>,
    pub token: String,
    pub session: session::Session,
}

/// Enrols the acting person's authenticator app, if `code` is right for `secret`.
pub fn enrol_second_factor(
    tx: &WriteTransaction,
    by: &Actor,
    key: &SecretKey,
    secret: &NewSecret,
    code: &str,
    origin: session::Origin,
    now: Timestamp,
) -> Result<Option<Enrolled>, Error> {
    let id = UserId(by.user);
    // A new factor replaces nothing: a present one is turned off first.
    if second_factor::is_enrolled(tx, id)? {
        return Err(Error::AlreadyEnrolled);
    }
    let Some(recovery_codes) = second_factor::enrol(tx, key, id, secret, code, now)? else {
        return Ok(None);
    };
    record(tx, by, "second_factor_enrolled", &by.login, None, now)?;
    // More standing, a new session id; and every other session of this person,
    // opened with the password alone, ends with it.
    session::end_all_for(tx, id)?;
    let (token, session) = session::start(tx, id, origin, now)?;
    Ok(Some(Enrolled {
        recovery_codes,
        token,
        session,
    }))
}

/// New recovery codes for the acting person; the old ones stop working.
pub fn renew_recovery_codes(
    tx: &WriteTransaction,
    by: &Actor,
    now: Timestamp,
) -> Result<Vec<String>, Error> {
    let codes = second_factor::renew_recovery_codes(tx, UserId(by.user))?;
    record(tx, by, "recovery_codes_renewed", &by.login, None, now)?;
    Ok(codes)
}

/// Turns the acting person's second factor off; the shorter password it allowed may
/// no longer do, so a new one is required.
pub fn turn_off_second_factor(
    tx: &WriteTransaction,
    by: &Actor,
    now: Timestamp,
) -> Result<(), Error> {
    let id = UserId(by.user);
    if second_factor::remove(tx, id)? {
        record(tx, by, "second_factor_removed", &by.login, None, now)?;
        super::require_password_change(tx, id, now)?;
    }
    Ok(())
}

/// The Board head lets a delegate approve for a period.
pub fn grant_delegation(
    tx: &WriteTransaction,
    by: &Actor,
    grant: Grant,
    now: Timestamp,
) -> Result<Delegation, Error> {
    let grantor = existing(tx, UserId(by.user))?;
    let d = super::grant_delegation(tx, &grantor, grant, now)?;
    let detail = format!("to user #{}", d.delegate);
    record(
        tx,
        by,
        "delegation_granted",
        &d.id.to_string(),
        Some(detail),
        now,
    )?;
    Ok(d)
}

/// The Board head takes a delegation back.
pub fn revoke_delegation(
    tx: &WriteTransaction,
    by: &Actor,
    id: u64,
    now: Timestamp,
) -> Result<(), Error> {
    let grantor = existing(tx, UserId(by.user))?;
    super::revoke_delegation(tx, &grantor, id)?;
    record(tx, by, "delegation_revoked", &id.to_string(), None, now)
}
