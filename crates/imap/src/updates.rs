//! Untagged updates about the selected mailbox (RFC 9051 §7.3, §7.4, §7.5.1; RFC 7162
//! §3.2.10): after a command and during IDLE, tell the client about messages other sessions
//! (or deliveries) added, expunged or re-flagged.
//!
//! Invariants: the store is only re-read when an event said the mailbox changed (no
//! polling); EXPUNGE/VANISHED go out only when the caller says they may; FETCH FLAGS
//! carries the UID, and MODSEQ once CONDSTORE is on.

use std::num::NonZeroU64;

use heron_proto_imap::response;
use heron_proto_imap::seqset;
use heron_proto_imap::wire::{fetch_flags, flag, nz};
use imap_codec::imap_types::core::Vec1;
use imap_codec::imap_types::fetch::MessageDataItem;
use imap_codec::imap_types::flag::Flag;
use imap_codec::imap_types::response::Data;

use crate::error::Result;
use crate::selected::Changes;
use crate::session::Session;

/// Re-read the selected mailbox if it changed, and queue what the client must hear.
pub async fn announce(s: &mut Session<'_>, may_expunge: bool) -> Result<()> {
    let Some(sel) = s.phase.selected() else {
        return Ok(());
    };
    let pending_ghosts = may_expunge && !sel.ghosts.is_empty();
    if !sel.dirty && !pending_ghosts {
        return Ok(());
    }
    refresh(s, may_expunge).await
}

/// Re-read the selected mailbox now and queue the changes.
pub async fn refresh(s: &mut Session<'_>, may_expunge: bool) -> Result<()> {
    let Some((folder, synced)) = s.phase.selected().map(|x| (x.folder.id, x.synced)) else {
        return Ok(());
    };
    let delta = s.store().changes_since(folder, synced).await?;
    let Some(sel) = s.phase.selected_mut() else {
        return Ok(());
    };
    sel.dirty = false;
    let changes = sel.apply_delta(delta, may_expunge);
    if !changes.is_empty() {
        send_changes(s, &changes);
    }
    Ok(())
}

/// Queue the responses for a set of changes.
pub fn send_changes(s: &mut Session<'_>, c: &Changes) {
    expunged(s, &c.expunged);
    if let Some(n) = c.exists {
        s.push(&response::data(Data::Exists(n)));
    }
    if let Some(kw) = &c.keywords {
        let mut list: Vec<Flag<'static>> = heron_proto_imap::wire::SYSTEM_FLAGS
            .iter()
            .filter_map(|f| flag(f))
            .collect();
        list.extend(kw.iter().filter_map(|k| flag(k)));
        s.push(&response::data(Data::Flags(list)));
    }
    for &seq in &c.flags {
        flags_fetch(s, seq, false);
    }
}

/// Queue EXPUNGE responses, or one VANISHED under QRESYNC (RFC 7162 §3.2.10).
pub fn expunged(s: &mut Session<'_>, removed: &[(u32, u32)]) {
    if removed.is_empty() {
        return;
    }
    if s.enabled.qresync {
        let uids: Vec<u32> = removed.iter().map(|&(_, u)| u).collect();
        let mut sorted = uids.clone();
        sorted.sort_unstable();
        if let Some(set) = seqset::to_set_ordered(&sorted) {
            s.push(&response::data(Data::Vanished {
                earlier: false,
                known_uids: set,
            }));
        }
        return;
    }
    for &(seq, _) in removed {
        if let Ok(d) = Data::expunge(seq) {
            s.push(&response::data(d));
        }
    }
}

/// Queue `* seq FETCH (FLAGS (...) UID n [MODSEQ (m)])` for a message in the view.
pub fn flags_fetch(s: &mut Session<'_>, seq: u32, force_modseq: bool) {
    let Some(sel) = s.phase.selected() else {
        return;
    };
    let Some(m) = sel.get((seq as usize).wrapping_sub(1)) else {
        return;
    };
    let mut items = vec![
        MessageDataItem::Flags(fetch_flags(m.flags.iter())),
        MessageDataItem::Uid(nz(m.uid)),
    ];
    if s.enabled.condstore || force_modseq {
        items.push(MessageDataItem::ModSeq(
            NonZeroU64::new(m.modseq).unwrap_or(NonZeroU64::MIN),
        ));
    }
    if let Ok(items) = Vec1::try_from(items) {
        s.push(&response::data(Data::Fetch {
            seq: nz(seq),
            items,
        }));
    }
}
