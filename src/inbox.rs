//! "Việc của tôi": everything that waits for a person, whatever its kind. Each domain
//! module says what of its own waits for an actor, in one shape (`Waiting`); this
//! module only gathers, sorts (overdue first, then by deadline) and counts per area,
//! for the inbox page and the counts in the admin menu.

use jiff::Timestamp;
use jiff::civil::Date;

use crate::calendar::Calendar;
use crate::store::{self, Tx};
use crate::workflow::Actor;

/// One thing waiting for a person.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Waiting {
    /// The admin menu entry it counts under (its path).
    pub area: &'static str,
    /// What kind of work, in Vietnamese ("Câu hỏi chờ chuyển đơn vị").
    pub kind: &'static str,
    pub title: String,
    /// Where it is done.
    pub url: String,
    pub due: Option<Date>,
    /// Days left until `due` (negative past it), in working days where the law counts
    /// them.
    pub days_left: Option<i64>,
    pub working_days: bool,
}

impl Waiting {
    pub fn new(area: &'static str, kind: &'static str, title: String, url: String) -> Waiting {
        Waiting {
            area,
            kind,
            title,
            url,
            due: None,
            days_left: None,
            working_days: false,
        }
    }

    /// With a deadline, counted in working days when `calendar` is given.
    #[must_use]
    pub fn due_on(mut self, due: Date, today: Date, calendar: Option<&Calendar>) -> Waiting {
        self.due = Some(due);
        self.working_days = calendar.is_some();
        self.days_left = Some(match calendar {
            Some(calendar) if due >= today => i64::from(calendar.working_days_between(today, due)),
            Some(calendar) => -i64::from(calendar.working_days_between(due, today)),
            None => (due - today).get_days().into(),
        });
        self
    }

    pub fn overdue(&self) -> bool {
        self.days_left.is_some_and(|d| d < 0)
    }
}

/// What the gathering needs to know besides the store.
pub struct Context<'a> {
    pub actor: &'a Actor,
    pub today: Date,
    pub now: Timestamp,
    pub calendar: &'a Calendar,
    pub deadlines: &'a crate::content::deadlines::Rules,
    pub agency: &'a str,
}

/// Everything that waits for `ctx.actor` in the store, overdue first.
pub fn gather(tx: &impl Tx, ctx: &Context<'_>) -> Result<Vec<Waiting>, store::Error> {
    let mut all = Vec::new();
    all.extend(crate::citizen::questions::waiting_for(
        tx,
        ctx.actor,
        ctx.today,
        ctx.calendar,
    )?);
    all.extend(crate::citizen::comments::waiting_for(tx, ctx.actor)?);
    all.extend(crate::citizen::waiting_for(tx, ctx.actor)?);
    all.extend(crate::site::waiting_for(tx, ctx.actor)?);
    all.extend(crate::content::sections::waiting_for(tx, ctx.actor)?);
    all.extend(crate::integrity::review::waiting_for(tx, ctx.actor)?);
    all.extend(crate::content::deadlines::waiting_for(tx, ctx)?);
    all.extend(crate::import::waiting_for(tx, ctx.actor)?);
    all.extend(crate::backup::schedule::waiting_for(tx, ctx.actor)?);
    all.extend(crate::auth::throttle::waiting_for(tx, ctx.actor, ctx.now)?);
    sort(&mut all);
    Ok(all)
}

/// Overdue first (most overdue first), then by deadline, then the rest.
pub fn sort(all: &mut [Waiting]) {
    all.sort_by_key(|w| (w.days_left.is_none(), w.days_left.unwrap_or(0)));
}

/// How many wait per area (menu path).
pub fn counts(all: &[Waiting]) -> std::collections::HashMap<&'static str, usize> {
    let mut out = std::collections::HashMap::new();
    for w in all {
        *out.entry(w.area).or_insert(0) += 1;
    }
    out
}

/// Menu counts per person, kept for `CountsCache::KEEP`; the inbox page itself always
/// gathers afresh (and refreshes the entry).
/// Counts per menu area.
pub type Counts = std::collections::HashMap<&'static str, usize>;

#[derive(Default)]
pub struct CountsCache {
    kept: std::sync::Mutex<std::collections::HashMap<u64, (std::time::Instant, Counts)>>,
}

impl CountsCache {
    const KEEP: std::time::Duration = std::time::Duration::from_secs(20);

    pub fn get(&self, user: u64) -> Option<Counts> {
        let kept = self.kept.lock().ok()?;
        kept.get(&user)
            .filter(|(at, _)| at.elapsed() < Self::KEEP)
            .map(|(_, counts)| counts.clone())
    }

    pub fn put(&self, user: u64, counts: Counts) {
        if let Ok(mut kept) = self.kept.lock() {
            kept.retain(|_, (at, _)| at.elapsed() < Self::KEEP);
            kept.insert(user, (std::time::Instant::now(), counts));
        }
    }

    /// After a change someone made: everyone's counts are gathered again.
    pub fn clear(&self) {
        if let Ok(mut kept) = self.kept.lock() {
            kept.clear();
        }
    }
}
