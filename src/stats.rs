//! "Thống kê truy cập": visitors online now, today and in total, counted without
//! cookies, scripts of any third party, or stored addresses. A visitor is a hash of
//! their address and browser under a random salt made anew each day and never stored,
//! so the same person cannot be followed from one day to the next, nor found from the
//! hash. Only the counts are kept: today's and the total of earlier days, saved each
//! minute in the store.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Mutex;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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

struct Day {
    date: Date,
    salt: [u8; 16],
    seen: HashSet<[u8; 16]>,
    /// Visitors counted today before this process started (their hashes are gone).
    carried: u64,
    earlier: u64,
}

pub struct Stats {
    day: Mutex<Option<Day>>,
    last_seen: Mutex<HashMap<[u8; 16], Timestamp>>,
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

impl Stats {
    /// Starts from the saved counts (a restart on the same day keeps today's count).
    pub fn new(saved: Saved) -> Stats {
        let day = saved.day.and_then(|date| {
            Some(Day {
                date,
                salt: salt()?,
                seen: HashSet::new(),
                carried: saved.today,
                earlier: saved.earlier,
            })
        });
        Stats {
            day: Mutex::new(day),
            last_seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one page view by `ip` with `user_agent` at `now`.
    pub fn record(&self, ip: IpAddr, user_agent: &str, now: Timestamp) {
        if is_robot(user_agent) {
            return;
        }
        let date = local_date(now);
        let Ok(mut guard) = self.day.lock() else {
            return;
        };
        if guard.is_none() {
            let Some(salt) = salt() else { return };
            *guard = Some(Day {
                date,
                salt,
                seen: HashSet::new(),
                carried: 0,
                earlier: 0,
            });
        }
        let Some(day) = guard.as_mut() else { return };
        if day.date != date {
            // A new day: yesterday's visits join the total; a new salt unlinks people.
            let yesterday = day.carried + day.seen.len() as u64;
            let Some(salt) = salt() else { return };
            *day = Day {
                date,
                salt,
                seen: HashSet::new(),
                carried: 0,
                earlier: day.earlier + yesterday,
            };
        }
        let mut hasher = Sha256::new();
        hasher.update(day.salt);
        match ip {
            IpAddr::V4(v4) => hasher.update(v4.octets()),
            IpAddr::V6(v6) => hasher.update(v6.octets()),
        }
        hasher.update([0]);
        hasher.update(user_agent.as_bytes());
        let mut visitor = [0u8; 16];
        visitor.copy_from_slice(&hasher.finalize()[..16]);
        if day.seen.len() < MAX_VISITORS_PER_DAY {
            day.seen.insert(visitor);
        }
        drop(guard);
        if let Ok(mut last) = self.last_seen.lock() {
            // Pruned when full, not on every page view.
            if last.len() >= MAX_ONLINE {
                last.retain(|_, at| now.duration_since(*at) < ONLINE_WINDOW);
            }
            if last.len() < MAX_ONLINE || last.contains_key(&visitor) {
                last.insert(visitor, now);
            }
        }
    }

    pub fn counts(&self, now: Timestamp) -> Counts {
        let online = self.last_seen.lock().map_or(0, |last| {
            last.values()
                .filter(|at| now.duration_since(**at) < ONLINE_WINDOW)
                .count() as u64
        });
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
        let Ok(guard) = self.day.lock() else {
            return Saved::default();
        };
        match guard.as_ref() {
            None => Saved {
                day: Some(date),
                ..Saved::default()
            },
            Some(day) if day.date == date => Saved {
                day: Some(date),
                today: day.carried + day.seen.len() as u64,
                earlier: day.earlier,
            },
            Some(day) => Saved {
                day: Some(date),
                today: 0,
                earlier: day.earlier + day.carried + day.seen.len() as u64,
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
        // A restart keeps the counts.
        let again = Stats::new(stats.saved(tomorrow));
        assert_eq!(again.counts(tomorrow).total, 3);
        assert_eq!(again.counts(tomorrow).today, 1);
    }
}
