//! Dates, with `jiff`: RFC 3339 for commit dates, `YYYY-MM-DD` or RFC 3339 for `--since`.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::{Offset, TimeZone};

/// `seconds` since the epoch at UTC offset `offset` (seconds) as RFC 3339: `Z` for UTC,
/// else the offset (`+01:00`). A time outside years -9999..=9999 (which no real commit
/// has) is written `@SECONDS`.
#[must_use]
pub fn rfc3339(seconds: i64, offset: i32) -> String {
    let Ok(time) = Timestamp::from_second(seconds) else {
        return format!("@{seconds}");
    };
    match Offset::from_seconds(offset) {
        Ok(offset) if offset != Offset::UTC => time.display_with_offset(offset).to_string(),
        _ => time.to_string(),
    }
}

/// Parses `YYYY-MM-DD` (midnight UTC), an RFC 3339 date-time, or a date-time without an
/// offset (UTC) into Unix seconds.
#[must_use]
pub fn parse_date(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(time) = text.parse::<Timestamp>() {
        return Some(time.as_second());
    }
    let civil = text
        .parse::<DateTime>()
        .or_else(|_| {
            text.parse::<Date>()
                .map(|date| date.to_datetime(jiff::civil::Time::midnight()))
        })
        .ok()?;
    civil
        .to_zoned(TimeZone::UTC)
        .ok()
        .map(|zoned| zoned.timestamp().as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_dates() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000, 3600), "2023-11-14T23:13:20+01:00");
        assert_eq!(
            rfc3339(1_700_000_000, -5 * 3600 - 1800),
            "2023-11-14T16:43:20-05:30"
        );
        assert_eq!(rfc3339(i64::MAX, 0), format!("@{}", i64::MAX));
        assert_eq!(parse_date("2023-11-14"), Some(1_699_920_000));
        assert_eq!(parse_date("2023-11-14T23:13:20+01:00"), Some(1_700_000_000));
        assert_eq!(parse_date("2023-11-14 23:13:20+01:00"), Some(1_700_000_000));
        assert_eq!(parse_date("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(parse_date("2023-11-14T22:13:20"), Some(1_700_000_000));
        assert_eq!(parse_date("1969-12-31"), Some(-86_400));
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("2023-13-01"), None);
        // jiff checks the calendar, where the hand-written code took any day up to 31.
        assert_eq!(parse_date("2023-02-30"), None);
    }
}
