//! Backup and restore benchmark: a store of 100,000 published entries plus 1 GiB of
//! blobs (1,024 files of 1 MiB of incompressible bytes, like photos and PDFs).
//!
//!   cargo run --release --example `backup_bench` [-- ENTRIES `BLOB_MIB`]
//!
//! The store is built first; then a fresh process writes the backup (`backup::create`
//! followed by `backup::verify`, as `trangtin backup` does) and another restores it
//! into an empty folder (`backup::restore`, which verifies again and checks the audit
//! chain and every blob). Each phase prints its wall time and peak RSS. Not a test.

#[path = "common.rs"]
mod common;
use common::peak_rss_mb;

use std::process::Command;
use std::time::Instant;

use trangtin::content::{self, Category, Fields, Kind, NewEntry};
use trangtin::store::{BlobMeta, Store};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const WORDS: &[&str] = &[
    "khoa", "học", "công", "nghệ", "đổi", "mới", "sáng", "tạo", "quyết", "định", "kế", "hoạch",
    "nhiệm", "vụ", "đề", "tài", "dự", "án", "tiêu", "chuẩn", "đo", "lường", "chất", "lượng", "sở",
    "hữu", "trí", "tuệ", "chuyển", "số", "thông", "tin", "điện", "tử", "hội", "thảo", "nghiên",
    "cứu", "ứng", "dụng", "nông", "nghiệp",
];

fn sentence(rng: &mut Rng, words: usize) -> String {
    (0..words)
        .map(|_| WORDS[(rng.next() % WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

fn seed(data: &std::path::Path, entries: usize, blob_mib: usize) {
    let (store, _) = Store::open(data).expect("store");
    let now = jiff::Timestamp::now();
    store
        .write_blocking(|tx| content::put_category(tx, &Category::new("tin", "Tin"), now))
        .expect("category");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut made = 0;
    while made < entries {
        let batch = (entries - made).min(1000);
        let docs: Vec<(String, String)> = (0..batch)
            .map(|i| {
                let title = format!("{} {}", sentence(&mut rng, 8), made + i);
                let body = (0..4)
                    .map(|_| format!("<p>{}.</p>", sentence(&mut rng, 45)))
                    .collect::<String>();
                (title, body)
            })
            .collect();
        let first = made;
        store
            .write_blocking(|tx| -> Result<(), content::Error> {
                for (i, (title, body)) in docs.into_iter().enumerate() {
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
            .expect("entries");
        made += batch;
    }
    let mut chunk = vec![0u8; 1 << 20];
    for n in 0..blob_mib {
        for word in chunk.chunks_mut(8) {
            word.copy_from_slice(&rng.next().to_le_bytes());
        }
        let hash = store.blobs.put(&chunk).expect("blob");
        let meta = BlobMeta {
            hash: hash.clone(),
            size: chunk.len() as u64,
            content_type: "application/pdf".into(),
            original_name: format!("tai-lieu-{n}.pdf"),
            alt: String::new(),
            uploaded_by: "bench".into(),
            uploaded_at: now,
            width: 0,
            height: 0,
            variants: Vec::new(),
        };
        store
            .write_blocking(|tx| trangtin::store::BLOBS.insert(tx, hash.as_str(), &meta))
            .expect("blob meta");
    }
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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("backup") => {
            let (data, out) = (
                std::path::Path::new(&args[2]),
                std::path::Path::new(&args[3]),
            );
            let (store, _) = Store::open(data).expect("store");
            let started = Instant::now();
            let made = trangtin::backup::create(
                &store,
                out,
                &trangtin::backup::Options::default(),
                jiff::Timestamp::now(),
            )
            .expect("backup");
            let write = started.elapsed().as_secs_f64();
            trangtin::backup::verify(out, None).expect("verify");
            let total = started.elapsed().as_secs_f64();
            println!("{write} {total} {} {}", made.size, peak_rss_mb());
        }
        Some("restore") => {
            let (archive, target) = (
                std::path::Path::new(&args[2]),
                std::path::Path::new(&args[3]),
            );
            let started = Instant::now();
            let restored =
                trangtin::backup::restore(archive, target, false, None, jiff::Timestamp::now())
                    .expect("restore");
            println!(
                "{} {} {}",
                started.elapsed().as_secs_f64(),
                restored.manifest.tables["entries_v1"],
                peak_rss_mb()
            );
        }
        _ => {
            let entries: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(100_000);
            let blob_mib: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(1024);
            let dir =
                tempfile::tempdir_in(std::env::var("BENCH_DIR").unwrap_or_else(|_| "/tmp".into()))
                    .expect("temp dir");
            let data = dir.path().join("data");
            let started = Instant::now();
            seed(&data, entries, blob_mib);
            println!(
                "seeded {entries} entries and {blob_mib} MiB of blobs in {:.1} s; data folder {:.0} MiB",
                started.elapsed().as_secs_f64(),
                dir_size(&data) as f64 / f64::from(1 << 20)
            );
            let me = std::env::current_exe().expect("exe");
            let archive = dir.path().join("b.tar.zst");
            let out = Command::new(&me)
                .args(["backup", data.to_str().unwrap(), archive.to_str().unwrap()])
                .output()
                .expect("backup phase");
            let text = String::from_utf8_lossy(&out.stdout);
            let f: Vec<f64> = text
                .split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect();
            println!(
                "backup: written in {:.1} s, verified by {:.1} s; archive {:.0} MiB; peak RSS {:.0} MiB",
                f[0],
                f[1],
                f[2] / f64::from(1 << 20),
                f[3]
            );
            let target = dir.path().join("restored");
            let out = Command::new(&me)
                .args([
                    "restore",
                    archive.to_str().unwrap(),
                    target.to_str().unwrap(),
                ])
                .output()
                .expect("restore phase");
            let text = String::from_utf8_lossy(&out.stdout);
            let f: Vec<f64> = text
                .split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect();
            println!(
                "restore (verify, write, check chain and blobs): {:.1} s for {} entries; peak RSS {:.0} MiB",
                f[0], f[1], f[2]
            );
        }
    }
}
