//! "Thống kê truy cập": visitors online now, today and in total, counted without
//! cookies, scripts of any third party, or stored addresses. A visitor is a hash of
//! their address and browser under a random salt made anew each day and never stored,
//! so the same person cannot be followed from one day to the next, nor found from the
//! hash. Only the counts are kept: today's and the total of earlier days, saved each
//! minute in the store.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{PoisonError, RwLock, RwLockReadGuard};

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::sharded::Sharded;
use crate::store::{self, Tx};

/// A visitor counts as online for this long after their last page.
const ONLINE_WINDOW: SignedDuration = SignedDuration::from_mins(5);

/// Distinct visitors remembered per day (about 10 MB); past it the day's count stops
/// growing rather than memory (a flood of made-up browsers is not a crowd).
const MAX_VISITORS_PER_DAY: usize = 250_000;

/// Visitors remembered as online at most.
const MAX_ONLINE: usize = 50_000;

const KEY: &str = "visits";

/// The counts as they are saved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub day: Option<Date>,
    pub today: u64,
    /// Visits of the days before `day`.
    pub earlier: u64,
}

/// What the footer shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub online: u64,
    pub today: u64,
    pub total: u64,
}

/// The day being counted: its salt and the counts from before this process.
struct Day {
    date: Date,
    salt: [u8; 16],
    /// Visitors counted today before this process started (their hashes are gone).
    carried: u64,
    earlier: u64,
}

/// A visitor: the first bytes of the salted hash of their address and browser.
type Visitor = [u8; 16];

/// Counted per page view from every connection thread at once, so the visitors are
/// kept in copies chosen by the visitor's hash (`Sharded::by_key`): two page views
/// rarely need the same lock, and each visitor is in one copy only, so the copies'
/// sizes add up to the count.
pub struct Stats {
    day: RwLock<Option<Day>>,
    /// Today's visitors.
    seen: Sharded<HashSet<Visitor>>,
    /// When each visitor was last seen.
    last_seen: Sharded<HashMap<Visitor, Timestamp>>,
}

/// A day's salt. Without randomness nothing is counted: a predictable salt would
/// let visits be linked across days.
fn salt() -> Option<[u8; 16]> {
    crate::random::bytes()
        .inspect_err(|e| tracing::error!("{e}; visits are not counted"))
        .ok()
}

fn local_date(now: Timestamp) -> Date {
    now.to_zoned_datetime(crate::format::vietnam()).date()
}

/// Crawlers are not visitors.
fn is_robot(user_agent: &str) -> bool {
    // Compared without a lowercased copy: this runs for every page view.
    let ua = user_agent.as_bytes();
    ua.is_empty()
        || ["bot", "spider", "crawl", "slurp", "curl", "wget", "python"]
            .iter()
            .any(|w| {
                ua.windows(w.len())
                    .any(|window| window.eq_ignore_ascii_case(w.as_bytes()))
            })
}

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

impl Stats {
    /// Starts from the saved counts (a restart on the same day keeps today's count).
    pub fn new(saved: Saved) -> Stats {
        let day = saved.day.and_then(|date| {
            Some(Day {
                date,
                salt: salt()?,
                carried: saved.today,
                earlier: saved.earlier,
            })
        });
        Stats {
            day: RwLock::new(day),
            seen: Sharded::default(),
            last_seen: Sharded::default(),
        }
    }

    /// Counts one page view by `ip` with `user_agent` at `now`.
    pub fn record(&self, ip: IpAddr, user_agent: &str, now: Timestamp) {
        if is_robot(user_agent) {
            return;
        }
        let date = local_date(now);
        let mut day = read(&self.day);
        // The day only moves forward: a page view stamped just before midnight and
        // counted just after (or a clock set back) counts in the day already begun.
        if day.as_ref().is_none_or(|day| day.date < date) {
            drop(day);
            self.begin(date);
            day = read(&self.day);
        }
        // Held (shared) until the visitor is in: a new day's `begin` waits for it, so
        // no visitor hashed with yesterday's salt lands in today's count. Still another
        // day if no new salt could be made: nothing is counted then.
        let Some(today) = day.as_ref().filter(|day| day.date >= date) else {
            return;
        };
        let mut hasher = Sha256::new();
        hasher.update(today.salt);
        match ip {
            IpAddr::V4(v4) => hasher.update(v4.octets()),
            IpAddr::V6(v6) => hasher.update(v6.octets()),
        }
        hasher.update([0]);
        hasher.update(user_agent.as_bytes());
        let mut visitor: Visitor = [0; 16];
        visitor.copy_from_slice(&hasher.finalize()[..16]);
        let copy = usize::from(visitor[0]);
        {
            let mut seen = self.seen.by_key(copy);
            if seen.len() < MAX_VISITORS_PER_DAY / self.seen.count() {
                seen.insert(visitor);
            }
        }
        drop(day);
        let mut last = self.last_seen.by_key(copy);
        let bound = MAX_ONLINE / self.last_seen.count();
        // Pruned when full, not on every page view.
        if last.len() >= bound {
            last.retain(|_, at| now.duration_since(*at) < ONLINE_WINDOW);
        }
        if last.len() < bound || last.contains_key(&visitor) {
            last.insert(visitor, now);
        }
    }

    /// Starts counting `date` (unless another page view already has): yesterday's
    /// visitors join the total; a new salt unlinks people.
    fn begin(&self, date: Date) {
        let Some(salt) = salt() else { return };
        let mut day = self.day.write().unwrap_or_else(PoisonError::into_inner);
        let earlier = match day.as_ref() {
            Some(day) if day.date >= date => return,
            Some(day) => day.earlier + day.carried + self.seen_today(),
            None => 0,
        };
        for mut seen in self.seen.each() {
            // Replaced, not cleared: a flood's day gives its memory back.
            *seen = HashSet::new();
        }
        *day = Some(Day {
            date,
            salt,
            carried: 0,
            earlier,
        });
    }

    /// Visitors counted by this process since the day began.
    fn seen_today(&self) -> u64 {
        self.seen.each().map(|seen| seen.len() as u64).sum()
    }

    pub fn counts(&self, now: Timestamp) -> Counts {
        let online = self
            .last_seen
            .each()
            .map(|last| {
                last.values()
                    .filter(|at| now.duration_since(**at) < ONLINE_WINDOW)
                    .count() as u64
            })
            .sum();
        let saved = self.saved(now);
        Counts {
            online,
            today: saved.today,
            total: saved.earlier + saved.today,
        }
    }

    /// The counts to save, as of `now` (a day with no visit yet counts zero).
    pub fn saved(&self, now: Timestamp) -> Saved {
        let date = local_date(now);
        let day = read(&self.day);
        match day.as_ref() {
            None => Saved {
                day: Some(date),
                ..Saved::default()
            },
            Some(day) if day.date >= date => Saved {
                day: Some(day.date),
                today: day.carried + self.seen_today(),
                earlier: day.earlier,
            },
            Some(day) => Saved {
                day: Some(date),
                today: 0,
                earlier: day.earlier + day.carried + self.seen_today(),
            },
        }
    }
}

/// The saved counts. Damaged counts are logged and start again from zero: they
/// guard nothing, and a visitor counter must not keep the site from starting.
pub fn load(tx: &impl Tx) -> Result<Saved, store::Error> {
    match store::meta_get(tx, KEY) {
        Ok(saved) => Ok(saved.unwrap_or_default()),
        Err(e @ store::Error::Decode { .. }) => {
            tracing::error!("{e}; visitor counts start again from zero");
            Ok(Saved::default())
        }
        Err(e) => Err(e),
    }
}

pub fn save(tx: &redb::WriteTransaction, saved: &Saved) -> Result<(), store::Error> {
    store::meta_put(tx, KEY, saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";

    #[test]
    fn visitors_are_counted_once_a_day_and_online_for_five_minutes() {
        let stats = Stats::new(Saved::default());
        let t0: Timestamp = "2026-11-28T03:00:00Z".parse().unwrap();
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        stats.record(a, FIREFOX, t0);
        stats.record(a, FIREFOX, t0 + SignedDuration::from_secs(30));
        stats.record(b, FIREFOX, t0 + SignedDuration::from_secs(60));
        stats.record(b, "Googlebot/2.1", t0);
        assert_eq!(
            stats.counts(t0 + SignedDuration::from_secs(90)),
            Counts {
                online: 2,
                today: 2,
                total: 2
            }
        );
        let later = t0 + SignedDuration::from_mins(10);
        assert_eq!(stats.counts(later).online, 0);
        // The next day (Vietnam time) a returning visitor counts again.
        let tomorrow: Timestamp = "2026-11-28T18:00:00Z".parse().unwrap();
        stats.record(a, FIREFOX, tomorrow);
        assert_eq!(
            stats.counts(tomorrow),
            Counts {
                online: 1,
                today: 1,
                total: 3
            }
        );
        // A page view stamped just before midnight and counted after it counts in the
        // day begun: the day does not go back (and count today's visitors twice).
        let before_midnight: Timestamp = "2026-11-28T16:59:59.999Z".parse().unwrap();
        stats.record(b, FIREFOX, before_midnight);
        assert_eq!(
            stats.counts(tomorrow),
            Counts {
                online: 1,
                today: 2,
                total: 4
            }
        );
        // A restart keeps the counts.
        let again = Stats::new(stats.saved(tomorrow));
        assert_eq!(again.counts(tomorrow).total, 4);
        assert_eq!(again.counts(tomorrow).today, 2);
    }
}
