//! The request log: one line per request (time in UTC, RFC 3339; source address;
//! method; path; status; milliseconds; request id), in daily files (by the local date)
//! under `data/logs/` (`requests-YYYY-MM-DD.log`), kept for `logs.retention_days` (at
//! least 90, as Decree 330 asks of access records) and pruned after it.
//!
//! Requests never wait for the disk, nor wake a thread: a line is formatted into a
//! shared buffer under a short lock, and one thread writes the buffer out five times a
//! second. If the disk is slow or full, lines past the buffer's bound are dropped and
//! counted, and the count is logged; answers go on. What is still buffered when the
//! log goes (the server stops) is written then.

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::Date;

/// The folder of the daily files, inside the data folder.
pub const FOLDER: &str = "logs";
/// Bytes waiting for the writer at most (about 60,000 lines).
const MAX_PENDING: usize = 8 * 1024 * 1024;
/// How long a line may wait before it reaches the file.
const WRITE_EVERY: Duration = Duration::from_millis(200);
const PREFIX: &str = "requests-";
const SUFFIX: &str = ".log";

/// One request, as logged.
pub struct Line<'a> {
    pub at: Timestamp,
    pub address: Option<std::net::IpAddr>,
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub ms: f64,
    pub id: &'a str,
}

/// Lines not yet written, by local date (a batch can straddle midnight).
#[derive(Default)]
struct Pending {
    days: Vec<(Date, String)>,
    bytes: usize,
    /// The last second a line was stamped with: (unix second, its local date, its
    /// RFC 3339 text up to the seconds). Lines come many to a second; the date and the
    /// text are worked out once for each.
    second: Option<(i64, Date, String)>,
}

impl Pending {
    /// Makes `second` that of `at`; returns the local date of `at`.
    fn stamp(&mut self, at: Timestamp) -> Date {
        let second = at.as_second();
        if self.second.as_ref().is_none_or(|(s, _, _)| *s != second) {
            let whole = Timestamp::from_second(second).unwrap_or(at);
            let day = whole.to_zoned_datetime(crate::format::vietnam()).date();
            let mut text = whole.to_string();
            // "…:23Z" → "…:23": the fraction and the Z follow per line.
            text.pop();
            self.second = Some((second, day, text));
        }
        self.second
            .as_ref()
            .map_or(Date::default(), |(_, day, _)| *day)
    }
}

struct Shared {
    folder: PathBuf,
    pending: Mutex<Pending>,
    dropped: AtomicU64,
    /// The last write failed (a full disk): said once, then again when it recovers.
    failing: std::sync::atomic::AtomicBool,
}

#[derive(Clone)]
pub struct AccessLog {
    shared: Option<Arc<Shared>>,
}

impl AccessLog {
    /// A log writing into `folder` (made if missing) from a thread of its own. A folder
    /// that cannot be made is logged and the server runs without a request log.
    pub fn start(folder: PathBuf) -> AccessLog {
        if let Err(e) = std::fs::create_dir_all(&folder) {
            tracing::error!(folder = %folder.display(), "the request log is off: {e}");
            return AccessLog { shared: None };
        }
        let shared = Arc::new(Shared {
            folder,
            pending: Mutex::default(),
            dropped: AtomicU64::new(0),
            failing: Default::default(),
        });
        let weak = Arc::downgrade(&shared);
        let spawned = std::thread::Builder::new()
            .name("request-log".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(WRITE_EVERY);
                    let Some(shared) = weak.upgrade() else { return };
                    shared.write_out();
                }
            });
        if let Err(e) = spawned {
            tracing::error!("the request log is off: {e}");
            return AccessLog { shared: None };
        }
        AccessLog {
            shared: Some(shared),
        }
    }

    /// Adds `line`; drops it (and counts it) if the writer is far behind.
    pub fn record(&self, line: &Line<'_>) {
        let Some(shared) = &self.shared else { return };
        let mut pending = shared
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if pending.bytes >= MAX_PENDING {
            shared.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        // The file is the local day's.
        let day = pending.stamp(line.at);
        let Pending {
            days,
            bytes,
            second,
        } = &mut *pending;
        if days.last().is_none_or(|(date, _)| *date != day) {
            days.push((day, String::with_capacity(64 * 1024)));
        }
        let Some((_, text)) = days.last_mut() else {
            return;
        };
        let before = text.len();
        let second = second.as_ref().map_or("", |(_, _, text)| text.as_str());
        write_line(text, second, line);
        *bytes += text.len() - before;
    }
}

/// Appends `line` stamped `second` (its time up to the second): what jiff and `{:.1}`
/// would write, without their general formatting (this runs for every request).
fn write_line(text: &mut String, second: &str, line: &Line<'_>) {
    text.push_str(second);
    let nanos = line.at.subsec_nanosecond().unsigned_abs();
    if nanos != 0 {
        let mut fraction = [b'0'; 9];
        let mut rest = nanos;
        for digit in fraction.iter_mut().rev() {
            *digit = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        let used = 9 - fraction.iter().rev().take_while(|d| **d == b'0').count();
        text.push('.');
        text.push_str(std::str::from_utf8(&fraction[..used]).unwrap_or(""));
    }
    text.push_str("Z ");
    match line.address {
        Some(ip) => {
            let _ = write!(text, "{ip}");
        }
        None => text.push('-'),
    }
    let tenths = (line.ms * 10.0).round().max(0.0) as u64;
    let _ = writeln!(
        text,
        " {} {} {} {}.{} {}",
        line.method,
        line.path,
        line.status,
        tenths / 10,
        tenths % 10,
        line.id
    );
}

impl Shared {
    /// Writes what is pending to the daily files.
    fn write_out(&self) {
        let days = {
            let mut pending = self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            pending.bytes = 0;
            std::mem::take(&mut pending.days)
        };
        for (date, text) in days {
            let path = self.folder.join(file_name(date));
            let written = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .and_then(|mut file| file.write_all(text.as_bytes()));
            match written {
                Ok(()) => {
                    if self.failing.swap(false, Ordering::Relaxed) {
                        tracing::info!("the request log is written again");
                    }
                }
                Err(e) => {
                    let lines = text.lines().count() as u64;
                    self.dropped.fetch_add(lines, Ordering::Relaxed);
                    if !self.failing.swap(true, Ordering::Relaxed) {
                        tracing::error!(file = %path.display(), "the request log cannot be written: {e}");
                    }
                }
            }
        }
        let lost = self.dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            tracing::warn!(
                lines = lost,
                "request log lines dropped: the disk is behind or full"
            );
        }
    }
}

impl Drop for Shared {
    /// The last lines go out with the log (the server stopping).
    fn drop(&mut self) {
        self.write_out();
    }
}

fn file_name(date: Date) -> String {
    format!("{PREFIX}{date}{SUFFIX}")
}

/// Deletes the daily files older than `keep_days` before `today`; returns how many.
pub fn prune(folder: &Path, today: Date, keep_days: i64) -> std::io::Result<usize> {
    let Ok(oldest) = today.checked_sub(jiff::Span::new().days(keep_days)) else {
        return Ok(0);
    };
    let mut removed = 0;
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(date) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX)?.strip_suffix(SUFFIX))
            .and_then(|d| d.parse::<Date>().ok())
        else {
            continue;
        };
        if date < oldest {
            // One file that cannot go does not keep the others.
            match std::fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                Err(e) => {
                    tracing::error!(file = %entry.path().display(), "an old request log could not be removed: {e}");
                }
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(date: Date, path: &str) -> Line<'_> {
        Line {
            // Noon in Vietnam: that day's file.
            at: date
                .at(12, 0, 0, 0)
                .to_zoned_datetime(crate::format::vietnam())
                .unwrap()
                .timestamp(),
            address: Some("203.0.113.7".parse().unwrap()),
            method: "GET",
            path,
            status: 200,
            ms: 0.4,
            id: "r1",
        }
    }

    #[test]
    fn lines_read_as_jiff_and_rounding_would_write_them() {
        let mut pending = Pending::default();
        for (nanos, ms) in [
            (0, 0.04),
            (300_166_129, 0.05),
            (300_177_970, 12.34),
            (5, 1234.96),
        ] {
            let at = Timestamp::new(1_796_000_123, nanos).unwrap();
            let day = pending.stamp(at);
            assert_eq!(day, at.to_zoned_datetime(crate::format::vietnam()).date());
            let second = pending.second.as_ref().unwrap().2.clone();
            let mut text = String::new();
            let line = Line {
                at,
                address: None,
                method: "GET",
                path: "/",
                status: 200,
                ms,
                id: "r1",
            };
            write_line(&mut text, &second, &line);
            assert_eq!(text, format!("{at} - GET / 200 {ms:.1} r1\n"));
        }
    }

    #[test]
    fn lines_reach_daily_files_and_old_files_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("logs");
        let log = AccessLog::start(folder.clone());
        let today = jiff::civil::date(2026, 12, 5);
        log.record(&line(today, "/van-ban"));
        log.record(&line(today.tomorrow().unwrap(), "/hoi-dap"));
        drop(log);
        // What is pending is written as the log goes.
        let mut text = String::new();
        for _ in 0..100 {
            text =
                std::fs::read_to_string(folder.join("requests-2026-12-06.log")).unwrap_or_default();
            if !text.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            text.contains(" 203.0.113.7 GET /hoi-dap 200 0.4 r1"),
            "{text}"
        );
        let first = std::fs::read_to_string(folder.join("requests-2026-12-05.log")).unwrap();
        assert!(first.contains("/van-ban"), "{first}");

        std::fs::write(folder.join("requests-2026-08-01.log"), "old\n").unwrap();
        std::fs::write(folder.join("notes.txt"), "kept\n").unwrap();
        assert_eq!(prune(&folder, today, 90).unwrap(), 1);
        assert!(!folder.join("requests-2026-08-01.log").exists());
        assert!(folder.join("requests-2026-12-05.log").exists());
        assert!(folder.join("notes.txt").exists());
    }

    /// A full disk: the lines are counted as lost, nothing panics, and writing resumes
    /// once there is room again.
    #[test]
    fn a_full_disk_loses_lines_counted_and_writing_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("logs");
        let log = AccessLog::start(folder.clone());
        let shared = log.shared.clone().unwrap();
        let day = jiff::civil::date(2026, 12, 5);
        let file = folder.join("requests-2026-12-05.log");
        // Every write to /dev/full fails with "no space left on device".
        std::os::unix::fs::symlink("/dev/full", &file).unwrap();
        log.record(&line(day, "/mat-khi-day"));
        shared.write_out();
        assert!(
            shared.failing.load(Ordering::Relaxed),
            "the failure is known"
        );
        // Room again: the next lines reach the file, and the failure is over.
        std::fs::remove_file(&file).unwrap();
        log.record(&line(day, "/co-cho-lai"));
        shared.write_out();
        assert!(!shared.failing.load(Ordering::Relaxed));
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.contains("/co-cho-lai") && !text.contains("/mat-khi-day"),
            "{text}"
        );
    }
}
