//! Suite checks of the message archive: records kept with their bytes, searched by each
//! field and paged, untouched by what users do to their mailboxes or by the domain's
//! deletion, and pruned by age.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use super::{Subject, domain, msg, user};
use crate::archive::{ArchiveQuery, ArchiveRule, Direction, NewArchived};
use crate::model::*;

fn new(domain: &str, direction: Direction, sender: &str, rcpts: &[&str], at: i64) -> NewArchived {
    NewArchived {
        domain: domain.into(),
        direction,
        sender: sender.into(),
        recipients: rcpts.iter().map(|r| r.to_string()).collect(),
        archived_at: at,
    }
}

pub(super) async fn archive_records(s: Subject) {
    let d = domain(&s, "arch.test").await;
    let u = user(&s, &d, "ann").await;
    let inbox = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();

    // The domain's own rule is kept.
    let mut dd = s.get_domain("arch.test").await.unwrap().unwrap();
    assert_eq!(dd.archive_rule, None);
    dd.archive_rule = Some(ArchiveRule::Incoming);
    s.update_domain(&dd).await.unwrap();
    let got = s.get_domain("arch.test").await.unwrap().unwrap();
    assert_eq!(got.archive_rule, Some(ArchiveRule::Incoming));

    // An incoming message: delivered and archived, a prefix in front of a shared body.
    let body =
        Arc::new(b"Subject: Budget  Q3\r\nFrom: x@remote.test\r\n\r\nsecret plans\r\n".to_vec());
    let bytes = MessageBytes::new(b"Return-Path: <x@remote.test>\r\n".to_vec(), body.clone());
    s.deliver(bytes.clone(), &[(inbox.id, msg(&[]))])
        .await
        .unwrap();
    let a = s
        .archive_add(
            bytes.clone(),
            new(
                "arch.test",
                Direction::Incoming,
                "x@remote.test",
                &["Ann@Arch.test"],
                1000,
            ),
        )
        .await
        .unwrap();
    assert_eq!(a.subject, "Budget  Q3");
    assert_eq!(a.recipients, vec!["ann@arch.test".to_string()]);
    assert_eq!(a.size, bytes.len() as u64);
    assert_eq!(s.archive_read(&a).await.unwrap(), bytes.joined());

    // A large outgoing one (kept apart from the database on backends that do so).
    let big = format!("Subject: big\r\n\r\n{}\r\n", "z".repeat(600 * 1024)).into_bytes();
    let b = s
        .archive_add(
            big.clone().into(),
            new(
                "arch.test",
                Direction::Outgoing,
                "ann@arch.test",
                &["p@far.test", "q@far.test"],
                2000,
            ),
        )
        .await
        .unwrap();
    assert_eq!(s.archive_read(&b).await.unwrap(), big);
    let c = s
        .archive_add(
            b"Subject: other\r\n\r\nhi\r\n".to_vec().into(),
            new(
                "other.test",
                Direction::Incoming,
                "",
                &["z@other.test"],
                3000,
            ),
        )
        .await
        .unwrap();

    // Searches: every field, newest first, paged with a total.
    let search = |q: ArchiveQuery| {
        let s = s.clone();
        async move {
            let (n, rows) = s.archive_search(&q, 10, 0).await.unwrap();
            (n, rows.into_iter().map(|r| r.id).collect::<Vec<_>>())
        }
    };
    assert_eq!(
        search(ArchiveQuery::default()).await,
        (3, vec![c.id, b.id, a.id])
    );
    let q = |f: fn(&mut ArchiveQuery)| {
        let mut q = ArchiveQuery::default();
        f(&mut q);
        q
    };
    assert_eq!(
        search(q(|q| q.domain = Some("arch.test".into()))).await.1,
        vec![b.id, a.id]
    );
    assert_eq!(
        search(q(|q| q.direction = Some(Direction::Outgoing)))
            .await
            .1,
        vec![b.id]
    );
    assert_eq!(
        search(q(|q| q.sender = Some("REMOTE.test".into()))).await.1,
        vec![a.id]
    );
    assert_eq!(
        search(q(|q| q.recipient = Some("Q@FAR".into()))).await.1,
        vec![b.id]
    );
    assert_eq!(
        search(q(|q| q.subject = Some("budget".into()))).await.1,
        vec![a.id]
    );
    assert_eq!(
        search(q(|q| q.header = Some("return-path: <x@".into())))
            .await
            .1,
        vec![a.id]
    );
    assert_eq!(
        search(q(|q| {
            q.since = Some(2000);
            q.until = Some(3000);
        }))
        .await
        .1,
        vec![b.id]
    );
    assert_eq!(
        search(q(|q| q.subject = Some("nothing".into()))).await,
        (0, vec![])
    );
    assert_eq!(
        search(q(|q| q.subject = Some("bud\0get".into()))).await.1,
        vec![a.id],
        "a NUL is no error"
    );
    let (n, page) = s
        .archive_search(&ArchiveQuery::default(), 1, 1)
        .await
        .unwrap();
    assert_eq!((n, page.len(), page[0].id), (3, 1, b.id));
    let got = s.archive_get(&[c.id, 999_999, a.id]).await.unwrap();
    assert_eq!(
        got.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![c.id, a.id]
    );
    assert_eq!(got[1], a);

    // Body text: a bounded scan.
    let hit = crate::archive::search_text(&*s, &ArchiveQuery::default(), "SECRET", 10, 0)
        .await
        .unwrap();
    assert_eq!(
        hit.hits.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![a.id]
    );
    assert!(hit.complete);

    // What the user does to the mailbox leaves the archive alone.
    let m = s.list_messages(inbox.id).await.unwrap();
    s.expunge(inbox.id, &[m[0].uid]).await.unwrap();
    s.release_held(i64::MAX).await.unwrap();
    s.delete_folder(inbox.id).await.unwrap();
    s.delete_user(u.id).await.unwrap();
    s.delete_domain(d.id).await.unwrap();
    assert_eq!(s.archive_read(&a).await.unwrap(), bytes.joined());
    assert_eq!(search(ArchiveQuery::default()).await.0, 3);

    // Pruning by age, oldest first, bounded; the bytes go with the record.
    assert_eq!(s.archive_prune(2500, 1).await.unwrap(), 1);
    assert_eq!(search(ArchiveQuery::default()).await.1, vec![c.id, b.id]);
    assert!(s.archive_read(&a).await.is_err());
    assert_eq!(s.archive_prune(2500, 100).await.unwrap(), 1);
    assert!(s.archive_read(&b).await.is_err());
    assert_eq!(s.archive_prune(2500, 100).await.unwrap(), 0);
    assert_eq!(
        s.archive_read(&c).await.unwrap(),
        b"Subject: other\r\n\r\nhi\r\n"
    );

    // Retention in days, counted back from now; 0 keeps everything.
    let now = crate::rules::now();
    let old = s
        .archive_add(
            b"Subject: old\r\n\r\n".to_vec().into(),
            new(
                "arch.test",
                Direction::Incoming,
                "",
                &["a@arch.test"],
                now - 3 * 86_400,
            ),
        )
        .await
        .unwrap();
    let fresh = s
        .archive_add(
            b"Subject: fresh\r\n\r\n".to_vec().into(),
            new("arch.test", Direction::Incoming, "", &["a@arch.test"], now),
        )
        .await
        .unwrap();
    assert_eq!(crate::archive::prune(&*s, 0, now).await.unwrap(), 0);
    assert_eq!(
        crate::archive::prune(&*s, 2, now).await.unwrap(),
        2,
        "old and c"
    );
    let (_, left) = s
        .archive_search(&ArchiveQuery::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(
        left.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![fresh.id]
    );
    assert!(s.archive_read(&old).await.is_err());
}
