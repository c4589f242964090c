//! How dates and sizes read in Vietnamese. Times are stored in UTC and shown in
//! Vietnam time, UTC+7 all year (no daylight saving since 1975).

use jiff::Timestamp;
use jiff::civil::Weekday;
use jiff::tz::{Offset, TimeZone};

pub fn vietnam() -> TimeZone {
    TimeZone::fixed(Offset::constant(7))
}

/// "Thứ Hai" … "Chủ nhật".
pub fn weekday(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "Thứ Hai",
        Weekday::Tuesday => "Thứ Ba",
        Weekday::Wednesday => "Thứ Tư",
        Weekday::Thursday => "Thứ Năm",
        Weekday::Friday => "Thứ Sáu",
        Weekday::Saturday => "Thứ Bảy",
        Weekday::Sunday => "Chủ nhật",
    }
}

/// "28/11/2026"
pub fn date(ts: Timestamp) -> String {
    ts.to_zoned_datetime(vietnam())
        .strftime("%d/%m/%Y")
        .to_string()
}

/// A calendar date as `dd/mm/yyyy`.
pub fn civil_date(day: jiff::civil::Date) -> String {
    day.strftime("%d/%m/%Y").to_string()
}

/// "Thứ Bảy, 28/11/2026 09:19"
pub fn datetime(ts: Timestamp) -> String {
    let z = ts.to_zoned_datetime(vietnam());
    format!("{}, {}", weekday(z.weekday()), z.strftime("%d/%m/%Y %H:%M"))
}

/// "2026-11-28" (Dublin Core and `<time datetime>`)
pub fn iso_date(ts: Timestamp) -> String {
    ts.to_zoned_datetime(vietnam())
        .strftime("%Y-%m-%d")
        .to_string()
}

/// "2026-11-28T09:19:00+07:00"
pub fn iso_datetime(ts: Timestamp) -> String {
    ts.to_zoned_datetime(vietnam())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// A CSV field, quoted as RFC 4180 says when it needs to be. A text a spreadsheet
/// would take for a formula (`=…`, `@…`, `+` or `-` before a non-digit) gets a leading
/// apostrophe, so opening the file runs nothing; numbers and phone numbers stay as
/// they are.
pub fn csv_field(text: &str) -> String {
    let mut chars = text.chars();
    let formula = match chars.next() {
        Some('=' | '@' | '\t') => true,
        Some('+' | '-') => !chars.next().is_some_and(|c| c.is_ascii_digit() || c == ' '),
        _ => false,
    };
    let text = if formula {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A number with `places` decimals and a Vietnamese decimal comma: "99,7".
pub fn decimal(value: f64, places: usize) -> String {
    format!("{value:.places$}").replace('.', ",")
}

/// A whole number with Vietnamese thousands dots: "1.000", "12.345".
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// "1,2 MB", "830 KB", "512 B" (Vietnamese decimal comma).
pub fn file_size(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b >= KB * KB {
        format!("{:.1} MB", b / KB / KB).replace('.', ",")
    } else if b >= KB {
        format!("{:.0} KB", b / KB)
    } else {
        format!("{bytes} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_group_thousands_with_dots() {
        let shown: Vec<String> = [0, 7, 999, 1_000, 12_345, 1_000_000].map(count).to_vec();
        assert_eq!(shown, ["0", "7", "999", "1.000", "12.345", "1.000.000"]);
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("242/QĐ-SKHCN"), "242/QĐ-SKHCN");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("nói \"không\""), "\"nói \"\"không\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+84 256 3822 418"), "+84 256 3822 418");
        assert_eq!(csv_field("-5"), "-5");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
    }

    #[test]
    fn dates_are_in_vietnam_time() {
        // 2026-11-27T20:30Z is Saturday 28 Nov, 03:30 in Vietnam.
        let ts: Timestamp = "2026-11-27T20:30:00Z".parse().unwrap();
        assert_eq!(date(ts), "28/11/2026");
        assert_eq!(datetime(ts), "Thứ Bảy, 28/11/2026 03:30");
        assert_eq!(iso_date(ts), "2026-11-28");
        assert_eq!(iso_datetime(ts), "2026-11-28T03:30:00+07:00");
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(file_size(512), "512 B");
        assert_eq!(file_size(850_000), "830 KB");
        assert_eq!(file_size(1_300_000), "1,2 MB");
    }
}
