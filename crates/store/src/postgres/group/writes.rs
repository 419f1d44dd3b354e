//! The writes that wait for a group-commit batch ([`super`]): new messages, flag changes
//! and expunges (runs of them settled together, [`crate::postgres::runs`]) and any other
//! folder write, its answer type hidden behind [`Job`].

use futures::future::BoxFuture;
use tokio::sync::oneshot;

use super::ASYNC_COMMIT;
use crate::error::{Result, StoreError};
use crate::model::FolderId;
use crate::postgres::PgStore;
use crate::postgres::adder::Item;
use crate::postgres::error::TxResult;
use crate::postgres::runs::FlagJob;
use crate::postgres::tx::Tx;

/// A write's work inside a transaction; it may run more than once (alone after a batch failed).
pub(super) type Work<T> = dyn for<'a> Fn(&'a mut Tx) -> BoxFuture<'a, TxResult<T>> + Send + Sync;

/// New messages waiting for a batch, and where their UIDs go.
pub(super) struct Addition {
    pub(super) items: Vec<Item>,
    pub(super) reply: oneshot::Sender<Result<Vec<u32>>>,
}

/// Any other write waiting for a batch, its answer type hidden.
pub(super) trait Job: Send {
    /// The folders it locks.
    fn folders(&self) -> &[FolderId];
    /// Run inside the batch's transaction, keeping the value for the answer.
    fn run<'a>(&'a mut self, tx: &'a mut Tx) -> BoxFuture<'a, TxResult<()>>;
    /// Answer once the batch that ran it committed.
    fn answer(self: Box<Self>);
    /// Run in a transaction of its own and answer.
    fn alone(self: Box<Self>, store: &PgStore) -> BoxFuture<'_, ()>;
}

pub(super) struct Pending<T> {
    pub(super) folders: Vec<FolderId>,
    pub(super) work: Box<Work<T>>,
    /// Its value from the batch, answered once the batch committed.
    pub(super) outcome: Option<T>,
    pub(super) reply: oneshot::Sender<Result<T>>,
}

impl<T: Send + 'static> Job for Pending<T> {
    fn folders(&self) -> &[FolderId] {
        &self.folders
    }

    fn run<'a>(&'a mut self, tx: &'a mut Tx) -> BoxFuture<'a, TxResult<()>> {
        Box::pin(async move {
            let v = (self.work)(tx).await?;
            self.outcome = Some(v);
            Ok(())
        })
    }

    fn answer(self: Box<Self>) {
        let r = self
            .outcome
            .ok_or_else(|| StoreError::Db("a write was not run".into()));
        let _ = self.reply.send(r);
    }

    fn alone(self: Box<Self>, store: &PgStore) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let work = &self.work;
            let r: Result<T> = async { write_tx!(store, |tx| work(&mut tx).await) }.await;
            let _ = self.reply.send(r);
        })
    }
}

/// An expunge waiting for a batch: settled in memory with the flag changes and expunges next
/// to it ([`crate::postgres::runs`]).
pub(crate) struct ExpungeJob {
    /// One folder, as a slice for the batch's lock list.
    pub(super) folder: [FolderId; 1],
    pub(super) uids: Vec<u32>,
    /// The UIDs it removed, answered once the batch committed.
    pub(super) outcome: Option<Vec<u32>>,
    pub(super) reply: oneshot::Sender<Result<Vec<u32>>>,
}

impl ExpungeJob {
    /// Run alone, in its own transaction (relaxed commit), and answer.
    fn alone(self, store: &PgStore) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let (folder, uids) = (self.folder[0], &self.uids);
            let r: Result<Vec<u32>> = async {
                write_tx!(store, |tx| {
                    tx.t.batch_execute(ASYNC_COMMIT).await?;
                    crate::postgres::changes::expunge_tx(&mut tx, folder, uids).await
                })
            }
            .await;
            let _ = self.reply.send(r);
        })
    }

    fn answer(self) {
        let r = self
            .outcome
            .ok_or_else(|| StoreError::Db("an expunge was not run".into()));
        let _ = self.reply.send(r);
    }
}

/// What waits in the queue.
pub(super) enum Waiting {
    Add(Addition),
    Run(Box<dyn Job>),
    /// A flag change: it and the expunges and flag changes next to it in a batch run
    /// together ([`crate::postgres::runs`]).
    Flags(FlagJob),
    Expunge(ExpungeJob),
}

impl Waiting {
    /// The folders it locks.
    pub(super) fn folders(&self) -> Box<dyn Iterator<Item = FolderId> + '_> {
        match self {
            Waiting::Add(a) => Box::new(
                a.items
                    .iter()
                    .flat_map(|item| item.targets.iter().map(|t| t.0)),
            ),
            Waiting::Run(j) => Box::new(j.folders().iter().copied()),
            Waiting::Flags(f) => Box::new(f.ask.folder.iter().copied()),
            Waiting::Expunge(e) => Box::new(e.folder.iter().copied()),
        }
    }

    pub(super) fn bytes(&self) -> usize {
        match self {
            Waiting::Add(a) => a.items.iter().map(|i| i.bytes.len()).sum(),
            Waiting::Run(_) | Waiting::Flags(_) | Waiting::Expunge(_) => 0,
        }
    }
}

/// A write of a batch other than new messages, in arrival order.
pub(super) enum Other {
    Run(Box<dyn Job>),
    Flags(FlagJob),
    Expunge(ExpungeJob),
}

impl Other {
    pub(super) fn folders(&self) -> &[FolderId] {
        match self {
            Other::Run(j) => j.folders(),
            Other::Flags(f) => &f.ask.folder,
            Other::Expunge(e) => &e.folder,
        }
    }

    pub(super) fn relaxed(&self) -> bool {
        match self {
            Other::Run(_) => false,
            Other::Flags(_) | Other::Expunge(_) => true,
        }
    }

    pub(super) fn answer(self) {
        match self {
            Other::Run(j) => j.answer(),
            Other::Flags(f) => f.answer(),
            Other::Expunge(e) => e.answer(),
        }
    }

    pub(super) async fn alone(self, store: &PgStore) {
        match self {
            Other::Run(j) => j.alone(store).await,
            Other::Flags(f) => f.alone(store).await,
            Other::Expunge(e) => e.alone(store).await,
        }
    }
}
