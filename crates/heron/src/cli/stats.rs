//! Writing this node's statistics (OPS-3, [`heron_store::stats`]): the recorder's counts go
//! to the store every `stats.flush_interval` seconds as one batch, and old rows are pruned
//! hourly per `stats.retention_months`. [`final_flush`] writes what is left at a clean stop.
//!
//! Invariants: the next flush is due one interval after the last one, by the interval set
//! now (a change of the setting applies at once); a failed write keeps the counts in memory
//! for the next round (logged, never fatal).

use std::sync::Arc;
use std::time::Duration;

use heron_settings::{Settings, defs};
use heron_store::Store;
use heron_store::stats::{self, recorder};
use tokio_util::sync::CancellationToken;

/// How often old rows are removed.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Flush on the setting's interval and prune hourly, until `stop`.
pub fn spawn(
    store: Arc<dyn Store>,
    settings: Arc<Settings>,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut prune = tokio::time::interval(PRUNE_EVERY);
        prune.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut changes = settings.watch();
        let mut last = tokio::time::Instant::now();
        loop {
            let every = settings
                .get(defs::STATS_FLUSH_INTERVAL)
                .max(Duration::from_secs(1));
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep_until(last + every) => {
                    flush(store.as_ref()).await;
                    last = tokio::time::Instant::now();
                }
                // A setting changed: the next flush is due by the new interval. (The sender
                // lives in `settings`, held here, so this never ends.)
                _ = changes.changed() => {}
                _ = prune.tick() => {
                    let months = settings.get(defs::STATS_RETENTION_MONTHS);
                    match stats::prune(store.as_ref(), heron_store::rules::now(), months).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(target: "events", "statistics: {n} old rows removed"),
                        Err(e) => tracing::warn!(target: "events", "cannot prune the statistics: {e}"),
                    }
                }
            }
        }
    })
}

async fn flush(store: &dyn Store) {
    if let Err(e) = stats::flush(store, recorder()).await {
        tracing::warn!(target: "events", "cannot write the statistics (kept for the next round): {e}");
    }
}

/// Write the counts still in memory, after the sessions and the spool have stopped.
pub async fn final_flush(store: &dyn Store) {
    flush(store).await;
}
