//! `Binary`: the real `trangtin serve` as a child process, for the tests that make
//! faults (floods, a full disk, a damaged database) and must not share the test
//! process with the server they attack. Its log is read line by line.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub struct Binary {
    child: Child,
    pub port: u16,
    pub data: PathBuf,
    lines: mpsc::Receiver<String>,
    /// Every log line read so far.
    pub log: Vec<String>,
}

impl Binary {
    /// Serves `data` with `demo = false`, HTTPS on an ephemeral loopback port, no plain
    /// HTTP, and `settings` (TOML) after that. Panics with the log if it does not start.
    pub fn serve(data: &Path, settings: &str) -> Binary {
        Binary::try_serve(data, settings)
            .unwrap_or_else(|log| panic!("the server did not start:\n{log}"))
    }

    /// As `serve`, but a server that stops before listening gives back its log.
    pub fn try_serve(data: &Path, settings: &str) -> Result<Binary, String> {
        let config = data.with_extension("toml");
        std::fs::write(
            &config,
            format!(
                "demo = false\n[listen]\nhttps = \"127.0.0.1:0\"\nhttp = \"off\"\n{settings}\n"
            ),
        )
        .unwrap();
        let mut binary = Binary::launch(&[
            "--config".as_ref(),
            config.as_os_str(),
            "--data".as_ref(),
            data.as_os_str(),
            "serve".as_ref(),
        ])?;
        binary.data = data.to_path_buf();
        Ok(binary)
    }

    /// Runs `trangtin ARGS` and waits for its HTTPS port; a process that stops before
    /// listening gives back its log. `data` is left empty for the caller to set.
    pub fn launch(args: &[&std::ffi::OsStr]) -> Result<Binary, String> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_trangtin"))
            .args(args)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The log goes to standard output (journald takes it from there); errors before
        // the log starts go to standard error.
        let (lines_tx, lines) = mpsc::channel::<String>();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let lines_tx = lines_tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = lines_tx.send(line);
                }
            });
        }
        drop(lines_tx);
        let mut log = Vec::new();
        const MARK: &str = "listening on https://127.0.0.1:";
        let port = loop {
            let Ok(line) = lines.recv_timeout(Duration::from_secs(120)) else {
                let _ = child.kill();
                let _ = child.wait();
                return Err(log.join("\n"));
            };
            log.push(line.clone());
            if let Some(at) = line.find(MARK) {
                let digits: String = line[at + MARK.len()..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                break digits.parse::<u16>().unwrap();
            }
        };
        Ok(Binary {
            child,
            port,
            data: PathBuf::new(),
            lines,
            log,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    /// A client trusting the server's self-signed certificate (HTTP/2 or 1.1).
    pub fn client(&self) -> reqwest::Client {
        let config = crate::support::client_tls(&self.data.join("tls").join("self-signed.crt"));
        reqwest::Client::builder()
            .tls_backend_preconfigured(config)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .expect("client")
    }

    pub fn tls_config(&self) -> rustls::ClientConfig {
        let mut config = crate::support::client_tls(&self.data.join("tls").join("self-signed.crt"));
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        config
    }

    /// GET `path`: (status, body).
    pub async fn page(&self, path: &str) -> (u16, String) {
        let response = self
            .client()
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// One try at the login form (a fresh cookie jar): the status and the page.
    pub async fn login_attempt(&self, login: &str, password: &str) -> (u16, String) {
        let config = crate::support::client_tls(&self.data.join("tls").join("self-signed.crt"));
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(config)
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let html = client
            .get(self.url("/quan-tri/dang-nhap"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = crate::support::field_value(&html, "csrf").expect("the login form");
        let response = client
            .post(self.url("/quan-tri/dang-nhap"))
            .header("origin", format!("https://127.0.0.1:{}", self.port))
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
        (status, response.text().await.unwrap_or_default())
    }

    /// The log so far, with what arrived since the last call.
    pub fn read_log(&mut self) -> &[String] {
        self.log.extend(self.lines.try_iter());
        &self.log
    }

    /// Waits up to `within` for a log line containing `needle`; whether one came.
    pub fn wait_for(&mut self, needle: &str, within: Duration) -> bool {
        let deadline = std::time::Instant::now() + within;
        loop {
            if self.log.iter().any(|l| l.contains(needle)) {
                return true;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.log.push(line),
                Err(_) => return false,
            }
        }
    }

    /// Whether the process has exited, and how.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Stops it as systemd would (SIGTERM) and waits.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().unwrap()
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
