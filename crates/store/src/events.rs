//! Change events the store publishes after a write commits: a mailbox changed, a setting
//! changed, the directory changed, a node's services were stopped or started. Sessions and
//! listeners subscribe and react.
//!
//! Invariant: an event is published only after the write that caused it is durable, so a
//! subscriber that re-reads the store sees the change. Events are hints: a lagging subscriber
//! may miss some and must then re-read what it cares about ([`Event::Resync`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::model::{FolderId, UserId};

/// Something changed in the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// Messages were added, removed or changed in a folder.
    Mailbox {
        user_id: UserId,
        folder_id: FolderId,
    },
    /// A user's folders were created, renamed or deleted.
    Folders { user_id: UserId },
    /// A runtime setting was set or reset.
    Setting { key: String },
    /// Domains, users or aliases changed.
    Directory,
    /// The spool gained or changed entries.
    Spool,
    /// The services stopped on one node alone changed (`node`: its id).
    NodeServices { node: String },
    /// The subscriber fell behind and events were lost: re-read everything of interest.
    Resync,
}

/// Fan-out of events to every subscriber in this process.
#[derive(Clone, Debug)]
pub struct EventBus {
    tx: broadcast::Sender<Event>,
    /// Counts the [`Event::Directory`] and [`Event::Resync`] published, for caches of
    /// directory records ([`EventBus::directory_generation`]).
    directory: Arc<AtomicU64>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    /// A bus holding up to 4,096 undelivered events per subscriber.
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(4096);
        Self {
            tx,
            directory: Arc::default(),
        }
    }

    /// Publish to every current subscriber; no subscriber is not an error.
    pub fn publish(&self, event: Event) {
        if matches!(event, Event::Directory | Event::Resync) {
            self.directory.fetch_add(1, Ordering::SeqCst);
        }
        let _ = self.tx.send(event);
    }

    /// How many directory changes (or resyncs) were published so far. It grows before the
    /// event is sent, so a value read before a lookup and unchanged after it means no
    /// directory change published in between.
    pub fn directory_generation(&self) -> u64 {
        self.directory.load(Ordering::SeqCst)
    }

    /// A new subscription receiving events published from now on.
    pub fn subscribe(&self) -> Subscription {
        Subscription {
            rx: self.tx.subscribe(),
        }
    }
}

/// One subscriber's view of the bus.
#[derive(Debug)]
pub struct Subscription {
    rx: broadcast::Receiver<Event>,
}

impl Subscription {
    /// The next event; [`Event::Resync`] if events were dropped because this subscriber lagged.
    /// `None` once the bus is gone.
    pub async fn next(&mut self) -> Option<Event> {
        match self.rx.recv().await {
            Ok(e) => Some(e),
            Err(broadcast::error::RecvError::Lagged(_)) => Some(Event::Resync),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }

    /// Take every event waiting without waiting for more; whether one of them (or a lag,
    /// which may have hidden one) satisfied `wanted`.
    pub fn drain(&mut self, wanted: impl Fn(&Event) -> bool) -> bool {
        let mut seen = false;
        loop {
            match self.rx.try_recv() {
                Ok(e) => seen |= wanted(&e),
                Err(broadcast::error::TryRecvError::Lagged(_)) => seen = true,
                Err(_) => return seen,
            }
        }
    }
}
