//! Import benchmark: a generated WordPress export of 20,000 posts with 2,000 images
//! (`import::sample`), imported into an empty site, then approved.
//!
//!   cargo build --release && cargo run --release --example `import_bench` [-- POSTS IMAGES]
//!
//! Each phase runs in a fresh process and prints its wall time and peak RSS:
//! 1. `import`: `trangtin import wordpress` as the command runs it (streamed, three
//!    passes; every image through the upload pipeline): items per second, peak RSS;
//! 2. `approve`: the Board head's one step, which puts every post live and makes the
//!    redirects of every old address;
//! 3. `lookups`: `redirects::find` on old addresses (hits) and on addresses that never
//!    existed (misses, as every 404 pays);
//! 4. `pages`: the release binary serving the approved site, and the same folder with
//!    its redirects removed: requests per second for a cached article (no query) and a
//!    cached list page with a query string (which looks its exact address up), over
//!    HTTPS keep-alive, 16 connections, 10 s each. Not a test.

#[path = "common.rs"]
mod common;
use common::peak_rss_mb;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn board_head() -> trangtin::workflow::Actor {
    trangtin::workflow::Actor {
        user: 1,
        login: "bench".into(),
        name: "Trưởng Ban (benchmark)".into(),
        roles: vec![trangtin::workflow::Role::BoardHead],
        unit: None,
        delegations: Vec::new(),
    }
}

fn phase_import(work: &Path) {
    let data = work.join("data");
    let (store, _) = trangtin::store::Store::open(&data).expect("store");
    let now = jiff::Timestamp::now();
    store
        .write_blocking(|tx| trangtin::content::sections::seed_default(tx, now))
        .expect("sections");
    let job = trangtin::import::Job::Wordpress {
        export: work.join("export.xml"),
        uploads: Some(work.join("uploads")),
        map: None,
    };
    let started = Instant::now();
    let report =
        trangtin::import::run(&store, &job, false, "bench", now, &mut |_| {}).expect("import");
    let took = started.elapsed().as_secs_f64();
    println!(
        "import: {} items and {} files in {took:.1} s: {:.0} items/s ({:.0} files/s); failed {}; peak RSS {:.0} MB",
        report.imported,
        report.files,
        report.imported as f64 / took,
        report.files as f64 / took,
        report.failed.len(),
        peak_rss_mb()
    );
}

fn phase_approve(work: &Path) {
    let (store, _) = trangtin::store::Store::open(&work.join("data")).expect("store");
    let batch = store
        .read_blocking(trangtin::import::batches)
        .expect("batches")[0]
        .id;
    let started = Instant::now();
    let done = store
        .write_blocking(|tx| {
            trangtin::import::approve(tx, &board_head(), batch, jiff::Timestamp::now())
        })
        .expect("approve");
    println!(
        "approve: {} published, {} redirects in {:.1} s; peak RSS {:.0} MB",
        done.published.len(),
        done.redirects,
        started.elapsed().as_secs_f64(),
        peak_rss_mb()
    );
}

fn phase_lookups(work: &Path, posts: usize) {
    let (store, _) = trangtin::store::Store::open(&work.join("data")).expect("store");
    let rounds = 200_000;
    type Address = Box<dyn Fn(usize) -> String>;
    let kinds: Vec<(&str, Address)> = vec![
        (
            "hit",
            Box::new(move |n| format!("/bai-viet-so-{}/", n % posts)),
        ),
        (
            "hit ?p=",
            Box::new(move |n| format!("/?p={}", n % posts + 1)),
        ),
        ("miss", Box::new(|n| format!("/khong-co-trang-nay-{n}"))),
    ];
    for (label, address) in kinds {
        let started = Instant::now();
        let mut found = 0;
        for n in 0..rounds {
            let a = address(n);
            if store
                .read_blocking(|tx| trangtin::redirects::find(tx, &a))
                .expect("find")
                .is_some()
            {
                found += 1;
            }
        }
        let took = started.elapsed().as_secs_f64();
        println!(
            "redirect lookups ({label}): {:.0}/s, {found} of {rounds} found",
            rounds as f64 / took
        );
    }
}

/// Requests per second for `path` over 16 keep-alive HTTPS connections.
async fn load(port: u16, cert: &Path, path: &str, seconds: u64) -> f64 {
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(cert).expect("certificate");
    for c in
        <rustls_pki_types::CertificateDer as rustls_pki_types::pem::PemObject>::pem_slice_iter(&pem)
    {
        roots.add(c.expect("pem")).expect("root");
    }
    let tls = rustls::ClientConfig::builder_with_provider(trangtin::http::tls::provider())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let url = format!("https://localhost:{port}{path}");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls.clone())
            .http1_only()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let mut done = 0u64;
            while Instant::now() < deadline {
                let response = client
                    .get(&url)
                    .header("accept-encoding", "br")
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{url}: {e:?}"));
                assert_eq!(response.status(), 200, "{url}");
                let _ = response.bytes().await;
                done += 1;
            }
            done
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("task");
    }
    total as f64 / seconds as f64
}

/// A running server, stopped when dropped (a failed phase leaves none behind).
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(data: &Path, port: u16) -> Server {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/trangtin");
    let config = data.with_extension("toml");
    std::fs::write(
        &config,
        format!("demo = false\n[listen]\nhttps = \"127.0.0.1:{port}\"\nhttp = \"off\"\n[backup]\nenabled = false\n[integrity]\ndaily = false\n"),
    )
    .expect("config");
    let mut child = Command::new(bin)
        .arg("--config")
        .arg(&config)
        .arg("--data")
        .arg(data)
        .arg("serve")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("target/release/trangtin (cargo build --release first)");
    for _ in 0..300 {
        if data.join("tls/self-signed.crt").exists()
            && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        {
            return Server(child);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not start");
}

fn phase_pages(work: &Path) {
    // The same folder twice: as approved, and with every redirect removed.
    let with = work.join("data");
    let without = work.join("data-without-redirects");
    let _ = std::fs::remove_dir_all(&without);
    let copied = Command::new("cp")
        .args(["-a"])
        .arg(&with)
        .arg(&without)
        .status()
        .expect("cp");
    assert!(copied.success());
    let _ = std::fs::remove_file(without.join("trangtin.sock"));
    {
        let (store, _) = trangtin::store::Store::open(&without).expect("store");
        let removed = store
            .write_blocking(|tx| -> Result<usize, trangtin::redirects::Error> {
                let (all, _) = trangtin::redirects::list(tx, "")?;
                for r in &all {
                    trangtin::redirects::remove(tx, &r.from, "bench", jiff::Timestamp::now())?;
                }
                Ok(all.len())
            })
            .expect("remove redirects");
        println!("pages: the copy without redirects had {removed} removed");
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for (label, data, port) in [
        ("without redirects", &without, 18_643),
        ("with redirects", &with, 18_644),
    ] {
        let server = serve(data, port);
        let cert = data.join("tls/self-signed.crt");
        runtime.block_on(async {
            // Warm the cache.
            load(port, &cert, "/tin-tuc/bai-viet-so-7", 1).await;
            load(port, &cert, "/tin-tuc?trang=2", 1).await;
            let article = load(port, &cert, "/tin-tuc/bai-viet-so-7", 10).await;
            let listed = load(port, &cert, "/tin-tuc?trang=2", 10).await;
            println!(
                "pages {label}: cached article {article:.0} req/s; cached list page with a query {listed:.0} req/s"
            );
        });
        drop(server);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let me = std::env::current_exe().expect("exe");
    match args.get(1).map(String::as_str) {
        Some("import") => return phase_import(Path::new(&args[2])),
        Some("approve") => return phase_approve(Path::new(&args[2])),
        Some("lookups") => {
            return phase_lookups(Path::new(&args[2]), args[3].parse().expect("posts"));
        }
        Some("pages") => return phase_pages(Path::new(&args[2])),
        _ => {}
    }
    let posts: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let images: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let work: PathBuf = tempfile::tempdir().expect("temp").keep();
    let started = Instant::now();
    trangtin::import::sample::write_export(
        &work.join("export.xml"),
        posts,
        images,
        &work.join("uploads"),
    )
    .expect("export");
    let size = std::fs::metadata(work.join("export.xml")).map_or(0, |m| m.len());
    println!(
        "generated: {posts} posts, {images} images, export {:.1} MB, in {:.1} s",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    for phase in [
        vec!["import".to_string()],
        vec!["approve".to_string()],
        vec!["lookups".to_string(), String::new()],
        vec!["pages".to_string()],
    ] {
        let mut command = Command::new(&me);
        command.arg(&phase[0]).arg(&work);
        if phase.len() > 1 {
            command.arg(posts.to_string());
        }
        let status = command.status().expect("phase");
        assert!(status.success(), "phase {} failed", phase[0]);
    }
    let _ = std::fs::remove_dir_all(&work);
}
