//! `/metrics` in Prometheus text format: requests by route and status, a latency
//! histogram, the page cache's hit ratio, store and blob sizes, the age of the last
//! backup and the time left on the certificate. Only loopback addresses or a signed-in
//! administrator may read it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use axum::Extension;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

use super::error::HttpError;
use super::server::Peer;
use crate::app::App;
use crate::sharded::Sharded;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// The requests one thread answered.
#[derive(Default)]
struct Tally {
    /// route pattern → status → count. Routes are patterns, so the set stays small; a
    /// pattern seen before costs no allocation.
    requests: BTreeMap<String, BTreeMap<u16, u64>>,
    /// Requests per bucket (not cumulative: one increment per request); `cumulative`
    /// makes the histogram's running totals when they are read.
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_micros: u64,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        for (route, statuses) in &other.requests {
            let mine = self.requests.entry(route.clone()).or_default();
            for (status, n) in statuses {
                *mine.entry(*status).or_insert(0) += n;
            }
        }
        for (mine, n) in self.buckets.iter_mut().zip(other.buckets) {
            *mine += n;
        }
        self.count += other.count;
        self.sum_micros += other.sum_micros;
    }

    /// Requests at or under each bucket's bound.
    fn cumulative(&self) -> [u64; BUCKETS.len()] {
        let mut total = 0;
        std::array::from_fn(|i| {
            total += self.buckets[i];
            total
        })
    }
}

/// Counted per request, in each thread's own tally (`Sharded`): the connection threads
/// never wait for each other to count.
#[derive(Default)]
pub struct Metrics {
    tallies: Sharded<Tally>,
    /// The bucket counts and total at the last hourly sample.
    last_sample: Mutex<([u64; BUCKETS.len()], u64)>,
}

impl Metrics {
    pub fn record(&self, route: &str, status: u16, elapsed: Duration) {
        let mut tally = self.tallies.mine();
        let statuses = match tally.requests.get_mut(route) {
            Some(statuses) => statuses,
            None => tally.requests.entry(route.to_string()).or_default(),
        };
        *statuses.entry(status).or_insert(0) += 1;
        let seconds = elapsed.as_secs_f64();
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            tally.buckets[bucket] += 1;
        }
        tally.count += 1;
        tally.sum_micros += elapsed.as_micros().min(u128::from(u64::MAX)) as u64;
    }

    /// All threads' tallies added up.
    fn total(&self) -> Tally {
        let mut total = Tally::default();
        for tally in self.tallies.each() {
            total.add(&tally);
        }
        total
    }

    /// Requests since the previous call, and the upper bound of the bucket holding their
    /// 95th percentile (ms); for the hourly resource sample.
    pub fn since_last_sample(&self) -> (u64, f64) {
        let total = self.total();
        let (now, count) = (total.cumulative(), total.count);
        let Ok(mut last) = self.last_sample.lock() else {
            return (0, 0.0);
        };
        let requests = count.saturating_sub(last.1);
        let mut p95 = 0.0;
        if requests > 0 {
            let wanted = (requests as f64 * 0.95).ceil() as u64;
            p95 = BUCKETS[BUCKETS.len() - 1] * 1000.0;
            for (i, bound) in BUCKETS.iter().enumerate() {
                if now[i].saturating_sub(last.0[i]) >= wanted {
                    p95 = bound * 1000.0;
                    break;
                }
            }
        }
        for (i, n) in now.iter().enumerate() {
            last.0[i] = *n;
        }
        last.1 = count;
        (requests, p95)
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

/// `GET /metrics`
pub async fn metrics(
    State(app): State<Arc<App>>,
    peer: Option<Extension<Peer>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let local = peer.is_some_and(|Extension(Peer(addr))| addr.ip().to_canonical().is_loopback());
    if !local && !super::admin::is_administrator(&app, &headers).await? {
        return Err(HttpError::Forbidden(
            "metrics: loopback or administrators only",
        ));
    }
    let mut out = String::new();
    let labels = Labels::of(&app.config.name);
    out.push_str(
        "# HELP trangtin_requests_total Requests answered, by route pattern and status.\n",
    );
    out.push_str("# TYPE trangtin_requests_total counter\n");
    let total = app.metrics.total();
    let counts = total
        .requests
        .iter()
        .flat_map(|(route, statuses)| statuses.iter().map(move |(status, n)| (route, status, n)));
    for (route, status, n) in counts {
        let labels = labels.with(&format!("route=\"{}\",status=\"{status}\"", escape(route)));
        let _ = writeln!(out, "trangtin_requests_total{labels} {n}");
    }
    out.push_str("# HELP trangtin_request_duration_seconds Time to answer a request.\n");
    out.push_str("# TYPE trangtin_request_duration_seconds histogram\n");
    for (bound, n) in BUCKETS.iter().zip(total.cumulative()) {
        let labels = labels.with(&format!("le=\"{bound}\""));
        let _ = writeln!(out, "trangtin_request_duration_seconds_bucket{labels} {n}");
    }
    let count = total.count;
    let _ = writeln!(
        out,
        "trangtin_request_duration_seconds_bucket{} {count}",
        labels.with("le=\"+Inf\"")
    );
    let _ = writeln!(
        out,
        "trangtin_request_duration_seconds_sum{} {}",
        labels.with(""),
        total.sum_micros as f64 / 1e6
    );
    let _ = writeln!(
        out,
        "trangtin_request_duration_seconds_count{} {count}",
        labels.with("")
    );

    let (hits, misses) = app.cache.hits_and_misses();
    let ratio = if hits + misses == 0 {
        0.0
    } else {
        hits as f64 / (hits + misses) as f64
    };
    gauge(
        &mut out,
        &labels,
        "trangtin_page_cache_hits_total",
        "counter",
        "Page cache lookups that hit.",
        hits as f64,
    );
    gauge(
        &mut out,
        &labels,
        "trangtin_page_cache_misses_total",
        "counter",
        "Page cache lookups that missed.",
        misses as f64,
    );
    gauge(
        &mut out,
        &labels,
        "trangtin_page_cache_early_hits_total",
        "counter",
        "Page cache hits answered before routing (the fast path); counted in the hits too.",
        app.cache.early_hits() as f64,
    );
    gauge(
        &mut out,
        &labels,
        "trangtin_page_cache_hit_ratio",
        "gauge",
        "Hits over lookups since start.",
        ratio,
    );

    let store_bytes = std::fs::metadata(app.config.db_path()).map_or(0, |m| m.len());
    gauge(
        &mut out,
        &labels,
        "trangtin_store_bytes",
        "gauge",
        "Size of the database file.",
        store_bytes as f64,
    );
    let now = app.clock.now();
    let (blob_bytes, last_backup) = app
        .store
        .read(|tx| -> Result<_, crate::store::Error> {
            Ok((
                crate::ops::resources::blob_bytes(tx)?,
                crate::backup::schedule::last_run(tx)?,
            ))
        })
        .await?;
    gauge(
        &mut out,
        &labels,
        "trangtin_blob_bytes",
        "gauge",
        "Bytes of uploaded files.",
        blob_bytes as f64,
    );
    if let Some(run) = last_backup {
        let age = now.duration_since(run.at).as_secs_f64();
        gauge(
            &mut out,
            &labels,
            "trangtin_backup_age_seconds",
            "gauge",
            "Time since the last daily backup.",
            age,
        );
        gauge(
            &mut out,
            &labels,
            "trangtin_backup_last_ok",
            "gauge",
            "1 if the last daily backup and drill succeeded.",
            f64::from(u8::from(run.ok)),
        );
    }
    let cert = crate::http::tls::configured_cert_path(&app.config);
    if let Some(info) = crate::http::certinfo::from_pem_file(&cert) {
        let left = info.not_after.duration_since(now).as_secs_f64();
        gauge(
            &mut out,
            &labels,
            "trangtin_certificate_expiry_seconds",
            "gauge",
            "Time until the certificate expires.",
            left,
        );
    }
    Ok((
        [
            (CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
        ],
        out,
    )
        .into_response())
}

fn gauge(out: &mut String, labels: &Labels, name: &str, kind: &str, help: &str, value: f64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{} {value}",
        labels.with("")
    );
}

/// The label every sample carries: with several sites in a process, `site="NAME"`, so
/// one scrape configuration can gather them all and tell them apart; none for one site.
struct Labels(String);

impl Labels {
    fn of(site: &str) -> Labels {
        Labels(if site.is_empty() {
            String::new()
        } else {
            format!("site=\"{}\"", escape(site))
        })
    }

    /// `{site="…",MORE}`, `{MORE}`, `{site="…"}`, or nothing.
    fn with(&self, more: &str) -> String {
        match (self.0.is_empty(), more.is_empty()) {
            (true, true) => String::new(),
            (true, false) => format!("{{{more}}}"),
            (false, true) => format!("{{{}}}", self.0),
            (false, false) => format!("{{{},{more}}}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_labelled_with_their_site() {
        let one = Labels::of("");
        assert_eq!(one.with(""), "");
        assert_eq!(one.with("le=\"1\""), "{le=\"1\"}");
        let several = Labels::of("xa-1");
        assert_eq!(several.with(""), "{site=\"xa-1\"}");
        assert_eq!(
            several.with("route=\"/\",status=\"200\""),
            "{site=\"xa-1\",route=\"/\",status=\"200\"}"
        );
    }
}
