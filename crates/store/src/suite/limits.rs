//! Checks of failure limits: counting, blocks, successes, separate keys and scopes, the cap
//! on records kept, and failures counted at once.

use super::Subject;
use crate::rules::limits::Rule;

const RULE: Rule = Rule {
    max_failures: 5,
    window: 300,
    block: 900,
};
const MAX: usize = 100;

pub async fn failure_limits(s: Subject) {
    let fail = |key: &'static str, t: i64| {
        let s = s.clone();
        async move { s.limit_failure("login", key, &RULE, MAX, t).await.unwrap() }
    };
    // Four failures do not block; the fifth within the window blocks for the block's length.
    for t in 1000..1004 {
        assert!(!fail("10.0.0.1", t).await);
    }
    assert_eq!(
        s.limit_blocked("login", "10.0.0.1", 1004).await.unwrap(),
        None
    );
    assert!(fail("10.0.0.1", 1004).await);
    assert_eq!(
        s.limit_blocked("login", "10.0.0.1", 1005).await.unwrap(),
        Some(899)
    );
    // Other keys, and the same key in another scope, are not blocked.
    assert_eq!(
        s.limit_blocked("login", "10.0.0.2", 1005).await.unwrap(),
        None
    );
    assert_eq!(
        s.limit_blocked("smtp", "10.0.0.1", 1005).await.unwrap(),
        None
    );
    // A success does not lift a block, nor do failures during it extend it.
    s.limit_success("login", "10.0.0.1", 1006).await.unwrap();
    assert!(!fail("10.0.0.1", 1500).await);
    assert_eq!(
        s.limit_blocked("login", "10.0.0.1", 1903).await.unwrap(),
        Some(1)
    );
    // The block ends on time and the count starts afresh.
    assert_eq!(
        s.limit_blocked("login", "10.0.0.1", 1904).await.unwrap(),
        None
    );
    assert!(!fail("10.0.0.1", 1905).await);
    assert_eq!(
        s.limit_blocked("login", "10.0.0.1", 1906).await.unwrap(),
        None
    );

    // A success forgets the failures before it; failures older than the window do not count.
    for t in 2000..2004 {
        fail("10.0.0.3", t).await;
    }
    s.limit_success("login", "10.0.0.3", 2004).await.unwrap();
    assert!(!fail("10.0.0.3", 2005).await);
    for t in 2305..2309 {
        assert!(
            !fail("10.0.0.3", t).await,
            "2005 is out of the window at {t}"
        );
    }
    assert!(fail("10.0.0.3", 2309).await);
    s.limit_success("login", "never-failed", 2310)
        .await
        .unwrap();
}

/// A scope keeps at most its cap of records: the oldest unblocked record goes (its failures
/// are forgotten), a blocked one stays.
pub async fn failure_limits_are_bounded(s: Subject) {
    let fail = |key: String, t: i64| {
        let s = s.clone();
        async move { s.limit_failure("cap", &key, &RULE, 3, t).await.unwrap() }
    };
    for t in 0..5 {
        fail("blocked".into(), t).await;
    }
    for t in 10..14 {
        fail("old".into(), t).await;
    }
    // Two more keys: "old" (four failures, not blocked) makes room.
    fail("new1".into(), 20).await;
    fail("new2".into(), 21).await;
    assert!(
        !fail("old".into(), 22).await,
        "the fifth failure of a forgotten key starts again from one"
    );
    for t in 30..60 {
        fail(format!("k{t}"), t).await;
    }
    assert_eq!(
        s.limit_blocked("cap", "blocked", 60).await.unwrap(),
        Some(904 - 60),
        "a blocked key outlives the others"
    );
}

/// Failures of one key counted at once (several nodes, several requests) all count: exactly
/// one of the fifth and later starts the block.
pub async fn concurrent_failures(s: Subject) {
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.limit_failure("login", "10.9.9.9", &RULE, MAX, 5000)
                .await
                .unwrap()
        }));
    }
    let mut blocks = 0;
    for t in tasks {
        blocks += usize::from(t.await.unwrap());
    }
    assert_eq!(blocks, 1);
    assert_eq!(
        s.limit_blocked("login", "10.9.9.9", 5000).await.unwrap(),
        Some(900)
    );
}

/// The blocks in force are listed (of every scope, not the unblocked or ended ones) and can
/// be lifted, which forgets the key's failures too.
pub async fn limit_blocks_listed_and_removed(s: Subject) {
    for t in 0..5 {
        s.limit_failure("auth-ip", "10.1.0.1", &RULE, MAX, t)
            .await
            .unwrap();
        s.limit_failure("harvest", "10.1.0.2", &RULE, MAX, t)
            .await
            .unwrap();
    }
    s.limit_failure("auth-ip", "10.1.0.3", &RULE, MAX, 4)
        .await
        .unwrap();
    let blocks = s.limit_blocks(10).await.unwrap();
    let listed: Vec<(&str, &str, i64)> = blocks
        .iter()
        .map(|b| (b.scope.as_str(), b.key.as_str(), b.blocked_until))
        .collect();
    assert_eq!(
        listed,
        [("auth-ip", "10.1.0.1", 904), ("harvest", "10.1.0.2", 904)]
    );
    assert!(s.limit_blocks(904).await.unwrap().is_empty(), "ended");
    assert!(s.limit_remove("auth-ip", "10.1.0.1").await.unwrap());
    assert!(!s.limit_remove("auth-ip", "10.1.0.1").await.unwrap());
    assert_eq!(
        s.limit_blocked("auth-ip", "10.1.0.1", 10).await.unwrap(),
        None
    );
    assert!(
        !s.limit_failure("auth-ip", "10.1.0.1", &RULE, MAX, 11)
            .await
            .unwrap(),
        "counting starts afresh"
    );
    assert_eq!(s.limit_blocks(10).await.unwrap().len(), 1);
    // The failure times of a key, oldest first; none for an unknown key.
    assert_eq!(s.limit_failures("auth-ip", "10.1.0.3").await.unwrap(), [4]);
    assert_eq!(s.limit_failures("auth-ip", "10.1.0.1").await.unwrap(), [11]);
    assert!(
        s.limit_failures("auth-ip", "nobody")
            .await
            .unwrap()
            .is_empty()
    );
}
