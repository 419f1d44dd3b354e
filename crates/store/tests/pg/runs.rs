//! Flag changes and expunges sent at once, which a batch settles in memory as one run: each
//! write has the outcome it would have had alone, in its order, and the database, another
//! node and the change log agree on what they did.
#![allow(clippy::unwrap_used)]

use heron_store::*;

use super::{highest, small_messages, with_db};

/// A flag change, an expunge of some of its messages (one named twice, one unknown) and a
/// flag change of an expunged and a kept message, sent together: the expunge removes what it
/// names once each, in the order asked; the later change finds the expunged message missing;
/// each takes the next modseq; the held copy has the flags set before the expunge; quota,
/// STATUS counts (also of a folder just read) and the catch-up agree between this node and
/// one reading the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flag_changes_and_expunges_in_one_run_keep_their_order() {
    with_db(
        "flag_changes_and_expunges_in_one_run_keep_their_order",
        |db| async move {
            let (a, b) = (db.connect().await, db.connect().await);
            let u = suite::one_user(&a, "runs.test", "u", &[("INBOX", None)]).await;
            let inbox = a.get_folder(u.id, "INBOX").await.unwrap().unwrap();
            a.append_batch(inbox.id, small_messages(4)).await.unwrap();
            let sizes: Vec<u64> = a
                .list_messages(inbox.id)
                .await
                .unwrap()
                .iter()
                .map(|m| m.size)
                .collect();
            let used = a.get_user_by_id(u.id).await.unwrap().unwrap().used_bytes;
            // Counted once here: later counts on `a` are these moved on by its log.
            a.folder_counts(inbox.id).await.unwrap();
            for round in 0..3u32 {
                if round > 0 {
                    a.append_batch(inbox.id, small_messages(4)).await.unwrap();
                }
                let start = highest(&a, inbox.id).await;
                let first = round * 4 + 1;
                let (x, y, z) = (first, first + 1, first + 2);
                let deleted = ["\\Deleted".to_string()];
                let seen = ["\\Seen".to_string()];
                let (mark, expunge, later) = ([x, y], [y, x, y, 999], [x, z]);
                // Polled in this order, so queued in this order: one batch, most often.
                let (marked, removed, later) = futures::join!(
                    a.store_flags(inbox.id, &mark, FlagOp::Add, &deleted, None),
                    a.expunge(inbox.id, &expunge),
                    a.store_flags(inbox.id, &later, FlagOp::Add, &seen, None),
                );
                let (marked, removed, later) = (marked.unwrap(), removed.unwrap(), later.unwrap());
                let changed: Vec<(u32, u64)> = marked.changed.iter().map(|c| (c.0, c.1)).collect();
                assert_eq!(changed, [(x, start + 1), (y, start + 1)], "{marked:?}");
                assert_eq!(removed, [y, x], "removed once each, in the order asked");
                assert_eq!(later.missing, [x], "{later:?}");
                let changed: Vec<(u32, u64)> = later.changed.iter().map(|c| (c.0, c.1)).collect();
                assert_eq!(changed, [(z, start + 3)], "{later:?}");
                assert_eq!(highest(&a, inbox.id).await, start + 3);
                let mut vanished = b.vanished_since(inbox.id, start).await.unwrap();
                vanished.sort_unstable();
                assert_eq!(vanished, [x, y]);
                let mut held = b.held_messages(inbox.id, &[x, y]).await.unwrap();
                held.sort_by_key(|m| m.uid);
                assert_eq!(held.len(), 2, "both held for sessions that still see them");
                for m in &held {
                    assert!(m.flags.iter().any(|f| f == "\\Deleted"), "{m:?}");
                    assert_eq!(m.modseq, start + 1, "{m:?}");
                }
                let sorted = |mut c: FolderChanges| {
                    let mut changed: Vec<MessageMeta> =
                        c.changed.iter().map(|m| (**m).clone()).collect();
                    changed.sort_by_key(|m| m.uid);
                    c.vanished.sort_unstable();
                    (c.highestmodseq, changed, c.vanished)
                };
                for m in start..=start + 3 {
                    let here = sorted(a.changes_since(inbox.id, m).await.unwrap());
                    let there = sorted(b.changes_since(inbox.id, m).await.unwrap());
                    assert_eq!(here, there, "since modseq {m}");
                }
                let counted = b.folder_counts(inbox.id).await.unwrap();
                assert_eq!(
                    a.folder_counts(inbox.id).await.unwrap(),
                    counted,
                    "STATUS counts"
                );
                // Of a folder just read: kept for its stamp, the same.
                let read = a.get_folder_by_id(inbox.id).await.unwrap().unwrap();
                assert_eq!(a.folder_counts_of(&read).await.unwrap(), counted);
            }
            // Each round appended the same four messages and expunged its first two.
            let freed: u64 = 3 * (sizes[0] + sizes[1]);
            let added: u64 = 2 * sizes.iter().sum::<u64>();
            let now = b.get_user_by_id(u.id).await.unwrap().unwrap().used_bytes;
            assert_eq!(now, used + added - freed, "quota usage given back");
            db
        },
    )
    .await;
}
