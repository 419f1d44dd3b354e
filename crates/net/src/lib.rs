//! Listeners and connections shared by every protocol: binding the ports of the settings
//! (BIND-1/2) and re-binding when they change, TLS (implicit and STARTTLS, BIND-2/SEC-8),
//! banners (PROTO-1), per-protocol connection limits, SEC-1 IP black/white lists checked at
//! accept, the registry of live sessions, and graceful shutdown.
//!
//! A protocol plugs in as a [`Service`]; it receives a [`Conn`] and runs the session. It never
//! binds sockets or checks IP lists itself.

mod alternate;
pub mod any_cert;
pub mod banner;
pub mod budget;
pub mod certinfo;
pub mod challenge;
pub mod client;
pub mod command_loop;
pub mod deflate;
pub mod flood;
pub mod line;
mod listener;
mod refuse;
pub mod registry;
pub mod stream;
pub mod tls;
pub mod tls_policy;
pub mod tls_upload;
pub mod watch;
pub mod webpki_client;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use async_trait::async_trait;
use heron_settings::values::{Encryption, Protocol};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

pub use alternate::AlternatePort;
pub use client::{Client, Deadlines, Flow};
pub use listener::Server;
pub use registry::{Registry, SessionInfo};
pub use stream::SessionStream;

/// Failures of the networking layer.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("cannot listen on {addr} for {protocol}: {reason}")]
    Bind {
        addr: SocketAddr,
        protocol: &'static str,
        reason: String,
    },
    #[error("TLS: {0}")]
    Tls(String),
    #[error("settings: {0}")]
    Settings(String),
}

/// Why a connection is refused before its session starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The client's IP is blacklisted for this protocol (SEC-1).
    Blacklisted,
    /// The protocol's max connections are reached.
    TooManyConnections,
    /// The client's IP has as many sessions of this protocol as one IP may have.
    TooManyFromIp,
}

/// A protocol's session logic.
#[async_trait]
pub trait Service: Send + Sync + 'static {
    /// Whether the service accepts new connections now (OPS-1 start/stop).
    fn enabled(&self) -> bool;
    /// Max concurrent sessions; 0 = unlimited.
    fn max_connections(&self) -> u64;
    /// Max concurrent sessions from one IP; 0 = unlimited.
    fn max_connections_per_ip(&self) -> u64;
    /// The line sent before closing a refused plain-text connection.
    fn refusal(&self, why: Refusal) -> Vec<u8>;
    /// Run one session to its end.
    async fn serve(&self, conn: Conn);
}

/// One accepted connection handed to a service.
pub struct Conn {
    pub stream: SessionStream,
    pub info: Arc<SessionInfo>,
    /// The listener's encryption mode.
    pub encryption: Encryption,
    /// Present when the listener offers STARTTLS.
    pub starttls: Option<TlsAcceptor>,
    /// Host name for banners and replies (BIND-3).
    pub hostname: String,
}

impl Conn {
    /// The client's IP.
    pub fn peer_ip(&self) -> IpAddr {
        heron_settings::values::canonical(self.info.peer.ip())
    }
    /// Whether the client connects from this machine.
    pub fn is_loopback(&self) -> bool {
        self.peer_ip().is_loopback()
    }
    /// Cancelled when the session must end (shutdown or an administrator's action).
    pub fn cancelled(&self) -> &CancellationToken {
        &self.info.cancel
    }
}

/// This machine's host name, for when settings name none.
pub fn system_hostname() -> String {
    gethostname::gethostname()
        .into_string()
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// Every IP address assigned to this machine's interfaces (loopback included).
pub fn host_addresses() -> Vec<IpAddr> {
    match if_addrs::get_if_addrs() {
        Ok(list) => list
            .into_iter()
            .map(|i| heron_settings::values::canonical(i.ip()))
            .collect(),
        Err(e) => {
            tracing::warn!(target: "events", "cannot list this machine's addresses: {e}");
            vec![
                IpAddr::from([127, 0, 0, 1]),
                IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
            ]
        }
    }
}

/// Protocols by log target name.
pub fn log_target(p: Protocol) -> &'static str {
    match p.service() {
        Protocol::Smtp | Protocol::Submission => "smtp",
        Protocol::Pop3 => "pop3",
        Protocol::Imap => "imap",
        Protocol::Ldap => "ldap",
        Protocol::Xmpp => "xmpp",
    }
}
