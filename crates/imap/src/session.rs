//! One IMAP session: greeting, reading whole commands (lines and literals), the command
//! loop with the PROTO-3 limits, output buffering, and bringing the selected mailbox up to
//! date from store events.
//!
//! The loop itself is `heron_net::command_loop`, shared with the other protocols.
//!
//! Invariants: every command gets exactly one tagged response; syntax errors, refused
//! literals, over-long lines and failed logins count as bad commands, and the session says
//! `* BYE` and closes at `imap.max_bad_commands`; a client silent for `imap.command_timeout`
//! (outside IDLE) gets `* BYE` and is dropped; on shutdown or an administrator's "end
//! session" the session says `* BYE` between commands, never in the middle of one; a literal
//! is only read after its size was accepted ([`heron_proto_imap::framing`]).

use std::io;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use heron_directory::Directory;
use heron_net::command_loop::{self, Ending, Protocol};
use heron_net::line::{Framed, ReadError};
use heron_net::{Client, Conn, Deadlines, Flow, SessionInfo, banner};
use heron_proto_imap::framing::{Assembler, Limits, MAX_LINE, Next, PREAUTH_MAX_LINE, Refusal};
use heron_proto_imap::response::{self, bye};
use heron_settings::{Settings, defs};
use heron_store::{Event, Store, Subscription, User};
use imap_codec::imap_types::response::{Code, StatusKind};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::cx::{AsUser, InMailbox, Wire};
use crate::state::Phase;
use crate::{ImapService, caps, dispatch, updates};

/// A logged-in user.
#[derive(Clone, Debug)]
pub struct Authed {
    pub user: User,
    /// The address the user logged in as (for logs and quota roots).
    pub address: String,
}

/// Extensions the client turned on with ENABLE (RFC 5161) or by using them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Enabled {
    /// RFC 7162: MODSEQ in untagged FETCH responses.
    pub condstore: bool,
    /// RFC 7162: VANISHED instead of EXPUNGE.
    pub qresync: bool,
    /// RFC 9051 behaviour (ESEARCH for SEARCH, no RECENT).
    pub rev2: bool,
    /// RFC 6855: mailbox names in UTF-8.
    pub utf8: bool,
}

/// A running session.
pub struct Session<'a> {
    pub svc: &'a ImapService,
    /// The connection, its line reader and the output queued for it.
    pub wire: Wire,
    asm: Assembler,
    pub info: Arc<SessionInfo>,
    pub starttls: Option<TlsAcceptor>,
    pub hostname: String,
    pub loopback: bool,
    /// The RFC 9051 state with the user and the selected mailbox it holds.
    pub phase: Phase,
    pub enabled: Enabled,
    pub events: Subscription,
}

/// What reading a command produced.
pub enum Incoming {
    /// A complete command, CRLF line endings, literals included.
    Command(Vec<u8>),
    /// A line over the limit was discarded; the tag of its command when it could be read.
    LineTooLong(Option<String>),
    /// The command was refused while being read.
    Refused(Refusal),
}

impl<'a> Session<'a> {
    /// The directory.
    pub fn dir(&self) -> &'a Directory {
        &self.svc.dir
    }

    /// The store.
    pub fn store(&self) -> &'a Arc<dyn Store> {
        self.svc.dir.store()
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.wire.client.is_tls()
    }

    /// Passwords may be sent: over TLS or from this machine (SEC-8).
    pub fn plaintext_ok(&self) -> bool {
        self.is_tls() || self.loopback
    }

    /// Queue output.
    pub fn push(&mut self, bytes: &[u8]) {
        self.wire.push(bytes);
    }

    /// Write everything queued.
    pub async fn flush(&mut self) -> io::Result<()> {
        self.wire.flush().await
    }

    /// Queue and write at once.
    pub async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.wire.send(bytes).await
    }

    /// The parts an authenticated-state command works on; none before login.
    pub fn as_user(&mut self) -> Option<AsUser<'_>> {
        AsUser::of(self.svc, &self.phase, &mut self.enabled, &mut self.wire)
    }

    /// The parts a selected-state command works on; none without a selected mailbox.
    pub fn in_mailbox(&mut self) -> Option<InMailbox<'_>> {
        InMailbox::of(self.svc, &mut self.phase, &mut self.enabled, &mut self.wire)
    }

    /// Tell the client what changed in the selected mailbox ([`updates::announce`]).
    pub async fn announce_updates(&mut self, may_expunge: bool) -> crate::error::Result<()> {
        match self.in_mailbox() {
            Some(mut m) => updates::announce(&mut m, may_expunge).await,
            None => Ok(()),
        }
    }

    /// The deadlines of the next command: the command timeout and APPEND's minimum data
    /// rate as set now. IMAP sessions have no overall time limit (RFC 9051 §5.4).
    fn refresh_deadlines(&mut self) {
        let st = &self.svc.settings;
        self.wire.client.set_deadlines(Deadlines {
            command: st.get(defs::IMAP_COMMAND_TIMEOUT),
            session_end: None,
            min_data_rate: st.get(defs::IMAP_MIN_DATA_RATE),
        });
    }

    /// Read one line (SASL responses), within the command timeout.
    pub async fn read_line(&mut self) -> Result<Framed, ReadError> {
        self.wire.client.read_line().await
    }

    /// Read a line and a store event, whichever comes first (IDLE).
    pub async fn line_or_event(&mut self, timeout: Duration) -> LineOrEvent {
        let cancel = self.info.cancel.clone();
        tokio::select! {
            biased;
            _ = cancel.cancelled() => LineOrEvent::Cancelled,
            r = self.wire.client.read_line_within(timeout) => LineOrEvent::Line(r),
            e = self.events.next() => LineOrEvent::Event(e),
        }
    }

    /// Read a whole command: its lines and its literals, sending `+` continuations for the
    /// synchronizing literals it accepts (RFC 9051 §7.5).
    pub async fn read_command(&mut self) -> Result<Incoming, ReadError> {
        // Before login a command may hold only a few KB, whatever arrives.
        let (limits, max_line) = if self.phase.is_authenticated() {
            (
                Limits::authenticated(append_limit(&self.svc.settings)),
                MAX_LINE,
            )
        } else {
            (Limits::PREAUTH, PREAUTH_MAX_LINE)
        };
        self.asm.set_limits(limits);
        self.wire.client.framer().set_max(max_line);
        self.refresh_deadlines();
        loop {
            let line = match self.read_line().await? {
                Framed::Line(l) => l,
                Framed::TooLong => {
                    let tag = self
                        .asm
                        .tag()
                        .or_else(|| tag_of_head(self.wire.client.framer().too_long_head()));
                    self.asm.reset();
                    return Ok(Incoming::LineTooLong(tag));
                }
            };
            match self.asm.push_line(&line) {
                Ok(Next::Complete) => return Ok(Incoming::Command(self.asm.take())),
                Ok(Next::Literal { len, sync }) => {
                    if sync {
                        self.send(&response::continuation("Ready for literal data"))
                            .await?;
                    }
                    self.read_literal(len).await?;
                    // The command's line goes on after its literal: the client may hold
                    // that small rest until the literal is acknowledged.
                    self.wire.client.ack_now();
                }
                Err(r) => return Ok(Incoming::Refused(r)),
            }
        }
    }

    /// Read exactly `len` literal octets; what follows them stays buffered.
    async fn read_literal(&mut self, mut len: usize) -> Result<(), ReadError> {
        while len > 0 {
            let data = self.wire.client.read_raw().await?;
            let used = data.len().min(len);
            self.asm.push_literal(&data[..used]);
            self.wire.client.framer().unread(&data[used..]);
            len -= used;
        }
        Ok(())
    }

    /// Replace the stream with its TLS upgrade. Bytes sent in plain text after the command
    /// are discarded (RFC 9051 §6.2.1, command injection).
    pub async fn start_tls(&mut self, acceptor: &TlsAcceptor) -> io::Result<()> {
        self.asm.reset();
        self.wire.client.start_tls(acceptor).await
    }

    /// Note store events that arrived since the last look, without waiting.
    pub fn poll_events(&mut self) {
        while let Some(Some(ev)) = self.events.next().now_or_never() {
            self.note_event(&ev);
        }
    }

    /// Mark the selected mailbox out of date if an event concerns it.
    pub fn note_event(&mut self, ev: &Event) {
        let Some(sel) = self.phase.selected_mut() else {
            return;
        };
        let mine = match ev {
            Event::Mailbox { folder_id, .. } => *folder_id == sel.folder.id,
            Event::Folders { user_id } => *user_id == sel.folder.user_id,
            Event::Resync => true,
            _ => false,
        };
        if mine {
            sel.dirty = true;
        }
    }

    async fn shutdown(&mut self) {
        let _ = self.flush().await;
        self.wire.client.close().await;
    }
}

/// What [`Session::line_or_event`] saw first.
pub enum LineOrEvent {
    Line(Result<Framed, ReadError>),
    Event(Option<Event>),
    Cancelled,
}

/// The largest message APPEND accepts (APPENDLIMIT, RFC 7889): the SMTP message size limit.
pub fn append_limit(settings: &Settings) -> u64 {
    let mb = settings.get(defs::SMTP_MAX_MESSAGE_MB);
    if mb == 0 {
        u64::from(u32::MAX)
    } else {
        mb.saturating_mul(1024 * 1024)
    }
}

/// Run a session to its end.
pub async fn run(svc: &ImapService, conn: Conn) {
    let loopback = conn.is_loopback();
    let peer = conn.peer_ip();
    let greeting = banner::render(
        &svc.settings.get(defs::IMAP_BANNER),
        &conn.hostname,
        peer,
        chrono::Utc::now(),
    );
    let mut s = Session {
        svc,
        wire: Wire::new(Client::new(conn.stream, PREAUTH_MAX_LINE)),
        asm: Assembler::with_limits(Limits::PREAUTH),
        info: conn.info,
        starttls: conn.starttls,
        hostname: conn.hostname,
        loopback,
        phase: Phase::default(),
        enabled: Enabled::default(),
        events: svc.dir.store().subscribe(),
    };
    s.refresh_deadlines();
    tracing::info!(target: "imap", "connect from {peer}");
    let caps = caps::capabilities(&s);
    let hello = response::untagged(StatusKind::Ok, Some(Code::Capability(caps)), &greeting);
    if s.send(&hello).await.is_err() {
        return;
    }
    command_loop::run(&mut s).await;
    s.shutdown().await;
    tracing::info!(target: "imap", "disconnect");
}

impl Protocol for Session<'_> {
    type Input = Incoming;

    fn cancel_token(&self) -> CancellationToken {
        self.info.cancel.clone()
    }

    async fn read(&mut self) -> Result<Incoming, ReadError> {
        self.read_command().await
    }

    /// Runs the command and writes what it produced.
    async fn handle(&mut self, input: Incoming) -> Flow {
        let outcome = match input {
            Incoming::Command(bytes) => dispatch::run(self, &bytes).await,
            Incoming::LineTooLong(tag) => {
                const TOO_LONG: &str = "command line too long";
                // A tagged BAD when the tag could be read, so the client is not left
                // waiting for the end of its command.
                let tag = tag.and_then(|t| imap_codec::imap_types::core::Tag::try_from(t).ok());
                let line = match tag {
                    Some(t) => response::tagged(&t, StatusKind::Bad, None, TOO_LONG),
                    None => response::untagged(StatusKind::Bad, None, TOO_LONG),
                };
                self.push(&line);
                dispatch::Outcome::Bad
            }
            Incoming::Refused(r) => refused(self, &r),
        };
        if self.wire.flush_between_commands().await.is_err() {
            return Flow::Close;
        }
        match outcome {
            dispatch::Outcome::Continue => Flow::Continue,
            dispatch::Outcome::Bad => Flow::Bad,
            dispatch::Outcome::Close => Flow::Close,
        }
    }

    fn max_bad_commands(&self) -> u64 {
        self.svc.settings.get(defs::IMAP_MAX_BAD_COMMANDS)
    }

    async fn end(&mut self, why: Ending) {
        let goodbye = match why {
            Ending::Shutdown => bye("server shutting down"),
            Ending::Timeout => {
                tracing::info!(target: "imap", "idle timeout");
                bye("idle timeout, closing connection")
            }
            Ending::TooManyBad => {
                tracing::warn!(target: "imap", "too many bad commands, closing");
                bye("too many bad commands, closing connection")
            }
            Ending::ReadFailed(ReadError::TooSlow) => {
                tracing::info!(target: "imap", "literal arrived below the minimum data rate");
                bye("data rate too low, closing connection")
            }
            Ending::ReadFailed(e) => {
                tracing::debug!(target: "imap", "read ended: {e}");
                return;
            }
        };
        let _ = self.send(&goodbye).await;
    }
}

/// The tag of a command whose line was too long, from the start of that line: only when the
/// tag ends within it (a space follows), so a cut tag is never answered.
fn tag_of_head(head: &[u8]) -> Option<String> {
    head.contains(&b' ')
        .then(|| heron_proto_imap::framing::command_tag(head))
        .flatten()
}

/// Answer a command refused while it was read (RFC 7888 §4, RFC 7889).
fn refused(s: &mut Session<'_>, r: &Refusal) -> dispatch::Outcome {
    let (tag, text, too_big) = match r {
        Refusal::LiteralTooBig { tag, append, .. } => (tag, "literal too large", *append),
        Refusal::CommandTooLong { tag, .. } => (tag, "command too long", false),
    };
    tracing::info!(target: "imap", "refused: {text}");
    let tag = tag
        .as_deref()
        .and_then(|t| imap_codec::imap_types::core::Tag::try_from(t.to_owned()).ok());
    let (kind, code) = if too_big {
        (StatusKind::No, Some(Code::TooBig))
    } else {
        (StatusKind::Bad, None)
    };
    let line = match &tag {
        Some(t) => response::tagged(t, kind, code, text),
        None => response::untagged(StatusKind::Bad, None, text),
    };
    s.push(&line);
    if r.must_close() {
        s.push(&bye("literal refused, closing connection"));
        return dispatch::Outcome::Close;
    }
    if too_big {
        // A message over APPENDLIMIT is a user error (NO), not a bad command.
        return dispatch::Outcome::Continue;
    }
    dispatch::Outcome::Bad
}
