//! The sender: wakes when a message is written (or every 15 seconds), hands what is due
//! to the relay one message at a time, and records each result in its own transaction.
//! A message is marked sent only after the relay took it; a restart, even after
//! `kill -9`, picks up whatever was still waiting. On working days at `digest_at`, the
//! messages held for digests become one message per person.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::outbox::{self, Kind, Letter, Mail, OUTBOX, Status};
use super::{compose, relay};
use crate::app::App;

const LOOK_EVERY: Duration = Duration::from_secs(15);
const DIGEST_DAY_KEY: &str = "mail_digest_day";

/// Runs until `stop` turns true.
pub async fn run(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = make_digests_if_due(&app).await {
            tracing::error!("making the daily mail digests failed: {e}");
        }
        if let Err(e) = deliver_due(&app).await {
            tracing::error!("delivering mail failed: {e}");
        }
        tokio::select! {
            () = app.mail_wake.notified() => {}
            () = tokio::time::sleep(LOOK_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Sends every message due now. Without `[mail]` nothing is sent and the messages wait
/// (the administrators' page says mail is off).
pub async fn deliver_due(app: &Arc<App>) -> Result<usize, crate::store::Error> {
    let Some(settings) = app.config.mail.clone() else {
        return Ok(0);
    };
    let now = app.clock.now();
    let origin = app.config.new_origin();
    let due = app.store.read(move |tx| outbox::due(tx, now)).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let transport = match relay::transport(&settings) {
        Ok(t) => t,
        Err(failure) => {
            for mail in &due {
                record_failure(app, mail, &failure.vietnamese).await?;
            }
            tracing::warn!("mail not sent: {failure}");
            return Ok(0);
        }
    };
    let mut sent = 0;
    for mail in due {
        let message = match compose::message(&settings, &mail, &origin) {
            Ok(m) => m,
            Err(why) => {
                tracing::warn!(id = mail.id, "mail cannot be written: {why}");
                record_failure(
                    app,
                    &mail,
                    "Địa chỉ người nhận hoặc người gửi không hợp lệ.",
                )
                .await?;
                continue;
            }
        };
        match relay::send(&transport, &settings, message).await {
            Ok(()) => {
                let (id, now) = (mail.id, app.clock.now());
                app.store
                    .write(move |tx| outbox::mark_sent(tx, id, now))
                    .await?;
                sent += 1;
            }
            Err(failure) => {
                tracing::warn!(
                    id = mail.id,
                    attempts = mail.attempts + 1,
                    "mail not delivered: {failure}"
                );
                record_failure(app, &mail, &failure.vietnamese).await?;
                // The relay is down or refusing: the rest waits for the next round.
                break;
            }
        }
    }
    if sent > 0 {
        tracing::info!(messages = sent, "mail delivered to the relay");
    }
    Ok(sent)
}

async fn record_failure(app: &Arc<App>, mail: &Mail, why: &str) -> Result<(), crate::store::Error> {
    let Some(settings) = app.config.mail.clone() else {
        return Ok(());
    };
    let (id, why, now) = (mail.id, why.to_string(), app.clock.now());
    app.store
        .write(move |tx| {
            outbox::mark_failed(
                tx,
                id,
                &why,
                now,
                settings.retry_after,
                settings.give_up_after,
            )
        })
        .await
}

/// On a working day past `digest_at`, once: each person's held messages become one.
pub async fn make_digests_if_due(app: &Arc<App>) -> Result<usize, crate::store::Error> {
    let Some(settings) = app.config.mail.clone() else {
        return Ok(0);
    };
    let now = app.clock.now();
    let local = now.to_zoned_datetime(crate::format::vietnam());
    let today = local.date();
    if !app.config.calendar.is_working_day(today) || local.time() < settings.digest_at {
        return Ok(0);
    }
    let origin = app.origin().to_string();
    let made = app
        .store
        .write(move |tx| -> Result<usize, crate::store::Error> {
            let done: Option<jiff::civil::Date> = crate::store::meta_get(tx, DIGEST_DAY_KEY)?;
            if done == Some(today) {
                return Ok(0);
            }
            crate::store::meta_put(tx, DIGEST_DAY_KEY, &today)?;
            let mut by_person: std::collections::BTreeMap<u64, Vec<Mail>> = Default::default();
            for mail in OUTBOX.values(tx)? {
                if let (Status::Digest, Some(user)) = (mail.status, mail.digest_for) {
                    by_person.entry(user).or_default().push(mail);
                }
            }
            let made = by_person.len();
            for (user, mails) in by_person {
                let Some(first) = mails.first() else { continue };
                let mut text = format!(
                    "Kính gửi {},\n\nĐây là {} việc đang chờ anh/chị trên trang quản trị (thư tổng hợp ngày {}):",
                    first.to_name,
                    mails.len(),
                    today.strftime("%d/%m/%Y")
                );
                for mail in &mails {
                    text.push_str("\n\n— ");
                    text.push_str(&mail.subject);
                    if let Some(link) = mail.text.lines().find(|l| l.starts_with("https://") || l.starts_with("/quan-tri")) {
                        text.push('\n');
                        text.push_str(link);
                    }
                }
                text.push_str(&format!(
                    "\n\nĐổi cách nhận thư tại {origin}/quan-tri/tai-khoan.\n\nThư này được gửi tự động; vui lòng không trả lời."
                ));
                for mail in &mails {
                    OUTBOX.remove(tx, mail.id)?;
                }
                outbox::enqueue(
                    tx,
                    Letter {
                        to: first.to.clone(),
                        to_name: first.to_name.clone(),
                        subject: format!("Tổng hợp việc chờ xử lý ({} việc)", mails.len()),
                        html: compose::html_of(&text),
                        text,
                        kind: Kind::Digest,
                        unsubscribe: None,
                        about: Some(format!("user:{user}")),
                        digest_for: None,
                    },
                    now,
                )?;
            }
            outbox::prune(tx, now)?;
            Ok(made)
        })
        .await?;
    if made > 0 {
        app.mail_wake.notify_one();
    }
    Ok(made)
}
