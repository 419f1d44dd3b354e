//! SEARCH criteria (RFC 9051 §6.4.4) evaluated against one message.
//!
//! Text keys (FROM, TO, CC, BCC, SUBJECT, HEADER, BODY, TEXT) match as
//! `heron_message::search` matches text: a case-insensitive substring of the decoded text or
//! of the field as written. Date keys compare calendar days: BEFORE/ON/SINCE the internal
//! date (UTC), SENT* the Date field as written (the internal date when it is missing or
//! unreadable).
//!
//! Invariants: evaluation is pure; a key that needs the message text is only evaluated when
//! the caller supplies it ([`needs_text`] tells when). RECENT, NEW and OLD look at `\Recent` in this session, which an IMAP4rev2 session never
//! has (RFC 9051 dropped it): there RECENT and NEW match nothing and OLD everything.

use chrono::{DateTime, Datelike, NaiveDate};
use heron_message::search as text;
use heron_proto_imap::seqset;
use imap_codec::imap_types::core::AString;
use imap_codec::imap_types::search::SearchKey;
use mail_parser::{HeaderName, Message};

use heron_message::flagsets::Flags;

/// What SEARCH knows about one message.
pub struct Candidate<'a> {
    pub seq: u32,
    pub uid: u32,
    pub flags: Flags<'a>,
    /// The stored size and internal date (Unix seconds); may be 0 when [`needs_meta`] said
    /// they are not needed.
    pub size: u64,
    pub internal_date: i64,
    pub modseq: u64,
    /// The largest message number and UID of the view (what `*` stands for).
    pub max_seq: u32,
    pub max_uid: u32,
    /// `\Recent` in this session (IMAP4rev1; never in IMAP4rev2).
    pub recent: bool,
    /// The parsed message, when [`needs_text`] said so.
    pub text: Option<&'a Message<'a>>,
}

/// Whether evaluating `key` reads the message itself (header or body).
pub fn needs_text(key: &SearchKey<'_>) -> bool {
    use SearchKey::*;
    match key {
        And(keys) => keys.as_ref().iter().any(needs_text),
        Not(k) => needs_text(k),
        Or(a, b) => needs_text(a) || needs_text(b),
        Bcc(_) | Body(_) | Cc(_) | From(_) | Header(..) | Subject(_) | Text(_) | To(_)
        | SentBefore(_) | SentOn(_) | SentSince(_) => true,
        _ => false,
    }
}

/// Whether evaluating `key` needs the stored size or internal date (the SENT* keys fall
/// back to the latter); flags, UIDs and modseqs are in the session's view.
pub fn needs_meta(key: &SearchKey<'_>) -> bool {
    use SearchKey::*;
    match key {
        And(keys) => keys.as_ref().iter().any(needs_meta),
        Not(k) => needs_meta(k),
        Or(a, b) => needs_meta(a) || needs_meta(b),
        Larger(_) | Smaller(_) | Before(_) | On(_) | Since(_) | SentBefore(_) | SentOn(_)
        | SentSince(_) => true,
        _ => false,
    }
}

/// Whether evaluating `key` reads the message body (BODY, TEXT); the other text keys only
/// need the header block.
pub fn needs_body(key: &SearchKey<'_>) -> bool {
    use SearchKey::*;
    match key {
        And(keys) => keys.as_ref().iter().any(needs_body),
        Not(k) => needs_body(k),
        Or(a, b) => needs_body(a) || needs_body(b),
        Body(_) | Text(_) => true,
        _ => false,
    }
}

/// Whether a message matches a key.
pub fn matches(key: &SearchKey<'_>, m: &Candidate<'_>) -> bool {
    use SearchKey::*;
    match key {
        And(keys) => keys.as_ref().iter().all(|k| matches(k, m)),
        Or(a, b) => matches(a, m) || matches(b, m),
        Not(k) => !matches(k, m),
        All => true,
        Old => !m.recent,
        Recent => m.recent,
        New => m.recent && !has(m, "\\Seen"),
        SequenceSet(set) => seqset::contains(set, m.seq, m.max_seq),
        Uid(set) => seqset::contains(set, m.uid, m.max_uid),
        Answered => has(m, "\\Answered"),
        Deleted => has(m, "\\Deleted"),
        Draft => has(m, "\\Draft"),
        Flagged => has(m, "\\Flagged"),
        Seen => has(m, "\\Seen"),
        Unanswered => !has(m, "\\Answered"),
        Undeleted => !has(m, "\\Deleted"),
        Undraft => !has(m, "\\Draft"),
        Unflagged => !has(m, "\\Flagged"),
        Unseen => !has(m, "\\Seen"),
        Keyword(k) => has(m, k.inner()),
        Unkeyword(k) => !has(m, k.inner()),
        Larger(n) => m.size > u64::from(*n),
        Smaller(n) => m.size < u64::from(*n),
        Before(d) => internal_day(m).is_some_and(|x| x < *d.as_ref()),
        On(d) => internal_day(m).is_some_and(|x| x == *d.as_ref()),
        Since(d) => internal_day(m).is_some_and(|x| x >= *d.as_ref()),
        SentBefore(d) => sent_day(m).is_some_and(|x| x < *d.as_ref()),
        SentOn(d) => sent_day(m).is_some_and(|x| x == *d.as_ref()),
        SentSince(d) => sent_day(m).is_some_and(|x| x >= *d.as_ref()),
        From(s) => address_field(m, HeaderName::From, s),
        To(s) => address_field(m, HeaderName::To, s),
        Cc(s) => address_field(m, HeaderName::Cc, s),
        Bcc(s) => address_field(m, HeaderName::Bcc, s),
        Subject(s) => header(m, b"Subject", s),
        Header(name, s) => header(m, name.as_ref(), s),
        Body(s) => body(m, &needle(s)),
        Text(s) => {
            let n = needle(s);
            body(m, &n) || all_headers(m, &n)
        }
        ModSequence { modseq, .. } => m.modseq >= *modseq,
        #[allow(unreachable_patterns)]
        _ => false,
    }
}

fn has(m: &Candidate<'_>, flag: &str) -> bool {
    m.flags.iter().any(|f| f.eq_ignore_ascii_case(flag))
}

fn internal_day(m: &Candidate<'_>) -> Option<NaiveDate> {
    DateTime::from_timestamp(m.internal_date, 0).map(|d| d.date_naive())
}

/// The date of the Date field in its own zone (RFC 9051 §6.4.4: "disregarding time and
/// timezone"), else the internal date.
fn sent_day(m: &Candidate<'_>) -> Option<NaiveDate> {
    m.text
        .and_then(text::sent_day)
        .or_else(|| internal_day(m).filter(|d| d.year() > 0))
}

fn needle(a: &AString<'_>) -> String {
    text::needle(a.as_ref())
}

fn address_field(m: &Candidate<'_>, name: HeaderName<'static>, s: &AString<'_>) -> bool {
    m.text
        .is_some_and(|msg| text::address_contains(msg, name, &needle(s)))
}

/// HEADER and SUBJECT: any field of that name whose value contains the text; an empty text
/// matches any message that has the field (RFC 9051 §6.4.4).
fn header(m: &Candidate<'_>, name: &[u8], s: &AString<'_>) -> bool {
    let name = String::from_utf8_lossy(name);
    m.text
        .is_some_and(|msg| text::field_contains(msg, &name, &needle(s)))
}

fn all_headers(m: &Candidate<'_>, n: &str) -> bool {
    m.text.is_some_and(|msg| text::any_field_contains(msg, n))
}

/// BODY: the decoded text of every text part, including those of attached messages.
fn body(m: &Candidate<'_>, n: &str) -> bool {
    m.text.is_some_and(|msg| text::body_contains(msg, n))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "search_tests.rs"]
mod tests;
