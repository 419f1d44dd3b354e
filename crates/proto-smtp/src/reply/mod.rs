//! SMTP replies (RFC 5321 §4.2) with RFC 3463 enhanced status codes
//! (RFC 2034), and the named replies the server sends.
//!
//! Invariants of [`Reply::to_bytes`]:
//! - the output is one or more lines, each `code`, then `-` (all lines but
//!   the last) or a space (the last), then the text, then CRLF;
//! - the basic code written is always three digits in `200..=599`;
//! - an enhanced code, when written, has the class of the basic code and
//!   precedes the text on every line (RFC 2034 §4); 1xx/3xx replies carry
//!   none;
//! - no line exceeds [`MAX_REPLY_LINE`] octets, and reply text is printable
//!   ASCII: CR and LF in the text start a new line, other control and
//!   non-ASCII characters become `?`.

use std::borrow::Cow;
use std::fmt;

mod codes;

pub use codes::*;

/// Longest reply line produced, including CRLF (RFC 5321 §4.5.3.1.5).
pub const MAX_REPLY_LINE: usize = 512;

/// Basic code written in place of one outside `200..=599`.
const FALLBACK_CODE: u16 = 451;

/// One SMTP reply: a basic code, an optional enhanced status code and text.
/// Newlines in `text` separate the lines of a multi-line reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reply {
    /// The three-digit basic reply code, e.g. 250.
    pub code: u16,
    /// The RFC 3463 enhanced status code `class.subject.detail`, e.g.
    /// `(2, 1, 5)` for `2.1.5`.
    pub enhanced: Option<(u8, u16, u16)>,
    /// Human-readable text; `'\n'` separates lines.
    pub text: Cow<'static, str>,
}

impl Reply {
    /// A reply with static text; usable in constants.
    pub const fn new(code: u16, enhanced: Option<(u8, u16, u16)>, text: &'static str) -> Reply {
        Reply {
            code,
            enhanced,
            text: Cow::Borrowed(text),
        }
    }

    /// The same codes with different text, e.g.
    /// `reply::NO_SUCH_USER.with_text(format!("<{addr}> no such user"))`.
    pub fn with_text(self, text: impl Into<Cow<'static, str>>) -> Reply {
        Reply {
            text: text.into(),
            ..self
        }
    }

    /// The same codes with `extra` appended to the default text after a
    /// space, e.g. `reply::CLOSING.append("mx.example.org")`.
    pub fn append(self, extra: &str) -> Reply {
        let text = format!("{} {}", self.text, extra);
        self.with_text(text)
    }

    /// True for 2xx and 3xx replies.
    pub fn is_positive(&self) -> bool {
        (200..400).contains(&self.code)
    }

    /// True for 4xx replies: the client may retry later.
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    /// True for 5xx replies.
    pub fn is_permanent(&self) -> bool {
        (500..600).contains(&self.code)
    }

    /// The reply on the wire: see the module invariants.
    pub fn to_bytes(&self) -> Vec<u8> {
        let code = self.wire_code();
        let enhanced = self.wire_enhanced(code);
        let mut lines: Vec<&str> = self
            .text
            .split(['\r', '\n'])
            .filter(|line| !line.is_empty())
            .collect();
        if lines.is_empty() {
            lines.push("");
        }
        let mut out = Vec::with_capacity(self.text.len() + lines.len() * 16);
        let last = lines.len() - 1;
        for (i, line) in lines.iter().enumerate() {
            // RFC 5321 §4.2.1: "code-text" on all lines but the last,
            // "code text" on the last.
            let separator = if i == last { b' ' } else { b'-' };
            write_line(&mut out, code, separator, enhanced.as_deref(), line);
        }
        out
    }

    /// The basic code as written: `code`, or 451 if outside `200..=599`.
    fn wire_code(&self) -> u16 {
        if (200..=599).contains(&self.code) {
            self.code
        } else {
            FALLBACK_CODE
        }
    }

    /// RFC 3463 §2: the class matches the basic code's first digit; only
    /// classes 2, 4 and 5 exist. Subject and detail are at most 3 digits.
    fn wire_enhanced(&self, code: u16) -> Option<String> {
        let (_, subject, detail) = self.enhanced?;
        let class = code / 100;
        if class == 3 {
            return None;
        }
        Some(format!("{class}.{}.{}", subject.min(999), detail.min(999)))
    }
}

impl fmt::Display for Reply {
    /// One line for logs: the wire form with line breaks shown as `" / "`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.to_bytes();
        let text = String::from_utf8_lossy(&bytes);
        let mut first = true;
        for line in text.split_terminator("\r\n") {
            if !first {
                f.write_str(" / ")?;
            }
            f.write_str(line)?;
            first = false;
        }
        Ok(())
    }
}

/// Writes one reply line, truncating the text to fit [`MAX_REPLY_LINE`].
fn write_line(out: &mut Vec<u8>, code: u16, separator: u8, enhanced: Option<&str>, text: &str) {
    let start = out.len();
    out.extend_from_slice(format!("{code:03}").as_bytes());
    out.push(separator);
    if let Some(enhanced) = enhanced {
        out.extend_from_slice(enhanced.as_bytes());
        if !text.is_empty() {
            out.push(b' ');
        }
    }
    let budget = MAX_REPLY_LINE.saturating_sub(out.len() - start + 2);
    out.extend(text.chars().take(budget).map(printable));
    out.extend_from_slice(b"\r\n");
}

/// RFC 5321 §4.2: reply text is printable US-ASCII (TAB allowed).
fn printable(c: char) -> u8 {
    match c {
        '\t' | ' '..='~' => c as u8,
        _ => b'?',
    }
}

/// Collapses CR and LF to spaces so one caller string stays one line.
fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

/// The reply to EHLO (RFC 5321 §4.1.1.1): `250-hostname greeting`, then
/// one line per non-empty capability, e.g. `"SIZE 31457280"`,
/// `"PIPELINING"`, `"AUTH PLAIN LOGIN"`. No enhanced codes (RFC 2034 §4
/// exempts the EHLO reply). A capability containing a line break stays on
/// one line.
pub fn ehlo_reply(hostname: &str, greeting: &str, capabilities: &[&str]) -> Reply {
    let mut text = one_line(hostname);
    if !greeting.is_empty() {
        text.push(' ');
        text.push_str(&one_line(greeting));
    }
    for capability in capabilities {
        let capability = one_line(capability);
        if !capability.trim().is_empty() {
            text.push('\n');
            text.push_str(capability.trim());
        }
    }
    Reply::new(250, None, "").with_text(text)
}

/// The reply to HELO (RFC 5321 §4.1.1.1): `250 hostname`, no enhanced code.
pub fn helo_reply(hostname: &str) -> Reply {
    Reply::new(250, None, "").with_text(one_line(hostname))
}

/// The connection greeting (RFC 5321 §4.3.1): `220 hostname text`, no
/// enhanced code (RFC 2034 §4). A text that already starts with the host name
/// (a banner using `#HostName#`) is not given it twice.
pub fn greeting(hostname: &str, text: &str) -> Reply {
    let (host, text) = (one_line(hostname), one_line(text));
    if text == host || text.starts_with(&format!("{host} ")) {
        return SERVICE_READY.with_text(text);
    }
    SERVICE_READY.with_text(format!("{host} {text}"))
}
