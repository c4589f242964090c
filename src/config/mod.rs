//! Configuration: built-in defaults, then a TOML file, then `TRANGTIN_*` environment
//! variables, then command-line flags. Unknown keys and invalid values are errors that
//! name the key; nothing is silently ignored.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub mod acme;
mod file;
pub mod network;
mod resolve;
pub mod sites;

pub use file::{DEFAULT_AUDIT_RETENTION_DAYS, DEFAULT_INACTIVE_DAYS};
use file::{FileConfig, parse_file, read_file};
use resolve::{default_hosts, resolve};

use crate::site::SiteSettings;

/// The resolved configuration one server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub data: PathBuf,
    /// Seed demo content (and, later, demo users) into a new data folder.
    pub demo: bool,
    pub https: SocketAddr,
    /// `None` turns the plain-HTTP redirect listener off.
    pub http: Option<SocketAddr>,
    pub tls: TlsSource,
    /// Host names this site answers to; any other `Host` gets 421.
    pub hosts: Vec<String>,
    /// The old site's host names, pointed here after a move: every request to one
    /// answers 301 with the same address (or where it moved) on this site.
    pub old_hosts: Vec<String>,
    /// Public origin used in redirects and canonical links, e.g. `https://sokhcn.gialai.gov.vn`.
    pub base_url: Option<String>,
    pub limits: Limits,
    pub cache_max_bytes: usize,
    /// Site identity written into a new data folder when no demo content is seeded.
    pub site: Option<SiteSettings>,
    pub log: String,
    /// Lock-out after failed logins.
    pub login: crate::auth::throttle::Policy,
    /// When not empty, only these addresses reach `/quan-tri`.
    pub admin_allow: Vec<crate::config::network::Network>,
    /// What `/.well-known/security.txt` says (RFC 9116).
    pub security_txt: SecurityTxt,
    /// How long audit records are kept (S3 of the regulation: 12 months).
    pub audit_retention_days: i64,
    /// How long the daily request logs (with source addresses) are kept: at least 90
    /// days (Decree 330).
    pub request_log_days: i64,
    /// Idle and absolute session timeouts.
    pub sessions: crate::auth::session::Lifetimes,
    /// Accounts with no activity for this many days are disabled.
    pub inactive_days: i64,
    /// The daily integrity check: when, and what citizens see of an altered entry.
    pub integrity: crate::integrity::Policy,
    /// The daily backup: when, where, and how many are kept.
    pub backup: crate::backup::schedule::Policy,
    /// `[mail]`: the relay; `None` when no host is set (mail waits in the outbox).
    pub mail: Option<crate::mail::Settings>,
    /// Roles that must enrol a second factor besides those that always must (board
    /// head, publisher, administrator, delegates).
    pub second_factor_roles: Vec<crate::workflow::Role>,
    /// The citizens' forms: submissions per address per hour, and the shortest
    /// believable time to fill one.
    pub forms: Forms,
    /// Holidays and make-up working days, for deadlines in working days.
    pub calendar: crate::calendar::Calendar,
    /// The topics a citizen picks from when asking a question.
    pub question_topics: Vec<String>,
    /// Working days to publish after the source document (A2, D2–D6), and how often
    /// standing pages must be reviewed (D1).
    pub deadlines: crate::content::deadlines::Rules,
    /// `[archive]`: the site is kept online read-only after a successor replaced it.
    pub archive: Option<Archive>,
    /// The section tree a new data folder starts with (`sections = "so" | "xa"`).
    pub sections: crate::content::sections::Template,
    /// The site's name when the process serves several (`sites/NAME.toml`); empty for
    /// a single site.
    pub name: String,
}

/// A retired site kept online: since when, and where its work goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archive {
    /// The last day it was updated.
    pub since: jiff::civil::Date,
    /// The successor site's origin (`https://…`), for the banner, the closed forms and
    /// the redirects.
    pub successor: Option<String>,
    /// Old addresses (path prefixes) sent to the same address on the successor.
    pub redirect_prefixes: Vec<String>,
}

pub fn default_question_topics() -> Vec<String> {
    [
        "Khoa học và công nghệ",
        "Sở hữu trí tuệ",
        "Tiêu chuẩn, đo lường, chất lượng",
        "Chuyển đổi số, đổi mới sáng tạo",
        "Thủ tục hành chính",
        "Khác",
    ]
    .map(String::from)
    .to_vec()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forms {
    pub per_address_per_hour: usize,
    pub min_fill: Duration,
    /// Months after a question, comment or message is closed before the site erases
    /// the sender's personal data by itself (the privacy notice states it).
    pub keep_personal_data_months: u32,
}

impl Default for Forms {
    fn default() -> Self {
        Forms {
            per_address_per_hour: 5,
            min_fill: Duration::from_secs(3),
            keep_personal_data_months: 24,
        }
    }
}

/// `[security_txt]`: how to report a vulnerability. Without `contact`, the site's
/// email is used; without `expires`, a date 180 days ahead.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityTxt {
    #[serde(default)]
    pub contact: Vec<String>,
    pub expires: Option<jiff::civil::Date>,
    pub policy: Option<String>,
    pub acknowledgments: Option<String>,
    #[serde(default = "default_languages")]
    pub preferred_languages: String,
}

fn default_languages() -> String {
    "vi, en".to_string()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// A self-signed certificate for localhost kept in `data/tls/`, made on first start.
    SelfSigned,
    /// PEM files: a certificate chain and its private key, reloaded when they change.
    Files { cert: PathBuf, key: PathBuf },
    /// A certificate from an ACME CA (Let's Encrypt unless configured), renewed in time.
    Acme(crate::config::acme::Settings),
}

#[derive(Debug, Clone)]
pub struct Limits {
    pub header_timeout: Duration,
    pub handshake_timeout: Duration,
    pub body_max_bytes: u64,
    /// The most time a request body may take in all.
    pub body_timeout: Duration,
    /// Bytes per second a body must average after its first 10 seconds.
    pub body_min_bytes_per_sec: u64,
    /// Request bodies being received at once, in all and from one address.
    pub max_pending_bodies: usize,
    pub max_pending_bodies_per_ip: usize,
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    pub shutdown_grace: Duration,
    /// Keeps each connection thread on a core of its own (`http::affinity`).
    pub pin_threads: bool,
    /// Up to this many published entries, a new search index (none, or of an older
    /// format) is built before the server serves; past it, in the background, while
    /// searches answer 503 (`app::SearchRepair`).
    pub search_index_at_start: usize,
    /// Free disk space an upload must leave; `None`: 5% of the disk, at most 1 GiB.
    pub disk_reserve_bytes: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid value for {key}: {message}")]
    Invalid { key: String, message: String },
}

/// Values that outrank the file: environment variables and flags, already merged
/// by the command line (flags win over the environment).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub data: Option<PathBuf>,
    pub https: Option<String>,
    pub http: Option<String>,
}

pub const DEFAULT_HTTPS: &str = "127.0.0.1:8443";
pub const DEFAULT_CACHE_BYTES: usize = 32 * 1024 * 1024;
pub const DEFAULT_HTTP: &str = "127.0.0.1:8080";

impl Config {
    /// Resolves the configuration: defaults, then the file named by the overrides (if
    /// any), then the overrides themselves.
    pub fn load(overrides: &Overrides) -> Result<Config, Error> {
        let file = match &overrides.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let base = overrides
            .config
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf);
        resolve(file, overrides, base.as_deref())
    }

    /// Parses TOML text as a config file would be parsed; for tests and `doctor`.
    pub fn from_toml(text: &str, overrides: &Overrides) -> Result<Config, Error> {
        let file = parse_file(text, Path::new("<inline>"))?;
        resolve(file, overrides, None)
    }

    /// The absolute origin requests to an old host name are sent to: `base_url`, or
    /// the first host name on the HTTPS port.
    pub fn new_origin(&self) -> String {
        if let Some(base) = &self.base_url {
            return base.trim_end_matches('/').to_string();
        }
        let host = self.hosts.first().map_or("localhost", String::as_str);
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        match self.https.port() {
            443 => format!("https://{host}"),
            port => format!("https://{host}:{port}"),
        }
    }

    /// The defaults with `data` as the folder and ephemeral loopback ports (tests).
    pub fn for_data(data: impl Into<PathBuf>) -> Config {
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        Config {
            data: data.into(),
            demo: true,
            https: loopback,
            http: Some(loopback),
            tls: TlsSource::SelfSigned,
            hosts: default_hosts(None),
            old_hosts: Vec::new(),
            base_url: None,
            limits: Limits::default(),
            cache_max_bytes: DEFAULT_CACHE_BYTES,
            site: None,
            log: "info".to_string(),
            login: Default::default(),
            admin_allow: Vec::new(),
            security_txt: SecurityTxt {
                preferred_languages: default_languages(),
                ..SecurityTxt::default()
            },
            audit_retention_days: DEFAULT_AUDIT_RETENTION_DAYS,
            request_log_days: file::DEFAULT_REQUEST_LOG_DAYS,
            sessions: Default::default(),
            inactive_days: DEFAULT_INACTIVE_DAYS,
            second_factor_roles: crate::workflow::Role::ALL.to_vec(),
            backup: Default::default(),
            mail: None,
            integrity: Default::default(),
            forms: Default::default(),
            calendar: Default::default(),
            question_topics: default_question_topics(),
            deadlines: Default::default(),
            archive: None,
            sections: Default::default(),
            name: String::new(),
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.data.join("trangtin.redb")
    }

    pub fn tls_dir(&self) -> PathBuf {
        self.data.join("tls")
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(10),
            body_max_bytes: 2 * 1024 * 1024,
            // The largest upload (21 MiB) over a 0.3 Mbit/s office line.
            body_timeout: Duration::from_secs(600),
            body_min_bytes_per_sec: 1024,
            max_pending_bodies: 256,
            max_pending_bodies_per_ip: 16,
            max_connections: 1024,
            max_connections_per_ip: 64,
            shutdown_grace: Duration::from_secs(10),
            disk_reserve_bytes: None,
            pin_threads: true,
            // About two seconds' work.
            search_index_at_start: 10_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's configuration table lists every key of the file's shapes
    /// (`config/file.rs`), read from the structs themselves, so the two cannot drift.
    /// A row may name several keys (`tls.cert`, `tls.key`; `backup.keep_daily`,
    /// `keep_weekly`), and a table kept as a whole (`[site]`) counts for its keys.
    #[test]
    fn the_readme_lists_every_configuration_key() {
        let source = include_str!("file.rs");
        let readme = include_str!("../../README.md");
        let mut structs = std::collections::HashMap::new();
        for block in source.split("pub(super) struct ").skip(1) {
            let name = block.split_whitespace().next().unwrap_or("");
            let body = block.split("\n}").next().unwrap_or("");
            let fields: Vec<(String, String)> = body
                .lines()
                .filter_map(|l| l.trim().strip_prefix("pub(super) "))
                .filter_map(|l| l.split_once(": "))
                .map(|(f, t)| (f.to_string(), t.trim_end_matches(',').to_string()))
                .collect();
            structs.insert(name.to_string(), fields);
        }
        fn keys(
            structs: &std::collections::HashMap<String, Vec<(String, String)>>,
            name: &str,
            prefix: &str,
            out: &mut Vec<String>,
        ) {
            for (field, ty) in &structs[name] {
                let inner = ty
                    .strip_prefix("Option<")
                    .and_then(|t| t.strip_suffix('>'))
                    .unwrap_or(ty);
                if structs.contains_key(inner) {
                    keys(structs, inner, &format!("{prefix}{field}."), out);
                } else {
                    out.push(format!("{prefix}{field}"));
                }
            }
        }
        let mut wanted = Vec::new();
        keys(&structs, "FileConfig", "", &mut wanted);
        assert!(wanted.len() > 40, "{wanted:?}");
        let mut listed = Vec::new();
        for row in readme.lines().filter(|l| l.starts_with("| `")) {
            let first = row.split('|').nth(1).unwrap_or("");
            let mut prefix = String::new();
            for key in first.split('`').skip(1).step_by(2) {
                let key = key.trim_matches(|c| c == '[' || c == ']');
                if key.contains('.') {
                    prefix = key
                        .rsplit_once('.')
                        .map(|(p, _)| format!("{p}."))
                        .unwrap_or_default();
                    listed.push(key.to_string());
                } else {
                    listed.push(format!("{prefix}{key}"));
                }
            }
        }
        let missing: Vec<&String> = wanted
            .iter()
            .filter(|k| {
                !listed
                    .iter()
                    .any(|l| l == *k || l.starts_with(&format!("{k}.")))
            })
            .collect();
        assert!(
            missing.is_empty(),
            "keys missing from the README's table: {missing:?}"
        );
    }

    fn parse(text: &str) -> Result<Config, Error> {
        Config::from_toml(text, &Overrides::default())
    }

    #[test]
    fn login_admin_and_security_txt_sections_are_checked() {
        let c = parse(
            "[login]\nmax_failures = 3\nlock_minutes = 30\n[admin]\nallow = [\"192.168.1.0/24\", \"::1\"]\n[security_txt]\ncontact = [\"mailto:attt@example.gov.vn\"]\nexpires = \"2027-06-30\"\n",
        )
        .unwrap();
        assert_eq!(c.login.max_failures, 3);
        assert_eq!(c.login.window, jiff::SignedDuration::from_mins(30));
        assert_eq!(c.admin_allow.len(), 2);
        assert_eq!(c.security_txt.expires, Some(jiff::civil::date(2027, 6, 30)));
        for (text, key) in [
            ("[login]\nmax_failures = 0", "login.max_failures"),
            ("[login]\nlock_minutes = 0", "login.lock_minutes"),
            (
                "[login]\nmax_failures_per_address = 2",
                "login.max_failures_per_address",
            ),
            ("[admin]\nallow = [\"văn phòng\"]", "admin.allow"),
            ("[admin]\nallow = [\"10.0.0.0/40\"]", "admin.allow"),
            (
                "[security_txt]\ncontact = [\"attt@example.gov.vn\"]",
                "security_txt.contact",
            ),
        ] {
            match parse(text) {
                Err(Error::Invalid { key: k, .. }) => assert_eq!(k, key, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn defaults_suit_a_checkout() {
        let c = parse("").unwrap();
        assert_eq!(c.data, PathBuf::from("./data"));
        assert_eq!(c.https.to_string(), DEFAULT_HTTPS);
        assert_eq!(c.http.unwrap().to_string(), DEFAULT_HTTP);
        assert!(c.demo);
        assert_eq!(c.tls, TlsSource::SelfSigned);
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = parse("colour = 1").unwrap_err().to_string();
        assert!(err.contains("colour"), "{err}");
        let err = parse("[listen]\nhttps_port = 1").unwrap_err().to_string();
        assert!(err.contains("https_port"), "{err}");
    }

    #[test]
    fn invalid_values_are_named() {
        let err = parse("[listen]\nhttps = \"localhost\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("listen.https"), "{err}");
        let err = parse("[tls]\ncert = \"a.pem\"").unwrap_err().to_string();
        assert!(err.contains("tls"), "{err}");
        let err = parse("[limits]\nheader_timeout_secs = 0")
            .unwrap_err()
            .to_string();
        assert!(err.contains("header_timeout_secs"), "{err}");
        let err = parse("base_url = \"http://x\"").unwrap_err().to_string();
        assert!(err.contains("base_url"), "{err}");
        let err = parse("base_url = \"https://x.gov.vn/site\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("base_url"), "{err}");
        let err = parse("[accounts]\nsecond_factor_roles = [\"king\"]")
            .unwrap_err()
            .to_string();
        assert!(err.contains("accounts.second_factor_roles"), "{err}");
        let err = parse("[tls]\nmode = \"acme\"").unwrap_err().to_string();
        assert!(err.contains("tls.acme.domains"), "{err}");
        let acme = |extra: &str| {
            parse(&format!(
                "hosts = [\"skhcn.example.gov.vn\", \"127.0.0.1\"]\n[tls]\nmode = \"acme\"\n[tls.acme]\n{extra}"
            ))
        };
        let TlsSource::Acme(settings) = acme("contact = [\"it@example.gov.vn\"]").unwrap().tls
        else {
            panic!("acme mode");
        };
        assert_eq!(settings.domains, ["skhcn.example.gov.vn"]);
        assert_eq!(settings.contact, ["mailto:it@example.gov.vn"]);
        assert_eq!(settings.directory, crate::config::acme::LETS_ENCRYPT);
        for (extra, key) in [
            (
                "directory = \"http://ca.example/dir\"",
                "tls.acme.directory",
            ),
            ("domains = [\"*.example.gov.vn\"]", "tls.acme.domains"),
            ("domains = [\"10.0.0.1\"]", "tls.acme.domains"),
            ("challenge = \"dns-01\"", "tls.acme.challenge"),
            ("contact = [\"nobody\"]", "tls.acme.contact"),
            ("colour = \"red\"", "colour"),
        ] {
            let err = acme(extra).unwrap_err().to_string();
            assert!(err.contains(key), "{extra}: {err}");
        }
        let err = parse("[tls]\nmode = \"self-signed\"\n[tls.acme]\ndomains = [\"a.vn\"]")
            .unwrap_err()
            .to_string();
        assert!(err.contains("tls.acme"), "{err}");
        let err = parse("hosts = [\"a.vn\"]\n[listen]\nhttp = \"off\"\n[tls]\nmode = \"acme\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("listen.http"), "{err}");
        let err = parse("[tls]\nmode = \"files\"").unwrap_err().to_string();
        assert!(err.contains("cert and key"), "{err}");
        assert!(matches!(
            parse("[tls]\nmode = \"self-signed\"").unwrap().tls,
            TlsSource::SelfSigned
        ));
        let err = parse("[backup]\ntime = \"25:00\"").unwrap_err().to_string();
        assert!(err.contains("backup.time"), "{err}");
        let ok = parse("[backup]\ntime = \"03:30\"\nkeep_monthly = 24").unwrap();
        assert_eq!(ok.backup.at, jiff::civil::time(3, 30, 0, 0));
        assert_eq!(ok.backup.keep_monthly, 24);
        let ok = parse("[accounts]\nsecond_factor_roles = [\"compiler\"]").unwrap();
        assert_eq!(
            ok.second_factor_roles,
            vec![crate::workflow::Role::Compiler]
        );
        // Unset, every staff role must enrol (S2); an empty list leaves only the roles
        // that always must.
        let all = parse("").unwrap();
        assert_eq!(all.second_factor_roles, crate::workflow::Role::ALL.to_vec());
        let none = parse("[accounts]\nsecond_factor_roles = []").unwrap();
        assert!(none.second_factor_roles.is_empty());
    }

    #[test]
    fn flags_outrank_the_file_and_http_can_be_off() {
        let o = Overrides {
            https: Some("[::]:9443".into()),
            http: Some("off".into()),
            ..Overrides::default()
        };
        let c = Config::from_toml("[listen]\nhttps = \"127.0.0.1:1\"", &o).unwrap();
        assert_eq!(c.https.to_string(), "[::]:9443");
        assert!(c.http.is_none());
    }

    #[test]
    fn the_packaged_example_is_valid() {
        let c = parse(include_str!("../../packaging/trangtin.example.toml")).unwrap();
        assert!(!c.demo);
        assert!(c.https.is_ipv6());
        assert!(c.site.unwrap().missing_required().is_empty());
        assert!(matches!(c.tls, TlsSource::Files { .. }));
    }

    #[test]
    fn base_url_host_is_served() {
        let c = parse("base_url = \"https://sokhcn.gialai.gov.vn\"").unwrap();
        assert!(c.hosts.contains(&"sokhcn.gialai.gov.vn".to_string()));
    }
}
