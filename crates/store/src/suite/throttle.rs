//! Checks of the sending-throttle counters: counting per scope, key and window, old windows
//! removed, and counts added at once.

use super::Subject;

pub async fn throttle_counts(s: Subject) {
    assert_eq!(
        s.throttle_count("user_messages", "7", 3600).await.unwrap(),
        0
    );
    assert_eq!(
        s.throttle_add("user_messages", "7", 3600, 1).await.unwrap(),
        1
    );
    assert_eq!(
        s.throttle_add("user_messages", "7", 3600, 2).await.unwrap(),
        3
    );
    assert_eq!(
        s.throttle_add("user_bytes", "7", 3600, 5000).await.unwrap(),
        5000
    );
    assert_eq!(
        s.throttle_add("user_messages", "8", 3600, 1).await.unwrap(),
        1
    );
    assert_eq!(
        s.throttle_count("user_messages", "7", 3600).await.unwrap(),
        3
    );
    assert_eq!(
        s.throttle_count("user_bytes", "7", 3600).await.unwrap(),
        5000
    );
    // The next window starts from nothing, and adding to it removes the old windows.
    assert_eq!(
        s.throttle_count("user_messages", "7", 7200).await.unwrap(),
        0
    );
    assert_eq!(
        s.throttle_add("user_messages", "7", 7200, 1).await.unwrap(),
        1
    );
    assert_eq!(
        s.throttle_count("user_messages", "7", 3600).await.unwrap(),
        0
    );
    assert_eq!(s.throttle_count("user_bytes", "7", 3600).await.unwrap(), 0);

    // Counts added at once (several sessions, several nodes) all count.
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.throttle_add("domain_messages", "example.com", 7200, 1)
                .await
                .unwrap()
        }));
    }
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await.unwrap());
    }
    seen.sort_unstable();
    assert_eq!(seen, (1..=20).collect::<Vec<u64>>());
    assert_eq!(
        s.throttle_count("domain_messages", "example.com", 7200)
            .await
            .unwrap(),
        20
    );
}
