//! The second factor: TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, one step
//! of skew either way) and ten single-use recovery codes.
//!
//! The secret is sealed with the key in `data/secret.key` (see `sealing`), bound to the
//! user id, so neither the database nor an administrator can read it. Recovery codes
//! are stored only as SHA-256 hashes (they carry 50 random bits, and every try is
//! throttled like a password). Each accepted step is remembered, so a code seen over a
//! shoulder or in a log cannot be used again (RFC 6238 section 5.2).

use jiff::Timestamp;
use redb::WriteTransaction;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use totp_rs::{Builder, Totp};

use super::sealing::SecretKey;
use super::{Error, UserId};
use crate::store::Tx;
use crate::workflow::{Actor, Role};

pub const RECOVERY_CODES: usize = 10;
const SECRET_BYTES: usize = 20;
const STEP_SECONDS: u64 = 30;
/// Letters and digits that cannot be mistaken for one another when read aloud or typed.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// The roles that approve, publish or administer always need a second factor (S2 of
/// the regulation); delegates of the Board head too, as they approve.
pub const ALWAYS_REQUIRED: &[Role] = &[Role::BoardHead, Role::Publisher, Role::Administrator];

/// A person's enrolled second factor, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecondFactor {
    pub user: UserId,
    /// The TOTP secret, sealed (hex of nonce and ciphertext).
    pub sealed_secret: String,
    pub enrolled_at: Timestamp,
    /// The last TOTP step accepted; codes of this step or earlier are refused.
    pub last_step: u64,
    /// SHA-256 (hex) of each unused recovery code.
    pub recovery: Vec<String>,
}

/// A TOTP secret being enrolled: made on the enrolment page, not yet stored.
pub struct NewSecret(Vec<u8>);

impl NewSecret {
    pub fn generate() -> Result<NewSecret, Error> {
        let mut bytes = vec![0u8; SECRET_BYTES];
        crate::random::fill(&mut bytes).map_err(|e| Error::Hash(format!("no randomness: {e}")))?;
        Ok(NewSecret(bytes))
    }

    /// A secret from known bytes (an authenticator's export; tests).
    pub fn from_bytes(bytes: &[u8]) -> Option<NewSecret> {
        (bytes.len() == SECRET_BYTES).then(|| NewSecret(bytes.to_vec()))
    }

    /// Reopens the secret the enrolment form carried (sealed for this user only).
    pub fn unseal(key: &SecretKey, sealed: &str, user: UserId) -> Option<NewSecret> {
        key.open(sealed, &pending_context(user))
            .filter(|bytes| bytes.len() == SECRET_BYTES)
            .map(NewSecret)
    }

    /// Sealed for the enrolment form's hidden field: useless to anyone but this user,
    /// and never a stored secret.
    pub fn seal_for_form(&self, key: &SecretKey, user: UserId) -> Result<String, Error> {
        key.seal(&self.0, &pending_context(user))
            .map_err(|e| Error::Hash(e.to_string()))
    }

    /// The secret as people type it into an authenticator app (base32).
    pub fn base32(&self) -> String {
        totp(&self.0, "", "").secret().to_base32()
    }

    /// The `otpauth://` address the QR code carries.
    pub fn provisioning_uri(&self, issuer: &str, login: &str) -> String {
        totp(&self.0, issuer, login).to_url().unwrap_or_default()
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

fn pending_context(user: UserId) -> String {
    format!("enrolment:{}", user.0)
}

fn stored_context(user: UserId) -> String {
    format!("totp:{}", user.0)
}

/// An RFC 6238 generator. Issuer and account name only matter for the QR code; a ':'
/// in either is not allowed there, so it is dropped.
fn totp(secret: &[u8], issuer: &str, login: &str) -> Totp {
    let issuer = issuer.replace(':', " ");
    let login = login.replace(':', "");
    Builder::new()
        .with_secret(secret.to_vec())
        .with_digits(6)
        .with_step_duration(STEP_SECONDS)
        .with_skew(1)
        .with_issuer((!issuer.is_empty()).then_some(issuer))
        .with_account_name(login)
        .build_noncompliant()
}

/// The TOTP step that `now` falls in.
pub fn step_at(now: Timestamp) -> u64 {
    unix_seconds(now) / STEP_SECONDS
}

fn unix_seconds(now: Timestamp) -> u64 {
    u64::try_from(now.as_second()).unwrap_or(0)
}

/// The TOTP step a code matches at `now` (±1 step), if any.
fn matching_step(secret: &[u8], code: &str, now: Timestamp) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    totp(secret, "", "").check(&code, unix_seconds(now))
}

/// The code an authenticator app shows at `at` (tests use it).
pub fn code_at(secret: &[u8], at: Timestamp) -> String {
    totp(secret, "", "").generate(unix_seconds(at)).to_string()
}

/// What a typed code turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// A current TOTP code, now used up.
    Code,
    /// A recovery code, now used up; `left` remain.
    RecoveryCode {
        left: usize,
    },
    /// A TOTP code already used (its step or an earlier one).
    Replayed,
    Wrong,
    /// The stored secret does not open with this data folder's key.
    KeyMismatch,
    NotEnrolled,
}

impl Checked {
    pub fn accepted(&self) -> bool {
        matches!(self, Checked::Code | Checked::RecoveryCode { .. })
    }
}

pub fn get(tx: &impl Tx, user: UserId) -> Result<Option<SecondFactor>, Error> {
    Ok(super::tables::SECOND_FACTORS.get(tx, user.0)?)
}

pub fn is_enrolled(tx: &impl Tx, user: UserId) -> Result<bool, Error> {
    Ok(get(tx, user)?.is_some())
}

/// The ids of everyone enrolled (the access-review list shows who is).
pub fn enrolled(tx: &impl Tx) -> Result<std::collections::HashSet<u64>, Error> {
    Ok(super::tables::SECOND_FACTORS
        .values(tx)?
        .into_iter()
        .map(|f| f.user.0)
        .collect())
}

/// Whether this person must have a second factor: their roles, delegations they hold
/// and have not ended (delegates approve), or roles the configuration adds (`[accounts]
/// second_factor_roles`).
pub fn required(actor: &Actor, extra_roles: &[Role], today: jiff::civil::Date) -> bool {
    actor
        .roles
        .iter()
        .any(|r| ALWAYS_REQUIRED.contains(r) || extra_roles.contains(r))
        || actor
            .delegations
            .iter()
            .any(|d| !d.revoked && d.until >= today)
}

/// Enrols `secret` for `user` if `code` is a current code of it; returns the recovery
/// codes, which are shown once and never again. Replaces any earlier enrolment.
pub fn enrol(
    tx: &WriteTransaction,
    key: &SecretKey,
    user: UserId,
    secret: &NewSecret,
    code: &str,
    now: Timestamp,
) -> Result<Option<Vec<String>>, Error> {
    let Some(step) = matching_step(&secret.0, code, now) else {
        return Ok(None);
    };
    let (codes, hashes) = recovery_codes()?;
    let factor = SecondFactor {
        user,
        sealed_secret: key
            .seal(&secret.0, &stored_context(user))
            .map_err(|e| Error::Hash(e.to_string()))?,
        enrolled_at: now,
        last_step: step,
        recovery: hashes,
    };
    super::tables::SECOND_FACTORS.insert(tx, user.0, &factor)?;
    Ok(Some(codes))
}

/// Checks a TOTP or recovery code typed by `user`, and uses it up if it is good.
pub fn check(
    tx: &WriteTransaction,
    key: &SecretKey,
    user: UserId,
    typed: &str,
    now: Timestamp,
) -> Result<Checked, Error> {
    let Some(mut factor) = get(tx, user)? else {
        return Ok(Checked::NotEnrolled);
    };
    let typed = typed.trim();
    if typed.chars().any(|c| c.is_ascii_alphabetic()) {
        let hash = recovery_hash(typed);
        let Some(index) = factor.recovery.iter().position(|h| *h == hash) else {
            return Ok(Checked::Wrong);
        };
        factor.recovery.remove(index);
        let left = factor.recovery.len();
        super::tables::SECOND_FACTORS.insert(tx, user.0, &factor)?;
        return Ok(Checked::RecoveryCode { left });
    }
    let Some(secret) = key.open(&factor.sealed_secret, &stored_context(user)) else {
        return Ok(Checked::KeyMismatch);
    };
    match matching_step(&secret, typed, now) {
        None => Ok(Checked::Wrong),
        Some(step) if step <= factor.last_step => Ok(Checked::Replayed),
        Some(step) => {
            factor.last_step = step;
            super::tables::SECOND_FACTORS.insert(tx, user.0, &factor)?;
            Ok(Checked::Code)
        }
    }
}

/// Replaces the recovery codes with ten new ones; returns them.
pub fn renew_recovery_codes(tx: &WriteTransaction, user: UserId) -> Result<Vec<String>, Error> {
    let mut factor = get(tx, user)?.ok_or(Error::NoSuchUser)?;
    let (codes, hashes) = recovery_codes()?;
    factor.recovery = hashes;
    super::tables::SECOND_FACTORS.insert(tx, user.0, &factor)?;
    Ok(codes)
}

/// Removes the second factor (the person turns it off, or an administrator resets it
/// after a lost phone); returns whether there was one.
pub fn remove(tx: &WriteTransaction, user: UserId) -> Result<bool, Error> {
    Ok(super::tables::SECOND_FACTORS.remove(tx, user.0)?.is_some())
}

fn recovery_codes() -> Result<(Vec<String>, Vec<String>), Error> {
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let mut bytes = [0u8; 10];
        crate::random::fill(&mut bytes).map_err(|e| Error::Hash(format!("no randomness: {e}")))?;
        // 256 is a multiple of neither 31 nor anything near; the modulo bias (under 1%)
        // costs a fraction of a bit of the 49 bits each code carries.
        let chars: String = bytes
            .iter()
            .map(|b| RECOVERY_ALPHABET[usize::from(*b) % RECOVERY_ALPHABET.len()] as char)
            .collect();
        codes.push(format!("{}-{}", &chars[..5], &chars[5..]));
    }
    let hashes = codes.iter().map(|c| recovery_hash(c)).collect();
    Ok((codes, hashes))
}

/// Case, spaces and dashes do not matter when a recovery code is typed.
fn recovery_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(normal.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn setup() -> (tempfile::TempDir, Store, SecretKey) {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let key = SecretKey::load_or_create(dir.path()).unwrap();
        (dir, store, key)
    }

    #[test]
    fn rfc_6238_test_vector() {
        // Appendix B, SHA-1 seed "12345678901234567890", T = 59 s: 94287082 (8 digits);
        // the 6-digit code is its last six.
        let at = Timestamp::from_second(59).unwrap();
        assert_eq!(code_at(b"12345678901234567890", at), "287082");
    }

    #[test]
    fn enrolment_needs_a_current_code_and_codes_are_used_once() {
        let (_dir, store, key) = setup();
        let user = UserId(7);
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let secret = NewSecret::generate().unwrap();
        let wrong = store
            .write_blocking(|tx| enrol(tx, &key, user, &secret, "000000x", now))
            .unwrap();
        assert!(wrong.is_none());
        let code = code_at(secret.bytes(), now);
        let codes = store
            .write_blocking(|tx| enrol(tx, &key, user, &secret, &code, now))
            .unwrap()
            .unwrap();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let stored = store.read_blocking(|tx| get(tx, user)).unwrap().unwrap();
        assert!(!stored.sealed_secret.contains(&hex::encode(secret.bytes())));
        let check_at = |typed: &str, at: Timestamp| {
            store
                .write_blocking(|tx| check(tx, &key, user, typed, at))
                .unwrap()
        };
        assert_eq!(check_at(&code, now), Checked::Replayed, "enrolment used it");
        let later = now + jiff::SignedDuration::from_secs(30);
        let next = code_at(secret.bytes(), later);
        assert_eq!(check_at(&next, later), Checked::Code);
        assert_eq!(check_at(&next, later), Checked::Replayed);
        assert_eq!(
            check_at(&codes[3].to_uppercase(), later),
            Checked::RecoveryCode { left: 9 }
        );
        assert_eq!(check_at(&codes[3], later), Checked::Wrong, "used once");
        assert_eq!(check_at("12345", later), Checked::Wrong);
    }

    #[test]
    fn one_step_of_skew_either_way_is_accepted_two_are_not() {
        let (_dir, store, key) = setup();
        let user = UserId(1);
        let t0 = Timestamp::from_second(1_800_000_010).unwrap();
        let secret = NewSecret::generate().unwrap();
        let code = code_at(secret.bytes(), t0);
        store
            .write_blocking(|tx| enrol(tx, &key, user, &secret, &code, t0))
            .unwrap()
            .unwrap();
        let at = |steps: i64| t0 + jiff::SignedDuration::from_secs(30 * steps);
        let check_at = |typed: &str, now: Timestamp| {
            store
                .write_blocking(|tx| check(tx, &key, user, typed, now))
                .unwrap()
        };
        // The phone runs one step behind the server, then one ahead.
        assert_eq!(
            check_at(&code_at(secret.bytes(), at(4)), at(5)),
            Checked::Code
        );
        assert_eq!(
            check_at(&code_at(secret.bytes(), at(7)), at(6)),
            Checked::Code
        );
        assert_eq!(
            check_at(&code_at(secret.bytes(), at(10)), at(12)),
            Checked::Wrong
        );
        assert_eq!(
            check_at(&code_at(secret.bytes(), at(14)), at(12)),
            Checked::Wrong
        );
    }

    #[test]
    fn a_secret_sealed_for_the_form_opens_only_for_its_user_and_another_key_fails() {
        let (_dir, store, key) = setup();
        let secret = NewSecret::generate().unwrap();
        let sealed = secret.seal_for_form(&key, UserId(3)).unwrap();
        assert!(NewSecret::unseal(&key, &sealed, UserId(3)).is_some());
        assert!(NewSecret::unseal(&key, &sealed, UserId(4)).is_none());
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let code = code_at(secret.bytes(), now);
        store
            .write_blocking(|tx| enrol(tx, &key, UserId(3), &secret, &code, now))
            .unwrap()
            .unwrap();
        let other_dir = tempfile::tempdir().unwrap();
        let other = SecretKey::load_or_create(other_dir.path()).unwrap();
        let later = now + jiff::SignedDuration::from_secs(60);
        let next = code_at(secret.bytes(), later);
        let checked = store
            .write_blocking(|tx| check(tx, &other, UserId(3), &next, later))
            .unwrap();
        assert_eq!(checked, Checked::KeyMismatch);
    }
}
