//! `trangtin doctor`: a checklist of what keeps the site safe to run — configuration,
//! permissions, free disk, the clock, the certificate, the last backup, the last
//! verified restore and the last integrity check. Any failure makes the exit status 1.

use std::path::Path;

use jiff::{SignedDuration, Timestamp};

use crate::config::Config;
use crate::ops::control::Facts;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Clone)]
pub struct Check {
    pub level: Level,
    pub what: String,
}

fn ok(what: impl Into<String>) -> Check {
    Check {
        level: Level::Ok,
        what: what.into(),
    }
}

fn warn(what: impl Into<String>) -> Check {
    Check {
        level: Level::Warn,
        what: what.into(),
    }
}

fn fail(what: impl Into<String>) -> Check {
    Check {
        level: Level::Fail,
        what: what.into(),
    }
}

/// Runs every check; `facts` come from the store (through the server when it runs).
pub fn run(config: &Config, facts: Option<&Facts>, now: Timestamp) -> Vec<Check> {
    let mut checks = vec![match missing_base_url(config) {
        None => ok("configuration is valid"),
        Some(message) => fail(message),
    }];
    checks.extend(permissions(&config.data));
    checks.push(disk(&config.data));
    checks.extend(clock(facts, now));
    checks.push(certificate(config, now));
    checks.push(mail(config));
    match facts {
        Some(facts) => {
            checks.extend(storage(&facts.storage));
            if let Some(state) = &facts.checklist {
                checks.extend(crate::ops::checklist::items(state, config).into_iter().map(
                    |item| {
                        let what = format!("first-run checklist: {}", item.english);
                        if item.done { ok(what) } else { warn(what) }
                    },
                ));
            }
            checks.extend(backups(config, facts, now));
            checks.push(integrity(facts, now));
        }
        None => checks.push(fail("cannot read the store (see the error above)")),
    }
    checks
}

/// Outside the demo the site must know its public address: canonical links, feeds, the
/// sitemap and mail links are built from it, never from a request's Host.
pub fn missing_base_url(config: &Config) -> Option<String> {
    (!config.demo && config.base_url.is_none()).then(|| {
        "base_url is not set: give the site's public address (base_url = \"https://your-domain.gov.vn\"); canonical links, feeds, the sitemap and mail links use it".to_string()
    })
}

/// The mail relay answers, secures the connection as configured and accepts the login.
fn mail(config: &Config) -> Check {
    let Some(settings) = config.mail.clone() else {
        return warn("mail: no relay configured ([mail] host); messages wait in the outbox");
    };
    let target = format!("{}:{}", settings.host, settings.port);
    match crate::mail::relay::check_blocking(&settings) {
        Ok(()) => ok(format!(
            "mail relay {target} answers (TLS and login as configured)"
        )),
        Err(failure) => fail(format!("mail relay {target}: {failure}")),
    }
}

/// The database file: redb's integrity check and a read of every table, just now.
fn storage(found: &crate::store::Examination) -> Vec<Check> {
    if found.is_sound() {
        return vec![ok(format!(
            "database file: integrity check passed; read {} rows in {} tables",
            found.rows, found.tables
        ))];
    }
    let unchecked = found.unchecked.iter().map(|unchecked| {
        let advice = if unchecked.disk_full {
            "the disk holding the data folder is full: free space there and run this again"
        } else {
            "see the server log, then run this again"
        };
        fail(format!(
            "database file not checked: {}; {advice} (read {} rows in {} tables)",
            unchecked.why, found.rows, found.tables
        ))
    });
    let damaged = found.problems.iter().map(|problem| {
        fail(format!(
            "database file is damaged: {problem}; restore the last backup (trangtin restore FILE)"
        ))
    });
    damaged.chain(unchecked).collect()
}

#[cfg(unix)]
fn mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn mode(_: &Path) -> Option<u32> {
    None
}

fn permissions(data: &Path) -> Vec<Check> {
    let mut checks = Vec::new();
    match mode(data) {
        None => checks.push(fail(format!("data folder {} is missing", data.display()))),
        Some(m) if m & 0o007 != 0 => checks.push(fail(format!(
            "data folder {} is open to other users (mode {m:o}); run chmod 700",
            data.display()
        ))),
        Some(m) => checks.push(ok(format!("data folder {} (mode {m:o})", data.display()))),
    }
    let probe = data.join(".doctor-probe");
    match std::fs::write(&probe, b"ok").and_then(|()| std::fs::remove_file(&probe)) {
        Ok(()) => checks.push(ok("data folder is writable")),
        Err(e) => checks.push(fail(format!("data folder is not writable: {e}"))),
    }
    for secret in [
        data.join(crate::auth::sealing::KEY_FILE),
        data.join("tls").join("self-signed.key"),
    ] {
        match mode(&secret) {
            None => {}
            Some(m) if m & 0o077 != 0 => checks.push(fail(format!(
                "{} is readable by others (mode {m:o}); run chmod 600",
                secret.display()
            ))),
            Some(_) => checks.push(ok(format!("{} is private", secret.display()))),
        }
    }
    checks
}

/// Free space on the data volume: under 10 % or 1 GiB fails, under 20 % warns.
fn disk(data: &Path) -> Check {
    match free_space(data) {
        None => warn("cannot read the free disk space"),
        Some((free, total)) => {
            let percent = free as f64 * 100.0 / total.max(1) as f64;
            let text = format!(
                "{:.1} GiB free of {:.1} GiB ({percent:.0} %) on the data volume",
                free as f64 / f64::from(1u32 << 30),
                total as f64 / f64::from(1u32 << 30)
            );
            if percent < 10.0 || free < 1 << 30 {
                fail(text)
            } else if percent < 20.0 {
                warn(text)
            } else {
                ok(text)
            }
        }
    }
}

/// (free, total) bytes of the filesystem holding `path`.
#[cfg(unix)]
pub fn free_space(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c_path` is a valid NUL-terminated string and `stat` a writable struct.
    if unsafe { libc::statvfs(c_path.as_ptr(), &raw mut stat) } != 0 {
        return None;
    }
    let block = stat.f_frsize as u64;
    Some((stat.f_bavail as u64 * block, stat.f_blocks as u64 * block))
}

#[cfg(not(unix))]
pub fn free_space(_: &Path) -> Option<(u64, u64)> {
    None
}

fn clock(facts: Option<&Facts>, now: Timestamp) -> Vec<Check> {
    let mut checks = Vec::new();
    let synced = std::process::Command::new("timedatectl")
        .args(["show", "-p", "NTPSynchronized", "--value"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    checks.push(match synced.as_deref() {
        Some("yes") => ok("the clock is synchronised (NTP)"),
        Some(_) => fail("the clock is not synchronised: enable NTP (timedatectl set-ntp true)"),
        None => warn("cannot tell whether the clock is synchronised (no timedatectl)"),
    });
    if let Some(newest) = facts.and_then(|f| f.newest_audit) {
        if newest > now + SignedDuration::from_mins(5) {
            checks.push(fail(format!(
                "the clock is behind the newest audit record ({newest}): it went back"
            )));
        } else {
            checks.push(ok("the clock is not behind the audit trail"));
        }
    }
    checks
}

fn certificate(config: &Config, now: Timestamp) -> Check {
    let path = crate::http::tls::configured_cert_path(config);
    let Some(info) = crate::http::certinfo::from_pem_file(&path) else {
        if matches!(config.tls, crate::config::TlsSource::Acme(_)) {
            return fail(format!(
                "no certificate from the ACME CA yet ({}); the server orders one when it runs: see its log",
                path.display()
            ));
        }
        return fail(format!("cannot read the certificate {}", path.display()));
    };
    let left = info.not_after.duration_since(now);
    let days = left.as_hours() / 24;
    let text = format!(
        "certificate for {} from {} expires {} ({days} days)",
        info.subject, info.issuer, info.not_after
    );
    if left < SignedDuration::from_hours(24 * 7) {
        fail(text)
    } else if left < SignedDuration::from_hours(24 * 30) {
        warn(text)
    } else {
        ok(text)
    }
}

fn backups(config: &Config, facts: &Facts, now: Timestamp) -> Vec<Check> {
    let mut checks = Vec::new();
    let day = SignedDuration::from_hours(24);
    match &facts.last_backup {
        None if !config.backup.enabled => {
            checks.push(warn(
                "the daily backup is turned off (backup.enabled = false)",
            ));
        }
        None => checks.push(fail("no daily backup has run yet")),
        Some(run) if !run.ok => checks.push(fail(format!(
            "the last daily backup ({}) failed: {}",
            run.at, run.message
        ))),
        Some(run) if now.duration_since(run.at) > day + day / 2 => {
            checks.push(fail(format!("the last daily backup is old: {}", run.at)));
        }
        Some(run) => checks.push(ok(format!("last daily backup {}", run.at))),
    }
    match facts
        .last_backup
        .as_ref()
        .and_then(|r| r.last_verified_restore)
    {
        None => checks.push(fail("no restore of a backup has been verified yet")),
        Some(at) if now.duration_since(at) > day * 8 => {
            checks.push(fail(format!("the last verified restore is old: {at}")));
        }
        Some(at) => checks.push(ok(format!("last verified restore {at}"))),
    }
    checks
}

fn integrity(facts: &Facts, now: Timestamp) -> Check {
    let day = SignedDuration::from_hours(24);
    match &facts.latest_check {
        None => fail("the integrity check has never run (trangtin verify)"),
        Some(r) if !r.ok => fail(format!(
            "the last integrity check ({}) found {} mismatches",
            r.at,
            r.mismatches.len()
        )),
        Some(r) if now.duration_since(r.at) > day + day / 2 => {
            fail(format!("the last integrity check is old: {}", r.at))
        }
        Some(r) => ok(format!("last integrity check {}: all as approved", r.at)),
    }
}
