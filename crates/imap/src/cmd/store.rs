//! STORE and UID STORE (RFC 9051 §6.4.6) with UNCHANGEDSINCE (RFC 7162 §3.1.3).
//!
//! Invariants: the view takes the new flags at once, so the change is not announced again
//! as another session's; without .SILENT every addressed message gets a FETCH FLAGS
//! response, except one another session expunged (it has no flags left to report; like a
//! known ghost it is announced at the next point that allows EXPUNGE, and the command still
//! answers OK for the others); messages changed after UNCHANGEDSINCE are left alone and listed in
//! `[MODIFIED ...]`; `\Recent` cannot be stored (RFC 9051 §2.3.2); setting `$Junk` or
//! `$NotJunk` teaches the spam classifier ([`crate::learn`]).

use std::collections::HashSet;

use heron_proto_imap::response::code;
use heron_proto_imap::seqset;
use heron_proto_imap::wire::{flag_name, refused_flag};
use heron_store::FlagOp;
use imap_codec::imap_types::command::StoreModifier;
use imap_codec::imap_types::flag::{Flag, StoreResponse, StoreType};
use imap_codec::imap_types::response::Code;
use imap_codec::imap_types::sequence::SequenceSet;

use crate::cx::InMailbox;
use crate::done::Done;
use crate::error::Result;
use crate::selected::Selected;
use crate::updates::{flag_lists, flags_fetch};

/// `NO [NOPERM]` when the user lacks a right the change needs (RFC 4314 §4): "s" for
/// `\Seen`, "t" for `\Deleted`, "w" for the other flags and keywords; replacing the flags
/// touches them all.
fn missing_right(rights: &str, kind: &StoreType, names: &[String]) -> Option<Done> {
    let lacking = if *kind == StoreType::Replace {
        ['s', 't', 'w'].into_iter().find(|r| !rights.contains(*r))
    } else {
        names
            .iter()
            .map(|n| crate::access::right_for_flag(n))
            .find(|r| !rights.contains(*r))
    };
    lacking.map(|r| crate::access::noperm(&format!("changing these flags needs the \"{r}\" right")))
}

/// Run STORE or UID STORE.
pub async fn execute(
    m: &mut InMailbox<'_>,
    set: SequenceSet,
    kind: StoreType,
    response: StoreResponse,
    flags: Vec<Flag<'_>>,
    uid: bool,
    modifiers: Vec<StoreModifier>,
) -> Result<Done> {
    let unchanged_since = modifiers
        .iter()
        .map(|modifier| match modifier {
            StoreModifier::UnchangedSince(n) => *n,
        })
        .next();
    if unchanged_since.is_some() {
        m.enabled.condstore = true;
    }
    let sel = &*m.view;
    // A mailbox read-only for lack of rights answers NOPERM below, once the flags are known.
    if sel.read_only && sel.rights.contains(['s', 'w', 't']) {
        return Ok(Done::no("mailbox is read-only").with(code("CANNOT")));
    }
    let Ok(indexes) = sel.resolve(&set, uid) else {
        return Ok(Done::bad("invalid message sequence number"));
    };
    let uids = sel.live(&indexes);
    if let Some(why) = flags.iter().find_map(refused_flag) {
        return Ok(Done::bad(why));
    }
    let names: Vec<String> = flags
        .iter()
        .map(flag_name)
        .filter(|n| !n.eq_ignore_ascii_case("\\Recent"))
        .collect();
    let fresh = names
        .iter()
        .filter(|n| !n.starts_with('\\') && !sel.keywords.contains(*n))
        .count();
    if fresh > 0
        && kind != StoreType::Remove
        && sel.keywords.len() + fresh > crate::keywords::MAX_KEYWORDS
    {
        return Ok(crate::keywords::too_many());
    }
    if let Some(d) = missing_right(&sel.rights, &kind, &names) {
        return Ok(d);
    }
    if sel.read_only {
        return Ok(Done::no("mailbox is read-only").with(code("CANNOT")));
    }
    let op = match kind {
        StoreType::Replace => FlagOp::Replace,
        StoreType::Add => FlagOp::Add,
        StoreType::Remove => FlagOp::Remove,
    };
    let folder = sel.folder.id;
    let upd = if uids.is_empty() {
        Default::default()
    } else {
        m.store()
            .store_flags(folder, &uids, op, &names, unchanged_since)
            .await?
    };
    // FILTER-2: $Junk and $NotJunk teach the spam classifier, apart from the command.
    if let Some(spam) = crate::learn::of_flags(op, &names) {
        let changed = upd.changed.iter().map(|&(u, _, _)| u).collect();
        crate::learn::spawn(m.svc, folder, changed, spam);
    }
    let mut new_keyword = false;
    for (u, modseq, f) in &upd.changed {
        new_keyword |= m.view.set_flags(*u, *modseq, f);
    }
    // Expunged by another session since this one last looked: announced at the next point
    // that allows it, and left out of the answer (there are no flags to report).
    m.view.ghosts.extend(upd.missing.iter().copied());
    if new_keyword {
        flag_lists(m);
    }
    if response == StoreResponse::Answer {
        let modified: HashSet<u32> = upd.modified.iter().copied().collect();
        for &i in &indexes {
            let u = m.view.uid(i);
            if !modified.contains(&u) && !m.view.ghosts.contains(&u) {
                flags_fetch(m, i as u32 + 1, unchanged_since.is_some());
            }
        }
    }
    Ok(completion(m.view, &upd.modified, uid))
}

/// The tagged OK, with `[MODIFIED ...]` when UNCHANGEDSINCE held some messages back
/// (RFC 7162 §3.1.3: UIDs for UID STORE, message numbers otherwise).
fn completion(sel: &Selected, modified: &[u32], uid: bool) -> Done {
    let mut numbers: Vec<u32> = if uid {
        modified.to_vec()
    } else {
        modified
            .iter()
            .filter_map(|u| sel.index_of(*u).map(|i| i as u32 + 1))
            .collect()
    };
    numbers.sort_unstable();
    match seqset::to_set_ordered(&numbers) {
        Some(set) => {
            Done::ok("conditional STORE failed for some messages").with(Code::Modified(set))
        }
        None => Done::ok("STORE completed"),
    }
}
