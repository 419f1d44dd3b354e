//! Writing messages as an mbox file in the mboxrd variant (the archive's export): each message
//! begins with a `From ` line (envelope sender and date in `asctime` form), its lines that
//! start with any number of `>` followed by `From ` get one more `>` (so a reader removes one
//! and gets the message back), line ends become LF, and a blank line follows each message.
//!
//! Invariant: the output of [`entry`] for any message contains no line beginning `From `
//! other than its first, so entries concatenate into a valid mbox.

use chrono::{DateTime, Utc};

/// The media type of an mbox file (RFC 4155).
pub const MEDIA_TYPE: &str = "application/mbox";

/// One message as an mbox entry: the `From ` line for `sender` (empty: `MAILER-DAEMON`) at
/// `time` (Unix seconds), the quoted message, and the blank line after it.
pub fn entry(sender: &str, time: i64, raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 64 + 80);
    out.extend_from_slice(from_line(sender, time).as_bytes());
    let mut rest = raw;
    while !rest.is_empty() {
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let quotes = line.iter().take_while(|&&b| b == b'>').count();
        if line[quotes..].starts_with(b"From ") {
            out.push(b'>');
        }
        out.extend_from_slice(line);
        out.push(b'\n');
        rest = next;
    }
    out.push(b'\n');
    out
}

/// `From sender date` with its LF; the sender without spaces, the date as `asctime` writes it.
pub fn from_line(sender: &str, time: i64) -> String {
    let who: String = sender
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    let who = if who.is_empty() {
        "MAILER-DAEMON".to_owned()
    } else {
        who
    };
    let date = DateTime::<Utc>::from_timestamp(time, 0)
        .unwrap_or_default()
        .format("%a %b %e %H:%M:%S %Y");
    format!("From {who} {date}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_lines_are_quoted_once_more() {
        let raw = b"Subject: hi\r\n\r\nFrom here\r\n>From there\r\nnot From\r\n";
        let got = entry("a@b.test", 0, raw);
        assert_eq!(
            String::from_utf8(got).ok().as_deref(),
            Some(
                "From a@b.test Thu Jan  1 00:00:00 1970\nSubject: hi\n\n>From here\n>>From there\nnot From\n\n"
            )
        );
    }

    #[test]
    fn null_sender_and_unterminated_last_line() {
        let got = entry("", 86_400, b"X: y\n\nend");
        assert_eq!(
            String::from_utf8(got).ok().as_deref(),
            Some("From MAILER-DAEMON Fri Jan  2 00:00:00 1970\nX: y\n\nend\n\n")
        );
        assert!(from_line("a b@c", 0).starts_with("From ab@c "));
    }
}
