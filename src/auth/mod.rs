//! Accounts: users, units, sessions and approval delegations. Passwords are stored
//! only as argon2id hashes; session tokens only as their SHA-256.

pub mod accounts;
pub mod bootstrap;
pub mod login;
pub mod password;
pub mod reset;
pub mod sealing;
pub mod second_factor;
pub mod session;
pub mod throttle;

use jiff::Timestamp;
use jiff::civil::Date;
use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::content::Kind;
use crate::store::{self, Tx};
use crate::workflow::{Actor, Delegation, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub u64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnitId(pub u64);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub login: String,
    pub name: String,
    #[serde(default)]
    pub unit: Option<UnitId>,
    pub roles: Vec<Role>,
    pub enabled: bool,
    pub password_hash: String,
    /// Set for one-time passwords: the next login must choose a new one.
    #[serde(default)]
    pub must_change_password: bool,
    /// The hashes of earlier passwords, newest first, so they are not chosen again.
    #[serde(default)]
    pub previous_hashes: Vec<String>,
    #[serde(default)]
    pub last_login: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Where the person is told of work waiting for them ("" = not told).
    #[serde(default)]
    pub email: String,
    /// How they want to be told.
    #[serde(default)]
    pub mail: MailChoice,
}

/// How a person wants to hear of work waiting for them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailChoice {
    /// A message at each step that waits for them.
    #[default]
    Immediate,
    /// One message on working days at the digest time.
    Digest,
    /// No mail.
    Off,
}

impl MailChoice {
    pub const ALL: [MailChoice; 3] = [MailChoice::Immediate, MailChoice::Digest, MailChoice::Off];

    pub fn as_str(self) -> &'static str {
        match self {
            MailChoice::Immediate => "immediate",
            MailChoice::Digest => "digest",
            MailChoice::Off => "off",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MailChoice::Immediate => "Gửi thư ngay khi có việc",
            MailChoice::Digest => "Một thư tổng hợp mỗi ngày làm việc",
            MailChoice::Off => "Không gửi thư",
        }
    }
}

/// A phòng or đơn vị.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    pub id: UnitId,
    pub name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    /// A field the person must correct; the message is Vietnamese, for pages.
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        message: &'static str,
    },
    #[error(transparent)]
    Random(#[from] crate::random::Error),
    #[error("no such user")]
    NoSuchUser,
    #[error("no such unit")]
    NoSuchUnit,
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// A change of roles needs the acting person's password again.
    #[error("the acting person's password must confirm this change")]
    ConfirmationRequired,
    #[error("the password is the current or one of the last ones")]
    PasswordReused,
    #[error("the account has no second factor")]
    NoSecondFactor,
    #[error("the account already has a second factor")]
    AlreadyEnrolled,
}

fn invalid(field: &'static str, message: &'static str) -> Error {
    Error::Invalid { field, message }
}

/// What a new account starts with.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub login: String,
    pub name: String,
    pub unit: Option<UnitId>,
    pub roles: Vec<Role>,
}

pub fn valid_login(login: &str) -> bool {
    (2..=32).contains(&login.len())
        && login.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_' || b == b'-'
        })
}

/// Creates an account with an already-hashed password.
pub fn create_user(
    tx: &WriteTransaction,
    new: NewUser,
    password_hash: String,
    must_change_password: bool,
    now: Timestamp,
) -> Result<User, Error> {
    let login = new.login.trim().to_string();
    if !valid_login(&login) {
        return Err(invalid(
            "login",
            "Tên đăng nhập gồm 2–32 chữ thường không dấu, chữ số, dấu chấm, gạch dưới hoặc gạch ngang.",
        ));
    }
    if new.name.trim().is_empty() {
        return Err(invalid("name", "Vui lòng nhập họ và tên."));
    }
    if let Some(unit) = new.unit
        && tables::UNITS.get(tx, unit.0)?.is_none()
    {
        return Err(Error::NoSuchUnit);
    }
    let mut logins = tx.open_table(tables::LOGINS).map_err(store::Error::from)?;
    if logins
        .get(login.as_str())
        .map_err(store::Error::from)?
        .is_some()
    {
        return Err(invalid("login", "Tên đăng nhập này đã có người dùng."));
    }
    let id = UserId(store::next_id(tx, "users")?);
    let mut roles = new.roles;
    roles.sort();
    roles.dedup();
    let user = User {
        id,
        login: login.clone(),
        // The command line's names too are stored composed (NFC).
        name: unicode_normalization::UnicodeNormalization::nfc(new.name.trim()).collect(),
        unit: new.unit,
        roles,
        enabled: true,
        password_hash,
        must_change_password,
        previous_hashes: Vec::new(),
        last_login: None,
        created_at: now,
        updated_at: now,
        email: String::new(),
        mail: MailChoice::default(),
    };
    logins
        .insert(login.as_str(), id.0)
        .map_err(store::Error::from)?;
    tables::USERS.insert(tx, id.0, &user)?;
    Ok(user)
}

pub fn user(tx: &impl Tx, id: UserId) -> Result<Option<User>, Error> {
    Ok(tables::USERS.get(tx, id.0)?)
}

pub fn find_by_login(tx: &impl Tx, login: &str) -> Result<Option<User>, Error> {
    let Some(id) = store::get_plain(tx, tables::LOGINS, login.trim(), |v| v)? else {
        return Ok(None);
    };
    user(tx, UserId(id))
}

pub fn users(tx: &impl Tx) -> Result<Vec<User>, Error> {
    let mut all = tables::USERS.values(tx)?;
    all.sort_by(|a, b| a.login.cmp(&b.login));
    Ok(all)
}

/// Replaces the password hash (and whether it must be changed at next login).
pub fn set_password_hash(
    tx: &WriteTransaction,
    id: UserId,
    password_hash: String,
    must_change_password: bool,
    now: Timestamp,
) -> Result<User, Error> {
    let mut user = user(tx, id)?.ok_or(Error::NoSuchUser)?;
    let old = std::mem::replace(&mut user.password_hash, password_hash);
    if old != user.password_hash {
        user.previous_hashes.insert(0, old);
        user.previous_hashes.truncate(password::REMEMBERED);
    }
    user.must_change_password = must_change_password;
    user.updated_at = now;
    tables::USERS.insert(tx, id.0, &user)?;
    // A password set another way makes any pending reset link pointless.
    reset::forget_for(tx, id)?;
    Ok(user)
}

/// The next login must choose a new password (a second factor was removed, and with it
/// the shorter minimum it allowed).
pub fn require_password_change(
    tx: &WriteTransaction,
    id: UserId,
    now: Timestamp,
) -> Result<(), Error> {
    let mut user = user(tx, id)?.ok_or(Error::NoSuchUser)?;
    user.must_change_password = true;
    user.updated_at = now;
    tables::USERS.insert(tx, id.0, &user)?;
    Ok(())
}

/// Notes a successful login (for the access review and the inactivity rule).
pub fn record_login(tx: &WriteTransaction, id: UserId, now: Timestamp) -> Result<(), Error> {
    let mut user = user(tx, id)?.ok_or(Error::NoSuchUser)?;
    user.last_login = Some(now);
    tables::USERS.insert(tx, id.0, &user)?;
    Ok(())
}

/// The last sign of life: a login, or an administrator's or operator's change to the
/// account (which is how a disabled account is brought back).
pub fn last_activity(user: &User) -> Timestamp {
    user.last_login
        .unwrap_or(user.created_at)
        .max(user.updated_at)
}

/// Disables enabled accounts with no activity since `before` and ends their sessions;
/// returns their logins.
pub fn disable_inactive(tx: &WriteTransaction, before: Timestamp) -> Result<Vec<String>, Error> {
    let mut disabled = Vec::new();
    for mut user in tables::USERS.values(tx)? {
        if user.enabled && last_activity(&user) < before {
            user.enabled = false;
            tables::USERS.insert(tx, user.id.0, &user)?;
            session::end_all_for(tx, user.id)?;
            disabled.push(user.login);
        }
    }
    Ok(disabled)
}

/// What an administrator may change about an account.
#[derive(Debug, Clone)]
pub struct UserEdit {
    pub name: String,
    pub unit: Option<UnitId>,
    pub roles: Vec<Role>,
    pub enabled: bool,
}

pub fn update_user(
    tx: &WriteTransaction,
    id: UserId,
    edit: UserEdit,
    now: Timestamp,
) -> Result<User, Error> {
    let mut user = user(tx, id)?.ok_or(Error::NoSuchUser)?;
    if edit.name.trim().is_empty() {
        return Err(invalid("name", "Vui lòng nhập họ và tên."));
    }
    if let Some(unit) = edit.unit
        && tables::UNITS.get(tx, unit.0)?.is_none()
    {
        return Err(Error::NoSuchUnit);
    }
    user.name = edit.name.trim().to_string();
    user.unit = edit.unit;
    user.roles = edit.roles;
    user.roles.sort();
    user.roles.dedup();
    user.enabled = edit.enabled;
    user.updated_at = now;
    tables::USERS.insert(tx, id.0, &user)?;
    if !user.enabled {
        session::end_all_for(tx, id)?;
    }
    Ok(user)
}

/// A person sets where and how they hear of work waiting for them.
pub fn set_mail(
    tx: &WriteTransaction,
    id: UserId,
    email: &str,
    choice: MailChoice,
    now: Timestamp,
) -> Result<User, Error> {
    let mut user = user(tx, id)?.ok_or(Error::NoSuchUser)?;
    let email = email.trim();
    user.email = if email.is_empty() {
        String::new()
    } else {
        crate::mail::checked_address(email).map_err(|message| Error::Invalid {
            field: "email",
            message,
        })?
    };
    user.mail = choice;
    user.updated_at = now;
    tables::USERS.insert(tx, id.0, &user)?;
    Ok(user)
}

pub fn create_unit(tx: &WriteTransaction, name: &str) -> Result<Unit, Error> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid("name", "Vui lòng nhập tên đơn vị."));
    }
    if units(tx)?
        .iter()
        .any(|u| u.name.to_lowercase() == name.to_lowercase())
    {
        return Err(invalid("name", "Đã có đơn vị mang tên này."));
    }
    let unit = Unit {
        id: UnitId(store::next_id(tx, "units")?),
        name: name.to_string(),
    };
    tables::UNITS.insert(tx, unit.id.0, &unit)?;
    Ok(unit)
}

pub fn rename_unit(tx: &WriteTransaction, id: UnitId, name: &str) -> Result<Unit, Error> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid("name", "Vui lòng nhập tên đơn vị."));
    }
    let mut unit = tables::UNITS.get(tx, id.0)?.ok_or(Error::NoSuchUnit)?;
    unit.name = name.to_string();
    tables::UNITS.insert(tx, id.0, &unit)?;
    Ok(unit)
}

pub fn units(tx: &impl Tx) -> Result<Vec<Unit>, Error> {
    let mut all = tables::UNITS.values(tx)?;
    all.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(all)
}

/// A unit by id, or by name (case-insensitive), as typed on the command line.
pub fn find_unit(tx: &impl Tx, name_or_id: &str) -> Result<Option<Unit>, Error> {
    let wanted = name_or_id.trim();
    Ok(units(tx)?
        .into_iter()
        .find(|u| u.id.0.to_string() == wanted || u.name.to_lowercase() == wanted.to_lowercase()))
}

/// The acting person, with the delegations they hold.
pub fn actor(tx: &impl Tx, user: &User) -> Result<Actor, Error> {
    let mut held = Vec::new();
    for d in delegations(tx)?
        .into_iter()
        .filter(|d| d.delegate == user.id.0)
    {
        // A delegation lasts only while its grantor is an active Board head.
        let grantor = self::user(tx, UserId(d.grantor))?;
        if grantor.is_some_and(|g| g.enabled && g.roles.contains(&Role::BoardHead)) {
            held.push(d);
        }
    }
    let delegations = held;
    Ok(Actor {
        user: user.id.0,
        login: user.login.clone(),
        name: user.name.clone(),
        roles: user.roles.clone(),
        unit: user.unit.map(|u| u.0),
        delegations,
    })
}

pub fn delegations(tx: &impl Tx) -> Result<Vec<Delegation>, Error> {
    let mut all = tables::DELEGATIONS.values(tx)?;
    all.sort_by_key(|d| std::cmp::Reverse(d.from));
    Ok(all)
}

/// What a Board head grants.
#[derive(Debug, Clone)]
pub struct Grant {
    pub delegate: UserId,
    pub from: Date,
    pub until: Date,
    pub kinds: Vec<Kind>,
    pub categories: Vec<String>,
}

/// The Board head `grantor` authorises `grant.delegate` to approve on their behalf.
pub fn grant_delegation(
    tx: &WriteTransaction,
    grantor: &User,
    grant: Grant,
    now: Timestamp,
) -> Result<Delegation, Error> {
    if !grantor.roles.contains(&Role::BoardHead) {
        return Err(invalid(
            "grantor",
            "Chỉ Trưởng Ban Biên tập được ủy quyền duyệt tin.",
        ));
    }
    if grant.until < grant.from {
        return Err(invalid(
            "until",
            "Ngày kết thúc phải sau hoặc bằng ngày bắt đầu.",
        ));
    }
    if grant.delegate == grantor.id {
        return Err(invalid("delegate", "Không thể tự ủy quyền cho chính mình."));
    }
    let delegate = user(tx, grant.delegate)?.ok_or(Error::NoSuchUser)?;
    if !delegate.enabled {
        return Err(invalid("delegate", "Tài khoản được ủy quyền đang bị khóa."));
    }
    let delegation = Delegation {
        id: store::next_id(tx, "delegations")?,
        grantor: grantor.id.0,
        grantor_name: grantor.name.clone(),
        delegate: delegate.id.0,
        delegate_name: delegate.name.clone(),
        from: grant.from,
        until: grant.until,
        kinds: grant.kinds,
        categories: grant.categories,
        revoked: false,
        created_at: now,
    };
    tables::DELEGATIONS.insert(tx, delegation.id, &delegation)?;
    // The delegate's privilege changed: their sessions end, so the next one is new.
    session::end_all_for(tx, delegate.id)?;
    Ok(delegation)
}

pub fn revoke_delegation(tx: &WriteTransaction, grantor: &User, id: u64) -> Result<(), Error> {
    let mut delegation = tables::DELEGATIONS
        .get(tx, id)?
        .ok_or(invalid("delegation", "Không tìm thấy ủy quyền."))?;
    if delegation.grantor != grantor.id.0 {
        return Err(invalid(
            "delegation",
            "Chỉ người ủy quyền mới thu hồi được.",
        ));
    }
    delegation.revoked = true;
    tables::DELEGATIONS.insert(tx, id, &delegation)?;
    session::end_all_for(tx, UserId(delegation.delegate))?;
    Ok(())
}

/// Accounts, units, sessions, delegations, failed logins and second factors.
pub mod tables {
    use redb::TableDefinition;

    use super::session::Session;
    use super::{Unit, User};
    use crate::store::Table;
    use crate::workflow::Delegation;

    /// Accounts by id.
    pub const USERS: Table<u64, User> = Table::new("users_v1");
    /// Login name → user id.
    pub const LOGINS: TableDefinition<&str, u64> = TableDefinition::new("logins_v1");
    /// Units (phòng, đơn vị) by id.
    pub const UNITS: Table<u64, Unit> = Table::new("units_v1");
    /// Sessions by the SHA-256 (hex) of their token.
    pub const SESSIONS: Table<&str, Session> = Table::new("sessions_v1");
    /// Approval delegations by id.
    pub const DELEGATIONS: Table<u64, Delegation> = Table::new("delegations_v1");
    /// Failed logins per account: login → recent failure times and any lock.
    pub const LOGIN_FAILURES: Table<&str, super::throttle::Failures> =
        Table::new("login_failures_v1");
    /// Enrolled second factors by user id (the TOTP secret sealed, recovery codes
    /// hashed).
    pub const SECOND_FACTORS: Table<u64, super::second_factor::SecondFactor> =
        Table::new("second_factors_v1");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn logins_are_unique_and_well_formed() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let now = Timestamp::now();
        let new = |login: &str| NewUser {
            login: login.into(),
            name: "Nguyễn Văn A".into(),
            unit: None,
            roles: vec![Role::Contributor, Role::Contributor],
        };
        let user = store
            .write_blocking(|tx| create_user(tx, new("nva"), "h".into(), false, now))
            .unwrap();
        assert_eq!(user.roles, vec![Role::Contributor]);
        let again = store.write_blocking(|tx| create_user(tx, new("nva"), "h".into(), false, now));
        assert!(matches!(again, Err(Error::Invalid { field: "login", .. })));
        let bad = store.write_blocking(|tx| create_user(tx, new("Nguyễn"), "h".into(), false, now));
        assert!(matches!(bad, Err(Error::Invalid { field: "login", .. })));
        let found = store.read_blocking(|tx| find_by_login(tx, "nva")).unwrap();
        assert_eq!(found.unwrap().id, user.id);
    }

    #[test]
    fn only_a_board_head_grants_and_revokes_delegations() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let now = Timestamp::now();
        let (head, member) = store
            .write_blocking(|tx| -> Result<_, Error> {
                let head = create_user(
                    tx,
                    NewUser {
                        login: "truongban".into(),
                        name: "Trưởng ban".into(),
                        unit: None,
                        roles: vec![Role::BoardHead],
                    },
                    "h".into(),
                    false,
                    now,
                )?;
                let member = create_user(
                    tx,
                    NewUser {
                        login: "uyvien".into(),
                        name: "Ủy viên".into(),
                        unit: None,
                        roles: vec![Role::BoardMember],
                    },
                    "h".into(),
                    false,
                    now,
                )?;
                Ok((head, member))
            })
            .unwrap();
        let grant = Grant {
            delegate: member.id,
            from: jiff::civil::date(2026, 11, 1),
            until: jiff::civil::date(2026, 11, 30),
            kinds: vec![],
            categories: vec![],
        };
        let refused = store.write_blocking(|tx| grant_delegation(tx, &member, grant.clone(), now));
        assert!(refused.is_err());
        let d = store
            .write_blocking(|tx| grant_delegation(tx, &head, grant.clone(), now))
            .unwrap();
        let acting = store.read_blocking(|tx| actor(tx, &member)).unwrap();
        assert!(acting.may_approve_something(jiff::civil::date(2026, 11, 15)));
        store
            .write_blocking(|tx| revoke_delegation(tx, &head, d.id))
            .unwrap();
        let acting = store.read_blocking(|tx| actor(tx, &member)).unwrap();
        assert!(!acting.may_approve_something(jiff::civil::date(2026, 11, 15)));
    }
}
