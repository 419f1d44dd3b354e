//! What SORT and THREAD share: the checks before their search (CHARSET, the key bound),
//! the search itself (SEARCH's, `cmd::search::find`), and reading what they order by for
//! the messages it matched: the header blocks the store keeps apart (one read for the
//! folder, as header searches do; the message bytes cut to their header for a message
//! stored without one) and the stored size and internal date (one read of the matched
//! messages).
//!
//! Invariants: only what was asked for is read; a message expunged by another session
//! and not yet announced is kept with no header and a zero size and date, as SEARCH keeps
//! it in the view; the work is checked against the command's [`WorkWatch`] per message.

use std::collections::HashMap;

use heron_net::watch::WorkWatch;
use heron_proto_imap::response::code;
use heron_proto_imap::{MAX_KEYS, key_count};
use heron_store::{Store, StoreError};
use imap_codec::imap_types::core::{Charset, Vec1};
use imap_codec::imap_types::response::Code;
use imap_codec::imap_types::search::SearchKey;

use crate::done::Done;
use crate::error::Result;
use crate::selected::Selected;

/// The charsets search criteria may be given in (RFC 5256 §3: SORT and THREAD name one).
pub const CHARSETS: [&str; 2] = ["UTF-8", "US-ASCII"];

/// `NO [BADCHARSET (UTF-8 US-ASCII)]` for a charset not in [`CHARSETS`].
pub fn refuse_charset(charset: &Charset<'_>) -> Option<Done> {
    let name: &str = charset.as_ref();
    if CHARSETS.iter().any(|c| c.eq_ignore_ascii_case(name)) {
        return None;
    }
    let allowed = CHARSETS
        .iter()
        .filter_map(|n| Charset::try_from(*n).ok())
        .collect();
    Some(Done::no("unsupported charset").with(Code::badcharset(allowed)))
}

/// The criteria as one key (their AND), or the refusal when they hold too many keys.
pub fn one_key(criteria: Vec1<SearchKey<'_>>) -> std::result::Result<SearchKey<'_>, Done> {
    let mut keys = criteria.into_inner();
    let key = if keys.len() == 1 {
        keys.remove(0)
    } else {
        match Vec1::try_from(keys) {
            Ok(k) => SearchKey::And(k),
            Err(_) => return Err(Done::bad("empty search")),
        }
    };
    if key_count(&key) > MAX_KEYS {
        return Err(Done::no(format!("more than {MAX_KEYS} search keys")).with(code("LIMIT")));
    }
    Ok(key)
}

/// Whether a key mentions MODSEQ (RFC 7162 §3.1.5: then the answer carries one).
pub fn mentions_modseq(k: &SearchKey<'_>) -> bool {
    match k {
        SearchKey::ModSequence { .. } => true,
        SearchKey::And(v) => v.as_ref().iter().any(mentions_modseq),
        SearchKey::Or(a, b) => mentions_modseq(a) || mentions_modseq(b),
        SearchKey::Not(a) => mentions_modseq(a),
        _ => false,
    }
}

/// One matched message and what was read of it.
pub struct Matched {
    /// Its message number.
    pub seq: u32,
    pub uid: u32,
    /// The stored internal date (Unix seconds) and size, when asked for.
    pub internal_date: i64,
    pub size: u64,
    /// The header block, when asked for and still there.
    pub header: Option<Vec<u8>>,
}

/// Read, for the view positions `indexes`, the header blocks (`header`) and the stored
/// size and date (`meta`).
pub async fn read(
    store: &dyn Store,
    sel: &Selected,
    indexes: &[usize],
    header: bool,
    meta: bool,
    watch: &WorkWatch,
) -> Result<Vec<Matched>> {
    let uids: Vec<u32> = indexes.iter().map(|&i| sel.uid(i)).collect();
    let metas = if meta || header {
        store.get_messages(sel.folder.id, &uids).await?
    } else {
        Vec::new()
    };
    let meta_of: HashMap<u32, &heron_store::MessageMeta> =
        metas.iter().map(|m| (m.uid, m)).collect();
    let mut heads: HashMap<u32, Vec<u8>> = HashMap::new();
    if header {
        let wanted: std::collections::HashSet<u32> = uids.iter().copied().collect();
        heads = store
            .list_headers(sel.folder.id)
            .await?
            .into_iter()
            .filter(|(uid, _)| wanted.contains(uid))
            .filter_map(|(uid, h)| h.map(|h| (uid, h)))
            .collect();
    }
    let mut out = Vec::with_capacity(indexes.len());
    for (&i, &uid) in indexes.iter().zip(&uids) {
        watch.check()?;
        let m = meta_of.get(&uid);
        let head = match (header, heads.remove(&uid), m) {
            (false, _, _) => None,
            (true, Some(h), _) => Some(h),
            (true, None, Some(m)) => match store.read_message(m).await {
                Ok(mut raw) => {
                    raw.truncate(heron_message::header_block(&raw).body_start);
                    Some(raw)
                }
                Err(StoreError::NotFound(_)) => None,
                Err(e) => return Err(e.into()),
            },
            (true, None, None) => None,
        };
        out.push(Matched {
            seq: i as u32 + 1,
            uid,
            internal_date: m.map_or(0, |m| m.internal_date),
            size: m.map_or(0, |m| m.size),
            header: head,
        });
    }
    Ok(out)
}
