//! SMTP command parsing (RFC 5321 §4.1, RFC 3207, RFC 3030, RFC 4954).
//!
//! Invariants:
//! - a line longer than [`MAX_ACCEPTED_LINE`] (AUTH: [`MAX_AUTH_LINE`]),
//!   counting the removed CRLF, is rejected with [`ParseError::TooLong`]
//!   before any other inspection;
//! - NUL and other control octets are rejected before the keyword is read;
//! - 8-bit octets are accepted only inside the angle brackets of MAIL and
//!   RCPT, and only as valid UTF-8 (RFC 6531 §3.3);
//! - keywords and parameter names are case-insensitive; trailing spaces
//!   are ignored; a command that takes no argument refuses one;
//! - the payload of [`ParseError::UnknownCommand`] is at most 40 printable
//!   ASCII characters, so it is safe to echo;
//! - parsing never panics and allocates at most O(line length).

use crate::error::sanitise;
use crate::params::{MAIL_USAGE, RCPT_USAGE, parse_mail_params, parse_rcpt_params};
use crate::path::{parse_path, split_path};
use crate::{MAX_ACCEPTED_LINE, MAX_AUTH_LINE, MailParams, ParseError, Path, RcptParams};

/// One parsed SMTP command.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Command {
    /// `EHLO domain` (RFC 5321 §4.1.1.1): the argument as sent.
    Ehlo(String),
    /// `HELO domain` (RFC 5321 §4.1.1.1): the argument as sent.
    Helo(String),
    /// `MAIL FROM:<path> [params]` (RFC 5321 §4.1.1.2).
    Mail {
        /// The reverse-path; never [`Path::Postmaster`].
        from: Path,
        /// The ESMTP parameters.
        params: MailParams,
    },
    /// `RCPT TO:<path> [params]` (RFC 5321 §4.1.1.3).
    Rcpt {
        /// The forward-path; never [`Path::Null`].
        to: Path,
        /// The ESMTP parameters.
        params: RcptParams,
    },
    /// `DATA` (RFC 5321 §4.1.1.4).
    Data,
    /// `BDAT size [LAST]` (RFC 3030 §2).
    Bdat {
        /// Octets in the chunk that follows the command line.
        size: u64,
        /// `LAST` was given.
        last: bool,
    },
    /// `RSET` (RFC 5321 §4.1.1.5).
    Rset,
    /// `NOOP [string]` (RFC 5321 §4.1.1.9); the argument is ignored.
    Noop,
    /// `QUIT` (RFC 5321 §4.1.1.10).
    Quit,
    /// `HELP [string]` (RFC 5321 §4.1.1.8).
    Help(Option<String>),
    /// `VRFY string` (RFC 5321 §4.1.1.6).
    Vrfy(String),
    /// `EXPN string` (RFC 5321 §4.1.1.7).
    Expn(String),
    /// `STARTTLS` (RFC 3207 §4).
    StartTls,
    /// `AUTH mechanism [initial-response]` (RFC 4954 §4).
    Auth {
        /// The SASL mechanism, upper-cased (RFC 4422 §3.1 syntax).
        mechanism: String,
        /// The initial response as sent: base64, or `"="` for an empty
        /// one. Not decoded.
        initial: Option<String>,
    },
}

impl Command {
    /// The command keyword, upper-case, e.g. `"MAIL"`.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Ehlo(_) => "EHLO",
            Command::Helo(_) => "HELO",
            Command::Mail { .. } => "MAIL",
            Command::Rcpt { .. } => "RCPT",
            Command::Data => "DATA",
            Command::Bdat { .. } => "BDAT",
            Command::Rset => "RSET",
            Command::Noop => "NOOP",
            Command::Quit => "QUIT",
            Command::Help(_) => "HELP",
            Command::Vrfy(_) => "VRFY",
            Command::Expn(_) => "EXPN",
            Command::StartTls => "STARTTLS",
            Command::Auth { .. } => "AUTH",
        }
    }
}

/// Longest SASL mechanism name (RFC 4422 §3.1).
const MECHANISM_MAX: usize = 20;
/// Longest EHLO/HELO argument (RFC 5321 §4.5.3.1.2: a domain).
const DOMAIN_MAX: usize = 255;
/// Most digits in a BDAT chunk size (fits in u64).
const SIZE_DIGITS_MAX: usize = 20;

/// Parses the arguments that follow a keyword (bytes, because MAIL and
/// RCPT may carry UTF-8 paths).
type ArgParser = fn(&[u8]) -> Result<Command, ParseError>;

/// Keyword dispatch table. Keywords compare case-insensitively.
const KEYWORDS: &[(&str, ArgParser)] = &[
    ("EHLO", |a| hello(a, "EHLO domain").map(Command::Ehlo)),
    ("HELO", |a| hello(a, "HELO domain").map(Command::Helo)),
    ("MAIL", parse_mail),
    ("RCPT", parse_rcpt),
    ("DATA", |a| no_args(a, "DATA", Command::Data)),
    ("BDAT", parse_bdat),
    ("RSET", |a| no_args(a, "RSET", Command::Rset)),
    ("NOOP", |a| ascii(a).map(|_| Command::Noop)),
    ("QUIT", |a| no_args(a, "QUIT", Command::Quit)),
    ("HELP", |a| optional(ascii(a)?).map(Command::Help)),
    ("VRFY", |a| {
        required(ascii(a)?, "VRFY string").map(Command::Vrfy)
    }),
    ("EXPN", |a| {
        required(ascii(a)?, "EXPN string").map(Command::Expn)
    }),
    ("STARTTLS", |a| no_args(a, "STARTTLS", Command::StartTls)),
    ("AUTH", parse_auth),
];

/// Parse one command line (CRLF already removed).
///
/// The session should answer an error with [`ParseError::reply`].
/// A MAIL or RCPT path that parses may still need checks only the session
/// can make: [`Path::suspicious`] forms from unauthenticated clients, and
/// non-ASCII RCPT paths in a transaction without SMTPUTF8.
pub fn parse_command(line: &[u8]) -> Result<Command, ParseError> {
    // RFC 5321 §4.5.3.1.4, RFC 4954 §4: bounded lines, checked first.
    let with_crlf = line.len().saturating_add(2);
    if with_crlf > MAX_AUTH_LINE {
        return Err(ParseError::TooLong);
    }
    let line = trim_spaces(line);
    let (keyword, args) = match line.iter().position(|&b| b == b' ') {
        Some(space) => line.split_at(space),
        None => (line, &[][..]),
    };
    if with_crlf > MAX_ACCEPTED_LINE && !keyword.eq_ignore_ascii_case(b"AUTH") {
        return Err(ParseError::TooLong);
    }
    if line.contains(&0) {
        return Err(ParseError::NulByte);
    }
    if line.iter().any(|&b| b < b' ' || b == 0x7f) {
        return Err(ParseError::ControlCharacter);
    }
    if keyword.is_empty() {
        return Err(ParseError::Empty);
    }
    let parser = KEYWORDS
        .iter()
        .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(keyword))
        .map(|(_, parser)| *parser)
        .ok_or_else(|| ParseError::UnknownCommand(sanitise(keyword)))?;
    parser(args.strip_prefix(b" ").unwrap_or(args))
}

/// Removes leading and trailing spaces.
fn trim_spaces(mut bytes: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b' '] = bytes {
        bytes = rest;
    }
    bytes
}

/// The arguments as text, refusing 8-bit octets.
fn ascii(args: &[u8]) -> Result<&str, ParseError> {
    if !args.is_ascii() {
        return Err(ParseError::EightBit);
    }
    std::str::from_utf8(args).map_err(|_| ParseError::EightBit)
}

fn optional(args: &str) -> Result<Option<String>, ParseError> {
    let args = args.trim_start_matches(' ');
    Ok((!args.is_empty()).then(|| args.to_owned()))
}

fn required(args: &str, usage: &'static str) -> Result<String, ParseError> {
    optional(args)?.ok_or(ParseError::Syntax(usage))
}

fn no_args(args: &[u8], usage: &'static str, command: Command) -> Result<Command, ParseError> {
    if trim_spaces(args).is_empty() {
        Ok(command)
    } else {
        Err(ParseError::Syntax(usage))
    }
}

/// RFC 5321 §4.1.1.1: exactly one argument, a domain or address literal.
/// Its syntax is not checked further: real clients send bare host names,
/// underscores and worse, and the value is only recorded.
fn hello(args: &[u8], usage: &'static str) -> Result<String, ParseError> {
    let args = ascii(args)?.trim_start_matches(' ');
    if args.is_empty() || args.contains(' ') || args.len() > DOMAIN_MAX {
        return Err(ParseError::Syntax(usage));
    }
    Ok(args.to_owned())
}

/// Splits `FROM:<path> params` (or `TO:`) into the path bytes and the
/// parameter text. A space after the colon is tolerated.
fn path_and_params<'a>(
    args: &'a [u8],
    prefix: &[u8],
    usage: &'static str,
) -> Result<(&'a [u8], &'a str), ParseError> {
    let args = trim_spaces(args);
    let head = args.get(..prefix.len()).ok_or(ParseError::Syntax(usage))?;
    if !head.eq_ignore_ascii_case(prefix) {
        return Err(ParseError::Syntax(usage));
    }
    let rest = trim_spaces(args.get(prefix.len()..).unwrap_or_default());
    let (path, after) = split_path(rest).ok_or(ParseError::Syntax(usage))?;
    if !after.is_empty() && !after.starts_with(b" ") {
        return Err(ParseError::Syntax(usage));
    }
    Ok((path, ascii(after)?))
}

fn parse_mail(args: &[u8]) -> Result<Command, ParseError> {
    let (path, params) = path_and_params(args, b"FROM:", MAIL_USAGE)?;
    let from = parse_path(path, false)?;
    let params = parse_mail_params(params)?;
    // RFC 6531 §3.5: UTF-8 addresses only in an SMTPUTF8 transaction.
    if !from.is_ascii() && !params.smtputf8 {
        return Err(ParseError::NonAsciiAddress);
    }
    Ok(Command::Mail { from, params })
}

fn parse_rcpt(args: &[u8]) -> Result<Command, ParseError> {
    let (path, params) = path_and_params(args, b"TO:", RCPT_USAGE)?;
    let to = parse_path(path, true)?;
    let params = parse_rcpt_params(params)?;
    Ok(Command::Rcpt { to, params })
}

/// RFC 3030 §2: `"BDAT" SP chunk-size [ SP end-marker ]`, chunk-size
/// `1*DIGIT`, end-marker `"LAST"`.
fn parse_bdat(args: &[u8]) -> Result<Command, ParseError> {
    const USAGE: ParseError = ParseError::Syntax("BDAT chunk-size [LAST]");
    let mut words = ascii(args)?.split(' ').filter(|w| !w.is_empty());
    let size = words.next().ok_or(USAGE)?;
    if size.is_empty() || size.len() > SIZE_DIGITS_MAX || !size.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(USAGE);
    }
    let size: u64 = size.parse().map_err(|_| USAGE)?;
    let last = match words.next() {
        None => false,
        Some(word) if word.eq_ignore_ascii_case("LAST") => true,
        Some(_) => return Err(USAGE),
    };
    if words.next().is_some() {
        return Err(USAGE);
    }
    Ok(Command::Bdat { size, last })
}

/// RFC 4954 §4: `"AUTH" SP sasl-mech [SP initial-response]`.
fn parse_auth(args: &[u8]) -> Result<Command, ParseError> {
    const USAGE: ParseError = ParseError::Syntax("AUTH mechanism [initial-response]");
    let mut words = ascii(args)?.split(' ').filter(|w| !w.is_empty());
    let mechanism = words.next().ok_or(USAGE)?;
    // RFC 4422 §3.1: 1 to 20 of upper-case letters, digits, '-' and '_'.
    let mechanism_ok = mechanism.len() <= MECHANISM_MAX
        && mechanism
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !mechanism_ok {
        return Err(USAGE);
    }
    // RFC 4954 §4: base64, or "=" for an empty initial response.
    let initial = words.next().map(str::to_owned);
    let initial_ok = initial.as_deref().is_none_or(|text| {
        text.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    });
    if !initial_ok || words.next().is_some() {
        return Err(USAGE);
    }
    Ok(Command::Auth {
        mechanism: mechanism.to_ascii_uppercase(),
        initial,
    })
}
