//! The writes of a batch after its first flight ([`super::together`]), in as few round
//! trips as their order allows. A batch's writes (other than new messages) are runs of flag
//! changes and expunges, settled in memory ([`runs`]), between other writes
//! ([`super::writes::Job`]), in arrival order. The leading run is read in the first flight;
//! an other write runs after the write-back of the run before it, and the run after it is
//! read then. The last run's write-back goes out with COMMIT
//! ([`crate::postgres::tx::Tx::at_commit`]), so a batch without other writes takes two round
//! trips whatever it holds.
//!
//! Invariants: the outcome is the one the writes would have had one after another: a run
//! is settled from a read made after every earlier write of the batch, and its changes reach
//! the database before any later write; steps are noted for the change log in modseq order
//! (a run's as it is settled, an other write's as it runs). Writes on a folder the batch did
//! not find (`ran` false) are skipped here and run alone later.

use std::ops::Range;

use super::writes::Other;
use crate::postgres::error::TxResult;
use crate::postgres::runs::{self, Act, Answer, Prepared, State};
use crate::postgres::tx::Tx;

/// The end of the run of flag changes and expunges starting at `from`.
pub(super) fn run_end(jobs: &[Other], from: usize) -> usize {
    from + jobs[from..]
        .iter()
        .take_while(|j| !matches!(j, Other::Run(_)))
        .count()
}

/// The writes of `jobs[range]` (a run) that `ran`, as acts, with their places in `jobs`.
pub(super) fn acts<'a>(
    jobs: &'a [Other],
    range: Range<usize>,
    ran: &[bool],
) -> (Vec<usize>, Vec<Act<'a>>) {
    range
        .filter(|&k| ran[k])
        .filter_map(|k| match &jobs[k] {
            Other::Flags(f) => Some((k, Act::Flags(&f.ask))),
            Other::Expunge(e) => Some((k, Act::Expunge(e.folder[0], &e.uids))),
            Other::Run(_) => None,
        })
        .unzip()
}

/// Keep each answer of a settled run for the write at its place in `jobs`.
pub(super) fn keep(jobs: &mut [Other], at: Vec<usize>, answers: Vec<Answer>) {
    for (k, answer) in at.into_iter().zip(answers) {
        match (&mut jobs[k], answer) {
            (Other::Flags(f), Answer::Flags(out)) => f.outcome = Some(out),
            (Other::Expunge(e), Answer::Expunged(out)) => e.outcome = Some(out),
            _ => {}
        }
    }
}

/// Run `jobs[from..]` (the writes after the leading run, settled in `pending` if there was
/// one: its write-back is not sent yet).
pub(super) async fn rest(
    tx: &mut Tx,
    st: &Prepared,
    jobs: &mut [Other],
    ran: &[bool],
    from: usize,
    mut pending: Option<State>,
) -> TxResult<()> {
    let mut i = from;
    while i < jobs.len() {
        // An other write: after the write-back before it.
        if let Some(s) = pending.take() {
            st.write(tx, &s).await?;
        }
        if ran[i]
            && let Other::Run(job) = &mut jobs[i]
        {
            job.run(tx).await?;
        }
        let end = run_end(jobs, i + 1);
        let (at, acts) = acts(jobs, i + 1..end, ran);
        if !acts.is_empty() {
            let mut state = st.read(tx, &acts, false).await?;
            let answers = runs::settle(tx, &acts, &mut state)?;
            drop(acts);
            keep(jobs, at, answers);
            pending = Some(state);
        }
        i = end;
    }
    if let Some(s) = pending {
        st.write_at_commit(tx, &s);
    }
    Ok(())
}
