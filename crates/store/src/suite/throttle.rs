//! Checks of the sending-throttle counters: counting per scope, key and window, old windows
//! removed, and counts added at once.

use super::{Subject, domain, user};
use crate::model::UserThrottle;

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

/// A user's own throttle values are kept, cleared when all are unset, and go with the user.
pub async fn user_throttles(s: Subject) {
    let d = domain(&s, "throttle.test").await;
    let u = user(&s, &d, "alice").await;
    assert_eq!(
        s.user_throttle(u.id).await.unwrap(),
        UserThrottle::default()
    );
    let t = UserThrottle {
        messages_per_hour: Some(50),
        mb_per_hour: Some(0),
        bounces_per_hour: None,
    };
    s.set_user_throttle(u.id, &t).await.unwrap();
    assert_eq!(s.user_throttle(u.id).await.unwrap(), t);
    s.set_user_throttle(u.id, &UserThrottle::default())
        .await
        .unwrap();
    assert_eq!(
        s.user_throttle(u.id).await.unwrap(),
        UserThrottle::default()
    );
    s.set_user_throttle(u.id, &t).await.unwrap();
    s.delete_user(u.id).await.unwrap();
    assert_eq!(
        s.user_throttle(u.id).await.unwrap(),
        UserThrottle::default()
    );
}
