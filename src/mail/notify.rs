//! Who is told what, by mail. Each function runs inside the transaction of the event
//! it tells of, so the message and the event commit together or not at all. Subjects
//! carry no personal data and no content beyond a ticket or entry number.

use jiff::Timestamp;
use jiff::civil::Date;
use redb::WriteTransaction;

use super::compose::html_of;
use super::outbox::{self, Kind, Letter};
use crate::auth::{self, MailChoice, User};
use crate::content::{Entry, editorial};
use crate::store;
use crate::workflow::{Action, Role};

const FOOTER: &str = "Thư này được gửi tự động; vui lòng không trả lời thư này.";

fn letter(to: &User, subject: String, text: String, kind: Kind, digest: bool) -> Letter {
    Letter {
        to: to.email.clone(),
        to_name: to.name.clone(),
        subject,
        html: html_of(&text),
        text,
        kind,
        unsubscribe: None,
        about: Some(format!("user:{}", to.id.0)),
        digest_for: digest.then_some(to.id.0),
    }
}

/// Whether `user` can be written to at all.
fn reachable(user: &User) -> bool {
    user.enabled && !user.email.is_empty() && user.mail != MailChoice::Off
}

/// After a workflow step on `entry`: everyone who must act next (not the person who
/// acted), at once or in their daily digest, as each chose. Returns how many.
pub fn next_step(
    tx: &WriteTransaction,
    entry: &Entry,
    title: &str,
    acted_by: u64,
    today: Date,
    now: Timestamp,
    origin: &str,
) -> Result<usize, crate::content::Error> {
    let facts = editorial::facts(entry);
    let mut told = 0;
    for user in auth::users(tx).map_err(|e| crate::content::Error::Store(store_error(e)))? {
        if user.id.0 == acted_by || !reachable(&user) {
            continue;
        }
        let Ok(actor) = auth::actor(tx, &user) else {
            continue;
        };
        let next: Vec<&str> = crate::workflow::available(&actor, &facts, today)
            .into_iter()
            .filter(|a| !matches!(a, Action::Save | Action::Withdraw))
            .map(Action::label)
            .collect();
        if next.is_empty() {
            continue;
        }
        let text = format!(
            "Kính gửi {},\n\nBài “{title}” đang chờ anh/chị: {}.\n\nMở bài trên trang quản trị:\n{origin}/quan-tri/bai-viet/{}\n\n{FOOTER}",
            user.name,
            next.join(", ").to_lowercase(),
            entry.id.0
        );
        let subject = format!("Bài số {} đang chờ anh/chị xử lý", entry.id.0);
        outbox::enqueue(
            tx,
            letter(
                &user,
                subject,
                text,
                Kind::Work,
                user.mail == MailChoice::Digest,
            ),
            now,
        )?;
        told += 1;
    }
    Ok(told)
}

fn store_error(e: auth::Error) -> store::Error {
    match e {
        auth::Error::Store(e) => e,
        other => store::Error::Decode {
            table: "users_v1",
            message: other.to_string(),
        },
    }
}

/// To every administrator with an address: something went wrong that needs a person.
pub fn alert_administrators(
    tx: &WriteTransaction,
    subject: &str,
    what: &str,
    now: Timestamp,
    origin: &str,
) -> Result<usize, store::Error> {
    let mut told = 0;
    for user in auth::users(tx).map_err(store_error)? {
        if !user.enabled || user.email.is_empty() || !user.roles.contains(&Role::Administrator) {
            continue;
        }
        let text = format!(
            "Kính gửi {},\n\n{what}\n\nXem trên trang quản trị:\n{origin}/quan-tri\n\n{FOOTER}",
            user.name
        );
        // Alerts are sent at once, whatever the person chose for editorial work.
        outbox::enqueue(
            tx,
            letter(&user, subject.to_string(), text, Kind::Alert, false),
            now,
        )?;
        told += 1;
    }
    Ok(told)
}

/// A message to a citizen who agreed to be written to, about their question or
/// comment `about` (`question:12`), with the address that stops it.
pub struct CitizenLetter<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub subject: String,
    pub text: String,
    pub about: String,
    pub unsubscribe: String,
}

pub fn to_citizen(
    tx: &WriteTransaction,
    l: CitizenLetter<'_>,
    now: Timestamp,
) -> Result<u64, store::Error> {
    let text = format!(
        "{}\n\nKhông muốn nhận thư về việc này nữa: {}\n\n{FOOTER}",
        l.text, l.unsubscribe
    );
    outbox::enqueue(
        tx,
        Letter {
            to: l.email.to_string(),
            to_name: if super::header_safe(l.name) {
                l.name.to_string()
            } else {
                String::new()
            },
            subject: l.subject,
            html: html_of(&text),
            text,
            kind: Kind::Citizen,
            unsubscribe: Some(l.unsubscribe),
            about: Some(l.about),
            digest_for: None,
        },
        now,
    )
}
