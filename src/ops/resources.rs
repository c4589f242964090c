//! The resource record (Art. 4.4): once an hour the server notes disk, memory, load,
//! requests and latency, so the Division can base hardware proposals on 30 days of
//! facts. Thresholds turn into warnings (disk over 80 % used, say).

use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::store::{self, Tx};

/// One hour's sample.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub at: Timestamp,
    pub disk_used: u64,
    pub disk_total: u64,
    pub memory_used: u64,
    pub memory_total: u64,
    /// One-minute load average.
    pub load: f64,
    /// Requests answered since the previous sample.
    pub requests: u64,
    /// The 95th percentile of their latency, in milliseconds (bucket upper bound).
    pub p95_ms: f64,
}

/// Bytes of all uploaded files, as the store records them.
pub fn blob_bytes(tx: &impl Tx) -> Result<u64, store::Error> {
    Ok(crate::store::BLOBS.values(tx)?.iter().map(|b| b.size).sum())
}

/// One day of samples, summed or at their worst.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Day {
    pub date: jiff::civil::Date,
    pub disk_used_percent: f64,
    pub memory_used_percent: f64,
    pub load: f64,
    pub requests: u64,
    pub p95_ms: f64,
}

/// Where warnings start.
pub const DISK_WARN_PERCENT: f64 = 80.0;
pub const MEMORY_WARN_PERCENT: f64 = 90.0;
pub const P95_WARN_MS: f64 = 500.0;

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// (used, total) bytes of memory, from /proc/meminfo.
fn memory() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    let total = field("MemTotal:");
    (total.saturating_sub(field("MemAvailable:")), total)
}

fn load() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0.0)
}

/// A sample of the machine now; `requests` and `p95_ms` come from the server's counters.
pub fn measure(data: &Path, requests: u64, p95_ms: f64, now: Timestamp) -> Sample {
    let (free, total) = crate::ops::doctor::free_space(data).unwrap_or((0, 0));
    let (memory_used, memory_total) = memory();
    Sample {
        at: now,
        disk_used: total.saturating_sub(free),
        disk_total: total,
        memory_used,
        memory_total,
        load: load(),
        requests,
        p95_ms,
    }
}

pub fn record(tx: &redb::WriteTransaction, sample: &Sample) -> Result<(), store::Error> {
    let key = u64::try_from(sample.at.as_second()).unwrap_or(0);
    tables::RESOURCES.insert(tx, key, sample)?;
    // Kept for 400 days: a year of proposals and a little more.
    let horizon = key.saturating_sub(400 * 24 * 3600);
    // Hourly, so at most one sample falls out of the window each time.
    while let Some(oldest) = tables::RESOURCES.range_values(tx, 0..horizon)?.first() {
        tables::RESOURCES.remove(tx, u64::try_from(oldest.at.as_second()).unwrap_or(0))?;
    }
    Ok(())
}

/// The last `days` days, oldest first, one row per day that has samples.
pub fn days(tx: &impl Tx, now: Timestamp, days: i64) -> Result<Vec<Day>, store::Error> {
    let from = now - jiff::SignedDuration::from_hours(24 * days);
    let from = u64::try_from(from.as_second()).unwrap_or(0);
    let samples = tables::RESOURCES.range_values(tx, from..)?;
    let zone = crate::format::vietnam();
    let mut out: Vec<Day> = Vec::new();
    for s in samples {
        let date = s.at.to_zoned_datetime(zone.clone()).date();
        if out.last().is_none_or(|d| d.date != date) {
            out.push(Day {
                date,
                ..Day::default()
            });
        }
        if let Some(day) = out.last_mut() {
            day.disk_used_percent = percent(s.disk_used, s.disk_total);
            day.memory_used_percent = day
                .memory_used_percent
                .max(percent(s.memory_used, s.memory_total));
            day.load = day.load.max(s.load);
            day.requests += s.requests;
            day.p95_ms = day.p95_ms.max(s.p95_ms);
        }
    }
    Ok(out)
}

/// Warnings for the newest sample (Vietnamese, for the page).
pub fn warnings(latest: &Sample, cores: usize) -> Vec<String> {
    let mut out = Vec::new();
    let disk = percent(latest.disk_used, latest.disk_total);
    if disk > DISK_WARN_PERCENT {
        out.push(format!(
            "Ổ đĩa dữ liệu đã dùng {disk:.0} % (ngưỡng cảnh báo {DISK_WARN_PERCENT:.0} %)."
        ));
    }
    let memory = percent(latest.memory_used, latest.memory_total);
    if memory > MEMORY_WARN_PERCENT {
        out.push(format!(
            "Bộ nhớ đã dùng {memory:.0} % (ngưỡng cảnh báo {MEMORY_WARN_PERCENT:.0} %)."
        ));
    }
    if latest.load > 2.0 * cores as f64 {
        out.push(format!(
            "Tải CPU {:.1} vượt gấp đôi số lõi ({cores}).",
            latest.load
        ));
    }
    if latest.p95_ms > P95_WARN_MS {
        out.push(format!(
            "Thời gian đáp ứng p95 {:.0} ms (ngưỡng cảnh báo {P95_WARN_MS:.0} ms).",
            latest.p95_ms
        ));
    }
    out
}

pub fn latest(tx: &impl Tx) -> Result<Option<Sample>, store::Error> {
    tables::RESOURCES.last(tx)
}

/// A bar chart of `values` as inline SVG, labelled for screen readers.
pub fn bar_chart(label: &str, unit: &str, values: &[(String, f64)]) -> String {
    const WIDTH: f64 = 600.0;
    const HEIGHT: f64 = 160.0;
    let max = values.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
    let scale = if max > 0.0 {
        (HEIGHT - 20.0) / max
    } else {
        0.0
    };
    let slot = WIDTH / values.len().max(1) as f64;
    let mut bars = String::new();
    for (i, (name, value)) in values.iter().enumerate() {
        let h = value * scale;
        let x = i as f64 * slot + 1.0;
        bars.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"#1f5f99\"><title>{name}: {value:.1} {unit}</title></rect>",
            HEIGHT - h,
            (slot - 2.0).max(1.0)
        ));
    }
    let escape = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('"', "&quot;")
    };
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" class=\"chart\" role=\"img\" aria-label=\"{}\">\
         <line x1=\"0\" y1=\"{HEIGHT}\" x2=\"{WIDTH}\" y2=\"{HEIGHT}\" stroke=\"#555\"/>{bars}\
         <text x=\"4\" y=\"14\" font-size=\"12\" fill=\"#222\">{} {max:.1} {unit}</text></svg>",
        escape(&format!("{label}: cao nhất {max:.1} {unit}")),
        escape("cao nhất"),
    )
}

/// The samples.
pub mod tables {
    use crate::store::Table;

    /// Hourly resource samples (disk, memory, load, requests, latency) by unix second.
    pub const RESOURCES: Table<u64, super::Sample> = Table::new("resources_v1");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_start_at_their_thresholds() {
        let mut s = Sample {
            disk_used: 79,
            disk_total: 100,
            memory_used: 50,
            memory_total: 100,
            load: 1.0,
            p95_ms: 20.0,
            ..Sample::default()
        };
        assert!(warnings(&s, 2).is_empty());
        s.disk_used = 85;
        s.load = 5.0;
        let w = warnings(&s, 2);
        assert_eq!(w.len(), 2);
        assert!(w[0].contains("85 %"));
        let svg = bar_chart(
            "Lượt truy cập",
            "lượt",
            &[("a".into(), 1.0), ("b".into(), 3.0)],
        );
        assert!(svg.starts_with("<svg") && svg.matches("<rect").count() == 2);
    }
}
