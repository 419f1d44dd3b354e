//! Outbound SMTP client (RFC 5321): connect (from the outbound address when configured),
//! greeting, EHLO (HELO fallback), STARTTLS (RFC 3207, opportunistic per RFC 7435), AUTH for
//! gateways (RFC 4954), then any number of transactions, pipelined when offered (RFC 2920).
//!
//! Files, one per stage: `connect` (TCP, greeting), `ehlo`, `starttls` + `tls`, `auth`,
//! `envelope` (MAIL/RCPT lines), `data` (the message on the wire), `transaction`,
//! `stream` (the bounded, timed connection). Replies and EHLO extensions are parsed by the
//! pure `heron_proto_smtp::client`.
//!
//! Invariants: every read and write is bounded by [`ClientOptions::timeout`]; replies are
//! bounded in line length and count; a [`Connection`] that returned an error, or whose
//! RSET failed, refuses further transactions ([`Connection::is_usable`]).

mod auth;
mod connect;
mod data;
mod ehlo;
mod envelope;
mod error;
mod starttls;
mod stream;
mod tls;
mod transaction;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tracing::{info, warn};

pub use envelope::{Envelope, EnvelopeRcpt};
pub use error::{CertFailure, ClientError};
/// Fuzzing entry point (`crates/queue/fuzz`), not part of the API.
#[doc(hidden)]
pub use heron_proto_smtp::client::parse_replies_for_fuzzing;
pub use heron_proto_smtp::client::{Extensions, MAX_LINE, MAX_LINES, Reply};
pub use transaction::{Outcome, RcptResult};

use stream::Stream;

/// The default per-command timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Whether to use STARTTLS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StartTls {
    /// Never.
    Off,
    /// When the server offers it; go on in the clear if it does not (RFC 7435).
    #[default]
    Opportunistic,
    /// Fail the connection unless the server offers it and the handshake succeeds.
    Required,
}

/// A user name and password for AUTH.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The authentication identity.
    pub user: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// How to connect and talk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientOptions {
    /// Our name in EHLO/HELO.
    pub helo: String,
    /// Bind the outgoing socket to this address (PROTO-6 outbound IP).
    pub local_ip: Option<IpAddr>,
    /// If connecting from `local_ip` fails, try once more without binding.
    pub fallback_primary: bool,
    /// STARTTLS policy.
    pub starttls: StartTls,
    /// AUTH (PLAIN, else LOGIN) after EHLO, for gateways.
    pub auth: Option<Credentials>,
    /// Bound on each command's exchange; the TCP connect too.
    pub timeout: Duration,
    /// Authenticate the server with this configuration instead of accepting any
    /// certificate (MTA-STS, DANE); only meaningful with [`StartTls::Required`].
    pub verify: Option<Verify>,
}

/// A TLS configuration that authenticates the server, with a label naming the policy it
/// implements (part of the pooled-session key, and of equality).
#[derive(Clone)]
pub struct Verify {
    /// The client configuration (its verifier does the checking).
    pub config: std::sync::Arc<rustls::ClientConfig>,
    /// What the verifier checks, e.g. `"mta-sts"` or `"dane:..."`.
    pub label: String,
}

impl PartialEq for Verify {
    fn eq(&self, other: &Self) -> bool {
        self.label == other.label && std::sync::Arc::ptr_eq(&self.config, &other.config)
    }
}

impl Eq for Verify {}

impl std::fmt::Debug for Verify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Verify({})", self.label)
    }
}

impl ClientOptions {
    /// Options with `helo` and the defaults: no outbound address, opportunistic TLS, no
    /// AUTH, [`DEFAULT_TIMEOUT`].
    pub fn new(helo: impl Into<String>) -> ClientOptions {
        ClientOptions {
            helo: helo.into(),
            local_ip: None,
            fallback_primary: false,
            starttls: StartTls::Opportunistic,
            auth: None,
            timeout: DEFAULT_TIMEOUT,
            verify: None,
        }
    }
}

/// An open SMTP session, ready for transactions.
pub struct Connection {
    stream: Stream,
    ext: Extensions,
    greeting_name: String,
    peer: SocketAddr,
    usable: bool,
}

impl Connection {
    /// TCP connect (from `local_ip` when set), read the greeting, EHLO (HELO after a 5xx),
    /// STARTTLS when offered and not [`StartTls::Off`] (an error if [`StartTls::Required`]
    /// and not offered), EHLO again over TLS, then AUTH if credentials are set.
    /// `server_name` is the host name, for SNI and logs. A failed TLS handshake is
    /// [`ClientError::Tls`] and ends the connection; with [`StartTls::Opportunistic`] the
    /// caller may try again with [`StartTls::Off`].
    pub async fn connect(
        addr: SocketAddr,
        server_name: &str,
        opts: &ClientOptions,
    ) -> Result<Connection, ClientError> {
        let result = Self::open(addr, server_name, opts).await;
        if let Err(e) = &result {
            warn!(target: "delivery", %addr, server = server_name, error = %e, "connection failed");
        }
        result
    }

    async fn open(
        addr: SocketAddr,
        host: &str,
        opts: &ClientOptions,
    ) -> Result<Connection, ClientError> {
        let tcp = connect::tcp(addr, opts).await?;
        let local = tcp.local_addr().ok();
        let mut stream = Stream::new(tcp, opts.timeout);
        let session = Self::handshake(&mut stream, addr, host, opts).await;
        let (greeting_name, ext) = match session {
            Ok(done) => done,
            Err(e) => {
                if matches!(e, ClientError::Rejected { .. }) {
                    // RFC 5321 §3.1, §4.1.1.10: end politely after a refusal.
                    let _ = stream.command("QUIT\r\n", "QUIT").await;
                }
                stream.close().await;
                return Err(e);
            }
        };
        info!(target: "delivery", %addr, server = host, local = ?local, greeting = %greeting_name,
            tls = stream.is_tls(), "connected");
        Ok(Connection {
            stream,
            ext,
            greeting_name,
            peer: addr,
            usable: true,
        })
    }

    async fn handshake(
        stream: &mut Stream,
        addr: SocketAddr,
        host: &str,
        opts: &ClientOptions,
    ) -> Result<(String, Extensions), ClientError> {
        let greeting_name = connect::greeting(stream).await?;
        let mut ext = ehlo::hello(stream, &opts.helo).await?;
        match opts.starttls {
            StartTls::Off => {}
            StartTls::Opportunistic | StartTls::Required if ext.starttls => {
                let required = opts.starttls == StartTls::Required;
                if starttls::upgrade(stream, host, addr, required, opts.verify.as_ref()).await? {
                    // RFC 3207 §4.2: forget what was learned in the clear.
                    ext = ehlo::hello(stream, &opts.helo).await?;
                }
            }
            StartTls::Opportunistic => {}
            StartTls::Required => {
                return Err(ClientError::NoStartTls(host.to_owned()));
            }
        }
        if let Some(creds) = &opts.auth {
            auth::authenticate(stream, &ext, creds).await?;
        }
        Ok((greeting_name, ext))
    }

    /// Runs one transaction and returns an outcome per recipient, in envelope order.
    ///
    /// MAIL carries SIZE when offered (a message over the server's SIZE is refused here,
    /// 552 5.3.4, for everyone), BODY=8BITMIME for 8-bit messages when offered, SMTPUTF8 for
    /// UTF-8 addresses, RET/ENVID/NOTIFY/ORCPT only when DSN is offered. A recipient the
    /// server cannot be sent (bad characters, UTF-8 without SMTPUTF8) is refused locally.
    /// RCPT 4xx/5xx: Temporary/Permanent; DATA or end-of-data 4xx/5xx: the same for every
    /// accepted recipient; MAIL refused: everyone gets its outcome. With no recipient
    /// accepted the message is not sent. RSET follows a transaction that stopped midway.
    /// Servers need only take 100 recipients per transaction (RFC 5321 §4.5.3.1.8); the
    /// excess gets 452, a Temporary outcome, so callers should split larger envelopes.
    pub async fn send(
        &mut self,
        env: &Envelope,
        message: &[u8],
    ) -> Result<Vec<RcptResult>, ClientError> {
        if !self.usable {
            return Err(ClientError::Protocol(
                "connection is no longer usable".into(),
            ));
        }
        let result = self.transaction(env, message).await;
        match &result {
            Ok(results) => self.log_summary(env, results),
            Err(e) => {
                self.usable = false;
                warn!(target: "delivery", server = %self.peer, from = %env.sender, error = %e, "transaction failed");
            }
        }
        result
    }

    async fn transaction(
        &mut self,
        env: &Envelope,
        message: &[u8],
    ) -> Result<Vec<RcptResult>, ClientError> {
        let body = data::encode(message);
        let mail = match envelope::mail_command(env, &self.ext, &body) {
            Ok(line) => line,
            Err(refusal) => return Ok(all(env, &transaction::Outcome::Permanent(refusal))),
        };
        let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(env.recipients.len());
        let mut lines = Vec::new();
        for rcpt in &env.recipients {
            match envelope::rcpt_command(rcpt, &self.ext) {
                Ok(line) => {
                    lines.push(line);
                    outcomes.push(None);
                }
                Err(refusal) => outcomes.push(Some(Outcome::Permanent(refusal))),
            }
        }
        if !lines.is_empty() {
            let replies = if self.ext.pipelining {
                transaction::pipelined(&mut self.stream, &mail, &lines, &body).await?
            } else {
                transaction::one_by_one(&mut self.stream, &mail, &lines, &body).await?
            };
            // The outcomes stand even if RSET fails; only the connection is given up.
            if !replies.completed() {
                let why = match transaction::rset(&mut self.stream).await {
                    Ok(true) => None,
                    Ok(false) => Some("RSET refused".to_owned()),
                    Err(e) => Some(format!("RSET failed: {e}")),
                };
                if let Some(why) = why {
                    warn!(target: "delivery", server = %self.peer, %why, "connection will not be reused");
                    self.usable = false;
                }
            }
            let mut sent = transaction::outcomes(&replies, lines.len()).into_iter();
            for slot in outcomes.iter_mut().filter(|o| o.is_none()) {
                *slot = sent.next();
            }
        }
        Ok(env
            .recipients
            .iter()
            .zip(outcomes)
            .map(|(rcpt, outcome)| RcptResult {
                address: rcpt.address.clone(),
                outcome: outcome.unwrap_or_else(|| {
                    Outcome::Temporary(Reply {
                        code: 451,
                        esc: Some("4.3.0".into()),
                        text: "no outcome recorded".into(),
                    })
                }),
            })
            .collect())
    }

    fn log_summary(&self, env: &Envelope, results: &[RcptResult]) {
        let count = |f: fn(&Outcome) -> bool| results.iter().filter(|r| f(&r.outcome)).count();
        let delivered = count(|o| matches!(o, Outcome::Delivered(_)));
        let deferred = count(|o| matches!(o, Outcome::Temporary(_)));
        let failed = count(|o| matches!(o, Outcome::Permanent(_)));
        let last = results
            .last()
            .map(|r| r.outcome.reply().to_string())
            .unwrap_or_default();
        info!(target: "delivery", server = %self.peer, from = %env.sender, delivered, deferred, failed,
            reply = %last, "transaction");
    }

    /// Ends the session: QUIT (when the connection is still in a known state) and close.
    pub async fn quit(mut self) {
        if self.usable {
            let _ = self.stream.command("QUIT\r\n", "QUIT").await;
        }
        self.stream.close().await;
    }

    /// Whether STARTTLS succeeded.
    pub fn is_tls(&self) -> bool {
        self.stream.is_tls()
    }

    /// The host name the server gave in its greeting (for DSN Remote-MTA and logs).
    pub fn greeting_name(&self) -> &str {
        &self.greeting_name
    }

    /// The extensions of the last EHLO.
    pub fn extensions(&self) -> &Extensions {
        &self.ext
    }

    /// The server's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Whether another transaction may be sent on this connection.
    pub fn is_usable(&self) -> bool {
        self.usable
    }
}

/// The same outcome for every recipient.
fn all(env: &Envelope, outcome: &Outcome) -> Vec<RcptResult> {
    env.recipients
        .iter()
        .map(|r| RcptResult {
            address: r.address.clone(),
            outcome: outcome.clone(),
        })
        .collect()
}
