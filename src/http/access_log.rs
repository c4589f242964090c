//! The request log: one line per request (time in UTC, RFC 3339; source address;
//! method; path; status; milliseconds; request id), in daily files (by the local date) under
//! `data/logs/` (`requests-YYYY-MM-DD.log`), kept for `logs.retention_days` (at least
//! 90, as Decree 330 asks of access records) and pruned after it.
//!
//! Requests never wait for the disk: a line goes into a bounded queue and one thread
//! writes the queue out in batches. If the disk is slow or full, lines past the queue's
//! size are dropped and counted, and the count is logged; answers go on.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::Date;

/// The folder of the daily files, inside the data folder.
pub const FOLDER: &str = "logs";
/// Lines waiting for the writer at most.
const QUEUE: usize = 16_384;
/// How long a written line may sit in the buffer before it reaches the file.
const FLUSH_EVERY: Duration = Duration::from_millis(500);
const PREFIX: &str = "requests-";
const SUFFIX: &str = ".log";

/// One request, as logged.
pub struct Line {
    pub at: Timestamp,
    pub date: Date,
    pub address: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub ms: f64,
    pub id: String,
}

#[derive(Clone)]
pub struct AccessLog {
    queue: Option<SyncSender<Line>>,
    dropped: Arc<AtomicU64>,
}

impl AccessLog {
    /// A log writing into `folder` (made if missing) from a thread of its own. A folder
    /// that cannot be made is logged and the server runs without a request log.
    pub fn start(folder: PathBuf) -> AccessLog {
        let dropped = Arc::new(AtomicU64::new(0));
        if let Err(e) = std::fs::create_dir_all(&folder) {
            tracing::error!(folder = %folder.display(), "the request log is off: {e}");
            return AccessLog {
                queue: None,
                dropped,
            };
        }
        let (queue, lines) = sync_channel(QUEUE);
        let counter = dropped.clone();
        let spawned = std::thread::Builder::new()
            .name("request-log".into())
            .spawn(move || write_out(&folder, &lines, &counter));
        if let Err(e) = spawned {
            tracing::error!("the request log is off: {e}");
            return AccessLog {
                queue: None,
                dropped,
            };
        }
        AccessLog {
            queue: Some(queue),
            dropped,
        }
    }

    /// Queues `line`; drops it (and counts it) if the writer is behind.
    pub fn record(&self, line: Line) {
        let Some(queue) = &self.queue else { return };
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = queue.try_send(line) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn write_out(folder: &Path, lines: &Receiver<Line>, dropped: &AtomicU64) {
    let mut file: Option<(Date, BufWriter<File>)> = None;
    let mut failing = false;
    loop {
        let line = match lines.recv_timeout(FLUSH_EVERY) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => {
                if let Some((_, out)) = file.as_mut() {
                    failing = report(out.flush(), failing);
                }
                let lost = dropped.swap(0, Ordering::Relaxed);
                if lost > 0 {
                    tracing::warn!(
                        lines = lost,
                        "request log lines dropped: the disk is behind"
                    );
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => {
                if let Some((_, out)) = file.as_mut() {
                    let _ = out.flush();
                }
                return;
            }
        };
        if file.as_ref().is_none_or(|(date, _)| *date != line.date) {
            if let Some((_, out)) = file.as_mut() {
                let _ = out.flush();
            }
            let path = folder.join(file_name(line.date));
            match OpenOptions::new().create(true).append(true).open(&path) {
                Ok(f) => {
                    file = Some((line.date, BufWriter::with_capacity(64 * 1024, f)));
                    failing = false;
                }
                Err(e) => {
                    if !failing {
                        tracing::error!(file = %path.display(), "the request log cannot be written: {e}");
                    }
                    failing = true;
                    file = None;
                    dropped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            }
        }
        match file.as_mut() {
            Some((_, out)) => {
                let written = writeln!(
                    out,
                    "{} {} {} {} {} {:.1} {}",
                    line.at, line.address, line.method, line.path, line.status, line.ms, line.id
                );
                if written.is_err() {
                    dropped.fetch_add(1, Ordering::Relaxed);
                }
                failing = report(written, failing);
            }
            None => {
                dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Logs the first of a run of write failures (a full disk), and the recovery.
fn report(result: std::io::Result<()>, failing: bool) -> bool {
    match result {
        Ok(()) => {
            if failing {
                tracing::info!("the request log is written again");
            }
            false
        }
        Err(e) => {
            if !failing {
                tracing::error!("the request log cannot be written: {e}");
            }
            true
        }
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

    fn line(date: Date, path: &str) -> Line {
        Line {
            at: Timestamp::now(),
            date,
            address: "203.0.113.7".into(),
            method: "GET".into(),
            path: path.into(),
            status: 200,
            ms: 0.4,
            id: "r1".into(),
        }
    }

    #[test]
    fn lines_reach_daily_files_and_old_files_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("logs");
        let log = AccessLog::start(folder.clone());
        let today = jiff::civil::date(2026, 12, 5);
        log.record(line(today, "/van-ban"));
        log.record(line(today.tomorrow().unwrap(), "/hoi-dap"));
        drop(log);
        // The writer flushes as the last sender goes.
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
}
