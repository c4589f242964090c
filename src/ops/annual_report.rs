//! The annual report on the site's operation (O2): for one calendar year, what was
//! published by section and kind, how much of it met its deadline, how citizens'
//! questions were handled, how long the site was up, and which backups and integrity
//! checks ran. Everything is counted from the store; nothing is typed in.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;

use crate::calendar::Calendar;
use crate::content::deadlines::{self, Rules};
use crate::content::{self, State};
use crate::store::{self, Tx};

/// One line of a count table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Count {
    pub label: String,
    pub count: usize,
}

/// A late item, for the report's list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LateItem {
    pub title: String,
    pub kind: &'static str,
    pub due: Date,
    pub published_on: Option<Date>,
    pub late_by: u32,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Questions {
    pub received: usize,
    pub answered: usize,
    pub answered_in_time: usize,
    pub answered_late: usize,
    pub closed_without_answer: usize,
    pub still_open: usize,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AnnualReport {
    pub year: i16,
    /// The report covers 1 January to this day (the year's end, or today).
    pub until: Date,
    pub by_kind: Vec<Count>,
    pub by_section: Vec<Count>,
    pub published_total: usize,
    pub with_deadline: usize,
    pub on_time: usize,
    pub late: Vec<LateItem>,
    pub questions: Questions,
    pub comments: usize,
    pub messages: usize,
    /// Hours with a resource sample, out of the hours the period had since sampling
    /// began: the server records one each hour it runs.
    pub hours_up: usize,
    pub hours_in_period: usize,
    pub backups: usize,
    pub integrity_checks: usize,
    pub integrity_failed: usize,
}

impl AnnualReport {
    /// Uptime in per cent, one decimal, if any hour was measured.
    pub fn uptime_percent(&self) -> Option<f64> {
        (self.hours_in_period > 0)
            .then(|| (self.hours_up as f64 * 1000.0 / self.hours_in_period as f64).round() / 10.0)
    }
}

fn counts<L: Into<String>>(map: BTreeMap<L, usize>) -> Vec<Count> {
    map.into_iter()
        .map(|(label, count)| Count {
            label: label.into(),
            count,
        })
        .collect()
}

fn local(ts: Timestamp) -> Date {
    ts.to_zoned_datetime(crate::format::vietnam()).date()
}

fn start_of(day: Date) -> Timestamp {
    day.to_zoned_datetime(crate::format::vietnam())
        .map_or(Timestamp::UNIX_EPOCH, |z| z.timestamp())
}

/// The report for `year`, up to `today` if the year is not over.
pub fn gather(
    tx: &impl Tx,
    year: i16,
    rules: &Rules,
    calendar: &Calendar,
    today: Date,
    now: Timestamp,
) -> Result<AnnualReport, store::Error> {
    let first = jiff::civil::date(year, 1, 1);
    let last = jiff::civil::date(year, 12, 31).min(today);
    let in_year = |ts: Timestamp| {
        let day = local(ts);
        day >= first && day <= last
    };

    // Published: first published within the year, by kind and by section.
    let sections: BTreeMap<String, String> = content::tables::CATEGORIES
        .values(tx)?
        .into_iter()
        .map(|c| (c.slug, c.name))
        .collect();
    let mut by_kind: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut by_section: BTreeMap<String, usize> = BTreeMap::new();
    let mut published_total = 0;
    // One entry at a time: flat memory on a site of any size.
    content::tables::ENTRIES.try_scan(tx, 0u64.., |entry| -> Result<bool, store::Error> {
        if !entry.published_at.is_some_and(in_year) {
            return Ok(true);
        }
        published_total += 1;
        *by_kind.entry(entry.kind.label()).or_default() += 1;
        if let Some(name) = entry.category.as_ref().and_then(|c| sections.get(c)) {
            *by_section.entry(name.clone()).or_default() += 1;
        }
        Ok(true)
    })?;

    // Timeliness: items whose source document is from the year.
    let site = crate::site::load(tx)?;
    let agency = [site.agency_name.as_str(), site.short_name.as_str()];
    let measured = deadlines::measured(tx, rules, calendar, &agency, first, last, today)?;
    let with_deadline = measured.len();
    let on_time = measured.iter().filter(|t| t.late_by == 0).count();
    let mut late: Vec<LateItem> = measured
        .into_iter()
        .filter(|t| t.late_by > 0)
        .map(|t| LateItem {
            title: t.title,
            kind: t.entry.kind.label(),
            due: t.due,
            published_on: t.published_on,
            late_by: t.late_by,
        })
        .collect();
    late.sort_by_key(|l| std::cmp::Reverse(l.late_by));

    // Citizens' questions asked within the year, and what became of them.
    let mut questions = Questions::default();
    for q in crate::citizen::tables::QUESTIONS.values(tx)? {
        if !in_year(q.asked_at) {
            continue;
        }
        questions.received += 1;
        let answer = match q.answer {
            Some(id) => content::tables::ENTRIES.get(tx, id)?,
            None => None,
        };
        let answered_on = answer
            .filter(|e| e.state == State::Published)
            .and_then(|e| e.published_at)
            .map(local);
        match (&q.closed, answered_on) {
            (_, Some(on)) => {
                questions.answered += 1;
                if on <= q.due(calendar) {
                    questions.answered_in_time += 1;
                } else {
                    questions.answered_late += 1;
                }
            }
            (Some(_), None) => questions.closed_without_answer += 1,
            (None, None) => questions.still_open += 1,
        }
    }
    let comments = crate::citizen::tables::COMMENTS
        .values(tx)?
        .iter()
        .filter(|c| in_year(c.at))
        .count();
    let messages = crate::citizen::tables::MESSAGES
        .values(tx)?
        .iter()
        .filter(|m| in_year(m.at))
        .count();

    // Uptime: the hourly samples the server takes while it runs.
    let samples: Vec<Timestamp> = crate::ops::resources::tables::RESOURCES
        .values(tx)?
        .into_iter()
        .map(|s| s.at)
        .collect();
    let hours_up = samples.iter().filter(|at| in_year(**at)).count();
    let hours_in_period = match samples.iter().min() {
        Some(first_sample) => {
            let from = start_of(first).max(*first_sample);
            let to = start_of(last.tomorrow().unwrap_or(last)).min(now);
            usize::try_from(to.as_second().saturating_sub(from.as_second()) / 3600)
                .unwrap_or(0)
                .max(hours_up)
        }
        None => 0,
    };

    // Backups and integrity checks that ran.
    let backups = crate::audit::tables::AUDIT
        .values(tx)?
        .iter()
        .filter(|r| r.action == "backup_created" && in_year(r.at))
        .count();
    let checks: Vec<_> = crate::integrity::tables::INTEGRITY
        .values(tx)?
        .into_iter()
        .filter(|r| in_year(r.at))
        .collect();

    Ok(AnnualReport {
        year,
        until: last,
        by_kind: counts(by_kind),
        by_section: counts(by_section),
        published_total,
        with_deadline,
        on_time,
        late,
        questions,
        comments,
        messages,
        hours_up,
        hours_in_period,
        backups,
        integrity_checks: checks.len(),
        integrity_failed: checks.iter().filter(|r| !r.ok).count(),
    })
}
