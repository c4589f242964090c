//! What citizens send the agency through the public site (Art. 5.3 and 9.2 of the
//! regulation): feedback on the site and requests to reuse its information. Each is
//! routed to the Editorial Board, which marks it handled; the sender's personal data
//! (name, email, organisation) is never shown publicly and is erased on request.

pub mod comments;
pub mod questions;
pub mod retention;
pub mod spam;

use jiff::Timestamp;
use redb::WriteTransaction;
use serde::{Deserialize, Serialize};

use crate::audit::{self, Event};
use crate::store::{self, Tx};
use crate::workflow::Actor;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// "Góp ý": feedback on the site or its information.
    Feedback,
    /// "Đề nghị tái sử dụng thông tin": permission to reuse the site's information.
    Reuse,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Feedback => "Góp ý",
            Kind::Reuse => "Đề nghị tái sử dụng thông tin",
        }
    }

    /// The prefix of the reference number the sender is given.
    fn prefix(self) -> &'static str {
        match self {
            Kind::Feedback => "GY",
            Kind::Reuse => "TSD",
        }
    }
}

/// What a sender typed, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sent {
    pub kind: Kind,
    pub name: String,
    pub email: String,
    /// Reuse requests: the organisation asking.
    #[serde(default)]
    pub organisation: String,
    pub subject: String,
    pub text: String,
    /// Feedback about a page: its path on this site.
    #[serde(default)]
    pub page: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handled {
    pub by: String,
    pub by_name: String,
    pub at: Timestamp,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub seq: u64,
    pub at: Timestamp,
    #[serde(flatten)]
    pub sent: Sent,
    #[serde(default)]
    pub handled: Option<Handled>,
    /// When the sender's name, email and organisation were erased.
    #[serde(default)]
    pub erased_at: Option<Timestamp>,
}

impl Message {
    /// Clears what identifies the sender; the content stays for the record.
    pub fn forget_sender(&mut self, now: Timestamp) {
        self.sent.name.clear();
        self.sent.email.clear();
        self.sent.organisation.clear();
        self.erased_at = Some(now);
    }

    /// The number the sender quotes: `GY-000012`, `TSD-000003`.
    pub fn reference(&self) -> String {
        format!("{}-{:06}", self.sent.kind.prefix(), self.seq)
    }
}

/// A field the sender must correct, with the message shown beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub message: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("no such message")]
    NoSuchMessage,
    #[error("a note saying what was done is required")]
    NoteRequired,
}

const MAX_TEXT: usize = 5_000;
const MAX_LINE: usize = 200;

fn one_line(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .nfc()
        .collect()
}

/// Checks and normalizes (NFC, trimmed) what a sender typed.
pub fn check(mut sent: Sent) -> Result<Sent, Vec<Invalid>> {
    use unicode_normalization::UnicodeNormalization;
    let mut invalid = Vec::new();
    sent.name = one_line(&sent.name);
    sent.email = sent.email.trim().to_string();
    sent.organisation = one_line(&sent.organisation);
    sent.subject = one_line(&sent.subject);
    sent.text = sent.text.trim().replace("\r\n", "\n").nfc().collect();
    sent.page = sent.page.trim().to_string();
    if sent.name.is_empty() {
        invalid.push(Invalid {
            field: "name",
            message: "Vui lòng nhập họ và tên.",
        });
    }
    let email_ok = {
        let e = &sent.email;
        e.len() <= MAX_LINE
            && !e.contains(char::is_whitespace)
            // One mailbox, nothing a mail header could be written with.
            && crate::mail::checked_address(e).is_ok()
            && e.split_once('@').is_some_and(|(user, host)| {
                !user.is_empty()
                    && host.contains('.')
                    && !host.starts_with('.')
                    && !host.ends_with('.')
            })
    };
    if !email_ok {
        invalid.push(Invalid {
            field: "email",
            message: "Địa chỉ thư điện tử chưa đúng (ví dụ: ten@example.vn).",
        });
    }
    if sent.kind == Kind::Reuse && sent.organisation.is_empty() {
        invalid.push(Invalid {
            field: "organisation",
            message: "Vui lòng nhập tên cơ quan, tổ chức (hoặc “Cá nhân”).",
        });
    }
    if sent.subject.is_empty() {
        invalid.push(Invalid {
            field: "subject",
            message: "Vui lòng nhập tiêu đề.",
        });
    }
    if sent.text.chars().count() < 10 {
        invalid.push(Invalid {
            field: "text",
            message: "Nội dung quá ngắn (ít nhất 10 ký tự).",
        });
    }
    if sent.text.chars().count() > MAX_TEXT {
        invalid.push(Invalid {
            field: "text",
            message: "Nội dung dài quá 5.000 ký tự.",
        });
    }
    for (field, value) in [
        ("name", &sent.name),
        ("organisation", &sent.organisation),
        ("subject", &sent.subject),
    ] {
        if value.chars().count() > MAX_LINE {
            invalid.push(Invalid {
                field,
                message: "Dài quá 200 ký tự.",
            });
        }
    }
    // Only a path on this site is kept; anything else could be a link elsewhere.
    if !crate::paths::is_local_path(&sent.page) {
        sent.page.clear();
    }
    if invalid.is_empty() {
        Ok(sent)
    } else {
        Err(invalid)
    }
}

/// Stores a checked message and returns it with its number.
pub fn submit(tx: &WriteTransaction, sent: Sent, now: Timestamp) -> Result<Message, Error> {
    let seq = store::next_id(tx, "messages")?;
    let message = Message {
        seq,
        at: now,
        sent,
        handled: None,
        erased_at: None,
    };
    tables::MESSAGES.insert(tx, seq, &message)?;
    Ok(message)
}

/// Every message, newest first.
pub fn all(tx: &impl Tx) -> Result<Vec<Message>, Error> {
    let mut out = tables::MESSAGES.values(tx)?;
    out.sort_by_key(|m| std::cmp::Reverse(m.seq));
    Ok(out)
}

/// How many wait for the Board.
pub fn waiting(tx: &impl Tx) -> Result<usize, Error> {
    Ok(all(tx)?.iter().filter(|m| m.handled.is_none()).count())
}

/// Marks a message handled, with a note of what was done, and records it.
pub fn mark_handled(
    tx: &WriteTransaction,
    by: &Actor,
    seq: u64,
    note: &str,
    now: Timestamp,
) -> Result<Message, Error> {
    let note = note.trim();
    if note.is_empty() {
        return Err(Error::NoteRequired);
    }
    let mut message = tables::MESSAGES.get(tx, seq)?.ok_or(Error::NoSuchMessage)?;
    message.handled = Some(Handled {
        by: by.login.clone(),
        by_name: by.name.clone(),
        at: now,
        note: note.to_string(),
    });
    tables::MESSAGES.insert(tx, seq, &message)?;
    let event = Event::new(&by.login, "message_handled", message.reference());
    audit::append(tx, event, now)?;
    Ok(message)
}

/// Erases the sender's name, email and organisation (on their request, or when the
/// matter is closed), and records it; the content stays for the record.
pub fn erase_personal_data(
    tx: &WriteTransaction,
    by: &Actor,
    seq: u64,
    now: Timestamp,
) -> Result<Message, Error> {
    let mut message = tables::MESSAGES.get(tx, seq)?.ok_or(Error::NoSuchMessage)?;
    message.forget_sender(now);
    tables::MESSAGES.insert(tx, seq, &message)?;
    let event = Event::new(
        &by.login,
        "message_personal_data_erased",
        message.reference(),
    );
    audit::append(tx, event, now)?;
    Ok(message)
}

/// What citizens send.
pub mod tables {
    use crate::store::Table;

    /// What citizens sent (feedback, reuse requests) by number.
    pub const MESSAGES: Table<u64, super::Message> = Table::new("messages_v1");
    /// Citizens' questions (Hỏi – đáp) by number.
    pub const QUESTIONS: Table<u64, super::questions::Question> = Table::new("questions_v1");
    /// Comments on drafts open for consultation, by number.
    pub const COMMENTS: Table<u64, super::comments::Comment> = Table::new("comments_v1");
}

/// Feedback and reuse requests not yet handled, for the Board.
pub fn waiting_for(
    tx: &impl Tx,
    actor: &crate::workflow::Actor,
) -> Result<Vec<crate::inbox::Waiting>, store::Error> {
    use crate::workflow::Role;
    if !(actor.has(Role::BoardHead) || actor.has(Role::BoardMember)) {
        return Ok(Vec::new());
    }
    Ok(tables::MESSAGES
        .values(tx)?
        .into_iter()
        .filter(|m| m.handled.is_none())
        .map(|m| {
            crate::inbox::Waiting::new(
                "/quan-tri/y-kien",
                if m.sent.kind == Kind::Reuse {
                    "Đề nghị sử dụng lại thông tin chờ xử lý"
                } else {
                    "Ý kiến, phản ánh chờ xử lý"
                },
                format!("Thư số {}", m.seq),
                "/quan-tri/y-kien".to_string(),
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent() -> Sent {
        Sent {
            kind: Kind::Feedback,
            name: "  Nguyễn   Văn An ".into(),
            email: "an@example.vn".into(),
            organisation: String::new(),
            subject: "Liên kết hỏng".into(),
            text: "Trang thủ tục có liên kết không mở được.".into(),
            page: "/thu-tuc".into(),
        }
    }

    #[test]
    fn input_is_normalized_and_checked() {
        let ok = check(sent()).unwrap();
        assert_eq!(ok.name, "Nguyễn Văn An");
        let mut bad = sent();
        bad.email = "an@".into();
        bad.text = "ngắn".into();
        bad.page = "https://evil.example/".into();
        let fields: Vec<_> = check(bad).unwrap_err().iter().map(|i| i.field).collect();
        assert_eq!(fields, ["email", "text"]);
        let mut reuse = sent();
        reuse.kind = Kind::Reuse;
        assert_eq!(check(reuse).unwrap_err()[0].field, "organisation");
    }
}
