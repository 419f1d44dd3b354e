//! POP retrieval (ACCESS-4): users' external POP3 accounts fetched into their mailboxes.
//! Every `pop_retrieval.interval` each node looks for accounts due (enabled, last run at
//! least an interval ago) and fetches them with at most `pop_retrieval.workers` at once;
//! [`Retrieval::fetch_now`] fetches one account at once (admin API, CLI). Accounts of users
//! whose domain has its POP-retrieval switch off (DOM-3) are not fetched either way.
//!
//! Invariants: one run at a time per account across the cluster (the store hold
//! `pop_retrieval:ID`, plus a per-process set since a node's own hold is re-entrant); every
//! run ends with the account's `last_run` and `last_error` recorded and a line on the
//! `pop-retrieval` log target; the password is never logged or returned (see [`seal`]).

pub mod accounts;
mod conn;
mod error;
pub mod fetch;
pub mod reply;
pub mod seal;
mod tls;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use heron_settings::{Settings, defs};
use heron_store::{PopAccount, PopAccountId, Store};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

pub use error::RetrievalError;
pub use fetch::{Bounds, Outcome};
pub use seal::SealKey;

/// The fetcher of POP-retrieval accounts.
#[derive(Clone)]
pub struct Retrieval {
    store: Arc<dyn Store>,
    settings: Arc<Settings>,
    running: Arc<Mutex<HashSet<PopAccountId>>>,
}

/// The store hold of an account.
pub fn hold_name(id: PopAccountId) -> String {
    format!("pop_retrieval:{id}")
}

/// Whether `a` is due at `now` with runs every `every` seconds.
pub fn due(a: &PopAccount, now: i64, every: i64) -> bool {
    a.enabled && now.saturating_sub(a.last_run) >= every
}

impl Retrieval {
    /// A fetcher over a store and settings.
    pub fn new(store: Arc<dyn Store>, settings: Arc<Settings>) -> Self {
        Self {
            store,
            settings,
            running: Arc::new(Mutex::new(HashSet::new())),
        }
    }

    fn bounds(&self) -> Bounds {
        Bounds {
            max_message: self
                .settings
                .get(defs::POP_RETRIEVAL_MAX_MESSAGE_MB)
                .saturating_mul(1 << 20),
            wait: self
                .settings
                .get(defs::POP_RETRIEVAL_TIMEOUT)
                .max(Duration::from_secs(1)),
            ca_file: self.settings.get(defs::POP_RETRIEVAL_TLS_CA_FILE),
        }
    }

    /// Fetch one account now; `Ok(None)` when it is being fetched elsewhere already. The
    /// outcome (or error) is recorded on the account and logged.
    pub async fn fetch_now(
        &self,
        id: PopAccountId,
    ) -> Result<Option<Result<Outcome, RetrievalError>>, RetrievalError> {
        let Some(a) = self.store.pop_account(id).await? else {
            return Err(RetrievalError::Invalid(format!(
                "no POP-retrieval account {id}"
            )));
        };
        if let Some(domain) = self.switched_off(a.user_id).await? {
            return Err(accounts::off(&domain));
        }
        let fresh = self
            .running
            .lock()
            .map(|mut r| r.insert(id))
            .unwrap_or(false);
        if !fresh {
            return Ok(None);
        }
        let r = self.run_held(&a).await;
        if let Ok(mut r) = self.running.lock() {
            r.remove(&id);
        }
        r
    }

    /// The name of `user`'s domain when its POP-retrieval switch is off.
    async fn switched_off(
        &self,
        user: heron_store::UserId,
    ) -> Result<Option<String>, RetrievalError> {
        let Some(u) = self.store.get_user_by_id(user).await? else {
            return Ok(None);
        };
        Ok(self
            .store
            .get_domain_by_id(u.domain_id)
            .await?
            .filter(|d| !d.pop_retrieval)
            .map(|d| d.name))
    }

    async fn run_held(
        &self,
        a: &PopAccount,
    ) -> Result<Option<Result<Outcome, RetrievalError>>, RetrievalError> {
        let hold = hold_name(a.id);
        if !self
            .store
            .hold_take(&hold, heron_store::rules::now())
            .await?
        {
            return Ok(None);
        }
        let r = self.run(a).await;
        if let Err(e) = self.store.hold_release(&hold).await {
            tracing::warn!(target: "pop-retrieval", "cannot give back the hold {hold}: {e}");
        }
        Ok(Some(r))
    }

    async fn run(&self, a: &PopAccount) -> Result<Outcome, RetrievalError> {
        let key = SealKey::load(self.store.as_ref()).await?;
        let started = std::time::Instant::now();
        let r = fetch::fetch_account(self.store.as_ref(), &key, a, self.bounds()).await;
        let error = match &r {
            Ok(o) => {
                tracing::info!(target: "pop-retrieval",
                    "account {} of user {} ({}@{}:{}): {} fetched, {} deleted, {} skipped in {} ms",
                    a.id, a.user_id, a.login, a.host, a.port, o.fetched, o.deleted, o.skipped,
                    started.elapsed().as_millis());
                String::new()
            }
            Err(e) => {
                tracing::warn!(target: "pop-retrieval",
                    "account {} of user {} ({}@{}:{}) failed: {e}",
                    a.id, a.user_id, a.login, a.host, a.port);
                e.to_string()
            }
        };
        self.store
            .pop_account_ran(a.id, heron_store::rules::now(), &error)
            .await?;
        r
    }

    /// Fetch every due account once, at most `pop_retrieval.workers` at a time; how many
    /// runs were made.
    pub async fn round(&self) -> Result<usize, RetrievalError> {
        if !self.settings.get(defs::POP_RETRIEVAL_ENABLED) {
            return Ok(0);
        }
        let every = i64::try_from(self.settings.get(defs::POP_RETRIEVAL_INTERVAL).as_secs())
            .unwrap_or(i64::MAX);
        let now = heron_store::rules::now();
        let workers = usize::try_from(self.settings.get(defs::POP_RETRIEVAL_WORKERS))
            .unwrap_or(1)
            .max(1);
        let permits = Arc::new(Semaphore::new(workers));
        let mut tasks = tokio::task::JoinSet::new();
        // DOM-3: one look at the domains; users are looked up only when a switch is off.
        let any_off = self
            .store
            .list_domains()
            .await?
            .iter()
            .any(|d| !d.pop_retrieval);
        for a in self.store.pop_accounts(None).await? {
            if !due(&a, now, every) || (any_off && self.switched_off(a.user_id).await?.is_some()) {
                continue;
            }
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let me = self.clone();
            tasks.spawn(async move {
                let r = me.fetch_now(a.id).await;
                drop(permit);
                matches!(r, Ok(Some(_)))
            });
        }
        let mut ran = 0;
        while let Some(r) = tasks.join_next().await {
            ran += usize::from(matches!(r, Ok(true)));
        }
        Ok(ran)
    }

    /// Run [`Self::round`] until `stop`, looking for due accounts every few seconds (at
    /// most every `pop_retrieval.interval`).
    pub fn start(&self, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                let every = me
                    .settings
                    .get(defs::POP_RETRIEVAL_INTERVAL)
                    .clamp(Duration::from_secs(1), Duration::from_secs(30));
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(every) => {}
                }
                if let Err(e) = me.round().await {
                    tracing::warn!(target: "pop-retrieval", "POP retrieval round failed: {e}");
                }
            }
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use heron_store::PopTls;

    #[test]
    fn due_accounts() {
        let mut a = PopAccount {
            id: 1,
            user_id: 1,
            host: "h".into(),
            port: 110,
            tls: PopTls::Starttls,
            verify_tls: true,
            login: "l".into(),
            password: Vec::new(),
            leave_on_server: true,
            folder: "INBOX".into(),
            enabled: true,
            last_run: 1000,
            last_error: String::new(),
        };
        assert!(!due(&a, 1599, 600));
        assert!(due(&a, 1600, 600));
        a.enabled = false;
        assert!(!due(&a, 5000, 600));
    }
}
