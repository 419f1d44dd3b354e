//! SEARCH and UID SEARCH (RFC 9051 §6.4.4) with ESEARCH results (RFC 4731), the SAVE
//! result option (SEARCHRES, RFC 5182 §2) and the MODSEQ criterion (RFC 7162 §3.1.5).
//! With MODSEQ, an ESEARCH result's MODSEQ is the highest of the messages it returns (the
//! MIN or MAX message alone, every match for COUNT or ALL).
//!
//! Invariants: only UTF-8 and US-ASCII are accepted as CHARSET (`[BADCHARSET]` otherwise);
//! message bytes are read only when a criterion needs them, and the stored size and date
//! likewise (the view has UIDs, flags and modseqs); ESEARCH is used when RETURN was
//! given or IMAP4rev2 is enabled (RFC 9051 §7.3.4); `RETURN (SAVE)` alone sends no untagged
//! result (RFC 5182 §2.4); a SEARCH with SAVE that does not end OK empties the saved result
//! (the dispatcher sees to that, RFC 5182 §2.1).
//!
//! Text keys are narrowed first with the store's text index ([`crate::textindex`]): only
//! the messages it leaves are read and matched, and the matcher decides as before. Message
//! bytes are read and matched a group at a time ([`READ_BATCH_BYTES`]), so a search holds
//! one group in memory whatever the mailbox's size (header blocks, a few hundred bytes a
//! message, are read in one query).
//!
//! Bounds: at most [`MAX_KEYS`] keys, refused with `NO [LIMIT]` before any work; the search
//! runs under a [`WorkWatch`], checked before each group of messages is read and each one is
//! matched, so it stops when `imap.search_timeout` is spent (`NO [LIMIT]`), when the
//! session is to end, or as soon as the client hangs up (the session then ends).

use std::collections::HashMap;

use heron_net::watch::{Stopped, WorkWatch};
use heron_proto_imap::SearchReturn;
use heron_proto_imap::response::{self, code, quote};
use heron_proto_imap::seqset::compact;
use heron_settings::defs;
use heron_store::{MessageMeta, READ_BATCH_BYTES, Store};
use imap_codec::imap_types::core::{Charset, Tag, Vec1};
use imap_codec::imap_types::response::Data;
use imap_codec::imap_types::search::SearchKey;
use mail_parser::MessageParser;
use tokio_util::sync::CancellationToken;

use crate::cx::InMailbox;
use crate::done::Done;
use crate::error::{ImapError, Result};
use crate::search::{Candidate, matches, needs_body, needs_meta, needs_text};
use crate::selected::Selected;

/// Run SEARCH or UID SEARCH.
pub async fn execute(
    m: &mut InMailbox<'_>,
    cancel: CancellationToken,
    tag: &Tag<'static>,
    charset: Option<Charset<'_>>,
    criteria: Vec1<SearchKey<'_>>,
    uid: bool,
    ret: Option<SearchReturn>,
) -> Result<Done> {
    if let Some(refusal) = charset.as_ref().and_then(crate::matched::refuse_charset) {
        return Ok(refusal);
    }
    let key = match crate::matched::one_key(criteria) {
        Ok(k) => k,
        Err(refusal) => return Ok(refusal),
    };
    let uses_modseq = mentions_modseq(&key);
    if uses_modseq {
        m.enabled.condstore = true;
    }
    let budget = m.svc.settings.get(defs::IMAP_SEARCH_TIMEOUT);
    let watch = m.wire.client.watch_work(budget, cancel);
    let (indexes, top_modseq) = match find(&**m.store(), m.view, &key, &watch).await {
        Err(ImapError::Stopped(why)) => return Ok(stopped(why)),
        found => found?,
    };
    drop(watch);
    let sel = &mut *m.view;
    let modseq = match ret.filter(|r| r.reports()) {
        // RFC 7162 §3.1.5 (ESEARCH): the highest modseq of the messages returned, so MIN
        // and MAX alone name their own message's.
        Some(r) if uses_modseq => returned(&indexes, r)
            .filter_map(|i| sel.get(i).map(|msg| msg.modseq))
            .max(),
        _ => (uses_modseq && !indexes.is_empty()).then_some(top_modseq),
    };
    let uids: Vec<u32> = indexes.iter().map(|&i| sel.uid(i)).collect();
    let found: Vec<u32> = if uid {
        uids.clone()
    } else {
        indexes.iter().map(|&i| i as u32 + 1).collect()
    };
    if let Some(r) = ret.filter(|r| r.save) {
        sel.saved = to_save(&uids, r);
    }
    match ret.or_else(|| {
        m.enabled.rev2.then_some(SearchReturn {
            all: true,
            ..Default::default()
        })
    }) {
        Some(r) if !r.reports() => {}
        Some(r) => m.push(&esearch(tag, uid, &found, r, modseq)),
        None => m.push(&response::data(Data::Search(
            found
                .iter()
                .map(|&n| heron_proto_imap::wire::nz(n))
                .collect(),
            modseq.and_then(std::num::NonZeroU64::new),
        ))),
    }
    Ok(Done::ok("SEARCH completed"))
}

/// The answer to a search that was stopped.
pub(crate) fn stopped(why: Stopped) -> Done {
    tracing::info!(target: "imap", "search stopped: {why:?}");
    let mut done = Done::no("search took too long, narrow it down").with(code("LIMIT"));
    if why == Stopped::HungUp {
        done.close = true;
    }
    done
}

/// What SAVE keeps of a result (ascending UIDs): all of it, except that with MIN or MAX
/// and neither ALL nor COUNT, only the messages those return (RFC 5182 §2.1).
fn to_save(uids: &[u32], r: SearchReturn) -> Vec<u32> {
    if r.all || r.count || !(r.min || r.max) {
        return uids.to_vec();
    }
    let mut keep = Vec::new();
    if let (true, Some(&min)) = (r.min, uids.first()) {
        keep.push(min);
    }
    if let (true, Some(&max)) = (r.max, uids.last())
        && keep.last() != Some(&max)
    {
        keep.push(max);
    }
    keep
}

/// The view positions of the messages matching `key`, ascending, and their highest modseq;
/// [`ImapError::Stopped`] when the watch stopped the search.
pub(crate) async fn find(
    store: &dyn Store,
    sel: &Selected,
    key: &SearchKey<'_>,
    watch: &WorkWatch,
) -> Result<(Vec<usize>, u64)> {
    let mut found = Found::default();
    if !needs_text(key) {
        let stored = stored_for(store, sel, key, None, &HashMap::new()).await?;
        let all = (0..sel.len()).map(|i| (i, None));
        evaluate(sel, key, &stored, all, watch, &mut found)?;
        return Ok((found.positions, found.top_modseq));
    }
    // The text index leaves out messages that cannot match (`crate::textindex`).
    let only = crate::textindex::narrow(store, sel.folder.id, key).await?;
    let wanted = |uid: u32| {
        only.as_deref()
            .is_none_or(|o| o.binary_search(&uid).is_ok())
    };
    let mut heads = header_blocks(store, sel, key, only.as_deref()).await?;
    let stored = stored_for(store, sel, key, only.as_deref(), &heads).await?;
    let positions: Vec<usize> = (0..sel.len()).filter(|&i| wanted(sel.uid(i))).collect();
    let mut rest = &positions[..];
    while !rest.is_empty() {
        watch.check()?;
        let group = read_group(store, sel, key, rest, &stored, &mut heads).await?;
        rest = &rest[group.len()..];
        // Parsing and matching are CPU work: keep them off the worker other sessions need.
        tokio::task::block_in_place(|| {
            evaluate(sel, key, &stored, group.into_iter(), watch, &mut found)
        })?;
    }
    Ok((found.positions, found.top_modseq))
}

/// What a search found so far.
#[derive(Default)]
struct Found {
    positions: Vec<usize>,
    top_modseq: u64,
}

/// Header keys alone read the header blocks the store keeps apart, all in one query, unless
/// the index left few messages to read one by one; empty otherwise.
async fn header_blocks(
    store: &dyn Store,
    sel: &Selected,
    key: &SearchKey<'_>,
    only: Option<&[u32]>,
) -> Result<HashMap<u32, Vec<u8>>> {
    let few = only.is_some_and(|o| o.len().saturating_mul(FEW) <= sel.len());
    if needs_body(key) || few {
        return Ok(HashMap::new());
    }
    let wanted = |uid: &u32| only.is_none_or(|o| o.binary_search(uid).is_ok());
    Ok(store
        .list_headers(sel.folder.id)
        .await?
        .into_iter()
        .filter(|(uid, h)| h.is_some() && wanted(uid))
        .filter_map(|(uid, h)| h.map(|h| (uid, h)))
        .collect())
}

/// The text of the first messages of `rest` (view positions), each with its position: its
/// header block from `heads`, else its bytes (cut to the header for header keys), read in
/// one store call of at most [`READ_BATCH_BYTES`] (or one larger message); `None` for a
/// message whose bytes are gone. At least one message.
async fn read_group(
    store: &dyn Store,
    sel: &Selected,
    key: &SearchKey<'_>,
    rest: &[usize],
    stored: &[MessageMeta],
    heads: &mut HashMap<u32, Vec<u8>>,
) -> Result<Vec<(usize, Option<Vec<u8>>)>> {
    enum Slot {
        Have(Vec<u8>),
        Read,
        Gone,
    }
    let (mut slots, mut metas, mut bytes) = (Vec::new(), Vec::new(), 0u64);
    for &i in rest {
        let uid = sel.uid(i);
        let slot = match (heads.remove(&uid), stored_of(stored, uid)) {
            (Some(h), _) => Slot::Have(h),
            (None, None) => Slot::Gone,
            (None, Some(m)) => {
                if !metas.is_empty() && bytes + m.size > READ_BATCH_BYTES {
                    break;
                }
                bytes += m.size;
                metas.push(m.clone());
                Slot::Read
            }
        };
        slots.push((i, slot));
    }
    let body = needs_body(key);
    let mut read = store.read_messages(&metas).await?.into_iter();
    Ok(slots
        .into_iter()
        .map(|(i, slot)| {
            let raw = match slot {
                Slot::Have(h) => Some(h),
                Slot::Gone => None,
                Slot::Read => read.next().flatten().map(|r| {
                    let n = if body {
                        r.len()
                    } else {
                        heron_message::header_block(&r).body_start
                    };
                    r[..n].to_vec()
                }),
            };
            (i, raw)
        })
        .collect())
}

/// The stored metadata the search needs, in UID order: the whole mailbox in one read for
/// size or date keys and body searches (only the messages that can match when the index
/// narrowed the search); for header searches the messages without a header block in
/// `heads`.
async fn stored_for(
    store: &dyn Store,
    sel: &Selected,
    key: &SearchKey<'_>,
    only: Option<&[u32]>,
    heads: &HashMap<u32, Vec<u8>>,
) -> Result<Vec<MessageMeta>> {
    let text = needs_text(key);
    let all = needs_meta(key) || (text && needs_body(key));
    let rest: Vec<u32> = match (text, only) {
        (true, Some(o)) => o
            .iter()
            .copied()
            .filter(|u| all || !heads.contains_key(u))
            .collect(),
        _ if all => return Ok(store.list_messages(sel.folder.id).await?),
        (true, None) => sel
            .uids()
            .into_iter()
            .filter(|u| !heads.contains_key(u))
            .collect(),
        (false, _) => Vec::new(),
    };
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    Ok(store.get_messages(sel.folder.id, &rest).await?)
}

/// A header search reads the messages the index left one by one when they are at most one
/// in this many of the view; more, and it reads every header block in one query.
const FEW: usize = 8;

/// Match the messages at the given view positions (ascending, each with the text the key
/// needs) against `key`. A message whose text or stored size and date are needed but gone
/// (expunged elsewhere) matches nothing.
fn evaluate(
    sel: &Selected,
    key: &SearchKey<'_>,
    stored: &[MessageMeta],
    messages: impl Iterator<Item = (usize, Option<Vec<u8>>)>,
    watch: &WorkWatch,
    found: &mut Found,
) -> Result<()> {
    let (text, meta) = (needs_text(key), needs_meta(key));
    let (max_seq, max_uid) = (sel.len() as u32, sel.max_uid());
    for (i, raw) in messages {
        watch.check()?;
        let Some(m) = sel.get(i) else { continue };
        if text && raw.is_none() {
            continue;
        }
        let st = stored_of(stored, m.uid);
        if meta && st.is_none() {
            continue;
        }
        let parsed = raw.as_deref().and_then(|r| MessageParser::new().parse(r));
        let c = Candidate {
            seq: i as u32 + 1,
            uid: m.uid,
            flags: m.flags,
            size: st.map_or(0, |x| x.size),
            internal_date: st.map_or(0, |x| x.internal_date),
            modseq: m.modseq,
            max_seq,
            max_uid,
            recent: sel.is_recent(m.uid),
            text: parsed.as_ref(),
        };
        if matches(key, &c) {
            found.positions.push(i);
            found.top_modseq = found.top_modseq.max(m.modseq);
        }
    }
    Ok(())
}

/// The stored metadata of a UID in a list in UID order.
fn stored_of(stored: &[MessageMeta], uid: u32) -> Option<&MessageMeta> {
    stored
        .binary_search_by_key(&uid, |m| m.uid)
        .ok()
        .and_then(|k| stored.get(k))
}

/// `* ESEARCH (TAG "t") [UID] MIN n MAX n COUNT n ALL set [MODSEQ n]` (RFC 4731 §3.1).
fn esearch(
    tag: &Tag<'_>,
    uid: bool,
    found: &[u32],
    r: SearchReturn,
    modseq: Option<u64>,
) -> Vec<u8> {
    let mut line = format!("ESEARCH (TAG {})", quote(tag.inner()));
    if uid {
        line.push_str(" UID");
    }
    if let (true, Some(min)) = (r.min, found.iter().min()) {
        line.push_str(&format!(" MIN {min}"));
    }
    if let (true, Some(max)) = (r.max, found.iter().max()) {
        line.push_str(&format!(" MAX {max}"));
    }
    if r.count {
        line.push_str(&format!(" COUNT {}", found.len()));
    }
    if r.all && !found.is_empty() {
        line.push_str(&format!(" ALL {}", compact(found)));
    }
    if let Some(m) = modseq {
        line.push_str(&format!(" MODSEQ {m}"));
    }
    response::raw_line(&line)
}

/// The matches an ESEARCH result gives back (`indexes` ascending): all of them when COUNT or
/// ALL was asked for, else the lowest for MIN and the highest for MAX.
fn returned(indexes: &[usize], r: SearchReturn) -> impl Iterator<Item = usize> + '_ {
    let all = r.count || r.all;
    let first = indexes.first().filter(|_| r.min && !all);
    let last = indexes.last().filter(|_| r.max && !all);
    let every = if all { indexes } else { &[] };
    every.iter().chain(first).chain(last).copied()
}

fn mentions_modseq(k: &SearchKey<'_>) -> bool {
    match k {
        SearchKey::ModSequence { .. } => true,
        SearchKey::And(v) => v.as_ref().iter().any(mentions_modseq),
        SearchKey::Or(a, b) => mentions_modseq(a) || mentions_modseq(b),
        SearchKey::Not(a) => mentions_modseq(a),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_matches_esearch_returns() {
        let r = |min, max, count, all| SearchReturn {
            min,
            max,
            count,
            all,
            save: false,
        };
        let got = |r| returned(&[2, 4, 7], r).collect::<Vec<_>>();
        assert_eq!(got(r(true, false, false, false)), [2]);
        assert_eq!(got(r(false, true, false, false)), [7]);
        assert_eq!(got(r(true, true, false, false)), [2, 7]);
        assert_eq!(got(r(true, false, true, false)), [2, 4, 7]);
        assert_eq!(got(r(false, false, false, true)), [2, 4, 7]);
        assert!(returned(&[], r(true, true, false, false)).next().is_none());
    }

    #[test]
    fn what_save_keeps() {
        let uids = [3, 5, 9];
        let r = |min, max, count, all| SearchReturn {
            min,
            max,
            count,
            all,
            save: true,
        };
        assert_eq!(to_save(&uids, r(false, false, false, false)), [3, 5, 9]);
        assert_eq!(to_save(&uids, r(true, false, false, false)), [3]);
        assert_eq!(to_save(&uids, r(false, true, false, false)), [9]);
        assert_eq!(to_save(&uids, r(true, true, false, false)), [3, 9]);
        assert_eq!(to_save(&[4], r(true, true, false, false)), [4]);
        assert_eq!(to_save(&uids, r(true, false, true, false)), [3, 5, 9]);
        assert_eq!(to_save(&uids, r(false, true, false, true)), [3, 5, 9]);
        assert!(to_save(&[], r(true, true, false, false)).is_empty());
    }
}
