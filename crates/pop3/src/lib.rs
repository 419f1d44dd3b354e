//! The POP3 service (ACCESS-1, PROTO-2): RFC 1939 with CAPA (RFC 2449), STLS (RFC 2595),
//! SASL AUTH (RFC 5034), UIDL and TOP.
//!
//! Invariants: a maildrop is locked exclusively by one session per user (RFC 1939 §8); DELE
//! marks only, and messages are removed in the UPDATE state at QUIT, so a dropped connection
//! removes nothing; passwords are never accepted in clear text from a non-loopback client
//! unless `pop.allow_plaintext_auth` says so; the wire format lives in `proto-pop3`, and each
//! command's behaviour in its own file under [`cmd`].

mod auth;
pub mod cmd;
mod lock;
mod maildrop;
pub mod retrieval;
mod session;

use std::sync::Arc;

use async_trait::async_trait;
use heron_directory::Directory;
use heron_net::{Conn, Refusal, Service};
use heron_proto_pop3::{RespCode, err};
use heron_settings::{Settings, defs, services};

pub use lock::MailboxLocks;

/// The POP3 service plugged into the listeners.
pub struct Pop3Service {
    dir: Directory,
    settings: Arc<Settings>,
    locks: MailboxLocks,
}

impl Pop3Service {
    /// A service over a directory.
    pub fn new(dir: Directory) -> Self {
        let settings = dir.settings().clone();
        let locks = MailboxLocks::new(dir.store().clone());
        Self {
            dir,
            settings,
            locks,
        }
    }
}

#[async_trait]
impl Service for Pop3Service {
    fn enabled(&self) -> bool {
        self.settings.runs(&services::POP3)
    }

    fn max_connections(&self) -> u64 {
        self.settings.get(defs::POP_MAX_CONNECTIONS)
    }

    fn max_connections_per_ip(&self) -> u64 {
        self.settings.get(defs::POP_MAX_CONNECTIONS_PER_IP)
    }

    fn refusal(&self, why: Refusal) -> Vec<u8> {
        match why {
            Refusal::Blacklisted => err(
                Some(RespCode::SysPerm),
                "access from your address is not allowed",
            ),
            Refusal::TooManyConnections => err(
                Some(RespCode::SysTemp),
                "too many connections, try again later",
            ),
            Refusal::TooManyFromIp => err(
                Some(RespCode::SysTemp),
                "too many connections from your address, try again later",
            ),
        }
    }

    async fn serve(&self, conn: Conn) {
        session::run(self, conn).await;
    }
}
