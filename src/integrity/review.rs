//! The daily review: the staff on duty look at everything published or changed in the
//! last 24 hours and either confirm it ("đã kiểm tra") or report it to the Editorial
//! Board with a note, which then waits in the Board's inbox until someone there marks
//! it handled. Every confirmation and report goes into the audit trail.

use jiff::{SignedDuration, Timestamp};
use redb::WriteTransaction;
use serde::{Deserialize, Serialize};

use crate::content::{Entry, EntryId};
use crate::store::{self, Tx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// "Đã kiểm tra": seen, as it should be.
    Checked,
    /// "Báo cáo Ban biên tập": something is wrong; the note says what.
    Reported { note: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub seq: u64,
    pub entry: u64,
    /// The revision that was looked at.
    pub revision: u64,
    pub title: String,
    pub by: String,
    pub by_name: String,
    pub at: Timestamp,
    #[serde(flatten)]
    pub verdict: Verdict,
    /// For reports: a Board member marked it handled.
    #[serde(default)]
    pub handled_by: Option<String>,
}

/// Something published or changed in the window, with the reviews of its revision.
#[derive(Debug, Clone)]
pub struct Item {
    pub entry: Entry,
    pub revision: u64,
    pub title: String,
    pub changed_at: Timestamp,
    pub reviews: Vec<Review>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("a report needs a note")]
    NoteRequired,
    #[error("no such entry")]
    NoSuchEntry,
    #[error("no such report")]
    NoSuchReport,
    /// The entry changed after the person looked at it: they should look again.
    #[error("the entry changed since it was shown")]
    Changed,
}

/// What was published or changed in the 24 hours before `now` that `actor` may see,
/// newest first. The revision under review is the live one if the entry is published,
/// else the working one.
pub fn items(
    tx: &impl Tx,
    actor: &crate::workflow::Actor,
    now: Timestamp,
) -> Result<Vec<Item>, Error> {
    let since = now - SignedDuration::from_hours(24);
    let reviews = super::tables::REVIEWS.values(tx)?;
    let mut items = Vec::new();
    // One entry at a time: flat memory on a site of any size.
    crate::content::tables::ENTRIES.try_scan(tx, 0u64.., |entry| -> Result<bool, Error> {
        let changed_at = entry
            .updated_at
            .max(entry.published_at.unwrap_or(entry.updated_at));
        if changed_at < since
            || !crate::workflow::may_view(actor, &crate::content::editorial::facts(&entry))
        {
            return Ok(true);
        }
        let revision = entry.published.unwrap_or(entry.working);
        let title = crate::content::tables::REVISIONS
            .get(tx, revision.0)?
            .map(|r| r.fields.title)
            .unwrap_or_default();
        let mine: Vec<Review> = reviews
            .iter()
            .filter(|r| r.entry == entry.id.0 && r.revision == revision.0)
            .cloned()
            .collect();
        items.push(Item {
            revision: revision.0,
            title,
            changed_at,
            reviews: mine,
            entry,
        });
        Ok(true)
    })?;
    items.sort_by_key(|i| std::cmp::Reverse(i.changed_at));
    Ok(items)
}

/// Records `by`'s verdict on the entry's revision under review, and audits it.
pub fn record(
    tx: &WriteTransaction,
    entry: EntryId,
    seen: u64,
    by: &crate::workflow::Actor,
    verdict: Verdict,
    now: Timestamp,
) -> Result<Review, Error> {
    if let Verdict::Reported { note } = &verdict
        && note.trim().is_empty()
    {
        return Err(Error::NoteRequired);
    }
    // Only what this person may see is theirs to review.
    let found = crate::content::tables::ENTRIES
        .get(tx, entry.0)?
        .filter(|e| crate::workflow::may_view(by, &crate::content::editorial::facts(e)))
        .ok_or(Error::NoSuchEntry)?;
    let revision = found.published.unwrap_or(found.working);
    if revision.0 != seen {
        return Err(Error::Changed);
    }
    let title = crate::content::tables::REVISIONS
        .get(tx, revision.0)?
        .map(|r| r.fields.title)
        .unwrap_or_default();
    let review = Review {
        seq: store::next_id(tx, "reviews")?,
        entry: entry.0,
        revision: revision.0,
        title,
        by: by.login.clone(),
        by_name: by.name.clone(),
        at: now,
        verdict,
        handled_by: None,
    };
    super::tables::REVIEWS.insert(tx, review.seq, &review)?;
    let (action, detail) = match &review.verdict {
        Verdict::Checked => ("review_checked", format!("revision {}", revision.0)),
        Verdict::Reported { note } => (
            "review_reported",
            format!("revision {}: {note}", revision.0),
        ),
    };
    crate::audit::append(
        tx,
        crate::audit::Event::new(&by.login, action, entry.0).detail(detail),
        now,
    )?;
    Ok(review)
}

/// Reports to the Board not yet handled, oldest first.
pub fn open_reports(tx: &impl Tx) -> Result<Vec<Review>, Error> {
    Ok(super::tables::REVIEWS
        .values(tx)?
        .into_iter()
        .filter(|r| matches!(r.verdict, Verdict::Reported { .. }) && r.handled_by.is_none())
        .collect())
}

/// A Board member marks a report handled.
pub fn mark_handled(
    tx: &WriteTransaction,
    by: &crate::workflow::Actor,
    seq: u64,
    now: Timestamp,
) -> Result<(), Error> {
    let mut review = super::tables::REVIEWS
        .get(tx, seq)?
        .ok_or(Error::NoSuchReport)?;
    if !matches!(review.verdict, Verdict::Reported { .. }) {
        return Err(Error::NoSuchReport);
    }
    review.handled_by = Some(by.login.clone());
    super::tables::REVIEWS.insert(tx, seq, &review)?;
    crate::audit::append(
        tx,
        crate::audit::Event::new(&by.login, "review_handled", review.entry)
            .detail(format!("report {seq}")),
        now,
    )?;
    Ok(())
}

/// How the inbox names a report from the daily review.
pub const REPORT_KIND: &str = "Báo cáo sai sót nội dung chờ xử lý";

/// Reports from the daily review not yet handled, for the Board.
pub fn waiting_for(
    tx: &impl Tx,
    actor: &crate::workflow::Actor,
) -> Result<Vec<crate::inbox::Waiting>, crate::store::Error> {
    use crate::workflow::Role;
    if !(actor.has(Role::BoardHead) || actor.has(Role::BoardMember)) {
        return Ok(Vec::new());
    }
    let mut out: Vec<crate::inbox::Waiting> = super::tables::REVIEWS
        .values(tx)?
        .into_iter()
        .filter(|r| matches!(r.verdict, Verdict::Reported { .. }) && r.handled_by.is_none())
        .map(|r| {
            crate::inbox::Waiting::new(
                "/quan-tri/kiem-tra",
                REPORT_KIND,
                r.title,
                "/quan-tri/kiem-tra".to_string(),
            )
        })
        .collect();
    // Entries the integrity check held back (their text differs from what was approved).
    for entry in super::holds(tx)?.into_keys() {
        out.push(crate::inbox::Waiting::new(
            "/quan-tri/kiem-tra",
            "Nội dung bị tạm ngừng hiển thị do khác bản đã duyệt",
            format!("Bài số {entry}"),
            format!("/quan-tri/bai-viet/{entry}"),
        ));
    }
    Ok(out)
}
