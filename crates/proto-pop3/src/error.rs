//! The crate's single error type, returned by command parsing.
//!
//! Invariant: the `Display` text of every variant is one short line of
//! printable ASCII (given a sanitised `UnknownCommand` payload, which
//! `parse_command` guarantees), suitable for a `-ERR` reply.

/// Why a command line could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The line was empty or held only spaces.
    #[error("empty command")]
    Empty,
    /// The keyword is not a command this parser knows. The payload is the
    /// keyword as sent, sanitised to at most 40 printable ASCII characters.
    #[error("unknown command {0}")]
    UnknownCommand(String),
    /// A required argument is absent; the payload names the argument.
    #[error("missing {0}")]
    MissingArgument(&'static str),
    /// An argument is malformed or out of range; the payload names it.
    #[error("invalid {0}")]
    BadArgument(&'static str),
    /// More arguments than the command takes; the payload is the keyword.
    #[error("too many arguments to {0}")]
    TooManyArguments(&'static str),
    /// The line is not valid UTF-8.
    #[error("command is not valid UTF-8")]
    InvalidUtf8,
    /// The line contains a NUL octet.
    #[error("NUL octet in command")]
    NulByte,
    /// The line is longer than [`crate::MAX_COMMAND_LINE`].
    #[error("command line too long")]
    TooLong,
}

impl ParseError {
    /// Short human-readable text for a `-ERR <text>` reply.
    pub fn reply_text(&self) -> String {
        self.to_string()
    }
}
