//! The header checks an SMTP server makes on a received message
//! (RFC 5322 §2.2, §3.6): hop counting for loop detection (RFC 5321 §6.3)
//! and presence of fields such as Message-ID and Date.
//!
//! Invariants: only the header block is read (`heron_message::header`, which
//! stops at the first empty line), so a 30 MB body costs nothing; CRLF and
//! bare LF line ends are both understood; field names compare
//! case-insensitively; folded continuation lines never count as fields.

/// The names of the header fields, in order (`heron_message::fields`: the header block's
/// one reader).
fn field_names(msg: &[u8]) -> impl Iterator<Item = &[u8]> {
    heron_message::fields(msg).map(|f| f.name)
}

/// Number of `Received:` fields in the header block of `msg` (the whole
/// message may be passed). RFC 5321 §6.3: a count over a limit (commonly
/// 100, at least 30) means a mail loop.
pub fn count_received(msg: &[u8]) -> usize {
    field_names(msg)
        .filter(|name| name.eq_ignore_ascii_case(b"Received"))
        .count()
}

/// True if the header block of `msg` has a field called `name`
/// (case-insensitive), e.g. `has_header(msg, "Message-ID")`.
pub fn has_header(msg: &[u8], name: &str) -> bool {
    field_names(msg).any(|field| field.eq_ignore_ascii_case(name.as_bytes()))
}

/// The `with` protocol of a Received field (RFC 3848, RFC 6531 §3.7.3):
/// `SMTP` for HELO, `ESMTP` for EHLO, with `S` for TLS and `A` for an
/// authenticated client, and `UTF8SMTP` instead of `ESMTP` for an SMTPUTF8
/// transaction.
pub fn received_protocol(
    ehlo: bool,
    tls: bool,
    authenticated: bool,
    smtputf8: bool,
) -> &'static str {
    match (ehlo, smtputf8, tls, authenticated) {
        (false, _, _, _) => "SMTP",
        (true, false, false, false) => "ESMTP",
        (true, false, false, true) => "ESMTPA",
        (true, false, true, false) => "ESMTPS",
        (true, false, true, true) => "ESMTPSA",
        (true, true, false, false) => "UTF8SMTP",
        (true, true, false, true) => "UTF8SMTPA",
        (true, true, true, false) => "UTF8SMTPS",
        (true, true, true, true) => "UTF8SMTPSA",
    }
}
