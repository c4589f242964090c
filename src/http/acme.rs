//! ACME (RFC 8555): the site's certificate from a CA such as Let's Encrypt, renewed 30
//! days before it expires.
//!
//! The account key and the certificate live in `data/tls/`: `acme-account.json`,
//! `acme.pem` (private key and chain in one file, replaced by a rename, so a crash can
//! never pair a new certificate with an old key) and `acme.json` (what was ordered, and
//! from which CA). The challenge answers sit in `Responses`, which the listeners read:
//! HTTP-01 on the plain-HTTP listener (port 80), TLS-ALPN-01 inside the TLS handshake on
//! 443 (RFC 8737). A failed attempt leaves the old certificate serving, shows a warning
//! to administrators and is retried after a growing pause, so a misconfigured site does
//! not run into the CA's rate limits.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount,
    NewOrder, OrderStatus, RetryPolicy,
};
use rustls::sign::CertifiedKey;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::tls::{self, CertSwitch};
use crate::app::App;

/// The ALPN protocol of a TLS-ALPN-01 validation handshake.
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

/// A certificate this close to expiry is renewed.
const RENEW_BEFORE: jiff::SignedDuration = jiff::SignedDuration::from_hours(24 * 30);

/// How long one order may wait for the CA to validate and to issue.
const ORDER_PATIENCE: Duration = Duration::from_secs(120);

pub use crate::config::acme::{Challenge, LETS_ENCRYPT, Settings};

/// The challenge as instant-acme names it.
fn challenge_type(challenge: Challenge) -> ChallengeType {
    match challenge {
        Challenge::Http01 => ChallengeType::Http01,
        Challenge::TlsAlpn01 => ChallengeType::TlsAlpn01,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("ACME: {0}")]
    Protocol(#[from] instant_acme::Error),
    #[error("the CA offers no {challenge} challenge for {domain}")]
    NoChallenge {
        challenge: &'static str,
        domain: String,
    },
    #[error("the CA did not validate the order ({status}): {details}")]
    NotValidated { status: String, details: String },
    #[error("cannot read the trusted roots {path}: {message}")]
    Roots { path: PathBuf, message: String },
    #[error("cannot make the TLS-ALPN-01 answer: {0}")]
    AnswerCertificate(String),
    #[error("the certificate from the CA does not load: {0}")]
    Issued(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Challenge answers the listeners give while an order is being validated.
#[derive(Default)]
pub struct Responses {
    /// HTTP-01: token → key authorization.
    http01: RwLock<HashMap<String, String>>,
    /// TLS-ALPN-01: domain → the certificate carrying the acmeIdentifier extension.
    tls_alpn01: RwLock<HashMap<String, Arc<CertifiedKey>>>,
}

impl Responses {
    pub fn http01(&self, token: &str) -> Option<String> {
        self.http01.read().ok()?.get(token).cloned()
    }

    pub fn tls_alpn01(&self, domain: &str) -> Option<Arc<CertifiedKey>> {
        self.tls_alpn01
            .read()
            .ok()?
            .get(&domain.to_ascii_lowercase())
            .cloned()
    }

    fn set_http01(&self, token: String, key_authorization: String) {
        if let Ok(mut map) = self.http01.write() {
            map.insert(token, key_authorization);
        }
    }

    fn set_tls_alpn01(&self, domain: String, answer: Arc<CertifiedKey>) {
        if let Ok(mut map) = self.tls_alpn01.write() {
            map.insert(domain.to_ascii_lowercase(), answer);
        }
    }

    fn clear(&self) {
        if let Ok(mut map) = self.http01.write() {
            map.clear();
        }
        if let Ok(mut map) = self.tls_alpn01.write() {
            map.clear();
        }
    }
}

/// The file the certificate and its key are served from.
pub fn certificate_path(tls_dir: &Path) -> PathBuf {
    tls_dir.join("acme.pem")
}

fn account_path(tls_dir: &Path) -> PathBuf {
    tls_dir.join("acme-account.json")
}

fn issued_path(tls_dir: &Path) -> PathBuf {
    tls_dir.join("acme.json")
}

/// `acme-account.json`: the account, bound to the directory it was made at.
#[derive(Serialize, Deserialize)]
struct StoredAccount {
    directory: String,
    credentials: AccountCredentials,
}

/// `acme.json`: what the certificate in `acme.pem` was ordered for.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Issued {
    directory: String,
    domains: Vec<String>,
    issued_at: jiff::Timestamp,
}

/// Why the certificate must be (re)ordered now, or `None` while it is good.
pub fn renewal_due(tls_dir: &Path, settings: &Settings, now: jiff::Timestamp) -> Option<String> {
    let Some(info) = super::certinfo::from_pem_file(&certificate_path(tls_dir)) else {
        return Some("no certificate from the CA yet".into());
    };
    let issued = std::fs::read(issued_path(tls_dir))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Issued>(&bytes).ok());
    match issued {
        None => return Some("no record of what the certificate was ordered for".into()),
        Some(issued) if issued.directory != settings.directory => {
            return Some(format!("the CA changed from {}", issued.directory));
        }
        Some(issued) if issued.domains != settings.domains => {
            return Some(format!(
                "the domains changed from {}",
                issued.domains.join(", ")
            ));
        }
        Some(_) => {}
    }
    let left = info.not_after.duration_since(now);
    (left < RENEW_BEFORE).then(|| {
        format!(
            "it expires {} ({} days left)",
            info.not_after,
            left.as_hours() / 24
        )
    })
}

/// Keeps an ACME certificate in service until `stop` changes: checks every minute (or
/// when `CertSwitch::check_now` asks), orders when `renewal_due` says so, and backs off
/// after failures (10 minutes, doubling, at most 12 hours; a `check_now` skips the wait).
pub async fn keep_certificate(
    app: Arc<App>,
    certs: Arc<CertSwitch>,
    settings: Settings,
    mut stop: watch::Receiver<bool>,
) {
    let dir = app.config.tls_dir();
    let mut failures: u32 = 0;
    let mut next_try: Option<Instant> = None;
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let asked = tokio::select! {
            _ = tick.tick() => false,
            () = certs.check_requested() => true,
            _ = stop.changed() => return,
        };
        if !asked && next_try.is_some_and(|at| Instant::now() < at) {
            continue;
        }
        let Some(reason) = renewal_due(&dir, &settings, app.clock.now()) else {
            continue;
        };
        tracing::info!(
            directory = %settings.directory,
            domains = %settings.domains.join(","),
            "ordering a certificate from the ACME CA: {reason}"
        );
        let outcome = tokio::select! {
            outcome = obtain(&settings, &dir, certs.responses(), app.clock.now()) => outcome,
            _ = stop.changed() => return,
        };
        certs.responses().clear();
        let outcome =
            outcome.and_then(|()| certs.reload().map_err(|e| Error::Issued(e.to_string())));
        let problem = match outcome {
            Ok(()) => {
                failures = 0;
                next_try = None;
                tracing::info!("a certificate from the ACME CA is in service");
                None
            }
            Err(e) => {
                let e = with_causes(&e);
                failures = failures.saturating_add(1);
                let pause = Duration::from_secs(600)
                    .saturating_mul(1 << failures.min(7).saturating_sub(1))
                    .min(Duration::from_secs(12 * 3600));
                next_try = Some(Instant::now() + pause);
                tracing::error!(
                    retry_in_secs = pause.as_secs(),
                    "kept the old TLS certificate: the ACME order failed: {e}"
                );
                Some(format!("ACME: {e}"))
            }
        };
        let newly = match app.tls_problem.lock() {
            Ok(mut slot) => {
                let newly = problem.is_some() && slot.is_none();
                *slot = problem;
                newly
            }
            Err(_) => false,
        };
        if newly {
            app.alert_administrators(
                "Không gia hạn được chứng chỉ HTTPS",
                "Máy chủ không gia hạn được chứng chỉ HTTPS và đang dùng chứng chỉ cũ; máy chủ sẽ thử lại. Hãy xem mục “Bắt đầu” hoặc chạy trangtin doctor.".to_string(),
            )
            .await;
        }
    }
}

/// An error and the errors under it ("client error (Connect)" alone tells an operator
/// nothing; the certificate or connection problem beneath it does).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let more = inner.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = inner.source();
    }
    text
}

/// One order, start to finish: account, challenges, validation, finalization, and the
/// new `acme.pem` and `acme.json` written in place.
async fn obtain(
    settings: &Settings,
    dir: &Path,
    responses: &Responses,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let (account, stored) = account(settings, dir).await?;
    let identifiers: Vec<Identifier> = settings
        .domains
        .iter()
        .map(|domain| Identifier::Dns(domain.clone()))
        .collect();
    let order = match account.new_order(&NewOrder::new(&identifiers)).await {
        // The CA may have forgotten an account it made (a test CA restarts empty): a
        // stored account that is refused is replaced once.
        Err(instant_acme::Error::Api(problem)) if stored && is_unknown_account(&problem) => {
            tracing::warn!("the ACME CA no longer knows the stored account; making a new one");
            let _ = std::fs::remove_file(account_path(dir));
            let (account, _) = self::account(settings, dir).await?;
            account.new_order(&NewOrder::new(&identifiers)).await
        }
        other => other,
    };
    let mut order = order?;

    let mut authorizations = order.authorizations();
    while let Some(authorization) = authorizations.next().await {
        let mut authorization = authorization?;
        match authorization.status {
            AuthorizationStatus::Pending => {}
            AuthorizationStatus::Valid => continue,
            other => {
                return Err(Error::NotValidated {
                    status: format!("{other:?}"),
                    details: "an authorization was not pending".into(),
                });
            }
        }
        let domain = authorization.identifier().to_string();
        let mut challenge = authorization
            .challenge(challenge_type(settings.challenge))
            .ok_or_else(|| Error::NoChallenge {
                challenge: settings.challenge.name(),
                domain: domain.clone(),
            })?;
        let key_authorization = challenge.key_authorization();
        match settings.challenge {
            Challenge::Http01 => responses.set_http01(
                challenge.token.clone(),
                key_authorization.as_str().to_string(),
            ),
            Challenge::TlsAlpn01 => {
                let answer = tls_alpn01_answer(&domain, key_authorization.digest().as_ref())?;
                responses.set_tls_alpn01(domain, Arc::new(answer));
            }
        }
        challenge.set_ready().await?;
    }

    let patience = RetryPolicy::new().timeout(ORDER_PATIENCE);
    let status = order.poll_ready(&patience).await?;
    if status != OrderStatus::Ready {
        return Err(Error::NotValidated {
            status: format!("{status:?}"),
            details: why_not_valid(&mut order).await,
        });
    }
    let key_pem = order.finalize().await?;
    let chain_pem = order.poll_certificate(&patience).await?;

    // Both in one file, checked to load before it replaces the one in service.
    let combined = format!("{key_pem}{chain_pem}");
    tls::certified_key_from_pem(combined.as_bytes()).map_err(Error::Issued)?;
    write_replacing(&certificate_path(dir), combined.as_bytes(), true)?;
    let issued = Issued {
        directory: settings.directory.clone(),
        domains: settings.domains.clone(),
        issued_at: now,
    };
    let issued = serde_json::to_vec_pretty(&issued).unwrap_or_default();
    write_replacing(&issued_path(dir), &issued, false)?;
    Ok(())
}

/// The stored account for this directory, or a new one. The flag says it was stored.
async fn account(settings: &Settings, dir: &Path) -> Result<(Account, bool), Error> {
    let stored = std::fs::read(account_path(dir))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<StoredAccount>(&bytes).ok())
        .filter(|stored| stored.directory == settings.directory);
    if let Some(stored) = stored {
        let account = builder(settings)?
            .from_credentials(stored.credentials)
            .await?;
        return Ok((account, true));
    }
    let contact: Vec<&str> = settings.contact.iter().map(String::as_str).collect();
    let (account, credentials) = builder(settings)?
        .create(
            &NewAccount {
                contact: &contact,
                terms_of_service_agreed: true,
                only_return_existing: false,
            },
            settings.directory.clone(),
            None,
        )
        .await?;
    let stored = StoredAccount {
        directory: settings.directory.clone(),
        credentials,
    };
    let bytes = serde_json::to_vec_pretty(&stored).unwrap_or_default();
    write_replacing(&account_path(dir), &bytes, true)?;
    tracing::info!(account = account.id(), "made an ACME account");
    Ok((account, false))
}

fn builder(settings: &Settings) -> Result<instant_acme::AccountBuilder, Error> {
    match &settings.ca_roots {
        None => Ok(Account::builder()?),
        Some(path) => {
            if let Err(e) = std::fs::metadata(path) {
                return Err(Error::Roots {
                    path: path.clone(),
                    message: e.to_string(),
                });
            }
            Account::builder_with_root(path).map_err(|e| Error::Roots {
                path: path.clone(),
                message: e.to_string(),
            })
        }
    }
}

fn is_unknown_account(problem: &instant_acme::Problem) -> bool {
    problem
        .r#type
        .as_deref()
        .is_some_and(|t| t.ends_with(":accountDoesNotExist") || t.ends_with(":unauthorized"))
}

/// What the CA said about each failed challenge, for the log and the admin warning.
async fn why_not_valid(order: &mut instant_acme::Order) -> String {
    let mut reasons = Vec::new();
    if let Some(problem) = &order.state().error {
        reasons.push(problem.to_string());
    }
    let mut authorizations = order.authorizations();
    while let Some(Ok(mut authorization)) = authorizations.next().await {
        if let Ok(state) = authorization.refresh().await {
            reasons.extend(
                state
                    .challenges
                    .iter()
                    .filter_map(|c| c.error.as_ref())
                    .map(std::string::ToString::to_string),
            );
        }
    }
    if reasons.is_empty() {
        "no reason given".into()
    } else {
        reasons.join("; ")
    }
}

/// The self-signed certificate a TLS-ALPN-01 validation handshake must see (RFC 8737
/// section 3): the domain as its only name, and the key authorization's digest in the
/// critical acmeIdentifier extension.
fn tls_alpn01_answer(domain: &str, digest: &[u8]) -> Result<CertifiedKey, Error> {
    let failed = |e: rcgen::Error| Error::AnswerCertificate(e.to_string());
    let mut params = rcgen::CertificateParams::new(vec![domain.to_string()]).map_err(failed)?;
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(digest)];
    let key = rcgen::KeyPair::generate().map_err(failed)?;
    let cert = params.self_signed(&key).map_err(failed)?;
    let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    // Not `CertifiedKey::from_der`: its consistency check parses the certificate and
    // refuses the critical acmeIdentifier extension this certificate exists to carry.
    let signing = tls::provider()
        .key_provider
        .load_private_key(private)
        .map_err(|e| Error::AnswerCertificate(e.to_string()))?;
    Ok(CertifiedKey::new(
        vec![CertificateDer::from(cert.der().to_vec())],
        signing,
    ))
}

/// Writes `path` whole or not at all (see `files::replace_file`).
fn write_replacing(path: &Path, bytes: &[u8], private: bool) -> Result<(), Error> {
    crate::files::replace_file(path, bytes, private).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            directory: LETS_ENCRYPT.into(),
            domains: vec!["skhcn.example.gov.vn".into()],
            contact: vec![],
            challenge: Challenge::Http01,
            ca_roots: None,
        }
    }

    /// A certificate that expires on 2030-01-01.
    fn write_certificate(dir: &Path) {
        let mut params =
            rcgen::CertificateParams::new(vec!["skhcn.example.gov.vn".into()]).unwrap();
        params.not_after = rcgen::date_time_ymd(2030, 1, 1);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let pem = format!("{}{}", key.serialize_pem(), cert.pem());
        write_replacing(&certificate_path(dir), pem.as_bytes(), true).unwrap();
        assert!(tls::certified_key_from_pem(pem.as_bytes()).is_ok());
    }

    #[test]
    fn renewal_is_due_when_missing_near_expiry_or_ordered_for_something_else() {
        let dir = tempfile::tempdir().unwrap();
        let settings = settings();
        let now: jiff::Timestamp = "2029-06-01T00:00:00Z".parse().unwrap();
        assert!(renewal_due(dir.path(), &settings, now).is_some(), "missing");
        write_certificate(dir.path());
        assert!(
            renewal_due(dir.path(), &settings, now)
                .unwrap()
                .contains("no record"),
        );
        let issued = Issued {
            directory: settings.directory.clone(),
            domains: settings.domains.clone(),
            issued_at: now,
        };
        std::fs::write(
            issued_path(dir.path()),
            serde_json::to_vec(&issued).unwrap(),
        )
        .unwrap();
        assert_eq!(renewal_due(dir.path(), &settings, now), None);
        let near: jiff::Timestamp = "2029-12-05T00:00:00Z".parse().unwrap();
        assert!(
            renewal_due(dir.path(), &settings, near)
                .unwrap()
                .contains("expires")
        );
        let mut other = settings.clone();
        other.domains.push("www.skhcn.example.gov.vn".into());
        assert!(
            renewal_due(dir.path(), &other, now)
                .unwrap()
                .contains("domains")
        );
        other = settings.clone();
        other.directory = "https://ca.example/directory".into();
        assert!(renewal_due(dir.path(), &other, now).unwrap().contains("CA"));
    }

    #[test]
    fn the_tls_alpn_answer_carries_the_digest_for_its_domain() {
        let digest = [7u8; 32];
        let answer = tls_alpn01_answer("skhcn.example.gov.vn", &digest).unwrap();
        let der = answer.cert[0].as_ref();
        // The acmeIdentifier OID 1.3.6.1.5.5.7.1.31, then the digest as an OCTET STRING.
        let oid = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x1f];
        assert!(der.windows(oid.len()).any(|w| w == oid));
        let mut octets = vec![0x04, 0x20];
        octets.extend_from_slice(&digest);
        assert!(der.windows(octets.len()).any(|w| w == octets.as_slice()));
        let responses = Responses::default();
        responses.set_tls_alpn01("SKHCN.example.gov.vn".into(), Arc::new(answer));
        assert!(responses.tls_alpn01("skhcn.example.gov.vn").is_some());
        responses.clear();
        assert!(responses.tls_alpn01("skhcn.example.gov.vn").is_none());
    }
}
