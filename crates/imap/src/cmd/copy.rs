//! COPY and UID COPY (RFC 9051 §6.4.7) with COPYUID (RFC 4315); MOVE shares the transfer
//! ([`transfer`], RFC 6851).
//!
//! Invariants: a missing target gets `NO [TRYCREATE]`; copies count against the quota (their
//! sizes read from the store, the session's view does not keep them);
//! COPYUID pairs source and new UIDs in the same order; a MOVE is one store transaction,
//! announced as `* OK [COPYUID ...]` then the expunges, then the tagged OK; copies into
//! and moves out of the Junk mailbox teach the spam classifier ([`crate::learn`]).

use heron_proto_imap::response::{self, code};
use heron_proto_imap::wire::nz;
use heron_store::FlagOp;
use imap_codec::imap_types::core::Vec1;
use imap_codec::imap_types::extensions::uidplus::{UidElement, UidSet};
use imap_codec::imap_types::mailbox::Mailbox;
use imap_codec::imap_types::response::{Code, StatusKind};
use imap_codec::imap_types::sequence::SequenceSet;

use crate::access::{flag_allowed, is_foreign, noperm, resolve};
use crate::cx::InMailbox;
use crate::done::Done;
use crate::error::Result;
use crate::mailbox::{name_of, nonexistent};
use crate::updates;

/// Run COPY or UID COPY.
pub async fn execute(
    m: &mut InMailbox<'_>,
    set: SequenceSet,
    mailbox: Mailbox<'_>,
    uid: bool,
) -> Result<Done> {
    transfer(m, set, mailbox, uid, false).await
}

/// Copy (or, with `moving`, move) messages to another mailbox.
pub async fn transfer(
    m: &mut InMailbox<'_>,
    set: SequenceSet,
    mailbox: Mailbox<'_>,
    uid: bool,
    moving: bool,
) -> Result<Done> {
    let name = match name_of(m.enabled.utf8, &mailbox) {
        Ok(n) => n,
        Err(d) => return Ok(d),
    };
    let Some(access) = resolve(&**m.store(), m.user, &name).await? else {
        if is_foreign(&name) {
            return Ok(nonexistent());
        }
        return Ok(Done::no("no such mailbox").with(Code::TryCreate));
    };
    if !access.has('i') {
        // RFC 4314 §4: COPY and MOVE into a mailbox need "i" there.
        return Ok(noperm("copying into that mailbox"));
    }
    let rights = access.rights;
    let target = access.folder;
    let sel = &*m.view;
    if moving && sel.read_only {
        return Ok(Done::no("mailbox is read-only").with(code("CANNOT")));
    }
    if moving && !(sel.rights.contains('t') && sel.rights.contains('e')) {
        // RFC 6851 §3.3 with RFC 4314 §4: MOVE takes "t" and "e" in the source.
        return Ok(noperm("moving out of this mailbox"));
    }
    let Ok(uids) = sel.live_uids(&set, uid) else {
        return Ok(Done::bad("invalid message sequence number"));
    };
    let source = sel.folder.id;
    let what = if moving { "MOVE" } else { "COPY" };
    if uids.is_empty() {
        return Ok(Done::ok(format!("{what} completed, nothing to do")));
    }
    if !moving || target.user_id != sel.folder.user_id {
        let stored = m.store().get_messages(source, &uids).await?;
        let bytes: u64 = stored.iter().map(|x| x.size).sum();
        if crate::quota::would_exceed(&m.svc.dir, target.user_id, bytes).await? {
            return Ok(Done::no("mailbox is over quota").with(Code::OverQuota));
        }
    }
    let carried: Vec<String> = uids
        .iter()
        .filter_map(|&u| sel.index_of(u).and_then(|i| sel.get(i)))
        .flat_map(|x| x.flags.iter().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    let adding = crate::keywords::keywords_of(carried.iter().map(String::as_str));
    if let Some(d) =
        crate::keywords::room_for(&**m.store(), &m.svc.keywords, target.id, &adding).await?
    {
        return Ok(d);
    }
    let pairs = if moving {
        m.store().move_messages(source, &uids, target.id).await?
    } else {
        m.store().copy_messages(source, &uids, target.id).await?
    };
    drop_unallowed_flags(m, target.id, &rights, &pairs).await?;
    // FILTER-2: into Junk is spam, out of it ham; learnt apart from the command.
    if let Some(spam) = crate::learn::of_transfer(&m.view.folder, &target, moving) {
        let new = pairs.iter().map(|&(_, b)| b).collect();
        crate::learn::spawn(m.svc, target.id, new, spam);
    }
    let copyuid = copy_uid(target.uidvalidity, &pairs);
    if !moving {
        let mut d = Done::ok("COPY completed");
        d.code = copyuid;
        return Ok(d);
    }
    // RFC 6851 §4.3: COPYUID goes in an untagged OK before the expunges.
    m.push(&response::untagged(StatusKind::Ok, copyuid, "moved"));
    let moved: Vec<u32> = pairs.iter().map(|&(src, _)| src).collect();
    let removed = m.view.remove(&moved);
    updates::expunged(m, &removed);
    Ok(Done::ok("MOVE completed"))
}

/// RFC 4314 §4: the copies keep only the flags the user may set in the target ("s" for
/// `\Seen`, "t" for `\Deleted`, "w" for the others); the rest are taken off at once.
async fn drop_unallowed_flags(
    m: &InMailbox<'_>,
    target: i64,
    rights: &str,
    pairs: &[(u32, u32)],
) -> Result<()> {
    if ['s', 't', 'w'].iter().all(|r| rights.contains(*r)) || pairs.is_empty() {
        return Ok(());
    }
    let new: Vec<u32> = pairs.iter().map(|&(_, b)| b).collect();
    let mut unallowed: Vec<String> = Vec::new();
    for msg in m.store().get_messages(target, &new).await? {
        for f in msg.flags {
            if !flag_allowed(rights, &f) && !unallowed.contains(&f) {
                unallowed.push(f);
            }
        }
    }
    if !unallowed.is_empty() {
        m.store()
            .store_flags(target, &new, FlagOp::Remove, &unallowed, None)
            .await?;
    }
    Ok(())
}

/// `COPYUID uidvalidity source-uids new-uids`, sets in pair order (RFC 4315 §3).
fn copy_uid(uidvalidity: u32, pairs: &[(u32, u32)]) -> Option<Code<'static>> {
    let src: Vec<u32> = pairs.iter().map(|&(a, _)| a).collect();
    let dst: Vec<u32> = pairs.iter().map(|&(_, b)| b).collect();
    Some(Code::CopyUid {
        uid_validity: nz(uidvalidity),
        source: uid_set(&src)?,
        destination: uid_set(&dst)?,
    })
}

/// A UID set keeping the given order; consecutive ascending runs are merged.
fn uid_set(numbers: &[u32]) -> Option<UidSet> {
    let mut elems = Vec::new();
    let mut i = 0;
    while i < numbers.len() {
        let mut j = i;
        while j + 1 < numbers.len() && numbers[j + 1] == numbers[j].wrapping_add(1) {
            j += 1;
        }
        let (a, b) = (numbers[i], numbers[j]);
        elems.push(if a == b {
            UidElement::Single(nz(a))
        } else {
            UidElement::Range(nz(a), nz(b))
        });
        i = j + 1;
    }
    Vec1::try_from(elems).ok().map(UidSet)
}
