//! Comments on drafts open for consultation (C8): sent through the public form while
//! the draft's window (its `opens` and `closes` dates) is open, and shown on its page
//! only after a moderator approves them. The commenter's email is never shown; their
//! name only if they ask for it.

use jiff::Timestamp;
use jiff::civil::Date;
use redb::WriteTransaction;
use serde::{Deserialize, Serialize};

use crate::audit::{self, Event};
use crate::content::Published;
use crate::store::{self, Tx};
use crate::workflow::Actor;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Moderation {
    Pending,
    Approved {
        moderated_by: String,
        moderated_at: Timestamp,
    },
    Rejected {
        moderated_by: String,
        moderated_at: Timestamp,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub seq: u64,
    pub entry: u64,
    pub at: Timestamp,
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub organisation: String,
    pub text: String,
    /// Shown as "Người góp ý" unless the commenter chose to show their name.
    pub show_name: bool,
    #[serde(flatten)]
    pub moderation: Moderation,
    /// The commenter agreed to be told by mail (receipt, the Board's decision).
    #[serde(default)]
    pub mail_consent: bool,
    /// The secret in their "stop these messages" link.
    #[serde(default)]
    pub mail_token: String,
}

impl Comment {
    /// Clears what identifies the commenter; the comment stays, shown as "Người góp ý"
    /// if it was approved.
    pub fn forget_commenter(&mut self) {
        self.name.clear();
        self.email.clear();
        self.organisation.clear();
        self.show_name = false;
        self.mail_consent = false;
    }

    /// Whether anything identifying the commenter is still kept.
    pub fn holds_personal_data(&self) -> bool {
        !self.name.is_empty() || !self.email.is_empty() || !self.organisation.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("no such comment")]
    NoSuchComment,
    #[error("no such draft open for comment")]
    NoSuchDraft,
    #[error("commenting is not open")]
    NotOpen,
    #[error("a reason is required")]
    ReasonRequired,
}

/// Where a draft's window stands on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    NotYet,
    Open,
    Closed,
}

pub fn window(draft: &Published, today: Date) -> Window {
    let date = |key: &str| {
        draft
            .revision
            .fields
            .record
            .get(key)
            .and_then(|v| v.parse::<Date>().ok())
    };
    match (date("opens"), date("closes")) {
        (Some(opens), _) if today < opens => Window::NotYet,
        (_, Some(closes)) if today > closes => Window::Closed,
        (Some(_), Some(_)) => Window::Open,
        _ => Window::Closed,
    }
}

pub struct Sent {
    pub name: String,
    pub email: String,
    pub organisation: String,
    pub text: String,
    pub show_name: bool,
    /// Ticked "tell me by mail".
    pub mail_consent: bool,
}

/// Stores a comment on the published draft at `slug`, if its window is open on `today`.
pub fn comment_on(
    tx: &WriteTransaction,
    slug: &str,
    sent: Sent,
    today: Date,
    now: Timestamp,
) -> Result<Comment, Error> {
    let draft = crate::content::find_published(tx, crate::content::Kind::Consultation, slug)
        .map_err(|e| match e {
            crate::content::Error::Store(e) => Error::Store(e),
            _ => Error::NoSuchDraft,
        })?
        .ok_or(Error::NoSuchDraft)?;
    submit(tx, &draft, sent, today, now)
}

/// Stores a comment on `draft` if its window is open on `today`.
pub fn submit(
    tx: &WriteTransaction,
    draft: &Published,
    sent: Sent,
    today: Date,
    now: Timestamp,
) -> Result<Comment, Error> {
    if window(draft, today) != Window::Open {
        return Err(Error::NotOpen);
    }
    let seq = store::next_id(tx, "comments")?;
    let comment = Comment {
        seq,
        entry: draft.entry.id.0,
        at: now,
        name: sent.name,
        email: sent.email,
        organisation: sent.organisation,
        text: sent.text,
        show_name: sent.show_name,
        moderation: Moderation::Pending,
        mail_consent: sent.mail_consent,
        mail_token: if sent.mail_consent {
            super::questions::new_key().map_err(|e| store::Error::Task(e.to_string()))?
        } else {
            String::new()
        },
    };
    super::tables::COMMENTS.insert(tx, seq, &comment)?;
    tell_commenter(
        tx,
        &comment,
        format!("Đã nhận ý kiến góp ý số {seq}"),
        format!(
            "Kính gửi {},\n\nCổng thông tin đã nhận ý kiến góp ý số {seq} của anh/chị về dự thảo “{}”. Ý kiến sẽ hiển thị dưới dự thảo sau khi Ban Biên tập duyệt.",
            comment.name, draft.revision.fields.title
        ),
        now,
    )?;
    Ok(comment)
}

/// A message to the commenter, if they agreed to mail.
fn tell_commenter(
    tx: &WriteTransaction,
    comment: &Comment,
    subject: String,
    text: String,
    now: Timestamp,
) -> Result<(), store::Error> {
    if !comment.mail_consent || comment.email.is_empty() {
        return Ok(());
    }
    crate::mail::notify::to_citizen(
        tx,
        crate::mail::notify::CitizenLetter {
            email: &comment.email,
            name: &comment.name,
            subject,
            text,
            about: format!("comment:{}", comment.seq),
            unsubscribe: format!(
                "{}/thu/ngung/{}",
                crate::mail::origin_placeholder(),
                comment.mail_token
            ),
        },
        now,
    )?;
    Ok(())
}

/// The commenter says "no more mail". Returns whether the link was theirs.
pub fn stop_mail(tx: &WriteTransaction, token: &str) -> Result<bool, store::Error> {
    for mut comment in super::tables::COMMENTS.values(tx)? {
        if !comment.mail_token.is_empty() && comment.mail_token == token {
            comment.mail_consent = false;
            super::tables::COMMENTS.insert(tx, comment.seq, &comment)?;
            crate::mail::outbox::forget(tx, &format!("comment:{}", comment.seq))?;
            return Ok(true);
        }
    }
    Ok(false)
}

/// Every comment, newest first, with the title and address of the draft it is on (the
/// draft's slug and no address when it is not published).
pub fn with_drafts(tx: &impl Tx) -> Result<Vec<(Comment, String, String)>, Error> {
    use crate::content::{self, EntryId};
    let mut rows = Vec::new();
    for c in all(tx)? {
        let on = EntryId(c.entry);
        let (title, url) = match content::published(tx, on).map_err(draft_error)? {
            Some(p) => (p.revision.fields.title.clone(), p.url()),
            None => match content::editorial::entry(tx, on) {
                Ok(e) => (e.slug, String::new()),
                Err(content::Error::NoSuchEntry(_)) => (String::new(), String::new()),
                Err(e) => return Err(draft_error(e)),
            },
        };
        rows.push((c, title, url));
    }
    Ok(rows)
}

fn draft_error(e: crate::content::Error) -> Error {
    match e {
        crate::content::Error::Store(e) => Error::Store(e),
        _ => Error::NoSuchDraft,
    }
}

/// Every comment, newest first.
pub fn all(tx: &impl Tx) -> Result<Vec<Comment>, store::Error> {
    let mut out = super::tables::COMMENTS.values(tx)?;
    out.sort_by_key(|c| std::cmp::Reverse(c.seq));
    Ok(out)
}

/// The approved comments on an entry, oldest first.
pub fn approved(tx: &impl Tx, entry: u64) -> Result<Vec<Comment>, store::Error> {
    let mut out: Vec<Comment> = super::tables::COMMENTS
        .values(tx)?
        .into_iter()
        .filter(|c| c.entry == entry && matches!(c.moderation, Moderation::Approved { .. }))
        .collect();
    out.sort_by_key(|c| c.seq);
    Ok(out)
}

/// Erases a commenter's name, email and organisation on their request, and records
/// it; the comment itself stays.
pub fn erase_personal_data(
    tx: &WriteTransaction,
    by: &Actor,
    seq: u64,
    now: Timestamp,
) -> Result<Comment, Error> {
    let mut comment = super::tables::COMMENTS
        .get(tx, seq)?
        .ok_or(Error::NoSuchComment)?;
    comment.forget_commenter();
    crate::mail::outbox::forget(tx, &format!("comment:{seq}"))?;
    super::tables::COMMENTS.insert(tx, seq, &comment)?;
    let event = Event::new(
        &by.login,
        "comment_personal_data_erased",
        format!("comment {seq}"),
    );
    audit::append(tx, event, now)?;
    Ok(comment)
}

/// The Board's decision on a comment: shown under the draft, or not (with a reason),
/// and recorded.
pub fn moderate(
    tx: &WriteTransaction,
    by: &Actor,
    seq: u64,
    approve: bool,
    reason: &str,
    now: Timestamp,
) -> Result<Comment, Error> {
    let mut comment = super::tables::COMMENTS
        .get(tx, seq)?
        .ok_or(Error::NoSuchComment)?;
    comment.moderation = if approve {
        Moderation::Approved {
            moderated_by: by.login.clone(),
            moderated_at: now,
        }
    } else {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::ReasonRequired);
        }
        Moderation::Rejected {
            moderated_by: by.login.clone(),
            moderated_at: now,
            reason: reason.to_string(),
        }
    };
    super::tables::COMMENTS.insert(tx, seq, &comment)?;
    let decision = match &comment.moderation {
        Moderation::Rejected { reason, .. } => {
            format!("không được đăng, với lý do: {reason}")
        }
        _ => "đã được đăng dưới dự thảo".to_string(),
    };
    tell_commenter(
        tx,
        &comment,
        format!("Kết quả xem xét ý kiến góp ý số {seq}"),
        format!(
            "Kính gửi {},\n\nÝ kiến góp ý số {seq} của anh/chị {decision}.",
            comment.name
        ),
        now,
    )?;
    let action = if approve {
        "comment_approved"
    } else {
        "comment_rejected"
    };
    audit::append(
        tx,
        Event::new(&by.login, action, format!("comment {seq}")),
        now,
    )?;
    Ok(comment)
}

/// Comments on drafts waiting for the Board's moderation.
pub fn waiting_for(
    tx: &impl Tx,
    actor: &crate::workflow::Actor,
) -> Result<Vec<crate::inbox::Waiting>, store::Error> {
    use crate::workflow::Role;
    if !(actor.has(Role::BoardHead) || actor.has(Role::BoardMember)) {
        return Ok(Vec::new());
    }
    Ok(all(tx)?
        .into_iter()
        .filter(|c| matches!(c.moderation, Moderation::Pending))
        .map(|c| {
            crate::inbox::Waiting::new(
                "/quan-tri/y-kien-du-thao",
                "Ý kiến góp ý dự thảo chờ duyệt",
                format!("Ý kiến số {}", c.seq),
                "/quan-tri/y-kien-du-thao".to_string(),
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moderated_comment_round_trips_through_json() {
        for moderation in [
            Moderation::Pending,
            Moderation::Approved {
                moderated_by: "truongban".into(),
                moderated_at: Timestamp::UNIX_EPOCH,
            },
            Moderation::Rejected {
                moderated_by: "truongban".into(),
                moderated_at: Timestamp::UNIX_EPOCH,
                reason: "Không liên quan.".into(),
            },
        ] {
            let comment = Comment {
                seq: 1,
                entry: 2,
                at: Timestamp::UNIX_EPOCH,
                name: "A".into(),
                email: "a@b.vn".into(),
                organisation: String::new(),
                text: "Ý kiến.".into(),
                show_name: true,
                moderation,
                mail_consent: false,
                mail_token: String::new(),
            };
            let json = serde_json::to_vec(&comment).unwrap();
            assert_eq!(serde_json::from_slice::<Comment>(&json).unwrap(), comment);
        }
    }
}
