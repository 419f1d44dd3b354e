//! The outbound spool: a scheduler that takes due spool entries, routes each recipient
//! (gateway, domain forwarding, MX), delivers them over SMTP, records per-recipient results,
//! retries on schedule and sends delivery status notifications.
//!
//! Invariants: an entry leaves the spool only when every recipient is delivered or failed
//! (and the sender told, when asked) or an administrator deletes it; a delivery in flight
//! when the process dies is retried after restart (at-least-once: the remote may then get
//! a second copy, and the log says so).

pub mod attempt;
pub mod cache;
pub mod client;
pub mod dmarc;
pub mod dsn;
pub mod held;
pub mod hook;
pub mod identity;
pub mod notify;
pub mod pool;
pub mod route;
pub mod schedule;
pub mod scheduler;
pub mod signing;
pub mod stats;
pub mod tls_policy;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use heron_directory::Directory;
use heron_mailauth::DnsConfig;
use heron_settings::values::parse_dns_servers;
use heron_settings::{Settings, defs};

pub use heron_mailauth::{Dns, SharedDns};

/// The spool service: shared state of the scheduler and its deliveries.
pub struct Queue {
    pub dir: Directory,
    pub settings: Arc<Settings>,
    /// Where the new-mail program's files go (SPOOL-6).
    pub work_dir: PathBuf,
    /// Round-robin position among gateways (ROUTE-3).
    pub turn: AtomicUsize,
    resolver: Arc<SharedDns>,
    signers: Arc<signing::Signers>,
    /// Sender domains' bound IPs (BIND-4), with when they were looked up.
    domain_ips: cache::TtlCache<Option<String>>,
    /// Idle outbound sessions for reuse.
    pub pool: pool::Pool,
    /// Outbound TLS policy state: verifying configurations, cached MTA-STS policies.
    pub tls: tls_policy::TlsPolicies,
}

impl Queue {
    /// A queue over the directory's store; `work_dir` holds temporary files.
    pub fn new(dir: Directory, work_dir: PathBuf) -> Arc<Self> {
        let settings = dir.settings().clone();
        Arc::new(Self {
            resolver: Arc::new(shared_dns(settings.clone())),
            dir,
            settings,
            work_dir,
            turn: AtomicUsize::new(0),
            signers: Arc::default(),
            domain_ips: cache::TtlCache::default(),
            pool: pool::Pool::default(),
            tls: tls_policy::TlsPolicies::default(),
        })
    }

    /// The resolver for the current `dns.servers` and `smtp_out.dns_cache` settings.
    pub fn dns(&self) -> Result<Arc<Dns>, heron_mailauth::dns::DnsError> {
        self.resolver.get()
    }

    /// The resolver handle, for other services that look names up (SMTP-in's backup-MX check).
    pub fn shared_dns(&self) -> Arc<SharedDns> {
        self.resolver.clone()
    }

    /// The parsed DKIM keys by domain, cached and cleared as the directory changes (the SMTP
    /// service seals forwarded mail with them).
    pub fn signers(&self) -> Arc<signing::Signers> {
        self.signers.clone()
    }
}

/// The process's resolver, following the `dns.servers` and `smtp_out.dns_cache` settings.
fn shared_dns(settings: Arc<Settings>) -> SharedDns {
    SharedDns::new(move || DnsConfig {
        servers: parse_dns_servers(&settings.get(defs::DNS_SERVERS).join(","))
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect(),
        cache: settings.get(defs::SMTP_OUT_DNS_CACHE),
    })
}
