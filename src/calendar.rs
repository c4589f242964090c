//! Working days, for legal deadlines (15 working days to answer a citizen's question,
//! update deadlines in the regulation): Monday to Friday, less the public holidays
//! and plus the make-up Saturdays the government announces each year. Both lists are
//! settings (`[calendar]`), because they change every year.

use jiff::civil::{Date, Weekday};
use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    /// Days off besides weekends (Tết, Giỗ Tổ, 30/4, 1/5, Quốc khánh, and the days
    /// swapped with them).
    #[serde(default)]
    pub holidays: Vec<Date>,
    /// Saturdays or Sundays worked to make up for a swapped day.
    #[serde(default)]
    pub working_weekends: Vec<Date>,
}

impl Calendar {
    pub fn is_working_day(&self, day: Date) -> bool {
        if self.working_weekends.contains(&day) {
            return true;
        }
        let weekend = matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday);
        !weekend && !self.holidays.contains(&day)
    }

    /// The `n`th working day after `start` (the day of receipt does not count).
    pub fn add_working_days(&self, start: Date, n: u32) -> Date {
        let mut day = start;
        let mut left = n;
        // A year of holidays cannot hide more than a few hundred days; the bound keeps
        // a misconfigured calendar (every day a holiday) from looping.
        for _ in 0..(n as usize * 7 + 800) {
            if left == 0 {
                break;
            }
            day = day.tomorrow().unwrap_or(day);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// Working days after `from` up to and including `to` (0 when `to` is not later).
    pub fn working_days_between(&self, from: Date, to: Date) -> u32 {
        let mut count = 0;
        let mut day = from;
        while day < to {
            day = match day.tomorrow() {
                Ok(next) => next,
                Err(_) => break,
            };
            if self.is_working_day(day) {
                count += 1;
            }
        }
        count
    }

    /// Whether the calendar lists any holiday in `year` (a reminder to fill it in).
    pub fn knows_year(&self, year: i16) -> bool {
        self.holidays.iter().any(|d| d.year() == year)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn fifteen_working_days_skip_weekends_and_holidays() {
        let plain = Calendar::default();
        // Monday 2 November 2026 + 15 working days = Monday 23 November.
        assert_eq!(
            plain.add_working_days(date(2026, 11, 2), 15),
            date(2026, 11, 23)
        );
        // Asked on a Saturday: counting starts Monday.
        assert_eq!(
            plain.add_working_days(date(2026, 11, 7), 1),
            date(2026, 11, 9)
        );
        // Tết 2026 (14–22 February) pushes the deadline out by its five weekdays.
        let tet = Calendar {
            holidays: (16..=20).map(|d| date(2026, 2, d)).collect(),
            working_weekends: vec![],
        };
        assert_eq!(
            plain.add_working_days(date(2026, 2, 9), 15),
            date(2026, 3, 2)
        );
        assert_eq!(tet.add_working_days(date(2026, 2, 9), 15), date(2026, 3, 9));
        // A make-up Saturday counts.
        let makeup = Calendar {
            holidays: vec![],
            working_weekends: vec![date(2026, 11, 14)],
        };
        assert_eq!(
            makeup.add_working_days(date(2026, 11, 13), 1),
            date(2026, 11, 14)
        );
        assert_eq!(
            tet.working_days_between(date(2026, 2, 13), date(2026, 2, 23)),
            1
        );
        assert_eq!(
            plain.working_days_between(date(2026, 11, 23), date(2026, 11, 2)),
            0
        );
    }

    #[test]
    fn a_calendar_of_only_holidays_does_not_loop() {
        let mut all = Calendar::default();
        let mut day = date(2026, 1, 1);
        for _ in 0..400 {
            all.holidays.push(day);
            day = day.tomorrow().unwrap();
        }
        let after = all.add_working_days(date(2026, 1, 1), 15);
        // 400 holidays end on 4 February 2027 (a Thursday); the 15th working day after
        // them is 25 February 2027.
        assert_eq!(after, date(2027, 2, 25));
        assert!(all.is_working_day(after));
    }
}
