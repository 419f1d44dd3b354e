//! Internal dates: the loose parser for the date on an mbox "From " line and
//! the fallback to a message's `Date:` header.
//!
//! The From_ line is parsed token by token rather than against one format,
//! because writers disagree: asctime (`Tue Mar  4 12:00:00 2025`), asctime
//! with a zone before or after the year, RFC 5322 style (`4 Mar 2025 ...`)
//! and ISO 8601 (`2025-03-04T12:00:00Z`) are all seen. A time without a
//! numeric offset is taken as UTC; a numeric offset (`+0100`, `-05:00`) is
//! applied; zone names (`PST`, `UTC`) are ignored.

use chrono::NaiveDate;

/// Date fields gathered from the tokens of a From_ line.
#[derive(Default)]
struct Fields {
    year: Option<i32>,
    month: Option<u32>,
    day: Option<u32>,
    time: Option<(u32, u32, u32)>,
    offset: Option<i64>,
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The Unix time written on an mbox From_ line (`From sender DATE`), if any.
pub(crate) fn from_line_date(line: &[u8]) -> Option<i64> {
    let rest = line.strip_prefix(b"From ")?;
    let text = String::from_utf8_lossy(rest);
    let mut fields = Fields::default();
    // The sender, weekday names and trailing words such as "remote from
    // host" match no field and are skipped.
    for token in text.split_whitespace() {
        fields.take(token.trim_end_matches(','));
    }
    fields.timestamp()
}

/// The Unix time of the `Date:` header in a message's header block, if valid.
pub(crate) fn date_header(header_block: &[u8]) -> Option<i64> {
    let message = mail_parser::MessageParser::new().parse_headers(header_block)?;
    let date = message.date()?;
    date.is_valid().then(|| date.to_timestamp())
}

impl Fields {
    /// Records `token` if it is a date field not seen yet; tells whether it was.
    fn take(&mut self, token: &str) -> bool {
        if self.month.is_none()
            && let Some(m) = month_number(token)
        {
            self.month = Some(m);
        } else if self.time.is_none()
            && let Some(t) = parse_time(token)
        {
            self.time = Some(t);
        } else if token.bytes().all(|b| b.is_ascii_digit()) {
            return self.take_number(token);
        } else if self.offset.is_none()
            && let Some(o) = parse_offset(token)
        {
            self.offset = Some(o);
        } else if self.year.is_none() {
            return self.take_iso(token);
        } else {
            return false;
        }
        true
    }

    /// Records a bare number: a four-digit year or a day of the month.
    fn take_number(&mut self, token: &str) -> bool {
        let Ok(value) = token.parse::<u32>() else {
            return false;
        };
        match token.len() {
            4 if self.year.is_none() => self.year = i32::try_from(value).ok(),
            1 | 2 if self.day.is_none() && (1..=31).contains(&value) => self.day = Some(value),
            _ => return false,
        }
        true
    }

    /// Records an ISO 8601 date, with optional `T`-joined time and offset.
    fn take_iso(&mut self, token: &str) -> bool {
        let (date, time) = match token.split_once(['T', 't']) {
            Some((d, t)) => (d, Some(t)),
            None => (token, None),
        };
        let Ok(date) = NaiveDate::parse_from_str(date, "%Y-%m-%d") else {
            return false;
        };
        use chrono::Datelike;
        self.year = Some(date.year());
        self.month = Some(date.month());
        self.day = Some(date.day());
        if let Some(time) = time {
            let zone_at = time.find(['Z', 'z', '+', '-']).unwrap_or(time.len());
            let (clock, zone) = time.split_at(zone_at);
            self.time = parse_time(clock.split('.').next().unwrap_or(clock));
            self.offset = parse_offset(zone);
        }
        true
    }

    /// Combines the fields into Unix seconds, if they make a real date.
    fn timestamp(&self) -> Option<i64> {
        let (hour, minute, second) = self.time?;
        let date = NaiveDate::from_ymd_opt(self.year?, self.month?, self.day?)?;
        let local = date.and_hms_opt(hour, minute, second.min(59))?;
        Some(local.and_utc().timestamp() - self.offset.unwrap_or(0))
    }
}

/// The month (1 to 12) named by `token`: its three-letter abbreviation,
/// "Sept", or its full English name, in any case.
fn month_number(token: &str) -> Option<u32> {
    let index = MONTHS.iter().position(|name| {
        token.eq_ignore_ascii_case(name)
            || token.eq_ignore_ascii_case(&name[..3])
            || (token.eq_ignore_ascii_case("sept") && name.starts_with("sep"))
    })?;
    u32::try_from(index + 1).ok()
}

/// Parses `hh:mm` or `hh:mm:ss`.
fn parse_time(token: &str) -> Option<(u32, u32, u32)> {
    let mut parts = token.split(':');
    let mut next = |max: u32| -> Option<u32> {
        let part = parts.next()?;
        let ok = (1..=2).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
        part.parse().ok().filter(|&v| ok && v <= max)
    };
    let hour = next(23)?;
    let minute = next(59)?;
    let second = match parts.next() {
        None => 0,
        Some(s) if s.len() == 2 => s.parse().ok().filter(|&v: &u32| v <= 60)?,
        Some(_) => return None,
    };
    parts.next().is_none().then_some((hour, minute, second))
}

/// Parses a numeric zone offset (`+0100`, `-05:00`, `Z`) into seconds east of UTC.
fn parse_offset(token: &str) -> Option<i64> {
    if token.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let sign = match token.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = token[1..].chars().filter(|&c| c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i64 = digits[..2].parse().ok()?;
    let minutes: i64 = digits[2..].parse().ok()?;
    (hours <= 23 && minutes <= 59).then_some(sign * (hours * 3600 + minutes * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAR_4_NOON: i64 = 1_741_089_600;

    #[test]
    fn asctime_is_utc() {
        let d = from_line_date(b"From alice@example.com Tue Mar  4 12:00:00 2025\n");
        assert_eq!(d, Some(MAR_4_NOON));
        assert_eq!(
            from_line_date(b"From MAILER-DAEMON Tue Mar 4 12:00 2025"),
            Some(MAR_4_NOON)
        );
    }

    #[test]
    fn zones_before_or_after_the_year() {
        let east = from_line_date(b"From a@b Tue Mar  4 13:00:00 +0100 2025");
        assert_eq!(east, Some(MAR_4_NOON));
        let west = from_line_date(b"From a@b Tue Mar  4 07:00:00 2025 -0500");
        assert_eq!(west, Some(MAR_4_NOON));
        let named = from_line_date(b"From a@b Tue Mar  4 12:00:00 PST 2025");
        assert_eq!(named, Some(MAR_4_NOON));
    }

    #[test]
    fn other_orders() {
        assert_eq!(
            from_line_date(b"From a@b 2025-03-04T12:00:00Z"),
            Some(MAR_4_NOON)
        );
        assert_eq!(
            from_line_date(b"From a@b 2025-03-04 14:00:00 +02:00"),
            Some(MAR_4_NOON)
        );
        assert_eq!(
            from_line_date(b"From a@b Tue, 4 Mar 2025 12:00:00 +0000"),
            Some(MAR_4_NOON)
        );
        assert_eq!(
            from_line_date(b"From a@b 2025 Mar 4 12:00:00"),
            Some(MAR_4_NOON)
        );
        assert_eq!(
            from_line_date(b"From  Tue Mar  4 12:00:00 2025"),
            Some(MAR_4_NOON)
        );
    }

    #[test]
    fn not_a_date() {
        assert_eq!(from_line_date(b"From the start of the story"), None);
        assert_eq!(from_line_date(b"From a@b Tue Feb 30 12:00:00 2025"), None);
        assert_eq!(from_line_date(b"From a@b"), None);
        assert_eq!(from_line_date(b"Subject: x"), None);
    }

    #[test]
    fn date_header_fallback() {
        let headers = b"Subject: x\r\nDate: Tue, 4 Mar 2025 13:00:00 +0100\r\n\r\n";
        assert_eq!(date_header(headers), Some(MAR_4_NOON));
        assert_eq!(date_header(b"Subject: x\r\n\r\n"), None);
        assert_eq!(date_header(b"Date: garbage\r\n\r\n"), None);
    }
}
