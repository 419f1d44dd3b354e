//! THREAD and UID THREAD (RFC 5256 §3) with the ORDEREDSUBJECT and REFERENCES algorithms
//! (`heron_message::thread`).
//!
//! Invariants: the messages are those SEARCH would find for the same criteria (its search,
//! limits and [`WorkWatch`]); each matched message's header is read and parsed once; the
//! sent date falls back to the internal date (RFC 5256 §2.2); an algorithm not announced is
//! refused with BAD before any work; the answer is written without recursion.

use heron_message::base_subject::{base_subject, compare_key};
use heron_message::msgid::thread_ids;
use heron_message::sortkey::sent_date;
use heron_message::thread::{self, Forest, ThreadMessage};
use heron_net::watch::WorkWatch;
use heron_settings::defs;
use heron_store::Store;
use imap_codec::imap_types::core::{Charset, Vec1};
use imap_codec::imap_types::extensions::thread::ThreadingAlgorithm;
use imap_codec::imap_types::search::SearchKey;
use mail_parser::MessageParser;
use tokio_util::sync::CancellationToken;

use crate::cmd::search::{find, stopped};
use crate::cx::InMailbox;
use crate::done::Done;
use crate::error::{ImapError, Result};
use crate::matched::{self, Matched};
use crate::selected::Selected;
use crate::sorting;

/// Which algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Algorithm {
    OrderedSubject,
    References,
}

/// Run THREAD or UID THREAD.
pub async fn execute(
    m: &mut InMailbox<'_>,
    cancel: CancellationToken,
    algorithm: ThreadingAlgorithm<'_>,
    charset: Charset<'_>,
    search: Vec1<SearchKey<'_>>,
    uid: bool,
) -> Result<Done> {
    let algorithm = match algorithm {
        ThreadingAlgorithm::OrderedSubject => Algorithm::OrderedSubject,
        ThreadingAlgorithm::References => Algorithm::References,
        ThreadingAlgorithm::Other(_) => return Ok(Done::bad("unsupported threading algorithm")),
    };
    if let Some(refused) = matched::refuse_charset(&charset) {
        return Ok(refused);
    }
    let key = match matched::one_key(search) {
        Ok(k) => k,
        Err(refused) => return Ok(refused),
    };
    if matched::mentions_modseq(&key) {
        m.enabled.condstore = true;
    }
    let budget = m.svc.settings.get(defs::IMAP_SEARCH_TIMEOUT);
    let watch = m.wire.client.watch_work(budget, cancel);
    let forest = match threads(&**m.store(), m.view, &key, algorithm, uid, &watch).await {
        Err(ImapError::Stopped(why)) => return Ok(stopped(why)),
        found => found?,
    };
    drop(watch);
    m.push(&sorting::thread_line(&forest));
    Ok(Done::ok("THREAD completed"))
}

/// The matching messages threaded, each shown by its UID when `uid`, else its number.
async fn threads(
    store: &dyn Store,
    sel: &Selected,
    key: &SearchKey<'_>,
    algorithm: Algorithm,
    uid: bool,
    watch: &WorkWatch,
) -> Result<Forest> {
    let (indexes, _) = find(store, sel, key, watch).await?;
    let found = matched::read(store, sel, &indexes, true, true, watch).await?;
    let run = || -> Result<Forest> {
        let mut msgs = Vec::with_capacity(found.len());
        for f in &found {
            watch.check()?;
            msgs.push(thread_message(f, uid, algorithm == Algorithm::References));
        }
        Ok(match algorithm {
            Algorithm::OrderedSubject => thread::ordered_subject(&msgs),
            Algorithm::References => thread::references(&msgs),
        })
    };
    // Parsing headers is CPU work: keep it off the worker other sessions need.
    tokio::task::block_in_place(run)
}

/// What threading needs of one message; its IDs only for REFERENCES.
fn thread_message(f: &Matched, uid: bool, ids: bool) -> ThreadMessage {
    let head = f.header.as_deref().unwrap_or_default();
    let parsed = f
        .header
        .as_deref()
        .and_then(|h| MessageParser::new().parse(h));
    let subject = base_subject(
        parsed
            .as_ref()
            .and_then(|p| p.subject())
            .unwrap_or_default(),
    );
    let t = if ids {
        thread_ids(head)
    } else {
        Default::default()
    };
    ThreadMessage {
        number: if uid { f.uid } else { f.seq },
        sent: sent_date(parsed.as_ref(), f.internal_date),
        subject: compare_key(&subject.text),
        is_reply: subject.is_reply,
        message_id: t.message_id,
        references: t.references,
    }
}
