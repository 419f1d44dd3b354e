//! POP3 status lines and the CAPA response (RFC 1939 §3, RFC 2449 §5, §8).
//!
//! Invariants: every status line produced is a single line of at most
//! [`MAX_RESPONSE_LINE`] octets ending in CRLF. Text supplied by the caller
//! has CR, LF and NUL stripped and is truncated on a character boundary, so
//! no caller text can inject a second line.

use std::fmt;

use crate::write_multiline;

/// Longest status line produced, including CRLF (RFC 2449 §4).
pub const MAX_RESPONSE_LINE: usize = 512;

/// Extended response codes placed in brackets after `-ERR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RespCode {
    /// `[IN-USE]`: the mailbox is locked by another session (RFC 2449 §8.1).
    InUse,
    /// `[LOGIN-DELAY]`: logging in again too soon (RFC 2449 §8.1).
    LoginDelay,
    /// `[SYS/TEMP]`: a temporary system failure (RFC 3206).
    SysTemp,
    /// `[SYS/PERM]`: a permanent system failure (RFC 3206).
    SysPerm,
    /// `[AUTH]`: the credentials were rejected (RFC 3206).
    Auth,
    /// `[UTF8]`: the mailbox requires UTF-8 mode (RFC 6856).
    Utf8,
}

impl RespCode {
    /// The code as written between the brackets, e.g. `"IN-USE"`.
    pub fn as_str(self) -> &'static str {
        match self {
            RespCode::InUse => "IN-USE",
            RespCode::LoginDelay => "LOGIN-DELAY",
            RespCode::SysTemp => "SYS/TEMP",
            RespCode::SysPerm => "SYS/PERM",
            RespCode::Auth => "AUTH",
            RespCode::Utf8 => "UTF8",
        }
    }
}

impl fmt::Display for RespCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A positive status line: `ok("text")` is `b"+OK text\r\n"`; empty text
/// gives `b"+OK\r\n"`.
pub fn ok(text: &str) -> Vec<u8> {
    status_line("+OK", None, text)
}

/// A negative status line: `err(Some(RespCode::InUse), "text")` is
/// `b"-ERR [IN-USE] text\r\n"`.
pub fn err(code: Option<RespCode>, text: &str) -> Vec<u8> {
    status_line("-ERR", code, text)
}

/// CAPA response (RFC 2449 §5): `+OK Capability list follows`, then each
/// non-empty capability line, then the terminating `"."` line.
pub fn capa(lines: &[&str]) -> Vec<u8> {
    let mut body = Vec::new();
    for line in lines {
        let clean = one_line(line);
        if clean.is_empty() {
            continue;
        }
        body.extend_from_slice(clean.as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    let mut out = ok("Capability list follows");
    write_multiline(&body, &mut out);
    out
}

fn status_line(indicator: &str, code: Option<RespCode>, text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(indicator.len() + text.len() + 16);
    // RFC 1939 §3: a status indicator, optionally followed by text.
    out.extend_from_slice(indicator.as_bytes());
    if let Some(code) = code {
        // RFC 2449 §8: the response code follows in square brackets.
        out.extend_from_slice(b" [");
        out.extend_from_slice(code.as_str().as_bytes());
        out.push(b']');
    }
    // RFC 2449 §4: a response line is at most 512 octets including CRLF;
    // reserve the CRLF and the space before the text.
    let budget = MAX_RESPONSE_LINE.saturating_sub(out.len() + 3);
    let clean = one_line(text);
    let clean = truncate_on_char(&clean, budget);
    if !clean.is_empty() {
        out.push(b' ');
        out.extend_from_slice(clean.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Strip CR, LF and NUL so that text placed in a reply stays on one line.
fn one_line(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '\r' | '\n' | '\0'))
        .collect()
}

/// The longest prefix of `text` of at most `max` octets that ends on a
/// character boundary.
fn truncate_on_char(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or("")
}
