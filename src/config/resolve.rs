//! From a file's shape, environment and flags to a checked `Config`: every value is
//! validated here, and an error names its key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::file::{
    DEFAULT_AUDIT_RETENTION_DAYS, DEFAULT_INACTIVE_DAYS, FileAcme, FileBackup, FileConfig,
    FileLimits, FileLogin, FileMail,
};
use super::{
    Config, DEFAULT_CACHE_BYTES, DEFAULT_HTTP, DEFAULT_HTTPS, Error, Forms, Limits, Overrides,
    SecurityTxt, TlsSource, default_languages, default_question_topics,
};

pub(super) fn resolve(
    file: FileConfig,
    o: &Overrides,
    base: Option<&Path>,
) -> Result<Config, Error> {
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
    let old_hosts: Vec<String> = file
        .old_hosts
        .unwrap_or_default()
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    if let Some(both) = old_hosts.iter().find(|h| hosts.contains(h)) {
        return Err(invalid(
            "old_hosts",
            &format!("{both} is in hosts too: a host name is either this site's or an old one"),
        ));
    }
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
                .map_err(|e: crate::config::network::BadNetwork| {
                    invalid("admin.allow", &e.to_string())
                })
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
    // Addresses are kept at least 90 days (S3); a shorter setting from an older
    // version counts as 90 rather than stopping the site after an upgrade.
    let audit_retention_days = audit_retention_days.max(90);
    let request_log_days = file
        .logs
        .retention_days
        .unwrap_or(super::file::DEFAULT_REQUEST_LOG_DAYS);
    if !(90..=3660).contains(&request_log_days) {
        return Err(invalid(
            "logs.retention_days",
            "must be between 90 and 3660 days",
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
    let named = file.accounts.second_factor_roles.unwrap_or_else(|| {
        crate::workflow::Role::ALL
            .iter()
            .map(|r| r.as_str().to_string())
            .collect()
    });
    for name in &named {
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
    let mail = mail_settings(file.mail, relative_to_file)?;
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
        keep_personal_data_months: match file.forms.keep_personal_data_months {
            None => Forms::default().keep_personal_data_months,
            Some(n @ 1..=120) => n,
            Some(_) => {
                return Err(invalid(
                    "forms.keep_personal_data_months",
                    "must be between 1 and 120 months",
                ));
            }
        },
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
    let archive = match file.archive {
        None => None,
        Some(a) => Some(resolve_archive(a)?),
    };
    Ok(Config {
        archive,
        sections: file.sections.unwrap_or_default(),
        name: String::new(),
        deadlines: file.deadlines,
        question_topics,
        calendar: file.calendar,
        forms,
        integrity,
        backup,
        mail,
        inactive_days,
        second_factor_roles,
        sessions,
        login,
        admin_allow,
        security_txt,
        audit_retention_days,
        request_log_days,
        data,
        demo: file.demo.unwrap_or(true),
        https,
        http,
        tls,
        hosts,
        old_hosts,
        base_url: file.base_url,
        limits,
        cache_max_bytes,
        site: file.site,
        log,
    })
}

pub(super) fn resolve_login(file: FileLogin) -> Result<crate::auth::throttle::Policy, Error> {
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

pub(super) fn resolve_limits(file: FileLimits) -> Result<Limits, Error> {
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
    let at_least_one = |key: &str, value: Option<usize>, default: usize| match value {
        Some(0) => Err(invalid(key, "must be at least 1")),
        v => Ok(v.unwrap_or(default)),
    };
    let max_connections_per_ip = at_least_one(
        "limits.max_connections_per_ip",
        file.max_connections_per_ip,
        defaults.max_connections_per_ip,
    )?;
    let body_min_bytes_per_sec = match file.body_min_bytes_per_sec {
        None => defaults.body_min_bytes_per_sec,
        Some(rate) if (1..=100 * 1024 * 1024).contains(&rate) => rate,
        Some(_) => {
            return Err(invalid(
                "limits.body_min_bytes_per_sec",
                "must be between 1 and 104857600 bytes per second",
            ));
        }
    };
    Ok(Limits {
        body_timeout: secs(
            "limits.body_timeout_secs",
            file.body_timeout_secs,
            defaults.body_timeout,
            24 * 3600,
        )?,
        body_min_bytes_per_sec,
        max_pending_bodies: at_least_one(
            "limits.max_pending_bodies",
            file.max_pending_bodies,
            defaults.max_pending_bodies,
        )?,
        max_pending_bodies_per_ip: at_least_one(
            "limits.max_pending_bodies_per_ip",
            file.max_pending_bodies_per_ip,
            defaults.max_pending_bodies_per_ip,
        )?,
        disk_reserve_bytes: file.disk_reserve_bytes,
        pin_threads: file.pin_threads.unwrap_or(defaults.pin_threads),
        search_index_at_start: file
            .search_index_at_start
            .unwrap_or(defaults.search_index_at_start),
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

pub(super) fn default_hosts(base_url: Option<&str>) -> Vec<String> {
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"]
        .into_iter()
        .map(String::from)
        .collect();
    if let Some(host) = base_url.and_then(|u| u.strip_prefix("https://")) {
        hosts.push(host.split(':').next().unwrap_or(host).to_ascii_lowercase());
    }
    hosts
}

pub(super) fn parse_addr(key: &str, text: &str) -> Result<SocketAddr, Error> {
    text.trim().parse().map_err(|_| {
        invalid(
            key,
            &format!("{text:?} is not an address such as 127.0.0.1:8443 or [::]:443"),
        )
    })
}

/// `[mail]`: off without a host; a plain connection only to this machine; a password
/// file only with a user, and not readable by others.
pub(super) fn mail_settings(
    file: FileMail,
    relative_to_file: impl Fn(PathBuf) -> PathBuf,
) -> Result<Option<crate::mail::Settings>, Error> {
    use crate::mail::Security;
    let Some(host) = file
        .host
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
    else {
        return Ok(None);
    };
    let security = file.security.unwrap_or(Security::Starttls);
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if security == Security::None && !loopback {
        return Err(invalid(
            "mail.security",
            "\"none\" is allowed only for a relay on this machine (localhost, 127.0.0.1, ::1); use \"starttls\" or \"tls\"",
        ));
    }
    let from = file.from.unwrap_or_default();
    if from.parse::<lettre::message::Mailbox>().is_err() || !crate::mail::header_safe(&from) {
        return Err(invalid(
            "mail.from",
            "must be an address such as \"Sở KH&CN <noreply@skhcn.gialai.gov.vn>\"",
        ));
    }
    if let Some(reply_to) = &file.reply_to
        && reply_to.parse::<lettre::message::Mailbox>().is_err()
    {
        return Err(invalid("mail.reply_to", "must be an address"));
    }
    let user = file.user.unwrap_or_default();
    let password_file = file.password_file.map(&relative_to_file);
    match (&password_file, user.is_empty()) {
        (Some(_), true) => {
            return Err(invalid("mail.password_file", "is read only with mail.user"));
        }
        (None, false) => {
            return Err(invalid("mail.user", "needs mail.password_file (mode 0600)"));
        }
        (Some(path), false) => {
            use std::os::unix::fs::PermissionsExt;
            let Ok(meta) = std::fs::metadata(path) else {
                return Err(invalid(
                    "mail.password_file",
                    &format!("{} is not a readable file", path.display()),
                ));
            };
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(invalid(
                    "mail.password_file",
                    &format!(
                        "{} must be readable by its owner only (chmod 600)",
                        path.display()
                    ),
                ));
            }
        }
        (None, true) => {}
    }
    let digest_at = match file.digest_time.as_deref() {
        None => jiff::civil::time(7, 30, 0, 0),
        Some(text) => text
            .parse::<jiff::civil::Time>()
            .map_err(|_| invalid("mail.digest_time", "must be a local time like \"07:30\""))?,
    };
    Ok(Some(crate::mail::Settings {
        port: file.port.unwrap_or(match security {
            Security::Starttls => 587,
            Security::Tls => 465,
            Security::None => 25,
        }),
        host,
        security,
        user,
        password_file,
        from,
        reply_to: file.reply_to,
        ca_file: file.ca_file.map(&relative_to_file),
        digest_at,
        retry_after: Duration::from_secs(file.retry_seconds.unwrap_or(60).max(1)),
        give_up_after: Duration::from_secs(file.give_up_hours.unwrap_or(48).max(1) * 3600),
    }))
}

pub(super) fn backup_policy(file: FileBackup) -> Result<crate::backup::schedule::Policy, Error> {
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
pub(super) fn resolve_acme(
    file: FileAcme,
    hosts: &[String],
    http_listener: bool,
    relative_to_file: impl Fn(PathBuf) -> PathBuf,
) -> Result<crate::config::acme::Settings, Error> {
    use crate::config::acme::{Challenge, LETS_ENCRYPT, Settings};
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

fn resolve_archive(file: super::file::FileArchive) -> Result<super::Archive, Error> {
    let since: jiff::civil::Date = file
        .since
        .trim()
        .parse()
        .map_err(|_| invalid("archive.since", "must be a date such as 2025-07-01"))?;
    let successor = match file
        .successor
        .map(|s| s.trim().trim_end_matches('/').to_string())
    {
        Some(url)
            if !url
                .strip_prefix("https://")
                .is_some_and(|host| !host.is_empty() && !host.contains(['/', '?', '#', ' '])) =>
        {
            return Err(invalid(
                "archive.successor",
                "must look like https://example.gov.vn (https, no path)",
            ));
        }
        other => other.filter(|s| !s.is_empty()),
    };
    if let Some(bad) = file
        .redirect_prefixes
        .iter()
        .find(|p| !p.starts_with('/') || p.contains(['?', '#', ' ']))
    {
        return Err(invalid(
            "archive.redirect_prefixes",
            &format!("{bad:?} must be a path that starts with /"),
        ));
    }
    if !file.redirect_prefixes.is_empty() && successor.is_none() {
        return Err(invalid(
            "archive.redirect_prefixes",
            "needs archive.successor, the site they are sent to",
        ));
    }
    Ok(super::Archive {
        since,
        successor,
        redirect_prefixes: file.redirect_prefixes,
    })
}

pub(super) fn invalid(key: &str, message: &str) -> Error {
    Error::Invalid {
        key: key.to_string(),
        message: message.to_string(),
    }
}
