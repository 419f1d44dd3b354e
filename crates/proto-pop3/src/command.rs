//! POP3 command parsing (RFC 1939 §3, RFC 2449 §4, RFC 5034 §4).
//!
//! Invariants:
//! - a line longer than [`MAX_COMMAND_LINE`] is rejected with
//!   [`ParseError::TooLong`] before any other inspection;
//! - NUL octets and invalid UTF-8 are rejected before the keyword is read;
//! - every parsed message number lies in `1..=u32::MAX`;
//! - the payload of [`ParseError::UnknownCommand`] is at most 40 printable
//!   ASCII characters, so it is safe to echo in a reply;
//! - parsing never panics and allocates at most O(line length).

use crate::{MAX_COMMAND_LINE, ParseError};

/// One parsed POP3 command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `USER name` (RFC 1939 §7).
    User(String),
    /// `PASS string` (RFC 1939 §7): everything after the single space that
    /// follows the keyword, verbatim, spaces included.
    Pass(String),
    /// `APOP name digest` (RFC 1939 §7). The digest is 32 hexadecimal
    /// digits, normalised to lower case.
    Apop {
        /// The mailbox name.
        name: String,
        /// The MD5 digest, 32 lower-case hexadecimal digits.
        digest: String,
    },
    /// `STAT` (RFC 1939 §5).
    Stat,
    /// `LIST [msg]` (RFC 1939 §5).
    List(Option<u32>),
    /// `RETR msg` (RFC 1939 §5).
    Retr(u32),
    /// `DELE msg` (RFC 1939 §5).
    Dele(u32),
    /// `NOOP` (RFC 1939 §5).
    Noop,
    /// `RSET` (RFC 1939 §5).
    Rset,
    /// `QUIT` (RFC 1939 §4, §6).
    Quit,
    /// `TOP msg n` (RFC 1939 §7).
    Top {
        /// The message number, at least 1.
        msg: u32,
        /// How many body lines to send; 0 is allowed.
        lines: u32,
    },
    /// `UIDL [msg]` (RFC 1939 §7).
    Uidl(Option<u32>),
    /// `CAPA` (RFC 2449 §5).
    Capa,
    /// `STLS` (RFC 2595 §4).
    Stls,
    /// `AUTH [mechanism [initial-response]]` (RFC 5034 §4). A bare `AUTH`
    /// asks for the list of mechanisms.
    Auth {
        /// The SASL mechanism name, upper-cased.
        mechanism: Option<String>,
        /// The initial response as sent: base64 text, or `"="` for an
        /// empty response. Not decoded.
        initial_response: Option<String>,
    },
}

impl Command {
    /// The command keyword, upper-case, e.g. `"RETR"`.
    pub fn name(&self) -> &'static str {
        match self {
            Command::User(_) => "USER",
            Command::Pass(_) => "PASS",
            Command::Apop { .. } => "APOP",
            Command::Stat => "STAT",
            Command::List(_) => "LIST",
            Command::Retr(_) => "RETR",
            Command::Dele(_) => "DELE",
            Command::Noop => "NOOP",
            Command::Rset => "RSET",
            Command::Quit => "QUIT",
            Command::Top { .. } => "TOP",
            Command::Uidl(_) => "UIDL",
            Command::Capa => "CAPA",
            Command::Stls => "STLS",
            Command::Auth { .. } => "AUTH",
        }
    }
}

/// Longest keyword echoed back in [`ParseError::UnknownCommand`].
const UNKNOWN_ECHO_MAX: usize = 40;

/// Longest SASL mechanism name (RFC 4422 §3.1).
const MECHANISM_MAX: usize = 20;

/// Argument names used in [`ParseError`] payloads.
const MSG: &str = "message number";
const LINES: &str = "line count";

/// Parses the arguments that follow one keyword.
type ArgParser = fn(&str) -> Result<Command, ParseError>;

/// Keyword dispatch table. Keywords compare case-insensitively.
const KEYWORDS: &[(&str, ArgParser)] = &[
    ("USER", parse_user),
    ("PASS", parse_pass),
    ("APOP", parse_apop),
    ("STAT", |a| no_args(a, "STAT", Command::Stat)),
    ("LIST", |a| optional_msg(a, "LIST").map(Command::List)),
    ("RETR", |a| required_msg(a, "RETR").map(Command::Retr)),
    ("DELE", |a| required_msg(a, "DELE").map(Command::Dele)),
    ("NOOP", |a| no_args(a, "NOOP", Command::Noop)),
    ("RSET", |a| no_args(a, "RSET", Command::Rset)),
    ("QUIT", |a| no_args(a, "QUIT", Command::Quit)),
    ("TOP", parse_top),
    ("UIDL", |a| optional_msg(a, "UIDL").map(Command::Uidl)),
    ("CAPA", |a| no_args(a, "CAPA", Command::Capa)),
    ("STLS", |a| no_args(a, "STLS", Command::Stls)),
    ("AUTH", parse_auth),
];

/// Parse one command line (CRLF already removed).
///
/// Keywords are case-insensitive; arguments are separated by one or more
/// spaces; message numbers are decimal, `1..=u32::MAX`, with no sign.
/// `LAST` and other unknown keywords yield [`ParseError::UnknownCommand`].
pub fn parse_command(line: &[u8]) -> Result<Command, ParseError> {
    // RFC 2449 §4: command lines are bounded; checked before anything else.
    if line.len() > MAX_COMMAND_LINE {
        return Err(ParseError::TooLong);
    }
    if line.contains(&0) {
        return Err(ParseError::NulByte);
    }
    let line = std::str::from_utf8(line).map_err(|_| ParseError::InvalidUtf8)?;
    let line = line.trim_start_matches(' ');
    if line.trim_end_matches(' ').is_empty() {
        return Err(ParseError::Empty);
    }
    // RFC 1939 §3: a keyword, then arguments separated by a single space.
    let (keyword, args) = line.split_once(' ').unwrap_or((line, ""));
    // RFC 1939 §3: keywords are case-insensitive.
    let parser = KEYWORDS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(keyword))
        .map(|(_, parser)| *parser)
        .ok_or_else(|| ParseError::UnknownCommand(sanitise_keyword(keyword)))?;
    parser(args)
}

/// Reduces an unknown keyword to a short, printable-ASCII echo.
fn sanitise_keyword(keyword: &str) -> String {
    keyword
        .chars()
        .take(UNKNOWN_ECHO_MAX)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect()
}

/// Space-separated arguments, tolerating runs of spaces.
struct Args<'a> {
    inner: std::str::Split<'a, char>,
}

impl<'a> Args<'a> {
    fn new(text: &'a str) -> Self {
        Args {
            inner: text.split(' '),
        }
    }

    /// The next argument, if any.
    fn optional(&mut self) -> Option<&'a str> {
        self.inner.by_ref().find(|s| !s.is_empty())
    }

    /// The next argument, or `MissingArgument(what)`.
    fn required(&mut self, what: &'static str) -> Result<&'a str, ParseError> {
        self.optional().ok_or(ParseError::MissingArgument(what))
    }

    /// Fails with `TooManyArguments(command)` if any argument remains.
    fn finish(mut self, command: &'static str) -> Result<(), ParseError> {
        match self.optional() {
            Some(_) => Err(ParseError::TooManyArguments(command)),
            None => Ok(()),
        }
    }
}

/// Unsigned decimal with no sign and no overflow; `None` otherwise.
fn parse_decimal(text: &str) -> Option<u32> {
    if text.is_empty() {
        return None;
    }
    text.bytes().try_fold(0u32, |acc, b| {
        if !b.is_ascii_digit() {
            return None;
        }
        acc.checked_mul(10)?.checked_add(u32::from(b - b'0'))
    })
}

/// RFC 1939 §3: a message number is at least 1 and fits the mailbox size.
fn parse_msg(text: &str) -> Result<u32, ParseError> {
    match parse_decimal(text) {
        Some(n) if n >= 1 => Ok(n),
        _ => Err(ParseError::BadArgument(MSG)),
    }
}

fn no_args(args: &str, name: &'static str, command: Command) -> Result<Command, ParseError> {
    Args::new(args).finish(name)?;
    Ok(command)
}

fn optional_msg(args: &str, name: &'static str) -> Result<Option<u32>, ParseError> {
    let mut args = Args::new(args);
    let msg = args.optional().map(parse_msg).transpose()?;
    args.finish(name)?;
    Ok(msg)
}

fn required_msg(args: &str, name: &'static str) -> Result<u32, ParseError> {
    let mut args = Args::new(args);
    let msg = parse_msg(args.required(MSG)?)?;
    args.finish(name)?;
    Ok(msg)
}

fn parse_user(args: &str) -> Result<Command, ParseError> {
    let mut args = Args::new(args);
    let name = args.required("user name")?;
    args.finish("USER")?;
    Ok(Command::User(name.to_owned()))
}

/// RFC 1939 §7: PASS takes exactly one argument, so spaces after the
/// separator belong to the password.
fn parse_pass(args: &str) -> Result<Command, ParseError> {
    if args.is_empty() {
        return Err(ParseError::MissingArgument("password"));
    }
    Ok(Command::Pass(args.to_owned()))
}

fn parse_apop(args: &str) -> Result<Command, ParseError> {
    let mut args = Args::new(args);
    let name = args.required("mailbox name")?;
    let digest = args.required("digest")?;
    args.finish("APOP")?;
    // RFC 1939 §7: the digest is 16 octets written as lower-case hex.
    if digest.len() != 32 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ParseError::BadArgument("digest"));
    }
    Ok(Command::Apop {
        name: name.to_owned(),
        digest: digest.to_ascii_lowercase(),
    })
}

fn parse_top(args: &str) -> Result<Command, ParseError> {
    let mut args = Args::new(args);
    let msg = parse_msg(args.required(MSG)?)?;
    // RFC 1939 §7: n is a non-negative number of lines.
    let lines = parse_decimal(args.required(LINES)?).ok_or(ParseError::BadArgument(LINES))?;
    args.finish("TOP")?;
    Ok(Command::Top { msg, lines })
}

fn parse_auth(args: &str) -> Result<Command, ParseError> {
    let mut args = Args::new(args);
    let mechanism = args.optional().map(parse_mechanism).transpose()?;
    let initial_response = args.optional().map(parse_initial_response).transpose()?;
    args.finish("AUTH")?;
    Ok(Command::Auth {
        mechanism,
        initial_response,
    })
}

/// RFC 4422 §3.1: 1 to 20 of upper-case letters, digits, '-' and '_'.
/// Lower-case letters are accepted and upper-cased.
fn parse_mechanism(text: &str) -> Result<String, ParseError> {
    let valid = text.len() <= MECHANISM_MAX
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(text.to_ascii_uppercase())
    } else {
        Err(ParseError::BadArgument("mechanism"))
    }
}

/// RFC 5034 §4: the initial response is base64, or "=" for an empty one.
/// Only the alphabet is checked here; decoding belongs to the session.
fn parse_initial_response(text: &str) -> Result<String, ParseError> {
    let valid = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
    if valid {
        Ok(text.to_owned())
    } else {
        Err(ParseError::BadArgument("initial response"))
    }
}
