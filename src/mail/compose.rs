//! How a message from the outbox looks on the wire: Vietnamese plain text and HTML,
//! a stable `Message-ID` per outbox row (a retry after a lost answer is the same
//! message), `Auto-Submitted: auto-generated`, and `List-Unsubscribe` where the
//! person can stop it.

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, Message};

use super::Settings;
use super::outbox::Mail;

#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_string())
    }
}

#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// The message for `mail`, or why it cannot be written (an address the relay would
/// refuse anyway: it stays in the outbox, failed, for an administrator to see).
pub fn message(settings: &Settings, mail: &Mail, origin: &str) -> Result<Message, String> {
    let from: Mailbox = settings
        .from
        .parse()
        .map_err(|_| format!("mail.from {:?} is not an address", settings.from))?;
    let to: Address = mail
        .to
        .parse()
        .map_err(|_| format!("{:?} is not an address", mail.to))?;
    let name = Some(mail.to_name.clone()).filter(|n| !n.is_empty() && super::header_safe(n));
    let domain = from.email.domain().to_string();
    let mut builder = Message::builder()
        .from(from)
        .to(Mailbox::new(name, to))
        .subject(mail.subject.replace(['\r', '\n'], " "))
        .message_id(Some(format!(
            "<trangtin.{}.{}@{domain}>",
            mail.id,
            mail.created.as_second()
        )))
        .date(
            std::time::UNIX_EPOCH
                + std::time::Duration::from_secs(
                    u64::try_from(mail.created.as_second()).unwrap_or(0),
                ),
        )
        .header(AutoSubmitted);
    if let Some(reply_to) = &settings.reply_to
        && let Ok(reply_to) = reply_to.parse::<Mailbox>()
    {
        builder = builder.reply_to(reply_to);
    }
    if let Some(url) = &mail.unsubscribe {
        builder = builder.header(ListUnsubscribe(super::with_origin(url, origin)));
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            super::with_origin(&mail.text, origin),
            super::with_origin(&mail.html, origin),
        ))
        .map_err(|e| e.to_string())
}

/// HTML for a plain-text body: escaped, paragraphs at blank lines, links clickable.
pub fn html_of(text: &str) -> String {
    let mut out = String::from(
        "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"></head><body style=\"font-family:sans-serif;line-height:1.5\">",
    );
    for paragraph in text.split("\n\n") {
        out.push_str("<p>");
        let lines: Vec<String> = paragraph
            .lines()
            .map(|line| {
                let escaped = crate::content::sanitize::escape(line);
                match escaped.find("https://") {
                    Some(at) => {
                        let url = escaped[at..].split_whitespace().next().unwrap_or("");
                        escaped.replacen(url, &format!("<a href=\"{url}\">{url}</a>"), 1)
                    }
                    None => escaped,
                }
            })
            .collect();
        out.push_str(&lines.join("<br>"));
        out.push_str("</p>");
    }
    out.push_str("</body></html>");
    out
}
