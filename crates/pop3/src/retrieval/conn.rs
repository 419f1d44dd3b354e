//! A POP3 client connection (RFC 1939, STLS from RFC 2595): lines in and out with a deadline
//! on every read and write, over plain TCP or TLS. Parsing is left to [`super::reply`].
//!
//! Invariants: no read or write waits longer than the connection's timeout; a line longer
//! than [`MAX_LINE`] ends the session (the buffer never grows past it); STLS is only done
//! with nothing left unread from the plain connection (no plaintext injected into TLS).

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::ClientConfig;
use tokio_rustls::rustls::pki_types::ServerName;

use super::RetrievalError;
use super::reply::{self, Status};

/// Longest line accepted from the server, CRLF included.
pub const MAX_LINE: usize = 64 * 1024;

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A connection to a POP3 server.
pub struct Conn {
    io: Box<dyn Io>,
    buf: Vec<u8>,
    wait: Duration,
    host: String,
}

impl Conn {
    /// Connect to `host:port`, with TLS (configured by `tls`) from the first byte when
    /// `implicit_tls`.
    pub async fn connect(
        host: &str,
        port: u16,
        implicit_tls: bool,
        verify: &Arc<ClientConfig>,
        wait: Duration,
    ) -> Result<Self, RetrievalError> {
        let tcp = timeout(wait, TcpStream::connect((host, port)))
            .await
            .map_err(|_| RetrievalError::Timeout("connecting"))??;
        let mut c = Self {
            io: Box::new(tcp),
            buf: Vec::new(),
            wait,
            host: host.to_owned(),
        };
        if implicit_tls {
            let plain = c_take(&mut c);
            c.io = tls(&c.host, c.wait, plain, verify).await?;
        }
        Ok(c)
    }

    /// Upgrade to TLS after a `+OK` to STLS.
    pub async fn starttls(&mut self, verify: &Arc<ClientConfig>) -> Result<(), RetrievalError> {
        if !self.buf.is_empty() {
            return Err(RetrievalError::Protocol(
                "data sent before the TLS handshake".into(),
            ));
        }
        let plain = c_take(self);
        self.io = tls(&self.host, self.wait, plain, verify).await?;
        Ok(())
    }

    /// Send one command line.
    pub async fn send(&mut self, line: &str) -> Result<(), RetrievalError> {
        let mut out = Vec::with_capacity(line.len() + 2);
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
        timeout(self.wait, async {
            self.io.write_all(&out).await?;
            self.io.flush().await
        })
        .await
        .map_err(|_| RetrievalError::Timeout("sending"))??;
        Ok(())
    }

    /// The next line, without its line ending.
    pub async fn line(&mut self) -> Result<Vec<u8>, RetrievalError> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            if self.buf.len() >= MAX_LINE {
                return Err(RetrievalError::Protocol("line too long".into()));
            }
            let mut chunk = [0u8; 16 * 1024];
            let want = chunk.len().min(MAX_LINE - self.buf.len());
            let n = timeout(self.wait, self.io.read(&mut chunk[..want]))
                .await
                .map_err(|_| RetrievalError::Timeout("waiting for the server"))??;
            if n == 0 {
                return Err(RetrievalError::Closed);
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Read a status line: the text after `+OK`, or [`RetrievalError::Refused`] for `cmd`.
    pub async fn status(&mut self, cmd: &'static str) -> Result<String, RetrievalError> {
        let line = self.line().await?;
        let text = String::from_utf8_lossy(&line);
        match reply::status(&text) {
            Some(Status::Ok(rest)) => Ok(rest.to_owned()),
            Some(Status::Err(rest)) => Err(RetrievalError::Refused {
                cmd,
                text: rest.to_owned(),
            }),
            None => Err(RetrievalError::Protocol(format!(
                "unexpected reply to {cmd}: {}",
                text.chars().take(80).collect::<String>()
            ))),
        }
    }

    /// Send `line` and read its status (`cmd` names it in errors: never the line, which may
    /// hold a password).
    pub async fn command(
        &mut self,
        cmd: &'static str,
        line: &str,
    ) -> Result<String, RetrievalError> {
        self.send(line).await?;
        self.status(cmd).await
    }

    /// The lines of a multi-line reply, unstuffed.
    pub async fn lines(&mut self) -> Result<Vec<String>, RetrievalError> {
        let mut out = Vec::new();
        loop {
            let line = self.line().await?;
            match reply::unstuff(&line) {
                None => return Ok(out),
                Some(l) => out.push(String::from_utf8_lossy(l).into_owned()),
            }
        }
    }

    /// A multi-line message body with CRLF line endings; `None` (the body read and
    /// dropped) when it grows past `max` bytes.
    pub async fn body(&mut self, max: u64) -> Result<Option<Vec<u8>>, RetrievalError> {
        let mut out = Vec::new();
        let mut over = false;
        loop {
            let line = self.line().await?;
            let Some(l) = reply::unstuff(&line) else {
                return Ok((!over).then_some(out));
            };
            if over {
                continue;
            }
            if (out.len() + l.len() + 2) as u64 > max {
                over = true;
                out = Vec::new();
                continue;
            }
            out.extend_from_slice(l);
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// `io` after a TLS handshake with `host` under `config` (see [`super::tls`]).
async fn tls(
    host: &str,
    wait: Duration,
    io: Box<dyn Io>,
    config: &Arc<ClientConfig>,
) -> Result<Box<dyn Io>, RetrievalError> {
    let name = ServerName::try_from(host.to_owned())
        .map_err(|_| RetrievalError::Invalid(format!("bad host name {host}")))?;
    let connector = TlsConnector::from(Arc::clone(config));
    let s = timeout(wait, connector.connect(name, io))
        .await
        .map_err(|_| RetrievalError::Timeout("in the TLS handshake"))?
        .map_err(|e| RetrievalError::Tls(e.to_string()))?;
    Ok(Box::new(s))
}

/// Take the stream out of a connection (leaving a closed placeholder behind).
fn c_take(c: &mut Conn) -> Box<dyn Io> {
    std::mem::replace(&mut c.io, Box::new(tokio::io::duplex(1).0))
}
