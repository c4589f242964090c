//! The login protocol, over the store, the argon2 pool and the per-address limiter.
//!
//! Unknown logins and wrong passwords take the same path: the password is checked
//! against a decoy hash, the failure is counted against the login as typed, and the
//! answer waits the same growing delay. So neither the answer nor its timing tells
//! whether an account exists, and unknown logins lock just like real ones. A wrong or
//! replayed code counts as a failed login too, so the lock-out that guards passwords
//! guards codes.

use std::net::IpAddr;

use super::App;
use crate::auth::second_factor::{self, Checked};
use crate::auth::{self, Error, User, login, password, session, throttle};

/// A password step, as the login form sent it.
pub struct PasswordAttempt {
    /// As typed, trimmed and lower-cased.
    pub login: String,
    pub password: String,
    pub ip: IpAddr,
    pub origin: session::Origin,
    /// The session cookie the browser brought, which ends whatever happens next.
    pub previous: Option<String>,
}

/// A code step: the half-session of the password step and the code typed.
pub struct CodeAttempt {
    pub half_session: String,
    pub user: User,
    pub code: String,
    pub ip: IpAddr,
    pub origin: session::Origin,
}

#[derive(Debug)]
pub enum Outcome {
    /// Too many failures from this address lately.
    Throttled,
    /// Wrong login, password or code.
    Refused,
    /// The account is locked (before, or by this attempt).
    Locked,
    /// The password was right; the code is next, in this half-session.
    CodeNext { half_session: String },
    /// The code step's half-session has gone, or the factor was reset meanwhile.
    Expired,
    /// The stored secret does not open with this folder's key.
    KeyMismatch,
    /// The site is archived: only administrators sign in.
    Archived,
    SignedIn {
        session: String,
        must_change_password: bool,
    },
}

impl App {
    /// The password step of a login.
    pub async fn attempt_login(&self, attempt: PasswordAttempt) -> Result<Outcome, Error> {
        let now = self.clock.now();
        let policy = self.config.login;
        let from_address = self.address_failures.count(attempt.ip, policy.window, now);
        if from_address >= policy.max_failures_per_address {
            self.warnings.warn("login_throttled", || {
                format!("login refused: too many failures from {}", attempt.ip)
            });
            tokio::time::sleep(policy.delay(from_address)).await;
            return Ok(Outcome::Throttled);
        }
        let lookup = attempt.login.clone();
        let (user, locked, enrolled) = self
            .store
            .read(move |tx| -> Result<_, Error> {
                let user = auth::find_by_login(tx, &lookup)?.filter(|u| u.enabled);
                let enrolled = match &user {
                    Some(u) => second_factor::is_enrolled(tx, u.id)?,
                    None => false,
                };
                Ok((user, throttle::locked(tx, &lookup, now)?, enrolled))
            })
            .await?;
        // The same work whether or not the login exists: no enumeration by timing.
        let hash = user
            .as_ref()
            .map_or(password::decoy_hash().to_string(), |u| {
                u.password_hash.clone()
            });
        let verified = self.verify_password(attempt.password.clone(), hash).await?;
        let user = match user.filter(|_| verified) {
            Some(user) if !locked => user,
            right => {
                let action = if right.is_some() {
                    "login_refused_locked"
                } else {
                    "login_failed"
                };
                let counts = right.is_none();
                let newly_locked = self
                    .refuse_login(&attempt.login, attempt.ip, action, None, counts)
                    .await?;
                tokio::time::sleep(policy.delay(from_address + 1)).await;
                return Ok(if locked || newly_locked {
                    Outcome::Locked
                } else {
                    Outcome::Refused
                });
            }
        };
        if self.archive().is_some() && !user.roles.contains(&crate::workflow::Role::Administrator) {
            self.refuse_login(
                &attempt.login,
                attempt.ip,
                "login_refused_archived",
                None,
                false,
            )
            .await?;
            return Ok(Outcome::Archived);
        }
        if password::needs_rehash(&user.password_hash) {
            let hash = self.hash_password(attempt.password).await?;
            let rehashed = user.clone();
            self.store
                .write(move |tx| login::rehash(tx, &rehashed, hash, now))
                .await?;
        }
        if enrolled {
            // The failure count stays until the code is right too, so knowing the
            // password does not buy endless tries at the code.
            let (id, origin, previous) = (user.id, attempt.origin, attempt.previous);
            let half_session = self
                .store
                .write(move |tx| login::await_code(tx, id, origin, previous.as_deref(), now))
                .await?;
            return Ok(Outcome::CodeNext { half_session });
        }
        self.finish_login(
            user,
            attempt.ip,
            attempt.origin,
            attempt.previous,
            "password",
        )
        .await
    }

    /// The code step of a login.
    pub async fn attempt_code(&self, attempt: CodeAttempt) -> Result<Outcome, Error> {
        let now = self.clock.now();
        let policy = self.config.login;
        let from_address = self.address_failures.count(attempt.ip, policy.window, now);
        if from_address >= policy.max_failures_per_address {
            tokio::time::sleep(policy.delay(from_address)).await;
            return Ok(Outcome::Throttled);
        }
        let CodeAttempt {
            half_session,
            user,
            code,
            ip,
            origin,
        } = attempt;
        if self.archive().is_some() && !user.roles.contains(&crate::workflow::Role::Administrator) {
            self.end_session(&half_session).await?;
            self.refuse_login(&user.login, ip, "login_refused_archived", None, false)
                .await?;
            return Ok(Outcome::Archived);
        }
        let lookup = user.login.clone();
        if self
            .store
            .read(move |tx| throttle::locked(tx, &lookup, now))
            .await?
        {
            self.end_session(&half_session).await?;
            self.refuse_login(&user.login, ip, "login_refused_locked", None, false)
                .await?;
            return Ok(Outcome::Locked);
        }
        let (key, id) = (self.secret_key.clone(), user.id);
        let checked = self
            .store
            .write(move |tx| second_factor::check(tx, &key, id, &code, now))
            .await?;
        let how = match checked {
            Checked::Code => "password+totp",
            Checked::RecoveryCode { left } => {
                tracing::warn!(user = %user.login, left, "signed in with a recovery code");
                "password+recovery code"
            }
            Checked::KeyMismatch => {
                tracing::error!(
                    user = %user.login,
                    "the stored TOTP secret does not open with data/secret.key; was the key replaced?"
                );
                return Ok(Outcome::KeyMismatch);
            }
            Checked::NotEnrolled => {
                // Reset by an administrator between the two steps: start again.
                self.end_session(&half_session).await?;
                return Ok(Outcome::Expired);
            }
            Checked::Wrong | Checked::Replayed => {
                let detail = if checked == Checked::Replayed {
                    "code already used"
                } else {
                    "wrong code"
                };
                let locked = self
                    .refuse_login(&user.login, ip, "second_factor_failed", Some(detail), true)
                    .await?;
                tokio::time::sleep(policy.delay(from_address + 1)).await;
                if locked {
                    self.end_session(&half_session).await?;
                    return Ok(Outcome::Locked);
                }
                return Ok(Outcome::Refused);
            }
        };
        self.finish_login(user, ip, origin, Some(half_session), how)
            .await
    }

    /// Records a failed step and counts it against the address; returns whether the
    /// account locked.
    async fn refuse_login(
        &self,
        login: &str,
        ip: IpAddr,
        action: &'static str,
        detail: Option<&'static str>,
        counts: bool,
    ) -> Result<bool, Error> {
        let (policy, now, login) = (self.config.login, self.clock.now(), login.to_string());
        let newly_locked = self
            .store
            .write(move |tx| {
                let failure = login::Failure {
                    login: &login,
                    ip,
                    action,
                    detail,
                    counts,
                };
                login::refuse(tx, &policy, &failure, now)
            })
            .await?;
        self.address_failures.fail(ip, policy.window, now);
        tracing::info!(%ip, action, locked = newly_locked, "failed login step");
        Ok(newly_locked)
    }

    async fn finish_login(
        &self,
        user: User,
        ip: IpAddr,
        origin: session::Origin,
        previous: Option<String>,
        how: &'static str,
    ) -> Result<Outcome, Error> {
        let now = self.clock.now();
        let must_change_password = user.must_change_password;
        tracing::info!(user = %user.login, how, "signed in");
        let session = self
            .store
            .write(move |tx| login::finish(tx, &user, ip, origin, previous.as_deref(), how, now))
            .await?;
        Ok(Outcome::SignedIn {
            session,
            must_change_password,
        })
    }

    /// Ends a session (signing out, or a half-session that led nowhere).
    pub async fn end_session(&self, token: &str) -> Result<(), Error> {
        let token = token.to_string();
        self.store.write(move |tx| session::end(tx, &token)).await
    }
}
