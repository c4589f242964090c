//! Mail through a real SMTP relay on loopback: Debian's aiosmtpd
//! (`tests/fixtures/smtp/sink.py`) with STARTTLS on a test certificate, writing every
//! message it accepts to a folder. Editors hear of waiting work (at once or in a
//! digest), citizens only with their consent, administrators of failures; a relay that
//! is down loses nothing and sends nothing twice, even across `kill -9`.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use trangtin::auth::MailChoice;
use trangtin::mail::{Security, Settings};

use crate::admin::{article, entry_id, step};
use crate::citizen::{send, solve};
use crate::support::{TestServer, missing_tool};

const SINK: &str = "tests/fixtures/smtp/sink.py";

/// The relay: a child process, killed when dropped.
struct Sink {
    child: Child,
    port: u16,
    out: PathBuf,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sink_available(test: &str) -> bool {
    let ok = Command::new("/usr/bin/python3")
        .args(["-c", "import aiosmtpd"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        missing_tool(test, "python3-aiosmtpd", "apt-get install python3-aiosmtpd");
    }
    ok
}

/// A certificate for `localhost` and its key, in `dir`.
fn test_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let made =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let (cert, key) = (dir.join("relay.crt"), dir.join("relay.key"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    (cert, key)
}

fn start_sink(dir: &Path, port: u16, extra: &[&str]) -> Sink {
    let (cert, key) = (dir.join("relay.crt"), dir.join("relay.key"));
    let out = dir.join("received");
    let mut child = Command::new("/usr/bin/python3")
        .arg(SINK)
        .args(["--port", &port.to_string()])
        .arg("--cert")
        .arg(&cert)
        .arg("--key")
        .arg(&key)
        .arg("--out")
        .arg(&out)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the SMTP sink");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("READY ")
        .unwrap_or_else(|| panic!("the sink did not start: {line:?}"))
        .parse()
        .unwrap();
    Sink { child, port, out }
}

fn settings(port: u16, cert: &Path) -> Settings {
    Settings {
        host: "localhost".into(),
        port,
        security: Security::Starttls,
        user: String::new(),
        password_file: None,
        from: "Cổng thông tin Sở KH&CN <noreply@skhcn.test>".into(),
        reply_to: Some("vanthu@skhcn.test".into()),
        ca_file: Some(cert.to_path_buf()),
        digest_at: jiff::civil::time(7, 30, 0, 0),
        retry_after: Duration::from_secs(1),
        give_up_after: Duration::from_secs(48 * 3600),
    }
}

/// Every message the sink took, as text, in order.
fn received(out: &Path) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(out) else {
        return Vec::new();
    };
    let mut names: Vec<PathBuf> = dir
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
        .collect()
}

/// Waits until the sink holds at least `count` messages; returns them.
async fn wait_for(out: &Path, count: usize, what: &str) -> Vec<String> {
    for _ in 0..300 {
        let got = received(out);
        if got.len() >= count {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: the relay got {} of {count}", received(out).len());
}

/// The decoded text of a message (quoted-printable or base64 parts joined).
fn text_of(message: &str) -> String {
    let mut out = String::new();
    for part in message.split("\r\n\r\n").skip(1) {
        let body = part.split("\r\n--").next().unwrap_or("");
        let compact: String = body.split_whitespace().collect();
        if let Ok(bytes) = base64_decode(&compact) {
            out.push_str(&String::from_utf8_lossy(&bytes));
        } else {
            out.push_str(&body.replace("=\r\n", ""));
        }
        out.push('\n');
    }
    out
}

fn base64_decode(text: &str) -> Result<Vec<u8>, ()> {
    const TABLE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if text.is_empty() || !text.len().is_multiple_of(4) {
        return Err(());
    }
    let mut out = Vec::new();
    for chunk in text.as_bytes().chunks(4) {
        let mut n: u32 = 0;
        let mut pad = 0;
        for &c in chunk {
            n <<= 6;
            if c == b'=' {
                pad += 1;
            } else {
                n |= TABLE.iter().position(|&t| t == c).ok_or(())? as u32;
            }
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Ok(out)
}

fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    let head = message.split("\r\n\r\n").next()?;
    head.lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        })
        .map(|l| l[name.len() + 1..].trim())
}

async fn set_mail(server: &TestServer, login: &str, email: &str, choice: MailChoice) {
    let id = server.user_id(login).await;
    let (email, now) = (email.to_string(), server.app.clock.now());
    server
        .app
        .store
        .write(move |tx| {
            trangtin::auth::set_mail(tx, trangtin::auth::UserId(id), &email, choice, now)
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn each_step_tells_who_acts_next_and_a_digest_groups_the_rest() {
    if !sink_available("each_step_tells_who_acts_next_and_a_digest_groups_the_rest") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cert, _) = test_certificate(dir.path());
    let sink = start_sink(dir.path(), 0, &[]);
    let relay = settings(sink.port, &cert);
    let server = TestServer::start_with(move |c| c.mail = Some(relay)).await;

    // A person sets their own address on "Thư thông báo"; a bad one is refused there.
    let head = server.login("truongban").await;
    let (status, page) = head.get("/quan-tri/thu-cua-toi").await;
    assert_eq!(status, 200);
    assert!(page.contains("Cách nhận thư"));
    let refused = head
        .post(
            "/quan-tri/thu-cua-toi",
            &[
                ("email", "truongban@skhcn.test\r\nBcc: x@evil.test"),
                ("cach", "immediate"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Địa chỉ thư điện tử không hợp lệ.")
    );
    head.post_ok(
        "/quan-tri/thu-cua-toi",
        &[("email", "truongban@skhcn.test"), ("cach", "immediate")],
    )
    .await;
    set_mail(
        &server,
        "xuatban",
        "xuatban@skhcn.test",
        MailChoice::Immediate,
    )
    .await;
    // The Board member wants one message a day.
    set_mail(&server, "bientap", "bientap@skhcn.test", MailChoice::Digest).await;
    set_mail(&server, "uyquyen", "uyquyen@skhcn.test", MailChoice::Off).await;

    let compiler = server.login("tonghop").await;
    let location = compiler
        .post_ok(
            "/quan-tri/bai-viet/moi",
            &article("Hội thảo khoa học về chuyển đổi số", "<p>Nội dung.</p>"),
        )
        .await;
    let id = entry_id(&location);
    step(&compiler, id, "submit", "").await;
    step(&compiler, id, "forward", "").await;
    // The Board head must approve: she hears of it at once.
    let got = wait_for(&sink.out, 1, "the approval request").await;
    let first = &got[0];
    assert!(first.contains("truongban@skhcn.test"), "{first}");
    let subject = header(first, "Subject").unwrap();
    assert!(
        !subject.contains("Hội thảo"),
        "no content in the subject: {subject}"
    );
    assert!(text_of(first).contains("Hội thảo khoa học về chuyển đổi số"));
    assert!(text_of(first).contains(&format!("/quan-tri/bai-viet/{id}")));
    assert_eq!(header(first, "Auto-Submitted"), Some("auto-generated"));
    assert!(header(first, "Message-ID").is_some() && header(first, "Date").is_some());

    step(&head, id, "approve", "").await;
    let got = wait_for(&sink.out, 2, "the publishing request").await;
    assert!(got[1].contains("xuatban@skhcn.test"), "{}", got[1]);
    step(&server.login("xuatban").await, id, "publish", "").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = received(&sink.out);
    assert!(
        !got.iter().any(|m| m.contains("uyquyen@skhcn.test")),
        "who chose no mail gets none"
    );
    assert!(
        !got.iter().any(|m| m.contains("bientap@skhcn.test")),
        "who chose the digest gets nothing at once"
    );

    // The next working day at 07:30 (Vietnam), one digest for the Board member.
    let queued = server
        .app
        .store
        .read(trangtin::mail::outbox::all)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.status == trangtin::mail::outbox::Status::Digest)
        .count();
    assert!(
        queued >= 1,
        "the Board member's messages wait for the digest"
    );
    let zone = trangtin::format::vietnam();
    let now = server.app.clock.now().to_zoned_datetime(zone.clone());
    let mut day = now.date().tomorrow().unwrap();
    while !server.app.config.calendar.is_working_day(day) {
        day = day.tomorrow().unwrap();
    }
    let at = day
        .at(7, 31, 0, 0)
        .to_zoned_datetime(zone)
        .unwrap()
        .timestamp();
    server
        .app
        .clock
        .advance(at.duration_since(server.app.clock.now()).as_secs());
    server.app.mail_wake.notify_one();
    let count_before = got.len();
    let got = wait_for(&sink.out, count_before + 1, "the digest").await;
    let digest = got.last().unwrap();
    assert!(digest.contains("bientap@skhcn.test"), "{digest}");
    assert!(
        header(digest, "Subject").unwrap().contains("=?utf-8?")
            || header(digest, "Subject").unwrap().contains("Tổng hợp"),
        "{digest}"
    );
    assert!(
        text_of(digest).contains(&format!("Bài số {id}")),
        "{}",
        text_of(digest)
    );
    // Only one digest, and it replaced the held messages.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(received(&sink.out).len(), count_before + 1);
}

async fn ask(server: &TestServer, email: &str, mail: bool) -> String {
    let (_, html) = server.page("/hoi-dap/gui-cau-hoi").await;
    let (token, answer) = solve(&html);
    let mut fields = vec![
        ("name", "Lê Văn Cường"),
        ("email", email),
        ("topic", "Sở hữu trí tuệ"),
        ("text", "Hồ sơ đăng ký nhãn hiệu gồm những gì?"),
        ("consent", "1"),
        ("website", ""),
        ("challenge", token.as_str()),
        ("answer", answer.as_str()),
    ];
    if mail {
        fields.push(("mail", "1"));
    }
    let (status, page) = send(server, "/hoi-dap/gui-cau-hoi", &fields).await;
    assert!(status == 200 || status == 422, "{status}");
    page
}

#[tokio::test(flavor = "multi_thread")]
async fn a_citizen_hears_only_with_consent_can_stop_and_header_injection_is_refused() {
    if !sink_available("a_citizen_hears_only_with_consent_can_stop_and_header_injection_is_refused")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cert, _) = test_certificate(dir.path());
    let sink = start_sink(dir.path(), 0, &[]);
    let relay = settings(sink.port, &cert);
    let server = TestServer::start_with(move |c| {
        c.mail = Some(relay);
        c.forms.min_fill = Duration::ZERO;
    })
    .await;

    // Without consent: nothing.
    ask(&server, "khongdongy@example.vn", false).await;
    // An address that would write a header: refused at the form.
    let page = ask(&server, "a@example.vn\r\nBcc: all@example.vn", true).await;
    assert!(page.contains("Địa chỉ thư điện tử chưa đúng"), "refused");
    // With consent: the receipt, with the ticket and the deadline.
    let page = ask(&server, "cuong@example.vn", true).await;
    assert!(page.contains("Số tiếp nhận"));
    let got = wait_for(&sink.out, 1, "the receipt").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        received(&sink.out).len(),
        1,
        "one message: to the one who agreed"
    );
    let receipt = &got[0];
    assert!(receipt.contains("cuong@example.vn"));
    let subject = header(receipt, "Subject").unwrap();
    assert!(!subject.contains("nhãn hiệu"), "{subject}");
    let body = text_of(receipt);
    assert!(body.contains("HD-0000"), "{body}");
    assert!(body.contains("15 ngày làm việc"), "{body}");
    let unsubscribe = header(receipt, "List-Unsubscribe").expect("List-Unsubscribe");
    let link = unsubscribe.trim_matches(['<', '>']);
    let path = &link[link.find("/thu/ngung/").unwrap()..];

    // The Board closes it: the asker is told, with the reason.
    let board = server.login("truongban").await;
    let seq = server
        .app
        .store
        .read(trangtin::citizen::questions::all)
        .await
        .unwrap()
        .iter()
        .map(|(q, _)| q.seq)
        .max()
        .unwrap();
    board
        .post_ok(
            &format!("/quan-tri/hoi-dap/{seq}/dong"),
            &[("ly_do", "Câu hỏi trùng với câu hỏi đã trả lời.")],
        )
        .await;
    let got = wait_for(&sink.out, 2, "the closing notice").await;
    assert!(
        text_of(&got[1]).contains("Câu hỏi trùng"),
        "{}",
        text_of(&got[1])
    );

    // The link opens a page with a button; pressing it stops the mail.
    let (status, page) = server.page(path).await;
    assert_eq!(status, 200);
    assert!(page.contains("Ngừng nhận thư"));
    let stopped = server
        .client()
        .post(server.url(path))
        .header("origin", server.url(""))
        .send()
        .await
        .unwrap();
    assert_eq!(stopped.status(), 200);
    let consent = server
        .app
        .store
        .read(move |tx| trangtin::citizen::questions::get(tx, seq))
        .await
        .unwrap()
        .mail_consent;
    assert!(!consent);
    assert_eq!(
        server.page("/thu/ngung/khong-phai-ma-nao-ca-1234").await.0,
        404
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_relay_down_for_a_while_loses_nothing_and_sends_each_message_once() {
    if !sink_available("a_relay_down_for_a_while_loses_nothing_and_sends_each_message_once") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cert, _) = test_certificate(dir.path());
    let sink = start_sink(dir.path(), 0, &[]);
    let port = sink.port;
    drop(sink); // the relay goes down
    let relay = settings(port, &cert);
    let server = TestServer::start_with(move |c| c.mail = Some(relay)).await;
    set_mail(&server, "admin", "admin@skhcn.test", MailChoice::Immediate).await;
    for n in 1..=3 {
        server
            .app
            .alert_administrators("Thử cảnh báo", format!("Cảnh báo thử số {n}."))
            .await;
    }
    // Pages keep answering while the relay is down, and the outbox says why.
    let admin = server.login("admin").await;
    let mut shown = String::new();
    for _ in 0..100 {
        let (status, page) = admin.get("/quan-tri/thu-di").await;
        assert_eq!(status, 200);
        if page.contains("Không kết nối được tới máy chủ thư") {
            shown = page;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        !shown.is_empty(),
        "the outbox page names the failure in Vietnamese"
    );
    assert!(shown.contains("Đang chờ gửi"));

    // The relay comes back on the same port: each message arrives, once.
    let sink = start_sink(dir.path(), port, &[]);
    let got = wait_for(&sink.out, 3, "the queued alerts").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let got_after = received(&sink.out);
    assert_eq!(got_after.len(), 3, "nothing sent twice");
    let ids: std::collections::HashSet<&str> =
        got.iter().filter_map(|m| header(m, "Message-ID")).collect();
    assert_eq!(ids.len(), 3);
    for n in 1..=3 {
        assert!(
            got.iter()
                .any(|m| text_of(m).contains(&format!("Cảnh báo thử số {n}."))),
            "alert {n} arrived"
        );
    }

    // A relay that refuses the login: a clear reason, and the message kept.
    drop(sink);
    let refusing = start_sink(dir.path(), port, &["--refuse-auth"]);
    let _ = refusing.port;
    let password = dir.path().join("relay-password");
    std::fs::write(&password, "sai-mat-khau\n").unwrap();
    let mut with_login = settings(port, &cert);
    with_login.user = "trangtin".into();
    with_login.password_file = Some(password);
    let failure = trangtin::mail::relay::check_blocking(&with_login).unwrap_err();
    assert!(
        failure.vietnamese.contains("từ chối đăng nhập"),
        "{}",
        failure.vietnamese
    );
    // A certificate the server does not trust: a TLS failure, named as such.
    let mut untrusted = settings(port, &cert);
    untrusted.ca_file = None;
    let failure = trangtin::mail::relay::check_blocking(&untrusted).unwrap_err();
    assert!(failure.vietnamese.contains("TLS"), "{}", failure.vietnamese);
}

#[test]
fn kill_9_with_mail_queued_then_a_restart_sends_each_message_once() {
    if !sink_available("kill_9_with_mail_queued_then_a_restart_sends_each_message_once") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cert, _) = test_certificate(dir.path());
    // Find a free port for the relay, then keep it down.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data = dir.path().join("data");
    let config = dir.path().join("trangtin.toml");
    std::fs::write(
        &config,
        format!(
            "data = {data:?}\n\n[listen]\nhttps = \"127.0.0.1:0\"\nhttp = \"off\"\n\n[mail]\nhost = \"localhost\"\nport = {port}\nsecurity = \"starttls\"\nfrom = \"Cổng thông tin <noreply@skhcn.test>\"\nca_file = {cert:?}\nretry_seconds = 1\n"
        ),
    )
    .unwrap();
    // Three messages written into the outbox of the data folder.
    {
        let parsed = trangtin::config::Config::load(&trangtin::config::Overrides {
            config: Some(config.clone()),
            ..Default::default()
        })
        .unwrap();
        let app = trangtin::app::App::open(parsed).unwrap();
        let now = app.clock.now();
        app.store
            .write_blocking(|tx| -> Result<(), trangtin::store::Error> {
                for n in 1..=3 {
                    trangtin::mail::outbox::enqueue(
                        tx,
                        trangtin::mail::outbox::Letter {
                            to: format!("nguoinhan{n}@skhcn.test"),
                            to_name: String::new(),
                            subject: format!("Thư số {n}"),
                            text: format!("Nội dung thư số {n}."),
                            html: format!("<p>Nội dung thư số {n}.</p>"),
                            kind: trangtin::mail::outbox::Kind::Alert,
                            unsubscribe: None,
                            about: None,
                            digest_for: None,
                        },
                        now,
                    )?;
                }
                Ok(())
            })
            .unwrap();
    }
    let start = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_trangtin"))
            .arg("--config")
            .arg(&config)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(stdout).lines();
        loop {
            let line = lines.next().expect("the server logs").unwrap();
            if line.contains("listening on https://") {
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        child
    };
    // The relay is down: the server tries, fails, and is killed.
    let mut first = start();
    std::thread::sleep(Duration::from_secs(2));
    Command::new("kill")
        .args(["-9", &first.id().to_string()])
        .status()
        .unwrap();
    let _ = first.wait();
    // The relay is up and the server starts again: each message once.
    let sink = start_sink(dir.path(), port, &[]);
    let mut second = start();
    let mut got = Vec::new();
    for _ in 0..300 {
        got = received(&sink.out);
        if got.len() >= 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(3));
    let _ = second.kill();
    let _ = second.wait();
    let got_after = received(&sink.out);
    assert_eq!(got_after.len(), 3, "each message once: {}", got.len());
    for n in 1..=3 {
        assert!(
            got_after
                .iter()
                .any(|m| m.contains(&format!("nguoinhan{n}@skhcn.test")))
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_commenter_who_agreed_hears_of_the_receipt_and_the_boards_decision() {
    if !sink_available("a_commenter_who_agreed_hears_of_the_receipt_and_the_boards_decision") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cert, _) = test_certificate(dir.path());
    let sink = start_sink(dir.path(), 0, &[]);
    let relay = settings(sink.port, &cert);
    let server = TestServer::start_with(move |c| {
        c.mail = Some(relay);
        c.forms.min_fill = Duration::ZERO;
    })
    .await;
    crate::consultation::draft(&server, "du-thao-thu", -1, 10).await;
    let (_, form) = server.page("/gop-y").await;
    let (token, answer) = solve(&form);
    let fields = [
        ("name", "Phạm Thị Dung"),
        ("email", "dung@example.vn"),
        ("text", "Đề nghị bổ sung quy định về chuyển giao công nghệ."),
        ("consent", "1"),
        ("mail", "1"),
        ("website", ""),
        ("challenge", token.as_str()),
        ("answer", answer.as_str()),
    ];
    let (status, _) = send(&server, "/lay-y-kien/du-thao-thu/gop-y", &fields).await;
    assert_eq!(status, 200);
    let got = wait_for(&sink.out, 1, "the receipt of the comment").await;
    assert!(got[0].contains("dung@example.vn"));
    assert!(
        text_of(&got[0]).contains("Dự thảo thử du-thao-thu"),
        "{}",
        text_of(&got[0])
    );
    assert!(header(&got[0], "List-Unsubscribe").is_some());
    let board = server.login("truongban").await;
    board.post_ok("/quan-tri/y-kien-du-thao/1/duyet", &[]).await;
    let got = wait_for(&sink.out, 2, "the decision").await;
    assert!(
        text_of(&got[1]).contains("đã được đăng"),
        "{}",
        text_of(&got[1])
    );
}

#[test]
fn mail_test_from_the_command_line_sends_now_or_says_why_not() {
    if !sink_available("mail_test_from_the_command_line_sends_now_or_says_why_not") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cert, _) = test_certificate(dir.path());
    let sink = start_sink(dir.path(), 0, &[]);
    let config = dir.path().join("trangtin.toml");
    let write = |port: u16| {
        std::fs::write(
            &config,
            format!(
                "data = {:?}\n\n[mail]\nhost = \"localhost\"\nport = {port}\nfrom = \"Cổng thông tin <noreply@skhcn.test>\"\nca_file = {cert:?}\n",
                dir.path().join("data")
            ),
        )
        .unwrap();
    };
    write(sink.port);
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_trangtin"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .output()
            .unwrap()
    };
    let sent = run(&["mail", "test", "vanthu@skhcn.test"]);
    assert!(sent.status.success(), "{sent:?}");
    assert_eq!(received(&sink.out).len(), 1);
    assert!(received(&sink.out)[0].contains("vanthu@skhcn.test"));
    let bad = run(&["mail", "test", "khong-phai-dia-chi"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not an e-mail address"));
    // The relay down: exit 1 with the reason.
    let port = sink.port;
    drop(sink);
    write(port);
    let down = run(&["mail", "test", "vanthu@skhcn.test"]);
    assert!(!down.status.success());
    assert!(
        String::from_utf8_lossy(&down.stderr).contains("not sent"),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
}
