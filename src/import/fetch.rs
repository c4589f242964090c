//! Fetching from an old site: one blocking HTTP client with a time limit, a size
//! limit and a bound on redirects, whose errors say in plain English what went wrong.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

/// What came back.
pub struct Fetched {
    pub bytes: Vec<u8>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// Where the content was found, after redirects.
    pub url: reqwest::Url,
}

pub struct Fetcher {
    client: reqwest::blocking::Client,
    max_bytes: u64,
}

/// Redirects followed before a page counts as a loop.
const MAX_REDIRECTS: usize = 10;

impl Fetcher {
    pub fn new(timeout: Duration, max_bytes: u64) -> Result<Fetcher, String> {
        let mut roots = rustls::RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        for cert in found.certs {
            let _ = roots.add(cert);
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up failed: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let client = reqwest::blocking::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10).min(timeout))
            // Redirects are followed here, each hop after the caller's pause.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("trangtin-import/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("HTTP client set-up failed: {e}"))?;
        Ok(Fetcher { client, max_bytes })
    }

    /// GETs `url`: the body if the answer is 200 and within the size limit.
    /// Redirects are followed, calling `before_each` before every request (the
    /// crawler's polite delay); a redirect back to an address already visited is a loop.
    /// Every address asked for, redirects included, must pass `allowed` first.
    pub fn get(
        &self,
        url: &str,
        allowed: &dyn Fn(&reqwest::Url) -> bool,
        before_each: &mut dyn FnMut(),
    ) -> Result<Fetched, String> {
        let mut current =
            reqwest::Url::parse(url).map_err(|_| "not a valid address".to_string())?;
        let mut visited: Vec<reqwest::Url> = Vec::new();
        let response = loop {
            if !allowed(&current) {
                return Err(format!(
                    "{current} is not on the old site (or is a link never followed): not fetched"
                ));
            }
            before_each();
            let response = self
                .client
                .get(current.clone())
                .send()
                .map_err(|e| describe(&e))?;
            if !response.status().is_redirection() {
                break response;
            }
            let next = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| current.join(l).ok())
                .ok_or_else(|| {
                    format!(
                        "the old site answered {} without a valid Location",
                        response.status()
                    )
                })?;
            visited.push(current);
            if visited.contains(&next) {
                return Err(format!("a redirect loop on the old site (back to {next})"));
            }
            if visited.len() > MAX_REDIRECTS {
                return Err(format!(
                    "more than {MAX_REDIRECTS} redirects (a redirect loop on the old site)"
                ));
            }
            current = next;
        };
        let status = response.status();
        if !status.is_success() {
            return Err(format!("the old site answered {status}"));
        }
        if response
            .content_length()
            .is_some_and(|n| n > self.max_bytes)
        {
            return Err(format!("larger than the limit of {} bytes", self.max_bytes));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let final_url = response.url().clone();
        let mut bytes = Vec::new();
        response
            .take(self.max_bytes + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("the transfer broke off: {e}"))?;
        if bytes.len() as u64 > self.max_bytes {
            return Err(format!("larger than the limit of {} bytes", self.max_bytes));
        }
        Ok(Fetched {
            bytes,
            content_type,
            url: final_url,
        })
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_redirect() {
        format!("more than {MAX_REDIRECTS} redirects (a redirect loop on the old site)")
    } else if e.is_timeout() {
        "no complete answer within the time limit".to_string()
    } else if e.is_connect() {
        "the old site cannot be reached (connection failed)".to_string()
    } else if e.is_builder() {
        "not a valid address".to_string()
    } else {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        message
    }
}
