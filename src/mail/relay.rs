//! The connection to the office's relay (lettre over rustls with ring): one transport
//! built from `[mail]`, a send that says what went wrong in words an administrator
//! understands, and the check `doctor` and `trangtin mail test` run.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{Security, Settings};

/// How long one conversation with the relay may take.
const TIMEOUT: Duration = Duration::from_secs(30);

pub type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// Why the relay could not be used: for the log (English) and for the administrators'
/// page (Vietnamese).
#[derive(Debug, Clone)]
pub struct Failure {
    pub log: String,
    pub vietnamese: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.log)
    }
}

/// The transport `settings` describe; a setting it cannot use (a CA file that does not
/// read, a password file missing) is a failure before any connection.
pub fn transport(settings: &Settings) -> Result<Transport, Failure> {
    let mut tls = TlsParameters::builder(settings.host.clone());
    if let Some(path) = &settings.ca_file {
        let pem = std::fs::read(path).map_err(|e| Failure {
            log: format!("mail.ca_file {}: {e}", path.display()),
            vietnamese: format!("Không đọc được tệp chứng chỉ {}.", path.display()),
        })?;
        let certificate = Certificate::from_pem(&pem).map_err(|e| Failure {
            log: format!("mail.ca_file {}: {e}", path.display()),
            vietnamese: format!("Tệp {} không phải chứng chỉ PEM.", path.display()),
        })?;
        tls = tls.add_root_certificate(certificate);
    }
    let tls = tls.build_rustls().map_err(|e| Failure {
        log: format!("mail TLS parameters: {e}"),
        vietnamese: "Không tạo được kết nối mã hóa tới máy chủ thư.".to_string(),
    })?;
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
        .port(settings.port)
        .timeout(Some(TIMEOUT))
        .tls(match settings.security {
            Security::Starttls => Tls::Required(tls),
            Security::Tls => Tls::Wrapper(tls),
            Security::None => Tls::None,
        });
    if !settings.user.is_empty() {
        let password = settings
            .password()
            .map_err(|e| Failure {
                log: format!("mail.password_file: {e}"),
                vietnamese: "Không đọc được tệp mật khẩu của máy chủ thư.".to_string(),
            })?
            .unwrap_or_default();
        builder = builder.credentials(Credentials::new(settings.user.clone(), password));
    }
    Ok(builder.build())
}

/// Hands one message to the relay.
pub async fn send(
    transport: &Transport,
    settings: &Settings,
    message: Message,
) -> Result<(), Failure> {
    transport
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| failure(settings, &e))
}

/// Connects, secures the connection and logs in, without sending anything.
pub async fn check(settings: &Settings) -> Result<(), Failure> {
    let transport = transport(settings)?;
    match transport.test_connection().await {
        Ok(true) => Ok(()),
        Ok(false) => Err(Failure {
            log: format!(
                "the relay {}:{} did not answer",
                settings.host, settings.port
            ),
            vietnamese: format!(
                "Máy chủ thư {}:{} không trả lời.",
                settings.host, settings.port
            ),
        }),
        Err(e) => Err(failure(settings, &e)),
    }
}

/// Runs `work` on a thread and runtime of its own, for code that is not async (the
/// command line, `doctor`), whether or not it is itself inside a runtime.
fn on_own_runtime<F>(work: impl FnOnce() -> F + Send + 'static) -> Result<(), Failure>
where
    F: std::future::Future<Output = Result<(), Failure>>,
{
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure {
                log: format!("cannot start a runtime: {e}"),
                vietnamese: "Không khởi động được tiến trình gửi thư.".to_string(),
            })?;
        runtime.block_on(work())
    })
    .join()
    .unwrap_or_else(|_| {
        Err(Failure {
            log: "the mail task stopped unexpectedly".to_string(),
            vietnamese: "Việc gửi thư dừng bất thường.".to_string(),
        })
    })
}

/// `check`, from code that is not async.
pub fn check_blocking(settings: &Settings) -> Result<(), Failure> {
    let settings = settings.clone();
    on_own_runtime(move || async move { check(&settings).await })
}

/// Sends a test message to `to` now, without the outbox (`trangtin mail test`).
pub fn send_test_blocking(settings: &Settings, to: &str, origin: &str) -> Result<(), Failure> {
    let to = super::checked_address(to).map_err(|_| Failure {
        log: format!("{to:?} is not an e-mail address"),
        vietnamese: "Địa chỉ thư điện tử không hợp lệ.".to_string(),
    })?;
    let now = jiff::Timestamp::now();
    let text = format!(
        "Đây là thư thử của trang thông tin điện tử {origin}.\n\nNếu anh/chị nhận được thư này, máy chủ thư đã được cấu hình đúng."
    );
    let mail = super::outbox::Mail {
        id: 0,
        to,
        to_name: String::new(),
        subject: "Thư thử từ trang thông tin điện tử".to_string(),
        html: super::compose::html_of(&text),
        text,
        kind: super::outbox::Kind::Test,
        unsubscribe: None,
        about: None,
        digest_for: None,
        created: now,
        status: super::outbox::Status::Waiting,
        attempts: 0,
        next_attempt: now,
        last_error: None,
        sent: None,
    };
    let message = super::compose::message(settings, &mail, origin).map_err(|why| Failure {
        log: why,
        vietnamese: "Không viết được thư thử.".to_string(),
    })?;
    let settings = settings.clone();
    on_own_runtime(move || async move {
        let transport = transport(&settings)?;
        send(&transport, &settings, message).await
    })
}

fn failure(settings: &Settings, e: &lettre::transport::smtp::Error) -> Failure {
    let code = e.status().map(|c| c.to_string());
    // A certificate rustls refused arrives as a connection error: read the causes.
    let mut causes = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        causes.push_str(": ");
        causes.push_str(&cause.to_string());
        source = cause.source();
    }
    let certificate = causes.to_ascii_lowercase().contains("certificate");
    let vietnamese = if e.is_tls() || certificate {
        "Không thiết lập được kết nối mã hóa (TLS) với máy chủ thư: chứng chỉ không hợp lệ hoặc máy chủ không hỗ trợ.".to_string()
    } else if e.is_timeout() {
        "Máy chủ thư không trả lời kịp.".to_string()
    } else if code.as_deref() == Some("535") || code.as_deref() == Some("534") {
        "Máy chủ thư từ chối đăng nhập: sai tài khoản hoặc mật khẩu.".to_string()
    } else if e.is_permanent() {
        format!("Máy chủ thư từ chối thư (mã {}).", code.unwrap_or_default())
    } else if e.is_transient() {
        format!(
            "Máy chủ thư tạm thời chưa nhận thư (mã {}).",
            code.unwrap_or_default()
        )
    } else {
        format!(
            "Không kết nối được tới máy chủ thư {}:{}.",
            settings.host, settings.port
        )
    };
    Failure {
        log: format!("relay {}:{}: {causes}", settings.host, settings.port),
        vietnamese,
    }
}
