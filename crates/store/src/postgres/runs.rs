//! Runs of flag changes and expunges in a group-commit batch ([`super::group`]): the flag
//! changes and expunges that follow one another in a batch are read in one statement, settled
//! in memory one after another, and written back in one flight, whatever their number,
//! instead of two round trips each (the folder rows are already locked by the batch).
//!
//! Invariants: the result is the one the writes would have had one after another in their
//! order: each sees what the earlier ones left (a UID changed twice ends with the later
//! change; a UID expunged is missing for every later write), each write that changes
//! anything gets the next modseq of its folder, and its answer ([`FlagUpdate`], or the UIDs
//! an expunge removed) is the one it would have had alone, by the rules of
//! [`crate::rules::flags`] and [`super::changes`]. The read is made with every folder of the
//! run locked, and every write of a message locks its folder first, so what was read is what
//! the write-back finds: the write-back checks that each expunged row was there and fails
//! the batch otherwise. A write runs merged only inside a batch that locked and found every
//! folder of it. Each write that changed anything is noted for the change log as its own
//! step, with the messages as it left them.

use std::collections::HashMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use tokio::sync::oneshot;
use tokio_postgres::Statement;
use tokio_postgres::types::ToSql;

use super::PgStore;
use super::error::{TxResult, not_found};
use super::group::LOCK_FOLDERS;
use super::tx::{Param, Tx};
use crate::changelog::{Change, CountDelta, Step};
use crate::error::{Result, StoreError};
use crate::events::Event;
use crate::model::{EXPUNGED_HOLD_SECS, FlagOp, FlagUpdate, FolderId, MessageMeta, UserId};
use crate::rules::flags::{self, Outcome};
use crate::rules::now;

/// What one STORE asks.
pub(crate) struct Ask {
    /// One folder, as a slice for the batch's lock list.
    pub folder: [FolderId; 1],
    pub uids: Vec<u32>,
    pub op: FlagOp,
    pub flags: Vec<String>,
    pub unchanged_since: Option<u64>,
}

/// One STORE waiting for a batch: what it asks, and where its answer goes.
pub(crate) struct FlagJob {
    pub ask: Ask,
    /// Its answer from the batch, sent once the batch committed.
    pub outcome: Option<FlagUpdate>,
    pub reply: oneshot::Sender<Result<FlagUpdate>>,
}

impl FlagJob {
    /// Run alone, in its own transaction (relaxed commit), and answer.
    pub(crate) fn alone(self, store: &PgStore) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let ask = &self.ask;
            let r: Result<FlagUpdate> = async {
                write_tx!(store, |tx| {
                    tx.t.batch_execute(super::group::ASYNC_COMMIT).await?;
                    let mut out = apply(&mut tx, &[ask], true).await?;
                    Ok(out.pop().unwrap_or_default())
                })
            }
            .await;
            let _ = self.reply.send(r);
        })
    }

    /// Answer once the batch that ran it committed.
    pub(crate) fn answer(self) {
        let r = self
            .outcome
            .ok_or_else(|| StoreError::Db("a flag change was not run".into()));
        let _ = self.reply.send(r);
    }
}

/// One write of a run, as the run settles it.
#[derive(Clone, Copy)]
pub(crate) enum Act<'a> {
    Flags(&'a Ask),
    /// An expunge of these UIDs of the folder.
    Expunge(FolderId, &'a [u32]),
}

impl Act<'_> {
    fn folder(&self) -> FolderId {
        match self {
            Act::Flags(a) => a.folder[0],
            Act::Expunge(f, _) => *f,
        }
    }

    fn uids(&self) -> &[u32] {
        match self {
            Act::Flags(a) => &a.uids,
            Act::Expunge(_, uids) => uids,
        }
    }
}

/// The answer of one [`Act`].
pub(crate) enum Answer {
    Flags(FlagUpdate),
    /// The UIDs removed, in the order asked.
    Expunged(Vec<u32>),
}

/// A message as the run has left it so far.
struct Current {
    meta: MessageMeta,
    /// Changed by the run: written back at the end.
    dirty: bool,
    /// Expunged by the run, at this modseq: removed at the end (after its write-back, so the
    /// row held for sessions that still see it has the flags the run left).
    gone: Option<u64>,
}

/// A folder as the run has left it so far.
struct FolderState {
    owner: UserId,
    highest: u64,
    /// Its HIGHESTMODSEQ was raised by the run: written back at the end.
    raised: bool,
}

/// What the run read, changed in memory as it goes.
pub(crate) struct State {
    folders: HashMap<FolderId, FolderState>,
    messages: HashMap<(FolderId, u32), Current>,
}

/// Apply `asks` (flag changes), one after another in meaning, in two round trips: the
/// folders' owners and HIGHESTMODSEQs with every asked message ([`Prepared::read`]), then
/// every changed message and every raised folder ([`Prepared::write`]). With `lock`, the
/// folders' rows are locked first, in the same flight (otherwise the caller holds them). The
/// answers, in the order asked.
pub(crate) async fn apply(tx: &mut Tx, asks: &[&Ask], lock: bool) -> TxResult<Vec<FlagUpdate>> {
    let st = Prepared::prepare(tx).await?;
    let acts: Vec<Act<'_>> = asks.iter().map(|a| Act::Flags(a)).collect();
    let mut state = st.read(tx, &acts, lock).await?;
    let outs = settle(tx, &acts, &mut state)?;
    st.write(tx, &state).await?;
    Ok(outs
        .into_iter()
        .filter_map(|a| match a {
            Answer::Flags(u) => Some(u),
            Answer::Expunged(_) => None,
        })
        .collect())
}

/// `acts` applied in order to `state` (as [`Prepared::read`] read it for them, or a wider
/// read): their answers.
pub(crate) fn settle(tx: &mut Tx, acts: &[Act<'_>], state: &mut State) -> TxResult<Vec<Answer>> {
    acts.iter()
        .map(|act| match act {
            Act::Flags(ask) => apply_one(tx, ask, state).map(Answer::Flags),
            Act::Expunge(folder, uids) => {
                expunge_one(tx, *folder, uids, state).map(Answer::Expunged)
            }
        })
        .collect()
}

/// The statements of runs, prepared before the flights they go out in (so each is sent the
/// moment it is first polled, in order).
pub(crate) struct Prepared {
    lock: Statement,
    folders: Statement,
    rows: Statement,
    set_rows: Statement,
    remove: Statement,
    set_folders: Statement,
}

impl Prepared {
    /// Prepare (or find cached) the statements.
    pub(crate) async fn prepare(tx: &Tx) -> TxResult<Self> {
        let (lock, folders, rows, remove, (set_rows, set_folders)) = futures::try_join!(
            tx.t.prepare_cached(LOCK_FOLDERS),
            tx.t.prepare_cached(
                "SELECT id, user_id, highestmodseq FROM folders WHERE id = ANY($1)"
            ),
            tx.t.prepare_cached(
                "SELECT m.folder_id, m.uid, m.flags, m.modseq, m.internal_date, m.size, m.blob_id \
                 FROM messages m \
                 JOIN (SELECT DISTINCT f, u FROM unnest($1::bigint[], $2::bigint[]) AS w (f, u)) w \
                 ON m.folder_id = w.f AND m.uid = w.u",
            ),
            tx.t.prepare_cached(super::changes::EXPUNGE_SETTLED),
            WriteBack::prepare(tx)
        )?;
        Ok(Self {
            lock,
            folders,
            rows,
            set_rows,
            remove,
            set_folders,
        })
    }

    /// Write back every message and folder the run of `state` changed and remove the
    /// messages it expunged, in one flight (sent when first polled).
    pub(crate) async fn write(&self, tx: &Tx, state: &State) -> TxResult<()> {
        Ok(tx.execute_all(&self.writes(state)).await?)
    }

    /// Like [`Self::write`], but the writes go out in the commit's flight.
    pub(crate) fn write_at_commit(&self, tx: &mut Tx, state: &State) {
        for (st, params) in self.writes(state) {
            tx.at_commit(st, params);
        }
    }

    /// The write-back of `state`, in the order it must run: the changed rows, the expunged
    /// rows' removal (after their flags are written, so the held copy has them), the raised
    /// folders. Nothing when the run changed nothing.
    fn writes(&self, state: &State) -> Vec<(Statement, Vec<Param>)> {
        let Some(w) = WriteBack::of(state) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(3);
        if !w.set_f.is_empty() {
            let params: Vec<Param> = vec![
                Box::new(w.set_f),
                Box::new(w.set_u),
                Box::new(w.set_flags),
                Box::new(w.set_m),
            ];
            out.push((self.set_rows.clone(), params));
        }
        if !w.gone_u.is_empty() {
            let gone = w.gone_u.len() as i64;
            let params: Vec<Param> = vec![
                Box::new(w.gone_f),
                Box::new(w.gone_u),
                Box::new(w.gone_m),
                Box::new(now() + EXPUNGED_HOLD_SECS),
                Box::new(gone),
            ];
            out.push((self.remove.clone(), params));
        }
        out.push((
            self.set_folders.clone(),
            vec![Box::new(w.raised), Box::new(w.to)],
        ));
        out
    }

    /// The folders of `acts` and the messages they name, read in one flight (after the
    /// folder locks, with `lock`); every statement is sent when this is first polled.
    pub(crate) async fn read(&self, tx: &Tx, acts: &[Act<'_>], lock: bool) -> TxResult<State> {
        let mut folders: Vec<FolderId> = acts.iter().map(Act::folder).collect();
        folders.sort_unstable();
        folders.dedup();
        let (mut want_f, mut want_u) = (Vec::new(), Vec::new());
        for a in acts {
            for &u in a.uids() {
                want_f.push(a.folder());
                want_u.push(i64::from(u));
            }
        }
        let folders_params: [&(dyn ToSql + Sync); 1] = [&folders];
        let rows_params: [&(dyn ToSql + Sync); 2] = [&want_f, &want_u];
        let locked = async {
            if lock {
                tx.t.query(&self.lock, &folders_params).await?;
            }
            Ok(())
        };
        let ((), folder_rows, rows) = futures::try_join!(
            locked,
            tx.t.query(&self.folders, &folders_params),
            tx.t.query(&self.rows, &rows_params)
        )?;
        let mut state = State {
            folders: HashMap::with_capacity(folder_rows.len()),
            messages: HashMap::with_capacity(rows.len()),
        };
        for r in &folder_rows {
            let folder = FolderState {
                owner: r.try_get(1)?,
                highest: r.try_get::<_, i64>(2)? as u64,
                raised: false,
            };
            state.folders.insert(r.try_get(0)?, folder);
        }
        for r in &rows {
            let (folder, uid): (FolderId, u32) = (r.try_get(0)?, r.try_get::<_, i64>(1)? as u32);
            let meta = MessageMeta {
                folder_id: folder,
                uid,
                flags: flags::from_text(r.try_get(2)?),
                modseq: r.try_get::<_, i64>(3)? as u64,
                internal_date: r.try_get(4)?,
                size: r.try_get::<_, i64>(5)? as u64,
                blob: r.try_get(6)?,
            };
            let c = Current {
                meta,
                dirty: false,
                gone: None,
            };
            state.messages.insert((folder, uid), c);
        }
        Ok(state)
    }
}

/// One ask applied to `state` by the rules of [`crate::rules::flags`]: its answer; a change
/// takes the folder's next modseq and is noted for the change log and the bus.
fn apply_one(tx: &mut Tx, ask: &Ask, state: &mut State) -> TxResult<FlagUpdate> {
    let folder = ask.folder[0];
    let Some(f) = state.folders.get_mut(&folder) else {
        return Err(not_found(format!("folder #{folder}")));
    };
    let modseq = f.highest + 1;
    let mut out = FlagUpdate::default();
    let (mut logged, mut counts) = (Vec::new(), CountDelta::default());
    for &uid in &ask.uids {
        let Some(c) = state
            .messages
            .get_mut(&(folder, uid))
            .filter(|c| c.gone.is_none())
        else {
            out.missing.push(uid);
            continue;
        };
        let m = &mut c.meta;
        match flags::outcome(&m.flags, m.modseq, ask.op, &ask.flags, ask.unchanged_since) {
            Outcome::Conflict => out.modified.push(uid),
            Outcome::Same => {}
            Outcome::Changed(new) => {
                let old = flags::to_text(&m.flags);
                (m.flags, m.modseq, c.dirty) = (new.clone(), modseq, true);
                counts = counts.plus(CountDelta::reflagged(&old, &flags::to_text(&new), m.size));
                logged.push(Change::Meta(Arc::new(m.clone())));
                out.changed.push((uid, modseq, new));
            }
        }
    }
    if !out.changed.is_empty() {
        (f.highest, f.raised) = (modseq, true);
        tx.logged(Step::at(folder, modseq, logged, counts));
        tx.emit(Event::Mailbox {
            user_id: f.owner,
            folder_id: folder,
        });
    }
    Ok(out)
}

/// An expunge of `uids` of `folder` applied to `state` as [`super::changes::expunge_tx`]
/// would run it: the UIDs removed, in the order asked, each once; when any was removed, the
/// expunge takes the folder's next modseq and is noted for the change log and the bus.
fn expunge_one(
    tx: &mut Tx,
    folder: FolderId,
    uids: &[u32],
    state: &mut State,
) -> TxResult<Vec<u32>> {
    let Some(f) = state.folders.get_mut(&folder) else {
        return Err(not_found(format!("folder #{folder}")));
    };
    let modseq = f.highest + 1;
    let (mut removed, mut counts) = (Vec::new(), CountDelta::default());
    for &uid in uids {
        let Some(c) = state
            .messages
            .get_mut(&(folder, uid))
            .filter(|c| c.gone.is_none())
        else {
            continue;
        };
        c.gone = Some(modseq);
        let m = &c.meta;
        counts = counts.plus(CountDelta::of(&flags::to_text(&m.flags), m.size, -1));
        removed.push(uid);
    }
    if !removed.is_empty() {
        (f.highest, f.raised) = (modseq, true);
        let changes = removed.iter().map(|&uid| Change::Gone(uid)).collect();
        tx.logged(Step::at(folder, modseq, changes, counts));
        tx.emit(Event::Mailbox {
            user_id: f.owner,
            folder_id: folder,
        });
    }
    Ok(removed)
}

/// What a run changed, as the write-back statements' parameters.
struct WriteBack {
    set_f: Vec<FolderId>,
    set_u: Vec<i64>,
    set_flags: Vec<String>,
    set_m: Vec<i64>,
    gone_f: Vec<FolderId>,
    gone_u: Vec<i64>,
    gone_m: Vec<i64>,
    raised: Vec<FolderId>,
    to: Vec<i64>,
}

impl WriteBack {
    /// The changes in `state`, or `None` when the run changed nothing.
    fn of(state: &State) -> Option<Self> {
        let (mut set_f, mut set_u, mut set_flags, mut set_m) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut gone_f, mut gone_u, mut gone_m) = (Vec::new(), Vec::new(), Vec::new());
        for ((f, u), c) in &state.messages {
            if c.dirty {
                set_f.push(*f);
                set_u.push(i64::from(*u));
                set_flags.push(flags::to_text(&c.meta.flags));
                set_m.push(c.meta.modseq as i64);
            }
            if let Some(at) = c.gone {
                gone_f.push(*f);
                gone_u.push(i64::from(*u));
                gone_m.push(at as i64);
            }
        }
        let (mut raised, mut to) = (Vec::new(), Vec::new());
        for (id, f) in state.folders.iter().filter(|(_, f)| f.raised) {
            raised.push(*id);
            to.push(f.highest as i64);
        }
        if raised.is_empty() {
            return None;
        }
        Some(Self {
            set_f,
            set_u,
            set_flags,
            set_m,
            gone_f,
            gone_u,
            gone_m,
            raised,
            to,
        })
    }

    /// The messages' and the folders' update statements.
    async fn prepare(
        tx: &Tx,
    ) -> std::result::Result<(Statement, Statement), tokio_postgres::Error> {
        futures::try_join!(
            tx.t.prepare_cached(
                "UPDATE messages m SET flags = d.flags, modseq = d.modseq \
                 FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[]) \
                 AS d (f, u, flags, modseq) WHERE m.folder_id = d.f AND m.uid = d.u",
            ),
            tx.t.prepare_cached(
                "UPDATE folders f SET highestmodseq = d.m \
                 FROM unnest($1::bigint[], $2::bigint[]) AS d (id, m) WHERE f.id = d.id",
            )
        )
    }
}
