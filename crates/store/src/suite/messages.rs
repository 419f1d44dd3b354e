//! Suite checks for storing messages: UIDs and quota accounting, bodies stored with a
//! prefix, one body delivered to several folders, concurrent appends, large messages.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use super::{Subject, domain, folders_cost, msg, spool, user};
use crate::model::*;

pub(super) async fn messages_uids_and_quota(s: Subject) {
    let d = domain(&s, "m.test").await;
    let u = user(&s, &d, "bob").await;
    let inbox = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    let batch = (0..5)
        .map(|i| {
            (
                format!("Subject: {i}\r\n\r\nbody {i}\r\n").into_bytes(),
                msg(&["\\Seen"]),
            )
        })
        .collect();
    let uids = s.append_batch(inbox.id, batch).await.unwrap();
    assert_eq!(uids, [1, 2, 3, 4, 5]);
    let list = s.list_messages(inbox.id).await.unwrap();
    assert_eq!(list.len(), 5);
    assert_eq!(list[2].flags, ["\\Seen"]);
    assert_eq!(list[2].internal_date, 1_700_000_000);
    assert_eq!(
        s.read_message(&list[2]).await.unwrap(),
        b"Subject: 2\r\n\r\nbody 2\r\n"
    );
    let heads = s.list_headers(inbox.id).await.unwrap();
    assert_eq!(heads.len(), 5);
    assert_eq!(
        heads[2],
        (3, Some(b"Subject: 2\r\n\r\n".to_vec())),
        "header block only"
    );
    let total: u64 = list.iter().map(|m| m.size).sum();
    assert_eq!(
        s.get_user_by_id(u.id).await.unwrap().unwrap().used_bytes,
        total + folders_cost(&s, u.id).await
    );
    let before = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    assert_eq!(s.expunge(inbox.id, &[2, 5, 99]).await.unwrap(), [2, 5]);
    let after = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    assert!(after.highestmodseq > before.highestmodseq);
    assert_eq!(after.uidvalidity, before.uidvalidity);
    let left: Vec<u32> = s
        .list_messages(inbox.id)
        .await
        .unwrap()
        .iter()
        .map(|m| m.uid)
        .collect();
    assert_eq!(left, [1, 3, 4]);
    // Chosen messages' metadata: those still there, in UID order, by UID or by range.
    let some = s.get_messages(inbox.id, &[4, 2, 1, 99, 4]).await.unwrap();
    assert_eq!(some, [list[0].clone(), list[3].clone()]);
    let range: Vec<u32> = s
        .get_messages(inbox.id, &[3, 1, 2, 4])
        .await
        .unwrap()
        .iter()
        .map(|m| m.uid)
        .collect();
    assert_eq!(range, [1, 3, 4]);
    assert!(s.get_messages(inbox.id, &[]).await.unwrap().is_empty());
    // The flag listing: UIDs and modseqs, each distinct flag list once.
    s.store_flags(inbox.id, &[4], FlagOp::Add, &["$Work".into()], None)
        .await
        .unwrap();
    let flags = s.list_flags(inbox.id).await.unwrap();
    let of = |m: &MessageFlags| (m.uid, flags.lists[m.flags as usize].clone());
    assert_eq!(
        flags.messages.iter().map(of).collect::<Vec<_>>(),
        [
            (1, vec!["\\Seen".to_string()]),
            (3, vec!["\\Seen".to_string()]),
            (4, vec!["\\Seen".to_string(), "$Work".to_string()]),
        ]
    );
    assert_eq!(flags.lists.len(), 2);
    assert!(flags.messages[2].modseq > flags.messages[1].modseq);
    // UIDs are never reused, even for the highest expunged one.
    let again = s
        .deliver(b"x\r\n".to_vec().into(), &[(inbox.id, msg(&[]))])
        .await
        .unwrap();
    assert_eq!(again, [6]);
    assert!(
        s.read_message(&list[1]).await.is_ok(),
        "held after its expunge"
    );
    s.release_held(i64::MAX).await.unwrap();
    assert!(
        s.read_message(&list[1]).await.is_err(),
        "expunged blob is gone once released"
    );
    let used = s.get_user_by_id(u.id).await.unwrap().unwrap().used_bytes;
    assert_eq!(
        used,
        list[0].size + list[2].size + list[3].size + 3 + folders_cost(&s, u.id).await
    );
    assert_eq!(s.domain_usage(d.id).await.unwrap(), used);
    let t = s.totals().await.unwrap();
    assert_eq!((t.domains, t.users, t.messages, t.bytes), (1, 1, 4, used));
}

/// One received body behind different added lines, in a mailbox and in the spool, small
/// (kept in the database) and large (a file): each reads back as prefix then body, and the
/// kept header block is that of the joined message.
pub(super) async fn prefixed_bodies(s: Subject) {
    let d = domain(&s, "px.test").await;
    let u = user(&s, &d, "u").await;
    let inbox = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    for size in [100, 400 * 1024] {
        let mut raw = b"Subject: prefixed\r\n\r\n".to_vec();
        raw.resize(size, b'x');
        let body = std::sync::Arc::new(raw);
        let local = MessageBytes::new(b"Return-Path: <a@b.test>\r\n".to_vec(), body.clone());
        let remote = MessageBytes::new(b"Received: by h\r\n".to_vec(), body.clone());
        let uid = s
            .deliver(local.clone(), &[(inbox.id, msg(&[]))])
            .await
            .unwrap()[0];
        let meta = s
            .list_messages(inbox.id)
            .await
            .unwrap()
            .into_iter()
            .find(|m| m.uid == uid)
            .unwrap();
        assert_eq!(meta.size, local.len() as u64);
        assert_eq!(s.read_message(&meta).await.unwrap(), local.joined());
        let heads = s.list_headers(inbox.id).await.unwrap();
        let head = heads.into_iter().find(|h| h.0 == uid).unwrap().1.unwrap();
        assert_eq!(
            head,
            b"Return-Path: <a@b.test>\r\nSubject: prefixed\r\n\r\n".to_vec()
        );
        let e = s
            .spool_insert(remote.clone(), spool::entry("", &["r@remote.test"], 5, 0))
            .await
            .unwrap();
        assert_eq!(s.spool_read(&e).await.unwrap(), remote.joined());
        assert_eq!(
            std::sync::Arc::strong_count(&body),
            3,
            "the body was shared, not moved"
        );
    }
}

pub(super) async fn shared_blob_delivery(s: Subject) {
    let d = domain(&s, "sh.test").await;
    let (a, b) = (user(&s, &d, "a").await, user(&s, &d, "b").await);
    let fa = s.get_folder(a.id, "INBOX").await.unwrap().unwrap();
    let fb = s.get_folder(b.id, "INBOX").await.unwrap().unwrap();
    let uids = s
        .deliver(
            b"shared\r\n".to_vec().into(),
            &[(fa.id, msg(&[])), (fb.id, msg(&[]))],
        )
        .await
        .unwrap();
    assert_eq!(uids, [1, 1]);
    let ma = s.list_messages(fa.id).await.unwrap().remove(0);
    let mb = s.list_messages(fb.id).await.unwrap().remove(0);
    assert_eq!(
        ma.blob, mb.blob,
        "one copy of the bytes for both recipients"
    );
    s.expunge(fa.id, &[1]).await.unwrap();
    assert_eq!(
        s.read_message(&mb).await.unwrap(),
        b"shared\r\n",
        "still referenced by b"
    );
    s.expunge(fb.id, &[1]).await.unwrap();
    s.release_held(i64::MAX).await.unwrap();
    assert!(s.read_message(&mb).await.is_err());
    assert!(
        s.deliver(b"x".to_vec().into(), &[(999_999, msg(&[]))])
            .await
            .is_err()
    );
}

pub(super) async fn concurrent_appends(s: Subject) {
    let d = domain(&s, "c.test").await;
    let u = user(&s, &d, "c").await;
    let f = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.deliver(format!("m{i}\r\n").into_bytes().into(), &[(f.id, msg(&[]))])
                .await
                .unwrap()[0]
        }));
    }
    let mut uids = HashSet::new();
    for t in tasks {
        assert!(uids.insert(t.await.unwrap()), "UIDs are unique");
    }
    assert_eq!(uids, (1..=200).collect::<HashSet<u32>>());
    let folder = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    assert_eq!(folder.uidnext, 201);
}

pub(super) async fn large_messages(s: Subject) {
    let d = domain(&s, "big.test").await;
    let (a, b) = (user(&s, &d, "a").await, user(&s, &d, "b").await);
    let fa = s.get_folder(a.id, "INBOX").await.unwrap().unwrap();
    let fb = s.get_folder(b.id, "INBOX").await.unwrap().unwrap();
    // Sizes around any inline/file threshold a backend may use, up to a few MB.
    let sizes = [
        0usize,
        1,
        4096,
        64 * 1024,
        64 * 1024 + 1,
        256 * 1024,
        256 * 1024 + 1,
        3 * 1024 * 1024,
    ];
    for (i, n) in sizes.iter().enumerate() {
        let body: Vec<u8> = (0..*n).map(|j| (j * 31 + i) as u8).collect();
        s.deliver(body.clone().into(), &[(fa.id, msg(&[])), (fb.id, msg(&[]))])
            .await
            .unwrap();
        let ma = s.list_messages(fa.id).await.unwrap().pop().unwrap();
        let mb = s.list_messages(fb.id).await.unwrap().pop().unwrap();
        assert_eq!(ma.size, *n as u64);
        assert_eq!(s.read_message(&ma).await.unwrap(), body, "size {n}");
        s.expunge(fa.id, &[ma.uid]).await.unwrap();
        assert_eq!(
            s.read_message(&mb).await.unwrap(),
            body,
            "still shared, size {n}"
        );
        s.expunge(fb.id, &[mb.uid]).await.unwrap();
        s.release_held(i64::MAX).await.unwrap();
        assert!(
            s.read_message(&mb).await.is_err(),
            "gone with its last reference, size {n}"
        );
    }
    let batch = sizes.iter().map(|n| (vec![b'x'; *n], msg(&[]))).collect();
    let uids = s.append_batch(fa.id, batch).await.unwrap();
    assert_eq!(uids.len(), sizes.len());
    for (m, n) in s.list_messages(fa.id).await.unwrap().iter().zip(sizes) {
        assert_eq!(s.read_message(m).await.unwrap().len(), n);
    }
}
