//! Untagged updates about the selected mailbox (RFC 9051 §7.3, §7.4, §7.5.1; RFC 7162
//! §3.2.10): after a command and during IDLE, tell the client about messages other sessions
//! (or deliveries) added, expunged or re-flagged.
//!
//! Invariants: the store is only re-read when an event said the mailbox changed (no
//! polling); EXPUNGE/VANISHED go out only when the caller says they may; FETCH FLAGS
//! carries the UID, and MODSEQ once CONDSTORE is on.

use heron_proto_imap::response;
use heron_proto_imap::seqset;
use heron_proto_imap::wire::{flag, permanent_flags};
use imap_codec::imap_types::flag::{Flag, FlagFetch};
use imap_codec::imap_types::response::{Code, Data, StatusKind};

use crate::cx::InMailbox;
use crate::error::Result;
use crate::selected::{Changes, Selected};

/// Re-read the selected mailbox if it changed, and queue what the client must hear.
pub async fn announce(m: &mut InMailbox<'_>, may_expunge: bool) -> Result<()> {
    let sel = &*m.view;
    let pending_ghosts = may_expunge && !sel.ghosts.is_empty();
    if !sel.dirty && !pending_ghosts {
        return Ok(());
    }
    refresh(m, may_expunge).await
}

/// Re-read the selected mailbox now and queue the changes.
pub async fn refresh(m: &mut InMailbox<'_>, may_expunge: bool) -> Result<()> {
    let delta = m
        .store()
        .changes_since(m.view.folder.id, m.view.synced)
        .await?;
    // New messages come with their date, size and blob: kept, so a FETCH of them need not
    // read them again.
    let max_before = m.view.max_uid();
    m.svc.metas.keep(
        delta
            .changed
            .iter()
            .filter(|c| c.uid > max_before)
            .map(|c| &**c),
    );
    m.view.dirty = false;
    let mut changes = m.view.apply_delta(delta, may_expunge);
    if changes.exists.is_some() && !m.enabled.rev2 {
        // New messages: this session takes their \Recent unless another already did
        // (RFC 3501 §2.3.2); EXAMINE only looks.
        if !m.view.read_only {
            let seen = m.view.max_uid();
            let claimed = m.store().claim_recent(m.view.folder.id, seen).await?;
            m.view.add_recent(claimed);
        }
        changes.recent = Some(m.view.recent_count());
    }
    if !changes.is_empty() {
        send_changes(m, &changes);
    }
    Ok(())
}

/// Queue the responses for a set of changes.
pub fn send_changes(m: &mut InMailbox<'_>, c: &Changes) {
    expunged(m, &c.expunged);
    if let Some(n) = c.exists {
        m.push(&response::data(Data::Exists(n)));
    }
    if let Some(n) = c.recent {
        m.push(&response::data(Data::Recent(n)));
    }
    if c.keywords.is_some() {
        flag_lists(m);
    }
    for &seq in &c.flags {
        flags_fetch(m, seq, false);
    }
}

/// Queue FLAGS and PERMANENTFLAGS with every keyword this session has announced or is
/// announcing now (RFC 9051 §7.3.5: a client learns of new keywords from them).
pub fn flag_lists(m: &mut InMailbox<'_>) {
    let bytes = flag_lists_of(m.view);
    m.push(&bytes);
}

/// The FLAGS and PERMANENTFLAGS responses of a selected mailbox.
pub fn flag_lists_of(sel: &Selected) -> Vec<u8> {
    let flags: Vec<Flag<'static>> = sel.flag_list().iter().filter_map(|f| flag(f)).collect();
    let mut out = response::data(Data::Flags(flags));
    out.extend(response::untagged(
        StatusKind::Ok,
        Some(Code::PermanentFlags(permanent_flags(
            sel.read_only,
            &sel.keywords,
        ))),
        "flags permitted",
    ));
    out
}

/// FLAGS of a FETCH response, with `\Recent` when the message is recent in this session.
pub fn with_recent(mut flags: Vec<FlagFetch<'static>>, recent: bool) -> Vec<FlagFetch<'static>> {
    if recent {
        flags.push(FlagFetch::Recent);
    }
    flags
}

/// Queue EXPUNGE responses, or one VANISHED under QRESYNC (RFC 7162 §3.2.10).
pub fn expunged(m: &mut InMailbox<'_>, removed: &[(u32, u32)]) {
    if removed.is_empty() {
        return;
    }
    if m.enabled.qresync {
        let uids: Vec<u32> = removed.iter().map(|&(_, u)| u).collect();
        let mut sorted = uids.clone();
        sorted.sort_unstable();
        if let Some(set) = seqset::to_set_ordered(&sorted) {
            m.push(&response::data(Data::Vanished {
                earlier: false,
                known_uids: set,
            }));
        }
        return;
    }
    for &(seq, _) in removed {
        if let Ok(d) = Data::expunge(seq) {
            m.push(&response::data(d));
        }
    }
}

/// Queue `* seq FETCH (FLAGS (...) UID n [MODSEQ (m)])` for a message in the view.
pub fn flags_fetch(m: &mut InMailbox<'_>, seq: u32, force_modseq: bool) {
    let Some(msg) = m.view.get((seq as usize).wrapping_sub(1)) else {
        return;
    };
    let recent = m.view.is_recent(msg.uid);
    let modseq = (m.enabled.condstore || force_modseq).then_some(msg.modseq.max(1));
    let line = heron_proto_imap::flags_update(seq, msg.flags.iter(), recent, msg.uid, modseq);
    m.push(&line);
}
