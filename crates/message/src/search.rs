//! What a search looks at in a message (IMAP SEARCH today, Sieve and filters next): a
//! case-insensitive substring of the decoded text. Header fields match in their decoded form
//! (RFC 2047 words and addresses as `mail-parser` decodes them, an address as `Name <addr>`)
//! or as written; bodies match in every text part after their transfer encoding and charset
//! are undone, attached messages included; the sent date is the Date field's calendar day
//! in its own zone.
//!
//! Invariants: pure; every needle is lower-cased by [`needle`] before it is compared; an
//! empty needle matches any text (and any message that has the field); attached messages are
//! searched [`MAX_NESTING`] deep at most.

use chrono::{Datelike, NaiveDate};
use mail_parser::{Address, Header, HeaderName, HeaderValue, Message, PartType};

/// How deep attached messages are searched for body text.
pub const MAX_NESTING: usize = 4;

/// The searched-for text as it is compared: lower-cased.
pub fn needle(text: &[u8]) -> String {
    fold(&String::from_utf8_lossy(text))
}

fn contains(hay: &str, needle: &str) -> bool {
    needle.is_empty() || fold(hay).contains(needle)
}

/// Text as it is compared with a needle: lower-cased (what [`needle`] does to the needle).
/// The search index ([`crate::searchtext`]) keeps text folded by this same function.
pub fn fold(hay: &str) -> String {
    hay.to_lowercase()
}

/// FROM, TO, CC, BCC: any address field of that kind whose decoded addresses or written
/// value contain `needle`.
pub fn address_contains(msg: &Message<'_>, name: HeaderName<'static>, needle: &str) -> bool {
    let field = name.as_str().to_owned();
    msg.headers()
        .iter()
        .filter(|h| h.name == name)
        .any(|h| value_matches(msg, h, needle))
        || msg
            .headers()
            .iter()
            .filter(|h| h.name.as_str().eq_ignore_ascii_case(&field))
            .any(|h| contains(&raw_value(msg, h), needle))
}

/// Any field called `name` (ASCII case ignored) whose value contains `needle`; with an
/// empty needle, whether the message has such a field.
pub fn field_contains(msg: &Message<'_>, name: &str, needle: &str) -> bool {
    msg.headers()
        .iter()
        .filter(|h| h.name.as_str().eq_ignore_ascii_case(name))
        .any(|h| needle.is_empty() || value_matches(msg, h, needle))
}

/// Any field whose name or value contains `needle`.
pub fn any_field_contains(msg: &Message<'_>, needle: &str) -> bool {
    msg.headers()
        .iter()
        .any(|h| contains(h.name.as_str(), needle) || value_matches(msg, h, needle))
}

/// The decoded text of any text part (attached messages included) contains `needle`.
pub fn body_contains(msg: &Message<'_>, needle: &str) -> bool {
    let mut texts = Vec::new();
    body_texts(msg, 0, &mut texts);
    texts.iter().any(|t| contains(t, needle))
}

/// The texts [`body_contains`] looks at, in order: each text part, attached messages'
/// included ([`MAX_NESTING`] deep). The search index keeps the same ([`crate::searchtext`]).
pub(crate) fn body_texts<'a>(msg: &'a Message<'a>, depth: usize, out: &mut Vec<&'a str>) {
    for p in &msg.parts {
        match &p.body {
            PartType::Text(t) | PartType::Html(t) => out.push(t),
            PartType::Message(inner) if depth < MAX_NESTING => body_texts(inner, depth + 1, out),
            _ => {}
        }
    }
}

/// The calendar day of the Date field in its own zone, if it has a readable one.
pub fn sent_day(msg: &Message<'_>) -> Option<NaiveDate> {
    msg.date()
        .and_then(|d| {
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
        })
        .filter(|d| d.year() > 0)
}

fn value_matches(msg: &Message<'_>, h: &Header<'_>, n: &str) -> bool {
    decoded(&h.value).iter().any(|t| contains(t, n)) || contains(&raw_value(msg, h), n)
}

/// A field's value as written, line breaks removed.
pub(crate) fn raw_value(msg: &Message<'_>, h: &Header<'_>) -> String {
    let raw = msg.raw_message();
    let (a, b) = (h.offset_start as usize, h.offset_end as usize);
    raw.get(a..b.max(a))
        .map(|v| String::from_utf8_lossy(v).replace(['\r', '\n'], ""))
        .unwrap_or_default()
}

/// The decoded forms of a header value that text searches look at.
pub(crate) fn decoded(v: &HeaderValue<'_>) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(l) => vec![l.join(" ")],
        HeaderValue::Address(a) => {
            let addrs: Vec<&mail_parser::Addr<'_>> = match a {
                Address::List(l) => l.iter().collect(),
                Address::Group(g) => g.iter().flat_map(|g| g.addresses.iter()).collect(),
            };
            addrs
                .iter()
                .map(|a| {
                    format!(
                        "{} <{}>",
                        a.name.as_deref().unwrap_or(""),
                        a.address.as_deref().unwrap_or("")
                    )
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    const MSG: &[u8] = b"From: =?utf-8?q?J=C3=BCrgen?= <jurgen@example.test>\r\n\
        To: team@example.test\r\n\
        Subject: Quarterly figures\r\n\
        Date: Mon, 02 Mar 2026 23:30:00 -0800\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\
        Content-Transfer-Encoding: quoted-printable\r\n\
        \r\n\
        Gr=C3=BC=C3=9Fe, the numbers are in.\r\n";

    #[test]
    fn decoded_and_written_text_match() {
        let m = MessageParser::default().parse(MSG).unwrap();
        assert!(address_contains(
            &m,
            HeaderName::From,
            &needle("jürgen".as_bytes())
        ));
        assert!(address_contains(
            &m,
            HeaderName::From,
            &needle(b"J=C3=BCrgen")
        ));
        assert!(!address_contains(&m, HeaderName::Cc, &needle(b"team")));
        assert!(field_contains(&m, "subject", &needle(b"QUARTERLY")));
        assert!(field_contains(&m, "To", ""));
        assert!(!field_contains(&m, "Cc", ""));
        assert!(any_field_contains(&m, &needle(b"content-transfer")));
        assert!(body_contains(&m, &needle("grüße".as_bytes())));
        assert!(!body_contains(&m, &needle(b"quarterly")));
        // The day as written, in the field's own zone (UTC would be the 3rd).
        assert_eq!(sent_day(&m), NaiveDate::from_ymd_opt(2026, 3, 2));
    }
}
