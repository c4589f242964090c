//! `[tls.acme]`: which certificate authority, for which names, and how to prove control
//! of them. The client that uses these settings is `http::acme`.

use std::path::PathBuf;

/// Let's Encrypt's production directory.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";

/// `[tls.acme]`: which CA, for which names, and how to prove control of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub directory: String,
    pub domains: Vec<String>,
    /// `mailto:` addresses the CA writes to about expiry and policy changes.
    pub contact: Vec<String>,
    pub challenge: Challenge,
    /// PEM roots trusted for the directory's own HTTPS, for a private or test CA. The
    /// system's roots are used when this is not set.
    pub ca_roots: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    /// An answer under `/.well-known/acme-challenge/` on the plain-HTTP listener.
    Http01,
    /// A special certificate in the handshake on the HTTPS listener.
    TlsAlpn01,
}

impl Challenge {
    pub fn parse(text: &str) -> Option<Challenge> {
        match text {
            "http-01" => Some(Challenge::Http01),
            "tls-alpn-01" => Some(Challenge::TlsAlpn01),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Challenge::Http01 => "http-01",
            Challenge::TlsAlpn01 => "tls-alpn-01",
        }
    }
}
