//! FETCH and UID FETCH (RFC 9051 §6.4.5, §6.4.9), with CHANGEDSINCE and VANISHED
//! (RFC 7162 §3.1.4, §3.2.6).
//!
//! Invariants: a message expunged by another session and still in this session's view is
//! answered from the store's held copy (the client was told it exists and must be able to
//! read it); only one held past its time is skipped, the command ending
//! `NO [EXPUNGEISSUED]`; \Seen is set only
//! in a read-write mailbox and reported with FLAGS; output is flushed as it grows, so a large
//! FETCH never holds more than one group of messages and the send buffer in memory; stored metadata
//! (size, internal date, where the bytes are) is read for [`BATCH`] messages at a time, and
//! only when an item needs it; message bytes are read in groups of at most
//! [`READ_BATCH_BYTES`] (or one larger message), one store call a group; UID, FLAGS and
//! MODSEQ come from the view.

use std::sync::Arc;

use heron_proto_imap::fetch::Plan;
use heron_proto_imap::fetch_response;
use heron_proto_imap::response::{self, code};
use heron_proto_imap::seqset;
use heron_proto_imap::wire;
use heron_store::{FlagOp, MessageMeta, READ_BATCH_BYTES};
use imap_codec::imap_types::command::FetchModifier;
use imap_codec::imap_types::fetch::MacroOrMessageDataItemNames;
use imap_codec::imap_types::response::{Code, Data};
use imap_codec::imap_types::sequence::SequenceSet;

use crate::cx::InMailbox;
use crate::done::Done;
use crate::error::Result;
use crate::fetchitems::{self, Body};
use crate::structure;
use heron_message::flagsets::Flags;

/// Messages whose stored metadata is read in one store call.
const BATCH: usize = 256;

/// Run FETCH or UID FETCH.
pub async fn execute(
    m: &mut InMailbox<'_>,
    set: SequenceSet,
    what: MacroOrMessageDataItemNames<'_>,
    uid: bool,
    modifiers: Vec<FetchModifier>,
) -> Result<Done> {
    let mut changed_since = None;
    let mut vanished = false;
    for modifier in modifiers {
        match modifier {
            FetchModifier::ChangedSince(n) => changed_since = Some(n.get()),
            FetchModifier::Vanished => vanished = true,
        }
    }
    // RFC 7162 §3.2.6: VANISHED needs QRESYNC, UID FETCH and CHANGEDSINCE.
    if vanished && !(m.enabled.qresync && uid && changed_since.is_some()) {
        return Ok(Done::bad(
            "VANISHED requires QRESYNC, UID FETCH and CHANGEDSINCE",
        ));
    }
    let plan = heron_proto_imap::fetch::plan(what, uid, changed_since.is_some());
    if changed_since.is_some() || heron_proto_imap::fetch::wants_modseq(&plan) {
        m.enabled.condstore = true;
    }
    let Ok(indexes) = m.view.resolve(&set, uid) else {
        return Ok(Done::bad("invalid message sequence number"));
    };
    if let (true, Some(since)) = (vanished, changed_since) {
        send_vanished(m, &set, since).await?;
    }
    let mut missing = false;
    for chunk in indexes.chunks(BATCH) {
        let stored = stored_meta(m, &plan, chunk, changed_since).await?;
        let mut rest = chunk;
        while !rest.is_empty() {
            let (group, bodies) = read_bodies(m, &plan, rest, &stored).await?;
            rest = &rest[group.len()..];
            for (&i, raw) in group.iter().zip(bodies) {
                match fetch_one(m, &plan, i, &stored, changed_since, raw).await? {
                    One::Sent | One::Skipped => {}
                    One::Gone => missing = true,
                    One::UnknownCte => {
                        // RFC 3516 §4.3: a transfer encoding the server cannot decode.
                        return Ok(
                            Done::no("unknown Content-Transfer-Encoding").with(Code::UnknownCte)
                        );
                    }
                }
                m.wire.flush_if_large().await?;
            }
        }
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

/// The stored metadata of the messages at view positions `chunk` that the plan needs it for
/// (none unless it does), in UID order. A message expunged by another session that this one
/// has not announced yet is read from the store's held messages; one missing from both (held
/// past its time) is left out.
async fn stored_meta(
    m: &InMailbox<'_>,
    plan: &Plan,
    chunk: &[usize],
    changed_since: Option<u64>,
) -> Result<Vec<MessageMeta>> {
    if !plan.needs_meta {
        return Ok(Vec::new());
    }
    let sel = &*m.view;
    let uids: Vec<u32> = chunk
        .iter()
        .filter_map(|&i| sel.get(i))
        .filter(|x| changed_since.is_none_or(|c| x.modseq > c))
        .map(|x| x.uid)
        .collect();
    if uids.is_empty() {
        return Ok(Vec::new());
    }
    let (ghosts, live): (Vec<u32>, Vec<u32>) = uids.iter().partition(|u| sel.ghosts.contains(u));
    // The date, size and blob of messages read before are kept (`crate::metacache`).
    let (mut found, unknown) = m.svc.metas.split(sel.folder.id, &live);
    if !unknown.is_empty() {
        let read = m.store().get_messages(sel.folder.id, &unknown).await?;
        m.svc.metas.keep(&read);
        found.extend(read);
        found.sort_unstable_by_key(|x| x.uid);
    }
    // Expunged since this session last looked, or already known as expunged.
    let mut gone = ghosts;
    if found.len() < live.len() {
        gone.extend(
            live.iter()
                .filter(|u| found.binary_search_by_key(*u, |x| x.uid).is_err()),
        );
    }
    if !gone.is_empty() {
        found.extend(m.store().held_messages(sel.folder.id, &gone).await?);
        found.sort_unstable_by_key(|x| x.uid);
    }
    Ok(found)
}

/// The bytes of the first messages of `rest` (view positions) that fit in one read of at
/// most [`READ_BATCH_BYTES`] (at least one message), when the plan needs bodies: the group's
/// positions and, for each, its bytes (`None` when not needed, not stored or gone).
async fn read_bodies<'r>(
    m: &InMailbox<'_>,
    plan: &Plan,
    rest: &'r [usize],
    stored: &[MessageMeta],
) -> Result<(&'r [usize], Vec<Option<Arc<[u8]>>>)> {
    if !plan.needs_body {
        return Ok((rest, vec![None; rest.len()]));
    }
    let meta_of = |i: usize| {
        let uid = m.view.get(i)?.uid;
        stored
            .binary_search_by_key(&uid, |x| x.uid)
            .ok()
            .and_then(|k| stored.get(k))
    };
    let (mut n, mut bytes, mut wanted) = (0, 0u64, Vec::new());
    for &i in rest {
        let meta = meta_of(i);
        let size = meta.map_or(0, |x| x.size);
        if n > 0 && bytes + size > READ_BATCH_BYTES {
            break;
        }
        n += 1;
        bytes += size;
        wanted.push(meta.cloned());
    }
    let metas: Vec<MessageMeta> = wanted.iter().flatten().cloned().collect();
    let mut read = m.store().read_messages(&metas).await?.into_iter();
    let bodies = wanted
        .iter()
        .map(|w| w.as_ref().and_then(|_| read.next().flatten()))
        .collect();
    Ok((&rest[..n], bodies))
}

/// Queue the FETCH response of the message at view position `i`; `stored` holds its
/// metadata when the plan needs it (see [`stored_meta`]), `raw` its bytes when the plan
/// needs them ([`read_bodies`]).
async fn fetch_one(
    m: &mut InMailbox<'_>,
    plan: &Plan,
    i: usize,
    stored: &[MessageMeta],
    changed_since: Option<u64>,
    raw: Option<Arc<[u8]>>,
) -> Result<One> {
    let sel = &*m.view;
    let Some(msg) = sel.get(i) else {
        return Ok(One::Skipped);
    };
    if changed_since.is_some_and(|c| msg.modseq <= c) {
        return Ok(One::Skipped);
    }
    // Owned: marking \Seen below changes the view.
    let (uid, mut modseq, mut flags) = (msg.uid, msg.modseq, msg.flags.as_str().to_owned());
    let ghost = sel.ghosts.contains(&uid);
    let meta = match stored.binary_search_by_key(&uid, |x| x.uid) {
        Ok(k) => stored.get(k),
        // Expunged by another session and no longer held: its bytes are gone.
        Err(_) if plan.needs_meta => return Ok(One::Gone),
        Err(_) => None,
    };
    if plan.needs_body && meta.is_some() && raw.is_none() {
        // Its bytes are gone: expunged and released since the metadata was read.
        return Ok(One::Gone);
    }
    let mut seen_now = false;
    if plan.sets_seen
        && !ghost
        && let Some((new_modseq, new_flags)) = mark_seen(m, uid, Flags::joined(&flags)).await?
    {
        (modseq, flags, seen_now) = (new_modseq, new_flags.join(" "), true);
    }
    let root = raw
        .as_deref()
        .map(|r| structure::of(meta.map(|m| m.blob.as_str()), r));
    let body = match (&raw, &root) {
        (Some(r), Some(root)) => Some(Body { raw: r, root }),
        _ => None,
    };
    let item = fetchitems::Item {
        uid,
        modseq,
        flags: Flags::joined(&flags),
        recent: m.view.is_recent(uid),
        stored: meta,
    };
    let Ok(items) = fetchitems::build(plan, &item, body.as_ref(), seen_now) else {
        return Ok(One::UnknownCte);
    };
    m.push(&fetch_response::fetch(wire::nz(i as u32 + 1), items));
    Ok(One::Sent)
}

/// Set \Seen on a message of a read-write mailbox (`flags` are its flags in the view);
/// returns its new modseq and flags when the flag was newly set.
async fn mark_seen(
    m: &mut InMailbox<'_>,
    uid: u32,
    flags: Flags<'_>,
) -> Result<Option<(u64, Vec<String>)>> {
    // RFC 4314 §4: \Seen is set only with the "s" right.
    if m.view.read_only || !m.view.rights.contains('s') || flags.has("\\Seen") {
        return Ok(None);
    }
    let folder = m.view.folder.id;
    let upd = m
        .store()
        .store_flags(folder, &[uid], FlagOp::Add, &["\\Seen".to_owned()], None)
        .await?;
    let Some((_, modseq, flags)) = upd.changed.into_iter().next() else {
        return Ok(None);
    };
    m.view.set_flags(uid, modseq, &flags);
    Ok(Some((modseq, flags)))
}

/// `* VANISHED (EARLIER) uids`: UIDs of the set expunged since `since` (RFC 7162 §3.2.6).
async fn send_vanished(m: &mut InMailbox<'_>, set: &SequenceSet, since: u64) -> Result<()> {
    let max = m.view.uidnext();
    let mut gone: Vec<u32> = m
        .store()
        .vanished_since(m.view.folder.id, since)
        .await?
        .into_iter()
        .filter(|&u| seqset::contains(set, u, max))
        .collect();
    gone.sort_unstable();
    gone.dedup();
    if let Some(known_uids) = seqset::to_set_ordered(&gone) {
        m.push(&response::data(Data::Vanished {
            earlier: true,
            known_uids,
        }));
    }
    Ok(())
}
