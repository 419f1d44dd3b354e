//! Line framing for the line-based protocols (POP3, SMTP, IMAP commands).
//!
//! [`LineFramer`] is pure: it takes bytes and yields complete lines. Its limit is enforced
//! before anything is kept: a line longer than `max` is reported once as
//! [`Framed::TooLong`] and the rest of it is discarded as it arrives, so an attacker's
//! megabyte line costs at most `max` bytes of memory; its first [`HEAD`] bytes are kept
//! so the protocol can name the refused command. [`LineReader`] adds the socket, a
//! read timeout and shutdown.
//!
//! Invariant: before waiting for the rest of something the client has begun (a line whose
//! start is buffered, a body or literal), the reader acknowledges what arrived at once
//! ([`AckNow`]). A client that writes a command in pieces (a literal, then its closing CRLF)
//! holds its small last piece until its earlier bytes are acknowledged (Nagle), and a
//! delayed acknowledgement would stall every such command by the peer's delayed-ACK time.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

/// One framing result.
#[derive(Debug, PartialEq, Eq)]
pub enum Framed {
    /// A complete line without its line ending (CRLF, or a bare LF, tolerated).
    Line(Vec<u8>),
    /// A line exceeded the limit; it is being discarded up to its end.
    TooLong,
}

/// Splits a byte stream into lines with a length limit.
#[derive(Debug)]
pub struct LineFramer {
    buf: Vec<u8>,
    max: usize,
    discarding: bool,
    /// The first [`HEAD`] bytes of the last line reported too long (its command tag).
    head: Vec<u8>,
}

/// How much of a too-long line is kept: enough for a command tag and name.
pub const HEAD: usize = 128;

impl LineFramer {
    /// A framer accepting lines of at most `max` bytes (excluding the line ending).
    pub fn new(max: usize) -> Self {
        Self {
            buf: Vec::with_capacity(1024.min(max + 2)),
            max,
            discarding: false,
            head: Vec::new(),
        }
    }

    /// The start (at most [`HEAD`] bytes) of the last line reported as
    /// [`Framed::TooLong`], so a protocol can name the command it refuses (IMAP's tag).
    pub fn too_long_head(&self) -> &[u8] {
        &self.head
    }

    /// Keep the start of the too-long line that ends at `end` in the buffer.
    fn keep_head(&mut self, end: usize) {
        self.head.clear();
        self.head
            .extend_from_slice(&self.buf[..end.min(HEAD).min(self.buf.len())]);
    }

    /// Change the limit (e.g. SASL exchanges allow longer lines than commands).
    pub fn set_max(&mut self, max: usize) {
        self.max = max;
    }

    /// Add received bytes.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The next complete line, if any is buffered.
    pub fn next_line(&mut self) -> Option<Framed> {
        loop {
            let lf = self.buf.iter().position(|&b| b == b'\n');
            if self.discarding {
                match lf {
                    Some(i) => {
                        self.buf.drain(..=i);
                        self.discarding = false;
                        continue;
                    }
                    None => {
                        self.buf.clear();
                        return None;
                    }
                }
            }
            return match lf {
                Some(i) => {
                    let end = if i > 0 && self.buf[i - 1] == b'\r' {
                        i - 1
                    } else {
                        i
                    };
                    if end > self.max {
                        self.keep_head(end);
                        self.buf.drain(..=i);
                        return Some(Framed::TooLong);
                    }
                    let line = self.buf[..end].to_vec();
                    self.buf.drain(..=i);
                    Some(Framed::Line(line))
                }
                None if self.buf.len() > self.max + 1 => {
                    self.keep_head(self.buf.len());
                    self.buf.clear();
                    self.discarding = true;
                    Some(Framed::TooLong)
                }
                None => None,
            };
        }
    }

    /// Drop everything buffered (after STARTTLS nothing sent in plain text may be used).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.discarding = false;
    }

    /// Whether a complete line (or a too-long report) is buffered: the client has already
    /// sent another command.
    pub fn has_line(&self) -> bool {
        self.buf.contains(&b'\n') || self.buf.len() > self.max + 1
    }

    /// Whether unread bytes are buffered.
    pub fn has_buffered(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Take every buffered byte (the start of a message body that followed its command).
    pub fn take_all(&mut self) -> Vec<u8> {
        self.discarding = false;
        std::mem::take(&mut self.buf)
    }

    /// Put bytes back in front of the buffer (what followed the end of a message body).
    pub fn unread(&mut self, bytes: &[u8]) {
        self.buf.splice(0..0, bytes.iter().copied());
    }
}

/// Why no line was read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("connection closed by peer")]
    Closed,
    #[error("timed out waiting for the client")]
    Timeout,
    /// A body or literal arrived slower than the minimum data rate.
    #[error("data sent slower than the minimum rate")]
    TooSlow,
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
}

/// A stream that can acknowledge received bytes now rather than on the delayed-ACK timer.
pub trait AckNow {
    /// Acknowledge what was received; best effort, errors are ignored.
    fn ack_now(&self);
}

/// Reads framed lines from a stream.
#[derive(Debug)]
pub struct LineReader {
    framer: LineFramer,
    chunk: Box<[u8]>,
}

impl LineReader {
    /// A reader with the given line limit.
    pub fn new(max: usize) -> Self {
        Self {
            framer: LineFramer::new(max),
            chunk: vec![0; 8192].into_boxed_slice(),
        }
    }

    /// The framer, to change its limit or clear it.
    pub fn framer(&mut self) -> &mut LineFramer {
        &mut self.framer
    }

    /// Read until a line (or a too-long report) is available, waiting at most `timeout` for
    /// the whole line.
    pub async fn read<S: AsyncRead + AckNow + Unpin>(
        &mut self,
        s: &mut S,
        timeout: Duration,
    ) -> Result<Framed, ReadError> {
        let fut = async {
            loop {
                if let Some(f) = self.framer.next_line() {
                    return Ok(f);
                }
                if self.framer.has_buffered() {
                    s.ack_now();
                }
                let n = s.read(&mut self.chunk).await?;
                if n == 0 {
                    return Err(ReadError::Closed);
                }
                self.framer.push(&self.chunk[..n]);
            }
        };
        tokio::time::timeout(timeout, fut)
            .await
            .map_err(|_| ReadError::Timeout)?
    }

    /// Raw bytes for a body reader: whatever is buffered, else the next bytes from the
    /// stream (at most one chunk), waiting at most `timeout`. The caller asks only while the
    /// body is incomplete, so what arrived is acknowledged before the wait.
    pub async fn read_raw<S: AsyncRead + AckNow + Unpin>(
        &mut self,
        s: &mut S,
        timeout: Duration,
    ) -> Result<Vec<u8>, ReadError> {
        if self.framer.has_buffered() {
            return Ok(self.framer.take_all());
        }
        s.ack_now();
        let n = tokio::time::timeout(timeout, s.read(&mut self.chunk))
            .await
            .map_err(|_| ReadError::Timeout)??;
        if n == 0 {
            return Err(ReadError::Closed);
        }
        Ok(self.chunk[..n].to_vec())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn frames_lines() {
        let mut f = LineFramer::new(10);
        f.push(b"ab\r\ncd\nef");
        assert_eq!(f.next_line(), Some(Framed::Line(b"ab".to_vec())));
        assert_eq!(f.next_line(), Some(Framed::Line(b"cd".to_vec())));
        assert_eq!(f.next_line(), None);
        f.push(b"\r\n");
        assert_eq!(f.next_line(), Some(Framed::Line(b"ef".to_vec())));
    }

    #[test]
    fn a_too_long_line_keeps_its_head() {
        let mut f = LineFramer::new(4);
        f.push(b"a1 ID (x)\r\nok\r\n");
        assert_eq!(f.next_line(), Some(Framed::TooLong));
        assert_eq!(f.too_long_head(), b"a1 ID (x)");
        assert_eq!(f.next_line(), Some(Framed::Line(b"ok".to_vec())));
        let mut f = LineFramer::new(4);
        f.push(&[b'y'; 1000]);
        assert_eq!(f.next_line(), Some(Framed::TooLong));
        assert_eq!(f.too_long_head(), &[b'y'; HEAD][..]);
    }

    #[test]
    fn long_lines_are_reported_once_and_discarded() {
        let mut f = LineFramer::new(4);
        f.push(b"0123456789");
        assert_eq!(f.next_line(), Some(Framed::TooLong));
        assert_eq!(f.next_line(), None);
        f.push(&[b'x'; 100_000]);
        assert_eq!(f.next_line(), None);
        assert!(!f.has_buffered(), "memory stays bounded");
        f.push(b"yy\r\nok\r\n");
        assert_eq!(f.next_line(), Some(Framed::Line(b"ok".to_vec())));
        f.push(b"12345\r\n");
        assert_eq!(f.next_line(), Some(Framed::TooLong));
        f.push(b"1234\r\n");
        assert_eq!(f.next_line(), Some(Framed::Line(b"1234".to_vec())));
    }

    #[test]
    fn raw_bytes_can_be_taken_and_put_back() {
        let mut f = LineFramer::new(10);
        f.push(b"body\r\n.\r\nQUIT\r\n");
        let all = f.take_all();
        assert_eq!(all.len(), 15);
        assert!(!f.has_buffered());
        f.unread(b"QUIT\r\n");
        assert_eq!(f.next_line(), Some(Framed::Line(b"QUIT".to_vec())));
    }

    #[test]
    fn a_pending_line_is_seen_only_when_complete() {
        let mut f = LineFramer::new(10);
        f.push(b"NOOP");
        assert!(!f.has_line());
        f.push(b"\r\nA2 NO");
        assert!(f.has_line());
        assert_eq!(f.next_line(), Some(Framed::Line(b"NOOP".to_vec())));
        assert!(!f.has_line());
        f.push(b"OOOOOOOOOOOOO");
        assert!(f.has_line(), "a line over the limit is reported at once");
    }
}
