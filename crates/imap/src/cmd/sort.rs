//! SORT and UID SORT (RFC 5256 §3), with DISPLAYFROM and DISPLAYTO (RFC 5957) and the
//! ESORT result options (RFC 5267 §3: `SORT RETURN (MIN MAX COUNT ALL SAVE)` answers with
//! ESEARCH, in sort order).
//!
//! Invariants: the messages are those SEARCH would find for the same criteria (its search,
//! limits and [`WorkWatch`]); each matched message's header is read and parsed once, only
//! when a criterion needs it, and its stored size and date only when one needs them; ties
//! go by message number; `RETURN (SAVE)` keeps the set as SEARCH's SAVE does (the first
//! and last in sort order for MIN and MAX alone) and answers nothing more when alone.

use heron_net::watch::WorkWatch;
use heron_proto_imap::SearchReturn;
use heron_settings::defs;
use heron_store::Store;
use imap_codec::imap_types::core::{Charset, Tag, Vec1};
use imap_codec::imap_types::extensions::sort::SortCriterion;
use imap_codec::imap_types::search::SearchKey;
use mail_parser::MessageParser;
use tokio_util::sync::CancellationToken;

use crate::cmd::search::{find, stopped};
use crate::cx::InMailbox;
use crate::done::Done;
use crate::error::{ImapError, Result};
use crate::matched::{self, Matched};
use crate::selected::Selected;
use crate::sorting::{self, Keyed, Source};

/// What SORT was asked.
pub struct Args<'a> {
    pub criteria: Vec1<SortCriterion>,
    pub charset: Charset<'a>,
    pub search: Vec1<SearchKey<'a>>,
    pub uid: bool,
    pub ret: Option<SearchReturn>,
}

/// Run SORT or UID SORT.
pub async fn execute(
    m: &mut InMailbox<'_>,
    cancel: CancellationToken,
    tag: &Tag<'static>,
    args: Args<'_>,
) -> Result<Done> {
    if let Some(refused) = matched::refuse_charset(&args.charset) {
        return Ok(refused);
    }
    let key = match matched::one_key(args.search) {
        Ok(k) => k,
        Err(refused) => return Ok(refused),
    };
    let uses_modseq = matched::mentions_modseq(&key);
    if uses_modseq {
        m.enabled.condstore = true;
    }
    let criteria = args.criteria.into_inner();
    let budget = m.svc.settings.get(defs::IMAP_SEARCH_TIMEOUT);
    let watch = m.wire.client.watch_work(budget, cancel);
    let sorted = match sorted(&**m.store(), m.view, &key, &criteria, &watch).await {
        Err(ImapError::Stopped(why)) => return Ok(stopped(why)),
        found => found?,
    };
    drop(watch);
    let (items, top_modseq) = sorted;
    let modseq = (uses_modseq && !items.is_empty()).then_some(top_modseq);
    let sel = &mut *m.view;
    let shown: Vec<u32> = items
        .iter()
        .map(|k| if args.uid { k.shown } else { k.seq })
        .collect();
    if let Some(r) = args.ret.filter(|r| r.save) {
        let uids: Vec<u32> = items.iter().map(|k| k.shown).collect();
        sel.saved = to_save(&uids, r);
    }
    match args.ret {
        Some(r) if !r.reports() => {}
        Some(r) => m.push(&sorting::esort_line(
            tag.inner(),
            args.uid,
            &shown,
            r,
            modseq,
        )),
        None => m.push(&sorting::sort_line(&shown, modseq)),
    }
    Ok(Done::ok("SORT completed"))
}

/// The matching messages in sort order (each `shown` its UID) and their highest modseq.
async fn sorted(
    store: &dyn Store,
    sel: &Selected,
    key: &SearchKey<'_>,
    criteria: &[SortCriterion],
    watch: &WorkWatch,
) -> Result<(Vec<Keyed>, u64)> {
    let (indexes, top_modseq) = find(store, sel, key, watch).await?;
    let header = sorting::needs_header(criteria);
    let meta = sorting::needs_meta(criteria);
    let found = matched::read(store, sel, &indexes, header, meta, watch).await?;
    let run = || -> Result<Vec<Keyed>> {
        let mut items = Vec::with_capacity(found.len());
        for f in &found {
            watch.check()?;
            items.push(keyed(f, criteria));
        }
        sorting::order(&mut items, criteria);
        Ok(items)
    };
    // Parsing headers is CPU work: keep it off the worker other sessions need.
    let items = if header {
        tokio::task::block_in_place(run)?
    } else {
        run()?
    };
    Ok((items, top_modseq))
}

/// One message's keys.
fn keyed(f: &Matched, criteria: &[SortCriterion]) -> Keyed {
    let parsed = f
        .header
        .as_deref()
        .and_then(|h| MessageParser::new().parse(h));
    let source = Source {
        message: parsed.as_ref(),
        internal_date: f.internal_date,
        size: f.size,
    };
    Keyed {
        seq: f.seq,
        shown: f.uid,
        keys: criteria
            .iter()
            .map(|c| sorting::key(&c.key, &source))
            .collect(),
    }
}

/// What SAVE keeps of a sorted result (UIDs in sort order): all of it, except that with
/// MIN or MAX and neither ALL nor COUNT, only the first and last in sort order (RFC 5182
/// §2.1 with RFC 5267's MIN and MAX); ascending, as a saved set is kept.
fn to_save(uids: &[u32], r: SearchReturn) -> Vec<u32> {
    let mut keep: Vec<u32> = if r.all || r.count || !(r.min || r.max) {
        uids.to_vec()
    } else {
        let first = uids.first().filter(|_| r.min);
        let last = uids.last().filter(|_| r.max);
        first.into_iter().chain(last).copied().collect()
    };
    keep.sort_unstable();
    keep.dedup();
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_save_keeps() {
        let sorted = [9, 3, 5];
        let r = |min, max, all| SearchReturn {
            min,
            max,
            count: false,
            all,
            save: true,
        };
        assert_eq!(to_save(&sorted, r(false, false, false)), [3, 5, 9]);
        assert_eq!(to_save(&sorted, r(true, false, false)), [9]);
        assert_eq!(to_save(&sorted, r(false, true, false)), [5]);
        assert_eq!(to_save(&sorted, r(true, true, false)), [5, 9]);
        assert_eq!(to_save(&sorted, r(true, false, true)), [3, 5, 9]);
        assert!(to_save(&[], r(true, true, false)).is_empty());
    }
}
