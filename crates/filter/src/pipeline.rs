//! The [`Filter`]: runs every enabled check of one message concurrently, each within the
//! check deadline, and merges what they found into one [`Verdict`].
//!
//! Invariants: at most `smtp_out.spam_check_workers` messages are being checked at once (a
//! message waits for a slot, within its SMTP session's own deadline); a check that runs out of
//! time adds no weight and is named in the verdict; mail sent by this server's users
//! ([`Envelope::outgoing`]) gets only the content checks, since SPF, reverse DNS and DNSBL
//! judge the connecting server.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use heron_mailauth::{Dns, SharedDns};
use heron_settings::{Settings, defs};
use heron_store::Store;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::verdict::Verdict;
use crate::{bayes, clamd, scanner, spamd};

/// Who sent a message and how it came in.
#[derive(Clone, Debug)]
pub struct Envelope<'a> {
    /// The connecting IP.
    pub ip: IpAddr,
    /// The name the client gave in EHLO/HELO (empty if none).
    pub helo: &'a str,
    /// The reverse path (empty for the null sender).
    pub sender: &'a str,
    /// This server's name, for the Authentication-Results header.
    pub hostname: &'a str,
    /// Mail from an authenticated user of this server, on its way out: only the content
    /// checks run, and the outgoing threshold applies (FILTER-4).
    pub outgoing: bool,
    /// The key of the hosted domain that passes the message on to other servers (a
    /// forward): the authentication results are then sealed with ARC (RFC 8617).
    pub seal: Option<Arc<heron_mailauth::dkim::Signer>>,
}

/// What every check is given.
pub struct Ctx<'a> {
    pub env: &'a Envelope<'a>,
    /// The IP the IP-based checks judge: the connecting one, or the originating one for mail
    /// relayed by a bypass gateway (FILTER-5).
    pub ip: IpAddr,
    /// The message as received (header and body, CRLF line ends).
    pub message: &'a [u8],
    pub settings: &'a Settings,
    /// The resolver, when the server has one.
    pub dns: Option<Arc<Dns>>,
    pub store: &'a Arc<dyn Store>,
}

/// The spam and virus checks of one server.
pub struct Filter {
    settings: Arc<Settings>,
    store: Arc<dyn Store>,
    dns: Option<Arc<SharedDns>>,
    /// One permit per message being checked.
    slots: Semaphore,
    /// How many permits `slots` was given, to follow `smtp_out.spam_check_workers`.
    size: Mutex<usize>,
    /// Consecutive failures of clamd (FILTER-6).
    clamd: crate::clamd::Breaker,
}

impl Filter {
    /// A filter reading `settings`, keeping learned state in `store`.
    pub fn new(settings: Arc<Settings>, store: Arc<dyn Store>) -> Self {
        Self {
            settings,
            store,
            dns: None,
            slots: Semaphore::new(0),
            size: Mutex::new(0),
            clamd: crate::clamd::Breaker::default(),
        }
    }

    /// Resolve names with `dns` (without it, the DNS-based checks are skipped).
    pub fn with_dns(mut self, dns: Arc<SharedDns>) -> Self {
        self.dns = Some(dns);
        self
    }

    /// The settings the filter reads.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Run the checks of `message` and say what they found.
    pub async fn evaluate(&self, env: &Envelope<'_>, message: &[u8]) -> Verdict {
        let Some(_slot) = self.slot().await else {
            let mut v = Verdict::default();
            v.unanswered("filter", "closed");
            return v;
        };
        let settings = &*self.settings;
        let ip = if env.outgoing {
            env.ip
        } else {
            crate::gateway::judged_ip(env.ip, message, &settings.get(defs::FILTER_BYPASS_GATEWAYS))
        };
        let ctx = Ctx {
            env,
            ip,
            message,
            settings,
            dns: self.dns.as_ref().and_then(|d| d.get().ok()),
            store: &self.store,
        };
        let limit = settings
            .get(defs::FILTER_CHECK_TIMEOUT)
            .max(Duration::from_secs(1));
        // The checks of the connecting server (not for outgoing mail) and the content checks
        // (for both) all run at once.
        let server_checks = async {
            if env.outgoing {
                return [Verdict::default(), Verdict::default()];
            }
            let (auth, rbl) = futures::join!(
                within("authentication", limit, crate::auth::check(&ctx)),
                within("rbl", limit, crate::dnsbl::check_ip(&ctx)),
            );
            [auth, rbl]
        };
        let content_checks = async {
            let (uribl, spam, clam, command, realtime, learned) = futures::join!(
                within("uribl", limit, crate::dnsbl::check_domains(&ctx)),
                within(spamd::NAME, limit, spamd::check(&ctx)),
                within(clamd::NAME, limit, clamd::check(&ctx, &self.clamd)),
                within(scanner::NAME, limit, scanner::check(&ctx)),
                within(crate::realtime::NAME, limit, crate::realtime::check(&ctx)),
                within(bayes::NAME, limit, bayes::check(&ctx)),
            );
            [uribl, spam, clam, command, realtime, learned]
        };
        let (server, content) = futures::join!(server_checks, content_checks);
        let mut verdict = Verdict::default();
        for found in server.into_iter().chain(content) {
            verdict.merge(found);
        }
        verdict.merge(crate::rules::check(&ctx));
        verdict
    }

    /// A slot among `smtp_out.spam_check_workers`, resized to the setting first.
    async fn slot(&self) -> Option<SemaphorePermit<'_>> {
        let want = usize::try_from(self.settings.get(defs::SPAM_CHECK_WORKERS))
            .unwrap_or(usize::MAX)
            .clamp(1, Semaphore::MAX_PERMITS);
        if let Ok(mut size) = self.size.lock()
            && *size != want
        {
            if want > *size {
                self.slots.add_permits(want - *size);
                *size = want;
            } else {
                // Only free permits can be taken back; the rest follow at the next message.
                *size -= self.slots.forget_permits(*size - want);
            }
        }
        self.slots.acquire().await.ok()
    }
}

/// `check`'s verdict, or one naming it as timed out after `limit`.
async fn within(
    name: &str,
    limit: Duration,
    check: impl std::future::Future<Output = Verdict>,
) -> Verdict {
    match tokio::time::timeout(limit, check).await {
        Ok(v) => v,
        Err(_) => {
            tracing::info!(target: "smtp", "spam check {name} timed out after {} s", limit.as_secs());
            let mut v = Verdict::default();
            v.unanswered(name, "timed out");
            v
        }
    }
}
