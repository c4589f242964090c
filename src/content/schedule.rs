//! The leaders' weekly work schedule (lịch công tác lãnh đạo, regulation C3): one entry
//! per week, so a week is approved and published as a whole, as agencies do.

use jiff::civil::{Date, Time};
use redb::{ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::{Entry, Error, Kind, Revision, tables};
use crate::store::{self, Tx};

/// (Monday as `yyyymmdd`, entry id) → (): the published entries that hold each week's
/// schedule, so a week's page reads its own entry, not every week ever published.
/// Kept by `list` and `unlist`, in the same transaction.
pub const WEEKS: TableDefinition<(i64, u64), ()> = TableDefinition::new("schedule_weeks_v1");

fn week_key(monday: Date) -> i64 {
    i64::from(monday.year()) * 10_000 + i64::from(monday.month()) * 100 + i64::from(monday.day())
}

/// Files `entry`, live and listed with its `shown` revision, under its week.
pub(super) fn add(tx: &WriteTransaction, entry: &Entry, shown: &Revision) -> Result<(), Error> {
    if let (Kind::ScheduleWeek, Some(week)) = (entry.kind, &shown.fields.schedule) {
        tx.open_table(WEEKS)
            .map_err(store::Error::from)?
            .insert((week_key(week.start), entry.id.0), ())
            .map_err(store::Error::from)?;
    }
    Ok(())
}

/// Takes `entry` out of its week, as filed by `add` with the revision it still shows.
pub(super) fn remove(tx: &WriteTransaction, entry: &Entry) -> Result<(), Error> {
    if entry.kind != Kind::ScheduleWeek {
        return Ok(());
    }
    let Some(live) = entry.published else {
        return Ok(());
    };
    if let Some(week) = tables::REVISIONS
        .get(tx, live.0)?
        .and_then(|shown| shown.fields.schedule)
    {
        tx.open_table(WEEKS)
            .map_err(store::Error::from)?
            .remove((week_key(week.start), entry.id.0))
            .map_err(store::Error::from)?;
    }
    Ok(())
}

/// The ids of the published entries holding the week that starts on `monday`.
pub fn entries_of_week(tx: &impl Tx, monday: Date) -> Result<Vec<u64>, Error> {
    fn run(table: &impl ReadableTable<(i64, u64), ()>, key: i64) -> Result<Vec<u64>, store::Error> {
        let mut ids = Vec::new();
        for item in table.range((key, 0)..=(key, u64::MAX))? {
            ids.push(item?.0.value().1);
        }
        Ok(ids)
    }
    let key = week_key(monday);
    Ok(match tx.reader() {
        store::Reader::Read(t) => match t.open_table(WEEKS) {
            Ok(table) => run(&table, key)?,
            Err(redb::TableError::TableDoesNotExist(_)) => Vec::new(),
            Err(e) => return Err(store::Error::from(e).into()),
        },
        store::Reader::Write(t) => run(&t.open_table(WEEKS).map_err(store::Error::from)?, key)?,
    })
}

/// Fills the weeks from what is published (the migration that added them).
pub(crate) fn rebuild(tx: &WriteTransaction) -> Result<(), Error> {
    super::keyed::each_live(tx, Kind::ScheduleWeek, |entry, shown| add(tx, entry, shown))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub date: Date,
    pub time: Time,
    pub leaders: Vec<String>,
    pub content: String,
    pub venue: String,
    /// Chủ trì, thành phần.
    #[serde(default)]
    pub attendees: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Week {
    /// The Monday the week starts on.
    pub start: Date,
    pub items: Vec<Item>,
}

/// The Monday of the week `day` falls in.
pub fn monday_of(day: Date) -> Date {
    let back = i64::from(day.weekday().to_monday_zero_offset());
    day.checked_sub(jiff::Span::new().days(back)).unwrap_or(day)
}

/// "Lịch công tác tuần từ 23/11 đến 29/11/2026"
pub fn week_title(start: Date) -> String {
    let end = start
        .checked_add(jiff::Span::new().days(6))
        .unwrap_or(start);
    format!(
        "Lịch công tác tuần từ {} đến {}",
        start.strftime("%d/%m"),
        end.strftime("%d/%m/%Y")
    )
}

/// The lines editors type, one item per line:
/// `2026-11-23 | 07:30 | Lãnh đạo A; Lãnh đạo B | Nội dung | Địa điểm | Thành phần`.
pub fn parse_lines(week_start: Date, text: &str) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    let end = week_start
        .checked_add(jiff::Span::new().days(6))
        .map_err(|e| e.to_string())?;
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        let bad = |why: &str| format!("Dòng {}: {why}", n + 1);
        if parts.len() < 5 {
            return Err(bad(
                "cần ít nhất 5 phần: ngày | giờ | lãnh đạo | nội dung | địa điểm.",
            ));
        }
        let date: Date = parts[0]
            .parse()
            .map_err(|_| bad("ngày phải có dạng 2026-11-23."))?;
        if date < week_start || date > end {
            return Err(bad("ngày không thuộc tuần này."));
        }
        let time: Time = parts[1]
            .parse()
            .map_err(|_| bad("giờ phải có dạng 07:30."))?;
        let leaders: Vec<String> = parts[2]
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        if leaders.is_empty() || parts[3].is_empty() {
            return Err(bad("cần ghi lãnh đạo và nội dung."));
        }
        items.push(Item {
            date,
            time,
            leaders,
            content: parts[3].to_string(),
            venue: parts[4].to_string(),
            attendees: parts
                .get(5)
                .map(std::string::ToString::to_string)
                .unwrap_or_default(),
        });
    }
    if items.is_empty() {
        return Err("Lịch tuần cần ít nhất một mục.".into());
    }
    items.sort_by_key(|i| (i.date, i.time));
    Ok(items)
}

/// The inverse of `parse_lines`, for the form.
pub fn to_lines(items: &[Item]) -> String {
    items
        .iter()
        .map(|i| {
            format!(
                "{} | {} | {} | {} | {} | {}",
                i.date,
                i.time.strftime("%H:%M"),
                i.leaders.join("; "),
                i.content,
                i.venue,
                i.attendees
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn weeks_start_on_monday() {
        assert_eq!(monday_of(date(2026, 11, 28)), date(2026, 11, 23));
        assert_eq!(monday_of(date(2026, 11, 23)), date(2026, 11, 23));
        assert_eq!(monday_of(date(2026, 11, 29)), date(2026, 11, 23));
    }

    #[test]
    fn lines_parse_sort_and_refuse_days_outside_the_week() {
        let monday = date(2026, 11, 23);
        let text = "2026-11-24 | 14:00 | Lê Thị Thu Hà | Họp hội đồng | Phòng họp 2 | Các thành viên\n\n2026-11-23 | 07:30 | Trần Minh Khôi; Lê Thị Thu Hà | Giao ban | Phòng họp 1";
        let items = parse_lines(monday, text).unwrap();
        assert_eq!(items[0].content, "Giao ban");
        assert_eq!(items[0].leaders.len(), 2);
        assert_eq!(parse_lines(monday, &to_lines(&items)).unwrap(), items);
        assert!(parse_lines(monday, "2026-12-01 | 08:00 | A | B | C").is_err());
        assert!(parse_lines(monday, "2026-11-23 | 8h | A | B | C").is_err());
        assert!(parse_lines(monday, "").is_err());
    }

    /// A week is found under its Monday while it is live; a new version for another
    /// week moves it; withdrawn, it is found under none.
    #[test]
    fn a_weeks_entry_is_found_under_its_monday_only() {
        use crate::content::{self, Fields, NewEntry};
        use crate::store::Store;
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        let (first, second) = (
            jiff::civil::date(2026, 11, 23),
            jiff::civil::date(2026, 11, 30),
        );
        let fields = |start: Date| Fields {
            title: week_title(start),
            schedule: Some(Week {
                start,
                items: Vec::new(),
            }),
            ..Fields::default()
        };
        let found = |monday: Date| {
            store
                .read_blocking(|tx| entries_of_week(tx, monday))
                .unwrap()
        };
        let id = store
            .write_blocking(|tx| -> Result<_, Error> {
                let new = NewEntry {
                    kind: Kind::ScheduleWeek,
                    slug: "lich-tuan".into(),
                    category: None,
                    unit: None,
                    featured: false,
                };
                let entry = content::create(tx, new, fields(first), "t", now)?;
                content::publish(tx, entry.id, now)?;
                Ok(entry.id)
            })
            .unwrap();
        assert_eq!((found(first), found(second)), (vec![id.0], vec![]));
        store
            .write_blocking(|tx| -> Result<(), Error> {
                let mut entry = tables::ENTRIES.get(tx, id.0)?.unwrap();
                let next =
                    content::new_revision(tx, id, Some(entry.working), fields(second), "t", now)?;
                entry.working = next.id;
                tables::ENTRIES.insert(tx, id.0, &entry)?;
                content::publish(tx, id, now)?;
                Ok(())
            })
            .unwrap();
        assert_eq!((found(first), found(second)), (vec![], vec![id.0]));
        store
            .write_blocking(|tx| -> Result<(), Error> {
                let entry = tables::ENTRIES.get(tx, id.0)?.unwrap();
                content::unlist(tx, &entry)
            })
            .unwrap();
        assert!(found(second).is_empty());
    }
}
