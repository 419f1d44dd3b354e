//! The client end of a line-based session (POP3, SMTP, IMAP): the stream, plain or TLS and
//! upgradable in place, with its bounded line reader. Sessions own one [`Client`] and keep
//! only their protocol state beside it.
//!
//! Invariants: after [`Client::start_tls`] nothing the client sent before the handshake is
//! ever read (RFC 3207 §4.2, RFC 2595 §4); once the stream is gone every call fails cleanly
//! instead of panicking.

use std::io;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio_rustls::TlsAcceptor;

use crate::line::{Framed, LineFramer, LineReader, ReadError};
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

/// A connected client.
pub struct Client {
    stream: Option<SessionStream>,
    reader: LineReader,
}

fn gone() -> io::Error {
    io::Error::other("connection already closed")
}

impl Client {
    /// Wrap an accepted stream; lines longer than `max_line` are reported as too long.
    pub fn new(stream: SessionStream, max_line: usize) -> Self {
        Self {
            stream: Some(stream),
            reader: LineReader::new(max_line),
        }
    }

    /// Write bytes and flush.
    pub async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        let s = self.stream.as_mut().ok_or_else(gone)?;
        s.write_all(bytes).await?;
        s.flush().await
    }

    /// The next line, waiting at most `timeout` for it.
    pub async fn read_line(&mut self, timeout: Duration) -> Result<Framed, ReadError> {
        let s = self.stream.as_mut().ok_or(ReadError::Closed)?;
        self.reader.read(s, timeout).await
    }

    /// Raw bytes for a body or literal: what is buffered, else the next bytes received.
    pub async fn read_raw(&mut self, timeout: Duration) -> Result<Vec<u8>, ReadError> {
        let s = self.stream.as_mut().ok_or(ReadError::Closed)?;
        self.reader.read_raw(s, timeout).await
    }

    /// The line framer: change its limit, or put back bytes read past a body's end.
    pub fn framer(&mut self) -> &mut LineFramer {
        self.reader.framer()
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
    pub async fn start_tls(&mut self, acceptor: &TlsAcceptor) -> io::Result<()> {
        self.reader.framer().clear();
        let plain = self.stream.take().ok_or_else(gone)?;
        self.stream = Some(plain.upgrade(acceptor).await?);
        Ok(())
    }

    /// Close the connection (TLS close_notify, then FIN).
    pub async fn close(&mut self) {
        if let Some(mut s) = self.stream.take() {
            let _ = s.shutdown().await;
        }
    }
}
