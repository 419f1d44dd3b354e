//! Checks of admin login sessions.

use super::Subject;
use crate::model::AdminSession;

fn session(id: &str, account: &str, idle_secs: i64, last_used: i64) -> AdminSession {
    AdminSession {
        id_hash: id.into(),
        account: account.into(),
        csrf_token: format!("csrf-{id}"),
        idle_secs,
        impersonation: (account != "admin").then(|| "{\"by\":\"admin\"}".into()),
        last_used,
    }
}

pub async fn admin_sessions(s: Subject) {
    s.session_insert(&session("a", "admin", 60, 100), 10, 100)
        .await
        .unwrap();
    s.session_insert(&session("b", "user:b@x.test", 600, 100), 10, 100)
        .await
        .unwrap();
    let got = s.session_use("a", 120).await.unwrap().unwrap();
    assert_eq!(
        got,
        session("a", "admin", 60, 100),
        "used within the touch interval"
    );
    let got = s.session_use("a", 140).await.unwrap().unwrap();
    assert_eq!(got.last_used, 140, "use recorded");
    let got = s.session_use("a", 169).await.unwrap().unwrap();
    assert_eq!(
        got.last_used, 140,
        "not written again within the touch interval"
    );
    assert!(
        s.session_use("a", 200).await.unwrap().is_none(),
        "idle past its limit"
    );
    assert!(s.session_use("a", 100).await.unwrap().is_none(), "and gone");
    assert!(s.session_use("nope", 100).await.unwrap().is_none());
    let b = s.session_use("b", 150).await.unwrap().unwrap();
    assert_eq!(b.impersonation.as_deref(), Some("{\"by\":\"admin\"}"));

    // Ending an account's sessions keeps the one named.
    s.session_insert(&session("c", "user:b@x.test", 600, 150), 10, 150)
        .await
        .unwrap();
    s.session_delete_account("user:b@x.test", Some("c"))
        .await
        .unwrap();
    assert!(s.session_use("b", 160).await.unwrap().is_none());
    assert!(s.session_use("c", 160).await.unwrap().is_some());
    s.session_delete("c").await.unwrap();
    assert!(s.session_use("c", 160).await.unwrap().is_none());

    // At the cap, the least recently used goes.
    for (i, id) in ["d", "e", "f"].iter().enumerate() {
        s.session_insert(&session(id, "admin", 600, 200 + i as i64), 3, 200)
            .await
            .unwrap();
    }
    s.session_insert(&session("g", "admin", 600, 210), 3, 210)
        .await
        .unwrap();
    assert!(s.session_use("d", 211).await.unwrap().is_none());
    for id in ["e", "f", "g"] {
        assert!(s.session_use(id, 211).await.unwrap().is_some(), "{id}");
    }
}
