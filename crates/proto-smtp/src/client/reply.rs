//! Server replies as a client reads them (RFC 5321 §4.2), with RFC 3463 enhanced status
//! codes (RFC 2034), and the reply codes the outbound client acts on, by name.
//!
//! [`ReplyParser`] is pure: it takes one line at a time (without its line ending) and says
//! whether the reply is complete. Invariants: a reply has at most [`MAX_LINES`] lines of at
//! most [`MAX_LINE`] octets each, every line carries the same three-digit code in 200..=599,
//! and reply text holds no control characters, so it can go into logs and DSNs as is.

use std::fmt;

/// Longest reply line accepted, without its line ending. RFC 5321 §4.5.3.1.5 allows 512;
/// real servers exceed that, hostile ones are cut off here.
pub const MAX_LINE: usize = 4096;
/// Most lines accepted in one multi-line reply (EHLO lists are the longest in practice).
pub const MAX_LINES: usize = 200;

/// `220`: greeting, and go-ahead for the TLS handshake (RFC 5321 §4.3.1, RFC 3207 §4).
pub const SERVICE_READY: u16 = 220;
/// `235`: authentication succeeded (RFC 4954 §6).
pub const AUTH_SUCCEEDED: u16 = 235;
/// `250`: requested action completed (EHLO, MAIL, RCPT, end of data, RSET).
pub const OK: u16 = 250;
/// `334`: SASL challenge, send the next response (RFC 4954 §4).
pub const AUTH_CONTINUE: u16 = 334;
/// `354`: send the message (RFC 5321 §4.1.1.4).
pub const START_MAIL_INPUT: u16 = 354;
/// `552 5.3.4`: the message is larger than the server's SIZE (RFC 1870 §6.1, RFC 3463).
pub const EXCEEDED_STORAGE: (u16, &str) = (552, "5.3.4");
/// `553 5.1.3`: an envelope address we cannot send as is (RFC 3463 §3.2).
pub const BAD_ADDRESS_SYNTAX: (u16, &str) = (553, "5.1.3");
/// `553 5.6.7`: a UTF-8 address and a server without SMTPUTF8 (RFC 6531 §3.2, RFC 6533).
pub const NO_SMTPUTF8: (u16, &str) = (553, "5.6.7");

/// `550 5.7.30`: REQUIRETLS support required (RFC 8689 §4.2.1, §6).
pub const REQUIRETLS_NOT_OFFERED: (u16, &str) = (550, "5.7.30");

/// One server reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The basic reply code, 200..=599.
    pub code: u16,
    /// The enhanced status code (`"5.1.1"`) when the server sent one.
    pub esc: Option<String>,
    /// The text; the lines of a multi-line reply are joined with spaces.
    pub text: String,
}

impl Reply {
    /// A reply made up by the client (a refusal before anything was sent).
    pub fn local((code, esc): (u16, &str), text: impl Into<String>) -> Reply {
        Reply {
            code,
            esc: Some(esc.to_owned()),
            text: text.into(),
        }
    }

    /// 2xx.
    pub fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// 5xx: retrying the same thing will fail the same way.
    pub fn is_permanent(&self) -> bool {
        (500..600).contains(&self.code)
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(esc) = &self.esc {
            write!(f, " {esc}")?;
        }
        if !self.text.is_empty() {
            write!(f, " {}", self.text)?;
        }
        Ok(())
    }
}

/// A complete reply and the text of each of its lines (what follows `ddd-` / `ddd `),
/// which EHLO needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// The reply, its lines joined.
    pub reply: Reply,
    /// Each line's text, cleaned like the reply's (EHLO reads its extensions from them).
    pub lines: Vec<String>,
}

/// Assembles a reply from its lines.
#[derive(Debug, Default)]
pub struct ReplyParser {
    /// The code of the reply's first line, which every later line must repeat.
    code: Option<u16>,
    /// The lines read so far, at most [`MAX_LINES`].
    lines: Vec<String>,
}

impl ReplyParser {
    /// Takes one line (CR LF removed). Returns the reply once its last line is in.
    pub fn push(&mut self, line: &[u8]) -> Result<Option<Parsed>, String> {
        if line.len() > MAX_LINE {
            return Err(format!("reply line longer than {MAX_LINE} octets"));
        }
        if self.lines.len() >= MAX_LINES {
            return Err(format!("reply longer than {MAX_LINES} lines"));
        }
        let (code, last, text) = split_line(line)?;
        match self.code {
            // RFC 5321 §4.2.1: every line of a multi-line reply has the same code.
            Some(first) if first != code => {
                return Err(format!(
                    "reply code changed from {first} to {code} mid-reply"
                ));
            }
            _ => self.code = Some(code),
        }
        self.lines.push(clean_text(text));
        if !last {
            return Ok(None);
        }
        let lines = std::mem::take(&mut self.lines);
        self.code = None;
        Ok(Some(Parsed {
            reply: build(code, &lines),
            lines,
        }))
    }
}

/// `ddd` then `-` (more lines follow), a space or nothing (last line), then text.
fn split_line(line: &[u8]) -> Result<(u16, bool, &[u8]), String> {
    let bad = || {
        format!(
            "malformed reply line {:?}",
            String::from_utf8_lossy(&line[..line.len().min(40)])
        )
    };
    let (digits, rest) = line.split_at_checked(3).ok_or_else(bad)?;
    if !digits.iter().all(u8::is_ascii_digit) || !(b'2'..=b'5').contains(&digits[0]) {
        return Err(bad());
    }
    let code = digits
        .iter()
        .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    match rest.split_first() {
        None => Ok((code, true, rest)),
        Some((b' ', text)) => Ok((code, true, text)),
        Some((b'-', text)) => Ok((code, false, text)),
        Some(_) => Err(bad()),
    }
}

/// Reply text as printable text: invalid UTF-8 and control characters become `?`.
fn clean_text(text: &[u8]) -> String {
    String::from_utf8_lossy(text)
        .chars()
        .map(|c| if c.is_control() && c != '\t' { '?' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The reply of `code` with `lines`: the enhanced code of the first line, when its class
/// matches the basic code (RFC 3463 §2), is taken out of every line that repeats it.
fn build(code: u16, lines: &[String]) -> Reply {
    let esc = lines
        .first()
        .and_then(|l| l.split(' ').next())
        .filter(|tok| is_esc(tok, code))
        .map(str::to_owned);
    let mut text = String::new();
    for line in lines {
        let body = match &esc {
            Some(esc) => line
                .strip_prefix(esc.as_str())
                .map_or(line.as_str(), str::trim_start),
            None => line.as_str(),
        };
        if !body.is_empty() {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(body);
        }
    }
    Reply { code, esc, text }
}

/// RFC 3463 §2: `class "." subject "." detail`, class = the code's first digit, subject and
/// detail 1 to 3 digits.
fn is_esc(tok: &str, code: u16) -> bool {
    let mut parts = tok.split('.');
    let (Some(class), Some(subject), Some(detail), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let num = |s: &str| (1..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    class.len() == 1 && class.parse::<u16>().ok() == Some(code / 100) && num(subject) && num(detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(lines: &[&str]) -> Result<Parsed, String> {
        let mut p = ReplyParser::default();
        for (i, line) in lines.iter().enumerate() {
            if let Some(done) = p.push(line.as_bytes())? {
                assert_eq!(i + 1, lines.len(), "reply ended early");
                return Ok(done);
            }
        }
        Err("incomplete".into())
    }

    #[test]
    fn replies() {
        let table: &[(&[&str], u16, Option<&str>, &str)] = &[
            (&["250 OK"], 250, None, "OK"),
            (&["250"], 250, None, ""),
            (&["250 "], 250, None, ""),
            (
                &["550 5.1.1 No such user"],
                550,
                Some("5.1.1"),
                "No such user",
            ),
            (&["250 2.0.0"], 250, Some("2.0.0"), ""),
            (
                &[
                    "550-5.7.1 Rejected",
                    "550-5.7.1 see https://x.test/",
                    "550 5.7.1 go away",
                ],
                550,
                Some("5.7.1"),
                "Rejected see https://x.test/ go away",
            ),
            (
                &["250-mx.test Hello", "250-PIPELINING", "250 SIZE 100"],
                250,
                None,
                "mx.test Hello PIPELINING SIZE 100",
            ),
            // Class must match the code: a 5.x.x on a 450 is text, not an enhanced code.
            (&["450 5.1.1 odd"], 450, None, "5.1.1 odd"),
            (&["250 2.1.0000 x"], 250, None, "2.1.0000 x"),
            (&["250 2.1.0x"], 250, None, "2.1.0x"),
            (&["421 4.3.2 bye\tnow\x07"], 421, Some("4.3.2"), "bye\tnow?"),
        ];
        for (lines, code, esc, text) in table {
            let got = parse(lines).expect("parses").reply;
            assert_eq!(got.code, *code, "{lines:?}");
            assert_eq!(got.esc.as_deref(), *esc, "{lines:?}");
            assert_eq!(got.text, *text, "{lines:?}");
        }
    }

    #[test]
    fn malformed() {
        for lines in [
            &["25 OK"][..],
            &["abc OK"],
            &["250_OK"],
            &["650 what"],
            &["150 what"],
            &["250-a", "251 b"],
            &[""],
        ] {
            assert!(parse(lines).is_err(), "{lines:?} should be refused");
        }
    }

    #[test]
    fn limits() {
        let long = format!("250 {}", "a".repeat(MAX_LINE));
        assert!(parse(&[&long]).is_err());
        let ok = format!("250 {}", "a".repeat(MAX_LINE - 4));
        assert!(parse(&[&ok]).is_ok());
        let mut p = ReplyParser::default();
        for _ in 0..MAX_LINES {
            assert_eq!(p.push(b"250-x"), Ok(None));
        }
        assert!(p.push(b"250 x").is_err());
    }

    #[test]
    fn lines_are_kept_and_parser_resets() {
        let mut p = ReplyParser::default();
        assert_eq!(p.push(b"250-mx.test greets you"), Ok(None));
        let done = p.push(b"250 STARTTLS").expect("ok").expect("complete");
        assert_eq!(done.lines, ["mx.test greets you", "STARTTLS"]);
        let next = p.push(b"354 go ahead").expect("ok").expect("complete");
        assert_eq!(next.reply.code, 354);
    }

    #[test]
    fn display() {
        let r = Reply {
            code: 550,
            esc: Some("5.1.1".into()),
            text: "no such user".into(),
        };
        assert_eq!(r.to_string(), "550 5.1.1 no such user");
        let r = Reply {
            code: 250,
            esc: None,
            text: String::new(),
        };
        assert_eq!(r.to_string(), "250");
        assert_eq!(
            Reply::local(EXCEEDED_STORAGE, "too big").to_string(),
            "552 5.3.4 too big"
        );
    }
}
