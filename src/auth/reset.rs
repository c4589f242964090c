//! Password reset links (S8): an administrator's reset makes a link that works once and
//! for 24 hours, through which the person chooses their own password. Nobody else ever
//! sees that password, and a link found later in a mailbox or a chat is worthless. Only
//! the SHA-256 of the token is stored, as with sessions.

use jiff::{SignedDuration, Timestamp};
use redb::WriteTransaction;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Error, User, UserId, password, session};
use crate::audit::{self, Event};
use crate::store::Tx;
use crate::workflow::Actor;

/// How long a link works.
pub const LIFETIME: SignedDuration = SignedDuration::from_hours(24);

/// The password hash of an account waiting for its reset link: no password matches it.
pub const UNUSABLE: &str = "!reset-pending";

/// The path of a link, before its token.
pub const PATH: &str = "/quan-tri/dat-mat-khau/";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResetLink {
    pub user: UserId,
    pub made_at: Timestamp,
    pub expires_at: Timestamp,
    /// The administrator who made it.
    pub by: String,
}

/// A new link for `user`, made by `by`. Earlier links of that person stop working,
/// and so do their sessions. Returns the token and when it expires.
pub fn issue(
    tx: &WriteTransaction,
    by: &Actor,
    user: UserId,
    now: Timestamp,
) -> Result<(String, Timestamp), Error> {
    let mut target = super::user(tx, user)?.ok_or(Error::NoSuchUser)?;
    if !target.enabled {
        return Err(Error::Invalid {
            field: "enabled",
            message: "Tài khoản đang bị vô hiệu hóa: hãy bật lại tài khoản trước khi tạo liên kết đặt lại mật khẩu.",
        });
    }
    for (key, link) in tables::RESET_LINKS.entries(tx)? {
        if link.user == user || link.expires_at <= now {
            tables::RESET_LINKS.remove(tx, key.as_str())?;
        }
    }
    // A reset is for a password lost or exposed: the old one stops working now, not
    // when the link is used (it stays remembered, so it cannot be chosen again).
    let old = std::mem::replace(&mut target.password_hash, UNUSABLE.to_string());
    if old != UNUSABLE {
        target.previous_hashes.insert(0, old);
        target.previous_hashes.truncate(password::REMEMBERED);
    }
    target.updated_at = now;
    super::tables::USERS.insert(tx, user.0, &target)?;
    let token = hex::encode(crate::random::bytes::<32>()?);
    let expires_at = now + LIFETIME;
    let link = ResetLink {
        user,
        made_at: now,
        expires_at,
        by: by.login.clone(),
    };
    tables::RESET_LINKS.insert(tx, key(&token).as_str(), &link)?;
    let event = Event::new(&by.login, "password_reset_link", &target.login)
        .detail(format!("hết hạn {expires_at}"));
    audit::append(tx, event, now)?;
    session::end_all_for(tx, user)?;
    Ok((token, expires_at))
}

/// The person a link is for, while it works.
pub fn holder(tx: &impl Tx, token: &str, now: Timestamp) -> Result<Option<User>, Error> {
    let Some(link) = tables::RESET_LINKS.get(tx, key(token).as_str())? else {
        return Ok(None);
    };
    if link.expires_at <= now {
        return Ok(None);
    }
    Ok(super::user(tx, link.user)?.filter(|u| u.enabled))
}

/// Sets the password chosen through the link (`hash` of a password that has passed
/// the policy and is none of the last ones) and uses the link up. `Ok(None)`: the link
/// no longer works.
pub fn redeem(
    tx: &WriteTransaction,
    token: &str,
    hash: String,
    now: Timestamp,
) -> Result<Option<User>, Error> {
    let Some(mut user) = holder(tx, token, now)? else {
        return Ok(None);
    };
    tables::RESET_LINKS.remove(tx, key(token).as_str())?;
    // The current hash is the unusable one (the real old one is already remembered).
    user.password_hash = hash;
    user.must_change_password = false;
    user.updated_at = now;
    super::tables::USERS.insert(tx, user.id.0, &user)?;
    super::throttle::clear(tx, &user.login)?;
    audit::append(
        tx,
        Event::new(&user.login, "password_set_by_link", &user.login),
        now,
    )?;
    session::end_all_for(tx, user.id)?;
    Ok(Some(user))
}

fn key(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub mod tables {
    use crate::store::Table;

    /// Password reset links by the SHA-256 (hex) of their token.
    pub const RESET_LINKS: Table<&str, super::ResetLink> = Table::new("reset_links_v1");
}

/// Forgets every link of `user` (their password was set another way, or the account
/// was disabled).
pub fn forget_for(tx: &WriteTransaction, user: UserId) -> Result<(), Error> {
    for (key, link) in tables::RESET_LINKS.entries(tx)? {
        if link.user == user {
            tables::RESET_LINKS.remove(tx, key.as_str())?;
        }
    }
    Ok(())
}
