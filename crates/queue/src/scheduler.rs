//! The spool's main loop (SPOOL-2/3, OPS-1): lease due entries, highest priority first, as
//! delivery workers free up; run each entry's attempt; write the outcome back. Wakes on spool
//! and settings changes and when the next entry falls due.
//!
//! Invariants: at most `smtp_out.delivery_workers` entries are in flight; with
//! `spool.enabled` off, or the spool stopped on this node, nothing new starts here (running
//! deliveries finish); leases left from a previous run are released at start and those
//! deliveries retried, logged as possible duplicates; at shutdown running deliveries get a
//! grace period, then their leases are released for the next start.

use std::sync::Arc;
use std::time::Duration;

use heron_settings::routes::parse_retry_schedule;
use heron_settings::{defs, services};
use heron_store::{Event, SpoolEntry};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::Queue;
use crate::dsn::Action;
use crate::hook::{self, Verdict};
use crate::identity::domain_outbound;
use crate::route::domain_of;
use crate::schedule::{self, Policy};
use crate::{attempt, notify};

/// How long a lease lasts; far beyond any attempt, which is bounded by command timeouts.
const LEASE_SECS: i64 = 3600;
/// Longest sleep between looks at the spool when nothing wakes the loop.
const IDLE: Duration = Duration::from_secs(30);

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Queue {
    /// Run the scheduler until `stop` is cancelled; running deliveries then get `grace`.
    pub async fn run(self: Arc<Self>, stop: CancellationToken, grace: Duration) {
        let store = self.dir.store().clone();
        match store.spool_release(now()).await {
            Ok(ids) => {
                for id in ids {
                    tracing::warn!(target: "delivery", "#{id}: delivery was interrupted by a stop; retrying (the remote may already have accepted it, so a duplicate is possible)");
                }
            }
            Err(e) => {
                tracing::error!(target: "delivery", "cannot release interrupted deliveries: {e}")
            }
        }
        let mut events = store.subscribe();
        let mut watch = self.settings.watch();
        let mut tasks: JoinSet<i64> = JoinSet::new();
        let mut in_flight: Vec<i64> = Vec::new();
        'run: loop {
            let mut wait = self.fill(&mut tasks, &mut in_flight).await;
            self.pool.expire(false);
            if self.pool.has_idle() {
                wait = wait.min(crate::pool::IDLE_FOR);
            }
            let until = tokio::time::Instant::now() + wait;
            // Wait for something that may make an entry due; other events (every mailbox
            // change raises one) are passed over without reading the spool again.
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break 'run,
                    Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                        match done {
                            Ok(id) => in_flight.retain(|x| *x != id),
                            Err(e) => tracing::error!(target: "delivery", "a delivery task failed: {e}"),
                        }
                        break;
                    }
                    ev = events.next() => match ev {
                        Some(Event::Spool | Event::Setting { .. }) => break,
                        Some(Event::Directory | Event::Resync) => {
                            self.forget();
                            break;
                        }
                        Some(_) => {}
                        None => break 'run,
                    },
                    _ = watch.changed() => break,
                    _ = tokio::time::sleep_until(until) => break,
                }
            }
        }
        self.drain(tasks, in_flight, grace).await;
        self.pool.expire(true);
    }

    /// Start deliveries for due entries while workers are free; how long to sleep after.
    async fn fill(
        self: &Arc<Self>,
        tasks: &mut JoinSet<i64>,
        in_flight: &mut Vec<i64>,
    ) -> Duration {
        if !self.settings.runs(&services::SPOOL) {
            return IDLE;
        }
        let store = self.dir.store();
        let workers = self.settings.get(defs::SMTP_OUT_DELIVERY_WORKERS).max(1) as usize;
        // Lease in batches of an eighth of the workers, so a busy spool costs one lease
        // write per batch rather than one per message.
        if workers - tasks.len().min(workers) < workers.div_ceil(8) {
            return IDLE;
        }
        let t = now();
        match store
            .spool_lease(t, t + LEASE_SECS, workers - tasks.len())
            .await
        {
            Ok(due) => {
                for e in due {
                    in_flight.push(e.id);
                    let q = self.clone();
                    tasks.spawn(async move {
                        let id = e.id;
                        q.deliver(e).await;
                        id
                    });
                }
            }
            Err(e) => {
                tracing::error!(target: "delivery", "cannot read the spool: {e}");
                return Duration::from_secs(5);
            }
        }
        if tasks.len() >= workers {
            return IDLE;
        }
        match store.spool_next_due().await {
            Ok(Some(due)) => {
                Duration::from_secs((due - now()).clamp(0, IDLE.as_secs() as i64) as u64)
                    .max(Duration::from_millis(50))
            }
            _ => IDLE,
        }
    }

    /// Give running deliveries `grace`, then stop them and release their leases.
    async fn drain(&self, mut tasks: JoinSet<i64>, mut in_flight: Vec<i64>, grace: Duration) {
        let deadline = tokio::time::sleep(grace);
        tokio::pin!(deadline);
        while !tasks.is_empty() {
            tokio::select! {
                Some(Ok(id)) = tasks.join_next() => in_flight.retain(|x| *x != id),
                _ = &mut deadline => break,
            }
        }
        tasks.abort_all();
        if !in_flight.is_empty() {
            tracing::warn!(target: "delivery", "stopping with {} deliveries unfinished; they are retried at the next start", in_flight.len());
            // This node's own leases; on a shared database, never another node's.
            if let Err(e) = self.dir.store().spool_release(now()).await {
                tracing::error!(target: "delivery", "cannot release unfinished deliveries: {e}");
            }
        }
    }

    fn policy(&self) -> Policy {
        let s = &self.settings;
        Policy {
            retries: parse_retry_schedule(&s.get(defs::SPOOL_RETRY_SCHEDULE).join(","))
                .unwrap_or_default(),
            dns_attempts: s.get(defs::SPOOL_DNS_ERROR_ATTEMPTS).max(1) as u32,
            second_priority: s.get(defs::PRIORITY_SECOND_ATTEMPT).clamp(1, 10) as u8,
            third_priority: s.get(defs::PRIORITY_THIRD_ATTEMPT).clamp(1, 10) as u8,
        }
    }

    /// One attempt of one leased entry, its outcome written back.
    async fn deliver(self: Arc<Self>, e: SpoolEntry) {
        let store = self.dir.store().clone();
        if let Some((secs, why)) = crate::held::hold(&self, &e.sender, now()).await {
            tracing::info!(target: "delivery", "#{} held for {secs} s: {why}", e.id);
            return self.put_back(&e, secs).await;
        }
        let message = match store.spool_read(&e).await {
            Ok(m) => m,
            Err(err) => {
                tracing::error!(target: "delivery", "#{}: cannot read the message: {err}", e.id);
                return self.put_back(&e, 300).await;
            }
        };
        if e.attempts == 0 && !self.run_hook(&e, &message).await {
            return;
        }
        let sender_domain = domain_of(&e.sender);
        let bind_ip = self.domain_ip(&sender_domain).await;
        let out = domain_outbound(&self.settings, &sender_domain, bind_ip.as_deref());
        let signed = match self.signers.sign(store.as_ref(), &e.sender, &message).await {
            Some(header) => [header.as_bytes(), &message].concat(),
            None => message.clone(),
        };
        let results = attempt::run(&self, &e, &signed, &out).await;
        let t = now();
        let policy = self.policy();
        let applied = schedule::apply(&e, &results, t, &policy);
        let rcpts = &applied.attempt.recipients;
        for (i, _) in &results {
            if let Some(r) = rcpts.get(*i) {
                tracing::info!(target: "delivery", "#{} <{}> to <{}>: {} ({})", e.id, e.sender, r.address, r.status, r.last_reply.as_deref().unwrap_or(""));
            }
        }
        let m = heron_metrics::metrics();
        let age = (t - e.created_at) as f64;
        applied
            .delivered
            .iter()
            .for_each(|_| m.delivery("delivered", Some(age)));
        applied
            .failed
            .iter()
            .for_each(|_| m.delivery("failed", None));
        applied
            .delayed
            .iter()
            .for_each(|_| m.delivery("deferred", None));
        // OPS-3: each remote recipient reached, at the (hosted) sender.
        crate::stats::count_for_sender(
            &self.dir,
            &e.sender,
            heron_store::stats::Event::Sent(signed.len() as u64),
            applied.delivered.len(),
        )
        .await;
        let wants = |i: &usize, what| rcpts.get(*i).is_some_and(|r| schedule::wants(r, what));
        let failed: Vec<usize> = applied
            .failed
            .iter()
            .copied()
            .filter(|i| wants(i, "FAILURE"))
            .collect();
        let ok: Vec<usize> = applied
            .delivered
            .iter()
            .copied()
            .filter(|i| wants(i, "SUCCESS"))
            .collect();
        let until = policy
            .retries
            .iter()
            .skip(applied.attempt.attempts as usize)
            .fold(applied.attempt.next_attempt_at, |t, d| {
                t + d.as_secs() as i64
            });
        notify::report(&self, &e, rcpts, &failed, Action::Failed, &message, None).await;
        notify::report(
            &self,
            &e,
            rcpts,
            &applied.delayed,
            Action::Delayed,
            &message,
            Some(until),
        )
        .await;
        notify::report(&self, &e, rcpts, &ok, Action::Delivered, &message, None).await;
        if let Err(err) = store.spool_finish(e.id, applied.attempt).await {
            tracing::error!(target: "delivery", "#{}: cannot record the attempt: {err}", e.id);
        }
    }

    /// The IP a hosted sender domain is bound to (BIND-4), cached like DKIM keys.
    async fn domain_ip(&self, domain: &str) -> Option<String> {
        if domain.is_empty() {
            return None;
        }
        if let Some(ip) = self.domain_ips.get(domain) {
            return ip;
        }
        let ip = match self.dir.find_domain(domain).await {
            Ok(d) => d.and_then(|d| d.bind_ip),
            Err(e) => {
                tracing::warn!(target: "delivery", "looking up {domain} failed: {e}");
                return None;
            }
        };
        self.domain_ips.put(domain, ip.clone());
        ip
    }

    /// Drop cached directory facts (DKIM keys, domain IPs) after a directory change.
    fn forget(&self) {
        self.signers.clear();
        self.domain_ips.clear();
    }

    /// SPOOL-6: run the new-mail program; false when the message was dropped (or put back).
    async fn run_hook(&self, e: &SpoolEntry, message: &[u8]) -> bool {
        let command = self.settings.get(defs::SPOOL_COMMAND);
        if command.trim().is_empty() {
            return true;
        }
        let timeout = self.settings.get(defs::SPOOL_COMMAND_TIMEOUT);
        match hook::run(&command, timeout, &self.work_dir, e.id, message).await {
            Ok(Verdict::Deliver) => true,
            Ok(Verdict::Drop) => {
                tracing::info!(target: "delivery", "#{}: the new-mail program removed the message; not delivered", e.id);
                if let Err(err) = self.dir.store().spool_delete(e.id).await {
                    tracing::error!(target: "delivery", "#{}: cannot remove it: {err}", e.id);
                }
                false
            }
            Err(err) => {
                tracing::warn!(target: "delivery", "#{}: new-mail program could not run: {err}; delivering anyway", e.id);
                true
            }
        }
    }

    /// Release an entry untouched, due again in `secs`.
    async fn put_back(&self, e: &SpoolEntry, secs: i64) {
        let a = heron_store::SpoolAttempt {
            recipients: e.recipients.clone(),
            attempts: e.attempts,
            next_attempt_at: now() + secs,
            priority: e.priority,
            last_attempt_at: e.last_attempt_at.unwrap_or(0),
        };
        if let Err(err) = self.dir.store().spool_finish(e.id, a).await {
            tracing::error!(target: "delivery", "#{}: cannot put it back: {err}", e.id);
        }
    }
}
