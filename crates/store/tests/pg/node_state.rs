//! State two nodes share beside mail: a service stopped on one node by a request to another
//! reaches the stopped node's subscribers, and goes when that node is forgotten; failed logins
//! counted on one node block the same key on the other; DMARC results counted on both nodes
//! are reported by one of them.
#![allow(clippy::unwrap_used)]

use heron_store::rules::limits::Rule;
use heron_store::*;

use super::{next, with_db};

/// Node a stops IMAP on node b: b hears of it (LISTEN/NOTIFY) and reads it back; a does not
/// stop it for itself. A node forgotten after a day of silence loses its stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_stopped_on_one_node_through_another() {
    with_db(
        "a_service_stopped_on_one_node_through_another",
        |db| async move {
            let (a, b) = (db.connect().await, db.connect().await);
            a.node_heartbeat("a.test", "1", 1000, 1000).await.unwrap();
            b.node_heartbeat("b.test", "1", 1000, 1000).await.unwrap();
            let mut on_b = b.subscribe();
            a.set_service_stopped(b.node_id(), "imap", true)
                .await
                .unwrap();
            assert_eq!(
                next(&mut on_b).await,
                Some(Event::NodeServices {
                    node: b.node_id().to_owned()
                })
            );
            assert_eq!(b.stopped_services(b.node_id()).await.unwrap(), ["imap"]);
            assert!(b.stopped_services(a.node_id()).await.unwrap().is_empty());
            let listed = b.list_nodes().await.unwrap();
            let by_host = |h: &str| listed.iter().find(|n| n.hostname == h).unwrap().clone();
            assert_eq!(by_host("b.test").stopped_services, ["imap"]);
            assert!(by_host("a.test").stopped_services.is_empty());

            // b falls silent for a day: the next heartbeat of a forgets it and its stops.
            a.node_heartbeat("a.test", "1", 1000, 1000 + 86_401)
                .await
                .unwrap();
            assert!(b.stopped_services(b.node_id()).await.unwrap().is_empty());
            let gone = a.set_service_stopped(b.node_id(), "imap", true).await;
            assert!(matches!(gone, Err(StoreError::NotFound(_))), "{gone:?}");
            db
        },
    )
    .await;
}

/// Failures counted on two nodes add up, and the block one of them starts holds on both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_on_two_nodes_block_on_both() {
    with_db("failures_on_two_nodes_block_on_both", |db| async move {
        let (a, b) = (db.connect().await, db.connect().await);
        let rule = Rule {
            max_failures: 5,
            window: 300,
            block: 900,
        };
        for t in 0..4 {
            let node = if t % 2 == 0 { &a } else { &b };
            assert!(
                !node
                    .limit_failure("login", "192.0.2.7", &rule, 10, 100 + t)
                    .await
                    .unwrap()
            );
        }
        assert_eq!(
            b.limit_blocked("login", "192.0.2.7", 104).await.unwrap(),
            None
        );
        assert!(
            a.limit_failure("login", "192.0.2.7", &rule, 10, 104)
                .await
                .unwrap()
        );
        assert_eq!(
            b.limit_blocked("login", "192.0.2.7", 105).await.unwrap(),
            Some(899)
        );
        b.limit_success("login", "192.0.2.7", 106).await.unwrap();
        assert_eq!(
            a.limit_blocked("login", "192.0.2.7", 106).await.unwrap(),
            Some(898)
        );
        db
    })
    .await;
}

/// Two nodes count DMARC results into the same rows, then both take the day at once: every
/// row goes to exactly one of them, with both nodes' counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dmarc_rows_counted_on_two_nodes_are_taken_once() {
    with_db(
        "dmarc_rows_counted_on_two_nodes_are_taken_once",
        |db| async move {
            let (a, b) = (db.connect().await, db.connect().await);
            let row = |ip: u32| DmarcCollected {
                day: 20_000,
                domain: "sender.test".into(),
                source_ip: format!("192.0.2.{ip}"),
                count: 1,
                ..Default::default()
            };
            let mut counting = Vec::new();
            for store in [a.clone(), b.clone()] {
                counting.push(tokio::spawn(async move {
                    for i in 0..40 {
                        assert!(store.dmarc_collect(&row(i % 10), 0).await.unwrap());
                    }
                }));
            }
            for c in counting {
                c.await.unwrap();
            }
            let (ta, tb) = tokio::join!(a.dmarc_take(20_000), b.dmarc_take(20_000));
            let (ta, tb) = (ta.unwrap(), tb.unwrap());
            assert_eq!(ta.len() + tb.len(), 10, "{ta:?} {tb:?}");
            assert!(ta.iter().chain(&tb).all(|r| r.count == 8));
            assert!(a.dmarc_collected(20_000).await.unwrap().is_empty());
            db
        },
    )
    .await;
}
