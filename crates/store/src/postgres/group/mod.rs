//! Group commit: the writes that lock a folder (new messages, flag changes, expunges, copies
//! and moves) from every session of this process are gathered and run in shared transactions.
//!
//! Why: a change to a folder's messages holds the folder row's lock until COMMIT returns (UIDs
//! and modseqs must become visible in the order they were handed out), so one transaction per
//! change makes the clients of a busy mailbox queue for one WAL flush each. Here a task takes
//! every write waiting and runs them in one transaction, in as few round trips as their
//! dependencies allow: BEGIN, the new messages' bytes, the lock of every folder of the batch
//! (one statement, in id order), the new messages' rows (one statement per folder,
//! [`super::adder`]) and the read of a leading run of flag changes go out in one flight; the
//! other writes run one after another; the last writes, the change events and COMMIT go out
//! in one last flight ([`Tx::commit`]), and that COMMIT answers them all. Up to
//! [`CONCURRENT`] batches run at once on folders no other running batch holds, so mailboxes
//! that share nothing commit side by side, and the writes for a busy mailbox gather into the
//! next batch rather than queueing on its lock.
//!
//! The gathering task and its batches run on a thread of their own ("store-group", a
//! single-threaded runtime) with connections of their own ([`POOL_SIZE`]): a busy mailbox's
//! batches run one after another, so every wake-up of a batch (its flight's answer, its
//! connection's socket) is on the path of every writer of that mailbox. On the shared
//! runtime those wake-ups queued behind the sessions' own work; on a thread that mostly
//! sleeps, the kernel runs them at once (measured: a third more IMAP commands per second
//! with 10 clients on one mailbox). The thread ends when the store is dropped.
//!
//! A relaxed write (flag changes and expunges) does not need its
//! commit flushed before its answer; a batch (or a write run alone) made only of relaxed
//! writes commits with `synchronous_commit = off`: committed and seen by every node, kept if
//! this process dies, flushed by PostgreSQL's WAL writer within a fraction of a second, so
//! only a crash of the database server in between may undo it. A batch holding any other
//! write commits synchronously.
//!
//! Invariants: a write's `Ok` is sent only after the transaction holding it committed, and
//! its events are published before that; a write on a folder deleted meanwhile (the only
//! rule a write of a locked folder can break) is left out of the batch and run alone, so it
//! gets its own answer; a batch that fails (a write failed, deadlock, lost connection, failed
//! COMMIT) is run again one write per transaction, so nobody is answered from a transaction
//! that did not commit, and a failing write gets its own error. Every
//! batch locks all its folders first and in id order, so batches (of this node or another)
//! never deadlock on folders. Memory: a batch holds at most [`MAX_BYTES`] of new messages (or
//! one larger addition).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Weak;

use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use super::adder::{self, Item};
use super::error::TxResult;
use super::runs::{self, FlagJob};
use super::tx::Tx;
use super::{Inner, PgStore};
use crate::error::{Result, StoreError};
use crate::model::{FlagOp, FlagUpdate, FolderId};

mod flights;
mod writes;
use writes::{Addition, ExpungeJob, Other, Pending, Waiting};

/// Makes the transaction's commit return before its WAL is flushed (relaxed writes only).
pub(crate) const ASYNC_COMMIT: &str = "SET LOCAL synchronous_commit = off";

/// Locks folder rows in id order (so batches never deadlock on them); the ids found.
pub(crate) const LOCK_FOLDERS: &str =
    "SELECT id FROM folders WHERE id = ANY($1) ORDER BY id FOR UPDATE";

/// Writes taken into one transaction, at most.
const MAX_JOBS: usize = 256;

/// New message bytes taken into one transaction, at most (a single larger addition goes alone).
const MAX_BYTES: usize = 16 << 20;

/// Batch transactions running at once.
const CONCURRENT: usize = 4;

/// Connections of the group commit's own pool: one per running batch, one to spare.
pub(crate) const POOL_SIZE: usize = CONCURRENT + 1;

/// Writes waiting for a batch, at most; a caller past this waits for room.
const QUEUE: usize = 4096;

/// The way in to the batching task.
pub(crate) struct Group {
    queue: mpsc::Sender<Waiting>,
}

impl Group {
    /// Start the task, on its own thread, for the store whose `Inner` this will be part of;
    /// it ends when the store is dropped (and with it the queue's sender).
    pub(crate) fn start(store: Weak<Inner>) -> Self {
        let (queue, rx) = mpsc::channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("store-group".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(gather(store, rx)),
                    Err(e) => tracing::error!("cannot start the group-commit thread: {e}"),
                }
            });
        if let Err(e) = thread {
            tracing::error!("cannot start the group-commit thread: {e}");
        }
        Self { queue }
    }

    /// Add `items` in the next batch; the UIDs, per item and then per target, once committed.
    pub(crate) async fn add(&self, items: Vec<Item>) -> Result<Vec<u32>> {
        let (reply, answer) = oneshot::channel();
        self.wait_for(Waiting::Add(Addition { items, reply }), answer)
            .await
    }

    /// Run `work`, which locks `folders` (and nothing it could wait for while holding them,
    /// but the owners' user rows), in the next batch; its value once committed.
    pub(crate) async fn run<T, F>(&self, folders: Vec<FolderId>, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'a> Fn(&'a mut Tx) -> BoxFuture<'a, TxResult<T>> + Send + Sync + 'static,
    {
        self.queue_job(folders, work).await
    }

    /// A flag change (STORE) in the next batch, run together with the flag changes next to
    /// it there; relaxed (see the module doc).
    pub(crate) async fn store_flags(
        &self,
        folder: FolderId,
        uids: Vec<u32>,
        op: FlagOp,
        flags: Vec<String>,
        unchanged_since: Option<u64>,
    ) -> Result<FlagUpdate> {
        let (reply, answer) = oneshot::channel();
        let job = FlagJob {
            ask: runs::Ask {
                folder: [folder],
                uids,
                op,
                flags,
                unchanged_since,
            },
            outcome: None,
            reply,
        };
        self.wait_for(Waiting::Flags(job), answer).await
    }

    /// An expunge in the next batch, sent with the writes around it ([`flights`]);
    /// relaxed (see the module doc). The UIDs removed.
    pub(crate) async fn expunge(&self, folder: FolderId, uids: Vec<u32>) -> Result<Vec<u32>> {
        let (reply, answer) = oneshot::channel();
        let job = ExpungeJob {
            folder: [folder],
            uids,
            outcome: None,
            reply,
        };
        self.wait_for(Waiting::Expunge(job), answer).await
    }

    /// Queue `w` and wait for its answer on `answer`.
    async fn wait_for<T>(&self, w: Waiting, answer: oneshot::Receiver<Result<T>>) -> Result<T> {
        self.queue.send(w).await.map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    async fn queue_job<T, F>(&self, folders: Vec<FolderId>, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'a> Fn(&'a mut Tx) -> BoxFuture<'a, TxResult<T>> + Send + Sync + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Pending {
            folders,
            work: Box::new(work),
            outcome: None,
            reply,
        };
        self.wait_for(Waiting::Run(Box::new(job)), answer).await
    }
}

/// Take writes as they come and start batches: while fewer than [`CONCURRENT`] run, a new
/// batch takes, in arrival order, the waiting writes whose folders no running batch holds
/// (a write passed over keeps its folders from later writes too, so each folder's writes
/// run in arrival order). Batches of this process thus never wait on each other's locks.
async fn gather(store: Weak<Inner>, mut rx: mpsc::Receiver<Waiting>) {
    let mut waiting: VecDeque<Waiting> = VecDeque::new();
    let mut running: JoinSet<Vec<FolderId>> = JoinSet::new();
    let mut busy: HashMap<FolderId, usize> = HashMap::new();
    let mut open = true;
    loop {
        while let Ok(w) = rx.try_recv() {
            waiting.push_back(w);
        }
        while running.len() < CONCURRENT {
            let batch = take_batch(&mut waiting, &busy);
            if batch.is_empty() {
                break;
            }
            let Some(inner) = store.upgrade() else { return };
            let store = PgStore { inner };
            let mut folders: Vec<FolderId> = batch.iter().flat_map(Waiting::folders).collect();
            folders.sort_unstable();
            folders.dedup();
            for f in &folders {
                *busy.entry(*f).or_default() += 1;
            }
            running.spawn(async move {
                commit(&store, batch).await;
                folders
            });
        }
        if !open && waiting.is_empty() && running.is_empty() {
            return;
        }
        tokio::select! {
            w = rx.recv(), if open => match w {
                Some(w) => waiting.push_back(w),
                None => open = false,
            },
            Some(done) = running.join_next(), if !running.is_empty() => {
                let Ok(folders) = done else {
                    tracing::error!("a group-commit batch failed to finish");
                    continue;
                };
                for f in folders {
                    if let Some(n) = busy.get_mut(&f) {
                        *n -= 1;
                        if *n == 0 {
                            busy.remove(&f);
                        }
                    }
                }
            }
        }
    }
}

/// The next batch out of `waiting`: writes in arrival order whose folders are not `busy` and
/// not held back by an earlier write passed over, within [`MAX_JOBS`] and [`MAX_BYTES`].
fn take_batch(waiting: &mut VecDeque<Waiting>, busy: &HashMap<FolderId, usize>) -> Vec<Waiting> {
    let mut batch = Vec::new();
    let mut held: HashSet<FolderId> = HashSet::new();
    let mut size = 0;
    let mut i = 0;
    while i < waiting.len() && batch.len() < MAX_JOBS {
        let w = &waiting[i];
        let folders: Vec<FolderId> = w.folders().collect();
        if folders
            .iter()
            .any(|f| busy.contains_key(f) || held.contains(f))
        {
            held.extend(folders);
            i += 1;
            continue;
        }
        let bytes = w.bytes();
        if !batch.is_empty() && size + bytes > MAX_BYTES {
            break;
        }
        size += bytes;
        if let Some(w) = waiting.remove(i) {
            batch.push(w);
        }
    }
    batch
}

/// Run a batch and answer its writes: all in one transaction, or one by one when that fails.
async fn commit(store: &PgStore, batch: Vec<Waiting>) {
    let mut adds = Vec::new();
    let mut jobs = Vec::new();
    for w in batch {
        match w {
            Waiting::Add(a) => adds.push(a),
            Waiting::Run(j) => jobs.push(Other::Run(j)),
            Waiting::Flags(f) => jobs.push(Other::Flags(f)),
            Waiting::Expunge(e) => jobs.push(Other::Expunge(e)),
        }
    }
    match together(store, &adds, &mut jobs).await {
        Ok((uids, ran)) => {
            for (a, uids) in adds.into_iter().zip(uids) {
                let _ = a.reply.send(Ok(uids));
            }
            for (j, ran) in jobs.into_iter().zip(ran) {
                if ran {
                    j.answer();
                } else {
                    // A folder of it was gone: alone, it gets its own answer.
                    j.alone(store).await;
                }
            }
            return;
        }
        Err(e) => tracing::debug!(
            "a batch of {} writes failed ({e}); running them one by one",
            adds.len() + jobs.len()
        ),
    }
    for a in adds {
        let items = [a.items.as_slice()];
        let r: Result<Vec<Vec<u32>>> = async {
            write_tx!(store, |tx| {
                let blobs = adder::write_blobs(&tx, &items).await?;
                adder::add_to_folders(&mut tx, &items, &blobs).await
            })
        }
        .await;
        let _ = a.reply.send(r.map(|mut u| u.pop().unwrap_or_default()));
    }
    for j in jobs {
        j.alone(store).await;
    }
}

/// The whole batch in one transaction: the UIDs of each addition, and which other writes
/// ran in it (not those on a folder that no longer exists, left to run alone). Each write
/// that ran keeps its value for its answer; `Err` means the transaction did not commit (a
/// write failed, or the commit did).
///
/// Round trips: BEGIN, the new bytes, the folder locks, the new rows and the read of a
/// leading run of flag changes go out in one flight; then the rest in flights of their own
/// ([`flights`]: a write-back, the expunges after it and the next read together; one per
/// other write); the last write-back, the change events and COMMIT go out in the last.
async fn together(
    store: &PgStore,
    adds: &[Addition],
    jobs: &mut [Other],
) -> std::result::Result<(Vec<Vec<u32>>, Vec<bool>), StoreError> {
    let mut tx = Tx::open(store.group_client().await?);
    let items: Vec<&[Item]> = adds.iter().map(|a| a.items.as_slice()).collect();
    let blob_ids = adder::blob_ids(&items);
    let relaxed = adds.is_empty() && jobs.iter().all(|j| j.relaxed());
    let r: TxResult<(Vec<Vec<u32>>, Vec<bool>)> = async {
        let mut folders: Vec<FolderId> = adder::folders_of(&items)
            .chain(jobs.iter().flat_map(|j| j.folders().iter().copied()))
            .collect();
        folders.sort_unstable();
        folders.dedup();
        // Every statement of the first flight is prepared first, so each goes out the moment
        // its future is first polled: in `try_join!`'s order, which is the server's order.
        let (lock_st, add_st, run_st) = futures::try_join!(
            async { TxResult::Ok(tx.t.prepare_cached(LOCK_FOLDERS).await?) },
            adder::prepare(&tx),
            runs::Prepared::prepare(&tx)
        )?;
        let plan = adder::Plan::new(&items, &blob_ids);
        // The leading run of flag changes and expunges is read in the first flight too, after
        // the locks and the new rows (all its writes, as which ran is known only after).
        let lead_len = flights::run_end(jobs, 0);
        let all = vec![true; lead_len];
        let (_, lead) = flights::acts(jobs, 0..lead_len, &all);
        let read = async {
            if lead.is_empty() {
                return Ok(None);
            }
            run_st.read(&tx, &lead, false).await.map(Some)
        };
        let lock = async { TxResult::Ok(tx.t.query(&lock_st, &[&folders]).await?) };
        let ((), (), locked, rows, lead_state) = futures::try_join!(
            tx.begin(relaxed),
            adder::insert_blobs(&tx, &add_st, &items, &blob_ids),
            lock,
            plan.insert(&tx, &add_st),
            read
        )?;
        drop(lead);
        let present = locked
            .iter()
            .map(|r| r.try_get::<_, FolderId>(0))
            .collect::<std::result::Result<HashSet<FolderId>, _>>()?;
        // A folder gone by now fails the batch (its additions run alone and get the error).
        let uids = plan.placed(&mut tx, rows)?;
        // With every folder locked and present, a write can fail only by the database
        // (a lost connection, a bug), which fails the batch: no savepoint per write, which
        // would cost each a round trip.
        let ran: Vec<bool> = jobs
            .iter()
            .map(|j| j.folders().iter().all(|f| present.contains(f)))
            .collect();
        // The leading run settled now (those on folders found), the rest in flights.
        let mut pending = None;
        if let Some(mut state) = lead_state {
            let (at, lead) = flights::acts(jobs, 0..lead_len, &ran);
            let answers = runs::settle(&mut tx, &lead, &mut state)?;
            drop(lead);
            flights::keep(jobs, at, answers);
            pending = Some(state);
        }
        flights::rest(&mut tx, &run_st, jobs, &ran, lead_len, pending).await?;
        Ok((uids, ran))
    }
    .await;
    match r {
        Ok(done) => {
            let steps = tx.take_steps();
            let events = tx
                .commit(&store.inner.origin)
                .await
                .map_err(StoreError::from)?;
            for (items, ids) in items.iter().zip(&blob_ids) {
                for (item, id) in items.iter().zip(ids) {
                    crate::bodycache::shared().keep_new(id, &item.bytes);
                }
            }
            store.inner.committed(steps, events);
            Ok(done)
        }
        Err(f) => {
            tx.rollback().await;
            Err(f.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::{MessageBytes, NewMessage};

    /// An addition of `len` bytes to each of `folders`.
    fn add(folders: &[FolderId], len: usize) -> Waiting {
        let targets = folders
            .iter()
            .map(|f| {
                let m = NewMessage {
                    flags: Vec::new(),
                    internal_date: None,
                };
                (*f, m)
            })
            .collect();
        let bytes = MessageBytes::new(Vec::new(), Arc::new(vec![b'x'; len]));
        let (reply, _) = oneshot::channel();
        Waiting::Add(Addition {
            items: vec![Item::new(bytes, targets)],
            reply,
        })
    }

    fn folders(batch: &[Waiting]) -> Vec<Vec<FolderId>> {
        batch.iter().map(|w| w.folders().collect()).collect()
    }

    #[test]
    fn a_batch_passes_over_busy_folders_and_keeps_each_folders_order() {
        let mut waiting = VecDeque::from([
            add(&[1], 10),
            add(&[2, 3], 10),
            add(&[3], 10),
            add(&[4], 10),
        ]);
        let busy = HashMap::from([(2, 1)]);
        let batch = take_batch(&mut waiting, &busy);
        // [2, 3] waits for folder 2; [3] then waits behind it.
        assert_eq!(folders(&batch), [vec![1], vec![4]]);
        assert_eq!(folders(waiting.make_contiguous()), [vec![2, 3], vec![3]]);
        let batch = take_batch(&mut waiting, &HashMap::new());
        assert_eq!(folders(&batch), [vec![2, 3], vec![3]]);
        assert!(waiting.is_empty());
    }

    #[test]
    fn a_batch_stops_at_its_byte_limit_but_takes_one_large_write() {
        let mut waiting = VecDeque::from([add(&[1], MAX_BYTES + 1), add(&[1], 1)]);
        let batch = take_batch(&mut waiting, &HashMap::new());
        assert_eq!(batch.len(), 1, "a larger write goes alone");
        let mut waiting = VecDeque::from([
            add(&[1], MAX_BYTES / 2),
            add(&[2], MAX_BYTES / 2),
            add(&[3], 1),
        ]);
        assert_eq!(take_batch(&mut waiting, &HashMap::new()).len(), 2);
        assert_eq!(waiting.len(), 1);
    }
}
