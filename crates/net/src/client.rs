//! The client end of a line-based session (POP3, SMTP, IMAP): the stream, plain or TLS and
//! upgradable in place, with its bounded line reader and the session's [`Deadlines`].
//! Sessions own one [`Client`] and keep only their protocol state beside it.
//!
//! Every wait on the client goes through here and is bounded (PROTO-2/3/5): a command
//! line, a body or literal chunk, a TLS handshake (STARTTLS/STLS) and a write each wait at
//! most the command timeout, never past the session's end; a body or literal (DATA, BDAT,
//! APPEND) must also keep up a minimum data rate, so a client sending a byte every few
//! seconds cannot hold the session open (`Transfer`).
//!
//! Invariants: after [`Client::start_tls`] nothing the client sent before the handshake is
//! ever read (RFC 3207 §4.2, RFC 2595 §4); after [`Client::start_deflate`] what was already
//! read past the command is inflated, never read as clear text (RFC 4978 §3); once the stream is gone every call fails cleanly
//! instead of panicking; no call waits on the client without a deadline.

use std::io;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use crate::line::{AckNow, Framed, LineFramer, LineReader, ReadError};
use crate::stream::SessionStream;

/// What a line-based session's loop does after a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Carry on.
    Continue,
    /// The command was bad: count it towards the bad-command limit and carry on.
    Bad,
    /// End the session.
    Close,
}

/// How long a client may keep the server waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadlines {
    /// Longest wait for one command line, one TLS handshake, one write, or the next bytes
    /// of a body.
    pub command: Duration,
    /// When the whole session must end, if it has a limit.
    pub session_end: Option<Instant>,
    /// Bytes per second a body or literal must average once the command timeout's grace is
    /// used up; 0 turns the check off.
    pub min_data_rate: u64,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            command: Duration::from_secs(60),
            session_end: None,
            min_data_rate: 0,
        }
    }
}

impl Deadlines {
    /// The longest the next wait may take from `now`: the command timeout, cut short by the
    /// session's end.
    pub fn budget(&self, now: Instant) -> Duration {
        match self.session_end {
            Some(end) => self.command.min(end.saturating_duration_since(now)),
            None => self.command,
        }
    }
}

/// A body or literal being received: the rate check's state.
///
/// The transfer has a deadline: one command timeout after it starts, and every byte
/// received moves it later by the time that byte takes at the minimum rate, but never more
/// than one command timeout past now. A steady client at the minimum rate or faster never
/// reaches it; a slow drip reaches it about one command timeout after the transfer began;
/// a fast burst followed by a drip cannot bank the burst's credit for hours.
#[derive(Clone, Copy, Debug)]
struct Transfer {
    deadline: Instant,
}

impl Transfer {
    fn start(now: Instant, d: &Deadlines) -> Self {
        Self {
            deadline: now + d.command,
        }
    }

    /// Account for `bytes` received at `now`.
    fn received(&mut self, bytes: usize, now: Instant, d: &Deadlines) {
        if d.min_data_rate == 0 {
            return;
        }
        let earned = Duration::from_secs_f64(bytes as f64 / d.min_data_rate as f64);
        self.deadline = (self.deadline + earned).min(now + d.command);
    }

    /// When the transfer must be over; `None` without a minimum rate.
    fn deadline(&self, d: &Deadlines) -> Option<Instant> {
        (d.min_data_rate != 0).then_some(self.deadline)
    }
}

/// A connected client.
pub struct Client {
    stream: Option<SessionStream>,
    reader: LineReader,
    deadlines: Deadlines,
    /// The body or literal being read, while one is.
    transfer: Option<Transfer>,
}

fn gone() -> io::Error {
    io::Error::other("connection already closed")
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, format!("{what} timed out"))
}

impl Client {
    /// Wrap an accepted stream; lines longer than `max_line` are reported as too long.
    pub fn new(stream: SessionStream, max_line: usize) -> Self {
        Self {
            stream: Some(stream),
            reader: LineReader::new(max_line),
            deadlines: Deadlines::default(),
            transfer: None,
        }
    }

    /// Set the deadlines every following wait observes (sessions refresh them from the
    /// settings before each command, so changes apply without a restart).
    pub fn set_deadlines(&mut self, d: Deadlines) {
        self.deadlines = d;
    }

    /// The deadlines in force.
    pub fn deadlines(&self) -> Deadlines {
        self.deadlines
    }

    /// Whether the session's own time is up.
    pub fn session_over(&self) -> bool {
        self.deadlines
            .session_end
            .is_some_and(|end| Instant::now() >= end)
    }

    /// Write bytes and flush, within the command timeout (a client that stops reading
    /// cannot hold the session).
    pub async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        let budget = self.deadlines.budget(Instant::now());
        let s = self.stream.as_mut().ok_or_else(gone)?;
        let write = async {
            s.write_all(bytes).await?;
            s.flush().await
        };
        tokio::time::timeout(budget, write)
            .await
            .map_err(|_| timed_out("write"))?
    }

    /// The next command line, waiting at most the command timeout for all of it. Ends the
    /// body or literal being read, if any.
    pub async fn read_line(&mut self) -> Result<Framed, ReadError> {
        let budget = self.deadlines.budget(Instant::now());
        self.read_line_within(budget).await
    }

    /// The next line, waiting at most `timeout` (IDLE's longer wait), never past the
    /// session's end.
    pub async fn read_line_within(&mut self, timeout: Duration) -> Result<Framed, ReadError> {
        self.transfer = None;
        let budget = match self.deadlines.session_end {
            Some(end) => timeout.min(end.saturating_duration_since(Instant::now())),
            None => timeout,
        };
        let s = self.stream.as_mut().ok_or(ReadError::Closed)?;
        self.reader.read(s, budget).await
    }

    /// Raw bytes of a body or literal: what is buffered, else the next bytes received.
    /// The first call starts a transfer whose minimum rate the following calls enforce
    /// ([`ReadError::TooSlow`]); the next [`Client::read_line`] ends it.
    pub async fn read_raw(&mut self) -> Result<Vec<u8>, ReadError> {
        let now = Instant::now();
        let transfer = *self
            .transfer
            .get_or_insert_with(|| Transfer::start(now, &self.deadlines));
        let mut budget = self.deadlines.budget(now);
        let mut rate_binds = false;
        if let Some(limit) = transfer.deadline(&self.deadlines) {
            let left = limit.saturating_duration_since(now);
            if left <= budget {
                budget = left;
                rate_binds = true;
            }
        }
        let s = self.stream.as_mut().ok_or(ReadError::Closed)?;
        let data = match self.reader.read_raw(s, budget).await {
            Err(ReadError::Timeout) if rate_binds => return Err(ReadError::TooSlow),
            r => r?,
        };
        if let Some(t) = self.transfer.as_mut() {
            t.received(data.len(), Instant::now(), &self.deadlines);
        }
        Ok(data)
    }

    /// Acknowledge what the client sent at once: the command it belongs to is not complete
    /// yet (after an IMAP literal, its line goes on), so the client may be holding its next
    /// small write until these bytes are acknowledged.
    pub fn ack_now(&self) {
        if let Some(s) = &self.stream {
            s.ack_now();
        }
    }

    /// Whether the client has already sent another complete line (pipelining): its
    /// answer can go out with the next one's.
    pub fn more_pending(&mut self) -> bool {
        self.reader.framer().has_line()
    }

    /// The line framer: change its limit, or put back bytes read past a body's end.
    pub fn framer(&mut self) -> &mut LineFramer {
        self.reader.framer()
    }

    /// Watch one command's work: stopped after `budget`, on `cancel`, or when this client
    /// hangs up ([`WorkWatch`](crate::watch::WorkWatch)).
    pub fn watch_work(
        &self,
        budget: Duration,
        cancel: tokio_util::sync::CancellationToken,
    ) -> crate::watch::WorkWatch {
        let socket = self
            .stream
            .as_ref()
            .and_then(|s| crate::watch::duplicate(s.tcp()));
        crate::watch::WorkWatch::start(budget, cancel, socket)
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.stream.as_ref().is_some_and(SessionStream::is_tls)
    }

    /// Negotiated TLS version and cipher suite.
    pub fn tls_description(&self) -> Option<String> {
        self.stream
            .as_ref()
            .and_then(SessionStream::tls_description)
    }

    /// Run the TLS handshake (STARTTLS/STLS), first discarding anything pipelined in clear.
    /// A client that does not complete it within the command timeout is dropped: the
    /// stream is gone afterwards and the session must end.
    pub async fn start_tls(&mut self, acceptor: &TlsAcceptor) -> io::Result<()> {
        self.reader.framer().clear();
        self.transfer = None;
        let budget = self.deadlines.budget(Instant::now());
        let plain = self.stream.take().ok_or_else(gone)?;
        let upgraded = tokio::time::timeout(budget, plain.upgrade(acceptor))
            .await
            .map_err(|_| timed_out("TLS handshake"))??;
        self.stream = Some(upgraded);
        Ok(())
    }

    /// Whether the connection is compressed.
    pub fn is_compressed(&self) -> bool {
        self.stream
            .as_ref()
            .is_some_and(SessionStream::is_compressed)
    }

    /// Compress both directions from here on (IMAP COMPRESS=DEFLATE, RFC 4978), over plain
    /// or TLS. Bytes the client already sent past the command that turned it on are
    /// compressed ones: they are handed to the decompressor, not read as clear text.
    pub fn start_deflate(&mut self) -> io::Result<()> {
        let received = self.reader.framer().take_all();
        self.transfer = None;
        let stream = self.stream.take().ok_or_else(gone)?;
        self.stream = Some(stream.compress(received));
        Ok(())
    }

    /// Close the connection (TLS close_notify, then FIN), waiting at most a few seconds
    /// for a client that does not read.
    pub async fn close(&mut self) {
        if let Some(mut s) = self.stream.take() {
            let _ = tokio::time::timeout(CLOSE_WAIT, s.shutdown()).await;
        }
    }
}

/// Longest wait to deliver the closing bytes (TLS close_notify) to a client.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn budget_is_cut_by_the_session_end() {
        let now = Instant::now();
        let mut d = Deadlines {
            command: Duration::from_secs(120),
            session_end: None,
            min_data_rate: 0,
        };
        assert_eq!(d.budget(now), Duration::from_secs(120));
        d.session_end = Some(now + Duration::from_secs(30));
        assert_eq!(d.budget(now), Duration::from_secs(30));
        d.session_end = Some(now);
        assert_eq!(d.budget(now + Duration::from_secs(5)), Duration::ZERO);
    }

    #[test]
    fn a_transfer_earns_time_at_the_minimum_rate_but_cannot_bank_it() {
        let now = Instant::now();
        let d = Deadlines {
            command: Duration::from_secs(10),
            session_end: None,
            min_data_rate: 1000,
        };
        let mut t = Transfer::start(now, &d);
        assert_eq!(t.deadline(&d), Some(now + Duration::from_secs(10)));
        // 5,000 bytes at once: 5 s earned, but no more than one command timeout ahead.
        t.received(5000, now, &d);
        assert_eq!(t.deadline(&d), Some(now + Duration::from_secs(10)));
        let later = now + Duration::from_secs(4);
        t.received(2000, later, &d);
        assert_eq!(t.deadline(&d), Some(now + Duration::from_secs(12)));
        // A drip earns a millisecond a byte.
        t.received(1, later + Duration::from_secs(7), &d);
        assert_eq!(
            t.deadline(&d),
            Some(now + Duration::from_secs(12) + Duration::from_millis(1))
        );
        let off = Deadlines {
            min_data_rate: 0,
            ..d
        };
        assert_eq!(t.deadline(&off), None);
    }
}
