//! One POP3 session: greeting, the command loop, and the state table (RFC 1939 §3: the
//! AUTHORIZATION state, the TRANSACTION state, and UPDATE at QUIT).
//!
//! The loop itself is `heron_net::command_loop`, shared with the other protocols.
//!
//! Invariants: every command line gets exactly one reply; unknown, malformed and
//! out-of-state commands, over-long lines and failed logins count as bad commands and the
//! session closes at `pop.max_bad_commands`; a silent client is dropped after
//! `pop.command_timeout`; on shutdown or an administrator's "end session", the session ends
//! between commands, never in the middle of one.

use std::io;
use std::sync::Arc;

use heron_net::command_loop::{self, Ending, Protocol};
use heron_net::line::{Framed, ReadError};
use heron_net::{Client, Conn, Deadlines, SessionInfo, banner};
use heron_proto_pop3::{Command, MAX_COMMAND_LINE, RespCode, err, parse_command};
use heron_settings::defs;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::Pop3Service;
use crate::cmd;
use crate::maildrop::Maildrop;

/// Where the session is in RFC 1939's state machine.
pub enum State {
    /// Not logged in; `user` holds the name given by USER, if any.
    Authorization { user: Option<String> },
    /// Logged in with the maildrop locked.
    Transaction(Box<Maildrop>),
}

pub use heron_net::Flow;

/// A running session.
pub struct Session<'a> {
    pub svc: &'a Pop3Service,
    pub client: Client,
    pub info: Arc<SessionInfo>,
    pub starttls: Option<TlsAcceptor>,
    pub hostname: String,
    pub loopback: bool,
    pub state: State,
}

impl Session<'_> {
    /// Send bytes to the client.
    pub async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.client.send(bytes).await
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.client.is_tls()
    }

    /// Clear-text passwords are allowed over TLS, from loopback, or when the setting says so.
    pub fn plaintext_allowed(&self) -> bool {
        self.is_tls() || self.loopback || self.svc.settings.get(defs::POP_ALLOW_PLAINTEXT_AUTH)
    }

    /// Read one line from the client within the command timeout.
    pub async fn read_line(&mut self) -> Result<Framed, ReadError> {
        self.client.read_line().await
    }

    /// Take the command timeout as set now for every wait of the next command (a line, an
    /// AUTH exchange, the STLS handshake, a write).
    fn refresh_deadlines(&mut self) {
        self.client.set_deadlines(Deadlines {
            command: self.svc.settings.get(defs::POP_COMMAND_TIMEOUT),
            session_end: None,
            min_data_rate: 0,
        });
    }
}

/// Run a session to its end.
pub async fn run(svc: &Pop3Service, conn: Conn) {
    let loopback = conn.is_loopback();
    let peer = conn.peer_ip();
    let greeting = banner::render(
        &svc.settings.get(defs::POP_BANNER),
        &conn.hostname,
        peer,
        chrono::Utc::now(),
    );
    let mut s = Session {
        svc,
        client: Client::new(conn.stream, MAX_COMMAND_LINE),
        info: conn.info,
        starttls: conn.starttls,
        hostname: conn.hostname,
        loopback,
        state: State::Authorization { user: None },
    };
    s.refresh_deadlines();
    tracing::info!(target: "pop3", "connect from {peer}");
    if s.send(&heron_proto_pop3::ok(&greeting)).await.is_err() {
        return;
    }
    command_loop::run(&mut s).await;
    s.client.close().await;
    tracing::info!(target: "pop3", "disconnect");
}

impl Protocol for Session<'_> {
    type Input = Framed;

    fn cancel_token(&self) -> CancellationToken {
        self.info.cancel.clone()
    }

    async fn read(&mut self) -> Result<Framed, ReadError> {
        self.refresh_deadlines();
        self.read_line().await
    }

    async fn handle(&mut self, input: Framed) -> Flow {
        match input {
            Framed::Line(line) => dispatch(self, &line).await,
            Framed::TooLong => reply_bad(self, "line too long").await,
        }
    }

    fn max_bad_commands(&self) -> u64 {
        self.svc.settings.get(defs::POP_MAX_BAD_COMMANDS)
    }

    async fn end(&mut self, why: Ending) {
        let goodbye = match why {
            Ending::Shutdown => err(
                Some(RespCode::SysTemp),
                "server shutting down, session ended",
            ),
            Ending::Timeout => {
                tracing::info!(target: "pop3", "idle timeout");
                err(None, "idle timeout, closing connection")
            }
            Ending::TooManyBad => {
                tracing::warn!(target: "pop3", "too many bad commands, closing");
                err(None, "too many bad commands, closing connection")
            }
            Ending::ReadFailed(e) => {
                tracing::debug!(target: "pop3", "read ended: {e}");
                return;
            }
        };
        let _ = self.send(&goodbye).await;
    }
}

async fn reply_bad(s: &mut Session<'_>, text: &str) -> Flow {
    match s.send(&err(None, text)).await {
        Ok(()) => Flow::Bad,
        Err(_) => Flow::Close,
    }
}

/// Parse a line and run its command if the state allows it (RFC 1939 §3: which commands
/// each state accepts). A TRANSACTION command is given the maildrop it works on, so it cannot
/// run before login.
async fn dispatch(s: &mut Session<'_>, line: &[u8]) -> Flow {
    let command = match parse_command(line) {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!(target: "pop3", "bad command: {}", e.reply_text());
            return reply_bad(s, &e.reply_text()).await;
        }
    };
    tracing::debug!(target: "pop3", "command {}", command.name());
    // Valid in both states.
    match command {
        Command::Capa => return cmd::capa::execute(s).await,
        Command::Quit => {
            let out = cmd::quit::execute(s.svc.dir.store().as_ref(), &mut s.state).await;
            return reply(s, &out, Flow::Close).await;
        }
        _ => {}
    }
    let svc = s.svc;
    let (out, flow) = match &mut s.state {
        State::Authorization { .. } => return authorization(s, command).await,
        State::Transaction(m) => transaction(svc, m, command).await,
    };
    reply(s, &out, flow).await
}

/// The AUTHORIZATION state (RFC 1939 §4): the commands that log in.
async fn authorization(s: &mut Session<'_>, command: Command) -> Flow {
    match command {
        Command::Stls => cmd::stls::execute(s).await,
        Command::User(name) => cmd::user::execute(s, name).await,
        Command::Pass(pw) => cmd::pass::execute(s, pw).await,
        Command::Auth {
            mechanism,
            initial_response,
        } => cmd::auth::execute(s, mechanism, initial_response).await,
        Command::Apop { .. } => reply_bad(s, "APOP is not supported; use AUTH or USER/PASS").await,
        c => reply_bad(s, &format!("{} requires login first", c.name())).await,
    }
}

/// The TRANSACTION state (RFC 1939 §5): each command gets the maildrop (and the store, to
/// read messages) and answers with its reply.
async fn transaction(svc: &Pop3Service, m: &mut Maildrop, command: Command) -> (Vec<u8>, Flow) {
    let store = svc.dir.store().as_ref();
    let out = match command {
        Command::Noop => cmd::noop::execute(),
        Command::Stat => cmd::stat::execute(m),
        Command::List(n) => cmd::list::execute(m, n),
        Command::Uidl(n) => cmd::uidl::execute(m, n),
        Command::Retr(n) => cmd::retr::execute(store, m, n).await,
        Command::Top { msg, lines } => cmd::top::execute(store, m, msg, lines).await,
        Command::Dele(n) => cmd::dele::execute(m, n),
        Command::Rset => cmd::rset::execute(m),
        c => {
            let text = format!("{} is not allowed after login", c.name());
            return (err(None, &text), Flow::Bad);
        }
    };
    (out, Flow::Continue)
}

/// Send a reply and map a write failure to closing.
pub async fn reply(s: &mut Session<'_>, bytes: &[u8], flow: Flow) -> Flow {
    match s.send(bytes).await {
        Ok(()) => flow,
        Err(_) => Flow::Close,
    }
}
