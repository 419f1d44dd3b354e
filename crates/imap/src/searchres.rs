//! SEARCHRES (RFC 5182) on the session side: the result a `SEARCH RETURN (SAVE)` kept is a
//! list of UIDs in the selected mailbox ([`Selected::saved`]); the parser
//! ([`heron_proto_imap::parse`]) replaces `$` with it as the current view sees it.
//!
//! Invariants: saved UIDs no longer in the view are left out, which is how expunged
//! messages leave the saved result (RFC 5182 §2.1); with no mailbox selected the saved
//! result is empty.

use heron_proto_imap::SavedSet;

use crate::selected::Selected;

/// The saved result of the selected mailbox, without messages that left the view.
pub fn saved_set(sel: Option<&Selected>) -> SavedSet {
    let mut out = SavedSet::default();
    let Some(sel) = sel else {
        return out;
    };
    for &uid in &sel.saved {
        if let Some(i) = sel.index_of(uid) {
            out.uids.push(uid);
            out.seqs.push(i as u32 + 1);
        }
    }
    out
}

/// Empty the saved result (a failed SEARCH with SAVE, RFC 5182 §2.1).
pub fn forget(sel: Option<&mut Selected>) {
    if let Some(sel) = sel {
        sel.saved.clear();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn saved_set_follows_the_view() {
        use heron_store::{Folder, MessageMeta};
        let meta = |uid| MessageMeta {
            folder_id: 1,
            uid,
            modseq: 1,
            flags: Vec::new(),
            internal_date: 0,
            size: 1,
            blob: format!("b{uid}"),
        };
        let folder = Folder {
            id: 1,
            user_id: 1,
            name: "INBOX".into(),
            special_use: None,
            uidvalidity: 1,
            uidnext: 10,
            highestmodseq: 1,
            recent_uid: 0,
        };
        let mut sel = Selected::of_metas(folder, false, [2, 4, 6, 8].map(meta).to_vec());
        assert_eq!(saved_set(Some(&sel)), SavedSet::default());
        sel.saved = vec![4, 6, 8];
        sel.remove(&[6, 2]);
        let set = saved_set(Some(&sel));
        assert_eq!((set.uids, set.seqs), (vec![4, 8], vec![1, 2]));
        assert_eq!(saved_set(None), SavedSet::default());
        let out = heron_proto_imap::parse(b"t FETCH $ FLAGS\r\n", || saved_set(Some(&sel)));
        let Ok(cmd) = out else { panic!("{out:?}") };
        assert_eq!(
            cmd.body,
            heron_proto_imap::parse(b"t FETCH 1:2 FLAGS\r\n", SavedSet::default)
                .unwrap()
                .body
        );
    }
}
