//! Which fast compression a cache miss should use: the time to compress real pages
//! with gzip (levels 1 and 6) and brotli (qualities 1 to 5, windows of 2^16 to 2^18),
//! and the sizes they give. Not a test: nothing here asserts.
//!
//!   `cargo run --release --example compress_bench -- PAGE.html [PAGE.html ...]`

use std::io::Write;
use std::time::Instant;

fn gzip(bytes: &[u8], level: u32) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

fn brotli(bytes: &[u8], quality: i32, lgwin: i32) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() / 4);
    let params = brotli::enc::BrotliEncoderParams {
        quality,
        lgwin,
        size_hint: bytes.len(),
        ..Default::default()
    };
    let mut input = bytes;
    let _ = brotli::BrotliCompress(&mut input, &mut out, &params);
    out
}

fn measure(name: &str, page: &[u8], compress: impl Fn(&[u8]) -> Vec<u8>) {
    let rounds = 400;
    let mut size = 0;
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        size = compress(page).len();
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "  {name:<22} median {:.3} ms  p90 {:.3} ms  {size} bytes ({:.1}%)",
        times[rounds / 2],
        times[rounds * 9 / 10],
        size as f64 * 100.0 / page.len() as f64
    );
}

fn main() {
    let pages: Vec<String> = std::env::args().skip(1).collect();
    if pages.is_empty() {
        eprintln!("usage: compress_bench PAGE.html [PAGE.html ...]");
        std::process::exit(2);
    }
    for path in pages {
        let page = match std::fs::read(&path) {
            Ok(page) => page,
            Err(e) => {
                eprintln!("cannot read {path}: {e}");
                std::process::exit(2);
            }
        };
        println!("{path}: {} bytes", page.len());
        for level in [1, 6] {
            measure(&format!("gzip {level}"), &page, |p| gzip(p, level));
        }
        for lgwin in [16, 18] {
            for quality in [1, 2, 3, 4, 5] {
                measure(&format!("brotli {quality} (window {lgwin})"), &page, |p| {
                    brotli(p, quality, lgwin)
                });
            }
        }
        measure("gzip 9 (background)", &page, |p| gzip(p, 9));
        measure("brotli 10 (background)", &page, |p| brotli(p, 10, 18));
    }
}
