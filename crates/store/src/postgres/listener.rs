//! Other processes' change events, republished on this process's bus.
//!
//! How it works: every write transaction inserts its events into `changes` and, in the same
//! transaction, `NOTIFY heron_changes` with each new row's id ([`super::tx`]). The listener
//! holds one connection of its own that LISTENs on that channel; PostgreSQL delivers a
//! notification only once its transaction committed, so each id names a committed row, which
//! the listener reads and publishes unless this handle wrote it (those were published at
//! commit). If the listening connection drops, subscribers get [`Event::Resync`] (events may
//! have been missed) and the listener polls the table every [`POLL_EVERY`] while it
//! reconnects; once listening again it reads what it missed.
//!
//! The notification carries the row itself (`id origin event`), so the listener reads the table
//! only for a notification that carries just an id (as older nodes send), and a node's own
//! commits cost it no query.
//!
//! Invariants: no committed change of another handle is left out while the listener listens
//! (each notification names its row), nor while it polls (rows that commit out of id order
//! are still found, [`WINDOW`] ids back); a row found both ways is published once (ids seen
//! are remembered over that window); rows older than [`KEEP_CHANGES`] seconds are deleted,
//! since every listener reads a row within moments of its commit.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client, Config, NoTls};

use crate::changelog::ChangeLog;
use crate::error::Result;
use crate::events::{Event, EventBus};
use crate::rules::json::from_json;

/// The channel notifications go out on (the literal in [`super::tx`]'s statement).
pub(crate) const CHANNEL: &str = "heron_changes";

/// How often the table is read while the listening connection is down.
const POLL_EVERY: Duration = Duration::from_millis(250);

/// How many polls between tries to listen again.
const POLLS_PER_RECONNECT: u32 = 8;

/// How far below the highest id seen a poll still looks for rows that committed late.
const WINDOW: i64 = 1024;

/// Seconds a change row is kept.
const KEEP_CHANGES: i64 = 600;

/// How often old change rows are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Ids already handled.
struct Seen {
    /// Every id at or below it is handled (or too old to matter).
    floor: i64,
    /// Handled ids above the floor.
    ids: BTreeSet<i64>,
}

impl Seen {
    /// Whether `id`, found by a poll, is new; it counts as seen from now on.
    fn fresh(&mut self, id: i64) -> bool {
        id > self.floor && self.ids.insert(id)
    }

    /// Whether `id`, named by a notification, is new. A notified id committed after the
    /// LISTEN took effect, so one at or below the floor (a transaction that took its id
    /// before the floor was read and committed after) is new all the same.
    fn fresh_notified(&mut self, id: i64) -> bool {
        id <= self.floor || self.ids.insert(id)
    }

    /// Forget ids more than [`WINDOW`] below the highest.
    fn trim(&mut self) {
        let Some(&top) = self.ids.last() else { return };
        if top - WINDOW > self.floor {
            self.floor = top - WINDOW;
            self.ids = self.ids.split_off(&(self.floor + 1));
        }
    }
}

/// What one notification said: the change row's id, and the row's origin and event when the
/// payload carries them.
#[derive(Debug, PartialEq)]
struct Notice {
    id: i64,
    row: Option<(String, String)>,
}

impl Notice {
    /// Read a payload: `id` alone, or `id origin event`.
    fn parse(payload: &str) -> Option<Self> {
        let mut parts = payload.splitn(3, ' ');
        let id = parts.next()?.parse().ok()?;
        let row = match (parts.next(), parts.next()) {
            (Some(origin), Some(event)) => Some((origin.to_owned(), event.to_owned())),
            _ => None,
        };
        Some(Self { id, row })
    }
}

/// A connection listening on [`CHANNEL`] and the notices it receives; the channel closes when
/// the connection does.
struct Listening {
    /// Kept so the connection stays open.
    _client: Client,
    ids: mpsc::UnboundedReceiver<Notice>,
}

async fn listen(config: &Config) -> Result<Listening> {
    let (client, mut conn) = config.connect(NoTls).await?;
    let (tx, ids) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(m) = messages.next().await {
            match m {
                Ok(AsyncMessage::Notification(n)) => {
                    if let Some(notice) = Notice::parse(n.payload())
                        && tx.send(notice).is_err()
                    {
                        break;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!("change listener connection failed: {e}");
                    break;
                }
            }
        }
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    Ok(Listening {
        _client: client,
        ids,
    })
}

/// What the listener works with.
struct Ctx {
    config: Config,
    pool: Pool,
    bus: EventBus,
    /// Told of every change heard here before it is published (it is none of this
    /// process's).
    changelog: Arc<ChangeLog>,
    origin: String,
    seen: Seen,
}

impl Ctx {
    /// Publish the fresh rows among `rows` (id, origin, event) written by other handles;
    /// `notified` when a notification named them.
    fn publish(&mut self, rows: &[tokio_postgres::Row], notified: bool) -> Result<()> {
        for r in rows {
            self.publish_one(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, notified);
        }
        self.seen.trim();
        Ok(())
    }

    /// Events may have been missed: no change log is current, and subscribers re-read.
    fn resync(&self) {
        self.changelog.stale_all();
        self.bus.publish(Event::Resync);
    }

    /// Publish one row unless it was seen or this handle wrote it.
    fn publish_one(&mut self, id: i64, origin: &str, text: &str, notified: bool) {
        let fresh = if notified {
            self.seen.fresh_notified(id)
        } else {
            self.seen.fresh(id)
        };
        if !fresh || origin == self.origin {
            return;
        }
        match from_json::<Event>(text, "change event") {
            Ok(e) => {
                self.changelog.heard(&e, &[]);
                self.bus.publish(e);
            }
            // Not understood (a newer node's event): any folder may have changed.
            Err(_) => self.changelog.stale_all(),
        }
    }

    /// Publish the rows notified, reading those whose notice carried only the id.
    async fn notified(&mut self, notices: Vec<Notice>) -> Result<()> {
        let mut ids = Vec::new();
        for n in notices {
            match n.row {
                Some((origin, text)) => self.publish_one(n.id, &origin, &text, true),
                None => ids.push(n.id),
            }
        }
        self.seen.trim();
        if ids.is_empty() {
            return Ok(());
        }
        let c = self.pool.get().await?;
        let st = c
            .prepare_cached("SELECT id, origin, event FROM changes WHERE id = ANY($1) ORDER BY id")
            .await?;
        let rows = c.query(&st, &[&ids]).await?;
        self.publish(&rows, true)
    }

    /// Read and publish every row above the floor not seen yet.
    async fn poll(&mut self) -> Result<()> {
        let c = self.pool.get().await?;
        let rows = c
            .query(
                "SELECT id, origin, event FROM changes WHERE id > $1 ORDER BY id",
                &[&self.seen.floor],
            )
            .await?;
        self.publish(&rows, false)
    }

    async fn prune(&self) {
        let cutoff = crate::rules::now() - KEEP_CHANGES;
        let r = match self.pool.get().await {
            Ok(c) => c
                .execute("DELETE FROM changes WHERE created_at < $1", &[&cutoff])
                .await
                .map(drop)
                .map_err(crate::error::StoreError::from),
            Err(e) => Err(e.into()),
        };
        if let Err(e) = r {
            tracing::warn!("pruning the change log failed: {e}");
        }
    }
}

/// Start listening: returns once the listening connection is up, with the task that
/// republishes events until it is aborted.
pub(super) async fn start(
    config: Config,
    pool: Pool,
    bus: EventBus,
    changelog: Arc<ChangeLog>,
    origin: String,
) -> Result<tokio::task::JoinHandle<()>> {
    let first = listen(&config).await?;
    let top: i64 = pool
        .get()
        .await?
        .query_one("SELECT coalesce(max(id), 0) FROM changes", &[])
        .await?
        .try_get(0)?;
    let ctx = Ctx {
        config,
        pool,
        bus,
        changelog,
        origin,
        seen: Seen {
            floor: top,
            ids: BTreeSet::new(),
        },
    };
    Ok(tokio::spawn(run(ctx, first)))
}

async fn run(mut ctx: Ctx, first: Listening) {
    let mut listening = Some(first);
    let mut prune = tokio::time::interval(PRUNE_EVERY);
    let mut polls = 0u32;
    loop {
        if let Some(l) = listening.as_mut() {
            tokio::select! {
                id = l.ids.recv() => match id {
                    Some(first) => {
                        let mut notices = vec![first];
                        while let Ok(more) = l.ids.try_recv() {
                            notices.push(more);
                        }
                        if let Err(e) = ctx.notified(notices).await {
                            tracing::warn!("reading changes failed: {e}");
                            ctx.resync();
                        }
                    }
                    None => {
                        tracing::warn!("change listener lost its connection; polling until it is back");
                        listening = None;
                        ctx.resync();
                    }
                },
                _ = prune.tick() => ctx.prune().await,
            }
            continue;
        }
        tokio::time::sleep(POLL_EVERY).await;
        if let Err(e) = ctx.poll().await {
            tracing::warn!("polling changes failed: {e}");
        }
        polls += 1;
        if polls.is_multiple_of(POLLS_PER_RECONNECT) {
            match listen(&ctx.config).await {
                Ok(l) => {
                    listening = Some(l);
                    // Listening again: catch what committed before the LISTEN took effect.
                    if let Err(e) = ctx.poll().await {
                        tracing::warn!("polling changes failed: {e}");
                    }
                    tracing::info!("change listener is listening again");
                }
                Err(e) => tracing::debug!("change listener cannot reconnect yet: {e}"),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn notices_carry_the_row_or_only_its_id() {
        let n = Notice::parse(r#"42 ab12 {"kind":"spool"}"#).unwrap();
        assert_eq!(n.id, 42);
        assert_eq!(n.row, Some(("ab12".into(), r#"{"kind":"spool"}"#.into())));
        assert_eq!(Notice::parse("7"), Some(Notice { id: 7, row: None }));
        assert_eq!(Notice::parse("x 1 2"), None);
        assert_eq!(Notice::parse(""), None);
    }

    #[test]
    fn ids_count_once_and_old_ones_are_forgotten() {
        let mut s = Seen {
            floor: 10,
            ids: BTreeSet::new(),
        };
        assert!(!s.fresh(10), "at or below the floor");
        assert!(s.fresh(12));
        assert!(!s.fresh(12), "seen");
        assert!(s.fresh(11), "committed late, still found");
        assert!(
            s.fresh_notified(9),
            "notified: committed after listening began"
        );
        assert!(!s.fresh_notified(11), "already found by a poll");
        s.fresh(12 + 2 * WINDOW);
        s.trim();
        assert_eq!(s.floor, 12 + WINDOW);
        assert_eq!(s.ids.len(), 1);
    }
}
