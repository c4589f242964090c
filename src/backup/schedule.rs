//! The daily backup: when it runs, which archives are kept (7 daily, 4 weekly, 12
//! monthly by default), the copy to a second folder, and the restore drill that proves
//! each scheduled archive restores to what the store held at its transaction.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::civil::Time;
use serde::{Deserialize, Serialize};

use super::{Drill, Error, Options, Status};
use crate::store::Store;

/// `[backup]` in the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub enabled: bool,
    /// Local (Vietnam) time of the daily backup.
    pub at: Time,
    /// Where archives go; `None` is `data/backups`.
    pub dir: Option<PathBuf>,
    /// A second folder (a NAS or USB mount) each scheduled archive is copied to.
    pub copy_to: Option<PathBuf>,
    /// A file holding the passphrase: scheduled archives are then encrypted.
    pub passphrase_file: Option<PathBuf>,
    pub keep_daily: usize,
    pub keep_weekly: usize,
    pub keep_monthly: usize,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            enabled: true,
            at: jiff::civil::time(2, 0, 0, 0),
            dir: None,
            copy_to: None,
            passphrase_file: None,
            keep_daily: 7,
            keep_weekly: 4,
            keep_monthly: 12,
        }
    }
}

impl Policy {
    pub fn dir(&self, data: &Path) -> PathBuf {
        self.dir.clone().unwrap_or_else(|| super::default_dir(data))
    }
}

/// The outcome of the last scheduled backup, kept in `meta` for the dashboard and the
/// banner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastRun {
    pub at: Timestamp,
    /// The local date it was for, so it runs once a day.
    pub day: jiff::civil::Date,
    pub ok: bool,
    /// What happened, in English, for the log.
    pub message: String,
    /// The same for the admin pages, in Vietnamese (empty in records older than it).
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub file: Option<String>,
    /// When a restore of a scheduled archive was last proven.
    #[serde(default)]
    pub last_verified_restore: Option<Timestamp>,
}

pub const LAST_RUN_KEY: &str = "backup_last_run";

pub fn last_run(tx: &impl crate::store::Tx) -> Result<Option<LastRun>, crate::store::Error> {
    crate::store::meta_get(tx, LAST_RUN_KEY)
}

fn save_last_run(store: &Store, run: &LastRun) -> Result<(), Error> {
    store.write_blocking(|tx| crate::store::meta_put(tx, LAST_RUN_KEY, run))?;
    Ok(())
}

/// Whether the daily backup is due at `now`: the scheduled time has passed today and
/// today's has not run.
pub fn due(policy: &Policy, last: Option<&LastRun>, now: Timestamp) -> bool {
    if !policy.enabled {
        return false;
    }
    let local = now.to_zoned_datetime(crate::format::vietnam());
    local.time() >= policy.at && last.is_none_or(|l| l.day < local.date())
}

/// Runs the daily backup: archive, copy, retention, drill. Never panics; the outcome
/// (success or why not) is saved for the dashboard and returned.
pub fn run(store: &Store, policy: &Policy, now: Timestamp) -> LastRun {
    let day = now.to_zoned_datetime(crate::format::vietnam()).date();
    let previous = store.read_blocking(last_run).ok().flatten();
    let outcome = run_inner(store, policy, now);
    let run = match outcome {
        Ok((file, drill)) => LastRun {
            at: now,
            day,
            ok: drill.ok,
            message: if drill.ok {
                let copied = if policy.copy_to.is_some() {
                    ", copied"
                } else {
                    ""
                };
                format!("backup {file} written{copied} and restored in a drill")
            } else {
                format!(
                    "backup {file} written, but the restore drill failed: {}",
                    drill.message
                )
            },
            summary: if drill.ok {
                let copied = if policy.copy_to.is_some() {
                    ", đã chép sang nơi lưu thứ hai"
                } else {
                    ""
                };
                format!("Đã ghi bản sao lưu {file}{copied} và khôi phục thử thành công.")
            } else {
                format!(
                    "Đã ghi bản sao lưu {file}, nhưng khôi phục thử không thành công: bản sao lưu này có thể không dùng được. Hãy báo quản trị máy chủ."
                )
            },
            file: Some(file),
            last_verified_restore: if drill.ok {
                Some(drill.at)
            } else {
                previous.and_then(|p| p.last_verified_restore)
            },
        },
        Err(e) => LastRun {
            at: now,
            day,
            ok: false,
            message: format!("the daily backup failed: {e}"),
            summary: format!("Sao lưu hằng ngày không thành công: {}", e.vietnamese()),
            file: None,
            last_verified_restore: previous.and_then(|p| p.last_verified_restore),
        },
    };
    if run.ok {
        tracing::info!("{}", run.message);
    } else {
        tracing::error!("{}", run.message);
    }
    if let Err(e) = save_last_run(store, &run) {
        tracing::error!("cannot record the backup outcome: {e}");
    }
    run
}

/// The passphrase in `backup.passphrase_file`, if one is configured.
pub fn passphrase(file: Option<&Path>) -> Result<Option<String>, Error> {
    let Some(path) = file else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path)
        .map_err(super::io_error(format!("cannot read {}", path.display())))?;
    Ok(Some(text.trim_end_matches(['\n', '\r']).to_string()))
}

fn run_inner(store: &Store, policy: &Policy, now: Timestamp) -> Result<(String, Drill), Error> {
    let dir = policy.dir(store.data_dir());
    let options = Options {
        passphrase: passphrase(policy.passphrase_file.as_deref())?,
    };
    let mut status = super::take(store, &dir, &options, "schedule", now)?;
    let archive = dir.join(&status.file);
    let drill = drill(&archive, &status, options.passphrase.as_deref(), now);
    status.drill = Some(drill.clone());
    super::write_status(&archive, &status)?;
    for old in expired(&super::list(&dir), policy) {
        tracing::info!(file = %old.display(), "backup past retention removed");
        let _ = std::fs::remove_file(super::status_path(&old));
        std::fs::remove_file(&old)
            .map_err(super::io_error(format!("cannot remove {}", old.display())))?;
        if let (Some(second), Some(name)) = (&policy.copy_to, old.file_name()) {
            let _ = std::fs::remove_file(second.join(name));
        }
    }
    // Copied last, so a second folder that is down never stops retention here; the
    // failure still fails the run, which the banner reports.
    if let Some(second) = &policy.copy_to {
        copy_to(&archive, second)?;
    }
    Ok((status.file, drill))
}

/// Copies the archive (and its status) to the second folder, under a temporary name
/// first so the folder never holds half an archive.
fn copy_to(archive: &Path, second: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(second).map_err(super::io_error(format!(
        "cannot create {}",
        second.display()
    )))?;
    let name = archive.file_name().unwrap_or_default();
    let target = second.join(name);
    let pending = second.join(format!(".{}.partial", name.to_string_lossy()));
    std::fs::copy(archive, &pending).map_err(super::io_error(format!(
        "cannot copy to {}",
        second.display()
    )))?;
    std::fs::File::open(&pending)
        .and_then(|f| f.sync_all())
        .map_err(super::io_error(format!(
            "cannot flush {}",
            pending.display()
        )))?;
    std::fs::rename(&pending, &target).map_err(super::io_error(format!(
        "cannot copy to {}",
        target.display()
    )))?;
    let _ = std::fs::copy(super::status_path(archive), super::status_path(&target));
    Ok(())
}

/// The restore drill: restores the archive into a scratch folder, opens it and compares
/// every table's row count with the manifest, which counted them in the backup's own
/// transaction; the restore itself checked every hash, the audit chain and the blobs.
pub fn drill(archive: &Path, status: &Status, passphrase: Option<&str>, now: Timestamp) -> Drill {
    let result = (|| -> Result<(), Error> {
        let scratch = tempfile::Builder::new()
            .prefix(".drill-")
            .tempdir_in(archive.parent().unwrap_or(Path::new(".")))
            .map_err(super::io_error("cannot make a scratch folder"))?;
        let target = scratch.path().join("data");
        super::restore(archive, &target, false, passphrase, now)?;
        let (copy, _) = Store::open(&target)?;
        let tables = copy.read_blocking(crate::store::registry::count_all)?;
        for (name, rows) in tables {
            let expected = status.manifest.tables.get(&name).copied().unwrap_or(0);
            if rows != expected {
                return Err(super::invalid(format!(
                    "table {name} restored with {rows} rows, the backup counted {expected}"
                )));
            }
        }
        Ok(())
    })();
    match result {
        Ok(()) => Drill {
            at: now,
            ok: true,
            message: "restored into a scratch folder; every hash, count, the audit chain and the blobs match".into(),
        },
        Err(e) => Drill {
            at: now,
            ok: false,
            message: e.to_string(),
        },
    }
}

/// The archives a retention policy lets go: it keeps the newest archive of each of the
/// last `keep_daily` days, `keep_weekly` ISO weeks and `keep_monthly` months that have
/// one; everything else is removed.
pub fn expired(listed: &[(PathBuf, Option<Status>)], policy: &Policy) -> Vec<PathBuf> {
    // Only the daily archives: those made by hand or before a migration stay until an
    // operator removes them.
    let mut dated: Vec<(&PathBuf, jiff::civil::Date)> = listed
        .iter()
        .filter_map(|(path, status)| {
            let status = status.as_ref().filter(|s| s.by == "schedule")?;
            let at = status.manifest.created_at;
            Some((path, at.to_zoned_datetime(crate::format::vietnam()).date()))
        })
        .collect();
    // Newest first: the first seen of each period is the one kept.
    dated.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.cmp(a.0)));
    let mut keep: BTreeSet<&PathBuf> = BTreeSet::new();
    let mut pick = |period: &dyn Fn(jiff::civil::Date) -> (i16, i16, i8), limit: usize| {
        let mut seen = BTreeSet::new();
        for (path, date) in &dated {
            if seen.len() == limit && !seen.contains(&period(*date)) {
                break;
            }
            if seen.insert(period(*date)) {
                keep.insert(path);
            }
        }
    };
    pick(
        &|d| (d.year(), i16::from(d.month()), d.day()),
        policy.keep_daily,
    );
    pick(
        &|d| {
            let week = d.iso_week_date();
            (week.year(), i16::from(week.week()), 0)
        },
        policy.keep_weekly,
    );
    pick(
        &|d| (d.year(), i16::from(d.month()), 0),
        policy.keep_monthly,
    );
    dated
        .iter()
        .filter(|(path, _)| !keep.contains(path))
        .map(|(path, _)| (*path).clone())
        .collect()
}

/// For administrators: the last daily backup or its restore drill failed.
pub fn waiting_for(
    tx: &impl crate::store::Tx,
    actor: &crate::workflow::Actor,
) -> Result<Vec<crate::inbox::Waiting>, crate::store::Error> {
    if !actor.has(crate::workflow::Role::Administrator) {
        return Ok(Vec::new());
    }
    Ok(last_run(tx)?
        .filter(|run| !run.ok)
        .map(|run| {
            crate::inbox::Waiting::new(
                "/quan-tri/sao-luu",
                "Sao lưu hằng ngày không thành công",
                run.summary,
                "/quan-tri/sao-luu".to_string(),
            )
        })
        .into_iter()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(at: &str) -> (PathBuf, Option<Status>) {
        let created_at: Timestamp = at.parse().unwrap();
        let manifest = super::super::Manifest {
            format: 1,
            app_version: "t".into(),
            schema_version: 1,
            created_at,
            tables: Default::default(),
            blob_count: 0,
            blob_bytes: 0,
            encrypted: false,
            members: Vec::new(),
        };
        let file = format!("trangtin-{at}.tar.zst");
        (
            PathBuf::from(&file),
            Some(Status {
                file,
                size: 0,
                manifest,
                by: "schedule".into(),
                verified_at: None,
                drill: None,
            }),
        )
    }

    #[test]
    fn retention_keeps_seven_days_four_weeks_and_twelve_months() {
        // One backup a day at 02:00 Vietnam time for 400 days.
        let start: Timestamp = "2025-10-01T19:00:00Z".parse().unwrap();
        let listed: Vec<_> = (0..400)
            .map(|d| {
                let at = start + jiff::SignedDuration::from_hours(24 * d);
                fake(&at.to_string())
            })
            .collect();
        let gone = expired(&listed, &Policy::default());
        let kept: Vec<_> = listed
            .iter()
            .filter(|(p, _)| !gone.contains(p))
            .map(|(_, s)| s.as_ref().unwrap().manifest.created_at)
            .collect();
        // 7 days; the weeks and months overlap the newest of those.
        assert!(
            kept.len() >= 7 + 12 - 1 && kept.len() <= 7 + 4 + 12,
            "{}",
            kept.len()
        );
        let newest = start + jiff::SignedDuration::from_hours(24 * 399);
        assert!(kept.contains(&newest));
        for d in 0..7 {
            assert!(kept.contains(&(newest - jiff::SignedDuration::from_hours(24 * d))));
        }
        let oldest_kept = kept.iter().min().unwrap();
        assert!(
            newest.duration_since(*oldest_kept).as_hours() > 24 * 300,
            "a monthly archive from about a year back is kept"
        );
        // A second run changes nothing more.
        let remaining: Vec<_> = listed
            .into_iter()
            .filter(|(p, _)| !gone.contains(p))
            .collect();
        assert!(expired(&remaining, &Policy::default()).is_empty());
    }

    #[test]
    fn due_once_a_day_after_the_set_time() {
        let policy = Policy::default();
        // 01:59 and 02:01 in Vietnam (UTC+7).
        let before: Timestamp = "2026-11-27T18:59:00Z".parse().unwrap();
        let after: Timestamp = "2026-11-27T19:01:00Z".parse().unwrap();
        assert!(!due(&policy, None, before));
        assert!(due(&policy, None, after));
        let ran = LastRun {
            at: after,
            day: jiff::civil::date(2026, 11, 28),
            ok: true,
            message: String::new(),
            summary: String::new(),
            file: None,
            last_verified_restore: None,
        };
        assert!(!due(
            &policy,
            Some(&ran),
            after + jiff::SignedDuration::from_hours(5)
        ));
        assert!(due(
            &policy,
            Some(&ran),
            after + jiff::SignedDuration::from_hours(24)
        ));
    }
}
