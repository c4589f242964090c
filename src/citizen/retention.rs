//! Personal data kept no longer than the privacy notice says (Law 91/2025/QH15): once
//! a question, comment or message has been closed for `forms.keep_personal_data_months`,
//! the site erases the sender's name, email and organisation by itself. What was asked
//! and answered stays, for the record. Each erasure is an audit record of the system.

use jiff::{Timestamp, ToSpan};
use redb::WriteTransaction;

use super::comments::Moderation;
use super::tables;
use crate::audit::{self, Event};
use crate::content::State;
use crate::store::Error;

/// The moment personal data closed before is past its retention, `months` before `now`
/// (counted in Vietnam's calendar).
pub fn cutoff(now: Timestamp, months: u32) -> Option<Timestamp> {
    now.to_zoned_datetime(crate::format::vietnam())
        .checked_sub(i64::from(months).months())
        .ok()
        .map(|z| z.timestamp())
}

/// Erases the personal data of everything closed before `before`; returns how many.
pub fn erase_expired(
    tx: &WriteTransaction,
    before: Timestamp,
    now: Timestamp,
) -> Result<usize, Error> {
    let mut erased = 0;
    let record = |action: &str, target: String| {
        let event = Event::new("", action, target).detail("hết thời hạn lưu trữ");
        audit::append(tx, event, now)
    };

    for message in tables::MESSAGES.values(tx)? {
        let closed = message.handled.as_ref().map(|h| h.at);
        if message.erased_at.is_none() && closed.is_some_and(|at| at < before) {
            let mut message = message;
            message.forget_sender(now);
            tables::MESSAGES.insert(tx, message.seq, &message)?;
            record("message_personal_data_erased", message.reference())?;
            erased += 1;
        }
    }

    for question in tables::QUESTIONS.values(tx)? {
        if question.erased_at.is_some() {
            continue;
        }
        let closed = match (&question.closed, question.answer) {
            (Some(closed), _) => Some(closed.at),
            (None, Some(answer)) => match crate::content::tables::ENTRIES.get(tx, answer)? {
                Some(entry) if entry.state == State::Published => entry.published_at,
                _ => None,
            },
            (None, None) => None,
        };
        if closed.is_some_and(|at| at < before) {
            let mut question = question;
            question.forget_asker(now);
            crate::mail::outbox::forget(tx, &format!("question:{}", question.seq))?;
            tables::QUESTIONS.insert(tx, question.seq, &question)?;
            record("question_personal_data_erased", question.ticket())?;
            erased += 1;
        }
    }

    for comment in tables::COMMENTS.values(tx)? {
        let decided = match &comment.moderation {
            Moderation::Pending => None,
            Moderation::Approved { moderated_at, .. }
            | Moderation::Rejected { moderated_at, .. } => Some(*moderated_at),
        };
        if comment.holds_personal_data() && decided.is_some_and(|at| at < before) {
            let mut comment = comment;
            comment.forget_commenter();
            crate::mail::outbox::forget(tx, &format!("comment:{}", comment.seq))?;
            tables::COMMENTS.insert(tx, comment.seq, &comment)?;
            record(
                "comment_personal_data_erased",
                format!("comment {}", comment.seq),
            )?;
            erased += 1;
        }
    }
    Ok(erased)
}
