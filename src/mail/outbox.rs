//! The durable outbox: every message waits here, written in the transaction of the
//! event that causes it, until the relay takes it. A message that keeps failing is set
//! aside, shown to administrators ("Thư đi") and can be sent again. The table is in
//! the registry, so backups carry it.

use jiff::{SignedDuration, Timestamp};
use redb::WriteTransaction;
use serde::{Deserialize, Serialize};

use crate::store::{self, Table, Tx};

pub const OUTBOX: Table<u64, Mail> = Table::new("outbox_v1");

/// Sent messages are kept this long (for the administrators' page), then dropped.
const KEEP_SENT_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// To an editor: something waits for them.
    Work,
    /// An editor's daily digest.
    Digest,
    /// To a citizen, with their consent.
    Citizen,
    /// To administrators: something went wrong.
    Alert,
    /// `trangtin mail test`.
    Test,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Work => "Việc chờ xử lý",
            Kind::Digest => "Tổng hợp hằng ngày",
            Kind::Citizen => "Gửi người dân",
            Kind::Alert => "Cảnh báo quản trị",
            Kind::Test => "Thư thử",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for (another) attempt.
    Waiting,
    /// Held for the recipient's daily digest.
    Digest,
    Sent,
    /// Set aside after failing too long; an administrator may send it again.
    Failed,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Waiting => "Đang chờ gửi",
            Status::Digest => "Chờ thư tổng hợp",
            Status::Sent => "Đã gửi",
            Status::Failed => "Gửi không được",
        }
    }
}

/// A message to write into the outbox.
#[derive(Debug, Clone)]
pub struct Letter {
    pub to: String,
    pub to_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub kind: Kind,
    /// An address that stops this kind of mail (`List-Unsubscribe`).
    pub unsubscribe: Option<String>,
    /// What the message is about (`question:12`), so erasing it erases its mail.
    pub about: Option<String>,
    /// Held for this user's daily digest instead of sent now.
    pub digest_for: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mail {
    pub id: u64,
    pub to: String,
    #[serde(default)]
    pub to_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub kind: Kind,
    #[serde(default)]
    pub unsubscribe: Option<String>,
    #[serde(default)]
    pub about: Option<String>,
    #[serde(default)]
    pub digest_for: Option<u64>,
    pub created: Timestamp,
    pub status: Status,
    pub attempts: u32,
    pub next_attempt: Timestamp,
    /// The last failure, in Vietnamese, for the administrators' page.
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub sent: Option<Timestamp>,
}

/// Writes `letter` into the outbox, in the caller's transaction.
pub fn enqueue(tx: &WriteTransaction, letter: Letter, now: Timestamp) -> Result<u64, store::Error> {
    let id = store::next_id(tx, "outbox")?;
    let mail = Mail {
        id,
        status: if letter.digest_for.is_some() {
            Status::Digest
        } else {
            Status::Waiting
        },
        to: letter.to,
        to_name: letter.to_name,
        subject: letter.subject,
        text: letter.text,
        html: letter.html,
        kind: letter.kind,
        unsubscribe: letter.unsubscribe,
        about: letter.about,
        digest_for: letter.digest_for,
        created: now,
        attempts: 0,
        next_attempt: now,
        last_error: None,
        sent: None,
    };
    OUTBOX.insert(tx, id, &mail)?;
    Ok(id)
}

/// Messages due for an attempt at `now`, oldest first.
pub fn due(tx: &impl Tx, now: Timestamp) -> Result<Vec<Mail>, store::Error> {
    Ok(OUTBOX
        .values(tx)?
        .into_iter()
        .filter(|m| m.status == Status::Waiting && m.next_attempt <= now)
        .collect())
}

/// Every message not yet sent, and the sent ones still kept; newest first.
pub fn all(tx: &impl Tx) -> Result<Vec<Mail>, store::Error> {
    let mut all = OUTBOX.values(tx)?;
    all.reverse();
    Ok(all)
}

/// The relay took message `id`.
pub fn mark_sent(tx: &WriteTransaction, id: u64, now: Timestamp) -> Result<(), store::Error> {
    if let Some(mut mail) = OUTBOX.get(tx, id)? {
        mail.status = Status::Sent;
        mail.sent = Some(now);
        mail.attempts += 1;
        mail.last_error = None;
        OUTBOX.insert(tx, id, &mail)?;
    }
    Ok(())
}

/// An attempt failed: wait longer each time (doubling from `retry_after`, at most an
/// hour), and set the message aside once it has failed for `give_up_after`.
pub fn mark_failed(
    tx: &WriteTransaction,
    id: u64,
    error: &str,
    now: Timestamp,
    retry_after: std::time::Duration,
    give_up_after: std::time::Duration,
) -> Result<(), store::Error> {
    let Some(mut mail) = OUTBOX.get(tx, id)? else {
        return Ok(());
    };
    mail.attempts += 1;
    mail.last_error = Some(error.to_string());
    let first = SignedDuration::try_from(retry_after).unwrap_or(SignedDuration::from_secs(60));
    let wait = first
        .checked_mul(1 << mail.attempts.saturating_sub(1).min(12))
        .unwrap_or(SignedDuration::from_hours(1))
        .min(SignedDuration::from_hours(1));
    let give_up = SignedDuration::try_from(give_up_after).unwrap_or(SignedDuration::from_hours(48));
    if now.duration_since(mail.created) >= give_up {
        mail.status = Status::Failed;
    } else {
        mail.next_attempt = now.checked_add(wait).unwrap_or(now);
    }
    OUTBOX.insert(tx, id, &mail)?;
    Ok(())
}

/// An administrator sends a set-aside message again: it waits for the next attempt,
/// with its age counted from now.
pub fn retry(tx: &WriteTransaction, id: u64, now: Timestamp) -> Result<bool, store::Error> {
    let Some(mut mail) = OUTBOX.get(tx, id)? else {
        return Ok(false);
    };
    if mail.status != Status::Failed {
        return Ok(false);
    }
    mail.status = Status::Waiting;
    mail.created = now;
    mail.next_attempt = now;
    OUTBOX.insert(tx, id, &mail)?;
    Ok(true)
}

/// Drops every unsent message about `about` (a question erased, a citizen who
/// unsubscribed). Returns how many.
pub fn forget(tx: &WriteTransaction, about: &str) -> Result<usize, store::Error> {
    let mut dropped = 0;
    for mail in OUTBOX.values(tx)? {
        if mail.about.as_deref() == Some(about) {
            OUTBOX.remove(tx, mail.id)?;
            dropped += 1;
        }
    }
    Ok(dropped)
}

/// Drops sent messages older than the keeping time.
pub fn prune(tx: &WriteTransaction, now: Timestamp) -> Result<usize, store::Error> {
    let cutoff = now
        .checked_sub(SignedDuration::from_hours(24 * KEEP_SENT_DAYS))
        .unwrap_or(now);
    let mut dropped = 0;
    for mail in OUTBOX.values(tx)? {
        if mail.status == Status::Sent && mail.sent.is_some_and(|s| s < cutoff) {
            OUTBOX.remove(tx, mail.id)?;
            dropped += 1;
        }
    }
    Ok(dropped)
}
