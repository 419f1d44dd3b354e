//! One write transaction and the change events it raises.
//!
//! Invariants: events raised by a transaction are inserted into `changes` inside it, each
//! with a `NOTIFY heron_changes` carrying the new row (`id origin event`, or the id alone for an event too long for a
//! notification's 8,000 bytes), so other processes hear of a
//! change exactly when it commits and never of one that rolled back; this process publishes
//! them on its own bus only after COMMIT returned. Identical events of one transaction are
//! written once (they are hints; a batch of a thousand appends to a folder is one change).
//! The folder changes it makes ([`Step`]s) are handed to this process's [`crate::changelog`]
//! only after COMMIT returned.

use deadpool_postgres::Transaction;

use super::error::TxResult;
use crate::changelog::Step;
use crate::events::Event;
use crate::rules::json::to_json;

/// An open write transaction.
pub(crate) struct Tx<'c> {
    pub(crate) t: Transaction<'c>,
    /// Raised so far, published after the commit.
    events: Vec<Event>,
    /// Folder changes made so far, in order, for the change log once committed.
    steps: Vec<Step>,
}

impl<'c> Tx<'c> {
    pub(crate) fn new(t: Transaction<'c>) -> Self {
        Self {
            t,
            events: Vec::new(),
            steps: Vec::new(),
        }
    }

    /// Note a folder change for the change log (recorded if and when this commits).
    pub(crate) fn logged(&mut self, step: Step) {
        self.steps.push(step);
    }

    /// The folder changes noted so far, to record once the commit returned.
    pub(crate) fn take_steps(&mut self) -> Vec<Step> {
        std::mem::take(&mut self.steps)
    }

    /// Raise an event, published if and when this transaction commits.
    pub(crate) fn emit(&mut self, e: Event) {
        if !self.events.contains(&e) {
            self.events.push(e);
        }
    }

    /// Log the events, commit, and hand the events back for publishing.
    pub(crate) async fn commit(self, origin: &str) -> TxResult<Vec<Event>> {
        if !self.events.is_empty() {
            let st = self
                .t
                .prepare_cached(
                    "WITH c AS (INSERT INTO changes (origin, event, created_at) \
                     SELECT $1, e, $3 FROM unnest($2::text[]) WITH ORDINALITY AS x (e, n) \
                     ORDER BY n RETURNING id, origin, event) \
                     SELECT pg_notify('heron_changes', CASE WHEN length(event) < 7000 \
                     THEN id || ' ' || origin || ' ' || event ELSE id::text END) FROM c",
                )
                .await?;
            let texts = self
                .events
                .iter()
                .map(to_json)
                .collect::<Result<Vec<_>, _>>()?;
            self.t
                .execute(&st, &[&origin, &texts, &crate::rules::now()])
                .await?;
        }
        self.t.commit().await?;
        Ok(self.events)
    }

    /// Give up the transaction; a failure to roll back closes the connection, which rolls
    /// back as well.
    pub(crate) async fn rollback(self) {
        if let Err(e) = self.t.rollback().await {
            tracing::debug!("rollback failed: {e}");
        }
    }
}
