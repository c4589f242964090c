//! E-mail through the office's relay. Nothing is sent from a request: what is to be
//! said goes into the outbox (`outbox`) in the same transaction as the event that
//! causes it, and the sender task (`sender`) delivers it with retries, so a relay that
//! is down, slow or refusing never blocks a page and never loses a message. Who is told
//! what lives in `notify`; how a message looks in `compose`; the relay in `relay`.

pub mod compose;
pub mod notify;
pub mod outbox;
pub mod relay;
pub mod sender;

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (port 587), required.
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only to a relay on this machine (loopback).
    None,
}

/// `[mail]`: the relay and the sender's address. Mail is off when no host is set.
#[derive(Debug, Clone)]
pub struct Settings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: String,
    /// A file holding the relay password (mode 0600).
    pub password_file: Option<PathBuf>,
    /// `Tên <dia-chi@...>` or a bare address.
    pub from: String,
    pub reply_to: Option<String>,
    /// Extra trusted roots for the relay's certificate (an internal CA), PEM.
    pub ca_file: Option<PathBuf>,
    /// When the daily digest goes out on working days (local time).
    pub digest_at: jiff::civil::Time,
    /// The first retry's wait; each next one doubles, up to an hour.
    pub retry_after: Duration,
    /// A message still undelivered after this long is set aside as failed.
    pub give_up_after: Duration,
}

impl Settings {
    pub fn password(&self) -> std::io::Result<Option<String>> {
        match &self.password_file {
            None => Ok(None),
            Some(path) => Ok(Some(
                std::fs::read_to_string(path)?
                    .trim_end_matches(['\n', '\r'])
                    .to_string(),
            )),
        }
    }
}

/// Stands for the site's address in a message written where it is not known (a
/// domain function); the sender puts the configured origin in its place.
const ORIGIN: &str = "{{trangtin-origin}}";

pub fn origin_placeholder() -> &'static str {
    ORIGIN
}

/// `text` with the placeholder replaced by `origin`.
pub fn with_origin(text: &str, origin: &str) -> String {
    text.replace(ORIGIN, origin)
}

/// An address typed into a form, checked: one mailbox, no names, no line breaks (which
/// would let a form write mail headers). The error is for the person, in Vietnamese.
pub fn checked_address(text: &str) -> Result<String, &'static str> {
    let text = text.trim();
    if text.chars().any(char::is_control) || text.contains([',', ';', '<', '>', ' ']) {
        return Err("Địa chỉ thư điện tử không hợp lệ.");
    }
    text.parse::<lettre::Address>()
        .map(|a| a.to_string())
        .map_err(|_| "Địa chỉ thư điện tử không hợp lệ.")
}

/// Whether a text may go into a header (a name beside an address): no line breaks or
/// other control characters.
pub fn header_safe(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_one_mailbox_without_line_breaks() {
        assert_eq!(
            checked_address(" nguoidan@example.vn ").unwrap(),
            "nguoidan@example.vn"
        );
        for bad in [
            "",
            "khong-phai-dia-chi",
            "a@b.vn\r\nBcc: x@y.vn",
            "a@b.vn, c@d.vn",
            "Tên <a@b.vn>",
            "a@b.vn\nSubject: x",
        ] {
            assert!(checked_address(bad).is_err(), "{bad:?}");
        }
        assert!(!header_safe("Nguyễn\r\nBcc: x@y"));
        assert!(header_safe("Nguyễn Văn A"));
    }
}
