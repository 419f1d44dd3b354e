//! One write transaction and the change events it raises.
//!
//! A transaction owns its pooled connection: BEGIN, the statements and COMMIT run on it, and
//! it goes back to the pool once the transaction ended. BEGIN need not cost a round trip of
//! its own: [`Tx::open`] hands out the connection before BEGIN is sent, and the caller sends
//! [`Tx::begin`] in the same flight as its first statements (the server runs a connection's
//! requests in the order they were sent). Likewise the change events' insert and COMMIT go
//! out in one flight, after the writes left for the commit ([`Tx::at_commit`]).
//!
//! Invariants: events raised by a transaction are inserted into `changes` inside it, each
//! with a `NOTIFY heron_changes` carrying the new row (`id origin event`, or the id alone for
//! an event too long for a notification's 8,000 bytes), so other processes hear of a change
//! exactly when it commits and never of one that rolled back; this process publishes them on
//! its own bus only after COMMIT returned. Identical events of one transaction are written
//! once (they are hints; a batch of a thousand appends to a folder is one change). The folder
//! changes it makes ([`Step`]s) are handed to this process's [`crate::changelog`] only after
//! COMMIT returned. A transaction dropped before it ended (its task was cancelled) takes its
//! connection out of the pool, which closes it, so PostgreSQL rolls it back and no other
//! caller ever runs inside it.

use std::ops::Deref;

use deadpool_postgres::{ClientWrapper, Object};
use tokio_postgres::Statement;
use tokio_postgres::types::ToSql;

use super::error::TxResult;
use crate::changelog::Step;
use crate::events::Event;
use crate::rules::json::to_json;

/// A write's parameter, owned, for a statement left for the commit's flight.
pub(crate) type Param = Box<dyn ToSql + Send + Sync>;

/// Starts a transaction whose commit need not be flushed before it returns.
const BEGIN_RELAXED: &str = "BEGIN; SET LOCAL synchronous_commit = off";

/// The connection of a transaction: present until the transaction is dropped.
pub(crate) struct Conn(Option<Object>);

impl Deref for Conn {
    type Target = ClientWrapper;

    fn deref(&self) -> &ClientWrapper {
        self.0
            .as_deref()
            .expect("a transaction holds its connection until it is dropped")
    }
}

/// An open write transaction.
pub(crate) struct Tx {
    pub(crate) t: Conn,
    /// Between BEGIN (sent or about to be) and its end: a drop now must not give the
    /// connection back to the pool.
    open: bool,
    /// Raised so far, published after the commit.
    events: Vec<Event>,
    /// Folder changes made so far, in order, for the change log once committed.
    steps: Vec<Step>,
    /// Writes whose outcome nobody reads, sent in the commit's flight, in order.
    tail: Vec<(Statement, Vec<Param>)>,
}

impl Tx {
    /// A transaction on `client`, BEGIN not yet sent: the caller sends [`Self::begin`] before
    /// or in the same flight as its first statement.
    pub(crate) fn open(client: Object) -> Self {
        Self {
            t: Conn(Some(client)),
            open: true,
            events: Vec::new(),
            steps: Vec::new(),
            tail: Vec::new(),
        }
    }

    /// A transaction on `client`, begun.
    pub(crate) async fn begun(client: Object) -> TxResult<Self> {
        let tx = Self::open(client);
        tx.begin(false).await?;
        Ok(tx)
    }

    /// Send BEGIN; with `relaxed`, the commit returns before its WAL is flushed (committed
    /// and seen by every node, kept if this process dies; only a crash of the database server
    /// within a fraction of a second may undo it).
    pub(crate) async fn begin(&self, relaxed: bool) -> TxResult<()> {
        self.t
            .batch_execute(if relaxed { BEGIN_RELAXED } else { "BEGIN" })
            .await?;
        Ok(())
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

    /// Leave a write for the commit's flight. Only for a write no later statement of this
    /// transaction reads (the last write of a transaction).
    pub(crate) fn at_commit(&mut self, statement: Statement, params: Vec<Param>) {
        self.tail.push((statement, params));
    }

    /// Run `writes` in one flight: each is sent when first polled, and `try_join_all` polls
    /// them in order, so the server runs them in that order.
    pub(crate) async fn execute_all(
        &self,
        writes: &[(Statement, Vec<Param>)],
    ) -> Result<(), tokio_postgres::Error> {
        let t = &self.t;
        futures::future::try_join_all(writes.iter().map(|(st, params)| async move {
            let refs: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            t.execute(st, &refs).await
        }))
        .await?;
        Ok(())
    }

    /// Log the events, commit (the writes left for it, the events' insert and COMMIT in one
    /// flight), and hand the events back for publishing.
    pub(crate) async fn commit(mut self, origin: &str) -> TxResult<Vec<Event>> {
        let changes = if self.events.is_empty() {
            None
        } else {
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
            Some((st, texts))
        };
        let t = &self.t;
        // Each future sends its request when first polled, and `try_join_all` polls them in
        // order, so COMMIT goes last. A failed write aborts the transaction, and COMMIT then
        // rolls it back; the write's error is the answer.
        let tail = self.execute_all(&self.tail);
        let log = async {
            if let Some((st, texts)) = &changes {
                t.execute(st, &[&origin, texts, &crate::rules::now()])
                    .await?;
            }
            Ok(())
        };
        futures::try_join!(tail, log, t.batch_execute("COMMIT"))?;
        // On an error the transaction may still be open (COMMIT not sent): the drop closes
        // the connection.
        self.open = false;
        Ok(std::mem::take(&mut self.events))
    }

    /// Give up the transaction; a failure to roll back closes the connection, which rolls
    /// back as well.
    pub(crate) async fn rollback(mut self) {
        match self.t.batch_execute("ROLLBACK").await {
            Ok(()) => self.open = false,
            Err(e) => tracing::debug!("rollback failed: {e}"),
        }
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        if self.open
            && let Some(client) = self.t.0.take()
        {
            // Out of the pool and closed: PostgreSQL rolls the transaction back.
            drop(Object::take(client));
        }
    }
}
