//! Configuration: built-in defaults, then a TOML file, then `TRANGTIN_*` environment
//! variables, then command-line flags. Unknown keys and invalid values are errors that
//! name the key; nothing is silently ignored.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

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
    pub admin_allow: Vec<crate::http::allow::Network>,
    /// What `/.well-known/security.txt` says (RFC 9116).
    pub security_txt: SecurityTxt,
    /// How long audit records are kept (S3 of the regulation: 12 months).
    pub audit_retention_days: i64,
    /// Idle and absolute session timeouts.
    pub sessions: crate::auth::session::Lifetimes,
    /// Accounts with no activity for this many days are disabled.
    pub inactive_days: i64,
    /// The daily integrity check: when, and what citizens see of an altered entry.
    pub integrity: crate::integrity::Policy,
    /// The daily backup: when, where, and how many are kept.
    pub backup: crate::backup::schedule::Policy,
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
}

impl Default for Forms {
    fn default() -> Self {
        Forms {
            per_address_per_hour: 5,
            min_fill: Duration::from_secs(3),
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
    Acme(crate::http::acme::Settings),
}

#[derive(Debug, Clone)]
pub struct Limits {
    pub header_timeout: Duration,
    pub handshake_timeout: Duration,
    pub body_max_bytes: u64,
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    pub shutdown_grace: Duration,
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

/// What a TOML file may contain. Every table denies unknown keys.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data: Option<PathBuf>,
    demo: Option<bool>,
    hosts: Option<Vec<String>>,
    base_url: Option<String>,
    log: Option<String>,
    #[serde(default)]
    listen: FileListen,
    #[serde(default)]
    tls: FileTls,
    #[serde(default)]
    limits: FileLimits,
    #[serde(default)]
    cache: FileCache,
    #[serde(default)]
    login: FileLogin,
    #[serde(default)]
    admin: FileAdmin,
    security_txt: Option<SecurityTxt>,
    #[serde(default)]
    audit: FileAudit,
    #[serde(default)]
    sessions: FileSessions,
    #[serde(default)]
    accounts: FileAccounts,
    #[serde(default)]
    backup: FileBackup,
    #[serde(default)]
    integrity: FileIntegrity,
    #[serde(default)]
    forms: FileForms,
    #[serde(default)]
    calendar: crate::calendar::Calendar,
    #[serde(default)]
    questions: FileQuestions,
    #[serde(default)]
    deadlines: crate::content::deadlines::Rules,
    site: Option<SiteSettings>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileQuestions {
    topics: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileForms {
    per_address_per_hour: Option<usize>,
    min_fill_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIntegrity {
    daily: Option<bool>,
    /// "HH:MM", local time.
    time: Option<String>,
    on_mismatch: Option<crate::integrity::OnMismatch>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBackup {
    enabled: Option<bool>,
    /// "HH:MM", local time.
    time: Option<String>,
    dir: Option<PathBuf>,
    copy_to: Option<PathBuf>,
    passphrase_file: Option<PathBuf>,
    keep_daily: Option<usize>,
    keep_weekly: Option<usize>,
    keep_monthly: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAudit {
    retention_days: Option<i64>,
}

pub const DEFAULT_AUDIT_RETENTION_DAYS: i64 = 366;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAccounts {
    inactive_days: Option<i64>,
    #[serde(default)]
    second_factor_roles: Vec<String>,
}

pub const DEFAULT_INACTIVE_DAYS: i64 = 45;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSessions {
    idle_minutes: Option<i64>,
    absolute_hours: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAdmin {
    #[serde(default)]
    allow: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLogin {
    max_failures: Option<usize>,
    lock_minutes: Option<i64>,
    max_failures_per_address: Option<usize>,
    delay_step_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileListen {
    https: Option<String>,
    http: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTls {
    /// "self-signed", "files" or "acme"; implied by cert/key when absent.
    mode: Option<String>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    acme: Option<FileAcme>,
}

/// `[tls.acme]`, read only with `tls.mode = "acme"`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAcme {
    directory: Option<String>,
    domains: Option<Vec<String>>,
    contact: Option<Vec<String>>,
    challenge: Option<String>,
    ca_roots: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLimits {
    header_timeout_secs: Option<u64>,
    handshake_timeout_secs: Option<u64>,
    body_max_bytes: Option<u64>,
    max_connections: Option<usize>,
    max_connections_per_ip: Option<usize>,
    shutdown_grace_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCache {
    max_bytes: Option<usize>,
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
            sessions: Default::default(),
            inactive_days: DEFAULT_INACTIVE_DAYS,
            second_factor_roles: Vec::new(),
            backup: Default::default(),
            integrity: Default::default(),
            forms: Default::default(),
            calendar: Default::default(),
            question_topics: default_question_topics(),
            deadlines: Default::default(),
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.data.join("trangtin.redb")
    }

    pub fn tls_dir(&self) -> PathBuf {
        self.data.join("tls")
    }
}

fn read_file(path: &Path) -> Result<FileConfig, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_file(&text, path)
}

fn parse_file(text: &str, path: &Path) -> Result<FileConfig, Error> {
    toml::from_str(text).map_err(|e| Error::Parse {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().to_string(),
    })
}

fn resolve(file: FileConfig, o: &Overrides, base: Option<&Path>) -> Result<Config, Error> {
    // Paths in a config file are relative to the file, as operators expect.
    let relative_to_file = |p: PathBuf| match base {
        Some(dir) if p.is_relative() => dir.join(p),
        _ => p,
    };
    let data = match (&o.data, file.data) {
        (Some(d), _) => d.clone(),
        (None, Some(d)) => relative_to_file(d),
        (None, None) => PathBuf::from("./data"),
    };
    let https_text = o
        .https
        .clone()
        .or(file.listen.https)
        .unwrap_or_else(|| DEFAULT_HTTPS.to_string());
    let https = parse_addr("listen.https", &https_text)?;
    let http_text = o
        .http
        .clone()
        .or(file.listen.http)
        .unwrap_or_else(|| DEFAULT_HTTP.to_string());
    let http = match http_text.trim() {
        "" | "off" => None,
        text => Some(parse_addr("listen.http", text)?),
    };
    let hosts = match file.hosts {
        Some(hosts) => {
            if hosts.is_empty() {
                return Err(invalid("hosts", "list at least one host name"));
            }
            hosts
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .collect()
        }
        None => default_hosts(file.base_url.as_deref()),
    };
    let acme_table = file.tls.acme;
    let tls = match (file.tls.mode.as_deref(), file.tls.cert, file.tls.key) {
        (Some("acme"), None, None) => TlsSource::Acme(resolve_acme(
            acme_table.unwrap_or_default(),
            &hosts,
            http.is_some(),
            relative_to_file,
        )?),
        (Some("acme"), _, _) => {
            return Err(invalid(
                "tls",
                "mode \"acme\" takes no cert or key; the CA's certificate is kept in data/tls/",
            ));
        }
        (_, _, _) if acme_table.is_some() => {
            return Err(invalid("tls.acme", "is read only with tls.mode = \"acme\""));
        }
        (None | Some("self-signed"), None, None) => TlsSource::SelfSigned,
        (None | Some("files"), Some(cert), Some(key)) => TlsSource::Files {
            cert: relative_to_file(cert),
            key: relative_to_file(key),
        },
        (Some("self-signed"), _, _) => {
            return Err(invalid("tls", "mode \"self-signed\" takes no cert or key"));
        }
        (None | Some("files"), _, _) => {
            return Err(invalid("tls", "set both cert and key (mode \"files\")"));
        }
        (Some(other), _, _) => {
            return Err(invalid(
                "tls.mode",
                &format!("{other:?} is not one of \"self-signed\", \"files\", \"acme\""),
            ));
        }
    };
    if let Some(url) = &file.base_url
        && !url
            .strip_prefix("https://")
            .is_some_and(|host| !host.is_empty() && !host.contains(['/', '?', '#', ' ']))
    {
        return Err(invalid(
            "base_url",
            "must look like https://example.gov.vn (https, no trailing slash)",
        ));
    }
    let limits = resolve_limits(file.limits)?;
    let cache_max_bytes = file.cache.max_bytes.unwrap_or(DEFAULT_CACHE_BYTES);
    if cache_max_bytes < 1024 * 1024 {
        return Err(invalid(
            "cache.max_bytes",
            "must be at least 1048576 (1 MiB)",
        ));
    }
    let log = file.log.unwrap_or_else(|| "info".to_string());
    if tracing_subscriber::EnvFilter::try_new(&log).is_err() {
        return Err(invalid(
            "log",
            "not a valid filter such as \"info\" or \"warn,trangtin=debug\"",
        ));
    }
    let login = resolve_login(file.login)?;
    let admin_allow = file
        .admin
        .allow
        .iter()
        .map(|text| {
            text.parse()
                .map_err(|e: crate::http::allow::BadNetwork| invalid("admin.allow", &e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let security_txt = file.security_txt.unwrap_or(SecurityTxt {
        preferred_languages: default_languages(),
        ..SecurityTxt::default()
    });
    if let Some(bad) = security_txt
        .contact
        .iter()
        .find(|c| !(c.starts_with("mailto:") || c.starts_with("https://") || c.starts_with("tel:")))
    {
        return Err(invalid(
            "security_txt.contact",
            &format!("{bad:?} must start with mailto:, https:// or tel:"),
        ));
    }
    let audit_retention_days = file
        .audit
        .retention_days
        .unwrap_or(DEFAULT_AUDIT_RETENTION_DAYS);
    if !(30..=3660).contains(&audit_retention_days) {
        return Err(invalid(
            "audit.retention_days",
            "must be between 30 and 3660 days",
        ));
    }
    let defaults = crate::auth::session::Lifetimes::default();
    let idle = match file.sessions.idle_minutes {
        None => defaults.idle,
        Some(m) if (1..=24 * 60).contains(&m) => jiff::SignedDuration::from_mins(m),
        Some(_) => {
            return Err(invalid(
                "sessions.idle_minutes",
                "must be between 1 and 1440",
            ));
        }
    };
    let absolute = match file.sessions.absolute_hours {
        None => defaults.absolute,
        Some(h) if (1..=24 * 7).contains(&h) => jiff::SignedDuration::from_hours(h),
        Some(_) => {
            return Err(invalid(
                "sessions.absolute_hours",
                "must be between 1 and 168",
            ));
        }
    };
    if absolute < idle {
        return Err(invalid(
            "sessions.absolute_hours",
            "must not be shorter than sessions.idle_minutes",
        ));
    }
    let sessions = crate::auth::session::Lifetimes { idle, absolute };
    let inactive_days = file.accounts.inactive_days.unwrap_or(DEFAULT_INACTIVE_DAYS);
    if !(7..=3650).contains(&inactive_days) {
        return Err(invalid(
            "accounts.inactive_days",
            "must be between 7 and 3650 days",
        ));
    }
    let mut second_factor_roles = Vec::new();
    for name in &file.accounts.second_factor_roles {
        match crate::workflow::Role::parse(name) {
            Some(role) => second_factor_roles.push(role),
            None => {
                return Err(invalid(
                    "accounts.second_factor_roles",
                    "lists a role that does not exist (contributor, compiler, board_member, board_head, publisher, leadership, administrator)",
                ));
            }
        }
    }
    let backup = backup_policy(file.backup)?;
    let integrity = crate::integrity::Policy {
        daily: file.integrity.daily.unwrap_or(true),
        at: match file.integrity.time.as_deref() {
            None => crate::integrity::Policy::default().at,
            Some(text) => text
                .parse::<jiff::civil::Time>()
                .map_err(|_| invalid("integrity.time", "must be a local time like \"06:00\""))?,
        },
        on_mismatch: file.integrity.on_mismatch.unwrap_or_default(),
    };
    let forms = Forms {
        per_address_per_hour: match file.forms.per_address_per_hour {
            None => Forms::default().per_address_per_hour,
            Some(0) => {
                return Err(invalid("forms.per_address_per_hour", "must be at least 1"));
            }
            Some(n) => n,
        },
        min_fill: file
            .forms
            .min_fill_secs
            .map_or(Forms::default().min_fill, Duration::from_secs),
    };
    let question_topics = match file.questions.topics {
        None => default_question_topics(),
        Some(topics) => {
            let topics: Vec<String> = topics
                .iter()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect();
            if topics.is_empty() {
                return Err(invalid("questions.topics", "list at least one topic"));
            }
            topics
        }
    };
    if file.deadlines.review_months == 0 {
        return Err(invalid("deadlines.review_months", "must be at least 1"));
    }
    Ok(Config {
        deadlines: file.deadlines,
        question_topics,
        calendar: file.calendar,
        forms,
        integrity,
        backup,
        inactive_days,
        second_factor_roles,
        sessions,
        login,
        admin_allow,
        security_txt,
        audit_retention_days,
        data,
        demo: file.demo.unwrap_or(true),
        https,
        http,
        tls,
        hosts,
        base_url: file.base_url,
        limits,
        cache_max_bytes,
        site: file.site,
        log,
    })
}

fn resolve_login(file: FileLogin) -> Result<crate::auth::throttle::Policy, Error> {
    let defaults = crate::auth::throttle::Policy::default();
    let max_failures = file.max_failures.unwrap_or(defaults.max_failures);
    if !(1..=100).contains(&max_failures) {
        return Err(invalid("login.max_failures", "must be between 1 and 100"));
    }
    let window = match file.lock_minutes {
        None => defaults.window,
        Some(m) if (1..=24 * 60).contains(&m) => jiff::SignedDuration::from_mins(m),
        Some(_) => {
            return Err(invalid(
                "login.lock_minutes",
                "must be between 1 and 1440 minutes",
            ));
        }
    };
    let max_failures_per_address = file
        .max_failures_per_address
        .unwrap_or(defaults.max_failures_per_address);
    if max_failures_per_address < max_failures {
        return Err(invalid(
            "login.max_failures_per_address",
            "must be at least login.max_failures",
        ));
    }
    let delay_step = match file.delay_step_ms {
        None => defaults.delay_step,
        Some(ms) if ms <= 5000 => Duration::from_millis(ms),
        Some(_) => {
            return Err(invalid(
                "login.delay_step_ms",
                "must be at most 5000 milliseconds",
            ));
        }
    };
    Ok(crate::auth::throttle::Policy {
        max_failures,
        window,
        max_failures_per_address,
        delay_step,
    })
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(10),
            body_max_bytes: 2 * 1024 * 1024,
            max_connections: 1024,
            max_connections_per_ip: 64,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

fn resolve_limits(file: FileLimits) -> Result<Limits, Error> {
    let defaults = Limits::default();
    let secs = |key: &str, value: Option<u64>, default: Duration, max: u64| match value {
        None => Ok(default),
        Some(v) if (1..=max).contains(&v) => Ok(Duration::from_secs(v)),
        Some(_) => Err(invalid(
            key,
            &format!("must be between 1 and {max} seconds"),
        )),
    };
    let body_max_bytes = file.body_max_bytes.unwrap_or(defaults.body_max_bytes);
    if body_max_bytes < 1024 {
        return Err(invalid("limits.body_max_bytes", "must be at least 1024"));
    }
    let max_connections = file.max_connections.unwrap_or(defaults.max_connections);
    if max_connections == 0 {
        return Err(invalid("limits.max_connections", "must be at least 1"));
    }
    let max_connections_per_ip = file
        .max_connections_per_ip
        .unwrap_or(defaults.max_connections_per_ip);
    if max_connections_per_ip == 0 {
        return Err(invalid(
            "limits.max_connections_per_ip",
            "must be at least 1",
        ));
    }
    Ok(Limits {
        max_connections_per_ip,
        header_timeout: secs(
            "limits.header_timeout_secs",
            file.header_timeout_secs,
            defaults.header_timeout,
            300,
        )?,
        handshake_timeout: secs(
            "limits.handshake_timeout_secs",
            file.handshake_timeout_secs,
            defaults.handshake_timeout,
            300,
        )?,
        body_max_bytes,
        max_connections,
        shutdown_grace: secs(
            "limits.shutdown_grace_secs",
            file.shutdown_grace_secs,
            defaults.shutdown_grace,
            600,
        )?,
    })
}

fn default_hosts(base_url: Option<&str>) -> Vec<String> {
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"]
        .into_iter()
        .map(String::from)
        .collect();
    if let Some(host) = base_url.and_then(|u| u.strip_prefix("https://")) {
        hosts.push(host.split(':').next().unwrap_or(host).to_ascii_lowercase());
    }
    hosts
}

fn parse_addr(key: &str, text: &str) -> Result<SocketAddr, Error> {
    text.trim().parse().map_err(|_| {
        invalid(
            key,
            &format!("{text:?} is not an address such as 127.0.0.1:8443 or [::]:443"),
        )
    })
}

fn backup_policy(file: FileBackup) -> Result<crate::backup::schedule::Policy, Error> {
    let defaults = crate::backup::schedule::Policy::default();
    let at = match file.time.as_deref() {
        None => defaults.at,
        Some(text) => match text.parse::<jiff::civil::Time>() {
            Ok(t) => t,
            Err(_) => {
                return Err(invalid(
                    "backup.time",
                    "must be a local time like \"02:00\"",
                ));
            }
        },
    };
    let keep = |value: Option<usize>, default: usize, key: &str| match value {
        None => Ok(default),
        Some(n) if n <= 1000 => Ok(n),
        Some(_) => Err(invalid(key, "must be between 0 and 1000")),
    };
    let policy = crate::backup::schedule::Policy {
        enabled: file.enabled.unwrap_or(defaults.enabled),
        at,
        dir: file.dir,
        copy_to: file.copy_to,
        passphrase_file: file.passphrase_file,
        keep_daily: keep(file.keep_daily, defaults.keep_daily, "backup.keep_daily")?,
        keep_weekly: keep(file.keep_weekly, defaults.keep_weekly, "backup.keep_weekly")?,
        keep_monthly: keep(
            file.keep_monthly,
            defaults.keep_monthly,
            "backup.keep_monthly",
        )?,
    };
    if policy.keep_daily == 0 {
        return Err(invalid(
            "backup.keep_daily",
            "must keep at least the newest backup",
        ));
    }
    if let Some(path) = &policy.passphrase_file {
        let Ok(text) = std::fs::read_to_string(path) else {
            return Err(invalid(
                "backup.passphrase_file",
                &format!("{} is not a readable file", path.display()),
            ));
        };
        if text.trim_end_matches(['\n', '\r']).chars().count() < crate::backup::seal::MIN_PASSPHRASE
        {
            return Err(invalid(
                "backup.passphrase_file",
                &format!(
                    "the passphrase in {} must have at least {} characters",
                    path.display(),
                    crate::backup::seal::MIN_PASSPHRASE
                ),
            ));
        }
    }
    Ok(policy)
}

/// `[tls.acme]`: the CA's directory, the names to order (by default the configured
/// hosts that are domain names), contacts, the challenge and extra trusted roots.
fn resolve_acme(
    file: FileAcme,
    hosts: &[String],
    http_listener: bool,
    relative_to_file: impl Fn(PathBuf) -> PathBuf,
) -> Result<crate::http::acme::Settings, Error> {
    use crate::http::acme::{Challenge, LETS_ENCRYPT, Settings};
    let directory = file.directory.unwrap_or_else(|| LETS_ENCRYPT.to_string());
    if !directory.starts_with("https://") || directory.contains(char::is_whitespace) {
        return Err(invalid(
            "tls.acme.directory",
            "must be the https:// URL of the CA's ACME directory",
        ));
    }
    let domains: Vec<String> = match file.domains {
        Some(domains) => domains
            .iter()
            .map(|d| d.trim().trim_end_matches('.').to_ascii_lowercase())
            .collect(),
        None => hosts
            .iter()
            .filter(|h| h.parse::<std::net::IpAddr>().is_err() && *h != "localhost")
            .cloned()
            .collect(),
    };
    if domains.is_empty() {
        return Err(invalid(
            "tls.acme.domains",
            "list the site's domain names (or set hosts); an ACME CA certifies names, not localhost or addresses",
        ));
    }
    for domain in &domains {
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if domain.parse::<std::net::IpAddr>().is_ok() || !domain.split('.').all(label_ok) {
            return Err(invalid(
                "tls.acme.domains",
                &format!("{domain:?} is not a domain name (no wildcards, addresses or spaces)"),
            ));
        }
    }
    let challenge = match file.challenge.as_deref() {
        None => Challenge::Http01,
        Some(text) => Challenge::parse(text).ok_or_else(|| {
            invalid(
                "tls.acme.challenge",
                &format!("{text:?} is not one of \"http-01\", \"tls-alpn-01\""),
            )
        })?,
    };
    if challenge == Challenge::Http01 && !http_listener {
        return Err(invalid(
            "tls.acme.challenge",
            "\"http-01\" needs the plain-HTTP listener (listen.http, port 80); turn it on or use \"tls-alpn-01\"",
        ));
    }
    let mut contact = Vec::new();
    for address in file.contact.unwrap_or_default() {
        let address = address.trim();
        let email = address.strip_prefix("mailto:").unwrap_or(address);
        if !email.contains('@') || email.contains(char::is_whitespace) {
            return Err(invalid(
                "tls.acme.contact",
                &format!("{address:?} is not an email address"),
            ));
        }
        contact.push(format!("mailto:{email}"));
    }
    Ok(Settings {
        directory,
        domains,
        contact,
        challenge,
        ca_roots: file.ca_roots.map(relative_to_file),
    })
}

fn invalid(key: &str, message: &str) -> Error {
    Error::Invalid {
        key: key.to_string(),
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(settings.directory, crate::http::acme::LETS_ENCRYPT);
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
        let c = parse(include_str!("../packaging/trangtin.example.toml")).unwrap();
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
