//! The request log: one line per request (time in UTC, RFC 3339; source address;
//! method; path; status; milliseconds; request id), in daily files (by the local date)
//! under `data/logs/` (`requests-YYYY-MM-DD.log`), kept for `logs.retention_days` (at
//! least 90, as Decree 330 asks of access records) and pruned after it. A day's file is
//! gzipped (`requests-YYYY-MM-DD.log.gz`) once the day before yesterday has ended:
//! request lines shrink to about an eighth, so ninety days of a busy site, or of a
//! flood, do not fill the disk the store is on.
//!
//! Requests never wait for the disk, nor wake a thread, nor each other: a line is
//! formatted into its thread's own buffer (`Sharded`), and one thread merges the
//! buffers in time order and writes them out five times a second, more often when
//! busy (`next_pause`): a core's requests wait while the writer runs. If the disk is slow
//! or full, lines past the buffers' bound are dropped and counted, and the count is
//! logged; answers go on. What is still buffered when the log goes (the server stops)
//! is written then.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::Date;

use crate::sharded::Sharded;

/// The folder of the daily files, inside the data folder.
pub const FOLDER: &str = "logs";
/// Bytes waiting for the writer at most (about 60,000 lines).
const MAX_PENDING: usize = 8 * 1024 * 1024;
/// How long a line may wait before it reaches the file.
const WRITE_EVERY: Duration = Duration::from_millis(200);
/// About how much one write-out takes on a busy server, and the least pause between
/// two (`next_pause`).
const WRITE_SIZE: usize = 64 * 1024;
const WRITE_EVERY_BUSY: Duration = Duration::from_millis(10);
const PREFIX: &str = "requests-";
const SUFFIX: &str = ".log";
/// A closed day's file, compressed.
const GZIP_SUFFIX: &str = ".log.gz";
/// Permissions of the files: the server's user only.
const OWNER_ONLY: u32 = 0o600;
/// A compressed file being written; renamed to `GZIP_SUFFIX` once whole and synced.
const PARTIAL_SUFFIX: &str = ".log.gz.partial";
/// A compressed file found unreadable, kept aside (and pruned in its time) so that its
/// day's plain file can be compressed afresh.
const DAMAGED_SUFFIX: &str = ".log.gz.damaged";

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

/// One thread's lines not yet written, by local date (a batch can straddle midnight).
#[derive(Default)]
struct Pending {
    days: Vec<(Date, String)>,
    /// What this buffer added to `Shared::pending_bytes`, taken off when written.
    counted: usize,
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
    pending: Sharded<Pending>,
    /// Bytes in all the threads' buffers.
    pending_bytes: AtomicUsize,
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
        owner_only(&folder);
        let shared = Arc::new(Shared::new(folder));
        let weak = Arc::downgrade(&shared);
        let spawned = std::thread::Builder::new()
            .name("request-log".into())
            .spawn(move || {
                let mut pause = WRITE_EVERY;
                loop {
                    std::thread::sleep(pause);
                    let Some(shared) = weak.upgrade() else { return };
                    pause = next_pause(pause, shared.write_out());
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
        if shared.pending_bytes.load(Ordering::Relaxed) >= MAX_PENDING {
            shared.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let mut pending = shared.pending.mine();
        // The file is the local day's.
        let day = pending.stamp(line.at);
        let Pending {
            days,
            counted,
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
        // Counted before the lock goes: the writer takes the text and `counted` under
        // it, and then takes them off the count.
        let added = text.len() - before;
        *counted += added;
        shared.pending_bytes.fetch_add(added, Ordering::Relaxed);
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
    fn new(folder: PathBuf) -> Shared {
        Shared {
            folder,
            pending: Sharded::default(),
            pending_bytes: AtomicUsize::new(0),
            dropped: AtomicU64::new(0),
            failing: Default::default(),
        }
    }

    /// Writes what is pending to the daily files; returns how many bytes it wrote (none
    /// on a full disk: the writer then goes back to five times a second, and so does
    /// the warning about the lines dropped).
    fn write_out(&self) -> usize {
        let mut days: BTreeMap<Date, Vec<String>> = BTreeMap::new();
        for mut pending in self.pending.each() {
            let counted = std::mem::take(&mut pending.counted);
            self.pending_bytes.fetch_sub(counted, Ordering::Relaxed);
            for (date, text) in std::mem::take(&mut pending.days) {
                days.entry(date).or_default().push(text);
            }
        }
        let days = days
            .into_iter()
            .map(|(date, texts)| (date, in_time_order(texts)));
        let mut bytes = 0;
        for (date, text) in days {
            let path = self.folder.join(file_name(date));
            let written = OpenOptions::new()
                .create(true)
                .append(true)
                .mode(OWNER_ONLY)
                .open(&path)
                .and_then(|mut file| file.write_all(text.as_bytes()));
            match written {
                Ok(()) => {
                    bytes += text.len();
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
        bytes
    }
}

/// The pause before the next write-out, after one that wrote `bytes` from `pause`'s
/// requests: long enough for about `WRITE_SIZE`, within `WRITE_EVERY_BUSY` and
/// `WRITE_EVERY`. The writer runs without a break while it merges and writes, and the
/// requests on the core it runs on wait for it: at 80,000 requests a second, five
/// write-outs a second took 2.7 ms each, and those waits were most of the server's p99
/// (`perf sched`; README, Performance). Up to a hundred smaller ones a second keep
/// each wait short, for the same work.
fn next_pause(pause: Duration, bytes: usize) -> Duration {
    let rate = bytes as f64 / pause.as_secs_f64().max(f64::EPSILON);
    let pause = Duration::from_secs_f64((WRITE_SIZE as f64 / rate.max(1.0)).min(60.0));
    pause.clamp(WRITE_EVERY_BUSY, WRITE_EVERY)
}

impl Drop for Shared {
    /// The last lines go out with the log (the server stopping).
    fn drop(&mut self) {
        self.write_out();
    }
}

/// The lines of `texts` (each thread's, each in the order they were stamped) in the
/// order of their time stamps.
fn in_time_order(mut texts: Vec<String>) -> String {
    if texts.len() == 1 {
        return texts.pop().unwrap_or_default();
    }
    let mut merged = String::with_capacity(texts.iter().map(String::len).sum());
    let mut lines: Vec<_> = texts
        .iter()
        .map(|text| text.split_inclusive('\n').peekable())
        .collect();
    loop {
        let earliest = lines
            .iter_mut()
            .enumerate()
            .filter_map(|(n, lines)| Some((time_of(lines.peek()?), n)))
            .min();
        let Some(line) = earliest.and_then(|(_, n)| lines[n].next()) else {
            return merged;
        };
        merged.push_str(line);
    }
}

/// A line's time stamp, in an order that compares: its second (fixed width), then the
/// digits of its fraction (none, the whole second, before any).
fn time_of(line: &str) -> (&str, &str) {
    let stamp = line.split(' ').next().unwrap_or_default();
    let stamp = stamp.strip_suffix('Z').unwrap_or(stamp);
    stamp.split_once('.').unwrap_or((stamp, ""))
}

/// Takes the other users' permissions off the folder and its daily files: they hold
/// visitors' addresses, which are personal data. The files the log makes are the
/// owner's only already (`OWNER_ONLY`); older versions made them readable by all. Links
/// are left alone, and a file that cannot be changed is logged.
fn owner_only(folder: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let mut paths = vec![folder.to_path_buf()];
    match daily_files(folder) {
        Ok(files) => paths.extend(files.into_iter().map(|(path, ..)| path)),
        Err(e) => {
            tracing::error!(folder = %folder.display(), "the request logs cannot be listed: {e}");
        }
    }
    for path in paths {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o7777;
        let others = mode & 0o077;
        if !(meta.is_file() || meta.is_dir()) || others == 0 {
            continue;
        }
        let owners = std::fs::Permissions::from_mode(mode & !0o077);
        if let Err(e) = std::fs::set_permissions(&path, owners) {
            tracing::error!(file = %path.display(), "a request log stays readable by other users: {e}");
        }
    }
}

fn file_name(date: Date) -> String {
    format!("{PREFIX}{date}{SUFFIX}")
}

/// The daily files in `folder` (plain, compressed, or being compressed): path, date,
/// and the name's ending.
fn daily_files(folder: &Path) -> std::io::Result<Vec<(PathBuf, Date, &'static str)>> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
            continue;
        };
        for suffix in [SUFFIX, GZIP_SUFFIX, PARTIAL_SUFFIX, DAMAGED_SUFFIX] {
            if let Some(date) = rest
                .strip_suffix(suffix)
                .and_then(|d| d.parse::<Date>().ok())
            {
                files.push((entry.path(), date, suffix));
            }
        }
    }
    Ok(files)
}

/// Deletes the daily files older than `keep_days` before `today`; returns how many.
pub fn prune(folder: &Path, today: Date, keep_days: i64) -> std::io::Result<usize> {
    let Ok(oldest) = today.checked_sub(jiff::Span::new().days(keep_days)) else {
        return Ok(0);
    };
    let mut removed = 0;
    for (path, date, _) in daily_files(folder)? {
        if date < oldest {
            // One file that cannot go does not keep the others.
            match std::fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(e) => {
                    tracing::error!(file = %path.display(), "an old request log could not be removed: {e}");
                }
            }
        }
    }
    Ok(removed)
}

/// Gzips each day's file from before yesterday (the writer may still add yesterday's
/// last lines just after midnight) into `requests-DATE.log.gz`, then deletes the plain
/// file; returns how many it compressed. The compressed file is written under another
/// name, synced and renamed, so a crash or a full disk leaves the plain file whole: a
/// file that fails stays as it is, is logged, and is tried again next time.
///
/// A plain file beside its day's compressed one is deleted at once if the compressed
/// file already holds it, at its start or its end (a run stopped between the rename
/// and the deletion, the first time or after an addition). Otherwise (an operator put
/// back a copy of the day's log, say) what the compressed file lacks is added to it, so
/// nothing is lost and nothing is kept twice. A compressed file that cannot be read (not
/// gzip, cut short) is set aside as `….log.gz.damaged`, pruned with its day, and the
/// plain file is compressed afresh.
pub fn compress_closed(folder: &Path, today: Date) -> std::io::Result<usize> {
    let Ok(yesterday) = today.yesterday() else {
        return Ok(0);
    };
    let files = daily_files(folder)?;
    let mut compressed = 0;
    for (plain, date, _) in files.iter().filter(|(_, _, suffix)| *suffix == SUFFIX) {
        if *date >= yesterday {
            continue;
        }
        let gzipped = folder.join(format!("{PREFIX}{date}{GZIP_SUFFIX}"));
        let done = if gzipped.exists() {
            match compare(&gzipped, plain) {
                Ok(Held::All) => Ok(()),
                Ok(Held::Start(bytes)) => {
                    tracing::warn!(file = %plain.display(), "a request log beside its compressed copy holds more lines: they are added to the compressed file");
                    gzip_file(plain, bytes, &gzipped)
                }
                // Not gzip, or cut short: set aside (once; an earlier one stays), and
                // the plain file is compressed afresh, instead of failing every hour.
                Err(e) if is_damaged_gzip(&e) => {
                    let aside = folder.join(format!("{PREFIX}{date}{DAMAGED_SUFFIX}"));
                    if aside.exists() {
                        Err(e)
                    } else {
                        tracing::warn!(file = %gzipped.display(), kept_as = %aside.display(), "a compressed request log is damaged ({e}): set aside, and its day's plain file compressed afresh");
                        std::fs::rename(&gzipped, &aside)
                            .and_then(|()| gzip_file(plain, 0, &gzipped))
                    }
                }
                Err(e) => Err(e),
            }
        } else {
            gzip_file(plain, 0, &gzipped)
        };
        let removed = done.and_then(|()| std::fs::remove_file(plain));
        match removed {
            Ok(()) => {
                crate::files::sync_folder(folder);
                compressed += 1;
            }
            Err(e) => {
                tracing::error!(file = %plain.display(), "a closed request log could not be compressed (kept as it is): {e}");
            }
        }
    }
    // What a crash left half-written; its plain file is still there.
    for (partial, _, _) in files
        .iter()
        .filter(|(_, _, suffix)| *suffix == PARTIAL_SUFFIX)
    {
        let _ = std::fs::remove_file(partial);
    }
    Ok(compressed)
}

/// Whether reading a compressed log failed on its bytes (not gzip, corrupt, cut short)
/// rather than on the disk.
fn is_damaged_gzip(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::InvalidData
            | std::io::ErrorKind::InvalidInput
            | std::io::ErrorKind::UnexpectedEof
    )
}

/// How much of a plain log its day's compressed file already holds.
#[derive(Debug, PartialEq, Eq)]
enum Held {
    /// All of it, at the start or the end of the compressed text.
    All,
    /// Its first bytes (none, if it is another text): the rest is to be added.
    Start(u64),
}

/// What the text of `gzipped` (every gzip member of it) holds of `plain`. An error if
/// either cannot be read, `gzipped` damaged anywhere: nothing is added to a file that
/// cannot be read back.
fn compare(gzipped: &Path, plain: &Path) -> std::io::Result<Held> {
    use std::io::Read as _;
    let in_gzip = |e: std::io::Error| {
        std::io::Error::new(
            e.kind(),
            format!("{} cannot be read: {e}", gzipped.display()),
        )
    };
    let unpack = || -> std::io::Result<_> {
        let file = std::fs::File::open(gzipped).map_err(in_gzip)?;
        Ok(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(
            file,
        )))
    };
    let open_plain = || std::fs::File::open(plain).map(std::io::BufReader::new);
    let plain_len = std::fs::metadata(plain)?.len();
    // The start: how many of the plain file's first bytes the text begins with.
    let mut text = unpack()?;
    let (matched, read) = common_start(&mut open_plain()?, &mut text).map_err(in_gzip)?;
    let text_len = read + std::io::copy(&mut text, &mut std::io::sink()).map_err(in_gzip)?;
    if matched == plain_len {
        return Ok(Held::All);
    }
    if matched == text_len {
        return Ok(Held::Start(matched));
    }
    // The end: the text's last bytes against the whole plain file.
    if plain_len < text_len {
        let mut text = unpack()?;
        std::io::copy(
            &mut (&mut text).take(text_len - plain_len),
            &mut std::io::sink(),
        )
        .map_err(in_gzip)?;
        if common_start(&mut open_plain()?, &mut text)
            .map_err(in_gzip)?
            .0
            == plain_len
        {
            return Ok(Held::All);
        }
    }
    Ok(Held::Start(0))
}

/// How many bytes `a` and `b` have in common from where each is, reading both up to
/// the first difference or the end of either; and how many were read from `b`.
fn common_start(
    a: &mut impl std::io::Read,
    b: &mut impl std::io::Read,
) -> std::io::Result<(u64, u64)> {
    let (mut ours, mut theirs) = (vec![0; 64 * 1024], vec![0; 64 * 1024]);
    let (mut same, mut read_b) = (0, 0);
    loop {
        let read = read_full(a, &mut ours)?;
        let got = read_full(b, &mut theirs[..read])?;
        read_b += got as u64;
        let equal = ours[..got]
            .iter()
            .zip(&theirs[..got])
            .take_while(|(x, y)| x == y)
            .count();
        same += equal as u64;
        if equal < read || read == 0 {
            return Ok((same, read_b));
        }
    }
}

/// Reads until `buffer` is full or the end: `read_exact` would not tell a clean end
/// from a damaged stream (both are errors to it; here only the damage is).
fn read_full(from: &mut impl std::io::Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match from.read(&mut buffer[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Writes `plain`, from byte `from` on, gzipped to `gzipped`, after what `gzipped`
/// already holds: a gzip file of several members reads as their texts one after the
/// other, with `zcat` as with `zgrep`.
fn gzip_file(plain: &Path, from: u64, gzipped: &Path) -> std::io::Result<()> {
    use std::io::Seek as _;
    let mut partial = gzipped.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let written = (|| {
        let mut source = std::fs::File::open(plain)?;
        source.seek(std::io::SeekFrom::Start(from))?;
        let mut file = std::io::BufWriter::new(
            OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(OWNER_ONLY)
                .open(&partial)?,
        );
        match std::fs::File::open(gzipped) {
            Ok(mut earlier) => {
                std::io::copy(&mut earlier, &mut file)?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let mut encoder = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        std::io::copy(&mut source, &mut encoder)?;
        let file = encoder
            .finish()?
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)?;
        file.sync_all()?;
        std::fs::rename(&partial, gzipped)?;
        if let Some(folder) = gzipped.parent() {
            crate::files::sync_folder(folder);
        }
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
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
    fn a_busy_log_is_written_in_small_parts_and_an_idle_one_five_times_a_second() {
        // Idle, or a few requests: the longest pause.
        assert_eq!(next_pause(WRITE_EVERY, 0), WRITE_EVERY);
        assert_eq!(next_pause(WRITE_EVERY, 4_000), WRITE_EVERY);
        // 80,000 requests a second of about 100 bytes: as often as allowed, and it
        // stays there while the load lasts.
        let busy = next_pause(WRITE_EVERY, 1_600_000);
        assert_eq!(busy, WRITE_EVERY_BUSY);
        assert_eq!(next_pause(busy, 80_000), WRITE_EVERY_BUSY);
        // 1 MB a second: about `WRITE_SIZE` a time.
        let moderate = next_pause(WRITE_EVERY, 200_000);
        assert!(
            moderate > WRITE_EVERY_BUSY && moderate < WRITE_EVERY,
            "{moderate:?}"
        );
        let each = 1_000_000.0 * moderate.as_secs_f64();
        assert!((each - WRITE_SIZE as f64).abs() < 1_000.0, "{each}");
        // Once the load stops, back to the longest pause.
        assert_eq!(next_pause(busy, 0), WRITE_EVERY);
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

    #[test]
    fn lines_from_several_threads_are_written_in_time_order() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("logs");
        std::fs::create_dir_all(&folder).unwrap();
        // No writer thread: a write-out while the threads still record would split
        // their lines into two batches.
        let shared = Arc::new(Shared::new(folder.clone()));
        let log = AccessLog {
            shared: Some(shared.clone()),
        };
        let noon = line(jiff::civil::date(2026, 12, 5), "/").at;
        // Four threads, each with its own buffer, their lines interleaved in time;
        // a whole second (no fraction) among them.
        std::thread::scope(|scope| {
            for thread in 0..4_i64 {
                let log = log.clone();
                scope.spawn(move || {
                    for n in 0..500_i64 {
                        let path = format!("/{}", n * 4 + thread);
                        let mut request = line(jiff::civil::date(2026, 12, 5), &path);
                        request.at = noon
                            + jiff::SignedDuration::from_micros(n * 4000 + thread * 1000 - 1000);
                        log.record(&request);
                    }
                });
            }
        });
        drop(log);
        shared.write_out();
        assert_eq!(shared.pending_bytes.load(Ordering::Relaxed), 0);
        let text = std::fs::read_to_string(folder.join("requests-2026-12-05.log")).unwrap();
        let paths: Vec<i64> = text
            .lines()
            .map(|l| l.split(' ').nth(3).unwrap()[1..].parse().unwrap())
            .collect();
        assert_eq!(paths, (0..2000).collect::<Vec<_>>(), "{text}");
        assert!(text.contains("T05:00:00Z "), "{text}");
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

    fn read_gzip(path: &Path) -> String {
        use std::io::Read as _;
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    #[test]
    fn closed_days_are_gzipped_whole_and_pruned_in_their_time() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path();
        let today: Date = "2026-12-07".parse().unwrap();
        let plain = |day: &str| folder.join(format!("requests-{day}.log"));
        let gzipped = |day: &str| folder.join(format!("requests-{day}.log.gz"));
        let text = "2026-12-05T01:00:00.123Z 203.0.113.7 GET /tin-tuc 200 0.4 r1\n".repeat(2000);
        for day in ["2026-12-07", "2026-12-06", "2026-12-05", "2026-12-01"] {
            std::fs::write(plain(day), &text).unwrap();
        }
        // What a crash left of an earlier run, beside its plain file.
        let partial = folder.join("requests-2026-12-01.log.gz.partial");
        std::fs::write(&partial, b"half").unwrap();

        assert_eq!(compress_closed(folder, today).unwrap(), 2);
        // Today's and yesterday's stay plain: the writer may still add to them.
        assert!(plain("2026-12-07").exists() && plain("2026-12-06").exists());
        assert!(!gzipped("2026-12-06").exists());
        // Older days are gzipped whole, a fraction of their size.
        for day in ["2026-12-05", "2026-12-01"] {
            assert!(!plain(day).exists());
            assert_eq!(read_gzip(&gzipped(day)), text);
            let size = std::fs::metadata(gzipped(day)).unwrap().len();
            assert!(size * 10 < text.len() as u64, "{size} bytes");
        }
        assert!(!partial.exists());
        assert_eq!(compress_closed(folder, today).unwrap(), 0);

        // A run stopped between the rename and the deletion: the plain file goes.
        std::fs::write(plain("2026-12-05"), &text).unwrap();
        assert_eq!(compress_closed(folder, today).unwrap(), 1);
        assert!(!plain("2026-12-05").exists());
        assert_eq!(read_gzip(&gzipped("2026-12-05")), text);

        // A plain file that is only the start of the compressed one goes too.
        std::fs::write(plain("2026-12-05"), &text[..text.len() / 2]).unwrap();
        assert_eq!(compress_closed(folder, today).unwrap(), 1);
        assert!(!plain("2026-12-05").exists());
        assert_eq!(read_gzip(&gzipped("2026-12-05")), text);

        // A day's file put back by hand: compressed, it is gone, and the compressed
        // file then reads as `expected`.
        let put_back = |text: &str, expected: &str| {
            std::fs::write(plain("2026-12-05"), text).unwrap();
            assert_eq!(compress_closed(folder, today).unwrap(), 1);
            assert!(!plain("2026-12-05").exists());
            assert_eq!(read_gzip(&gzipped("2026-12-05")), expected);
        };
        // Other lines: added, not lost.
        let restored = "2026-12-05T09:00:00.000Z 198.51.100.2 GET /van-ban 200 0.7 r9\n";
        put_back(restored, &format!("{text}{restored}"));
        // Put back again (or a run stopped after the addition, before the deletion):
        // the compressed file ends with it, nothing is added twice.
        put_back(restored, &format!("{text}{restored}"));
        // A fuller copy of the day: only what the compressed file lacks is added.
        let later = "2026-12-05T23:59:00.000Z 198.51.100.3 GET / 200 0.2 r10\n";
        let whole = format!("{text}{restored}{later}");
        put_back(&whole, &whole);
        // The start of the day again, and the whole of it: nothing changes.
        put_back(&text, &whole);
        put_back(&whole, &whole);

        // A damaged compressed file (cut short): set aside as it is, and the plain one
        // compressed afresh.
        let mut cut = std::fs::read(gzipped("2026-12-05")).unwrap();
        cut.truncate(cut.len() / 2);
        std::fs::write(gzipped("2026-12-04"), &cut).unwrap();
        std::fs::write(plain("2026-12-04"), restored).unwrap();
        assert_eq!(compress_closed(folder, today).unwrap(), 1);
        assert!(!plain("2026-12-04").exists());
        assert_eq!(read_gzip(&gzipped("2026-12-04")), restored);
        let aside = folder.join("requests-2026-12-04.log.gz.damaged");
        assert_eq!(std::fs::read(&aside).unwrap(), cut);
        std::fs::remove_file(aside).unwrap();
        std::fs::remove_file(gzipped("2026-12-04")).unwrap();

        // Compressed days are pruned as plain ones are.
        assert_eq!(prune(folder, today, 3).unwrap(), 1);
        assert!(!gzipped("2026-12-01").exists() && gzipped("2026-12-05").exists());
    }

    /// A folder holding one closed day's plain log, on 7 December: the folder, the
    /// day's file and its text.
    fn a_closed_day() -> (tempfile::TempDir, PathBuf, String) {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("requests-2026-12-01.log");
        let text = "2026-12-01T01:00:00.123Z 203.0.113.7 GET / 200 0.4 r1\n".repeat(100);
        std::fs::write(&plain, &text).unwrap();
        (dir, plain, text)
    }

    #[test]
    fn a_damaged_compressed_log_is_set_aside_and_the_day_compressed_afresh() {
        let (dir, plain, text) = a_closed_day();
        let folder = dir.path();
        let today: Date = "2026-12-07".parse().unwrap();
        let gzipped = folder.join("requests-2026-12-01.log.gz");
        let aside = folder.join("requests-2026-12-01.log.gz.damaged");
        for damage in [&b"not gzip at all"[..], &[0x1f, 0x8b, 8, 0, 0, 0]] {
            std::fs::write(&gzipped, damage).unwrap();
            std::fs::write(&plain, &text).unwrap();
            let _ = std::fs::remove_file(&aside);
            assert_eq!(compress_closed(folder, today).unwrap(), 1);
            assert!(!plain.exists());
            assert_eq!(read_gzip(&gzipped), text);
            assert_eq!(std::fs::read(&aside).unwrap(), damage, "kept as it was");
            // Done: nothing more to do the next hour.
            assert_eq!(compress_closed(folder, today).unwrap(), 0);
        }
        // Set aside files are pruned with their day.
        assert_eq!(prune(folder, today, 3).unwrap(), 2);
        assert!(!aside.exists());
    }

    /// A full disk: the compressed file cannot be written, the plain one stays whole
    /// and is compressed on a later run.
    #[test]
    fn a_full_disk_keeps_the_plain_log() {
        let (dir, plain, text) = a_closed_day();
        let folder = dir.path();
        let today: Date = "2026-12-07".parse().unwrap();
        // Every write to /dev/full fails with "no space left on device".
        let partial = folder.join("requests-2026-12-01.log.gz.partial");
        std::os::unix::fs::symlink("/dev/full", &partial).unwrap();
        assert_eq!(compress_closed(folder, today).unwrap(), 0);
        assert_eq!(std::fs::read_to_string(&plain).unwrap(), text);
        assert!(!folder.join("requests-2026-12-01.log.gz").exists());
        assert!(std::fs::symlink_metadata(&partial).is_err());
        // Room again: compressed.
        assert_eq!(compress_closed(folder, today).unwrap(), 1);
        assert!(!plain.exists());
        assert_eq!(read_gzip(&folder.join("requests-2026-12-01.log.gz")), text);
    }
}
