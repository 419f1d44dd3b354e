//! Spool checks (records, leases, attempts, administrators' changes) and DKIM keys.

use super::Subject;
use crate::model::*;

pub(super) fn entry(sender: &str, rcpts: &[&str], priority: u8, due: i64) -> NewSpoolEntry {
    NewSpoolEntry {
        sender: sender.into(),
        recipients: rcpts.iter().map(|r| SpoolRecipient::pending(*r)).collect(),
        priority,
        ret: Some("HDRS".into()),
        envid: None,
        next_attempt_at: due,
        requiretls: false,
    }
}

pub(super) async fn spool_records(s: Subject) {
    let mut new = entry("s@a.test", &["r@remote.test"], 5, 0);
    new.recipients[0].notify = Some("FAILURE".into());
    let e = s
        .spool_insert(b"spooled\r\n".to_vec().into(), new)
        .await
        .unwrap();
    assert_eq!(s.spool_list().await.unwrap(), std::slice::from_ref(&e));
    assert_eq!(s.spool_get(e.id).await.unwrap().as_ref(), Some(&e));
    assert_eq!(s.spool_read(&e).await.unwrap(), b"spooled\r\n");
    let big = vec![b'x'; 200 * 1024];
    let f = s
        .spool_insert(big.clone().into(), entry("", &["b@remote.test"], 5, 0))
        .await
        .unwrap();
    assert_eq!(s.spool_read(&f).await.unwrap(), big);
    s.spool_delete(e.id).await.unwrap();
    s.spool_delete(f.id).await.unwrap();
    assert!(s.spool_list().await.unwrap().is_empty());
    assert!(s.spool_delete(e.id).await.is_err());
    assert!(s.spool_get(e.id).await.unwrap().is_none());
}

pub(super) async fn spool_leases(s: Subject) {
    let low = s
        .spool_insert(
            b"low\r\n".to_vec().into(),
            entry("s@a.test", &["a@r.test"], 3, 100),
        )
        .await
        .unwrap();
    let high = s
        .spool_insert(
            b"high\r\n".to_vec().into(),
            entry("s@a.test", &["a@r.test", "b@r.test"], 9, 100),
        )
        .await
        .unwrap();
    let later = s
        .spool_insert(
            b"later\r\n".to_vec().into(),
            entry("s@a.test", &["c@r.test"], 10, 500),
        )
        .await
        .unwrap();
    assert_eq!(s.spool_next_due().await.unwrap(), Some(100));
    let (n, oldest) = s.spool_summary().await.unwrap();
    assert_eq!((n, oldest), (3, Some(low.created_at)));
    // Due entries only, highest priority first, limited.
    let got = s.spool_lease(200, 1000, 1).await.unwrap();
    assert_eq!(got.iter().map(|e| e.id).collect::<Vec<_>>(), [high.id]);
    assert_eq!(got[0].leased_until, 1000);
    let got = s.spool_lease(200, 1000, 10).await.unwrap();
    assert_eq!(got.iter().map(|e| e.id).collect::<Vec<_>>(), [low.id]);
    assert!(s.spool_lease(200, 1000, 10).await.unwrap().is_empty());
    assert_eq!(s.spool_next_due().await.unwrap(), Some(500));

    // One recipient delivered, one left: the entry stays with its new schedule.
    let mut rcpts = high.recipients.clone();
    rcpts[0].status = SPOOL_DELIVERED.into();
    rcpts[1].last_reply = Some("451 4.3.0 later".into());
    let attempt = SpoolAttempt {
        recipients: rcpts.clone(),
        attempts: 1,
        next_attempt_at: 300,
        priority: 9,
        last_attempt_at: 200,
    };
    assert!(s.spool_finish(high.id, attempt.clone()).await.unwrap());
    let now = s.spool_get(high.id).await.unwrap().unwrap();
    assert_eq!(
        (now.attempts, now.next_attempt_at, now.leased_until),
        (1, 300, 0)
    );
    assert_eq!(now.recipients, rcpts);
    assert_eq!(now.last_attempt_at, Some(200));

    // Every recipient done: the entry leaves the spool.
    rcpts[1].status = SPOOL_FAILED.into();
    let done = SpoolAttempt {
        recipients: rcpts,
        ..attempt
    };
    assert!(!s.spool_finish(high.id, done.clone()).await.unwrap());
    assert!(s.spool_get(high.id).await.unwrap().is_none());
    // Finishing an entry deleted meanwhile is not an error.
    assert!(!s.spool_finish(high.id, done).await.unwrap());

    // A lease left over (process stopped mid-delivery) is released and due at once.
    assert_eq!(s.spool_release(250).await.unwrap(), [low.id]);
    assert_eq!(s.spool_get(low.id).await.unwrap().unwrap().leased_until, 0);

    // Administrator's changes: priority, force, reset retries.
    let c = s
        .spool_change(
            later.id,
            SpoolChange {
                priority: Some(2),
                next_attempt_at: Some(0),
                reset: false,
            },
        )
        .await
        .unwrap();
    assert_eq!((c.priority, c.next_attempt_at), (2, 0));
    let mut failed = c.recipients.clone();
    failed[0].status = SPOOL_FAILED.into();
    failed[0].dns_failures = 2;
    let _ = s.spool_lease(600, 700, 10).await.unwrap();
    // Still pending nothing: a failed-only entry would be removed, so keep one pending.
    failed.push(SpoolRecipient::pending("d@r.test"));
    let a = SpoolAttempt {
        recipients: failed,
        attempts: 3,
        next_attempt_at: 900,
        priority: 2,
        last_attempt_at: 600,
    };
    s.spool_finish(later.id, a).await.unwrap();
    let r = s
        .spool_change(
            later.id,
            SpoolChange {
                reset: true,
                ..SpoolChange::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(r.attempts, 0);
    assert!(
        r.recipients
            .iter()
            .all(|x| x.is_pending() && x.dns_failures == 0)
    );
    assert!(
        s.spool_change(999_999, SpoolChange::default())
            .await
            .is_err()
    );
    for e in s.spool_list().await.unwrap() {
        s.spool_delete(e.id).await.unwrap();
    }
}

pub(super) async fn dkim_keys(s: Subject) {
    assert!(s.get_dkim_key("a.test").await.unwrap().is_none());
    let k = DkimRecord {
        domain: "a.test".into(),
        selector: "heron".into(),
        algorithm: "rsa".into(),
        private_key: "-----BEGIN PRIVATE KEY-----\n...".into(),
        created_at: 1,
    };
    s.put_dkim_key(&k).await.unwrap();
    assert_eq!(s.get_dkim_key("A.test").await.unwrap(), Some(k.clone()));
    let k2 = DkimRecord {
        selector: "s2".into(),
        ..k
    };
    s.put_dkim_key(&k2).await.unwrap();
    assert_eq!(s.get_dkim_key("a.test").await.unwrap(), Some(k2));
    s.delete_dkim_key("a.test").await.unwrap();
    assert!(s.get_dkim_key("a.test").await.unwrap().is_none());
    assert!(s.delete_dkim_key("a.test").await.is_err());
}
