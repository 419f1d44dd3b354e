//! The writes of a batch after its first flight ([`super::together`]), in as few round
//! trips as their order allows. A batch's writes (other than new messages) are runs of flag
//! changes, expunges and other writes, in arrival order. The write-back of a run of flag
//! changes, the expunges that follow it and the read of the next run of flag changes depend
//! on nothing the client must see first, so they go out in one flight; the server runs them
//! in that order, so each sees what the earlier left. Any other write ([`super::writes::Job`])
//! runs alone, after the write-back before it. The last write-back goes out with COMMIT
//! ([`crate::postgres::tx::Tx::at_commit`]).
//!
//! Invariants: the outcome is the one the writes would have had one after another: a run of
//! flag changes is settled in memory ([`flagbatch::settle`]) from a read made after every
//! earlier write of the batch, and its changes reach the database before any later write;
//! steps are noted for the change log in modseq order (a run's when settled, an expunge's
//! when its rows are back, before the next run is settled). Writes on a folder the batch did
//! not find (`ran` false) are skipped here and run alone later.

use super::writes::Other;
use crate::postgres::changes;
use crate::postgres::error::TxResult;
use crate::postgres::flagbatch::{self, Ask, Prepared, State};
use crate::postgres::tx::Tx;

/// Run `jobs[from..]` (the writes after the leading run of flag changes, settled in
/// `pending` if there was one: its write-back is not sent yet).
pub(super) async fn rest(
    tx: &mut Tx,
    st: &Prepared,
    jobs: &mut [Other],
    ran: &[bool],
    from: usize,
    mut pending: Option<State>,
) -> TxResult<()> {
    let expunge_st = changes::prepare_expunge(tx).await?;
    let mut i = from;
    while i < jobs.len() {
        if let Other::Run(job) = &mut jobs[i] {
            if let Some(s) = pending.take() {
                st.write(tx, &s).await?;
            }
            if ran[i] {
                job.run(tx).await?;
            }
            i += 1;
            continue;
        }
        // Expunges from here, then the run of flag changes after them.
        let mid = i + jobs[i..]
            .iter()
            .take_while(|j| matches!(j, Other::Expunge(_)))
            .count();
        let end = mid
            + jobs[mid..]
                .iter()
                .take_while(|j| matches!(j, Other::Flags(_)))
                .count();
        let expunges: Vec<(usize, i64, &[u32])> = (i..mid)
            .filter(|&k| ran[k])
            .filter_map(|k| match &jobs[k] {
                Other::Expunge(e) => Some((k, e.folder[0], e.uids.as_slice())),
                _ => None,
            })
            .collect();
        let (flag_at, asks): (Vec<usize>, Vec<&Ask>) = (mid..end)
            .filter(|&k| ran[k])
            .filter_map(|k| match &jobs[k] {
                Other::Flags(f) => Some((k, &f.ask)),
                _ => None,
            })
            .unzip();
        let t = &*tx;
        let write = async {
            match &pending {
                Some(s) => st.write(t, s).await,
                None => Ok(()),
            }
        };
        let removals = futures::future::try_join_all(
            expunges
                .iter()
                .map(|(_, folder, uids)| changes::expunge_rows(t, &expunge_st, *folder, uids)),
        );
        let read = async {
            if asks.is_empty() {
                return Ok(None);
            }
            st.read(t, &asks, false).await.map(Some)
        };
        let ((), rows, read) = futures::try_join!(write, removals, read)?;
        pending = None;
        let mut removed = Vec::with_capacity(expunges.len());
        for ((k, folder, uids), rows) in expunges.iter().zip(&rows) {
            removed.push((*k, changes::expunged(tx, *folder, uids, rows)?));
        }
        let mut outs = Vec::new();
        if let Some(mut state) = read {
            outs = flagbatch::settle(tx, &asks, &mut state)?;
            pending = Some(state);
        }
        drop(asks);
        for (k, r) in removed {
            if let Other::Expunge(e) = &mut jobs[k] {
                e.outcome = Some(r);
            }
        }
        for (k, out) in flag_at.into_iter().zip(outs) {
            if let Other::Flags(f) = &mut jobs[k] {
                f.outcome = Some(out);
            }
        }
        i = end;
    }
    if let Some(s) = pending {
        st.write_at_commit(tx, &s);
    }
    Ok(())
}
