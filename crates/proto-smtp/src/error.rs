//! Why a command line was refused, and the reply to send for it.
//!
//! Invariant: the `Display` text of every variant is one short line of
//! printable ASCII (payloads are sanitised by the parser), so it can be put
//! in a reply as is.

use crate::reply::{self, Reply};

/// Why a command line could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The line was empty or held only spaces.
    #[error("empty command")]
    Empty,
    /// Not a command this parser knows. The payload is the keyword as
    /// sent, sanitised to at most 40 printable ASCII characters.
    #[error("unknown command {0}")]
    UnknownCommand(String),
    /// The line exceeds [`crate::MAX_ACCEPTED_LINE`] (or, for AUTH,
    /// [`crate::MAX_AUTH_LINE`]).
    #[error("line too long")]
    TooLong,
    /// The line contains a NUL octet.
    #[error("NUL octet in command")]
    NulByte,
    /// The line contains another control octet (TAB, a stray CR or LF,
    /// DEL...).
    #[error("control character in command")]
    ControlCharacter,
    /// 8-bit octets outside a MAIL/RCPT path, or invalid UTF-8 inside one.
    #[error("8-bit characters are only allowed in addresses, as UTF-8")]
    EightBit,
    /// The arguments do not match the command's grammar; the payload is
    /// the expected syntax, e.g. `"MAIL FROM:<address> [parameters]"`.
    #[error("syntax: {0}")]
    Syntax(&'static str),
    /// The path is syntactically invalid; the payload says why.
    #[error("bad address: {0}")]
    BadAddress(&'static str),
    /// MAIL with a non-ASCII path but without the SMTPUTF8 parameter.
    #[error("non-ASCII address without SMTPUTF8")]
    NonAsciiAddress,
    /// A known parameter with a missing or malformed value; the payload
    /// names the parameter.
    #[error("invalid {0} parameter")]
    InvalidParameter(&'static str),
    /// A parameter given twice (RFC 1869 §6); the payload names it.
    #[error("duplicate {0} parameter")]
    DuplicateParameter(String),
    /// A parameter this server does not implement for the command; the
    /// payload is its keyword, upper-cased and sanitised to at most 40
    /// printable ASCII characters.
    #[error("unsupported parameter {0}")]
    UnsupportedParameter(String),
}

impl ParseError {
    /// The reply to send: 500 5.5.6 for an over-long line, 500 5.5.2 for an
    /// unknown command or bad octets, 501 5.5.4 for bad arguments or
    /// parameters, 553 5.1.3 / 5.6.7 for bad addresses and 555 5.5.4 for
    /// unsupported MAIL/RCPT parameters (RFC 5321 §4.1.1.11). The text is
    /// the error's `Display`.
    pub fn reply(&self) -> Reply {
        let base = match self {
            ParseError::TooLong => reply::LINE_TOO_LONG,
            ParseError::Empty
            | ParseError::UnknownCommand(_)
            | ParseError::NulByte
            | ParseError::ControlCharacter
            | ParseError::EightBit => reply::SYNTAX_ERROR,
            ParseError::Syntax(_)
            | ParseError::InvalidParameter(_)
            | ParseError::DuplicateParameter(_) => reply::PARAM_SYNTAX,
            ParseError::BadAddress(_) => reply::BAD_ADDRESS_SYNTAX,
            ParseError::NonAsciiAddress => reply::NON_ASCII_ADDRESS,
            ParseError::UnsupportedParameter(_) => reply::PARAMS_NOT_RECOGNIZED,
        };
        base.with_text(self.to_string())
    }
}

/// Longest caller-supplied word echoed in an error.
pub(crate) const ECHO_MAX: usize = 40;

/// Reduces `text` to at most [`ECHO_MAX`] printable ASCII characters.
pub(crate) fn sanitise(text: &[u8]) -> String {
    text.iter()
        .take(ECHO_MAX)
        .map(|&b| {
            if b.is_ascii_graphic() {
                char::from(b)
            } else {
                '?'
            }
        })
        .collect()
}
