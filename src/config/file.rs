//! The shapes a TOML configuration file may take: every table denies unknown keys.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Error, SecurityTxt};
use crate::site::SiteSettings;

/// What a TOML file may contain. Every table denies unknown keys.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileConfig {
    pub(super) data: Option<PathBuf>,
    pub(super) demo: Option<bool>,
    pub(super) hosts: Option<Vec<String>>,
    pub(super) old_hosts: Option<Vec<String>>,
    pub(super) base_url: Option<String>,
    pub(super) log: Option<String>,
    #[serde(default)]
    pub(super) listen: FileListen,
    #[serde(default)]
    pub(super) tls: FileTls,
    #[serde(default)]
    pub(super) limits: FileLimits,
    #[serde(default)]
    pub(super) cache: FileCache,
    #[serde(default)]
    pub(super) login: FileLogin,
    #[serde(default)]
    pub(super) admin: FileAdmin,
    pub(super) security_txt: Option<SecurityTxt>,
    #[serde(default)]
    pub(super) audit: FileAudit,
    #[serde(default)]
    pub(super) logs: FileLogs,
    #[serde(default)]
    pub(super) sessions: FileSessions,
    #[serde(default)]
    pub(super) accounts: FileAccounts,
    #[serde(default)]
    pub(super) backup: FileBackup,
    #[serde(default)]
    pub(super) integrity: FileIntegrity,
    #[serde(default)]
    pub(super) forms: FileForms,
    #[serde(default)]
    pub(super) calendar: crate::calendar::Calendar,
    #[serde(default)]
    pub(super) questions: FileQuestions,
    #[serde(default)]
    pub(super) deadlines: crate::content::deadlines::Rules,
    #[serde(default)]
    pub(super) mail: FileMail,
    pub(super) site: Option<SiteSettings>,
    pub(super) archive: Option<FileArchive>,
    pub(super) sections: Option<crate::content::sections::Template>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileArchive {
    pub(super) since: String,
    pub(super) successor: Option<String>,
    #[serde(default)]
    pub(super) redirect_prefixes: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileMail {
    pub(super) host: Option<String>,
    pub(super) port: Option<u16>,
    pub(super) security: Option<crate::mail::Security>,
    pub(super) user: Option<String>,
    pub(super) password_file: Option<PathBuf>,
    pub(super) from: Option<String>,
    pub(super) reply_to: Option<String>,
    pub(super) ca_file: Option<PathBuf>,
    /// "HH:MM", local time.
    pub(super) digest_time: Option<String>,
    pub(super) retry_seconds: Option<u64>,
    pub(super) give_up_hours: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileQuestions {
    pub(super) topics: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileForms {
    pub(super) per_address_per_hour: Option<usize>,
    pub(super) min_fill_secs: Option<u64>,
    pub(super) keep_personal_data_months: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileLogs {
    pub(super) retention_days: Option<i64>,
}

pub const DEFAULT_REQUEST_LOG_DAYS: i64 = 90;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileIntegrity {
    pub(super) daily: Option<bool>,
    /// "HH:MM", local time.
    pub(super) time: Option<String>,
    pub(super) on_mismatch: Option<crate::integrity::OnMismatch>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileBackup {
    pub(super) enabled: Option<bool>,
    /// "HH:MM", local time.
    pub(super) time: Option<String>,
    pub(super) dir: Option<PathBuf>,
    pub(super) copy_to: Option<PathBuf>,
    pub(super) passphrase_file: Option<PathBuf>,
    pub(super) keep_daily: Option<usize>,
    pub(super) keep_weekly: Option<usize>,
    pub(super) keep_monthly: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileAudit {
    pub(super) retention_days: Option<i64>,
}

pub const DEFAULT_AUDIT_RETENTION_DAYS: i64 = 366;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileAccounts {
    pub(super) inactive_days: Option<i64>,
    /// Unset: every staff role (Decree 85/2016 level 3, S2); set: only these besides
    /// the roles that always need it.
    pub(super) second_factor_roles: Option<Vec<String>>,
}

pub const DEFAULT_INACTIVE_DAYS: i64 = 45;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileSessions {
    pub(super) idle_minutes: Option<i64>,
    pub(super) absolute_hours: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileAdmin {
    #[serde(default)]
    pub(super) allow: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileLogin {
    pub(super) max_failures: Option<usize>,
    pub(super) lock_minutes: Option<i64>,
    pub(super) max_failures_per_address: Option<usize>,
    pub(super) delay_step_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileListen {
    pub(super) https: Option<String>,
    pub(super) http: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileTls {
    /// "self-signed", "files" or "acme"; implied by cert/key when absent.
    pub(super) mode: Option<String>,
    pub(super) cert: Option<PathBuf>,
    pub(super) key: Option<PathBuf>,
    pub(super) acme: Option<FileAcme>,
}

/// `[tls.acme]`, read only with `tls.mode = "acme"`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileAcme {
    pub(super) directory: Option<String>,
    pub(super) domains: Option<Vec<String>>,
    pub(super) contact: Option<Vec<String>>,
    pub(super) challenge: Option<String>,
    pub(super) ca_roots: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileLimits {
    pub(super) header_timeout_secs: Option<u64>,
    pub(super) handshake_timeout_secs: Option<u64>,
    pub(super) body_max_bytes: Option<u64>,
    pub(super) body_timeout_secs: Option<u64>,
    pub(super) body_min_bytes_per_sec: Option<u64>,
    pub(super) max_pending_bodies: Option<usize>,
    pub(super) max_pending_bodies_per_ip: Option<usize>,
    pub(super) max_connections: Option<usize>,
    pub(super) max_connections_per_ip: Option<usize>,
    pub(super) shutdown_grace_secs: Option<u64>,
    pub(super) disk_reserve_bytes: Option<u64>,
    pub(super) pin_threads: Option<bool>,
    pub(super) search_index_at_start: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileCache {
    pub(super) max_bytes: Option<usize>,
}

pub(super) fn read_file(path: &Path) -> Result<FileConfig, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_file(&text, path)
}

pub(super) fn parse_file(text: &str, path: &Path) -> Result<FileConfig, Error> {
    toml::from_str(text).map_err(|e| Error::Parse {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().to_string(),
    })
}
