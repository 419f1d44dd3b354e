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
pub mod dkim;
pub mod dns;
pub mod dsn;
pub mod hook;
pub mod identity;
pub mod notify;
pub mod pool;
pub mod route;
pub mod schedule;
pub mod scheduler;
pub mod signing;

use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};

use heron_directory::Directory;
use heron_settings::values::parse_dns_servers;
use heron_settings::{Settings, defs};

pub use dns::Dns;

/// The spool service: shared state of the scheduler and its deliveries.
pub struct Queue {
    pub dir: Directory,
    pub settings: Arc<Settings>,
    /// Where the new-mail program's files go (SPOOL-6).
    pub work_dir: PathBuf,
    /// Round-robin position among gateways (ROUTE-3).
    pub turn: AtomicUsize,
    resolver: Arc<SharedDns>,
    signers: signing::Signers,
    /// Sender domains' bound IPs (BIND-4), with when they were looked up.
    domain_ips: cache::TtlCache<Option<String>>,
    /// Idle outbound sessions for reuse.
    pub pool: pool::Pool,
}

impl Queue {
    /// A queue over the directory's store; `work_dir` holds temporary files.
    pub fn new(dir: Directory, work_dir: PathBuf) -> Arc<Self> {
        let settings = dir.settings().clone();
        Arc::new(Self {
            resolver: Arc::new(SharedDns::new(settings.clone())),
            dir,
            settings,
            work_dir,
            turn: AtomicUsize::new(0),
            signers: signing::Signers::default(),
            domain_ips: cache::TtlCache::default(),
            pool: pool::Pool::default(),
        })
    }

    /// The resolver for the current `dns.servers` and `smtp_out.dns_cache` settings.
    pub fn dns(&self) -> Result<Arc<Dns>, dns::DnsError> {
        self.resolver.get()
    }

    /// The resolver handle, for other services that look names up (SMTP-in's backup-MX check).
    pub fn shared_dns(&self) -> Arc<SharedDns> {
        self.resolver.clone()
    }
}

/// One resolver, rebuilt when the DNS settings change.
pub struct SharedDns {
    settings: Arc<Settings>,
    current: Mutex<Option<(String, Arc<Dns>)>>,
}

impl SharedDns {
    /// A resolver following `settings`.
    pub fn new(settings: Arc<Settings>) -> Self {
        Self {
            settings,
            current: Mutex::new(None),
        }
    }

    /// The resolver for the settings as they are now.
    pub fn get(&self) -> Result<Arc<Dns>, dns::DnsError> {
        let servers = self.settings.get(defs::DNS_SERVERS).join(",");
        let cache = self.settings.get(defs::SMTP_OUT_DNS_CACHE);
        let key = format!("{servers}|{cache}");
        let mut cur = self
            .current
            .lock()
            .map_err(|_| dns::DnsError::Temporary("resolver lock poisoned".into()))?;
        if let Some((k, d)) = cur.as_ref()
            && *k == key
        {
            return Ok(d.clone());
        }
        let list: Vec<String> = parse_dns_servers(&servers)
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect();
        let d = Arc::new(Dns::new(&list, cache)?);
        *cur = Some((key, d.clone()));
        Ok(d)
    }
}
