//! Publishing under load: while `wrk` reads the home page and a set of articles at 64
//! connections, an entry is published every second for 30 seconds.
//!
//!   cargo run --release --example `publish_load` [-- SECONDS]
//!
//! Prints throughput and p99 before and during, and for each publish the time from
//! its commit until the home page links to it. The server runs in this process on the
//! demo site in a temporary data folder; `wrk` and `curl` must be installed.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use trangtin::app::App;
use trangtin::config::Config;
use trangtin::content::{self, Fields, Kind, List, NewEntry};
use trangtin::http::server::{self, Listeners};
use trangtin::http::tls::CertSwitch;

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::for_data(dir.path().join("data"));
    config.https = "127.0.0.1:0".parse().expect("address");
    config.http = None;
    config.backup.enabled = false;
    config.integrity.daily = false;
    // wrk's 64 connections and the poller all come from 127.0.0.1: over the default
    // per-address limit (64) the poller's connections would be refused.
    config.limits.max_connections_per_ip = 256;
    let listeners = Listeners::bind(config.https, config.http)
        .await
        .expect("bind");
    let addr = listeners.https_addr().expect("https address");
    let certs = Arc::new(CertSwitch::load(&config).expect("certificate"));
    let app = Arc::new(
        tokio::task::spawn_blocking(move || App::open(config))
            .await
            .expect("join")
            .expect("open"),
    );
    tokio::spawn(server::serve(
        app.clone(),
        listeners,
        certs,
        std::future::pending::<()>(),
    ));
    let origin = format!("https://{addr}");

    // What the readers ask for: the home page and the newest articles.
    let articles: Vec<String> = app
        .store
        .read(|tx| content::list_published(tx, List::Kind(Kind::Article), 1, 20))
        .await
        .expect("articles")
        .items
        .iter()
        .map(content::Published::url)
        .collect();
    let mut paths = vec!["/".to_string()];
    paths.extend(articles);
    let script = dir.path().join("paths.lua");
    std::fs::write(
        &script,
        format!(
            "local paths = {{{}}}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format(\"GET\", paths[(i % #paths) + 1], {{[\"Accept-Encoding\"] = \"gzip\"}})\nend\n",
            paths
                .iter()
                .map(|p| format!("\"{p}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
    .expect("write script");
    let wrk = |seconds: u64| {
        Command::new("wrk")
            .args(["-t2", "-c64", &format!("-d{seconds}s"), "--latency", "-s"])
            .arg(&script)
            .arg(&origin)
            .stdout(Stdio::piped())
            .spawn()
            .expect("wrk (apt install wrk)")
    };
    // Warm every page, then measure a quiet period.
    {
        let (origin, paths) = (origin.clone(), paths.clone());
        tokio::task::spawn_blocking(move || {
            for path in &paths {
                fetch(&origin, path);
            }
        })
        .await
        .expect("warm");
    }
    let before = wrk(10);
    let before = tokio::task::spawn_blocking(move || before.wait_with_output())
        .await
        .expect("join")
        .expect("wrk");
    let before = parse(&before.stdout);

    let during = wrk(seconds);
    let started = Instant::now();
    let mut delays = Vec::new();
    for n in 0..seconds.saturating_sub(2) {
        let tick = started + Duration::from_secs(n + 1);
        tokio::time::sleep_until(tick.into()).await;
        let slug = format!("tin-do-tai-{n}");
        let now = app.clock.now();
        let made = {
            let slug = slug.clone();
            app.store
                .write(move |tx| {
                    content::create(
                        tx,
                        NewEntry {
                            kind: Kind::Article,
                            slug,
                            category: Some("tin-hoat-dong".into()),
                            unit: None,
                            featured: false,
                        },
                        Fields {
                            title: format!("Tin đo tải số {n}"),
                            summary: "Bài viết đăng trong lúc trang đang chịu tải.".into(),
                            body_html: "<p>Nội dung bài viết.</p>".into(),
                            ..Fields::default()
                        },
                        "bench",
                        now,
                    )
                })
                .await
                .expect("create")
        };
        let committed = Instant::now();
        app.publish(made.id).await.expect("publish");
        let link = format!("/tin-tuc/{slug}\"");
        loop {
            // curl runs on a blocking thread: this task shares the runtime with the
            // server, and blocking a worker would hold up the tasks queued on it.
            let home = {
                let origin = origin.clone();
                tokio::task::spawn_blocking(move || fetch(&origin, "/"))
                    .await
                    .expect("fetch")
            };
            if home.contains(&link) {
                break;
            }
            if committed.elapsed() > Duration::from_secs(10) {
                eprintln!("{slug} not on the home page after 10 s");
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        delays.push(committed.elapsed().as_secs_f64() * 1000.0);
    }
    let during = tokio::task::spawn_blocking(move || during.wait_with_output())
        .await
        .expect("join")
        .expect("wrk");
    let during = parse(&during.stdout);
    delays.sort_by(f64::total_cmp);
    let median = delays.get(delays.len() / 2).copied().unwrap_or(0.0);
    let worst = delays.last().copied().unwrap_or(0.0);
    println!("| phase | req/s | p50 ms | p99 ms |");
    println!("|---|---|---|---|");
    println!(
        "| before | {:.0} | {:.2} | {:.2} |",
        before.0, before.1, before.2
    );
    println!(
        "| during ({} publishes) | {:.0} | {:.2} | {:.2} |",
        delays.len(),
        during.0,
        during.1,
        during.2
    );
    println!();
    println!(
        "p99 during / before: {:.2}; a new entry on the home page after (from the publish call to a fetched page with its link, curl included): median {median:.0} ms, worst {worst:.0} ms",
        during.2 / before.2
    );
}

/// A page's text, fetched with curl (a new connection each time, as a citizen would);
/// a failed fetch is said, not taken for a page without the link.
fn fetch(origin: &str, path: &str) -> String {
    let out = Command::new("curl")
        .args(["-sk", "--fail", "--compressed"])
        .arg(format!("{origin}{path}"))
        .output()
        .expect("curl");
    if !out.status.success() {
        eprintln!("curl {path} failed: {}", out.status);
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Requests per second, p50 and p99 (ms) from wrk's report.
fn parse(report: &[u8]) -> (f64, f64, f64) {
    let text = String::from_utf8_lossy(report);
    let mut rps = 0.0;
    let (mut p50, mut p99) = (0.0, 0.0);
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", n] => rps = n.parse().unwrap_or(0.0),
            ["50%", v] => p50 = ms(v),
            ["99%", v] => p99 = ms(v),
            _ => {}
        }
    }
    (rps, p50, p99)
}

fn ms(value: &str) -> f64 {
    let split = value
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(value.len());
    let (n, unit) = value.split_at(split);
    let n: f64 = n.parse().unwrap_or(0.0);
    match unit {
        "us" => n / 1000.0,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => n,
    }
}
