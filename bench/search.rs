//! Search benchmark: 100,000 generated entries with Vietnamese text.
//!
//!   cargo run --release --example `search_bench` [-- ENTRIES]
//!
//! Prints the time to store and to index them, search latency (p50, p95) over 1,000
//! queries (with and without diacritics, one to three words), the store and index
//! sizes on disk and peak RSS: of the process that built everything, and of a fresh
//! process that opens the store and index and only searches, as a server does.
//! Not a test: nothing here asserts.

#[path = "common.rs"]
mod common;
#[path = "corpus.rs"]
mod corpus;
use common::peak_rss_mb;
use corpus::Rng;

use std::time::Instant;

use trangtin::content::{self, Category, Fields, Kind, NewEntry};
use trangtin::search::Search;
use trangtin::store::Store;
use unicode_normalization::UnicodeNormalization;

fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c => c,
        })
        .collect()
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| {
                let p = e.path();
                if p.is_dir() {
                    dir_size(&p)
                } else {
                    e.metadata().map_or(0, |m| m.len())
                }
            })
            .sum()
    })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Opens an existing data folder and runs the queries: (p50, p95, max, found).
fn query_phase(data: &std::path::Path) -> (f64, f64, f64, usize) {
    let (store, _) = Store::open(data).expect("store");
    let (search, fresh) = Search::open(&data.join("search")).expect("index");
    assert!(!fresh, "the index was built by the first phase");
    drop(store);
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut latencies = Vec::with_capacity(1000);
    let mut found = 0usize;
    for i in 0..1000 {
        let words = 1 + (rng.next() % 3) as usize;
        let query = rng.sentence(words);
        let query = if i % 2 == 0 { fold(&query) } else { query };
        let t = Instant::now();
        let results = search.search(&query, None, 0, 10).expect("search");
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
        found += usize::from(results.total > 0);
    }
    latencies.sort_by(f64::total_cmp);
    (
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.95),
        latencies.last().copied().unwrap_or(0.0),
        found,
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("query") {
        let (p50, p95, max, found) = query_phase(std::path::Path::new(&args[2]));
        println!("{p50} {p95} {max} {found} {}", peak_rss_mb());
        return;
    }
    let entries: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let (store, _) = Store::open(&data).expect("store");
    let now = jiff::Timestamp::now();
    store
        .write_blocking(|tx| content::put_category(tx, &Category::new("tin", "Tin"), now))
        .expect("category");

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let started = Instant::now();
    let mut made = 0;
    while made < entries {
        let batch = (entries - made).min(1000);
        let docs: Vec<(String, String, String)> = (0..batch)
            .map(|i| {
                let title = format!("{} {}", rng.sentence(8), made + i);
                let summary = rng.sentence(25);
                let body = (0..4)
                    .map(|_| format!("<p>{}.</p>", rng.sentence(45)))
                    .collect::<String>();
                (title, summary, body)
            })
            .collect();
        let first = made;
        store
            .write_blocking(|tx| -> Result<(), content::Error> {
                for (i, (title, summary, body)) in docs.into_iter().enumerate() {
                    let entry = content::create(
                        tx,
                        NewEntry {
                            kind: Kind::Article,
                            slug: format!("bai-{}", first + i),
                            category: Some("tin".into()),
                            unit: None,
                            featured: false,
                        },
                        Fields {
                            title,
                            summary,
                            body_html: body,
                            ..Fields::default()
                        },
                        "bench",
                        now,
                    )?;
                    content::publish(tx, entry.id, now)?;
                }
                Ok(())
            })
            .expect("store a batch");
        made += batch;
    }
    let store_secs = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let (search, _) = Search::open(&data.join("search")).expect("index");
    let indexed = search.rebuild(&store).expect("rebuild");
    let index_secs = started.elapsed().as_secs_f64();

    let build_rss = peak_rss_mb();
    drop(search);
    drop(store);
    // Search from a fresh process, as the server would after a start.
    let out = std::process::Command::new(std::env::current_exe().expect("self"))
        .arg("query")
        .arg(&data)
        .output()
        .expect("query phase");
    let text = String::from_utf8_lossy(&out.stdout);
    let figures: Vec<f64> = text
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let [p50, p95, max, found, query_rss] = figures[..] else {
        panic!(
            "query phase failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let db = std::fs::metadata(data.join("trangtin.redb")).map_or(0, |m| m.len());
    let index = dir_size(&data.join("search"));
    println!("# trangtin search benchmark");
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!("| entries (published articles, 4 paragraphs each) | {indexed} |");
    println!("| store them (create + publish, 1,000 per transaction) | {store_secs:.1} s |");
    println!("| index them (rebuild) | {index_secs:.1} s |");
    println!("| search p50 (1,000 queries, top 10, with snippets) | {p50:.2} ms |");
    println!("| search p95 | {p95:.2} ms |");
    println!("| search max | {max:.2} ms |");
    println!("| queries with results | {found} / 1000 |");
    println!("| store size (trangtin.redb) | {:.0} MB |", db as f64 / 1e6);
    println!("| index size (search/) | {:.0} MB |", index as f64 / 1e6);
    println!("| peak RSS, searching process (VmHWM) | {query_rss:.0} MB |");
    println!("| peak RSS, process that generated and indexed everything | {build_rss:.0} MB |");
}
