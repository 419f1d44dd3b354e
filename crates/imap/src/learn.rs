//! Learning the Bayesian classifier from users (FILTER-2): a message copied or moved into a
//! mailbox with the `\Junk` special use (RFC 6154), or flagged `$Junk`, is learned as spam;
//! one moved out of `\Junk` into a mailbox other than `\Trash`, or flagged `$NotJunk`, as
//! ham. The message's blob id names it to the classifier, so learning it twice changes
//! nothing and learning it in the other class moves its counts.
//!
//! Invariants: learning never delays or fails the command that caused it: it runs in a
//! task of its own after the command's store change, and its errors are logged; it runs
//! only with `bayes.enabled` and `bayes.learn_from_users`; one command learns at most
//! [`MAX_LEARNED`] messages, and at most [`LEARNERS`] commands' messages are being learned at
//! once in this process (the others wait their turn, at most [`MAX_PENDING`] of them).

use heron_settings::defs;
use heron_store::{FlagOp, Folder, FolderId};

use crate::ImapService;

/// Most messages one command teaches the classifier (a MOVE of a whole mailbox learns its
/// first ones).
pub const MAX_LEARNED: usize = 1_000;

/// Messages read from the store at once while learning.
const BATCH: usize = 50;

/// Commands whose messages are learned at once.
pub const LEARNERS: usize = 2;

/// One permit per command being learned.
static LEARNING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(LEARNERS);

/// Commands whose learning is running or waiting, at most; a command beyond that is not
/// learned from (and the log says so), so a client cannot pile up tasks.
pub const MAX_PENDING: usize = 64;

/// Commands whose learning is running or waiting now.
static PENDING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Holds one of [`PENDING`]'s places until dropped.
struct Pending;

impl Pending {
    /// A place, or `None` when [`MAX_PENDING`] are taken.
    fn take() -> Option<Pending> {
        use std::sync::atomic::Ordering;
        let before = PENDING.fetch_add(1, Ordering::AcqRel);
        if before >= MAX_PENDING {
            PENDING.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Pending)
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        PENDING.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Whether `folder` has the special use `use_` (RFC 6154, e.g. `\Junk`).
fn has_use(folder: &Folder, use_: &str) -> bool {
    folder
        .special_use
        .as_deref()
        .is_some_and(|u| u.split_whitespace().any(|x| x.eq_ignore_ascii_case(use_)))
}

/// What copying (or, with `moving`, moving) from `source` to `target` teaches: spam
/// (`Some(true)`), ham (`Some(false)`) or nothing.
pub fn of_transfer(source: &Folder, target: &Folder, moving: bool) -> Option<bool> {
    let (from_junk, to_junk) = (has_use(source, "\\Junk"), has_use(target, "\\Junk"));
    if to_junk && !from_junk {
        Some(true)
    } else if moving && from_junk && !to_junk && !has_use(target, "\\Trash") {
        Some(false)
    } else {
        None
    }
}

/// What a STORE of `names` teaches: adding or setting `$Junk` spam, `$NotJunk` ham (both,
/// or removing them, nothing).
pub fn of_flags(op: FlagOp, names: &[String]) -> Option<bool> {
    if op == FlagOp::Remove {
        return None;
    }
    let has = |k: &str| names.iter().any(|n| n.eq_ignore_ascii_case(k));
    match (has("$Junk"), has("$NotJunk")) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

/// Learn the messages `uids` of `folder` as spam or ham, in a task of their own.
pub fn spawn(svc: &ImapService, folder: FolderId, mut uids: Vec<u32>, spam: bool) {
    let settings = svc.settings.clone();
    if uids.is_empty()
        || !settings.get(defs::BAYES_ENABLED)
        || !settings.get(defs::BAYES_LEARN_FROM_USERS)
    {
        return;
    }
    uids.truncate(MAX_LEARNED);
    let Some(place) = Pending::take() else {
        tracing::info!(target: "imap", "Bayes: {} messages not learned: {MAX_PENDING} commands' messages are waiting already", uids.len());
        return;
    };
    let store = svc.dir.store().clone();
    tokio::spawn(async move {
        let _place = place;
        let Ok(_turn) = LEARNING.acquire().await else {
            return;
        };
        let (mut learned, mut failed) = (0usize, 0usize);
        for chunk in uids.chunks(BATCH) {
            let metas = match store.get_messages(folder, chunk).await {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(target: "imap", "Bayes learning: reading messages: {e}");
                    return;
                }
            };
            for meta in metas {
                let r = match store.read_message(&meta).await {
                    Ok(bytes) => {
                        heron_filter::bayes::learn(&store, &settings, &meta.blob, &bytes, spam)
                            .await
                    }
                    Err(e) => Err(e),
                };
                match r {
                    Ok(_) => learned += 1,
                    Err(e) => {
                        failed += 1;
                        tracing::warn!(target: "imap", "Bayes learning of a message: {e}");
                    }
                }
            }
        }
        let class = if spam { "spam" } else { "ham" };
        tracing::info!(target: "imap", "Bayes: learned {learned} messages as {class} ({failed} failed)");
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(special_use: Option<&str>) -> Folder {
        Folder {
            id: 1,
            user_id: 1,
            name: "x".into(),
            special_use: special_use.map(str::to_owned),
            uidvalidity: 1,
            uidnext: 1,
            highestmodseq: 1,
            recent_uid: 0,
        }
    }

    #[test]
    fn junk_moves_teach_spam_and_moves_out_of_junk_teach_ham() {
        let (inbox, junk, trash) = (
            folder(None),
            folder(Some("\\Junk")),
            folder(Some("\\Trash")),
        );
        assert_eq!(of_transfer(&inbox, &junk, true), Some(true));
        assert_eq!(of_transfer(&inbox, &junk, false), Some(true));
        assert_eq!(of_transfer(&junk, &inbox, true), Some(false));
        assert_eq!(of_transfer(&junk, &inbox, false), None);
        assert_eq!(of_transfer(&junk, &trash, true), None);
        assert_eq!(of_transfer(&junk, &junk, true), None);
        assert_eq!(of_transfer(&inbox, &trash, true), None);
    }

    #[test]
    fn pending_places_are_bounded_and_given_back() {
        let held: Vec<Pending> = std::iter::from_fn(Pending::take)
            .take(MAX_PENDING + 5)
            .collect();
        assert_eq!(held.len(), MAX_PENDING);
        assert!(Pending::take().is_none());
        drop(held);
        assert!(Pending::take().is_some());
    }

    #[test]
    fn junk_keywords_teach_when_set() {
        let k = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(of_flags(FlagOp::Add, &k(&["$junk"])), Some(true));
        assert_eq!(
            of_flags(FlagOp::Replace, &k(&["\\Seen", "$NotJunk"])),
            Some(false)
        );
        assert_eq!(of_flags(FlagOp::Remove, &k(&["$Junk"])), None);
        assert_eq!(of_flags(FlagOp::Add, &k(&["$Junk", "$NotJunk"])), None);
        assert_eq!(of_flags(FlagOp::Add, &k(&["\\Flagged"])), None);
    }
}
