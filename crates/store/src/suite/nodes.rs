//! Checks of node records and holds through one handle (several handles sharing one database
//! are each backend's own tests).

use super::Subject;

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

    // A node silent for a day is forgotten at the next heartbeat of any node.
    s.node_stopped().await.unwrap();
    assert!(s.list_nodes().await.unwrap().is_empty());
    s.node_heartbeat("mx1.example", "1.0", 100, 200)
        .await
        .unwrap();
    assert_eq!(s.list_nodes().await.unwrap().len(), 1);
}
