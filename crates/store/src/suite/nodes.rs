//! Checks of node records, holds and services stopped on one node through one handle
//! (several handles sharing one database are each backend's own tests).

use std::time::Duration;

use super::Subject;
use crate::error::StoreError;
use crate::events::Event;

pub async fn nodes_and_holds(s: Subject) {
    assert!(s.list_nodes().await.unwrap().is_empty());
    s.node_heartbeat("mx1.example", "1.0", 100, 110)
        .await
        .unwrap();
    s.node_heartbeat("mx1.example", "1.0", 100, 115)
        .await
        .unwrap();
    let nodes = s.list_nodes().await.unwrap();
    assert_eq!(nodes.len(), 1);
    let me = &nodes[0];
    assert_eq!(
        (
            me.id.as_str(),
            me.hostname.as_str(),
            me.started_at,
            me.heartbeat_at
        ),
        (s.node_id(), "mx1.example", 100, 115)
    );
    assert!(me.is_alive(115 + 30) && !me.is_alive(115 + 31));

    // A hold is this node's until given back; taking it again is allowed (same node).
    assert!(s.hold_take("pop3:1", 120).await.unwrap());
    assert!(s.hold_take("pop3:1", 121).await.unwrap());
    assert!(s.hold_take("pop3:2", 121).await.unwrap());
    s.hold_release("pop3:1").await.unwrap();
    s.hold_release("pop3:1").await.unwrap();
    assert!(s.hold_take("pop3:1", 122).await.unwrap());

    // A clean stop gives the holds back and marks the node gone at once; its record stays
    // (the same node comes back under it).
    s.node_stopped().await.unwrap();
    let nodes = s.list_nodes().await.unwrap();
    assert_eq!(nodes.len(), 1);
    assert!(!nodes[0].is_alive(116), "{:?}", nodes[0]);
    s.node_heartbeat("mx1.example", "1.1", 190, 200)
        .await
        .unwrap();
    let nodes = s.list_nodes().await.unwrap();
    assert_eq!(
        (nodes.len(), nodes[0].started_at, nodes[0].version.as_str()),
        (1, 190, "1.1")
    );
}

/// Services stopped on one node: kept per listed node, listed with it, announced by an event,
/// kept over a clean stop, gone with the node's record; an unknown node is NotFound.
pub async fn stopped_services(s: Subject) {
    let me = s.node_id().to_owned();
    let unknown = s.set_service_stopped("no-such-node", "imap", true).await;
    assert!(
        matches!(unknown, Err(StoreError::NotFound(_))),
        "{unknown:?}"
    );
    assert!(s.stopped_services("no-such-node").await.unwrap().is_empty());
    let mine = s.set_service_stopped(&me, "imap", true).await;
    assert!(
        matches!(mine, Err(StoreError::NotFound(_))),
        "before its first heartbeat"
    );

    s.node_heartbeat("mx1.example", "1.0", 100, 110)
        .await
        .unwrap();
    let mut sub = s.subscribe();
    s.set_service_stopped(&me, "pop3", true).await.unwrap();
    assert_eq!(
        sub.next().await,
        Some(Event::NodeServices { node: me.clone() })
    );
    s.set_service_stopped(&me, "imap", true).await.unwrap();
    s.set_service_stopped(&me, "imap", true).await.unwrap();
    assert_eq!(s.stopped_services(&me).await.unwrap(), ["imap", "pop3"]);
    let listed = s.list_nodes().await.unwrap();
    assert_eq!(listed[0].stopped_services, ["imap", "pop3"]);
    // A heartbeat keeps them.
    s.node_heartbeat("mx1.example", "1.0", 100, 115)
        .await
        .unwrap();
    assert_eq!(s.stopped_services(&me).await.unwrap(), ["imap", "pop3"]);

    s.set_service_stopped(&me, "pop3", false).await.unwrap();
    s.set_service_stopped(&me, "smtp", false).await.unwrap();
    assert_eq!(s.stopped_services(&me).await.unwrap(), ["imap"]);
    // Each change that changed something was announced (imap stopped, pop3 started), and
    // nothing else: not the repeated stop, not the start of a service that was not stopped.
    for _ in 0..2 {
        assert_eq!(
            sub.next().await,
            Some(Event::NodeServices { node: me.clone() })
        );
    }
    let quiet = tokio::time::timeout(Duration::from_millis(300), sub.next()).await;
    assert!(quiet.is_err(), "unexpected {quiet:?}");

    // A clean stop keeps them: the node comes back with them.
    s.node_stopped().await.unwrap();
    assert_eq!(s.stopped_services(&me).await.unwrap(), ["imap"]);
    s.node_heartbeat("mx1.example", "1.0", 150, 200)
        .await
        .unwrap();
    assert_eq!(s.list_nodes().await.unwrap()[0].stopped_services, ["imap"]);
}
