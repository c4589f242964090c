//! `TestServer`: the real server on 127.0.0.1:0 with a temporary data folder, and
//! clients that speak real HTTPS to it, trusting its self-signed certificate.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use trangtin::app::App;
use trangtin::config::Config;
use trangtin::http::server::{self, Listeners};
use trangtin::http::tls::{self, CertSwitch};

pub struct TestServer {
    pub app: Arc<App>,
    pub https: SocketAddr,
    pub http: Option<SocketAddr>,
    pub data: PathBuf,
    pub certs: Arc<CertSwitch>,
    _dir: Option<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<server::Stopped, server::Error>>>,
    /// TOTP secrets of accounts enrolled through the enrolment page, by login.
    secrets: std::sync::Mutex<std::collections::HashMap<String, Vec<u8>>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    /// Starts on a fresh temporary data folder, after `adjust` has seen the config.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let mut server = TestServer::start_in(&data, adjust).await;
        server._dir = Some(dir);
        server
    }

    /// Starts on `data`, which may hold an earlier server's data.
    pub async fn start_in(data: &Path, adjust: impl FnOnce(&mut Config)) -> TestServer {
        let config = test_config(data, adjust);
        let listeners = Listeners::bind(config.https, config.http)
            .await
            .expect("bind test listeners");
        TestServer::launch(listeners, config).await
    }

    /// Starts on `config` as it is (a configuration file an install wrote, say), on the
    /// addresses it names.
    pub async fn start_config(config: Config) -> TestServer {
        let listeners = Listeners::bind(config.https, config.http)
            .await
            .expect("bind listeners");
        TestServer::launch(listeners, config).await
    }

    /// Starts on listeners bound beforehand (whose ports a peer such as an ACME test CA
    /// must know before the server's config is written).
    pub async fn start_on(
        listeners: Listeners,
        data: &Path,
        adjust: impl FnOnce(&mut Config),
    ) -> TestServer {
        TestServer::launch(listeners, test_config(data, adjust)).await
    }

    async fn launch(listeners: Listeners, config: Config) -> TestServer {
        let data = config.data.clone();
        let https = listeners.https_addr().expect("https addr");
        let http = listeners.http_addr();
        let certs = Arc::new(CertSwitch::load(&config).expect("load certificate"));
        let app = tokio::task::spawn_blocking(move || App::open(config))
            .await
            .expect("join")
            .expect("open app");
        let app = Arc::new(app);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server::serve(
            app.clone(),
            listeners,
            certs.clone(),
            async {
                let _ = stopped.await;
            },
        ));
        TestServer {
            app,
            https,
            http,
            data,
            certs,
            _dir: None,
            stop: Some(stop),
            task: Some(task),
            secrets: Default::default(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://{}{}", self.https, path)
    }

    /// A client that negotiates HTTP/2 or HTTP/1.1, trusts this server's certificate,
    /// does not follow redirects and does not ask for compression.
    pub fn client(&self) -> reqwest::Client {
        self.client_with_alpn(&[b"h2", b"http/1.1"])
    }

    pub fn http1_client(&self) -> reqwest::Client {
        self.client_with_alpn(&[b"http/1.1"])
    }

    fn client_with_alpn(&self, alpn: &[&[u8]]) -> reqwest::Client {
        let mut config = client_tls(self.certs.cert_path());
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        reqwest::Client::builder()
            .tls_backend_preconfigured(config)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .expect("client")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client()
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// GET `path` and return (status, body text).
    pub async fn page(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    /// Sends raw bytes over TLS (HTTP/1.1) and returns everything the server sent back
    /// before closing.
    pub async fn raw(&self, request: &[u8]) -> String {
        let mut tls = self.raw_connection().await;
        // The server may answer and close before a huge request is fully sent.
        let _ = tls.write_all(request).await;
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(15), tls.read_to_end(&mut out)).await;
        String::from_utf8_lossy(&out).into_owned()
    }

    pub async fn raw_connection(&self) -> tokio_rustls::client::TlsStream<TcpStream> {
        let mut config = client_tls(self.certs.cert_path());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        connect_tls(self.https, Arc::new(config)).await
    }

    /// Stops the server as SIGTERM would, and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let stopped = task.await.expect("join").expect("server ran");
            assert_eq!(stopped, server::Stopped::Clean);
        }
    }

    pub fn trigger_stop(&mut self) -> JoinHandle<Result<server::Stopped, server::Error>> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.take().expect("running")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The password tests give demo accounts.
pub const TEST_PASSWORD: &str = "mật khẩu thử nghiệm 2026";

/// The TOTP secret an enrolment page shows (base32 in groups), as bytes.
pub fn secret_on_page(html: &str) -> Vec<u8> {
    let shown = html
        .split("id=\"khoa-bi-mat\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the page shows the secret");
    let base32: String = shown.chars().filter(|c| !c.is_whitespace()).collect();
    totp_rs::Secret::try_from_base32(&base32)
        .expect("base32")
        .as_bytes()
        .to_vec()
}

/// The TOTP secret `TestServer::login` enrols for accounts that need one.
pub fn test_secret(login: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(format!("totp:{login}").as_bytes())[..20].to_vec()
}

/// A signed-in browser-like client: keeps cookies, sends Origin, adds the CSRF token.
pub struct Staff {
    pub client: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
    pub base: String,
    pub csrf: String,
}

impl TestServer {
    /// Sets a known password on `login` (straight in the store) and, when the account's
    /// roles need a second factor, enrols `test_secret(login)` for it; then signs in over
    /// HTTPS through the real login form and code step.
    pub async fn login(&self, login: &str) -> Staff {
        use trangtin::auth::second_factor;
        let hash = trangtin::auth::password::hash(TEST_PASSWORD).unwrap();
        let now = self.app.clock.now();
        let name = login.to_string();
        self.secrets.lock().unwrap().remove(login);
        let key = self.app.secret_key.clone();
        let extra_roles = self.app.config.second_factor_roles.clone();
        let today = self.app.today();
        self.app
            .store
            .write(move |tx| -> Result<(), trangtin::auth::Error> {
                let user = trangtin::auth::find_by_login(tx, &name)?.expect("the account exists");
                trangtin::auth::set_password_hash(tx, user.id, hash, false, now)?;
                let actor = trangtin::auth::actor(tx, &user)?;
                if second_factor::required(&actor, &extra_roles, today) {
                    // Enrolled with the code of the step before, so this step's code,
                    // which the login below types, is still unused.
                    let secret = second_factor::NewSecret::from_bytes(&test_secret(&name)).unwrap();
                    let earlier = now - jiff::SignedDuration::from_secs(30);
                    let code = second_factor::code_at(secret.bytes(), earlier);
                    second_factor::enrol(tx, &key, user.id, &secret, &code, now)?
                        .expect("enrolment code accepted");
                }
                Ok(())
            })
            .await
            .unwrap();
        self.login_with(login, TEST_PASSWORD)
            .await
            .expect("login succeeds")
    }

    /// The code an authenticator holding `test_secret(login)` shows for the next unused
    /// step; the clock moves on to that step if this one is used up, as a person waits
    /// for the next code.
    pub async fn next_code(&self, login: &str) -> String {
        use trangtin::auth::second_factor;
        let name = login.to_string();
        let last_step = self
            .app
            .store
            .read(move |tx| -> Result<_, trangtin::auth::Error> {
                let user = trangtin::auth::find_by_login(tx, &name)?.expect("the account exists");
                Ok(second_factor::get(tx, user.id)?.map(|f| f.last_step))
            })
            .await
            .unwrap()
            .unwrap_or(0);
        let step = second_factor::step_at(self.app.clock.now());
        if step <= last_step {
            self.app.clock.advance(30 * (last_step - step + 1) as i64);
        }
        second_factor::code_at(&self.secret_of(login), self.app.clock.now())
    }

    /// The id of the account `login`.
    pub async fn user_id(&self, login: &str) -> u64 {
        let login = login.to_string();
        self.app
            .store
            .read(move |tx| trangtin::auth::find_by_login(tx, &login))
            .await
            .unwrap()
            .expect("the account exists")
            .id
            .0
    }

    /// Remembers the secret a test enrolled through the page, for later logins.
    pub fn remember_secret(&self, login: &str, secret: Vec<u8>) {
        self.secrets
            .lock()
            .unwrap()
            .insert(login.to_string(), secret);
    }

    fn secret_of(&self, login: &str) -> Vec<u8> {
        self.secrets
            .lock()
            .unwrap()
            .get(login)
            .cloned()
            .unwrap_or_else(|| test_secret(login))
    }

    /// Signs in with a password, and the code of `test_secret(login)` if the server asks
    /// for one; `None` if the login page refuses either.
    pub async fn login_with(&self, login: &str, password: &str) -> Option<Staff> {
        let (client, jar, mut response) = self.login_attempt_in_jar(login, password).await;
        if response.status() != 303 {
            return None;
        }
        let location = response.headers()["location"].to_str().unwrap().to_string();
        if location.starts_with("/quan-tri/dang-nhap/ma") {
            let page = client.get(self.url(&location)).send().await.unwrap();
            let html = page.text().await.unwrap();
            let csrf = field_value(&html, "csrf").expect("code form has a CSRF token");
            let code = self.next_code(login).await;
            response = client
                .post(self.url("/quan-tri/dang-nhap/ma"))
                .header("origin", format!("https://{}", self.https))
                .form(&[("csrf", csrf.as_str()), ("ma", code.as_str()), ("tiep", "")])
                .send()
                .await
                .unwrap();
            if response.status() != 303 {
                return None;
            }
        }
        let mut staff = Staff {
            client,
            jar,
            base: format!("https://{}", self.https),
            csrf: String::new(),
        };
        let landing = response.headers()["location"].to_str().unwrap().to_string();
        let (_, html) = staff.get(&landing).await;
        staff.csrf = field_value(&html, "csrf").unwrap_or_default();
        Some(staff)
    }

    /// One try at the login form, from a fresh cookie jar: the client and the answer.
    pub async fn login_attempt(
        &self,
        login: &str,
        password: &str,
    ) -> (reqwest::Client, reqwest::Response) {
        let (client, _, response) = self.login_attempt_in_jar(login, password).await;
        (client, response)
    }

    /// A client that keeps cookies and does not follow redirects, as a browser with no
    /// session yet.
    pub fn browser_client(&self) -> reqwest::Client {
        let mut config = client_tls(self.certs.cert_path());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        reqwest::Client::builder()
            .tls_backend_preconfigured(config)
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(Arc::new(reqwest::cookie::Jar::default()))
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }

    async fn login_attempt_in_jar(
        &self,
        login: &str,
        password: &str,
    ) -> (
        reqwest::Client,
        Arc<reqwest::cookie::Jar>,
        reqwest::Response,
    ) {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let mut config = client_tls(self.certs.cert_path());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(config)
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar.clone())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let page = client
            .get(self.url("/quan-tri/dang-nhap"))
            .send()
            .await
            .unwrap();
        let html = page.text().await.unwrap();
        let csrf = field_value(&html, "csrf").expect("login form has a CSRF token");
        let response = client
            .post(self.url("/quan-tri/dang-nhap"))
            .header("origin", format!("https://{}", self.https))
            .form(&[
                ("csrf", csrf.as_str()),
                ("login", login),
                ("password", password),
                ("tiep", ""),
            ])
            .send()
            .await
            .unwrap();
        (client, jar, response)
    }
}

impl Staff {
    /// This client's session token, from its cookie jar.
    pub fn session_token(&self, server: &TestServer) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let jar = self.jar.cookies(&server.url("/").parse().unwrap())?;
        jar.to_str()
            .ok()?
            .split("; ")
            .find_map(|c| c.strip_prefix("__Host-trangtin="))
            .map(str::to_string)
    }

    /// The id "my sessions" shows for this client's session (its token's SHA-256).
    pub fn session_id(&self, server: &TestServer) -> Option<String> {
        use sha2::Digest;
        let token = self.session_token(server)?;
        Some(hex::encode(sha2::Sha256::digest(token.as_bytes())))
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        if status == 303 {
            let location = r.headers()["location"].to_str().unwrap_or("").to_string();
            return (status, format!("see other: {location}"));
        }
        (status, r.text().await.unwrap())
    }

    /// POSTs a form with this session's CSRF token and a same-site Origin.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut all: Vec<(&str, &str)> = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.client
            .post(format!("{}{path}", self.base))
            .header("origin", &self.base)
            .form(&all)
            .send()
            .await
            .unwrap()
    }

    /// The `Location` of a 303 answer, or a panic with the page that came instead.
    pub async fn post_ok(&self, path: &str, fields: &[(&str, &str)]) -> String {
        let r = self.post(path, fields).await;
        let status = r.status();
        if status != 303 {
            let body = r.text().await.unwrap_or_default();
            let errors = body
                .find("role=\"alert\"")
                .map(|i| &body[i..(i + 600).min(body.len())]);
            panic!(
                "POST {path} gave {status}: {}",
                errors.unwrap_or(&body[..body.len().min(600)])
            );
        }
        r.headers()["location"].to_str().unwrap().to_string()
    }

    pub async fn upload(&self, name: &str, bytes: Vec<u8>, alt: &str) -> reqwest::Response {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
        let form = reqwest::multipart::Form::new()
            .text("csrf", self.csrf.clone())
            .text("alt", alt.to_string())
            .part("file", part);
        self.client
            .post(format!("{}/quan-tri/tep", self.base))
            .header("origin", &self.base)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }
}

/// The value of the first `<input name="{name}" value="…">` in a page.
pub fn field_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let start = at + format!("name=\"{name}\" value=\"").len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// A rustls client configuration (ring) that trusts exactly the certificate in `pem`.
fn test_config(data: &Path, adjust: impl FnOnce(&mut Config)) -> Config {
    let mut config = Config::for_data(data);
    // Tests that are not about the daily backup or check do not run them.
    config.backup.enabled = false;
    config.integrity.daily = false;
    adjust(&mut config);
    config
}

pub fn client_tls(pem: &Path) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    let bytes = std::fs::read(pem).expect("read certificate");
    for cert in rustls_pki_types::CertificateDer::pem_slice_iter(&bytes) {
        roots.add(cert.expect("pem")).expect("add root");
    }
    rustls::ClientConfig::builder_with_provider(tls::provider())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

pub async fn connect_tls(
    addr: SocketAddr,
    config: Arc<rustls::ClientConfig>,
) -> tokio_rustls::client::TlsStream<TcpStream> {
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let name = rustls_pki_types::ServerName::IpAddress(addr.ip().into());
    tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .expect("handshake")
}

use rustls_pki_types::pem::PemObject;

/// The status code of a raw HTTP/1.1 response ("HTTP/1.1 404 Not Found…" → 404).
pub fn status_of(raw: &str) -> u16 {
    raw.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// The first `href` or `src` in `html` that starts with `prefix`.
pub fn first_link(html: &str, prefix: &str) -> Option<String> {
    let at = |attr: &str| {
        let needle = format!("{attr}=\"{prefix}");
        html.find(&needle).map(|i| i + attr.len() + 2)
    };
    let start = match (at("href"), at("src")) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// Runs the `trangtin` binary on `data` with `args`, feeding `stdin`; waits for it.
pub fn trangtin(data: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_trangtin"))
        .arg("--data")
        .arg(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The command may exit before reading its input (a refused request).
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

/// A test that needs `what`, which this machine lacks: a loud notice and a pass on a
/// developer's machine, a failure under `CI=true` (where `.ci/run` installs it).
pub fn missing_tool(test: &str, what: &str, install: &str) {
    assert!(
        !std::env::var("CI").is_ok_and(|v| v == "true"),
        "CI=true but {what} is missing for {test}: .ci/run must provide it ({install})"
    );
    eprintln!("\n==================================================================");
    eprintln!("SKIPPED {test}: {what} is missing ({install})");
    eprintln!("==================================================================\n");
}

/// Creates an entry of `kind` at `slug` with `fields` and publishes it, in `tx`.
pub fn publish_new(
    tx: &redb::WriteTransaction,
    kind: trangtin::content::Kind,
    slug: String,
    fields: trangtin::content::Fields,
    now: jiff::Timestamp,
) -> Result<(), trangtin::content::Error> {
    use trangtin::content::{self, NewEntry};
    let new = NewEntry {
        kind,
        slug,
        category: None,
        unit: None,
        featured: false,
    };
    let entry = content::create(tx, new, fields, "test", now)?;
    content::publish(tx, entry.id, now)?;
    Ok(())
}

/// Publishes `count` legal documents straight into the store: `vb-{i}`, numbered
/// `{i}/QĐ-SKHCN`, issued from 1 January 2020 about three a day, each replacing the
/// one before and amending one that does not exist.
pub async fn seed_register(server: &TestServer, count: usize) {
    use trangtin::content::legal::LegalDoc;
    use trangtin::content::{self, Fields, Kind};
    let now = server.app.clock.now();
    server
        .app
        .store
        .write(move |tx| -> Result<(), content::Error> {
            for i in 0..count {
                let issued = jiff::civil::date(2020, 1, 1)
                    .checked_add(jiff::Span::new().days((i * 7 % 180) as i64))
                    .unwrap();
                let points_at = |n: usize| vec![format!("vb-{n}")];
                publish_new(
                    tx,
                    Kind::LegalDocument,
                    format!("vb-{i}"),
                    Fields {
                        title: format!("Về việc thử văn bản số {i}"),
                        legal: Some(LegalDoc {
                            doc_type: "Quyết định".into(),
                            number: format!("{i}/QĐ-SKHCN"),
                            issuer: "Sở Khoa học và Công nghệ".into(),
                            signer: "Giám đốc Sở".into(),
                            issued,
                            effective: issued,
                            expires: None,
                            status: None,
                            field: "Khoa học, công nghệ".into(),
                            replaces: if i > 0 { points_at(i - 1) } else { Vec::new() },
                            amends: points_at(count + 7),
                            guides: Vec::new(),
                        }),
                        ..Fields::default()
                    },
                    now,
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

/// Uploads a small PDF named `name` as `staff`; its hash in the library.
pub async fn uploaded_pdf(server: &TestServer, staff: &Staff, name: &str) -> String {
    let r = staff
        .upload(
            name,
            b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\n".to_vec(),
            "",
        )
        .await;
    assert_eq!(r.status(), 303);
    server
        .app
        .store
        .read(|tx| trangtin::media::library(tx, Some(false)))
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.original_name == name)
        .unwrap_or_else(|| panic!("{name} is not in the library"))
        .hash
        .to_string()
}
