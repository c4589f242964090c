//! Several sites in one process (issue 19), through the real binary over real HTTPS:
//! each site has its own certificate, host names, accounts, content and data folder,
//! and nothing of one is reachable through another. Sites are added, archived and
//! removed with `trangtin site …` while the server runs.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::pem::PemObject;

use crate::binary::Binary;

/// `trangtin --config etc/trangtin.toml serve` with its sites, and its log.
struct Several {
    root: tempfile::TempDir,
    binary: Binary,
    addr: SocketAddr,
}

impl Several {
    fn etc(&self) -> PathBuf {
        self.root.path().join("etc")
    }

    fn main_config(&self) -> PathBuf {
        self.etc().join("trangtin.toml")
    }

    fn data(&self, site: &str) -> PathBuf {
        self.root.path().join("var/sites").join(site)
    }

    /// `trangtin --config … ARGS`, with `stdin`: (exit code, stdout, stderr).
    fn run(&self, args: &[&str], stdin: &str) -> (i32, String, String) {
        run(&self.main_config(), args, stdin)
    }

    /// A client that trusts the certificates of `sites` only, and finds every site's
    /// host name on the server's address (so it sends SNI as a browser would).
    fn client(&self, trusted: &[&str]) -> reqwest::Client {
        let certificates: Vec<PathBuf> = trusted
            .iter()
            .map(|site| self.data(site).join("tls/self-signed.crt"))
            .collect();
        client_for(&certificates, &NAMES, self.addr)
    }

    fn url(&self, site: &str, path: &str) -> String {
        format!("https://{site}.test:{}{path}", self.addr.port())
    }

    async fn get(&self, site: &str, path: &str) -> (u16, String) {
        let response = self
            .client(&[site])
            .get(self.url(site, path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {site}{path}: {e:?}"));
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// Waits for a log line containing `needle`.
    fn wait_for(&mut self, needle: &str) {
        let found = self.binary.wait_for(needle, Duration::from_secs(60));
        assert!(
            found,
            "no {needle:?} in the log:\n{}",
            self.binary.log.join("\n")
        );
    }
}

/// The host names the tests give their sites (`NAME.test`).
const NAMES: [&str; 6] = ["a", "b", "c", "d", "mot", "hai"];

/// A client trusting only `certificates`, which finds `NAME.test` for each of `names` at
/// `addr` (and so sends SNI, as a browser does).
fn client_for(certificates: &[PathBuf], names: &[&str], addr: SocketAddr) -> reqwest::Client {
    let tls = tls_trusting(certificates, &[b"h2", b"http/1.1"]);
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30));
    for name in names {
        builder = builder.resolve(&format!("{name}.test"), addr);
    }
    builder.build().unwrap()
}

/// A TLS client configuration that trusts the certificates in these PEM files only and
/// offers `alpn`.
fn tls_trusting(certificates: &[PathBuf], alpn: &[&[u8]]) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    for path in certificates {
        let pem = std::fs::read(path).unwrap();
        for cert in rustls_pki_types::CertificateDer::pem_slice_iter(&pem) {
            roots.add(cert.unwrap()).unwrap();
        }
    }
    let mut tls = rustls::ClientConfig::builder_with_provider(trangtin::http::tls::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    tls
}

fn run(main_config: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_trangtin"))
        .arg("--config")
        .arg(main_config)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Writes the main file and the files of sites a (demo content), b and c, then starts
/// the server.
fn start_three() -> Several {
    start_three_with("")
}

/// As `start_three`, with `extra` (TOML tables) at the end of each site's file.
fn start_three_with(extra: &str) -> Several {
    let root = tempfile::tempdir().unwrap();
    let etc = root.path().join("etc");
    std::fs::create_dir_all(etc.join("sites")).unwrap();
    std::fs::write(
        etc.join("trangtin.toml"),
        "data = \"../var\"\n[listen]\nhttps = \"127.0.0.1:0\"\nhttp = \"off\"\n",
    )
    .unwrap();
    for (site, demo) in [("a", true), ("b", false), ("c", false)] {
        std::fs::write(
            etc.join("sites").join(format!("{site}.toml")),
            format!(
                "hosts = [\"{site}.test\"]\nbase_url = \"https://{site}.test\"\ndemo = {demo}\n\
                 [accounts]\nsecond_factor_roles = []\n[integrity]\ndaily = false\n\
                 [backup]\nenabled = false\n{extra}"
            ),
        )
        .unwrap();
    }
    start(root)
}

fn start(root: tempfile::TempDir) -> Several {
    let config = root.path().join("etc/trangtin.toml");
    let binary = Binary::launch(&["--config".as_ref(), config.as_os_str(), "serve".as_ref()])
        .unwrap_or_else(|log| panic!("the server did not start:\n{log}"));
    Several {
        addr: SocketAddr::from(([127, 0, 0, 1], binary.port)),
        root,
        binary,
    }
}

/// Signs `login` in on `site`; returns the session's Cookie header.
/// The same contributor account, `chung`, on sites a and b.
fn add_chung_to_a_and_b(server: &Several) {
    for site in ["a", "b"] {
        let (code, _, err) = server.run(
            &[
                "--site",
                site,
                "user",
                "add",
                "chung",
                "--role",
                "contributor",
            ],
            "mat-khau-rat-dai-123\n",
        );
        assert_eq!(code, 0, "user add on {site}: {err}");
    }
}

async fn sign_in(
    server: &Several,
    site: &str,
    login: &str,
    password: &str,
) -> (u16, String, String) {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let tls = tls_trusting(
        &[server.data(site).join("tls/self-signed.crt")],
        &[b"h2", b"http/1.1"],
    );
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .cookie_provider(jar.clone())
        .resolve(&format!("{site}.test"), server.addr)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let html = client
        .get(server.url(site, "/quan-tri/dang-nhap"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::support::field_value(&html, "csrf").expect("the login form");
    let response = client
        .post(server.url(site, "/quan-tri/dang-nhap"))
        .header(
            "origin",
            format!("https://{site}.test:{}", server.addr.port()),
        )
        .form(&[
            ("csrf", csrf.as_str()),
            ("login", login),
            ("password", password),
            ("tiep", ""),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let page = response.text().await.unwrap_or_default();
    let url: reqwest::Url = server.url(site, "/").parse().unwrap();
    let cookies = reqwest::cookie::CookieStore::cookies(&*jar, &url)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, cookies, page)
}

#[tokio::test]
async fn three_sites_in_one_process_share_nothing() {
    let mut server = start_three();
    server.wait_for("serving 3 sites");

    // SNI: each site answers with its own certificate, and only with it.
    for site in ["a", "b", "c"] {
        assert_eq!(server.get(site, "/").await.0, 200, "site {site}");
    }
    let wrong = server.client(&["a"]).get(server.url("b", "/")).send().await;
    assert!(wrong.is_err(), "b answered with a's certificate");

    // Host picks the site; a Host the handshake's site does not serve gets 421 (over
    // HTTP/1.1, where the Host header is the request's authority).
    let tls = tls_trusting(
        &[server.data("a").join("tls/self-signed.crt")],
        &[b"http/1.1"],
    );
    let http1 = reqwest::Client::builder()
        .http1_only()
        .tls_backend_preconfigured(tls)
        .resolve("a.test", server.addr)
        .build()
        .unwrap();
    let misdirected = http1
        .get(server.url("a", "/"))
        .header("host", "b.test")
        .send()
        .await
        .unwrap();
    assert_eq!(misdirected.status().as_u16(), 421);

    // The same login on two sites: the session of one is useless on the other.
    add_chung_to_a_and_b(&server);
    let (status, cookie, page) = sign_in(&server, "a", "chung", "mat-khau-rat-dai-123").await;
    assert_eq!(status, 303, "sign-in on a: {page}");
    assert!(!cookie.is_empty());
    let on_a = server
        .client(&["a"])
        .get(server.url("a", "/quan-tri"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(on_a.status().as_u16(), 200, "a's own session works on a");
    let on_b = server
        .client(&["b"])
        .get(server.url("b", "/quan-tri"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        on_b.status().as_u16(),
        303,
        "a's session opened b's admin pages"
    );
    assert!(
        on_b.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/quan-tri/dang-nhap"),
    );

    // Content: a's articles are in a's feed, search and sitemap, and nowhere in b's.
    let (_, feed) = server.get("a", "/rss/tin-tuc.xml").await;
    let title = feed
        .split("<item>")
        .nth(1)
        .and_then(|item| item.split("<title>").nth(1))
        .and_then(|t| t.split("</title>").next())
        .expect("a's feed has an article")
        .to_string();
    let word = title
        .split_whitespace()
        .max_by_key(|w| w.chars().count())
        .unwrap()
        .to_string();
    let query = format!("/tim-kiem?q={}", urlencode(&word));
    let (_, found_on_a) = server.get("a", &query).await;
    assert!(
        found_on_a.contains(&title),
        "a's search finds its own {title:?}"
    );
    let (_, found_on_b) = server.get("b", &query).await;
    assert!(
        !found_on_b.contains(&title),
        "b's search shows a's {title:?}"
    );
    for path in ["/rss/tin-tuc.xml", "/sitemap.xml", "/"] {
        let (_, page) = server.get("b", path).await;
        assert!(!page.contains(&title), "b's {path} shows a's article");
        assert!(!page.contains("a.test"), "b's {path} names a.test");
    }

    // Each site's audit trail holds its own accounts, and the data folders are apart.
    let (code, listed, _) = server.run(&["--site", "c", "user", "list"], "");
    assert_eq!(code, 0);
    assert!(
        !listed.contains("chung"),
        "c lists an account of a and b: {listed}"
    );

    // A backup of one site holds that site alone.
    let (code, path, err) = server.run(&["--site", "b", "backup"], "");
    assert_eq!(code, 0, "{err}");
    let written = Path::new(path.trim()).canonicalize().unwrap();
    assert!(
        written.starts_with(server.data("b").canonicalize().unwrap()),
        "{path}"
    );

    // Added through the CLI, a fourth site serves at once, with a commune's sections.
    let (code, out, err) = server.run(
        &["site", "add", "d", "--domain", "d.test", "--template", "xa"],
        "",
    );
    assert_eq!(code, 0, "site add: {out}{err}");
    assert!(out.contains("served"), "{out}");
    let (status, home) = server.get("d", "/").await;
    assert_eq!(status, 200);
    assert!(
        home.contains("Công khai ngân sách"),
        "a commune's tree: {home}"
    );
    let (_, list, _) = server.run(&["site", "list"], "");
    for site in ["a", "b", "c", "d"] {
        assert!(list.lines().any(|l| l.starts_with(site)), "{list}");
    }

    // Removed, it stops serving and keeps its data.
    let (code, out, err) = server.run(&["site", "remove", "d"], "");
    assert_eq!(code, 0, "{out}{err}");
    let gone = server
        .client(&["d", "a"])
        .get(server.url("d", "/"))
        .send()
        .await;
    // An error is right too: the fallback site's certificate does not name d.test.
    if let Ok(response) = gone {
        assert_eq!(response.status().as_u16(), 421);
    }
    assert!(server.data("d").join("trangtin.redb").exists());
    let (_, list, _) = server.run(&["site", "list"], "");
    assert!(list.contains("removed (data kept)"), "{list}");

    // Every site kept serving through all of it.
    for site in ["a", "b", "c"] {
        assert_eq!(server.get(site, "/").await.0, 200, "site {site}");
    }

    // The removed site's own audit trail records its coming and going; a's records
    // chung's sign-in, b's (where chung never signed in) does not.
    let (d, a, b) = (server.data("d"), server.data("a"), server.data("b"));
    let _root = stop(server);
    let actions_of = |data: &Path| -> Vec<(String, String)> {
        let (store, _) = trangtin::store::Store::open(data).unwrap();
        store
            .read_blocking(|tx| {
                trangtin::audit::page(tx, &trangtin::audit::Filter::default(), 0, 1000)
            })
            .unwrap()
            .0
            .into_iter()
            .map(|r| (r.actor, r.action))
            .collect()
    };
    let signed_in = |actions: &[(String, String)]| {
        actions
            .iter()
            .any(|(actor, action)| actor == "chung" && action == "login")
    };
    assert!(
        signed_in(&actions_of(&a)),
        "a's trail records chung's sign-in"
    );
    assert!(!signed_in(&actions_of(&b)), "b's trail records a's sign-in");
    let (store, _) = trangtin::store::Store::open(&d).unwrap();
    let actions: Vec<String> = store
        .read_blocking(|tx| trangtin::audit::page(tx, &trangtin::audit::Filter::default(), 0, 100))
        .unwrap()
        .0
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert!(actions.contains(&"site_added".to_string()), "{actions:?}");
    assert!(actions.contains(&"site_removed".to_string()), "{actions:?}");
}

#[tokio::test]
async fn an_archived_site_takes_no_writes_and_a_broken_one_leaves_the_others_serving() {
    let mut server = start_three();
    server.wait_for("serving 3 sites");
    for login in ["bientap", "quantri"] {
        let role = if login == "quantri" {
            "administrator"
        } else {
            "contributor"
        };
        let (code, _, err) = server.run(
            &["--site", "b", "user", "add", login, "--role", role],
            "mat-khau-rat-dai-123\n",
        );
        assert_eq!(code, 0, "{err}");
    }

    let (code, out, err) = server.run(
        &[
            "site",
            "archive",
            "b",
            "--successor",
            "https://a.test",
            "--since",
            "2025-07-01",
            "--redirect",
            "/tin-tuc",
        ],
        "",
    );
    assert_eq!(code, 0, "{out}{err}");
    let (status, home) = server.get("b", "/").await;
    assert_eq!(status, 200);
    assert!(
        home.contains("Trang lưu trữ — không còn cập nhật từ ngày 01/07/2025"),
        "{home}"
    );
    assert!(home.contains("href=\"https://a.test/\""));
    // Forms are closed, and say where to go.
    let (status, form) = server.get("b", "/hoi-dap/gui-cau-hoi").await;
    assert_eq!(status, 410);
    assert!(
        form.contains("https://a.test/hoi-dap/gui-cau-hoi"),
        "{form}"
    );
    let posted = server
        .client(&["b"])
        .post(server.url("b", "/gop-y"))
        .form(&[("noi_dung", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 403);
    assert!(posted.text().await.unwrap().contains("trang lưu trữ"));
    // Old addresses the setting lists go to the successor.
    let moved = server
        .client(&["b"])
        .get(server.url("b", "/tin-tuc/bai-cu?trang=2"))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status().as_u16(), 301);
    assert_eq!(
        moved.headers()["location"],
        "https://a.test/tin-tuc/bai-cu?trang=2"
    );
    // Only administrators sign in.
    let (status, _, page) = sign_in(&server, "b", "bientap", "mat-khau-rat-dai-123").await;
    assert_eq!(status, 422);
    assert!(page.contains("chỉ quản trị viên được đăng nhập"), "{page}");
    let (status, _, _) = sign_in(&server, "b", "quantri", "mat-khau-rat-dai-123").await;
    assert_eq!(status, 303, "an administrator signs in to an archive");
    // The archive still passes its integrity check; a's pages never show the notice.
    let (code, _, err) = server.run(&["--site", "b", "verify"], "");
    assert_eq!(code, 0, "{err}");
    assert!(!server.get("a", "/").await.1.contains("Trang lưu trữ"));
    // A bad value leaves the archive as it was.
    let (code, _, err) = server.run(
        &["site", "archive", "b", "--successor", "http://a.test"],
        "",
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("archive.successor"), "{err}");
    let file = std::fs::read_to_string(server.etc().join("sites/b.toml")).unwrap();
    assert!(
        file.contains("2025-07-01") && file.contains("https://a.test"),
        "{file}"
    );
    // Opened again, it takes writes again.
    let (code, _, _) = server.run(&["site", "unarchive", "b"], "");
    assert_eq!(code, 0);
    assert!(!server.get("b", "/").await.1.contains("Trang lưu trữ"));
    assert_eq!(server.get("b", "/hoi-dap/gui-cau-hoi").await.0, 200);

    // A damaged database in c: after a restart a and b serve, c answers 503.
    let file = server.data("c").join("trangtin.redb");
    let root = stop(server);
    let mut bytes = std::fs::read(&file).unwrap();
    for b in bytes.iter_mut().take(4096) {
        *b = 0xA5;
    }
    std::fs::write(&file, bytes).unwrap();
    let mut server = start(root);
    server.wait_for("serving 3 sites");
    assert!(
        server
            .binary
            .log
            .iter()
            .any(|l| l.contains("site=c") && l.contains("would not open")),
        "{}",
        server.binary.log.join("\n")
    );
    assert_eq!(server.get("a", "/").await.0, 200);
    assert_eq!(server.get("b", "/").await.0, 200);
    let (status, page) = server.get("c", "/").await;
    assert_eq!(status, 503);
    assert!(page.contains("tạm ngừng phục vụ"), "{page}");
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `packaging/nginx/trangtin-stream.conf`, with test names and loopback addresses, routes
/// two host names to two trangtin processes by SNI without terminating TLS.
#[tokio::test]
async fn the_nginx_stream_example_routes_two_hosts_to_two_processes() {
    let module = Path::new("/usr/lib/nginx/modules/ngx_stream_module.so");
    if !Path::new("/usr/sbin/nginx").exists() || !module.exists() {
        crate::support::missing_tool(
            "the_nginx_stream_example_routes_two_hosts_to_two_processes",
            "nginx with its stream module",
            "apt install nginx libnginx-mod-stream",
        );
        return;
    }
    // Two single-site processes, as two boxes would run them.
    let mut boxes = Vec::new();
    for name in ["one", "two"] {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("etc")).unwrap();
        std::fs::write(
            root.path().join("etc/trangtin.toml"),
            format!(
                "data = \"../var\"\ndemo = false\nhosts = [\"{name}.test\"]\n\
                 [listen]\nhttps = \"127.0.0.1:0\"\nhttp = \"off\"\n"
            ),
        )
        .unwrap();
        boxes.push(start(root));
    }
    let certificate = |b: &Several| b.root.path().join("var/tls/self-signed.crt");
    let free_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/nginx/trangtin-stream.conf"),
    )
    .unwrap();
    let stream = example
        .replace("skhcn.example.gov.vn", "one.test")
        .replace("xa.example.gov.vn", "two.test")
        .replace("10.0.0.11:443", &boxes[0].addr.to_string())
        .replace("10.0.0.12:443", &boxes[1].addr.to_string())
        .replace("listen 443;", &format!("listen 127.0.0.1:{free_port};"))
        .replace("listen [::]:443;", "");
    assert!(
        stream.contains(&boxes[1].addr.to_string()),
        "the example's map changed"
    );
    let prefix = tempfile::tempdir().unwrap();
    std::fs::write(prefix.path().join("trangtin-stream.conf"), stream).unwrap();
    std::fs::write(
        prefix.path().join("nginx.conf"),
        format!(
            "load_module {};\nerror_log stderr;\npid {}/nginx.pid;\ndaemon off;\n\
             events {{}}\ninclude {}/trangtin-stream.conf;\n",
            module.display(),
            prefix.path().display(),
            prefix.path().display()
        ),
    )
    .unwrap();
    let mut nginx = Command::new("/usr/sbin/nginx")
        .args(["-e", "stderr"])
        .arg("-p")
        .arg(prefix.path())
        .arg("-c")
        .arg(prefix.path().join("nginx.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let front = SocketAddr::from(([127, 0, 0, 1], free_port));
    let mut up = false;
    for _ in 0..100 {
        if std::net::TcpStream::connect(front).is_ok() {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if !up {
        let _ = nginx.kill();
        let out = nginx.wait_with_output().unwrap();
        panic!(
            "nginx did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let names = ["one", "two"];
    let trusting_one = client_for(&[certificate(&boxes[0])], &names, front);
    let trusting_two = client_for(&[certificate(&boxes[1])], &names, front);
    let at = |name: &str| format!("https://{name}.test:{free_port}/");
    // Each name reaches its own process: its certificate, its page, over HTTP/2.
    for (client, name) in [(&trusting_one, "one"), (&trusting_two, "two")] {
        let response = client.get(at(name)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{name}");
        assert_eq!(response.version(), reqwest::Version::HTTP_2);
    }
    // And not the other's: the certificate two.test gets is not one's.
    assert!(trusting_one.get(at("two")).send().await.is_err());
    assert!(trusting_two.get(at("one")).send().await.is_err());
    let _ = nginx.kill();
    let _ = nginx.wait();
}

/// Stops the server as systemd does (SIGTERM) and gives its folder back.
fn stop(server: Several) -> tempfile::TempDir {
    let Several { root, binary, .. } = server;
    binary.stop();
    root
}

/// A single-site install becomes the first of several sites, after a backup, and goes
/// back; its content and accounts come along both ways.
#[tokio::test]
async fn a_single_site_moves_into_sites_and_back() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(
        root.path().join("etc/trangtin.toml"),
        "data = \"../var\"\ndemo = true\nhosts = [\"mot.test\"]\nbase_url = \"https://mot.test\"\n\
         [listen]\nhttps = \"127.0.0.1:0\"\nhttp = \"off\"\n[backup]\nenabled = false\n",
    )
    .unwrap();
    let server = start(root);
    let before = single_site_news(&server).await;
    let main_config = server.main_config();

    // Refused while the server runs, and by `site add` before the move.
    let (code, _, err) = server.run(&["site", "migrate", "mot"], "");
    assert_eq!(code, 2);
    assert!(err.contains("stop it first"), "{err}");
    let (code, _, err) = server.run(&["site", "add", "hai", "--domain", "hai.test"], "");
    assert_eq!(code, 2);
    assert!(err.contains("site migrate"), "{err}");
    let root = stop(server);

    let (code, out, err) = run(&main_config, &["site", "migrate", "mot"], "");
    assert_eq!(code, 0, "{out}{err}");
    let var = root.path().join("var");
    assert!(var.join("sites/mot/trangtin.redb").exists());
    assert!(!var.join("trangtin.redb").exists());
    let backups: Vec<_> = std::fs::read_dir(var.join("sites/mot/backups"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tar.zst"))
        .collect();
    assert_eq!(backups.len(), 1, "one backup, made before the move");
    let main_text = std::fs::read_to_string(&main_config).unwrap();
    assert!(!main_text.contains("mot.test"), "{main_text}");

    // Served from its new place, with the same content; a second site joins it.
    let mut server = start(root);
    server.wait_for("serving 1 sites");
    let (status, after) = server.get("mot", "/tin-tuc").await;
    assert_eq!(status, 200);
    assert!(!titles(&before).is_empty(), "the demo's news list");
    assert_eq!(titles(&after), titles(&before));
    let (code, out, err) = server.run(&["site", "add", "hai", "--domain", "hai.test"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(server.get("hai", "/").await.0, 200);
    let (code, _, err) = server.run(&["site", "unmigrate"], "");
    assert_eq!(code, 2, "two sites cannot go back to one: {err}");
    let (code, out, err) = server.run(&["site", "remove", "hai", "--purge"], "");
    assert_eq!(code, 0, "{out}{err}");
    let root = stop(server);

    // And back to one site, as it was.
    let (code, out, err) = run(&main_config, &["site", "unmigrate"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(root.path().join("var/trangtin.redb").exists());
    let server = start(root);
    let back = single_site_news(&server).await;
    assert_eq!(titles(&back), titles(&before));
}

/// The news list of mot.test, served as a single site (its certificate in `var/tls`).
async fn single_site_news(server: &Several) -> String {
    let certificate = server.root.path().join("var/tls/self-signed.crt");
    client_for(&[certificate], &["mot"], server.addr)
        .get(format!("https://mot.test:{}/tin-tuc", server.addr.port()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The article titles a list page links to, in order.
fn titles(html: &str) -> Vec<String> {
    html.split("class=\"card-title\"")
        .skip(1)
        .filter_map(|part| part.split("</a>").next())
        .map(str::to_string)
        .collect()
}

/// A client session store that keeps every server's tickets under one name, so a ticket
/// one site issued is offered to another: what an attacker replaying it would do.
#[derive(Debug)]
struct OneName(rustls::client::ClientSessionMemoryCache);

fn one_name() -> rustls_pki_types::ServerName<'static> {
    rustls_pki_types::ServerName::try_from("shared.test").unwrap()
}

impl rustls::client::ClientSessionStore for OneName {
    fn set_kx_hint(&self, _: rustls_pki_types::ServerName<'static>, group: rustls::NamedGroup) {
        self.0.set_kx_hint(one_name(), group);
    }

    fn kx_hint(&self, _: &rustls_pki_types::ServerName<'_>) -> Option<rustls::NamedGroup> {
        self.0.kx_hint(&one_name())
    }

    fn set_tls12_session(
        &self,
        _: rustls_pki_types::ServerName<'static>,
        value: rustls::client::Tls12ClientSessionValue,
    ) {
        self.0.set_tls12_session(one_name(), value);
    }

    fn tls12_session(
        &self,
        _: &rustls_pki_types::ServerName<'_>,
    ) -> Option<rustls::client::Tls12ClientSessionValue> {
        self.0.tls12_session(&one_name())
    }

    fn remove_tls12_session(&self, _: &rustls_pki_types::ServerName<'static>) {
        self.0.remove_tls12_session(&one_name());
    }

    fn insert_tls13_ticket(
        &self,
        _: rustls_pki_types::ServerName<'static>,
        value: rustls::client::Tls13ClientSessionValue,
    ) {
        self.0.insert_tls13_ticket(one_name(), value);
    }

    fn take_tls13_ticket(
        &self,
        _: &rustls_pki_types::ServerName<'static>,
    ) -> Option<rustls::client::Tls13ClientSessionValue> {
        self.0.take_tls13_ticket(&one_name())
    }
}

/// A TLS session one site issued does not resume on another: the handshake with b.test
/// that offers a.test's ticket is a full one, with b's certificate.
#[tokio::test]
async fn a_tls_session_of_one_site_does_not_resume_on_another() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut server = start_three();
    server.wait_for("serving 3 sites");
    let mut config = tls_trusting(
        &[
            server.data("a").join("tls/self-signed.crt"),
            server.data("b").join("tls/self-signed.crt"),
        ],
        &[b"http/1.1"],
    );
    config.resumption = rustls::client::Resumption::store(Arc::new(OneName(
        rustls::client::ClientSessionMemoryCache::new(8),
    )));
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    // One request over a fresh connection to `site`: how the handshake went, and the
    // certificate it showed.
    let visit = |site: &'static str| {
        let connector = connector.clone();
        let addr = server.addr;
        async move {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            let name = rustls_pki_types::ServerName::try_from(format!("{site}.test")).unwrap();
            let mut tls = connector.connect(name, tcp).await.unwrap();
            let request =
                format!("GET / HTTP/1.1\r\nHost: {site}.test\r\nConnection: close\r\n\r\n");
            tls.write_all(request.as_bytes()).await.unwrap();
            let mut answer = Vec::new();
            let _ = tls.read_to_end(&mut answer).await;
            let (_, connection) = tls.get_ref();
            let kind = connection.handshake_kind();
            let certificate = connection.peer_certificates().unwrap()[0].to_vec();
            (
                kind,
                certificate,
                String::from_utf8_lossy(&answer).into_owned(),
            )
        }
    };
    let (first, a_certificate, answer) = visit("a").await;
    assert_eq!(first, Some(rustls::HandshakeKind::Full));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // The store works: a second visit to a resumes a's session.
    let (again, _, _) = visit("a").await;
    assert_eq!(
        again,
        Some(rustls::HandshakeKind::Resumed),
        "a's own ticket resumes"
    );
    // b is offered a's ticket and does not take it.
    let (other, b_certificate, answer) = visit("b").await;
    assert_eq!(
        other,
        Some(rustls::HandshakeKind::Full),
        "b resumed a's session"
    );
    assert_ne!(a_certificate, b_certificate);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// A password-reset link one site made opens nothing on another, even for an account
/// of the same name there.
#[tokio::test]
async fn a_reset_link_of_one_site_is_worthless_on_another() {
    let mut server = start_three();
    server.wait_for("serving 3 sites");
    add_chung_to_a_and_b(&server);
    // a's administrator makes a link for chung (here straight on a's stopped store).
    let a = server.data("a");
    let root = stop(server);
    let token = {
        let (store, _) = trangtin::store::Store::open(&a).unwrap();
        store
            .write_blocking(|tx| -> Result<_, trangtin::auth::Error> {
                let user = trangtin::auth::find_by_login(tx, "chung")?.expect("chung on a");
                let (token, _) = trangtin::auth::reset::issue(
                    tx,
                    &trangtin::workflow::Actor::operator(),
                    user.id,
                    jiff::Timestamp::now(),
                )?;
                Ok(token)
            })
            .unwrap()
    };
    let mut server = start(root);
    server.wait_for("serving 3 sites");
    let path = format!("{}{token}", trangtin::auth::reset::PATH);
    let (status, page) = server.get("a", &path).await;
    assert_eq!(status, 200, "the link works on a");
    assert!(
        page.contains("chung") && page.contains("name=\"new\""),
        "{page}"
    );
    let (status, page) = server.get("b", &path).await;
    assert_eq!(status, 410, "a's link opened b's reset page");
    assert!(!page.contains("name=\"new\""), "{page}");
}

/// A question a citizen sent to one site is in that site's hands only: its status page
/// finds it on a, and b has never heard of it.
#[tokio::test]
async fn a_question_sent_to_one_site_is_unknown_to_another() {
    let mut server = start_three_with("[forms]\nmin_fill_secs = 0\n");
    server.wait_for("serving 3 sites");
    let (status, form) = server.get("a", "/hoi-dap/gui-cau-hoi").await;
    assert_eq!(status, 200);
    let (token, answer) = crate::citizen::solve(&form);
    let sent = server
        .client(&["a"])
        .post(server.url("a", "/hoi-dap/gui-cau-hoi"))
        .header("origin", format!("https://a.test:{}", server.addr.port()))
        .form(&[
            ("name", "Lê Văn Cường"),
            ("email", "cuong@example.vn"),
            ("topic", "Sở hữu trí tuệ"),
            (
                "text",
                "Thủ tục đăng ký nhãn hiệu cho hợp tác xã gồm những giấy tờ gì?",
            ),
            ("consent", "1"),
            ("website", ""),
            ("challenge", &token),
            ("answer", &answer),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status().as_u16(), 200);
    let page = sent.text().await.unwrap();
    let (ticket, key) = crate::questions::ticket_and_key(&page);
    assert!(!ticket.is_empty(), "a ticket number: {page}");
    let status_page = format!("/hoi-dap/tra-cuu?so={ticket}&ma={key}");
    let (status, on_a) = server.get("a", &status_page).await;
    assert_eq!(status, 200);
    assert!(on_a.contains("nhãn hiệu cho hợp tác xã"), "{on_a}");
    let (status, on_b) = server.get("b", &status_page).await;
    assert_eq!(status, 422, "b found a's question");
    assert!(on_b.contains("Không tìm thấy câu hỏi"), "{on_b}");
    assert!(!on_b.contains("nhãn hiệu cho hợp tác xã"));
}
