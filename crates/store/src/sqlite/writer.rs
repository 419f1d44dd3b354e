//! Group commit. One thread owns the write connection; callers hand it closures. The thread
//! takes every job waiting, runs each inside its own SAVEPOINT (a failing job rolls back alone),
//! commits the batch once (one WAL fsync for all), then answers every caller.
//!
//! Two kinds of write ([`Durability`]): a durable one (mail, accounts, settings: everything
//! by default) is fsync'd before its caller hears `Ok`; a relaxed one (flag changes and
//! expunges, which IMAP servers commonly leave to the next sync) is committed (visible to
//! every reader, kept if the process dies) and fsync'd with the next durable batch or WAL
//! checkpoint, so a power loss before then may undo it. A batch is committed with
//! `synchronous = FULL` as soon as one of its jobs is durable.
//!
//! Invariants: a caller's `Ok` is sent only after COMMIT returned; events a job raised are
//! written to the `changes` table inside the same transaction and published in-process only
//! after the commit, as its folder changes go to the [`ChangeLog`]; a job whose savepoint
//! was rolled back raises no events and logs no change; the WAL being
//! written in order, a durable commit also makes every relaxed one before it durable.

use std::sync::mpsc;
use std::thread;

use rusqlite::Connection;
use tokio::sync::oneshot;

use std::sync::Arc;

use crate::changelog::{ChangeLog, Step};
use crate::error::{Result, StoreError};
use crate::events::{Event, EventBus};
use crate::rules::json::to_json;

/// What a job sees: the connection inside an open transaction, and where to put events.
pub struct WriteCtx<'a> {
    pub conn: &'a Connection,
    events: Vec<Event>,
    steps: Vec<Step>,
}

impl WriteCtx<'_> {
    /// Raise an event, published if and when this job's changes commit.
    pub fn emit(&mut self, e: Event) {
        self.events.push(e);
    }

    /// Note a folder's change for the [`ChangeLog`], recorded if and when it commits.
    pub fn logged(&mut self, step: Step) {
        self.steps.push(step);
    }
}

type Completion = Box<dyn FnOnce(Result<()>) + Send>;

/// How a write must reach the disk before its caller hears `Ok`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// fsync'd.
    Durable,
    /// Committed; fsync'd with the next durable batch or checkpoint.
    Relaxed,
}

trait Job: Send {
    /// How this job's batch must be committed.
    fn durability(&self) -> Durability;
    /// Run inside the transaction; `true` if the job succeeded (keep its changes).
    fn run(self: Box<Self>, ctx: &mut WriteCtx<'_>) -> (bool, Completion);
    /// The batch could not start; answer without running.
    fn abort(self: Box<Self>, e: StoreError);
}

struct Pending<F, T> {
    f: F,
    tx: oneshot::Sender<Result<T>>,
    durability: Durability,
}

impl<F, T> Job for Pending<F, T>
where
    F: FnOnce(&mut WriteCtx<'_>) -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    fn durability(&self) -> Durability {
        self.durability
    }
    fn run(self: Box<Self>, ctx: &mut WriteCtx<'_>) -> (bool, Completion) {
        let Pending { f, tx, .. } = *self;
        let r = f(ctx);
        let ok = r.is_ok();
        let done: Completion = Box::new(move |commit: Result<()>| {
            let _ = tx.send(match (r, commit) {
                (Ok(v), Ok(())) => Ok(v),
                (Err(e), _) => Err(e),
                (Ok(_), Err(e)) => Err(e),
            });
        });
        (ok, done)
    }
    fn abort(self: Box<Self>, e: StoreError) {
        let _ = self.tx.send(Err(e));
    }
}

/// Handle to the writer thread.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Box<dyn Job>>,
}

/// Most jobs committed together.
const MAX_BATCH: usize = 512;

impl Writer {
    /// Start the writer thread on `conn`. `origin` tags rows of the change log so this process
    /// can skip its own events when polling.
    pub fn start(
        conn: Connection,
        bus: EventBus,
        log: Arc<ChangeLog>,
        origin: String,
    ) -> Result<Self> {
        let (tx, rx) = mpsc::channel::<Box<dyn Job>>();
        thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || writer_loop(conn, rx, bus, log, origin))
            .map_err(|e| StoreError::Db(format!("cannot start the store writer: {e}")))?;
        Ok(Self { tx })
    }

    /// Run `f` in the next batch; resolves after the batch committed as `durability` says.
    pub async fn write<T, F>(&self, durability: Durability, f: F) -> Result<T>
    where
        F: FnOnce(&mut WriteCtx<'_>) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Box::new(Pending { f, tx, durability }))
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

fn writer_loop(
    conn: Connection,
    rx: mpsc::Receiver<Box<dyn Job>>,
    bus: EventBus,
    log: Arc<ChangeLog>,
    origin: String,
) {
    let mut batches: u64 = 0;
    // The connection opens with `synchronous = FULL` (schema::PRAGMAS).
    let mut current = Durability::Durable;
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let wanted = if batch.iter().any(|j| j.durability() == Durability::Durable) {
            Durability::Durable
        } else {
            Durability::Relaxed
        };
        if wanted != current {
            let pragma = match wanted {
                Durability::Durable => "PRAGMA synchronous = FULL",
                Durability::Relaxed => "PRAGMA synchronous = NORMAL",
            };
            match conn.execute_batch(pragma) {
                Ok(()) => current = wanted,
                // Still FULL or NORMAL as before: a relaxed batch committed durably is only
                // slower; a durable one is never committed relaxed (checked below).
                Err(e) => tracing::error!("{pragma} failed: {e}"),
            }
        }
        if wanted == Durability::Durable && current != Durability::Durable {
            for j in batch {
                j.abort(StoreError::Db("cannot commit durably".into()));
            }
            continue;
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            let e = StoreError::from(e);
            for j in batch {
                j.abort(StoreError::Db(e.to_string()));
            }
            continue;
        }
        let (completions, events, steps) = run_batch(&conn, batch);
        let commit = log_events(&conn, &events, &origin)
            .and_then(|()| conn.execute_batch("COMMIT").map_err(StoreError::from));
        let committed = commit.is_ok();
        if let Err(e) = &commit {
            tracing::error!("store commit failed: {e}");
            let _ = conn.execute_batch("ROLLBACK");
        }
        // Publish before answering, so a caller that subscribes after its write returned
        // never receives that write's own events.
        if committed {
            log.record(steps);
            for e in events {
                bus.publish(e);
            }
        }
        for c in completions {
            c(match &commit {
                Ok(()) => Ok(()),
                Err(e) => Err(StoreError::Db(e.to_string())),
            });
        }
        batches += 1;
        if batches.is_multiple_of(1024) {
            prune_changes(&conn);
        }
    }
}

/// What a batch's jobs leave: their completions, and the events and folder steps of those
/// that succeeded.
type Ran = (Vec<Completion>, Vec<Event>, Vec<Step>);

fn run_batch(conn: &Connection, batch: Vec<Box<dyn Job>>) -> Ran {
    let mut completions = Vec::with_capacity(batch.len());
    let mut events = Vec::new();
    let mut steps = Vec::new();
    for job in batch {
        if let Err(e) = conn.execute_batch("SAVEPOINT job") {
            job.abort(StoreError::from(e));
            continue;
        }
        let mut ctx = WriteCtx {
            conn,
            events: Vec::new(),
            steps: Vec::new(),
        };
        let (ok, done) = job.run(&mut ctx);
        let end = if ok {
            events.append(&mut ctx.events);
            steps.append(&mut ctx.steps);
            "RELEASE job"
        } else {
            "ROLLBACK TO job; RELEASE job"
        };
        if let Err(e) = conn.execute_batch(end) {
            tracing::error!("savepoint end failed: {e}");
        }
        completions.push(done);
    }
    (completions, events, steps)
}

fn log_events(conn: &Connection, events: &[Event], origin: &str) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let now = crate::rules::now();
    let mut st =
        conn.prepare_cached("INSERT INTO changes (origin, event, created_at) VALUES (?1, ?2, ?3)")?;
    for e in events {
        let text = to_json(e)?;
        st.execute(rusqlite::params![origin, text, now])?;
    }
    // In the batch's transaction, so a process that reads the new stamp also reads the
    // directory change it counts.
    if events.iter().any(|e| matches!(e, Event::Directory)) {
        conn.prepare_cached(super::schema::DIRECTORY_STAMP_BUMP)?
            .execute([])?;
    }
    Ok(())
}

/// Keep the change log short: other processes poll it every fraction of a second, so ten
/// minutes of history is plenty.
fn prune_changes(conn: &Connection) {
    let cutoff = crate::rules::now() - 600;
    if let Err(e) = conn.execute("DELETE FROM changes WHERE created_at < ?1", [cutoff]) {
        tracing::warn!("pruning change log failed: {e}");
    }
}
