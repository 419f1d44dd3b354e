//! Delivery status notifications (RFC 3464), built as RFC 6522 `multipart/report` messages:
//! a human-readable `text/plain` part, the machine-readable `message/delivery-status` part
//! and the original message (whole, or its header block only).
//!
//! Invariants: the result has CRLF line ends and is meant to be sent with the null reverse
//! path (RFC 3461 §6.2), so it never triggers another DSN; every value taken from the
//! envelope or from a remote server is stripped of control characters (CR and LF included)
//! before it goes into a header or a header-like field, so nothing can inject a field; the
//! delivery-status fields are written here, not by the builder, so they are never
//! RFC 2047-encoded, and they are folded only at spaces, as RFC 5322 allows.

mod report;
#[cfg(test)]
mod tests;
mod text;

use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::date::Date;
use mail_builder::headers::message_id::MessageId;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::{BodyPart, MimePart};

use report::clean;

/// Subject of a report with at least one failed recipient.
pub const SUBJECT_FAILED: &str = "Undelivered Mail Returned to Sender";
/// Subject of a report whose worst news is a delay.
pub const SUBJECT_DELAYED: &str = "Delayed Mail (still being retried)";
/// Subject of a report that only tells of successes (delivered, relayed, expanded).
pub const SUBJECT_SUCCESS: &str = "Successful Mail Delivery Report";
/// Display name of the report's From address.
pub const FROM_NAME: &str = "Mail Delivery System";

/// What happened to one recipient (RFC 3464 §2.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Delivery failed and will not be retried.
    Failed,
    /// Not delivered yet; delivery will be retried.
    Delayed,
    /// Delivered to the recipient's mailbox or to a server that reports success.
    Delivered,
    /// Handed to a server that does not send delivery notifications.
    Relayed,
    /// Delivered to a list or alias, which sent it on to its members.
    Expanded,
}

impl Action {
    /// The `Action:` field value.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Failed => "failed",
            Action::Delayed => "delayed",
            Action::Delivered => "delivered",
            Action::Relayed => "relayed",
            Action::Expanded => "expanded",
        }
    }

    /// How bad the news is: failures first, then delays, then successes.
    fn severity(self) -> u8 {
        match self {
            Action::Failed => 2,
            Action::Delayed => 1,
            Action::Delivered | Action::Relayed | Action::Expanded => 0,
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One recipient's part of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsnRecipient {
    /// The final recipient's address.
    pub address: String,
    /// RFC 3461 ORCPT, `rfc822;addr` or just the address (then `rfc822` is assumed);
    /// becomes `Original-Recipient`.
    pub orcpt: Option<String>,
    /// What happened.
    pub action: Action,
    /// Enhanced status code (RFC 3463), e.g. `5.1.1`; see [`status_of`].
    pub status: String,
    /// Host name of the remote server that gave the result; becomes `Remote-MTA: dns; host`.
    pub remote_mta: Option<String>,
    /// The remote server's reply as text (`550 5.1.1 no such user`); becomes
    /// `Diagnostic-Code: smtp; ...`.
    pub diagnostic: Option<String>,
    /// Last delivery attempt, unix seconds.
    pub last_attempt: i64,
    /// For [`Action::Delayed`]: when retries stop, unix seconds.
    pub will_retry_until: Option<i64>,
}

/// Everything a report is built from.
#[derive(Debug, Clone, Copy)]
pub struct DsnRequest<'a> {
    /// Our host name (`Reporting-MTA`, the Message-ID's domain).
    pub reporting_mta: &'a str,
    /// The From address, e.g. `MAILER-DAEMON@host`.
    pub postmaster: &'a str,
    /// The original envelope sender. Never the null path: no report goes to `<>`.
    pub to: &'a str,
    /// RFC 3461 ENVID, xtext-decoded; becomes `Original-Envelope-Id`.
    pub envid: Option<&'a str>,
    /// RFC 3461 RET=FULL: return the whole message when it is at most `max_full` bytes.
    pub ret_full: bool,
    /// Largest original returned whole, in bytes.
    pub max_full: usize,
    /// When the message was received, unix seconds (`Arrival-Date`).
    pub arrival: i64,
    /// The recipients this report is about (at least one).
    pub recipients: &'a [DsnRecipient],
    /// The original message, CRLF line ends.
    pub original: &'a [u8],
}

/// The whole DSN message (CRLF line ends), ready to deliver with the null envelope sender.
pub fn build(req: &DsnRequest) -> Vec<u8> {
    let now = chrono::Utc::now().timestamp();
    let host = clean(req.reporting_mta, 255).replace(' ', "");
    let (original, returned_full) = original_part(req);
    let report = report::delivery_status(req);
    let human = text::human_readable(req, &host, returned_full);
    let body = MimePart::new(
        // RFC 6522 §3: report-type names the machine-readable second part.
        ContentType::new("multipart/report").attribute("report-type", "delivery-status"),
        vec![
            MimePart::new("text/plain", human),
            MimePart::new(
                ContentType::new(report.content_type),
                report.body.into_bytes(),
            )
            .transfer_encoding(report.transfer_encoding),
            original,
        ],
    );
    let message = MessageBuilder::new()
        .from(Address::new_address(
            Some(FROM_NAME),
            clean(req.postmaster, 255),
        ))
        .to(Address::new_address(None::<&str>, clean(req.to, 255)))
        .subject(subject(req.recipients))
        .date(Date::new(now))
        .message_id(MessageId::new(message_id(now, &host)))
        // RFC 3834 §5: a machine-generated answer to another message.
        .header("Auto-Submitted", Raw::new("auto-replied"))
        .header("MIME-Version", Raw::new("1.0"))
        .body(body);
    let mut out = Vec::with_capacity(req.original.len().min(req.max_full) + 4096);
    // Writing into a Vec cannot fail (its io::Write never returns an error).
    let _ = message.write_to(&mut out);
    out
}

/// Enhanced status for a reply: its own ESC if present and well-formed, else derived from the
/// code class (2.0.0 / 4.0.0 / 5.0.0; a code outside 2xx/4xx/5xx counts as a failure).
pub fn status_of(code: u16, esc: Option<&str>) -> String {
    let class = match code / 100 {
        2 => '2',
        4 => '4',
        _ => '5',
    };
    // RFC 3463 §2: the ESC's class must agree with the reply code's.
    if let Some(esc) = esc.map(str::trim)
        && is_enhanced_status(esc)
        && esc.starts_with(class)
    {
        return esc.to_string();
    }
    format!("{class}.0.0")
}

/// RFC 3463 §2: `class "." subject "." detail`, class 2, 4 or 5, subject and detail 1*3DIGIT.
fn is_enhanced_status(s: &str) -> bool {
    let mut parts = s.split('.');
    let digits = |p: Option<&str>| {
        p.is_some_and(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
    };
    matches!(parts.next(), Some("2" | "4" | "5"))
        && digits(parts.next())
        && digits(parts.next())
        && parts.next().is_none()
}

/// The subject for the worst action among the recipients.
fn subject(recipients: &[DsnRecipient]) -> &'static str {
    match recipients.iter().map(|r| r.action.severity()).max() {
        Some(2) => SUBJECT_FAILED,
        Some(1) => SUBJECT_DELAYED,
        _ => SUBJECT_SUCCESS,
    }
}

/// A Message-ID unique to this report: time, randomness, our host name.
fn message_id(now: i64, host: &str) -> String {
    let host: String = host.chars().filter(|c| !"<>@\"\\()".contains(*c)).collect();
    let host = if host.is_empty() { "localhost" } else { &host };
    format!("{now:x}.{:016x}.dsn@{host}", rand::random::<u64>())
}

/// The third part: the original whole (`message/rfc822`) or its header block
/// (`text/rfc822-headers`, RFC 6522 §4); `message/global` and `message/global-headers`
/// (RFC 6532 §3.7) when the header block holds UTF-8. Also says whether it is whole.
fn original_part<'x>(req: &DsnRequest<'x>) -> (MimePart<'x>, bool) {
    let headers = header_block(req.original);
    let utf8_headers = !headers.is_ascii();
    let full = req.ret_full && req.original.len() <= req.max_full && transportable(req.original);
    let (bytes, ctype) = match (full, utf8_headers) {
        (true, false) => (req.original, "message/rfc822"),
        (true, true) => (req.original, "message/global"),
        (false, false) => (headers, "text/rfc822-headers"),
        (false, true) => (headers, "message/global-headers"),
    };
    // RFC 2046 §5.2.1: a message/* part is never base64 or quoted-printable encoded.
    let cte = if bytes.is_ascii() { "7bit" } else { "8bit" };
    let part = MimePart::new(ContentType::new(ctype), BodyPart::Binary(bytes.into()))
        .transfer_encoding(cte);
    (part, full)
}

/// The header block of a message, up to and including the line ending of its last field.
fn header_block(message: &[u8]) -> &[u8] {
    heron_message::header_block(message).fields(message)
}

/// Whether bytes can travel as a 7bit/8bit MIME body: no NUL, no bare CR, lines of at most
/// 998 octets (RFC 5322 §2.1.1, RFC 2045 §2.8). A binary original is returned as headers only.
fn transportable(bytes: &[u8]) -> bool {
    !bytes.contains(&0)
        && bytes.split(|&b| b == b'\n').all(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            line.len() <= 998 && !line.contains(&b'\r')
        })
}
