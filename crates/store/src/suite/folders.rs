//! Suite checks for IMAP-facing folder and message operations: flags with CONDSTORE
//! semantics, copy and move, expunge records, the folder tree.
#![allow(clippy::unwrap_used)]

use super::{Subject, domain, msg, user};
use crate::model::*;

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

pub(super) async fn flags_copy_move(s: Subject) {
    let d = domain(&s, "fl.test").await;
    let u = user(&s, &d, "f").await;
    let inbox = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    let sent = s.get_folder(u.id, "Sent Items").await.unwrap().unwrap();
    let batch = (0..4)
        .map(|i| (format!("m{i}\r\n").into_bytes(), msg(&["\\Seen"])))
        .collect();
    s.append_batch(inbox.id, batch).await.unwrap();
    let before = s
        .get_folder_by_id(inbox.id)
        .await
        .unwrap()
        .unwrap()
        .highestmodseq;
    let up = s
        .store_flags(
            inbox.id,
            &[1, 2, 9],
            FlagOp::Add,
            &strings(&["\\Flagged", "$Work"]),
            None,
        )
        .await
        .unwrap();
    assert_eq!(up.changed.len(), 2);
    assert_eq!(up.missing, [9], "a UID the folder does not hold");
    assert!(
        up.changed
            .iter()
            .all(|(_, m, f)| *m > before && f == &strings(&["\\Seen", "\\Flagged", "$Work"]))
    );
    let ms = up.changed[0].1;
    let noop = s
        .store_flags(inbox.id, &[1], FlagOp::Add, &strings(&["\\seen"]), None)
        .await
        .unwrap();
    assert!(noop.changed.is_empty(), "no change, no new modseq");
    let cond = s
        .store_flags(
            inbox.id,
            &[1, 3],
            FlagOp::Remove,
            &strings(&["\\Seen"]),
            Some(ms - 1),
        )
        .await
        .unwrap();
    assert_eq!(cond.modified, [1], "changed since");
    assert_eq!(cond.changed.len(), 1);
    let list = s.list_messages(inbox.id).await.unwrap();
    assert_eq!(list[2].flags, Vec::<String>::new());
    assert_eq!(
        list[2].modseq,
        s.get_folder_by_id(inbox.id)
            .await
            .unwrap()
            .unwrap()
            .highestmodseq
    );

    copy_and_move(&s, &u, &inbox, &sent, &list).await;
}

/// Second half of [`flags_copy_move`]: copies share bytes and keep flags; a move leaves
/// VANISHED records behind.
async fn copy_and_move(s: &Subject, u: &User, inbox: &Folder, sent: &Folder, list: &[MessageMeta]) {
    let used = s.get_user_by_id(u.id).await.unwrap().unwrap().used_bytes;
    let pairs = s
        .copy_messages(inbox.id, &[1, 2, 77], sent.id)
        .await
        .unwrap();
    assert_eq!(pairs, [(1, 1), (2, 2)]);
    let copied = s.list_messages(sent.id).await.unwrap();
    assert_eq!(copied[0].flags, list[0].flags, "flags copied");
    assert_eq!(copied[0].blob, list[0].blob, "bytes shared");
    assert!(
        s.get_user_by_id(u.id).await.unwrap().unwrap().used_bytes > used,
        "copies count against quota"
    );

    let hm = s
        .get_folder_by_id(inbox.id)
        .await
        .unwrap()
        .unwrap()
        .highestmodseq;
    let moved = s.move_messages(inbox.id, &[3, 4], sent.id).await.unwrap();
    assert_eq!(moved, [(3, 3), (4, 4)]);
    let left: Vec<u32> = s
        .list_messages(inbox.id)
        .await
        .unwrap()
        .iter()
        .map(|m| m.uid)
        .collect();
    assert_eq!(left, [1, 2]);
    assert_eq!(s.vanished_since(inbox.id, hm).await.unwrap(), [3, 4]);
    let ch = s.changes_since(inbox.id, hm).await.unwrap();
    assert_eq!(ch.vanished, [3, 4]);
    assert!(ch.changed.is_empty());
    assert_eq!(
        ch.highestmodseq,
        s.get_folder_by_id(inbox.id)
            .await
            .unwrap()
            .unwrap()
            .highestmodseq
    );
    let before = ch.highestmodseq;
    s.store_flags(inbox.id, &[2], FlagOp::Add, &strings(&["$Later"]), None)
        .await
        .unwrap();
    s.deliver(b"new\r\n".to_vec().into(), &[(inbox.id, msg(&[]))])
        .await
        .unwrap();
    let ch = s.changes_since(inbox.id, before).await.unwrap();
    let uids: Vec<u32> = ch.changed.iter().map(|m| m.uid).collect();
    assert_eq!(
        uids,
        [2, 5],
        "the re-flagged and the new message, in UID order"
    );
    assert!(ch.vanished.is_empty());
    assert!(
        ch.changed
            .iter()
            .all(|m| m.modseq > before && m.modseq <= ch.highestmodseq)
    );
    assert!(s.vanished_since(inbox.id, hm + 1).await.unwrap().is_empty());
    assert_eq!(
        s.read_message(&s.list_messages(sent.id).await.unwrap()[3])
            .await
            .unwrap(),
        b"m3\r\n"
    );
}

pub(super) async fn folder_tree(s: Subject) {
    let d = domain(&s, "tree.test").await;
    let u = user(&s, &d, "t").await;
    let mut ev = s.subscribe();
    let a = s.create_folder(u.id, "Projects", None).await.unwrap();
    assert_eq!(
        ev.next().await,
        Some(crate::events::Event::Folders { user_id: u.id })
    );
    s.create_folder(u.id, "Projects/2026", None).await.unwrap();
    s.create_folder(u.id, "Projects/2026/Q4", None)
        .await
        .unwrap();
    s.create_folder(u.id, "ProjectsOld", None).await.unwrap();
    s.deliver(b"x\r\n".to_vec().into(), &[(a.id, msg(&[]))])
        .await
        .unwrap();
    assert!(
        s.rename_folder(u.id, "Projects", "INBOX", '/')
            .await
            .is_err(),
        "target exists"
    );
    assert!(s.rename_folder(u.id, "Nope", "Other", '/').await.is_err());
    s.rename_folder(u.id, "Projects", "Work", '/')
        .await
        .unwrap();
    let names: Vec<String> = s
        .list_folders(u.id)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    for want in ["Work", "Work/2026", "Work/2026/Q4", "ProjectsOld"] {
        assert!(names.contains(&want.to_string()), "{want} in {names:?}");
    }
    // Folder names count against quota, renamed children included.
    assert_eq!(
        s.get_user_by_id(u.id).await.unwrap().unwrap().used_bytes,
        3 + super::folders_cost(&s, u.id).await
    );
    let work = s.get_folder(u.id, "Work").await.unwrap().unwrap();
    assert_eq!(work.id, a.id, "same folder, same UIDVALIDITY");
    assert_eq!(work.uidvalidity, a.uidvalidity);
    let m = s.list_messages(work.id).await.unwrap().remove(0);
    s.delete_folder(work.id).await.unwrap();
    assert!(s.get_folder(u.id, "Work").await.unwrap().is_none());
    assert!(s.read_message(&m).await.is_err());
    // Only the folders left count: nothing of the deleted one's message or name.
    assert_eq!(
        s.get_user_by_id(u.id).await.unwrap().unwrap().used_bytes,
        super::folders_cost(&s, u.id).await
    );
}

/// Subscriptions are names apart from folders (RFC 9051 §6.3.7): a new user's default
/// folders start subscribed, a created folder does not, deleting keeps the name, renaming
/// does not move it, a name without a folder may be subscribed, and each user has their own.
pub(super) async fn subscriptions(s: Subject) {
    let d = domain(&s, "subs.test").await;
    let u = user(&s, &d, "s").await;
    let other = user(&s, &d, "o").await;
    let subs = |u: UserId| {
        let s = s.clone();
        async move { s.list_subscriptions(u).await.unwrap() }
    };
    assert_eq!(subs(u.id).await, strings(&["INBOX", "Sent Items"]));
    let lists = s.create_folder(u.id, "Lists", None).await.unwrap();
    assert_eq!(subs(u.id).await, strings(&["INBOX", "Sent Items"]));
    s.set_subscription(u.id, "Lists", true).await.unwrap();
    s.set_subscription(u.id, "Lists", true).await.unwrap();
    s.set_subscription(u.id, "Nowhere/Deep", true)
        .await
        .unwrap();
    s.set_subscription(u.id, "Sent Items", false).await.unwrap();
    s.set_subscription(u.id, "Never", false).await.unwrap();
    assert_eq!(
        subs(u.id).await,
        strings(&["INBOX", "Lists", "Nowhere/Deep"])
    );
    s.rename_folder(u.id, "Lists", "Groups", '/').await.unwrap();
    assert_eq!(
        subs(u.id).await,
        strings(&["INBOX", "Lists", "Nowhere/Deep"])
    );
    let groups = s.get_folder(u.id, "Groups").await.unwrap().unwrap();
    assert_eq!(groups.id, lists.id);
    s.delete_folder(groups.id).await.unwrap();
    s.set_subscription(u.id, "Groups", true).await.unwrap();
    assert_eq!(
        subs(u.id).await,
        strings(&["Groups", "INBOX", "Lists", "Nowhere/Deep"])
    );
    assert_eq!(subs(other.id).await, strings(&["INBOX", "Sent Items"]));
    // Names are kept as given: case matters below INBOX.
    s.set_subscription(u.id, "groups", true).await.unwrap();
    assert!(subs(u.id).await.contains(&"groups".to_string()));
    s.delete_user(u.id).await.unwrap();
    assert!(subs(u.id).await.is_empty());
    assert_eq!(subs(other.id).await, strings(&["INBOX", "Sent Items"]));
}

/// A folder's UIDVALIDITY is above every earlier one of its user's folders, so a folder
/// deleted and created again within the same second gets a new one (RFC 9051 §2.3.1.1).
pub(super) async fn uidvalidity_per_user(s: Subject) {
    let d = domain(&s, "uv.test").await;
    let u = user(&s, &d, "u").await;
    let first = s.create_folder(u.id, "Box", None).await.unwrap();
    let mut last = first.uidvalidity;
    for _ in 0..5 {
        let f = s.get_folder(u.id, "Box").await.unwrap().unwrap();
        s.delete_folder(f.id).await.unwrap();
        let again = s.create_folder(u.id, "Box", None).await.unwrap();
        assert!(
            again.uidvalidity > last,
            "{} after {last}",
            again.uidvalidity
        );
        assert_eq!(
            s.get_folder(u.id, "Box")
                .await
                .unwrap()
                .unwrap()
                .uidvalidity,
            again.uidvalidity
        );
        last = again.uidvalidity;
    }
    let other = s.create_folder(u.id, "Other", None).await.unwrap();
    assert!(other.uidvalidity > last);
    // The default folders of a new user count too.
    let inbox = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    let sent = s.get_folder(u.id, "Sent Items").await.unwrap().unwrap();
    assert!(inbox.uidvalidity < sent.uidvalidity && sent.uidvalidity < first.uidvalidity);
}

/// `\Recent` claims (RFC 3501 §2.3.2): each new message goes to exactly one claimer, even
/// when sessions claim at the same time.
pub(super) async fn recent_claims(s: Subject) {
    let d = domain(&s, "rc.test").await;
    let u = user(&s, &d, "r").await;
    let inbox = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    assert_eq!(inbox.recent_uid, 0);
    assert_eq!(s.claim_recent(inbox.id, u32::MAX).await.unwrap(), (0, 0));
    let three = (0..3).map(|i| (vec![b'a' + i; 3], msg(&[]))).collect();
    s.append_batch(inbox.id, three).await.unwrap();
    assert_eq!(s.claim_recent(inbox.id, u32::MAX).await.unwrap(), (0, 3));
    assert_eq!(
        s.claim_recent(inbox.id, u32::MAX).await.unwrap(),
        (3, 3),
        "taken once"
    );
    let more = (0..6).map(|i| (vec![b'd' + i; 3], msg(&[]))).collect();
    s.append_batch(inbox.id, more).await.unwrap();
    assert_eq!(
        s.get_folder_by_id(inbox.id)
            .await
            .unwrap()
            .unwrap()
            .recent_uid,
        3,
        "new messages wait for a claimer"
    );
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.claim_recent(inbox.id, u32::MAX).await.unwrap()
        }));
    }
    let mut got = Vec::new();
    for t in tasks {
        let (a, b) = t.await.unwrap();
        got.extend(a + 1..=b);
    }
    got.sort_unstable();
    assert_eq!(
        got,
        (4..=9).collect::<Vec<u32>>(),
        "each UID to one claimer"
    );
    assert!(s.claim_recent(999_999, u32::MAX).await.is_err());
}

/// STATUS counts from the store match the messages, flags and sizes.
pub(super) async fn folder_counts(s: Subject) {
    let d = domain(&s, "fc.test").await;
    let u = user(&s, &d, "c").await;
    let inbox = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    assert_eq!(
        s.folder_counts(inbox.id).await.unwrap(),
        FolderCounts::default()
    );
    let batch = vec![
        (b"aaaa".to_vec(), msg(&["\\Seen"])),
        (b"bbbbbb".to_vec(), msg(&["\\Deleted", "$Seen"])),
        (b"cc".to_vec(), msg(&["\\Seen", "\\Deleted"])),
        (b"d".to_vec(), msg(&["$NotSeen"])),
    ];
    s.append_batch(inbox.id, batch).await.unwrap();
    s.claim_recent(inbox.id, u32::MAX).await.unwrap();
    s.append_batch(inbox.id, vec![(b"eee".to_vec(), msg(&[]))])
        .await
        .unwrap();
    let list = s.list_messages(inbox.id).await.unwrap();
    let n = s.folder_counts(inbox.id).await.unwrap();
    assert_eq!(
        n,
        FolderCounts {
            messages: 5,
            unseen: 3,
            deleted: 2,
            deleted_bytes: list[1].size + list[2].size,
            bytes: list.iter().map(|m| m.size).sum(),
            recent: 1,
            max_uid: 5,
            max_modseq: list.iter().map(|m| m.modseq).max().unwrap(),
        }
    );
}

/// The counts STATUS would show for `list` (every message above `recent_from` recent).
fn counted(list: &[MessageMeta], recent_from: u32) -> FolderCounts {
    let has = |m: &MessageMeta, f: &str| m.flags.iter().any(|x| x == f);
    FolderCounts {
        messages: list.len() as u32,
        unseen: list.iter().filter(|m| !has(m, "\\Seen")).count() as u32,
        deleted: list.iter().filter(|m| has(m, "\\Deleted")).count() as u32,
        deleted_bytes: list
            .iter()
            .filter(|m| has(m, "\\Deleted"))
            .map(|m| m.size)
            .sum(),
        bytes: list.iter().map(|m| m.size).sum(),
        recent: list.iter().filter(|m| m.uid > recent_from).count() as u32,
        max_uid: list.iter().map(|m| m.uid).max().unwrap_or(0),
        max_modseq: list.iter().map(|m| m.modseq).max().unwrap_or(0),
    }
}

/// Counts asked between every kind of change (flags set and cleared, expunge, copy, move,
/// append) stay those of the messages as they are.
pub(super) async fn folder_counts_follow_changes(s: Subject) {
    let d = domain(&s, "fcc.test").await;
    let u = user(&s, &d, "c").await;
    let inbox = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    let other = s.create_folder(u.id, "Other", None).await.unwrap();
    let batch: Vec<_> = (0..6u8)
        .map(|i| {
            (
                vec![b'x'; 10 + usize::from(i)],
                msg(if i % 2 == 0 { &["\\Seen"] } else { &[] }),
            )
        })
        .collect();
    s.append_batch(inbox.id, batch).await.unwrap();
    let check = |what: &'static str| {
        let s = s.clone();
        async move {
            for f in [inbox.id, other.id] {
                let list = s.list_messages(f).await.unwrap();
                let mark = s.get_folder_by_id(f).await.unwrap().unwrap().recent_uid;
                assert_eq!(
                    s.folder_counts(f).await.unwrap(),
                    counted(&list, mark),
                    "{what}"
                );
            }
        }
    };
    check("after append").await;
    let flags = |v: &[&str]| v.iter().map(|f| f.to_string()).collect::<Vec<_>>();
    s.store_flags(inbox.id, &[1, 2], FlagOp::Add, &flags(&["\\Deleted"]), None)
        .await
        .unwrap();
    check("after \\Deleted").await;
    s.store_flags(
        inbox.id,
        &[1, 3, 4],
        FlagOp::Remove,
        &flags(&["\\Seen"]),
        None,
    )
    .await
    .unwrap();
    check("after -\\Seen").await;
    s.store_flags(
        inbox.id,
        &[5],
        FlagOp::Replace,
        &flags(&["\\Seen", "\\Deleted"]),
        None,
    )
    .await
    .unwrap();
    check("after a replace").await;
    s.expunge(inbox.id, &[1, 5]).await.unwrap();
    check("after expunge").await;
    s.copy_messages(inbox.id, &[2, 3], other.id).await.unwrap();
    check("after copy").await;
    s.move_messages(inbox.id, &[4], other.id).await.unwrap();
    check("after move").await;
    s.claim_recent(other.id, u32::MAX).await.unwrap();
    s.append_batch(other.id, vec![(b"new".to_vec(), msg(&["\\Deleted"]))])
        .await
        .unwrap();
    check("after a claim and an append").await;
}
