//! TLS: rustls with the ring provider, TLS 1.2 and 1.3, ALPN h2 and http/1.1.
//!
//! The certificate sits behind `CertSwitch`, a resolver whose key can be replaced while
//! connections run: SIGHUP and changed files reload the PEM files into it, and the ACME
//! client puts its certificates there the same way. Open connections keep the key they
//! shook hands with; new handshakes get the new one. In ACME mode it also answers
//! TLS-ALPN-01 validation handshakes (RFC 8737) from `acme::Responses`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::acme;
use crate::config::{Config, TlsSource};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {message}")]
    Pem { path: PathBuf, message: String },
    #[error("{path} holds no certificate")]
    NoCertificate { path: PathBuf },
    #[error("the key in {key} does not fit the certificate in {cert}: {message}")]
    KeyMismatch {
        cert: PathBuf,
        key: PathBuf,
        message: String,
    },
    #[error("cannot make a self-signed certificate: {0}")]
    Generate(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The certificate file the configuration serves from.
pub fn configured_cert_path(config: &Config) -> PathBuf {
    match &config.tls {
        TlsSource::Files { cert, .. } => cert.clone(),
        TlsSource::SelfSigned => config.tls_dir().join("self-signed.crt"),
        TlsSource::Acme(_) => acme::certificate_path(&config.tls_dir()),
    }
}

pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The certificate source of a running server, and the key it currently serves.
pub struct CertSwitch {
    current: RwLock<Arc<CertifiedKey>>,
    cert: PathBuf,
    key: PathBuf,
    /// Modification times of the files as last loaded, to notice a change.
    loaded: std::sync::Mutex<(Option<std::time::SystemTime>, Option<std::time::SystemTime>)>,
    self_signed: Option<(PathBuf, Vec<String>)>,
    /// ACME challenge answers; empty unless an order is being validated.
    responses: acme::Responses,
    /// Whether TLS-ALPN-01 validation handshakes are answered.
    answers_tls_alpn: bool,
    /// Wakes the ACME task to look at the certificate now rather than at the next minute.
    check: tokio::sync::Notify,
    /// One refresh at a time: a renewal removes and rewrites the files.
    refreshing: std::sync::Mutex<()>,
}

/// A self-signed certificate this close to expiry is made anew.
const RENEW_BEFORE: jiff::SignedDuration = jiff::SignedDuration::from_hours(24 * 30);

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl std::fmt::Debug for CertSwitch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertSwitch")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .finish()
    }
}

/// Checks configured certificate files before anything starts: they exist, can be
/// read, hold a certificate and a key that fits it. The error names the setting
/// (`tls.cert` or `tls.key`) and the file. Self-signed and ACME certificates are made
/// by the program, so there is nothing to check for them.
pub fn check_files(config: &Config) -> Result<(), String> {
    let TlsSource::Files { cert, key } = &config.tls else {
        return Ok(());
    };
    load_pem(cert, key).map(drop).map_err(|e| {
        let setting = match &e {
            Error::Pem { path, .. } | Error::NoCertificate { path } if path == cert => "tls.cert",
            _ => "tls.key",
        };
        format!("invalid {setting}: {e}")
    })
}

impl CertSwitch {
    /// Loads the configured certificate, making the self-signed one first if needed.
    /// In ACME mode, until the CA has issued one, a self-signed certificate serves.
    pub fn load(config: &Config) -> Result<CertSwitch, Error> {
        let (cert, key) = match &config.tls {
            TlsSource::Files { cert, key } => (cert.clone(), key.clone()),
            TlsSource::SelfSigned => {
                ensure_self_signed(&config.tls_dir(), &self_signed_names(config))?
            }
            TlsSource::Acme(_) => {
                let both = acme::certificate_path(&config.tls_dir());
                (both.clone(), both)
            }
        };
        let loaded = match (&config.tls, load_pem(&cert, &key)) {
            (_, Ok(loaded)) => loaded,
            (TlsSource::Acme(_), Err(e)) => {
                if cert.exists() {
                    tracing::warn!(
                        "serving a self-signed certificate until the ACME CA issues one: {e}"
                    );
                }
                let (cert, key) =
                    ensure_self_signed(&config.tls_dir(), &self_signed_names(config))?;
                load_pem(&cert, &key)?
            }
            (_, Err(e)) => return Err(e),
        };
        let times = (modified(&cert), modified(&key));
        Ok(CertSwitch {
            current: RwLock::new(Arc::new(loaded)),
            loaded: std::sync::Mutex::new(times),
            self_signed: matches!(config.tls, TlsSource::SelfSigned)
                .then(|| (config.tls_dir(), self_signed_names(config))),
            responses: acme::Responses::default(),
            answers_tls_alpn: matches!(
                &config.tls,
                TlsSource::Acme(settings) if settings.challenge == acme::Challenge::TlsAlpn01
            ),
            check: tokio::sync::Notify::new(),
            refreshing: std::sync::Mutex::new(()),
            cert,
            key,
        })
    }

    pub fn responses(&self) -> &acme::Responses {
        &self.responses
    }

    /// Asks the ACME task to look at the certificate now, past any back-off.
    pub fn check_now(&self) {
        self.check.notify_one();
    }

    pub(crate) async fn check_requested(&self) {
        self.check.notified().await;
    }

    /// Called every minute: reloads PEM files that changed on disk, and makes a new
    /// self-signed certificate when the current one nears expiry. Returns whether a new
    /// certificate went into service. On error the old one keeps serving.
    pub fn refresh(&self, now: jiff::Timestamp) -> Result<bool, Error> {
        let _one_at_a_time = self
            .refreshing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((dir, hosts)) = &self.self_signed {
            let expiring = crate::http::certinfo::from_pem_file(&self.cert)
                .is_none_or(|info| info.not_after.duration_since(now) < RENEW_BEFORE);
            if expiring {
                // Written over the old pair (each file replaced whole), so a reader
                // never finds the certificate missing or half-written.
                make_self_signed(dir, hosts)?;
                self.reload()?;
                return Ok(true);
            }
            return Ok(false);
        }
        let times = (modified(&self.cert), modified(&self.key));
        let changed = self.loaded.lock().map_or(true, |loaded| *loaded != times);
        if changed {
            self.reload()?;
        }
        Ok(changed)
    }

    /// Re-reads the PEM files. On error the old certificate stays in service.
    pub fn reload(&self) -> Result<(), Error> {
        let times = (modified(&self.cert), modified(&self.key));
        let loaded = Arc::new(load_pem(&self.cert, &self.key)?);
        self.replace(loaded);
        if let Ok(mut last) = self.loaded.lock() {
            *last = times;
        }
        Ok(())
    }

    /// Puts a new key in service for new handshakes (the seam ACME uses).
    pub fn replace(&self, key: Arc<CertifiedKey>) {
        match self.current.write() {
            Ok(mut current) => *current = key,
            Err(poisoned) => *poisoned.into_inner() = key,
        }
    }

    /// Whether it answers ACME TLS-ALPN-01 validation handshakes.
    pub fn answers_tls_alpn(&self) -> bool {
        self.answers_tls_alpn
    }

    pub fn cert_path(&self) -> &Path {
        &self.cert
    }

    fn current(&self) -> Arc<CertifiedKey> {
        match self.current.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

impl ResolvesServerCert for CertSwitch {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let validation = self.answers_tls_alpn
            && hello
                .alpn()
                .is_some_and(|mut offered| offered.any(|p| p == acme::ACME_TLS_ALPN));
        if validation {
            // Only the CA asks for acme-tls/1; it gets the answer or no certificate.
            return hello
                .server_name()
                .and_then(|name| self.responses.tls_alpn01(name));
        }
        Some(self.current())
    }
}

/// The rustls server configuration: TLS 1.3 and 1.2 only, ALPN h2 then http/1.1 (and
/// acme-tls/1 when TLS-ALPN-01 validations are answered).
pub fn server_config(certs: Arc<CertSwitch>) -> Result<Arc<ServerConfig>, Error> {
    let tls_alpn = certs.answers_tls_alpn;
    resolver_config(certs, tls_alpn)
}

/// As `server_config`, with certificates from any resolver (the sites' one).
pub fn resolver_config(
    certs: Arc<dyn ResolvesServerCert>,
    tls_alpn: bool,
) -> Result<Arc<ServerConfig>, Error> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_cert_resolver(certs);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    if tls_alpn {
        config.alpn_protocols.push(acme::ACME_TLS_ALPN.to_vec());
    }
    Ok(Arc::new(config))
}

/// A private key and its certificate chain from one PEM text (as `acme.pem` holds them).
pub fn certified_key_from_pem(pem: &[u8]) -> Result<CertifiedKey, String> {
    let chain = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    if chain.is_empty() {
        return Err("no certificate".into());
    }
    let private = PrivateKeyDer::from_pem_slice(pem).map_err(|e| e.to_string())?;
    CertifiedKey::from_der(chain, private, &provider()).map_err(|e| e.to_string())
}

fn load_pem(cert: &Path, key: &Path) -> Result<CertifiedKey, Error> {
    let pem_error = |path: &Path, e: rustls_pki_types::pem::Error| Error::Pem {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| pem_error(cert, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(cert, e))?;
    if chain.is_empty() {
        return Err(Error::NoCertificate {
            path: cert.to_path_buf(),
        });
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| pem_error(key, e))?;
    CertifiedKey::from_der(chain, private, &provider()).map_err(|e| Error::KeyMismatch {
        cert: cert.to_path_buf(),
        key: key.to_path_buf(),
        message: e.to_string(),
    })
}

/// Makes `tls/self-signed.crt` and `.key` for the configured host names unless they
/// exist. They persist, so a browser exception made once keeps working.
/// The names a self-signed certificate covers: the site's host names and the old
/// site's, so a request to an old name reaches its redirect.
fn self_signed_names(config: &Config) -> Vec<String> {
    config
        .hosts
        .iter()
        .chain(&config.old_hosts)
        .cloned()
        .collect()
}

fn ensure_self_signed(dir: &Path, hosts: &[String]) -> Result<(PathBuf, PathBuf), Error> {
    let cert = dir.join("self-signed.crt");
    let key = dir.join("self-signed.key");
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    make_self_signed(dir, hosts)
}

/// Makes a new self-signed pair in `dir`, replacing any there.
fn make_self_signed(dir: &Path, hosts: &[String]) -> Result<(PathBuf, PathBuf), Error> {
    let cert = dir.join("self-signed.crt");
    let key = dir.join("self-signed.key");
    let mut names: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    for host in hosts {
        if !names.contains(host) {
            names.push(host.clone());
        }
    }
    // Named after the site (the last configured host, else localhost), so operators
    // and browsers see whose certificate it is.
    let common_name = hosts
        .iter()
        .rev()
        .find(|h| h.parse::<std::net::IpAddr>().is_err())
        .cloned()
        .unwrap_or_else(|| "localhost".into());
    let generated = (|| -> Result<rcgen::CertifiedKey<rcgen::KeyPair>, rcgen::Error> {
        let mut params = rcgen::CertificateParams::new(names)?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        let signing_key = rcgen::KeyPair::generate()?;
        let cert = params.self_signed(&signing_key)?;
        Ok(rcgen::CertifiedKey { cert, signing_key })
    })()
    .map_err(|e| Error::Generate(e.to_string()))?;
    let write = |path: &Path, text: &str, private: bool| -> Result<(), Error> {
        crate::files::replace_file(path, text.as_bytes(), private).map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })
    };
    write(&key, &generated.signing_key.serialize_pem(), true)?;
    write(&cert, &generated.cert.pem(), false)?;
    tracing::info!(path = %cert.display(), "made a self-signed certificate");
    Ok((cert, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_certificate_is_made_once_and_loads() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::for_data(dir.path());
        let switch = CertSwitch::load(&config).unwrap();
        let first = std::fs::read(switch.cert_path()).unwrap();
        let again = CertSwitch::load(&config).unwrap();
        assert_eq!(std::fs::read(again.cert_path()).unwrap(), first);
        switch.reload().unwrap();
        let info = crate::http::certinfo::from_pem_file(switch.cert_path()).unwrap();
        assert_eq!(info.subject, "localhost", "named after the site");
        assert!(
            !switch.refresh(jiff::Timestamp::now()).unwrap(),
            "far from expiry"
        );
    }

    #[test]
    fn a_broken_key_file_is_a_clear_error_and_keeps_the_old_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::for_data(dir.path());
        let switch = CertSwitch::load(&config).unwrap();
        let before = switch.current();
        std::fs::write(dir.path().join("tls/self-signed.key"), "not a key").unwrap();
        let err = switch.reload().unwrap_err().to_string();
        assert!(err.contains("self-signed.key"), "{err}");
        assert!(Arc::ptr_eq(&before, &switch.current()));
    }
}
