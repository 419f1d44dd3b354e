//! The DATA body reader (RFC 5321 §4.1.1.4, §4.5.2, §2.3.8).
//!
//! Invariants:
//! - the message ends only at `CRLF "." CRLF`, where the first CRLF is a
//!   real one (or the message start): a bare LF or bare CR never starts a
//!   line, so `LF "." LF`, `LF "." CRLF` and the like cannot end a message
//!   (the "SMTP smuggling" ambiguity). The CRLF before the dot belongs to
//!   the message, which is therefore empty or ends in CRLF;
//! - a line that starts with `.` and is not the terminator loses that dot
//!   (dot-unstuffing);
//! - the reader stores at most `max_size` octets and never allocates more
//!   than that, whatever it is fed; past the limit it only counts, and
//!   [`DataReader::finish`] reports [`DataError::TooBig`];
//! - bytes after the terminator are never consumed: `Feed::Done` says how
//!   many input octets belonged to the message.

use crate::buffer::Bounded;
use crate::reply::{self, Reply};

/// What to do with a bare LF or bare CR in a message (RFC 5321 §2.3.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BareNewline {
    /// Keep them as sent and fail [`DataReader::finish`] with
    /// [`DataError::BareLf`] or [`DataError::BareCr`].
    Reject,
    /// Store each bare LF or bare CR as CRLF. Such a converted line break
    /// still never starts a line for the terminator or for dot-unstuffing.
    Normalise,
}

/// Progress reported by [`DataReader::feed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feed {
    /// The terminator has not been seen; feed more input.
    NeedMore,
    /// The terminator was seen. `consumed` octets of this input (the
    /// terminator included) belonged to the message; the rest, if any, are
    /// pipelined commands for the session.
    Done {
        /// Octets of the last input that were part of the message.
        consumed: usize,
    },
}

/// Why a received message cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    /// The message exceeded the size limit; `size` is its full size.
    #[error("message too big ({size} octets)")]
    TooBig {
        /// Octets received, after dot-unstuffing.
        size: u64,
    },
    /// The message contained a bare LF.
    #[error("bare LF in message")]
    BareLf,
    /// The message contained a bare CR.
    #[error("bare CR in message")]
    BareCr,
    /// The end of the message was not reached.
    #[error("message incomplete")]
    Incomplete,
}

impl DataError {
    /// The reply to send: 552 5.3.4, 550 5.6.11 or 451 4.3.0.
    pub fn reply(&self) -> Reply {
        match self {
            DataError::TooBig { .. } => reply::MESSAGE_TOO_BIG,
            DataError::BareLf | DataError::BareCr => reply::BARE_LF,
            DataError::Incomplete => reply::LOCAL_ERROR,
        }
    }
}

/// Where the reader stands in the byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of the message or just after a CRLF.
    LineStart,
    /// Inside a line.
    Text,
    /// After a CR inside a line (not yet written).
    Cr,
    /// After a `.` at the start of a line (not yet written).
    Dot,
    /// After `.` CR at the start of a line (neither yet written).
    DotCr,
    /// The terminator was seen.
    Done,
}

/// Reads a DATA body: unstuffs, finds the end, enforces the size limit.
#[derive(Debug)]
pub struct DataReader {
    body: Bounded,
    state: State,
    policy: BareNewline,
    bare_lf: bool,
    bare_cr: bool,
}

impl DataReader {
    /// A reader for a message of at most `max_size` octets that rejects
    /// bare LF and bare CR.
    pub fn new(max_size: usize) -> Self {
        DataReader::with_policy(max_size, BareNewline::Reject)
    }

    /// A reader with the given bare-newline policy.
    pub fn with_policy(max_size: usize, policy: BareNewline) -> Self {
        DataReader {
            body: Bounded::new(max_size),
            state: State::LineStart,
            policy,
            bare_lf: false,
            bare_cr: false,
        }
    }

    /// Consumes `input` up to the end of the message. After `Done`, further
    /// calls consume nothing and return `Done { consumed: 0 }`.
    pub fn feed(&mut self, input: &[u8]) -> Feed {
        let mut i = 0;
        while let Some(rest) = input.get(i..).filter(|rest| !rest.is_empty()) {
            match self.state {
                State::Done => return Feed::Done { consumed: i },
                State::Text => {
                    // Fast path: copy a run of ordinary octets at once.
                    let run = memchr::memchr2(b'\r', b'\n', rest).unwrap_or(rest.len());
                    if run > 0 {
                        self.body.push(rest.get(..run).unwrap_or_default());
                        i += run;
                        continue;
                    }
                }
                _ => {}
            }
            if let Some(&b) = rest.first() {
                self.step(b);
                i += 1;
            }
        }
        match self.state {
            State::Done => Feed::Done { consumed: i },
            _ => Feed::NeedMore,
        }
    }

    /// Advances the state machine by one octet.
    fn step(&mut self, b: u8) {
        match (self.state, b) {
            (State::Done, _) => {}
            // RFC 5321 §4.5.2: a leading dot is removed...
            (State::LineStart, b'.') => self.state = State::Dot,
            (State::Dot, b'\r') => self.state = State::DotCr,
            // ...and "." CRLF alone ends the message (§4.1.1.4).
            (State::DotCr, b'\n') => self.state = State::Done,
            (State::DotCr, _) => {
                self.bare_cr();
                self.text(b);
            }
            (State::Cr, b'\n') => {
                self.body.push(b"\r\n");
                self.state = State::LineStart;
            }
            (State::Cr, _) => {
                self.bare_cr();
                self.text(b);
            }
            (State::LineStart | State::Text | State::Dot, _) => self.text(b),
        }
    }

    /// An octet inside a line (the line's leading dot already dropped).
    fn text(&mut self, b: u8) {
        match b {
            b'\r' => self.state = State::Cr,
            b'\n' => {
                // RFC 5321 §2.3.8: a bare LF is not a line break.
                self.bare_lf = true;
                self.push_bare(b"\n");
                self.state = State::Text;
            }
            _ => {
                self.body.push(&[b]);
                self.state = State::Text;
            }
        }
    }

    /// A CR that was not followed by LF.
    fn bare_cr(&mut self) {
        self.bare_cr = true;
        self.push_bare(b"\r");
        self.state = State::Text;
    }

    fn push_bare(&mut self, bare: &[u8]) {
        match self.policy {
            BareNewline::Reject => self.body.push(bare),
            BareNewline::Normalise => self.body.push(b"\r\n"),
        }
    }

    /// Stop storing the message (the server cannot hold it now): the buffer is released,
    /// the rest is only read to its end, and [`DataReader::finish`] fails.
    pub fn give_up(&mut self) {
        self.body.give_up();
    }

    /// True once the terminator was seen.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Octets of message received so far (after unstuffing and any
    /// normalisation), including those not stored.
    pub fn size(&self) -> u64 {
        self.body.total()
    }

    /// True once the message exceeded `max_size`.
    pub fn is_too_big(&self) -> bool {
        self.body.is_over()
    }

    /// True if a bare LF was seen.
    pub fn saw_bare_lf(&self) -> bool {
        self.bare_lf
    }

    /// True if a bare CR was seen.
    pub fn saw_bare_cr(&self) -> bool {
        self.bare_cr
    }

    /// Octets currently stored.
    pub fn buffered(&self) -> usize {
        self.body.len()
    }

    /// Octets currently allocated for the body; never above `max_size`.
    pub fn capacity(&self) -> usize {
        self.body.capacity()
    }

    /// The message, or why it cannot be accepted. Checked in this order:
    /// incomplete, too big, bare LF, bare CR (the last two only under
    /// [`BareNewline::Reject`]).
    pub fn finish(self) -> Result<Vec<u8>, DataError> {
        if self.state != State::Done {
            return Err(DataError::Incomplete);
        }
        if self.body.is_over() {
            return Err(DataError::TooBig {
                size: self.body.total(),
            });
        }
        if self.policy == BareNewline::Reject {
            if self.bare_lf {
                return Err(DataError::BareLf);
            }
            if self.bare_cr {
                return Err(DataError::BareCr);
            }
        }
        Ok(self.body.into_bytes())
    }
}
