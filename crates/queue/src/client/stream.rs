//! The client's end of the connection: plain TCP upgraded in place to TLS, a bounded line
//! reader that assembles replies, and writes; every operation under a deadline.
//!
//! Invariants: at most [`MAX_LINE`] + one read chunk is ever buffered; a reply read, a
//! command write and each chunk of a message write finish within the timeout or fail with
//! [`ClientError::Timeout`]; anything the server sent before the TLS handshake and after its
//! go-ahead is discarded (RFC 3207 §4.2), so it cannot be taken as a reply under TLS.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tracing::warn;

use super::ClientError;
use heron_proto_smtp::client::reply::{MAX_LINE, Parsed, ReplyParser};

/// Bytes asked of the socket per read.
const READ_CHUNK: usize = 4096;
/// Bytes of a message written per deadline.
const WRITE_CHUNK: usize = 64 * 1024;

/// Plain or TLS; `Closed` only while being upgraded or after a failed upgrade.
enum Transport {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    Closed,
}

fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "connection closed")
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Transport::Closed => Poll::Ready(Err(closed())),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Transport::Closed => Poll::Ready(Err(closed())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_flush(cx),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Transport::Closed => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Transport::Closed => Poll::Ready(Ok(())),
        }
    }
}

/// What TLS negotiated, for logs.
pub(crate) struct TlsInfo {
    pub version: String,
    pub cipher: String,
}

/// A connection to an SMTP server.
pub(crate) struct Stream {
    io: Transport,
    buf: Vec<u8>,
    timeout: Duration,
}

impl Stream {
    pub fn new(tcp: TcpStream, timeout: Duration) -> Stream {
        Stream {
            io: Transport::Plain(tcp),
            buf: Vec::with_capacity(READ_CHUNK),
            timeout,
        }
    }

    pub fn is_tls(&self) -> bool {
        matches!(self.io, Transport::Tls(_))
    }

    /// Reads one complete reply.
    pub async fn reply(&mut self, stage: &'static str) -> Result<Parsed, ClientError> {
        let deadline = Instant::now() + self.timeout;
        let mut parser = ReplyParser::default();
        loop {
            let line = self.line(deadline, stage).await?;
            if let Some(done) = parser.push(&line).map_err(ClientError::Protocol)? {
                return Ok(done);
            }
        }
    }

    /// Writes `line` (one or more commands, CRLF included) and reads one reply.
    pub async fn command(
        &mut self,
        line: &str,
        stage: &'static str,
    ) -> Result<Parsed, ClientError> {
        self.send(line.as_bytes(), stage).await?;
        self.reply(stage).await
    }

    /// Writes `bytes` and flushes them, within one timeout.
    pub async fn send(&mut self, bytes: &[u8], stage: &'static str) -> Result<(), ClientError> {
        let deadline = Instant::now() + self.timeout;
        let io = &mut self.io;
        let write = async {
            io.write_all(bytes).await?;
            io.flush().await
        };
        match timeout_at(deadline, write).await {
            Ok(res) => res.map_err(ClientError::Io),
            Err(_) => Err(ClientError::Timeout(stage)),
        }
    }

    /// Writes a message body; each chunk gets its own timeout, so a slow but moving link
    /// can carry a large message.
    pub async fn send_body(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        for chunk in bytes.chunks(WRITE_CHUNK) {
            self.send(chunk, "message").await?;
        }
        Ok(())
    }

    /// One line without its CR LF (a bare LF also ends a line).
    async fn line(
        &mut self,
        deadline: Instant,
        stage: &'static str,
    ) -> Result<Vec<u8>, ClientError> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            // Room for the longest line and its CR; anything longer is refused unread.
            if self.buf.len() > MAX_LINE + 1 {
                return Err(ClientError::Protocol(format!(
                    "reply line longer than {MAX_LINE} octets"
                )));
            }
            let mut chunk = [0u8; READ_CHUNK];
            let n = match timeout_at(deadline, self.io.read(&mut chunk)).await {
                Ok(Ok(0)) => {
                    let eof = io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "server closed the connection",
                    );
                    return Err(ClientError::Io(eof));
                }
                Ok(Ok(n)) => n,
                Ok(Err(e)) => return Err(ClientError::Io(e)),
                Err(_) => return Err(ClientError::Timeout(stage)),
            };
            self.buf
                .extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
    }

    /// Runs the TLS handshake on the plain connection (after the server's 220 to STARTTLS).
    pub async fn start_tls(
        &mut self,
        config: Arc<ClientConfig>,
        name: ServerName<'static>,
    ) -> Result<TlsInfo, ClientError> {
        if !self.buf.is_empty() {
            warn!(target: "delivery", bytes = self.buf.len(), "discarding data sent before the TLS handshake");
            self.buf.clear();
        }
        let Transport::Plain(tcp) = std::mem::replace(&mut self.io, Transport::Closed) else {
            return Err(ClientError::Protocol(
                "STARTTLS on a connection that is not plain TCP".into(),
            ));
        };
        let handshake = TlsConnector::from(config).connect(name, tcp);
        let tls = match timeout_at(Instant::now() + self.timeout, handshake).await {
            Ok(Ok(tls)) => tls,
            Ok(Err(e)) => return Err(ClientError::from_handshake(e)),
            Err(_) => return Err(ClientError::Timeout("TLS handshake")),
        };
        let (_, session) = tls.get_ref();
        let info = TlsInfo {
            version: session
                .protocol_version()
                .map_or_else(|| "?".into(), |v| format!("{v:?}")),
            cipher: session
                .negotiated_cipher_suite()
                .map_or_else(|| "?".into(), |c| format!("{:?}", c.suite())),
        };
        self.io = Transport::Tls(Box::new(tls));
        Ok(info)
    }

    /// Closes the connection (TLS close_notify first), within a short time.
    pub async fn close(&mut self) {
        let wait = self.timeout.min(Duration::from_secs(5));
        let _ = tokio::time::timeout(wait, self.io.shutdown()).await;
        self.io = Transport::Closed;
    }
}
