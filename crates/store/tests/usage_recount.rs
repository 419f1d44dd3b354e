//! A database last opened by a version that did not count folders against quota gets every
//! user's usage recounted once at open: messages plus each folder's cost.
#![allow(clippy::unwrap_used)]

use heron_store::*;

async fn used(store: &SqliteStore, user: UserId) -> u64 {
    store
        .get_user_by_id(user)
        .await
        .unwrap()
        .unwrap()
        .used_bytes
}

#[tokio::test]
async fn opening_an_older_database_recounts_usage() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let u = suite::one_user(
        &store,
        "old.test",
        "u",
        &[("INBOX", None), ("Archive/2024", None)],
    )
    .await;
    let inbox = store.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    let m = NewMessage {
        flags: vec![],
        internal_date: None,
    };
    let msg = b"Subject: x\r\n\r\nhello\r\n".to_vec();
    let size = msg.len() as u64;
    store.deliver(msg.into(), &[(inbox.id, m)]).await.unwrap();
    let expected = size + folder_cost("INBOX") + folder_cost("Archive/2024");
    assert_eq!(used(&store, u.id).await, expected);
    drop(store);

    // As an older version left it: usage of messages only, schema version 2.
    let c = rusqlite::Connection::open(dir.path().join("heron.db")).unwrap();
    c.execute("UPDATE users SET used_bytes = ?1", [size as i64])
        .unwrap();
    c.execute(
        "UPDATE meta SET value = '2' WHERE key = 'schema_version'",
        [],
    )
    .unwrap();
    drop(c);
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(used(&store, u.id).await, expected);
    // Done once: later opens leave usage alone.
    drop(store);
    let c = rusqlite::Connection::open(dir.path().join("heron.db")).unwrap();
    c.execute("UPDATE users SET used_bytes = 7", []).unwrap();
    drop(c);
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(used(&store, u.id).await, 7);
}
