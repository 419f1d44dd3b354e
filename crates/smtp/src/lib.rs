//! Inbound SMTP and submission (PROTO-5, PROTO-8, DOM-2, DOM-4, DOM-10, SEC-3, SEC-4, SEC-6): the
//! ESMTP session, relay policy, AUTH, limits, greylisting, and the hand-off of accepted mail to
//! local mailboxes or the spool.
//!
//! Invariants: nothing is relayed without the relay policy's consent ([`policy`]); a 250
//! after DATA/BDAT means every local copy and the spool entry are on disk; a message over
//! the size limit is never buffered past the limit; the wire format lives in `proto-smtp`
//! and each command's behaviour in its own file under [`cmd`].

mod archive;
pub mod cmd;
mod deliver;
mod dmarc_record;
mod envelope;
pub mod filtering;
mod greylist;
mod hold;
mod notice;
pub mod parts;
pub mod policy;
mod routed;
mod session;
mod spammer;
mod throttle;

use async_trait::async_trait;
use heron_directory::Directory;
use heron_net::{Conn, Refusal, Service};
use heron_proto_smtp::reply;
use heron_settings::{Settings, defs, services};
use std::sync::Arc;

/// Fuzzing entry point (`crates/smtp/fuzz`), not part of the API: RFC 8601 §5 removal of
/// this server's Authentication-Results fields from a received message, as SMTP-in runs it
/// (`heron_message::authres`).
#[doc(hidden)]
pub use heron_message::authres::strip_own as strip_own_auth_results;

/// Which door the service guards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Port 25: mail from other servers; relaying only as the policy allows.
    Mx,
    /// Ports 587/465: clients must authenticate to send anything (PROTO-5 submission).
    Submission,
}

/// The SMTP service for one mode.
pub struct SmtpService {
    dir: Directory,
    settings: Arc<Settings>,
    mode: Mode,
    /// DNS for the backup-MX check (ROUTE-2); without it only forwarded domains are taken.
    dns: Option<Arc<heron_mailauth::SharedDns>>,
    /// Domains whose administrators were already told they are over their disk limit.
    warned: std::sync::Mutex<std::collections::HashSet<i64>>,
    /// Memory held by the message bodies this door's sessions are receiving.
    bodies: Arc<heron_net::budget::MemoryBudget>,
    /// Spam and virus checks (FILTER-1..6); without it only DKIM is verified.
    filter: Option<Arc<heron_filter::Filter>>,
    /// The DKIM keys (parsed, cached) that seal forwarded mail with ARC.
    signers: Arc<heron_queue::signing::Signers>,
}

impl SmtpService {
    /// A service over a directory.
    pub fn new(dir: Directory, mode: Mode) -> Self {
        let settings = dir.settings().clone();
        Self {
            dir,
            settings,
            mode,
            dns: None,
            warned: Default::default(),
            bodies: Default::default(),
            filter: None,
            signers: Arc::default(),
        }
    }

    /// Seal forwarded mail with the keys `signers` holds (the queue's, so both share a cache).
    pub fn with_signers(mut self, signers: Arc<heron_queue::signing::Signers>) -> Self {
        self.signers = signers;
        self
    }

    /// Check arriving mail with `filter` (shared by the server's SMTP doors).
    pub fn with_filter(mut self, filter: Arc<heron_filter::Filter>) -> Self {
        self.filter = Some(filter);
        self
    }

    /// Use `dns` to recognise domains this server is a backup MX for.
    pub fn with_dns(mut self, dns: Arc<heron_mailauth::SharedDns>) -> Self {
        self.dns = Some(dns);
        self
    }
}

#[async_trait]
impl Service for SmtpService {
    fn enabled(&self) -> bool {
        self.settings.runs(&services::SMTP)
    }

    fn max_connections(&self) -> u64 {
        match self.mode {
            Mode::Mx => self.settings.get(defs::SMTP_MAX_CONNECTIONS),
            Mode::Submission => self.settings.get(defs::SUBMISSION_MAX_CONNECTIONS),
        }
    }

    fn max_connections_per_ip(&self) -> u64 {
        match self.mode {
            Mode::Mx => self.settings.get(defs::SMTP_MAX_CONNECTIONS_PER_IP),
            Mode::Submission => self.settings.get(defs::SUBMISSION_MAX_CONNECTIONS_PER_IP),
        }
    }

    fn refusal(&self, why: Refusal) -> Vec<u8> {
        match why {
            Refusal::Blacklisted => reply::SERVICE_UNAVAILABLE
                .with_text("Access from your address is not allowed")
                .to_bytes(),
            Refusal::TooManyConnections => reply::TOO_MANY_CONNECTIONS.to_bytes(),
            Refusal::TooManyFromIp => reply::TOO_MANY_CONNECTIONS
                .with_text("Too many connections from your address, try again later")
                .to_bytes(),
        }
    }

    async fn serve(&self, conn: Conn) {
        session::run(self, conn).await;
    }
}
