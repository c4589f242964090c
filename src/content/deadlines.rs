//! Update deadlines (A2 of the regulation; Decree 43 Art. 17): information must be
//! published within a number of working days of its source document — guidance on
//! laws and policies 15 (D2), the agency's own legal documents 2 and others 10 (D3),
//! strategies, plans and projects 10 (D4), S&T programmes 20 (D5) — and standing
//! pages must be kept accurate (D1). The numbers are settings (`[deadlines]`): the
//! decree behind them has changed before.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use super::{Entry, Kind, Revision, State};
use crate::calendar::Calendar;
use crate::store::{self, Tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    /// News and guidance with a source document (D2).
    pub article: u32,
    /// Legal documents the agency itself issued (D3).
    pub own_legal_document: u32,
    /// Legal documents of other bodies the agency is subject to (D3).
    pub legal_document: u32,
    /// Strategies, plans (D4).
    pub plan: u32,
    /// Projects, bidding, procurement (D4).
    pub project: u32,
    /// S&T tasks and programmes (D5).
    pub task: u32,
    /// Statistics, from the head's decision to publish them (D6).
    pub statistic: u32,
    /// Standing pages not reviewed for this many months are listed (D1).
    pub review_months: u32,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            article: 15,
            own_legal_document: 2,
            legal_document: 10,
            plan: 10,
            project: 10,
            task: 20,
            statistic: 10,
            review_months: 6,
        }
    }
}

/// An item measured against its deadline.
#[derive(Debug, Clone)]
pub struct Timeliness {
    pub entry: Entry,
    pub title: String,
    pub source_date: Date,
    pub due: Date,
    /// Published on this local date, if it is.
    pub published_on: Option<Date>,
    /// Working days past the deadline (at publication, or until today if unpublished).
    pub late_by: u32,
}

/// A standing page whose last change or review is older than the rule allows.
#[derive(Debug, Clone)]
pub struct Stale {
    pub entry: Entry,
    pub title: String,
    pub last: Timestamp,
}

fn local(ts: Timestamp) -> Date {
    ts.to_zoned_datetime(crate::format::vietnam()).date()
}

/// The working days allowed for this entry, and the date they count from.
fn rule_for(
    rules: &Rules,
    entry: &Entry,
    revision: &Revision,
    agency: &[&str],
    section_days: Option<u32>,
) -> Option<(u32, Date)> {
    let fields = &revision.fields;
    let legal_issued = fields.legal.as_ref().map(|l| l.issued);
    let decided = fields
        .record
        .get(super::record::DECIDED_ON)
        .and_then(|d| d.parse::<Date>().ok());
    let source = fields.source_date.or(legal_issued).or(decided)?;
    let days = match entry.kind {
        // A section may set its own rule (guidance on laws: D2).
        Kind::Article => section_days.unwrap_or(rules.article),
        Kind::Statistic => rules.statistic,
        Kind::LegalDocument => {
            let issuer = fields
                .legal
                .as_ref()
                .map(|l| l.issuer.to_lowercase())
                .unwrap_or_default();
            let own = agency
                .iter()
                .filter(|name| !name.trim().is_empty())
                .any(|name| issuer.contains(&name.to_lowercase()));
            if own {
                rules.own_legal_document
            } else {
                rules.legal_document
            }
        }
        Kind::Plan => rules.plan,
        Kind::Project => rules.project,
        Kind::Task => rules.task,
        _ => return None,
    };
    Some((days, source))
}

/// Every item whose source document is from the last twelve months and that was
/// published late, or is unpublished past its deadline, most late first (older items
/// belong to earlier annual reports, and to content imported from a previous site).
/// `agency` names the agency (to tell its own documents).
pub fn late(
    tx: &impl Tx,
    rules: &Rules,
    calendar: &Calendar,
    agency: &[&str],
    today: Date,
) -> Result<Vec<Timeliness>, store::Error> {
    let year_ago = today
        .checked_sub(jiff::Span::new().days(366))
        .unwrap_or(today);
    let mut out: Vec<Timeliness> = measured(tx, rules, calendar, agency, year_ago, today, today)?
        .into_iter()
        .filter(|t| t.late_by > 0)
        .collect();
    out.sort_by_key(|t| std::cmp::Reverse(t.late_by));
    Ok(out)
}

/// Every item with a deadline whose source document dates from `from` to `to`
/// (inclusive), on time or not (the annual report counts both).
pub fn measured(
    tx: &impl Tx,
    rules: &Rules,
    calendar: &Calendar,
    agency: &[&str],
    from: Date,
    to: Date,
    today: Date,
) -> Result<Vec<Timeliness>, store::Error> {
    let mut out = Vec::new();
    let section_days: std::collections::HashMap<String, u32> = super::tables::CATEGORIES
        .values(tx)?
        .into_iter()
        .filter_map(|c| Some((c.slug, c.deadline_days?)))
        .collect();
    // One entry at a time: flat memory on a site of any size.
    super::tables::ENTRIES.try_scan(tx, 0u64.., |entry| -> Result<bool, store::Error> {
        if entry.state == State::Withdrawn {
            return Ok(true);
        }
        let revision_id = entry.published.unwrap_or(entry.working);
        let Some(revision) = super::tables::REVISIONS.get(tx, revision_id.0)? else {
            return Ok(true);
        };
        let days_of_section = entry
            .category
            .as_ref()
            .and_then(|c| section_days.get(c).copied());
        let Some((days, source)) = rule_for(rules, &entry, &revision, agency, days_of_section)
        else {
            return Ok(true);
        };
        if source < from || source > to {
            return Ok(true);
        }
        let due = calendar.add_working_days(source, days);
        let published_on = entry.published_at.map(local);
        let until = published_on.unwrap_or(today);
        let late_by = calendar.working_days_between(due, until);
        out.push(Timeliness {
            title: revision.fields.title.clone(),
            source_date: source,
            due,
            published_on,
            late_by,
            entry,
        });
        Ok(true)
    })?;
    Ok(out)
}

/// Published standing pages last changed or reviewed more than `review_months` ago.
/// Late items and stale standing pages that `actor` may see (the deadlines page). The
/// agency's own names count as "our" documents.
pub fn for_actor(
    tx: &impl Tx,
    actor: &crate::workflow::Actor,
    rules: &Rules,
    calendar: &Calendar,
    today: Date,
    now: Timestamp,
) -> Result<(Vec<Timeliness>, Vec<Stale>), store::Error> {
    let site = crate::site::load(tx)?;
    let agency = [site.agency_name.as_str(), site.short_name.as_str()];
    let visible = |e: &Entry| crate::workflow::may_view(actor, &super::editorial::facts(e));
    let late = late(tx, rules, calendar, &agency, today)?
        .into_iter()
        .filter(|t| visible(&t.entry))
        .collect();
    let stale = stale_pages(tx, rules, now)?
        .into_iter()
        .filter(|s| visible(&s.entry))
        .collect();
    Ok((late, stale))
}

pub fn stale_pages(
    tx: &impl Tx,
    rules: &Rules,
    now: Timestamp,
) -> Result<Vec<Stale>, store::Error> {
    let limit = SignedDuration::from_hours(24 * 30 * i64::from(rules.review_months));
    let mut out = Vec::new();
    // One entry at a time: flat memory on a site of any size.
    super::tables::ENTRIES.try_scan(tx, 0u64.., |entry| -> Result<bool, store::Error> {
        if entry.kind != Kind::Page || entry.published.is_none() {
            return Ok(true);
        }
        let last = entry
            .reviewed_at
            .map_or(entry.updated_at, |r| r.max(entry.updated_at));
        if now.duration_since(last) <= limit {
            return Ok(true);
        }
        let title = match entry.published {
            Some(id) => super::tables::REVISIONS
                .get(tx, id.0)?
                .map(|r| r.fields.title)
                .unwrap_or_default(),
            None => String::new(),
        };
        out.push(Stale { entry, title, last });
        Ok(true)
    })?;
    out.sort_by_key(|s| s.last);
    Ok(out)
}

/// Records that someone confirmed a live page is still accurate.
/// Someone on the editorial side confirms a live standing page is still accurate
/// (D1), and it is recorded. Only entries they may see and that are live.
pub fn mark_reviewed(
    tx: &redb::WriteTransaction,
    by: &crate::workflow::Actor,
    id: super::EntryId,
    now: Timestamp,
) -> Result<Entry, super::Error> {
    let mut entry = super::tables::ENTRIES
        .get(tx, id.0)?
        .filter(|e| {
            e.published.is_some() && crate::workflow::may_view(by, &super::editorial::facts(e))
        })
        .ok_or(super::Error::NoSuchEntry(id))?;
    entry.reviewed_at = Some(now);
    super::tables::ENTRIES.insert(tx, id.0, &entry)?;
    let event = crate::audit::Event::new(&by.login, "page_reviewed", format!("entry {id}"));
    crate::audit::append(tx, event, now)?;
    Ok(entry)
}

/// Entries not yet published past their legal deadline, for those who compile and
/// approve: most late first.
pub fn waiting_for(
    tx: &impl Tx,
    ctx: &crate::inbox::Context<'_>,
) -> Result<Vec<crate::inbox::Waiting>, store::Error> {
    use crate::workflow::Role;
    let actor = ctx.actor;
    if ![Role::Compiler, Role::BoardHead, Role::BoardMember]
        .iter()
        .any(|r| actor.has(*r))
    {
        return Ok(Vec::new());
    }
    Ok(
        late(tx, ctx.deadlines, ctx.calendar, &[ctx.agency], ctx.today)?
            .into_iter()
            .filter(|t| t.published_on.is_none())
            .map(|t| {
                crate::inbox::Waiting::new(
                    "/quan-tri/thoi-han",
                    "Tin quá hạn đăng theo quy định",
                    t.title,
                    format!("/quan-tri/bai-viet/{}", t.entry.id.0),
                )
                .due_on(t.due, ctx.today, Some(ctx.calendar))
            })
            .collect(),
    )
}
