//! The leaders' weekly work schedule (lịch công tác lãnh đạo, regulation C3): one entry
//! per week, so a week is approved and published as a whole, as agencies do.

use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};

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
}
