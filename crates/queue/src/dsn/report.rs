//! The machine-readable part of a report: the `message/delivery-status` body (RFC 3464 §2),
//! per-message fields, a blank line, then one group of fields per recipient.
//!
//! Invariants: every value is cleaned ([`clean`]) so a field is exactly one logical line;
//! fields are folded only before a space and never encoded; the body is plain ASCII unless an
//! address or reply holds UTF-8, and then the part is `message/global-delivery-status`
//! (RFC 6533 §6.1) sent as 8bit.

use mail_builder::headers::date::Date;

use super::{Action, DsnRecipient, DsnRequest, is_enhanced_status};

/// Longest value kept in one field, in characters; a remote reply longer than that is cut.
const MAX_VALUE: usize = 900;
/// Fold a field line before it grows past this many characters (RFC 5322 §2.1.1).
const FOLD_AT: usize = 78;

/// The delivery-status part's body and how to label it.
pub(super) struct Report {
    /// `message/delivery-status` or `message/global-delivery-status`.
    pub content_type: &'static str,
    /// `7bit` or `8bit`.
    pub transfer_encoding: &'static str,
    /// The fields, CRLF line ends.
    pub body: String,
}

/// Build the delivery-status body for a request.
pub(super) fn delivery_status(req: &DsnRequest) -> Report {
    let mut body = String::with_capacity(256 + 256 * req.recipients.len());
    // RFC 3464 §2.2: per-message fields, in the order of its grammar.
    if let Some(envid) = req.envid.map(|e| clean(e, MAX_VALUE))
        && !envid.is_empty()
    {
        field(&mut body, "Original-Envelope-Id", &envid);
    }
    let host = clean(req.reporting_mta, 255).replace(' ', "");
    field(&mut body, "Reporting-MTA", &format!("dns; {host}"));
    field(&mut body, "Arrival-Date", &date(req.arrival));
    for rcpt in req.recipients {
        // RFC 3464 §2.1: each recipient's group follows a blank line.
        body.push_str("\r\n");
        recipient_fields(&mut body, rcpt);
    }
    let global = !body.is_ascii();
    Report {
        content_type: if global {
            "message/global-delivery-status"
        } else {
            "message/delivery-status"
        },
        transfer_encoding: if global { "8bit" } else { "7bit" },
        body,
    }
}

/// RFC 3464 §2.3: one recipient's fields, in the order of its grammar.
fn recipient_fields(body: &mut String, rcpt: &DsnRecipient) {
    if let Some(orcpt) = &rcpt.orcpt {
        field(body, "Original-Recipient", &typed_address(orcpt));
    }
    let address = clean(&rcpt.address, MAX_VALUE);
    // RFC 6533 §3: an address holding UTF-8 is of type utf-8, not rfc822.
    let kind = if address.is_ascii() {
        "rfc822"
    } else {
        "utf-8"
    };
    field(body, "Final-Recipient", &format!("{kind}; {address}"));
    field(body, "Action", rcpt.action.as_str());
    field(body, "Status", &status(rcpt));
    if let Some(host) = &rcpt.remote_mta {
        let host = clean(host, 255).replace(' ', "");
        field(body, "Remote-MTA", &format!("dns; {host}"));
    }
    if let Some(reply) = &rcpt.diagnostic {
        field(
            body,
            "Diagnostic-Code",
            &format!("smtp; {}", clean(reply, MAX_VALUE)),
        );
    }
    field(body, "Last-Attempt-Date", &date(rcpt.last_attempt));
    if rcpt.action == Action::Delayed
        && let Some(until) = rcpt.will_retry_until
    {
        field(body, "Will-Retry-Until", &date(until));
    }
}

/// The recipient's status when well-formed, else the generic one for its action
/// (RFC 3464 §2.3.4 requires an RFC 3463 code).
fn status(rcpt: &DsnRecipient) -> String {
    let given = rcpt.status.trim();
    if is_enhanced_status(given) {
        return given.to_string();
    }
    match rcpt.action {
        Action::Failed => "5.0.0",
        Action::Delayed => "4.0.0",
        Action::Delivered | Action::Relayed | Action::Expanded => "2.0.0",
    }
    .to_string()
}

/// An ORCPT value as `type; address`: kept as given when it names its address type
/// (`rfc822;a@b`), else taken as an rfc822 address (RFC 3461 §4.2).
fn typed_address(orcpt: &str) -> String {
    let value = clean(orcpt, MAX_VALUE);
    if let Some((kind, address)) = value.split_once(';') {
        let kind = kind.trim();
        let is_type =
            !kind.is_empty() && kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if is_type {
            return format!("{kind}; {}", address.trim());
        }
    }
    format!("rfc822; {value}")
}

/// A date in RFC 5322 form (`Tue, 1 Jul 2003 10:52:37 +0000`).
pub(super) fn date(unix: i64) -> String {
    Date::new(unix).to_rfc822()
}

/// Append `Name: value` and CRLF, folding before a space when a line would pass [`FOLD_AT`]
/// characters; a single longer word stays whole on its line.
fn field(body: &mut String, name: &str, value: &str) {
    body.push_str(name);
    body.push(':');
    let mut line = name.len() + 1;
    for word in value.split(' ') {
        let len = word.chars().count();
        if line + 1 + len > FOLD_AT && line > name.len() + 1 {
            body.push_str("\r\n");
            line = 0;
        }
        body.push(' ');
        body.push_str(word);
        line += 1 + len;
    }
    body.push_str("\r\n");
}

/// A value safe for a header or a header-like field: control characters (CR and LF included)
/// become spaces, runs of spaces collapse to one, ends are trimmed, and at most `max`
/// characters are kept.
pub(crate) fn clean(value: &str, max: usize) -> String {
    let mut out = String::with_capacity(value.len().min(max));
    let mut count = 0;
    let mut space = false;
    for c in value.chars() {
        if c.is_control() || c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if count + usize::from(space) + 1 > max {
            break;
        }
        if space {
            out.push(' ');
            count += 1;
            space = false;
        }
        out.push(c);
        count += 1;
    }
    out
}
