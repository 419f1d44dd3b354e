//! One SMTP session: greeting, the command loop and the state table (RFC 5321 §4.1.4 command
//! ordering), with the limits of PROTO-5: command and session timeouts, bad commands, bad
//! recipients.
//!
//! The loop itself is `heron_net::command_loop`, shared with the other protocols; this file
//! says how SMTP reads and answers a command and how it says goodbye.
//!
//! Invariants: every command line gets exactly one reply; syntax errors, out-of-order
//! commands, over-long lines and failed AUTH count as bad commands and the session closes with
//! 421 at `smtp_in.max_bad_commands`; on shutdown or an administrator's "end session" the
//! session ends between commands with 421.

use std::io;
use std::net::IpAddr;
use std::sync::Arc;

use heron_net::command_loop::{self, Ending, Protocol};
use heron_net::line::{Framed, ReadError};
use heron_net::{Client, Conn, Deadlines, SessionInfo, banner};
use heron_proto_smtp::reply::{self, Reply};
use heron_proto_smtp::{Command, MAX_AUTH_LINE, parse_command};
use heron_settings::defs;
use heron_settings::values::{self, IpRule};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::envelope::SizeLimit;
use crate::hold::BodyHold;
pub use crate::parts::{Answer, Authed, Dialogue, Peer};
use crate::{Mode, SmtpService, cmd};

pub use heron_net::Flow;

/// A running session: the connection, who the client is, and what it has established.
pub struct Session<'a> {
    pub svc: &'a SmtpService,
    pub client: Client,
    pub info: Arc<SessionInfo>,
    pub starttls: Option<TlsAcceptor>,
    pub peer: Peer,
    pub dlg: Dialogue,
    /// When the session must end (`smtp_in.session_timeout`), if it has a limit.
    deadline: Option<Instant>,
}

impl Session<'_> {
    /// Forget the transaction in progress (RSET, EHLO, STARTTLS, end of message).
    pub fn reset_transaction(&mut self) {
        self.dlg.reset_transaction();
    }

    /// A new hold on this door's memory for one message body.
    pub fn body_hold(&self) -> BodyHold {
        BodyHold::new(&self.svc.bodies)
    }

    /// Send a reply.
    pub async fn send(&mut self, r: &Reply) -> io::Result<()> {
        let door = if self.is_submission() {
            "submission"
        } else {
            "smtp"
        };
        heron_metrics::metrics().smtp_reply(door, r.code);
        self.client.send(&r.to_bytes()).await
    }

    /// Send a command's answer; a write failure closes the session.
    pub async fn answer(&mut self, a: Answer) -> Flow {
        self.reply(a.reply, a.flow).await
    }

    /// Send a reply; a write failure closes the session.
    pub async fn reply(&mut self, r: Reply, flow: Flow) -> Flow {
        tracing::debug!(target: "smtp", "reply {r}");
        match self.send(&r).await {
            Ok(()) => flow,
            Err(_) => Flow::Close,
        }
    }

    /// Largest message this session may send ([`Dialogue::max_message_size`]).
    pub fn max_message_size(&self) -> SizeLimit {
        self.dlg.max_message_size(self.svc)
    }

    /// A new id for the next accepted message ([`Dialogue::next_message_id`]).
    pub fn next_message_id(&mut self) -> String {
        self.dlg.next_message_id(&self.info)
    }

    /// The submission door.
    pub fn is_submission(&self) -> bool {
        self.svc.mode == Mode::Submission
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.client.is_tls()
    }

    /// The negotiated TLS parameters, for the trace header.
    pub fn tls_description(&self) -> Option<String> {
        self.client.tls_description()
    }

    /// AUTH is offered only over TLS or from this machine.
    pub fn auth_offered(&self) -> bool {
        self.is_tls() || self.peer.loopback
    }

    /// The deadlines of the next command: the command timeout and the minimum data rate
    /// as set now, and the session's end.
    fn deadlines(&self) -> Deadlines {
        let st = &self.svc.settings;
        Deadlines {
            command: st.get(defs::SMTP_COMMAND_TIMEOUT),
            session_end: self.deadline,
            min_data_rate: st.get(defs::SMTP_MIN_DATA_RATE),
        }
    }

    /// Read one line within the command (and session) timeout.
    pub async fn read_line(&mut self) -> Result<Framed, ReadError> {
        self.client.read_line().await
    }

    /// Read raw body bytes within the command timeout and the minimum data rate.
    pub async fn read_raw(&mut self) -> Result<Vec<u8>, ReadError> {
        self.client.read_raw().await
    }

    /// The next bytes of a message body (DATA or BDAT). A client that falls silent past the
    /// command timeout, or sends below the minimum data rate, is told so and the session
    /// closes: the error is the flow to return.
    pub async fn read_body(&mut self) -> Result<Vec<u8>, Flow> {
        match self.read_raw().await {
            Ok(d) => Ok(d),
            Err(ReadError::Timeout) => {
                let _ = self.send(&reply::TIMEOUT).await;
                Err(Flow::Close)
            }
            Err(ReadError::TooSlow) => {
                tracing::info!(target: "smtp", "message body arrived below the minimum data rate");
                let _ = self.send(&reply::DATA_TOO_SLOW).await;
                Err(Flow::Close)
            }
            Err(_) => Err(Flow::Close),
        }
    }

    /// Upgrade to TLS (STARTTLS), discarding anything the client pipelined in clear text
    /// and every state it established (RFC 3207 §4.2).
    pub async fn start_tls(&mut self, acceptor: &TlsAcceptor) -> io::Result<()> {
        self.client.start_tls(acceptor).await?;
        self.dlg.helo = None;
        self.dlg.esmtp = false;
        self.reset_transaction();
        Ok(())
    }
}

fn matches_any(raw: Option<String>, ip: IpAddr, proto: values::Protocol) -> bool {
    let rules: Vec<IpRule> = values::parse_ip_rules(&raw.unwrap_or_default()).unwrap_or_default();
    rules.iter().any(|r| r.matches(ip, proto))
}

/// PROTO-8 access control for submission ports: `None` drops the connection, `Some(true)`
/// marks a safe IP (no AUTH needed). Safe IPs overrule every restriction; then this host's
/// own addresses may be blocked; then the allowed ranges apply.
fn submission_access(svc: &SmtpService, peer: IpAddr, proto: values::Protocol) -> Option<bool> {
    if svc.mode != Mode::Submission {
        return Some(false);
    }
    let st = &svc.settings;
    let (own_safe, block_own) = (
        st.get(defs::SUBMISSION_OWN_IPS_SAFE),
        st.get(defs::SUBMISSION_BLOCK_OWN_IPS),
    );
    let own = (own_safe || block_own) && heron_net::host_addresses().contains(&peer);
    if matches_any(st.raw(defs::SUBMISSION_SAFE_IPS.name), peer, proto) || (own_safe && own) {
        return Some(true);
    }
    if block_own && own {
        tracing::warn!(target: "smtp", "submission from this host's own address {peer}: dropped");
        return None;
    }
    let allowed = st
        .raw(defs::SUBMISSION_ALLOWED_IPS.name)
        .unwrap_or_default();
    if !allowed.is_empty() && !matches_any(Some(allowed), peer, proto) {
        tracing::warn!(target: "smtp", "submission from {peer} outside submission.allowed_ips: dropped");
        return None;
    }
    Some(false)
}

/// Run a session to its end.
pub async fn run(svc: &SmtpService, conn: Conn) {
    let peer = conn.peer_ip();
    let st = &svc.settings;
    let proto = conn.info.protocol;
    let Some(safe) = submission_access(svc, peer, proto) else {
        return;
    };
    let session_timeout = st.get(defs::SMTP_SESSION_TIMEOUT);
    let mut s = Session {
        svc,
        client: Client::new(conn.stream, MAX_AUTH_LINE - 2),
        starttls: conn.starttls,
        peer: Peer {
            ip: peer,
            hostname: conn.hostname,
            loopback: peer.is_loopback(),
            whitelisted: matches_any(st.raw(defs::SECURITY_IP_WHITELIST.name), peer, proto),
            bypass_ip: safe || matches_any(st.raw(defs::SMTP_AUTH_BYPASS.name), peer, proto),
        },
        dlg: Dialogue::default(),
        deadline: (!session_timeout.is_zero()).then(|| Instant::now() + session_timeout),
        info: conn.info,
    };
    let deadlines = s.deadlines();
    s.client.set_deadlines(deadlines);
    tracing::info!(target: "smtp", "connect from {peer} ({:?})", svc.mode);
    if harvest_refused(&mut s).await {
        s.client.close().await;
        return;
    }
    let text = banner::render(
        &st.get(defs::SMTP_BANNER),
        &s.peer.hostname,
        peer,
        chrono::Utc::now(),
    );
    if s.send(&reply::greeting(&s.peer.hostname, &text))
        .await
        .is_err()
    {
        return;
    }
    command_loop::run(&mut s).await;
    s.client.close().await;
    if s.dlg.bad_rcpts > 0 && s.dlg.messages == 0 && s.dlg.auth.is_none() && !s.peer.whitelisted {
        // SEC-2: unknown recipients and nothing delivered make a bad session.
        s.svc.dir.harvest_session(peer).await;
    }
    tracing::info!(target: "smtp", "disconnect");
}

/// SEC-2: a client blocked for harvesting (not a whitelisted one) is answered 554 instead of
/// the greeting; true when it was.
async fn harvest_refused(s: &mut Session<'_>) -> bool {
    if s.peer.whitelisted {
        return false;
    }
    match s.svc.dir.harvest_blocked(s.peer.ip).await {
        Ok(Some(secs)) => {
            tracing::warn!(target: "smtp",
                "refused: {} blocked for harvesting (rule security.harvest_bad_sessions), {secs}s left",
                s.peer.ip);
            let _ = s.send(&reply::BLOCKED_HARVEST).await;
            true
        }
        Ok(None) => false,
        Err(e) => {
            tracing::error!(target: "smtp", "cannot read the harvesting block of {}: {e}", s.peer.ip);
            false
        }
    }
}

impl Protocol for Session<'_> {
    type Input = Framed;

    fn cancel_token(&self) -> CancellationToken {
        self.info.cancel.clone()
    }

    async fn read(&mut self) -> Result<Framed, ReadError> {
        let deadlines = self.deadlines();
        self.client.set_deadlines(deadlines);
        self.read_line().await
    }

    async fn handle(&mut self, input: Framed) -> Flow {
        match input {
            Framed::Line(line) => dispatch(self, &line).await,
            Framed::TooLong => self.reply(reply::LINE_TOO_LONG, Flow::Bad).await,
        }
    }

    fn max_bad_commands(&self) -> u64 {
        self.svc.settings.get(defs::SMTP_MAX_BAD_COMMANDS)
    }

    async fn end(&mut self, why: Ending) {
        let goodbye = match why {
            Ending::Shutdown => {
                reply::SERVICE_UNAVAILABLE.with_text("Server shutting down, session ended")
            }
            Ending::Timeout => {
                tracing::info!(target: "smtp", "timeout");
                reply::TIMEOUT
            }
            Ending::TooManyBad => {
                tracing::warn!(target: "smtp", "too many bad commands, closing");
                reply::TOO_MANY_ERRORS
            }
            Ending::ReadFailed(e) => {
                tracing::debug!(target: "smtp", "read ended: {e}");
                return;
            }
        };
        let _ = self.send(&goodbye).await;
    }
}

/// Parse a line and run its command.
async fn dispatch(s: &mut Session<'_>, line: &[u8]) -> Flow {
    let command = match parse_command(line) {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!(target: "smtp", "bad command: {e}");
            return s.reply(e.reply(), Flow::Bad).await;
        }
    };
    if !matches!(command, Command::Auth { .. }) {
        tracing::debug!(target: "smtp", "command {}", String::from_utf8_lossy(line));
    }
    match command {
        Command::Ehlo(name) => cmd::ehlo::execute(s, name, true).await,
        Command::Helo(name) => cmd::ehlo::execute(s, name, false).await,
        Command::Mail { from, params } => {
            if params.requiretls && !s.is_tls() {
                return s
                    .reply(reply::REQUIRETLS_NEEDS_TLS, Flow::Continue)
                    .await;
            }
            let answer = cmd::mail::execute(s.svc, &s.peer, &mut s.dlg, from, params).await;
            s.answer(answer).await
        }
        Command::Rcpt { to, params } => {
            let answer = cmd::rcpt::execute(s.svc, &s.peer, &mut s.dlg, to, params).await;
            s.answer(answer).await
        }
        Command::Data => cmd::data::execute(s).await,
        Command::Bdat { size, last } => cmd::bdat::execute(s, size, last).await,
        Command::Rset => {
            s.reset_transaction();
            s.reply(reply::OK, Flow::Continue).await
        }
        Command::Noop => s.reply(reply::OK, Flow::Continue).await,
        Command::Quit => s.reply(reply::CLOSING.with_text(format!("{} closing connection", s.peer.hostname)), Flow::Close).await,
        Command::Help(_) => s.reply(reply::HELP.with_text("Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT HELP VRFY EXPN STARTTLS AUTH"), Flow::Continue).await,
        Command::Vrfy(arg) => {
            let answer = cmd::vrfy::execute(s.svc, arg, false).await;
            s.answer(answer).await
        }
        Command::Expn(arg) => {
            let answer = cmd::vrfy::execute(s.svc, arg, true).await;
            s.answer(answer).await
        }
        Command::StartTls => cmd::starttls::execute(s).await,
        Command::Auth { mechanism, initial } => cmd::auth::execute(s, mechanism, initial).await,
    }
}
