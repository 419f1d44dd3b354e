//! SELECT and EXAMINE (RFC 9051 §6.3.2, §6.3.3), with CONDSTORE and QRESYNC parameters
//! (RFC 7162 §3.1.8, §3.2.5).
//!
//! Invariants: a failed SELECT leaves no mailbox selected (RFC 9051 §6.3.2); a previously
//! selected mailbox is reported `[CLOSED]` first; UIDNEXT is above every UID announced.

use heron_proto_imap::response;
use heron_proto_imap::seqset;
use heron_proto_imap::wire::nz;
use imap_codec::imap_types::command::SelectParameter;
use imap_codec::imap_types::mailbox::Mailbox;
use imap_codec::imap_types::response::{Code, Data, StatusKind};

use crate::ImapService;
use crate::access::{Access, noperm, resolve};
use crate::cx::{InMailbox, Wire};
use crate::done::Done;
use crate::error::Result;
use crate::mailbox::{name_of, nonexistent};
use crate::selected::Selected;
use crate::session::Enabled;
use crate::state::Phase;
use crate::updates;

/// Run SELECT (`read_only` false) or EXAMINE.
pub async fn execute(
    svc: &ImapService,
    phase: &mut Phase,
    enabled: &mut Enabled,
    wire: &mut Wire,
    mailbox: Mailbox<'_>,
    params: Vec<SelectParameter>,
    read_only: bool,
) -> Result<Done> {
    if phase.unselect().is_some() {
        // RFC 9051 §7.1 / RFC 7162 §3.2.11: the old mailbox is closed.
        wire.push(&response::untagged(
            StatusKind::Ok,
            Some(Code::Closed),
            "previous mailbox closed",
        ));
    }
    let Some(user) = phase.user() else {
        return Ok(nonexistent());
    };
    let store = svc.dir.store();
    let name = match name_of(enabled.utf8, &mailbox) {
        Ok(n) => n,
        Err(d) => return Ok(d),
    };
    let Some(access) = resolve(&**store, user, &name).await? else {
        return Ok(nonexistent());
    };
    if !access.has('r') {
        // RFC 4314 §4: SELECT and EXAMINE need "r".
        return Ok(noperm("reading this mailbox"));
    }
    // RFC 4314 §4: a mailbox the user may not change in any way is selected read-only.
    let examine = read_only;
    let read_only = read_only || !access.rights.contains(['s', 'w', 't', 'i', 'e']);
    let Access {
        folder,
        rights,
        shown,
    } = access;
    let mut qresync = None;
    for p in params {
        match p {
            SelectParameter::CondStore => enabled.condstore = true,
            SelectParameter::QResync { .. } if !enabled.qresync => {
                return Ok(Done::bad("QRESYNC is not enabled"));
            }
            q @ SelectParameter::QResync { .. } => qresync = Some(q),
        }
    }
    let listing = store.list_flags(folder.id).await?;
    let (folder_id, recent_mark) = (folder.id, folder.recent_uid);
    let mut sel = Selected::new(folder, read_only, listing);
    sel.rights = rights;
    sel.shown = shown;
    if !enabled.rev2 {
        // RFC 3501 §2.3.2, §6.3.2: SELECT takes the new messages' \Recent for this session;
        // EXAMINE shows them without taking it.
        if read_only {
            sel.add_recent((recent_mark, u32::MAX));
        } else {
            let seen = sel.uidnext().saturating_sub(1);
            sel.add_recent(store.claim_recent(folder_id, seen).await?);
        }
    }
    announce(wire, *enabled, &sel);
    phase.select(sel);
    if let Some(q) = qresync
        && let Some(mut m) = InMailbox::of(svc, phase, enabled, wire)
    {
        resync(&mut m, q).await?;
    }
    let what = if examine {
        "EXAMINE completed"
    } else {
        "SELECT completed"
    };
    let mode = if read_only {
        Code::ReadOnly
    } else {
        Code::ReadWrite
    };
    Ok(Done::ok(what).with(mode))
}

/// The untagged responses of a successful SELECT (RFC 9051 §6.3.2).
fn announce(wire: &mut Wire, enabled: Enabled, sel: &Selected) {
    wire.push(&crate::updates::flag_lists_of(sel));
    wire.push(&response::data(Data::Exists(sel.len() as u32)));
    if !enabled.rev2 {
        // RFC 3501 §6.3.1: RECENT and UNSEEN.
        wire.push(&response::data(Data::Recent(sel.recent_count())));
        if let Some(i) = sel.iter().position(|m| !m.has("\\Seen")) {
            wire.push(&response::untagged(
                StatusKind::Ok,
                Some(Code::Unseen(nz(i as u32 + 1))),
                "first unseen",
            ));
        }
    }
    wire.push(&response::untagged(
        StatusKind::Ok,
        Some(Code::UidValidity(nz(sel.folder.uidvalidity))),
        "UIDs valid",
    ));
    wire.push(&response::untagged(
        StatusKind::Ok,
        Some(Code::UidNext(nz(sel.uidnext()))),
        "predicted next UID",
    ));
    let hms =
        std::num::NonZeroU64::new(sel.highest_modseq().max(1)).unwrap_or(std::num::NonZeroU64::MIN);
    wire.push(&response::untagged(
        StatusKind::Ok,
        Some(Code::HighestModSeq(hms)),
        "highest",
    ));
    if enabled.rev2 {
        // RFC 9051 §6.3.2: a LIST response with the mailbox name.
        let mailbox = crate::mailbox::to_mailbox(enabled.utf8, &sel.shown);
        wire.push(&response::data(Data::List {
            items: Vec::new(),
            delimiter: imap_codec::imap_types::core::QuotedChar::try_from(
                heron_proto_imap::names::DELIMITER,
            )
            .ok(),
            mailbox,
        }));
    }
}

/// QRESYNC (RFC 7162 §3.2.5): what the client's cache misses since its modseq.
async fn resync(m: &mut InMailbox<'_>, q: SelectParameter) -> Result<()> {
    let SelectParameter::QResync {
        uid_validity,
        mod_sequence_value,
        known_uids,
        ..
    } = q
    else {
        return Ok(());
    };
    let sel = &*m.view;
    if uid_validity.get() != sel.folder.uidvalidity {
        return Ok(());
    }
    let since = mod_sequence_value.get();
    let max_uid = sel.max_uid().max(sel.folder.uidnext);
    let known = |uid: u32| {
        known_uids
            .as_ref()
            .is_none_or(|k| seqset::contains(k, uid, max_uid))
    };
    let gone: Vec<u32> = m
        .store()
        .vanished_since(sel.folder.id, since)
        .await?
        .into_iter()
        .filter(|&u| known(u))
        .collect();
    let changed: Vec<u32> = sel
        .iter()
        .enumerate()
        .filter(|(_, x)| x.modseq > since && known(x.uid))
        .map(|(i, _)| i as u32 + 1)
        .collect();
    if let Some(set) = seqset::to_set_ordered(&seqset_sorted(gone)) {
        m.push(&response::data(Data::Vanished {
            earlier: true,
            known_uids: set,
        }));
    }
    for seq in changed {
        updates::flags_fetch(m, seq, true);
    }
    Ok(())
}

fn seqset_sorted(mut v: Vec<u32>) -> Vec<u32> {
    v.sort_unstable();
    v.dedup();
    v
}
