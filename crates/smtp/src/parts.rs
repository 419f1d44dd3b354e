//! What an SMTP command is given: who the client is ([`Peer`], fixed when it connected) and
//! what it has established so far ([`Dialogue`]: its greeting, its login, the transaction
//! in progress). The commands that only decide (MAIL, RCPT, VRFY, EXPN) take these and the
//! service and return their [`Answer`]; the session sends it. Those that read from the
//! connection (DATA, BDAT, AUTH, STARTTLS) and EHLO, whose reply lists what the connection
//! offers, take the session.

use std::net::IpAddr;

use heron_net::{Flow, SessionInfo};
use heron_proto_smtp::ChunkReader;
use heron_proto_smtp::reply::Reply;
use heron_settings::defs;
use heron_store::{Domain, User};

use crate::SmtpService;
use crate::envelope::{SizeLimit, Transaction};
use crate::hold::BodyHold;

/// A command's reply and what the session does next.
#[derive(Debug)]
pub struct Answer {
    pub reply: Reply,
    pub flow: Flow,
}

impl Answer {
    /// The reply; the session goes on.
    pub fn go_on(reply: Reply) -> Self {
        Self {
            reply,
            flow: Flow::Continue,
        }
    }

    /// The reply, counted as a bad command.
    pub fn bad(reply: Reply) -> Self {
        Self {
            reply,
            flow: Flow::Bad,
        }
    }

    /// The reply, then the session closes.
    pub fn close(reply: Reply) -> Self {
        Self {
            reply,
            flow: Flow::Close,
        }
    }
}

/// An authenticated client.
#[derive(Clone, Debug)]
pub struct Authed {
    pub user: User,
    pub domain: Domain,
    pub address: String,
}

/// The client as known when it connected.
#[derive(Clone, Debug)]
pub struct Peer {
    pub ip: IpAddr,
    /// This server's name as the connection knows it (greeting, trace header, `<postmaster>`).
    pub hostname: String,
    /// Connected from this machine: AUTH may be offered without TLS.
    pub loopback: bool,
    /// SEC-1 whitelisted client.
    pub whitelisted: bool,
    /// SEC-6 bypass or PROTO-8 safe IP: may send without AUTH.
    pub bypass_ip: bool,
}

/// What the client has established: reset in part by RSET, EHLO and STARTTLS.
#[derive(Default)]
pub struct Dialogue {
    /// HELO/EHLO name, once given.
    pub helo: Option<String>,
    /// The client greeted with EHLO (the trace header says ESMTP).
    pub esmtp: bool,
    pub auth: Option<Authed>,
    pub tx: Option<Transaction>,
    /// Chunks received by BDAT for the transaction in progress.
    pub chunks: Option<ChunkReader>,
    /// The BDAT body's hold on the door's memory, while chunks arrive.
    pub chunks_hold: Option<BodyHold>,
    /// Unknown recipients so far (`smtp_in.max_bad_recipients`).
    pub bad_rcpts: u64,
    /// Messages accepted so far in this session.
    pub messages: u32,
}

impl Dialogue {
    /// Forget the transaction in progress (RSET, EHLO, STARTTLS, end of message).
    pub fn reset_transaction(&mut self) {
        self.tx = None;
        self.chunks = None;
        self.chunks_hold = None;
    }

    /// Largest message this client may send: the PROTO-5 server limit, and for
    /// authenticated users also their domain's limit (DOM-4). Each local recipient's domain
    /// limit is added at RCPT.
    pub fn max_message_size(&self, svc: &SmtpService) -> SizeLimit {
        let mut limit = SizeLimit::default();
        limit.tighten(
            svc.settings.get(defs::SMTP_MAX_MESSAGE_MB) * 1024 * 1024,
            "this server",
        );
        if let Some(a) = &self.auth {
            limit.tighten(
                a.domain.limits.max_message_kb * 1024,
                format!("domain {}", a.domain.name),
            );
        }
        limit
    }

    /// A new id for the next accepted message: the session id and a counter.
    pub fn next_message_id(&mut self, info: &SessionInfo) -> String {
        self.messages += 1;
        format!("{}.{}", info.id, self.messages)
    }
}
