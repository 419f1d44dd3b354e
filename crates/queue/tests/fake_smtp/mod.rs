//! A scripted SMTP server for the client tests: each test writes the server's side of the
//! conversation as straight-line code over a [`Peer`], on a listener bound to 127.0.0.1.
//! Every read is bounded, so a client that stops talking fails the test instead of hanging.

#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use heron_queue::client::{ClientOptions, StartTls};
use rustls::ServerConfig;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// How long the server waits for the client before failing the test.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// The server's end of one connection.
pub struct Peer<S> {
    io: BufReader<S>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Peer<S> {
    pub fn new(io: S) -> Self {
        Peer {
            io: BufReader::new(io),
        }
    }

    /// Writes `text` as is (the script includes the CRLFs).
    pub async fn send(&mut self, text: &str) {
        self.io
            .get_mut()
            .write_all(text.as_bytes())
            .await
            .expect("server write");
        self.io.get_mut().flush().await.expect("server flush");
    }

    /// The next line from the client, without CRLF, or None if none comes within `wait`.
    pub async fn line_within(&mut self, wait: Duration) -> Option<String> {
        let mut line = Vec::new();
        match tokio::time::timeout(wait, self.io.read_until(b'\n', &mut line)).await {
            Ok(Ok(0)) => panic!("client closed the connection"),
            Ok(Ok(_)) => {
                assert!(line.ends_with(b"\r\n"), "line without CRLF: {line:?}");
                line.truncate(line.len() - 2);
                Some(String::from_utf8(line).expect("UTF-8 command"))
            }
            Ok(Err(e)) => panic!("server read: {e}"),
            Err(_) => None,
        }
    }

    /// The next line from the client.
    pub async fn line(&mut self) -> String {
        self.line_within(PATIENCE)
            .await
            .expect("client sent nothing in time")
    }

    /// Asserts the next line is `want`.
    pub async fn expect(&mut self, want: &str) {
        assert_eq!(self.line().await, want);
    }

    /// Asserts the next line is `want`, then answers `reply`.
    pub async fn answer(&mut self, want: &str, reply: &str) {
        self.expect(want).await;
        self.send(reply).await;
    }

    /// Asserts nothing more arrives within `wait` (the client waits for us).
    pub async fn silent_for(&mut self, wait: Duration) {
        if let Some(line) = self.line_within(wait).await {
            panic!("client sent {line:?} before our reply");
        }
    }

    /// The raw bytes of a message after 354, up to and including the `.` line.
    pub async fn data(&mut self) -> Vec<u8> {
        let mut all = Vec::new();
        loop {
            let start = all.len();
            let read = tokio::time::timeout(PATIENCE, self.io.read_until(b'\n', &mut all));
            let n = read.await.expect("message in time").expect("server read");
            assert!(n > 0, "client closed during the message");
            if &all[start..] == b".\r\n" {
                return all;
            }
        }
    }

    /// Sends the greeting and answers EHLO with `mx.test` and `extensions`.
    pub async fn open(&mut self, extensions: &[&str]) {
        self.send("220 mx.test ESMTP ready\r\n").await;
        self.expect("EHLO client.test").await;
        self.send(&ehlo_reply(extensions)).await;
    }

    /// Answers QUIT.
    pub async fn quit(&mut self) {
        self.answer("QUIT", "221 2.0.0 bye\r\n").await;
    }

    /// The connection, for a TLS upgrade; nothing may be buffered.
    pub fn into_inner(self) -> S {
        assert!(
            self.io.buffer().is_empty(),
            "client pipelined past STARTTLS"
        );
        self.io.into_inner()
    }
}

/// `250-mx.test` then one line per extension.
pub fn ehlo_reply(extensions: &[&str]) -> String {
    let mut reply = String::from(if extensions.is_empty() {
        "250 mx.test\r\n"
    } else {
        "250-mx.test\r\n"
    });
    for (i, ext) in extensions.iter().enumerate() {
        let sep = if i + 1 == extensions.len() { ' ' } else { '-' };
        reply.push_str(&format!("250{sep}{ext}\r\n"));
    }
    reply
}

/// Runs `script` on the first connection to a fresh listener.
pub async fn serve<F, Fut, T>(script: F) -> (SocketAddr, JoinHandle<T>)
where
    F: FnOnce(Peer<TcpStream>) -> Fut + Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        script(Peer::new(tcp)).await
    });
    (addr, task)
}

/// Client options for tests: 5 s timeout, no TLS unless asked.
/// A connection to the fake server with [`options`].
pub async fn connect(addr: SocketAddr) -> heron_queue::client::Connection {
    heron_queue::client::Connection::connect(addr, "mx.test", &options())
        .await
        .expect("connect")
}

/// The error connecting to the fake server with [`options`].
pub async fn connect_err(addr: SocketAddr) -> heron_queue::client::ClientError {
    heron_queue::client::Connection::connect(addr, "mx.test", &options())
        .await
        .err()
        .expect("must fail")
}

pub fn options() -> ClientOptions {
    ClientOptions {
        starttls: StartTls::Off,
        timeout: PATIENCE,
        ..ClientOptions::new("client.test")
    }
}

/// A TLS acceptor with a fresh self-signed certificate for `mx.test`.
pub fn acceptor() -> TlsAcceptor {
    let made = rcgen::generate_simple_self_signed(vec!["mx.test".to_owned()]).expect("certificate");
    let cert = CertificateDer::from(made.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.key_pair.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("server config");
    TlsAcceptor::from(Arc::new(config))
}
