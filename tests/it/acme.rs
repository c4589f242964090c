//! `tls.mode = "acme"` against Pebble, Let's Encrypt's ACME test CA, on loopback: the
//! first certificate, its renewal 30 days before expiry, and a failed renewal that
//! keeps the old certificate serving. Pebble validates on the server's real listeners
//! (HTTP-01 on the plain-HTTP one, TLS-ALPN-01 on the HTTPS one).
//!
//! Without Debian's `pebble` these tests print a loud notice and pass, except under
//! CI=true, where `.ci/run` installs it and a missing one is a failure.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use trangtin::config::TlsSource;
use trangtin::http::acme::{Challenge, Settings};
use trangtin::http::server::Listeners;

use crate::support::TestServer;

const PEBBLE: &str = "/usr/bin/pebble";

/// A Pebble process with its own HTTPS certificate, killed on drop.
struct Pebble {
    child: Child,
    directory: String,
    management: SocketAddr,
    /// The certificate Pebble's own HTTPS listeners use: the ACME client must trust it.
    own_cert: PathBuf,
}

impl Drop for Pebble {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn pebble_available() -> bool {
    if Path::new(PEBBLE).exists() {
        return true;
    }
    assert!(
        !std::env::var("CI").is_ok_and(|v| v == "true"),
        "CI=true but {PEBBLE} is missing: .ci/run must install Debian's pebble"
    );
    eprintln!(
        "\n!!!!!!!! SKIPPED: the ACME tests need Debian's pebble ({PEBBLE}); apt install pebble !!!!!!!!\n"
    );
    false
}

impl Pebble {
    /// Starts Pebble, validating on `http_port` (HTTP-01) and `tls_port` (TLS-ALPN-01).
    async fn start(dir: &Path, http_port: u16, tls_port: u16) -> Pebble {
        let key = rcgen::KeyPair::generate().unwrap();
        let params =
            rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        let cert = params.self_signed(&key).unwrap();
        let own_cert = dir.join("pebble-https.pem");
        let own_key = dir.join("pebble-https.key");
        std::fs::write(&own_cert, cert.pem()).unwrap();
        std::fs::write(&own_key, key.serialize_pem()).unwrap();
        let listen = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let management = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let config = serde_json::json!({
            "pebble": {
                "listenAddress": listen.to_string(),
                "managementListenAddress": management.to_string(),
                "certificate": own_cert,
                "privateKey": own_key,
                "httpPort": http_port,
                "tlsPort": tls_port,
                "ocspResponderURL": "",
                "externalAccountBindingRequired": false
            }
        });
        let config_path = dir.join("pebble.json");
        std::fs::write(&config_path, config.to_string()).unwrap();
        let log = std::fs::File::create(dir.join("pebble.log")).unwrap();
        let child = Command::new(PEBBLE)
            .arg("-config")
            .arg(&config_path)
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .env("PEBBLE_AUTHZREUSE", "0")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start pebble");
        let pebble = Pebble {
            child,
            directory: format!("https://{listen}/dir"),
            management,
            own_cert,
        };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(listen).await.is_ok() {
                return pebble;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("pebble did not start: {}", pebble_log(dir));
    }

    fn settings(&self, challenge: Challenge) -> Settings {
        Settings {
            directory: self.directory.clone(),
            domains: vec!["localhost".into()],
            contact: vec!["mailto:it@example.gov.vn".into()],
            challenge,
            ca_roots: Some(self.own_cert.clone()),
        }
    }

    /// Pebble's root, made anew at each start; certificates it issues chain to it.
    async fn root(&self) -> CertificateDer<'static> {
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(crate::support::client_tls(&self.own_cert))
            .build()
            .unwrap();
        let pem = client
            .get(format!("https://{}/roots/0", self.management))
            .send()
            .await
            .expect("pebble management")
            .bytes()
            .await
            .unwrap();
        CertificateDer::from_pem_slice(&pem).expect("root PEM")
    }
}

fn pebble_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("pebble.log")).unwrap_or_default()
}

/// The leaf certificate the server presents to a client asking for `localhost`, if
/// it chains to `root`.
async fn served_leaf(addr: SocketAddr, root: &CertificateDer<'static>) -> Option<Vec<u8>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(root.clone()).ok()?;
    let config = rustls::ClientConfig::builder_with_provider(trangtin::http::tls::provider())
        .with_safe_default_protocol_versions()
        .ok()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(addr).await.ok()?;
    let name = rustls_pki_types::ServerName::try_from("localhost").ok()?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .ok()?;
    Some(tls.get_ref().1.peer_certificates()?.first()?.to_vec())
}

/// Waits until the server presents a certificate from `root` other than `old`.
async fn wait_for_new_leaf(
    server: &TestServer,
    root: &CertificateDer<'static>,
    old: Option<&[u8]>,
    dir: &Path,
) -> Vec<u8> {
    for _ in 0..300 {
        if let Some(leaf) = served_leaf(server.https, root).await
            && Some(leaf.as_slice()) != old
        {
            return leaf;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let problem = server.app.tls_problem.lock().unwrap().clone();
    panic!(
        "no new certificate from pebble; problem: {problem:?}\npebble log:\n{}",
        pebble_log(dir)
    );
}

async fn acme_server(dir: &Path, challenge: Challenge) -> Option<(Pebble, TestServer)> {
    if !pebble_available() {
        return None;
    }
    let listeners = Listeners::bind(
        "127.0.0.1:0".parse().unwrap(),
        Some("127.0.0.1:0".parse().unwrap()),
    )
    .await
    .expect("bind");
    let https = listeners.https_addr().unwrap();
    let http = listeners.http_addr().unwrap();
    let pebble = Pebble::start(dir, http.port(), https.port()).await;
    let settings = pebble.settings(challenge);
    let server = TestServer::start_on(listeners, &dir.join("data"), move |config| {
        config.https = https;
        config.http = Some(http);
        config.tls = TlsSource::Acme(settings);
    })
    .await;
    Some((pebble, server))
}

#[tokio::test]
async fn http01_issues_renews_and_keeps_the_old_certificate_when_the_ca_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let Some((pebble, server)) = acme_server(dir.path(), Challenge::Http01).await else {
        return;
    };
    let root = pebble.root().await;
    let tls_dir = server.data.join("tls");

    // Until the CA has issued, a self-signed certificate serves (not Pebble's).
    let first = wait_for_new_leaf(&server, &root, None, dir.path()).await;
    let account = std::fs::read(tls_dir.join("acme-account.json")).expect("account stored");
    let pem = std::fs::read(tls_dir.join("acme.pem")).expect("certificate stored");
    let leaf_on_disk = CertificateDer::pem_slice_iter(&pem)
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(
        leaf_on_disk.as_ref(),
        first.as_slice(),
        "serves what it stored"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in ["acme.pem", "acme-account.json"] {
            let mode = std::fs::metadata(tls_dir.join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{file} is private");
        }
    }
    assert_eq!(*server.app.tls_problem.lock().unwrap(), None);
    let info = trangtin::http::certinfo::from_der(&first).expect("readable certificate");
    assert!(
        info.issuer.to_lowercase().contains("pebble"),
        "{}",
        info.issuer
    );

    // Far from expiry nothing happens; 29 days before it, the certificate is renewed
    // with the same account.
    server.certs.check_now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        served_leaf(server.https, &root).await.as_deref(),
        Some(first.as_slice())
    );
    let until_renewal = info.not_after.duration_since(server.app.clock.now())
        - jiff::SignedDuration::from_hours(24 * 29);
    server.app.clock.advance(until_renewal.as_secs());
    server.certs.check_now();
    let second = wait_for_new_leaf(&server, &root, Some(&first), dir.path()).await;
    let renewed = trangtin::http::certinfo::from_der(&second).unwrap();
    assert!(renewed.not_after > info.not_after);
    assert_eq!(
        std::fs::read(tls_dir.join("acme-account.json")).unwrap(),
        account,
        "the account is reused"
    );

    // With the CA gone, a due renewal fails: the old certificate keeps serving and
    // administrators are warned.
    drop(pebble);
    let until_renewal = renewed.not_after.duration_since(server.app.clock.now())
        - jiff::SignedDuration::from_hours(24 * 29);
    server.app.clock.advance(until_renewal.as_secs());
    server.certs.check_now();
    let mut problem = None;
    for _ in 0..150 {
        problem = server.app.tls_problem.lock().unwrap().clone();
        if problem.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let problem = problem.expect("a failed renewal is reported");
    assert!(problem.contains("ACME"), "{problem}");
    assert_eq!(
        served_leaf(server.https, &root).await.as_deref(),
        Some(second.as_slice()),
        "the old certificate still serves"
    );
}

#[tokio::test]
async fn tls_alpn01_issues_a_certificate_through_the_https_listener() {
    let dir = tempfile::tempdir().unwrap();
    let Some((pebble, server)) = acme_server(dir.path(), Challenge::TlsAlpn01).await else {
        return;
    };
    let root = pebble.root().await;
    let leaf = wait_for_new_leaf(&server, &root, None, dir.path()).await;
    let info = trangtin::http::certinfo::from_der(&leaf).unwrap();
    assert!(
        info.issuer.to_lowercase().contains("pebble"),
        "{}",
        info.issuer
    );
    // Browsers get the new certificate and the site, over HTTP/2.
    let mut roots = rustls::RootCertStore::empty();
    roots.add(root).unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(trangtin::http::tls::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .resolve("localhost", server.https)
        .build()
        .unwrap();
    let response = client
        .get(format!("https://localhost:{}/", server.https.port()))
        .send()
        .await
        .expect("the site over the CA's certificate");
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
}
