//! Releasing expunged messages once their hold is over ([`crate::EXPUNGED_HOLD_SECS`]).
//!
//! Invariant: a running server releases due held messages every [`RELEASE_EVERY`], so an
//! expunged message's bytes are deleted at most that long after its hold ends. Several
//! nodes may release at once; each held row is released once.

use std::sync::Arc;
use std::time::Duration;

use crate::rules::now;
use crate::traits::Store;

/// How often a running server releases held messages whose time is up.
pub const RELEASE_EVERY: Duration = Duration::from_secs(60);

/// Release due held messages now, then every `every`, until the task is aborted.
pub fn start_releaser(store: Arc<dyn Store>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match store.release_held(now()).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(target: "events", "released {n} expunged messages"),
                Err(e) => {
                    tracing::warn!(target: "events", "releasing expunged messages failed: {e}")
                }
            }
        }
    })
}
