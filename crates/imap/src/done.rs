//! How a command ended: the tagged response the dispatcher sends for it, and what the
//! session makes of it (a bad command counted, the session closed, the response already
//! sent).
//!
//! Invariant: a command returns exactly one [`Done`], so it gets exactly one tagged
//! response, written with [`heron_proto_imap::response::tagged`].

use imap_codec::imap_types::response::{Code, StatusKind};

/// How a command ended: the tagged response to send, and whether it counts as a bad
/// command (syntax errors and failed logins count, PROTO-3).
#[derive(Debug)]
pub struct Done {
    pub kind: StatusKind,
    pub code: Option<Code<'static>>,
    pub text: String,
    pub counts_as_bad: bool,
    /// End the session after the tagged response (LOGOUT).
    pub close: bool,
    /// The command sent its tagged response itself (STARTTLS, before the handshake).
    pub sent: bool,
}

impl Done {
    /// `OK text`.
    pub fn ok(text: impl Into<String>) -> Self {
        Self::new(StatusKind::Ok, text)
    }
    /// `NO text` (a user error: the command was understood but cannot be done).
    pub fn no(text: impl Into<String>) -> Self {
        Self::new(StatusKind::No, text)
    }
    /// `BAD text` (a syntax or protocol error; counts as a bad command).
    pub fn bad(text: impl Into<String>) -> Self {
        let mut d = Self::new(StatusKind::Bad, text);
        d.counts_as_bad = true;
        d
    }
    fn new(kind: StatusKind, text: impl Into<String>) -> Self {
        Self {
            kind,
            code: None,
            text: text.into(),
            counts_as_bad: false,
            close: false,
            sent: false,
        }
    }
    /// The tagged response is already sent.
    pub fn already_sent() -> Self {
        let mut d = Self::ok("");
        d.sent = true;
        d
    }
    /// Add a response code.
    pub fn with(mut self, code: Code<'static>) -> Self {
        self.code = Some(code);
        self
    }
    /// Count as a bad command (failed logins).
    pub fn counted(mut self) -> Self {
        self.counts_as_bad = true;
        self
    }
}
