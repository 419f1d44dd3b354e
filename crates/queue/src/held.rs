//! Mail that waits in the queue because its sender may not send now: a hosted sender over a
//! sending limit of this window (DOM-7: the mark `heron_smtp`'s throttle leaves in the store
//! when it refuses a submission or a count goes past its limit), or an account whose sending
//! is suspended after a spam run (SEC-2). Such an entry is put back, its attempts unchanged,
//! until the window ends, or for the suspension's time left (re-checked every
//! [`RECHECK_SECS`], so a suspension lifted on the Blocks page frees the mail soon).
//!
//! Invariants: suspensions hold mail only while `security.spammer_suspend` is set (0 means
//! notify only, and lets mail of earlier suspensions go); with neither that nor throttling
//! on, nothing is read; only senders in hosted domains are checked, and never the null
//! sender; the marks and suspensions are read from the store, so every node holds the same
//! mail; a store failure lets the mail go (a hold is a brake, not a gate).

use heron_settings::defs;
use heron_store::rules::throttle::{HELD, held_domain, held_user, window_start};

use crate::Queue;

/// Longest a suspended sender's mail is put back before it is checked again (seconds).
pub const RECHECK_SECS: i64 = 300;

/// Seconds to hold mail from `sender` at `now`, with the reason; `None` when it may go.
pub async fn hold(q: &Queue, sender: &str, now: i64) -> Option<(i64, String)> {
    let suspensions = !q.settings.get(defs::SPAMMER_SUSPEND).is_zero();
    let throttles = q.settings.get(defs::THROTTLE_ENABLED);
    if !suspensions && !throttles {
        return None;
    }
    let (local, domain) = sender.rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() {
        return None;
    }
    let d = q.dir.find_domain(domain).await.ok().flatten()?;
    if suspensions {
        match q.dir.sending_suspended(sender).await {
            Ok(Some(left)) => {
                return Some((
                    left.clamp(1, RECHECK_SECS),
                    format!("sending of {sender} is suspended after a spam run"),
                ));
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(target: "delivery", "sending suspension of {sender} unreadable: {e}")
            }
        }
    }
    if !throttles {
        return None;
    }
    let len = (q.settings.get(defs::THROTTLE_WINDOW_SECONDS).as_secs() as i64).max(1);
    let start = window_start(now, len);
    let left = (start + len - now).max(1);
    let store = q.dir.store();
    if marked(store.as_ref(), &held_domain(&d.name), start).await {
        return Some((left, format!("domain {} is over a sending limit", d.name)));
    }
    let user = store.get_user(d.id, local).await.ok().flatten()?;
    if marked(store.as_ref(), &held_user(user.id), start).await {
        return Some((left, format!("{sender} is over a sending limit")));
    }
    None
}

async fn marked(store: &dyn heron_store::Store, key: &str, start: i64) -> bool {
    match store.throttle_count(HELD, key, start).await {
        Ok(n) => n > 0,
        Err(e) => {
            tracing::warn!(target: "delivery", "throttle mark of {key} unreadable: {e}");
            false
        }
    }
}
