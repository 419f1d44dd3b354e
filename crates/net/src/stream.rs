//! [`SessionStream`]: a client connection that is plain TCP or TLS, and can be upgraded in
//! place by STARTTLS/STLS, then wrapped in compression (IMAP COMPRESS, [`DeflateStream`]).
//! Reads and writes go through [`tokio::io`] traits either way.
//!
//! Invariant: compression is the outermost layer; TLS never starts inside it.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::deflate::DeflateStream;

/// A client connection, plain or TLS.
pub enum SessionStream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    /// Raw DEFLATE over a plain or TLS connection.
    Deflate(Box<DeflateStream<SessionStream>>),
}

impl SessionStream {
    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        match self {
            SessionStream::Plain(_) => false,
            SessionStream::Tls(_) => true,
            SessionStream::Deflate(d) => d.get_ref().is_tls(),
        }
    }

    /// Whether the connection is compressed.
    pub fn is_compressed(&self) -> bool {
        matches!(self, SessionStream::Deflate(_))
    }

    /// Compress both directions from here on. `received` holds bytes already read past the
    /// command that turned compression on: they are compressed too, and inflated first.
    pub fn compress(self, received: Vec<u8>) -> SessionStream {
        SessionStream::Deflate(Box::new(DeflateStream::new(self, received)))
    }

    /// Run the TLS handshake on a plain stream (implicit TLS at accept, or STARTTLS).
    pub async fn upgrade(self, acceptor: &TlsAcceptor) -> io::Result<SessionStream> {
        match self {
            SessionStream::Plain(tcp) => {
                Ok(SessionStream::Tls(Box::new(acceptor.accept(tcp).await?)))
            }
            tls @ SessionStream::Tls(_) => Ok(tls),
            SessionStream::Deflate(_) => Err(io::Error::other(
                "TLS cannot start inside a compressed connection",
            )),
        }
    }

    /// The TCP connection underneath, plain or TLS.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            SessionStream::Plain(tcp) => tcp,
            SessionStream::Tls(t) => t.get_ref().0,
            SessionStream::Deflate(d) => d.get_ref().tcp(),
        }
    }

    /// Negotiated TLS protocol version and cipher suite, for logs and Received headers.
    pub fn tls_description(&self) -> Option<String> {
        let t = match self {
            SessionStream::Plain(_) => return None,
            SessionStream::Tls(t) => t,
            SessionStream::Deflate(d) => return d.get_ref().tls_description(),
        };
        let (_, conn) = t.get_ref();
        let version = conn.protocol_version().map(|v| format!("{v:?}"))?;
        let suite = conn
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()))?;
        Some(format!("{version} {suite}"))
    }
}

impl crate::line::AckNow for SessionStream {
    /// Leave delayed-ACK mode for this socket, which sends an acknowledgement that is
    /// pending (Linux `TCP_QUICKACK`; the kernel turns it off again by itself, so it is set
    /// each time). Elsewhere acknowledgements keep the system's timing.
    fn ack_now(&self) {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            let _ = socket2::SockRef::from(self.tcp()).set_tcp_quickack(true);
        }
    }
}

impl AsyncRead for SessionStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            SessionStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            SessionStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            SessionStream::Deflate(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for SessionStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            SessionStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            SessionStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            SessionStream::Deflate(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            SessionStream::Plain(s) => Pin::new(s).poll_flush(cx),
            SessionStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            SessionStream::Deflate(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            SessionStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            SessionStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            SessionStream::Deflate(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
