//! FETCH and UID FETCH (RFC 9051 §6.4.5, §6.4.9), with CHANGEDSINCE and VANISHED
//! (RFC 7162 §3.1.4, §3.2.6).
//!
//! Invariants: a message whose bytes are gone (expunged by another session, still in this
//! session's view) is skipped and the command ends `NO [EXPUNGEISSUED]`; \Seen is set only
//! in a read-write mailbox and reported with FLAGS; output is flushed as it grows, so a large
//! FETCH never holds more than one message and the send buffer in memory.

use heron_store::{FlagOp, StoreError};
use imap_codec::imap_types::command::FetchModifier;
use imap_codec::imap_types::core::Vec1;
use imap_codec::imap_types::fetch::MacroOrMessageDataItemNames;
use imap_codec::imap_types::response::{Code, Data};
use imap_codec::imap_types::sequence::SequenceSet;

use crate::error::Result;
use crate::fetchitems::{self, Body};
use crate::response::{self, Done, code};
use crate::seqset;
use crate::session::Session;
use crate::{mime, wire};

/// Run FETCH or UID FETCH.
pub async fn execute(
    s: &mut Session<'_>,
    set: SequenceSet,
    what: MacroOrMessageDataItemNames<'_>,
    uid: bool,
    modifiers: Vec<FetchModifier>,
) -> Result<Done> {
    let mut changed_since = None;
    let mut vanished = false;
    for m in modifiers {
        match m {
            FetchModifier::ChangedSince(n) => changed_since = Some(n.get()),
            FetchModifier::Vanished => vanished = true,
        }
    }
    // RFC 7162 §3.2.6: VANISHED needs QRESYNC, UID FETCH and CHANGEDSINCE.
    if vanished && !(s.enabled.qresync && uid && changed_since.is_some()) {
        return Ok(Done::bad(
            "VANISHED requires QRESYNC, UID FETCH and CHANGEDSINCE",
        ));
    }
    let plan = match fetchitems::plan(what, uid, changed_since.is_some()) {
        Ok(p) => p,
        Err(why) => return Ok(Done::bad(why)),
    };
    if changed_since.is_some() || fetchitems::wants_modseq(&plan) {
        s.enabled.condstore = true;
    }
    let Some(sel) = s.selected.as_ref() else {
        return Ok(Done::bad("no mailbox selected"));
    };
    let Ok(indexes) = sel.resolve(&set, uid) else {
        return Ok(Done::bad("invalid message sequence number"));
    };
    if let (true, Some(since)) = (vanished, changed_since) {
        send_vanished(s, &set, since).await?;
    }
    let mut missing = false;
    for i in indexes {
        match fetch_one(s, &plan, i, changed_since).await? {
            One::Sent | One::Skipped => {}
            One::Gone => missing = true,
            One::UnknownCte => {
                // RFC 3516 §4.3: a transfer encoding the server cannot decode.
                return Ok(Done::no("unknown Content-Transfer-Encoding").with(Code::UnknownCte));
            }
        }
        s.flush_if_large().await?;
    }
    if missing {
        return Ok(Done::no("some messages were expunged").with(code("EXPUNGEISSUED")));
    }
    Ok(Done::ok("FETCH completed"))
}

/// What became of one message of a FETCH.
enum One {
    Sent,
    /// Not changed since CHANGEDSINCE.
    Skipped,
    /// Its bytes are gone (expunged elsewhere).
    Gone,
    UnknownCte,
}

/// Queue the FETCH response of the message at view position `i`.
async fn fetch_one(
    s: &mut Session<'_>,
    plan: &fetchitems::Plan,
    i: usize,
    changed_since: Option<u64>,
) -> Result<One> {
    let Some(sel) = s.selected.as_ref() else {
        return Ok(One::Skipped);
    };
    let Some(meta) = sel.msgs.get(i).cloned() else {
        return Ok(One::Skipped);
    };
    if changed_since.is_some_and(|c| meta.modseq <= c) {
        return Ok(One::Skipped);
    }
    let ghost = sel.ghosts.contains(&meta.uid);
    let raw = if plan.needs_body {
        match s.store().read_message(&meta).await {
            Ok(b) => Some(b),
            Err(StoreError::NotFound(_)) => return Ok(One::Gone),
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    let (meta, seen_now) = if plan.sets_seen && !ghost {
        mark_seen(s, meta).await?
    } else {
        (meta, false)
    };
    let root = raw.as_deref().map(mime::parse);
    let body = match (&raw, &root) {
        (Some(r), Some(root)) => Some(Body { raw: r, root }),
        _ => None,
    };
    let Ok(items) = fetchitems::build(plan, &meta, body.as_ref(), seen_now) else {
        return Ok(One::UnknownCte);
    };
    if let Ok(items) = Vec1::try_from(items) {
        s.push(&response::data(Data::Fetch {
            seq: wire::nz(i as u32 + 1),
            items,
        }));
    }
    Ok(One::Sent)
}

/// Set \Seen on a message of a read-write mailbox; returns its new metadata and whether
/// the flag was newly set.
async fn mark_seen(
    s: &mut Session<'_>,
    mut meta: heron_store::MessageMeta,
) -> Result<(heron_store::MessageMeta, bool)> {
    let Some(sel) = s.selected.as_ref() else {
        return Ok((meta, false));
    };
    if sel.read_only || meta.flags.iter().any(|f| f == "\\Seen") {
        return Ok((meta, false));
    }
    let folder = sel.folder.id;
    let upd = s
        .store()
        .store_flags(
            folder,
            &[meta.uid],
            FlagOp::Add,
            &["\\Seen".to_owned()],
            None,
        )
        .await?;
    let Some((_, modseq, flags)) = upd.changed.into_iter().next() else {
        return Ok((meta, false));
    };
    if let Some(sel) = s.selected.as_mut() {
        sel.set_flags(meta.uid, modseq, flags.clone());
    }
    meta.flags = flags;
    meta.modseq = modseq;
    Ok((meta, true))
}

/// `* VANISHED (EARLIER) uids`: UIDs of the set expunged since `since` (RFC 7162 §3.2.6).
async fn send_vanished(s: &mut Session<'_>, set: &SequenceSet, since: u64) -> Result<()> {
    let Some(sel) = s.selected.as_ref() else {
        return Ok(());
    };
    let max = sel.uidnext();
    let mut gone: Vec<u32> = s
        .store()
        .vanished_since(sel.folder.id, since)
        .await?
        .into_iter()
        .filter(|&u| seqset::contains(set, u, max))
        .collect();
    gone.sort_unstable();
    gone.dedup();
    if let Some(known_uids) = seqset::to_set_ordered(&gone) {
        s.push(&response::data(Data::Vanished {
            earlier: true,
            known_uids,
        }));
    }
    Ok(())
}
