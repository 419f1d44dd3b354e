//! Checks only a shared database needs: two store handles (standing for two nodes)
//! appending to one folder, taking over a spool lease that ran out, hearing each other's
//! changes, moving messages across each other; bytes kept in chunk rows; deadlock victims run
//! again; migrations.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use heron_store::*;
use tokio_postgres::NoTls;

use super::{TestDb, highest, host_port, msg, next, small_messages, with_db};

/// Two handles (two nodes) appending to one folder at once: every UID is handed out once,
/// each appender sees its own UIDs increase, and UIDNEXT ends past all of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_append_to_one_folder() {
    with_db("two_nodes_append_to_one_folder", |db| async move {
        let (a, b) = (db.connect().await, db.connect().await);
        let u = suite::one_user(&a, "two.test", "u", &[("INBOX", None)]).await;
        let f = b.get_folder(u.id, "INBOX").await.unwrap().unwrap();
        let mut tasks = Vec::new();
        for (n, node) in [a.clone(), b.clone()].into_iter().enumerate() {
            tasks.push(tokio::spawn(async move {
                let mut got = Vec::new();
                for i in 0..60 {
                    let body = format!("node {n} message {i}\r\n").into_bytes();
                    if i % 10 == 9 {
                        let batch = vec![(body.clone(), msg()), (body, msg())];
                        got.extend(node.append_batch(f.id, batch).await.unwrap());
                    } else {
                        got.extend(node.deliver(body.into(), &[(f.id, msg())]).await.unwrap());
                    }
                }
                got
            }));
        }
        let mut all = HashSet::new();
        for t in tasks {
            let got = t.await.unwrap();
            assert!(got.windows(2).all(|w| w[0] < w[1]), "increasing: {got:?}");
            for uid in got {
                assert!(all.insert(uid), "UID {uid} handed out twice");
            }
        }
        assert_eq!(all, (1..=132).collect::<HashSet<u32>>());
        let f = a.get_folder_by_id(f.id).await.unwrap().unwrap();
        assert_eq!(f.uidnext, 133);
        assert_eq!(a.list_messages(f.id).await.unwrap().len(), 132);
        db
    })
    .await;
}

/// Many deliveries at once from one handle (gathered into shared transactions): each folder
/// hands out its UIDs once and in order, every message is readable, usage counts them all,
/// and a delivery to a folder deleted meanwhile fails alone without failing the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_share_transactions_and_fail_alone() {
    with_db(
        "concurrent_deliveries_share_transactions_and_fail_alone",
        |db| async move {
            let s = db.connect().await;
            let u =
                suite::one_user(&s, "batch.test", "u", &[("INBOX", None), ("Gone", None)]).await;
            let inbox = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
            let gone = s.get_folder(u.id, "Gone").await.unwrap().unwrap();
            let other = s.create_folder(u.id, "Other", None).await.unwrap();
            s.delete_folder(gone.id).await.unwrap();
            let before = s.get_user_by_id(u.id).await.unwrap().unwrap().used_bytes;
            let mut tasks = Vec::new();
            for i in 0..200u32 {
                let s = s.clone();
                let targets = match i % 50 {
                    7 => vec![(gone.id, msg())],
                    _ if i % 2 == 0 => vec![(inbox.id, msg()), (other.id, msg())],
                    _ => vec![(inbox.id, msg())],
                };
                tasks.push(tokio::spawn(async move {
                    let body = format!("Subject: {i}\r\n\r\nmessage {i}\r\n").into_bytes();
                    (i, s.deliver(body.into(), &targets).await)
                }));
            }
            let (mut inbox_uids, mut other_uids, mut failed) = (HashSet::new(), HashSet::new(), 0);
            for t in tasks {
                match t.await.unwrap() {
                    (i, Err(StoreError::NotFound(_))) if i % 50 == 7 => failed += 1,
                    (i, Ok(uids)) if i % 2 == 0 => {
                        assert!(inbox_uids.insert(uids[0]) && other_uids.insert(uids[1]));
                    }
                    (i, Ok(uids)) => assert!(inbox_uids.insert(uids[0]), "message {i}"),
                    (i, r) => panic!("message {i}: {r:?}"),
                }
            }
            assert_eq!(failed, 4);
            assert_eq!(inbox_uids, (1..=196).collect::<HashSet<u32>>());
            assert_eq!(other_uids, (1..=100).collect::<HashSet<u32>>());
            let listed = s.list_messages(inbox.id).await.unwrap();
            assert_eq!(listed.len(), 196);
            assert!(
                listed
                    .windows(2)
                    .all(|w| w[0].uid < w[1].uid && w[0].modseq < w[1].modseq)
            );
            let mut total = 0;
            for m in listed
                .iter()
                .chain(&s.list_messages(other.id).await.unwrap())
            {
                let bytes = s.read_message(m).await.unwrap();
                assert!(bytes.starts_with(b"Subject: "));
                assert_eq!(bytes.len() as u64, m.size);
                total += m.size;
            }
            let user = s.get_user_by_id(u.id).await.unwrap().unwrap();
            assert_eq!(user.used_bytes, before + total);
            db
        },
    )
    .await;
}

/// Flag changes, expunges and copies at once on one folder (gathered into shared
/// transactions): every change lands with its own modseq, in one order, and a change to a
/// folder deleted meanwhile fails alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_folder_changes_share_transactions_and_fail_alone() {
    with_db(
        "concurrent_folder_changes_share_transactions_and_fail_alone",
        |db| async move {
            let s = db.connect().await;
            let u =
                suite::one_user(&s, "changes.test", "u", &[("INBOX", None), ("Gone", None)]).await;
            let inbox = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
            let gone = s.get_folder(u.id, "Gone").await.unwrap().unwrap();
            let copies = s.create_folder(u.id, "Copies", None).await.unwrap();
            s.append_batch(inbox.id, small_messages(50)).await.unwrap();
            s.delete_folder(gone.id).await.unwrap();
            let start = highest(&s, inbox.id).await;
            let mut tasks = Vec::new();
            for i in 0..120u32 {
                let s = s.clone();
                tasks.push(tokio::spawn(async move {
                    let uid = i % 40 + 1;
                    match i % 40 {
                        _ if i < 10 => s.expunge(inbox.id, &[41 + i]).await.map(|g| g.len()),
                        5 => s
                            .store_flags(gone.id, &[1], FlagOp::Add, &["x".into()], None)
                            .await
                            .map(|_| 0),
                        7 => s
                            .copy_messages(inbox.id, &[uid], copies.id)
                            .await
                            .map(|p| p.len()),
                        _ => s
                            .store_flags(inbox.id, &[uid], FlagOp::Add, &[format!("k{i}")], None)
                            .await
                            .map(|f| f.changed.len()),
                    }
                }));
            }
            let mut changes = 0;
            let mut not_found = 0;
            for t in tasks {
                match t.await.unwrap() {
                    Ok(n) => changes += n,
                    Err(StoreError::NotFound(_)) => not_found += 1,
                    Err(e) => panic!("{e:?}"),
                }
            }
            assert_eq!(not_found, 2, "the two changes to the deleted folder");
            let listed = s.list_messages(inbox.id).await.unwrap();
            assert_eq!(
                listed.iter().map(|m| m.uid).collect::<Vec<_>>(),
                (1..=40).collect::<Vec<_>>()
            );
            for m in &listed {
                let want: HashSet<String> = (10..120)
                    .filter(|i| i % 40 + 1 == m.uid && i % 40 != 5 && i % 40 != 7)
                    .map(|i| format!("k{i}"))
                    .collect();
                let got: HashSet<String> = m.flags.iter().cloned().collect();
                assert_eq!(got, want, "UID {}", m.uid);
            }
            assert_eq!(s.list_messages(copies.id).await.unwrap().len(), 2);
            // Each successful change of INBOX raised its modseq once: 10 expunges and the
            // flag changes (copies change only the target).
            let flag_changes = changes - 10 - 2;
            let end = highest(&s, inbox.id).await;
            assert_eq!(end - start, 10 + flag_changes as u64);
            db
        },
    )
    .await;
}

/// Concurrent flag changes of the same messages (run together in batches): each change that
/// changed anything has its own modseq, one after another from the folder's, and replaying
/// the answers in modseq order gives exactly the rows' flags and modseqs; a change with an
/// UNCHANGEDSINCE older than a message's modseq leaves it alone and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_flag_changes_agree_with_their_answers() {
    with_db(
        "concurrent_flag_changes_agree_with_their_answers",
        |db| async move {
            let s = db.connect().await;
            let u = suite::one_user(&s, "flags.test", "u", &[("INBOX", None)]).await;
            let inbox = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
            s.append_batch(inbox.id, small_messages(4)).await.unwrap();
            let start = highest(&s, inbox.id).await;
            let mut tasks = Vec::new();
            for i in 0..90u32 {
                let s = s.clone();
                tasks.push(tokio::spawn(async move {
                    let uids: Vec<u32> = vec![i % 3 + 1, (i + 1) % 3 + 1, 9];
                    let (op, flags) = match i % 3 {
                        0 => (FlagOp::Add, vec![format!("k{}", i % 5), "\\Seen".into()]),
                        1 => (FlagOp::Remove, vec![format!("k{}", (i + 2) % 5)]),
                        _ => (FlagOp::Replace, vec![format!("k{}", i % 5)]),
                    };
                    // Every tenth change asks for messages unchanged since the start.
                    let since = (i % 10 == 0).then_some(start);
                    let r = s
                        .store_flags(inbox.id, &uids, op, &flags, since)
                        .await
                        .unwrap();
                    (uids, since, r)
                }));
            }
            let mut answers = Vec::new();
            for t in tasks {
                answers.push(t.await.unwrap());
            }
            let mut modseqs: Vec<u64> = Vec::new();
            let mut last: std::collections::HashMap<u32, (u64, Vec<String>)> = Default::default();
            for (uids, since, r) in &answers {
                assert_eq!(r.missing, vec![9], "UID 9 does not exist");
                let mut of_this: Vec<u64> = r.changed.iter().map(|c| c.1).collect();
                of_this.dedup();
                assert!(of_this.len() <= 1, "one modseq per change: {r:?}");
                modseqs.extend(of_this);
                for (uid, m, f) in &r.changed {
                    let e = last.entry(*uid).or_insert((0, Vec::new()));
                    if *m > e.0 {
                        *e = (*m, f.clone());
                    }
                }
                if since.is_none() {
                    assert!(r.modified.is_empty(), "{r:?}");
                }
                for u in &r.modified {
                    assert!(uids.contains(u));
                }
            }
            modseqs.sort_unstable();
            let n = modseqs.len() as u64;
            assert_eq!(modseqs, (start + 1..=start + n).collect::<Vec<_>>());
            let end = highest(&s, inbox.id).await;
            assert_eq!(end, start + n);
            for m in s.list_messages(inbox.id).await.unwrap() {
                if m.uid > 3 {
                    continue;
                }
                let (want_m, want_f) = &last[&m.uid];
                assert_eq!(m.modseq, *want_m, "UID {}", m.uid);
                let mut got = m.flags.clone();
                let mut want = want_f.clone();
                got.sort();
                want.sort();
                assert_eq!(got, want, "UID {}", m.uid);
            }
            db
        },
    )
    .await;
}

/// The catch-up and STATUS counts of a node that made the changes (answered from its change
/// log) are the ones a node that did not (reading the database) gets, from every modseq,
/// after concurrent appends, flag changes, expunges and moves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catch_up_from_the_change_log_matches_the_database() {
    with_db(
        "catch_up_from_the_change_log_matches_the_database",
        |db| async move {
            let (a, b) = (db.connect().await, db.connect().await);
            let u = suite::one_user(&a, "log.test", "u", &[("INBOX", None)]).await;
            let inbox = a.get_folder(u.id, "INBOX").await.unwrap().unwrap();
            let other = a.create_folder(u.id, "Other", None).await.unwrap();
            let start = highest(&a, inbox.id).await;
            // Counted once here: later counts on `a` are these moved on by its log.
            a.folder_counts(inbox.id).await.unwrap();
            let mut tasks = Vec::new();
            for i in 0..120u32 {
                let s = a.clone();
                tasks.push(tokio::spawn(async move {
                    let uid = i % 30 + 1;
                    match i % 6 {
                        0 | 1 => {
                            let m = (format!("m {i}\r\n").into_bytes(), msg());
                            s.append_batch(inbox.id, vec![m]).await.map(|_| ())
                        }
                        2 | 3 => s
                            .store_flags(
                                inbox.id,
                                &[uid, uid + 1],
                                FlagOp::Add,
                                &[format!("k{i}")],
                                None,
                            )
                            .await
                            .map(|_| ()),
                        4 => s.expunge(inbox.id, &[uid + 5]).await.map(|_| ()),
                        _ => s
                            .move_messages(inbox.id, &[uid + 9], other.id)
                            .await
                            .map(|_| ()),
                    }
                }));
            }
            for t in tasks {
                t.await.unwrap().unwrap();
            }
            let end = highest(&a, inbox.id).await;
            assert!(end > start + 60, "{start} {end}");
            let sorted = |mut c: FolderChanges| {
                let mut changed: Vec<MessageMeta> =
                    c.changed.iter().map(|m| (**m).clone()).collect();
                changed.sort_by_key(|m| m.uid);
                for m in &mut changed {
                    m.flags.sort();
                }
                c.vanished.sort_unstable();
                (c.highestmodseq, changed, c.vanished)
            };
            for m in (start..=end).step_by(3) {
                let here = sorted(a.changes_since(inbox.id, m).await.unwrap());
                let there = sorted(b.changes_since(inbox.id, m).await.unwrap());
                assert_eq!(here, there, "since modseq {m}");
            }
            assert_eq!(
                a.folder_counts(inbox.id).await.unwrap(),
                b.folder_counts(inbox.id).await.unwrap(),
                "STATUS counts"
            );
            // Those answers of `a` came from its log and kept counts, not from the rows: a
            // change made behind the store's back (no new HIGHESTMODSEQ) shows on a fresh
            // node, which reads the database, and not on `a`.
            let sql = format!(
                "UPDATE messages SET flags = '\\Seen tampered' WHERE folder_id = {}",
                inbox.id
            );
            TestDb::exec(&db.config(), &sql).await;
            let fresh = db.connect().await;
            let tampered = |c: &(u64, Vec<MessageMeta>, Vec<u32>)| {
                c.1.iter().any(|m| m.flags.iter().any(|f| f == "tampered"))
            };
            let read = sorted(fresh.changes_since(inbox.id, start).await.unwrap());
            assert!(tampered(&read), "the fresh node reads the rows");
            let logged = sorted(a.changes_since(inbox.id, start).await.unwrap());
            assert!(!tampered(&logged), "answered from the change log");
            assert_eq!(fresh.folder_counts(inbox.id).await.unwrap().unseen, 0);
            assert!(
                a.folder_counts(inbox.id).await.unwrap().unseen > 0,
                "counts kept and moved on by the log"
            );
            db
        },
    )
    .await;
}

/// A node whose change log is known current answers catch-ups without reading the database
/// (a change made behind its back does not show), yet hears another node's change: once
/// that node's event arrived, the catch-up has it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_current_change_log_still_hears_the_other_node() {
    with_db(
        "a_current_change_log_still_hears_the_other_node",
        |db| async move {
            let (a, b) = (db.connect().await, db.connect().await);
            let u = suite::one_user(&a, "cur.test", "u", &[("INBOX", None)]).await;
            let inbox = a.get_folder(u.id, "INBOX").await.unwrap().unwrap();
            a.append_batch(inbox.id, small_messages(3)).await.unwrap();
            let h1 = highest(&a, inbox.id).await;
            // Read once from the database: the log reaches its HIGHESTMODSEQ, so it is current.
            assert_eq!(a.changes_since(inbox.id, 0).await.unwrap().changed.len(), 3);
            let shift = |by: i64| {
                format!(
                    "UPDATE folders SET highestmodseq = highestmodseq + {by} WHERE id = {}",
                    inbox.id
                )
            };
            TestDb::exec(&db.config(), &shift(100)).await;
            assert_eq!(
                a.changes_since(inbox.id, h1).await.unwrap().highestmodseq,
                h1,
                "answered from the current log"
            );
            assert_eq!(
                b.changes_since(inbox.id, h1).await.unwrap().highestmodseq,
                h1 + 100,
                "the other node reads the database"
            );
            TestDb::exec(&db.config(), &shift(-100)).await;

            let mut on_a = a.subscribe();
            b.store_flags(inbox.id, &[1], FlagOp::Add, &["fromb".into()], None)
                .await
                .unwrap();
            assert!(matches!(next(&mut on_a).await, Some(Event::Mailbox { .. })));
            let seen = a.changes_since(inbox.id, h1).await.unwrap();
            assert_eq!(seen.highestmodseq, h1 + 1);
            assert_eq!(seen.changed.len(), 1);
            assert!(seen.changed[0].flags.iter().any(|f| f == "fromb"));

            // Its own next write starts the log again; once confirmed, it answers alone again
            // and with that write.
            let uids = a.append_batch(inbox.id, small_messages(1)).await.unwrap();
            let caught = a.changes_since(inbox.id, h1 + 1).await.unwrap();
            assert_eq!(caught.changed.len(), 1);
            assert_eq!(caught.changed[0].uid, uids[0]);
            TestDb::exec(&db.config(), &shift(100)).await;
            assert_eq!(
                a.changes_since(inbox.id, h1 + 1)
                    .await
                    .unwrap()
                    .highestmodseq,
                h1 + 2,
                "current again"
            );
            db
        },
    )
    .await;
}

/// A lease taken by one node keeps the entry from the other until it runs out; then the
/// other takes it over. Releasing frees a node's own leases, not a live lease of another.
/// Nodes leasing at once never get the same entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spool_leases_are_taken_over_after_they_run_out() {
    with_db(
        "spool_leases_are_taken_over_after_they_run_out",
        |db| async move {
            let (a, b) = (db.connect().await, db.connect().await);
            let new = |due| NewSpoolEntry {
                sender: "s@a.test".into(),
                recipients: vec![SpoolRecipient::pending("r@remote.test")],
                priority: 5,
                ret: None,
                envid: None,
                next_attempt_at: due,
                requiretls: false,
            };
            let e = a
                .spool_insert(b"m\r\n".to_vec().into(), new(100))
                .await
                .unwrap();
            let got = a.spool_lease(100, 200, 10).await.unwrap();
            assert_eq!(got.iter().map(|e| e.id).collect::<Vec<_>>(), [e.id]);
            assert!(
                b.spool_lease(150, 250, 10).await.unwrap().is_empty(),
                "lease running"
            );
            assert!(
                b.spool_release(150).await.unwrap().is_empty(),
                "not b's lease"
            );
            assert_eq!(
                b.spool_next_due().await.unwrap(),
                Some(200),
                "due when it runs out"
            );
            let taken = b.spool_lease(201, 300, 10).await.unwrap();
            assert_eq!(taken.iter().map(|e| e.id).collect::<Vec<_>>(), [e.id]);
            assert_eq!(taken[0].leased_until, 300);
            assert!(
                a.spool_release(250).await.unwrap().is_empty(),
                "now b's, running"
            );
            assert_eq!(b.spool_release(250).await.unwrap(), [e.id], "b's own");
            a.spool_delete(e.id).await.unwrap();

            for i in 0..40 {
                a.spool_insert(format!("{i}\r\n").into_bytes().into(), new(0))
                    .await
                    .unwrap();
            }
            let mut tasks = Vec::new();
            for node in [a.clone(), b.clone(), a.clone(), b.clone()] {
                tasks.push(tokio::spawn(async move {
                    let mut ids = Vec::new();
                    loop {
                        let got = node.spool_lease(10, 1000, 3).await.unwrap();
                        if got.is_empty() {
                            break ids;
                        }
                        ids.extend(got.into_iter().map(|e| e.id));
                    }
                }));
            }
            let mut seen = HashSet::new();
            for t in tasks {
                for id in t.await.unwrap() {
                    assert!(seen.insert(id), "entry {id} leased twice");
                }
            }
            assert_eq!(seen.len(), 40);
            db
        },
    )
    .await;
}

/// A change committed through one handle reaches the other's subscribers (LISTEN/NOTIFY),
/// once; a handle's own changes reach its subscribers once, not again through the listener.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_reach_the_other_nodes_subscribers() {
    with_db(
        "changes_reach_the_other_nodes_subscribers",
        |db| async move {
            let (a, b) = (db.connect().await, db.connect().await);
            let mut on_b = b.subscribe();
            let mut on_a = a.subscribe();
            a.set_setting("pop.banner", "x").await.unwrap();
            let want = Event::Setting {
                key: "pop.banner".into(),
            };
            assert_eq!(next(&mut on_b).await, Some(want.clone()));
            assert_eq!(next(&mut on_a).await, Some(want));
            let u = suite::one_user(&b, "ev.test", "u", &[("INBOX", None)]).await;
            // The domain, then the user, on both sides.
            for sub in [&mut on_a, &mut on_b] {
                assert_eq!(next(sub).await, Some(Event::Directory));
                assert_eq!(next(sub).await, Some(Event::Directory));
            }
            let f = a.get_folder(u.id, "INBOX").await.unwrap().unwrap();
            a.deliver(b"x\r\n".to_vec().into(), &[(f.id, msg())])
                .await
                .unwrap();
            let mailbox = Event::Mailbox {
                user_id: u.id,
                folder_id: f.id,
            };
            assert_eq!(next(&mut on_a).await, Some(mailbox.clone()));
            assert_eq!(next(&mut on_b).await, Some(mailbox));
            // Nothing more: a's own change did not come back to it through the listener.
            let quiet = tokio::time::timeout(Duration::from_millis(300), on_a.next()).await;
            assert!(quiet.is_err(), "unexpected {quiet:?}");
            db
        },
    )
    .await;
}

/// When the listening connection drops, subscribers are told to re-read (`Resync`) and
/// changes still arrive, by polling and then by listening again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_still_arrive_after_the_listener_loses_its_connection() {
    with_db(
        "changes_still_arrive_after_the_listener_loses_its_connection",
        |db| async move {
            let (a, b) = (db.connect().await, db.connect().await);
            let mut on_b = b.subscribe();
            TestDb::exec(
                &db.config(),
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE query LIKE 'LISTEN %' AND datname = current_database() \
                 AND pid <> pg_backend_pid()",
            )
            .await;
            assert_eq!(next(&mut on_b).await, Some(Event::Resync));
            for i in 0..3 {
                let key = format!("k{i}");
                a.set_setting(&key, "v").await.unwrap();
                assert_eq!(next(&mut on_b).await, Some(Event::Setting { key }));
                tokio::time::sleep(Duration::from_millis(1500)).await;
            }
            db
        },
    )
    .await;
}

/// The schema's migrations are recorded once, and a second connect applies nothing again.
#[tokio::test]
async fn migrations_apply_once_and_are_listed() {
    with_db("migrations_apply_once_and_are_listed", |db| async move {
        let url = format!(
            "postgres://{}@{}/{}",
            db.admin.get_user().unwrap_or("postgres"),
            host_port(&db.admin),
            db.name
        );
        let before = postgres::migrations::status(&url).await.unwrap();
        assert!(!before.is_empty() && before.iter().all(|m| m.applied_at.is_none()));
        let a = db.connect().await;
        let applied = a.migrations().await.unwrap();
        assert_eq!(applied.len(), postgres::MIGRATIONS.len());
        assert!(applied.iter().all(|m| m.applied_at.is_some()));
        let b = db.connect().await;
        assert_eq!(b.migrations().await.unwrap(), applied);
        assert_eq!(postgres::migrations::status(&url).await.unwrap(), applied);
        db
    })
    .await;
}

/// Message bytes are chunk rows counted by reference: one copy for several folders, written
/// with the records or not at all, gone with the last reference (mailboxes and spool alike).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_live_in_chunks_and_go_with_their_last_reference() {
    with_db(
        "bytes_live_in_chunks_and_go_with_their_last_reference",
        |db| async move {
            let s = db.connect().await;
            let u = suite::one_user(&s, "b.test", "u", &[("INBOX", None), ("Old", None)]).await;
            let inbox = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
            let old = s.get_folder(u.id, "Old").await.unwrap().unwrap();
            let big: Vec<u8> = (0..600 * 1024).map(|i| (i % 251) as u8).collect();
            let bytes = MessageBytes::new(b"Received: by h\r\n".to_vec(), Arc::new(big));
            let targets = [(inbox.id, msg()), (old.id, msg())];
            s.deliver(bytes.clone(), &targets).await.unwrap();
            assert_eq!(
                db.count("SELECT count(*) FROM blobs WHERE refs = 2").await,
                1
            );
            assert_eq!(
                db.count("SELECT count(*) FROM blob_chunks").await,
                3,
                "600 KiB in 256 KiB chunks"
            );
            // A delivery that fails part way leaves no bytes behind.
            let bad = [(inbox.id, msg()), (999_999, msg())];
            assert!(s.deliver(bytes.clone(), &bad).await.is_err());
            assert_eq!(db.count("SELECT count(*) FROM blobs").await, 1);
            assert_eq!(s.list_messages(inbox.id).await.unwrap().len(), 1);
            let m = s.list_messages(inbox.id).await.unwrap().remove(0);
            assert_eq!(s.read_message(&m).await.unwrap(), bytes.joined());
            s.move_messages(inbox.id, &[m.uid], old.id).await.unwrap();
            s.expunge(old.id, &[1]).await.unwrap();
            // The moved-from and expunged rows are held for sessions not yet told (one
            // reference each), then released.
            assert_eq!(
                db.count("SELECT count(*) FROM blobs WHERE refs = 3").await,
                1
            );
            assert_eq!(s.release_held(i64::MAX).await.unwrap(), 2);
            assert_eq!(
                db.count("SELECT count(*) FROM blobs WHERE refs = 1").await,
                1
            );
            s.delete_folder(old.id).await.unwrap();
            let e = s
                .spool_insert(
                    bytes,
                    NewSpoolEntry {
                        sender: String::new(),
                        recipients: vec![SpoolRecipient::pending("r@remote.test")],
                        priority: 5,
                        ret: None,
                        envid: None,
                        next_attempt_at: 0,
                        requiretls: false,
                    },
                )
                .await
                .unwrap();
            assert_eq!(db.count("SELECT count(*) FROM blob_chunks").await, 3);
            s.spool_delete(e.id).await.unwrap();
            assert_eq!(db.count("SELECT count(*) FROM blobs").await, 0);
            assert_eq!(db.count("SELECT count(*) FROM blob_chunks").await, 0);
            db
        },
    )
    .await;
}

/// Moves in both directions between two folders, from two nodes at once, lock the folders in
/// opposite orders; PostgreSQL breaks the deadlocks and the losing transactions run again, so
/// every move succeeds and no message is lost or doubled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crossing_moves_from_two_nodes_all_succeed() {
    with_db(
        "crossing_moves_from_two_nodes_all_succeed",
        |db| async move {
            let (a, b) = (db.connect().await, db.connect().await);
            let u = suite::one_user(&a, "mv.test", "u", &[("A", None), ("B", None)]).await;
            let fa = a.get_folder(u.id, "A").await.unwrap().unwrap();
            let fb = a.get_folder(u.id, "B").await.unwrap().unwrap();
            for f in [&fa, &fb] {
                let batch = (0..20)
                    .map(|i| (format!("{i}\r\n").into_bytes(), msg()))
                    .collect();
                a.append_batch(f.id, batch).await.unwrap();
            }
            let mut tasks = Vec::new();
            for (node, from, to) in [(a.clone(), fa.id, fb.id), (b.clone(), fb.id, fa.id)] {
                tasks.push(tokio::spawn(async move {
                    for _ in 0..15 {
                        let uids: Vec<u32> = node
                            .list_messages(from)
                            .await
                            .unwrap()
                            .iter()
                            .take(3)
                            .map(|m| m.uid)
                            .collect();
                        node.move_messages(from, &uids, to).await.unwrap();
                    }
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
            let n = a.list_messages(fa.id).await.unwrap().len()
                + a.list_messages(fb.id).await.unwrap().len();
            assert_eq!(n, 40);
            // Each move left its source's rows held; once released, one reference each.
            assert!(a.release_held(i64::MAX).await.unwrap() > 0);
            assert_eq!(
                db.count("SELECT coalesce(sum(refs), 0)::bigint FROM blobs")
                    .await,
                40
            );
            db
        },
    )
    .await;
}

/// A write that PostgreSQL aborts as a deadlock victim is run again and succeeds: another
/// session holds the owner's row and then asks for the folder row a delivery holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadlock_victim_is_run_again() {
    with_db("a_deadlock_victim_is_run_again", |db| async move {
        let s = db.connect().await;
        let u = suite::one_user(&s, "dl.test", "u", &[("INBOX", None)]).await;
        let f = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
        let (mut other, conn) = db.config().connect(NoTls).await.unwrap();
        tokio::spawn(conn);
        // The other session waits long before looking for deadlocks, so the store's
        // transaction is the one PostgreSQL aborts.
        other
            .batch_execute("SET deadlock_timeout = '20s'")
            .await
            .unwrap();
        let t = other.transaction().await.unwrap();
        t.execute("UPDATE users SET last_login = 1 WHERE id = $1", &[&u.id])
            .await
            .unwrap();
        let store = s.clone();
        let delivery = tokio::spawn(async move {
            store
                .deliver(b"x\r\n".to_vec().into(), &[(f.id, msg())])
                .await
        });
        // The delivery now holds the folder row and waits for the user row.
        tokio::time::sleep(Duration::from_millis(300)).await;
        t.execute(
            "UPDATE folders SET recent_uid = recent_uid WHERE id = $1",
            &[&f.id],
        )
        .await
        .unwrap();
        t.commit().await.unwrap();
        assert_eq!(delivery.await.unwrap().unwrap(), [1]);
        assert_eq!(s.list_messages(f.id).await.unwrap().len(), 1);
        db
    })
    .await;
}

/// A node that stops beating (killed) loses its spool leases and holds to the others as soon
/// as it counts as gone, long before its leases would run out; while it beats, they are its.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_nodes_leases_and_holds_are_taken_over() {
    with_db(
        "a_silent_nodes_leases_and_holds_are_taken_over",
        |db| async move {
            let (a, b) = (db.connect().await, db.connect().await);
            a.node_heartbeat("a.test", "1", 1000, 1000).await.unwrap();
            b.node_heartbeat("b.test", "1", 1000, 1000).await.unwrap();
            let e = a
                .spool_insert(
                    b"m\r\n".to_vec().into(),
                    NewSpoolEntry {
                        sender: "s@a.test".into(),
                        recipients: vec![SpoolRecipient::pending("r@remote.test")],
                        priority: 5,
                        ret: None,
                        envid: None,
                        next_attempt_at: 1000,
                        requiretls: false,
                    },
                )
                .await
                .unwrap();
            assert_eq!(a.spool_lease(1000, 4600, 10).await.unwrap().len(), 1);
            assert!(a.hold_take("pop3:7", 1000).await.unwrap());
            // a is alive until its heartbeat is NODE_STALE_SECS old.
            let alive = 1000 + NODE_STALE_SECS;
            assert!(b.spool_lease(alive, 4600, 10).await.unwrap().is_empty());
            assert!(!b.hold_take("pop3:7", alive).await.unwrap());
            let gone = alive + 1;
            b.node_heartbeat("b.test", "1", 1000, gone).await.unwrap();
            let taken = b.spool_lease(gone, gone + 3600, 10).await.unwrap();
            assert_eq!(taken.iter().map(|x| x.id).collect::<Vec<_>>(), [e.id]);
            assert!(b.hold_take("pop3:7", gone).await.unwrap());
            // Back from the dead, a finds its hold taken.
            a.node_heartbeat("a.test", "1", 1000, gone + 1)
                .await
                .unwrap();
            assert!(!a.hold_take("pop3:7", gone + 1).await.unwrap());
            let nodes = a.list_nodes().await.unwrap();
            assert_eq!(
                nodes
                    .iter()
                    .map(|n| n.hostname.as_str())
                    .collect::<Vec<_>>(),
                ["a.test", "b.test"]
            );
            db
        },
    )
    .await;
}
