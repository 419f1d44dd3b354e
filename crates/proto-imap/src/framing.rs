//! Assembling one IMAP command from its lines and literals (RFC 9051 §2.2.1, §4.3;
//! LITERAL+ from RFC 7888), before the command parser sees it.
//!
//! The [`Assembler`] is pure: the session feeds it lines (without their CRLF) and literal
//! octets, and it says whether the command is complete or a literal of a given size follows.
//! Invariants: every size is checked before anything is buffered, so an announced literal
//! over its limit is refused without reading a byte of it (a 4 GB announcement costs
//! nothing); a literal is at most [`MAX_LITERAL`] octets except the message of APPEND, which
//! may reach the server's message size limit; a whole command other than APPEND is at most
//! [`MAX_COMMAND`] octets. Before login the limits are [`Limits::PREAUTH`]: 32 KiB per
//! command and no APPEND, so unauthenticated connections cannot pin memory.

/// Longest command line (without CRLF) accepted; longer lines are discarded with BAD.
pub const MAX_LINE: usize = 64 * 1024;
/// Largest literal accepted outside APPEND.
pub const MAX_LITERAL: u64 = 64 * 1024;
/// Largest command, lines and literals together, outside APPEND.
pub const MAX_COMMAND: usize = 1024 * 1024;
/// Longest tag echoed back in a reply.
const MAX_TAG: usize = 64;
/// Longest command line before login (LOGIN, AUTHENTICATE with SASL-IR, STARTTLS, ID): room
/// for the largest ID a client may send (RFC 2971 §3.3: 30 fields, values of 1024 octets).
pub const PREAUTH_MAX_LINE: usize = 32 * 1024;
/// Largest command, lines and literals together, before login.
const PREAUTH_MAX_COMMAND: usize = 32 * 1024;
/// Largest literal before login (a user name or password).
const PREAUTH_MAX_LITERAL: u64 = 4 * 1024;

/// Size limits of one command, by session state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest literal outside an APPEND message.
    pub literal: u64,
    /// Largest command, lines and literals together, outside an APPEND message.
    pub command: usize,
    /// Largest APPEND message; 0 refuses every APPEND literal.
    pub append: u64,
}

impl Limits {
    /// Before login: a few KB, no APPEND (it needs a login anyway).
    pub const PREAUTH: Limits = Limits {
        literal: PREAUTH_MAX_LITERAL,
        command: PREAUTH_MAX_COMMAND,
        append: 0,
    };

    /// After login, with APPEND messages of up to `append` octets.
    pub fn authenticated(append: u64) -> Limits {
        Limits {
            literal: MAX_LITERAL,
            command: MAX_COMMAND,
            append,
        }
    }
}

/// What the session does after a line or literal.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// The command is complete; take its bytes with [`Assembler::take`].
    Complete,
    /// A literal of `len` octets follows. With `sync`, the client waits for a `+`
    /// continuation before sending it (RFC 9051 §7.5); without, it is already on its way.
    Literal {
        /// Octets announced.
        len: usize,
        /// A synchronizing literal (`{n}`, not `{n+}`).
        sync: bool,
    },
}

/// Why a command was refused while being assembled. The assembler is reset.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A literal announced more octets than allowed. `append` tells an APPEND message
    /// (answered NO \[TOOBIG\], RFC 7889) from any other literal (BAD). A non-synchronizing
    /// literal is already being sent, so the session must close (RFC 7888 §4).
    LiteralTooBig {
        /// The command's tag, when it has a valid one.
        tag: Option<String>,
        /// The literal was synchronizing: the client waits, nothing more is on its way.
        sync: bool,
        /// The literal is an APPEND message.
        append: bool,
    },
    /// The command as a whole grew past its limit.
    CommandTooLong {
        /// The command's tag, when it has a valid one.
        tag: Option<String>,
        /// No non-synchronizing literal is on its way.
        sync: bool,
    },
}

impl Refusal {
    /// Whether the connection must be closed: the client sends the literal regardless.
    pub fn must_close(&self) -> bool {
        match self {
            Refusal::LiteralTooBig { sync, .. } | Refusal::CommandTooLong { sync, .. } => !sync,
        }
    }
}

/// Collects the lines and literals of one command.
#[derive(Debug)]
pub struct Assembler {
    buf: Vec<u8>,
    limits: Limits,
}

impl Assembler {
    /// An assembler for a logged-in session, allowing APPEND messages of up to
    /// `append_limit` octets.
    pub fn new(append_limit: u64) -> Self {
        Self::with_limits(Limits::authenticated(append_limit))
    }

    /// An assembler with the given limits.
    pub fn with_limits(limits: Limits) -> Self {
        Self {
            buf: Vec::new(),
            limits,
        }
    }

    /// Change the limits (they follow the login state and a runtime setting).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Whether a command is partly assembled.
    pub fn in_progress(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Add a line (without its line ending).
    pub fn push_line(&mut self, line: &[u8]) -> Result<Next, Refusal> {
        let append = self.is_append_with(line);
        let total_limit = self.total_limit(append);
        if self.buf.len() + line.len() + 2 > total_limit {
            let r = Refusal::CommandTooLong {
                tag: self.tag_with(line),
                sync: literal_at_end(line).is_none_or(|(_, sync)| sync),
            };
            self.buf.clear();
            return Err(r);
        }
        self.buf.extend_from_slice(line);
        self.buf.extend_from_slice(b"\r\n");
        let Some((len, sync)) = literal_at_end(line) else {
            return Ok(Next::Complete);
        };
        // RFC 7888 §4 / RFC 7889: check the announced size before reading any of it.
        let limit = if append {
            self.limits.append
        } else {
            self.limits.literal
        };
        if len > limit {
            let tag = self.tag();
            self.buf.clear();
            return Err(Refusal::LiteralTooBig { tag, sync, append });
        }
        if self.buf.len() as u64 + len > total_limit as u64 {
            let tag = self.tag();
            self.buf.clear();
            return Err(Refusal::CommandTooLong { tag, sync });
        }
        let len = len as usize;
        self.buf.reserve(len + 2);
        Ok(Next::Literal { len, sync })
    }

    /// Add literal octets (exactly the announced number, possibly in several calls).
    pub fn push_literal(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The assembled command with CRLF line endings; the assembler is empty again.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    /// Forget a partly assembled command.
    pub fn reset(&mut self) {
        self.buf.clear();
    }

    /// The tag of the command being assembled, if it has a valid one.
    pub fn tag(&self) -> Option<String> {
        command_tag(&self.buf)
    }

    fn tag_with(&self, line: &[u8]) -> Option<String> {
        if self.buf.is_empty() {
            command_tag(line)
        } else {
            self.tag()
        }
    }

    fn is_append_with(&self, line: &[u8]) -> bool {
        if self.buf.is_empty() {
            is_append(line)
        } else {
            is_append(&self.buf)
        }
    }

    fn total_limit(&self, append: bool) -> usize {
        if append {
            usize::try_from(self.limits.append)
                .unwrap_or(usize::MAX)
                .saturating_add(self.limits.command)
        } else {
            self.limits.command
        }
    }
}

/// The literal announced at the end of a line: `{n}`, `{n+}`, `~{n}` (RFC 3516 literal8).
/// Sizes too large for a u64 count as `u64::MAX`.
pub fn literal_at_end(line: &[u8]) -> Option<(u64, bool)> {
    let inner = line.strip_suffix(b"}")?;
    let (inner, sync) = match inner.strip_suffix(b"+") {
        Some(i) => (i, false),
        None => (inner, true),
    };
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = &inner[open + 1..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let len = digits.iter().fold(0u64, |n, &d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    Some((len, sync))
}

/// The tag at the start of a command (RFC 9051 §9 `tag`: ASTRING-CHAR except "+").
pub fn command_tag(bytes: &[u8]) -> Option<String> {
    let end = bytes
        .iter()
        .position(|&b| b == b' ' || b == b'\r' || b == b'\n')
        .unwrap_or(bytes.len());
    let tag = &bytes[..end];
    let valid = !tag.is_empty()
        && tag.len() <= MAX_TAG
        && tag.iter().all(|&b| {
            b.is_ascii_graphic()
                && !matches!(b, b'+' | b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\')
        });
    valid.then(|| String::from_utf8_lossy(tag).into_owned())
}

/// Whether a command is APPEND (its message literal may be large).
fn is_append(bytes: &[u8]) -> bool {
    let mut words = bytes.splitn(3, |&b| b == b' ');
    let _tag = words.next();
    words
        .next()
        .is_some_and(|w| w.eq_ignore_ascii_case(b"APPEND"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn literal_announcements() {
        assert_eq!(literal_at_end(b"a LOGIN {5}"), Some((5, true)));
        assert_eq!(literal_at_end(b"a LOGIN {5+}"), Some((5, false)));
        assert_eq!(literal_at_end(b"a APPEND x ~{12}"), Some((12, true)));
        assert_eq!(literal_at_end(b"a LOGIN \"{5}\""), None);
        assert_eq!(literal_at_end(b"a LOGIN {}"), None);
        assert_eq!(literal_at_end(b"a LOGIN {x}"), None);
        assert_eq!(
            literal_at_end(b"a X {99999999999999999999999}"),
            Some((u64::MAX, true))
        );
    }

    #[test]
    fn a_command_with_literals_is_assembled() {
        let mut a = Assembler::new(1000);
        assert_eq!(
            a.push_line(b"a1 LOGIN {5}"),
            Ok(Next::Literal { len: 5, sync: true })
        );
        a.push_literal(b"alice");
        assert_eq!(
            a.push_line(b" {3+}"),
            Ok(Next::Literal {
                len: 3,
                sync: false
            })
        );
        a.push_literal(b"pwd");
        assert_eq!(a.push_line(b""), Ok(Next::Complete));
        assert_eq!(a.take(), b"a1 LOGIN {5}\r\nalice {3+}\r\npwd\r\n");
        assert!(!a.in_progress());
    }

    #[test]
    fn oversized_literals_are_refused_before_reading() {
        let mut a = Assembler::new(30_000_000);
        let r = a.push_line(b"t1 SELECT {4294967296}").unwrap_err();
        assert_eq!(
            r,
            Refusal::LiteralTooBig {
                tag: Some("t1".into()),
                sync: true,
                append: false
            }
        );
        assert!(!r.must_close());
        assert!(!a.in_progress());
        let r = a.push_line(b"t2 APPEND INBOX {4294967296+}").unwrap_err();
        assert!(matches!(
            r,
            Refusal::LiteralTooBig {
                append: true,
                sync: false,
                ..
            }
        ));
        assert!(r.must_close());
        assert_eq!(
            a.push_line(b"t3 APPEND INBOX (\\Seen) {29999999}"),
            Ok(Next::Literal {
                len: 29_999_999,
                sync: true
            })
        );
    }

    #[test]
    fn commands_are_bounded_in_total() {
        let mut a = Assembler::new(0);
        let mut refused = false;
        for _ in 0..100 {
            match a.push_line(b"t SEARCH TEXT {65536}") {
                Ok(Next::Literal { len, .. }) => a.push_literal(&vec![b'x'; len]),
                Err(Refusal::CommandTooLong { tag, .. }) => {
                    assert_eq!(tag.as_deref(), Some("t"));
                    refused = true;
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(refused);
    }

    #[test]
    fn before_login_commands_stay_small() {
        let mut a = Assembler::with_limits(Limits::PREAUTH);
        assert_eq!(
            a.push_line(b"a LOGIN {5}"),
            Ok(Next::Literal { len: 5, sync: true })
        );
        a.push_literal(b"alice");
        assert_eq!(
            a.push_line(b" {4096}"),
            Ok(Next::Literal {
                len: 4096,
                sync: true
            })
        );
        a.push_literal(&[b'p'; 4096]);
        assert_eq!(a.push_line(b""), Ok(Next::Complete));
        a.take();
        assert!(matches!(
            a.push_line(b"b LOGIN {4097}"),
            Err(Refusal::LiteralTooBig { append: false, .. })
        ));
        assert!(matches!(
            a.push_line(b"c APPEND INBOX {10}"),
            Err(Refusal::LiteralTooBig { append: true, .. })
        ));
        // Literals that each fit still cannot add up past the command limit.
        assert!(matches!(
            a.push_line(b"d LOGIN {4096}"),
            Ok(Next::Literal { .. })
        ));
        a.push_literal(&[b'u'; 4096]);
        for _ in 0..6 {
            assert!(matches!(a.push_line(b" {4096}"), Ok(Next::Literal { .. })));
            a.push_literal(&[b'u'; 4096]);
        }
        assert!(matches!(
            a.push_line(b" {4096}"),
            Err(Refusal::CommandTooLong { .. })
        ));
    }

    #[test]
    fn tags() {
        assert_eq!(command_tag(b"A001 NOOP").as_deref(), Some("A001"));
        assert_eq!(command_tag(b"a+b NOOP"), None);
        assert_eq!(command_tag(b"* NOOP"), None);
        assert_eq!(command_tag(b"\xff NOOP"), None);
        assert_eq!(command_tag(b""), None);
    }
}
