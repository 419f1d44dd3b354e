//! A database last opened by a version that kept subscriptions as a column of `folders`
//! (schema version 3) gets them copied into `subscriptions` once at open, and each user's
//! highest folder UIDVALIDITY kept, so the next folder gets a larger one.
#![allow(clippy::unwrap_used)]

use heron_store::*;

#[tokio::test]
async fn opening_a_version_3_database_separates_subscriptions() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let u = suite::one_user(
        &store,
        "old.test",
        "u",
        &[("INBOX", None), ("Hidden", None), ("Lists/rust", None)],
    )
    .await;
    drop(store);

    // As version 3 left it: a `subscribed` column, no subscription rows, no kept maximum.
    let far = 4_000_000_000_i64;
    let c = rusqlite::Connection::open(dir.path().join("heron.db")).unwrap();
    c.execute_batch(&format!(
        "ALTER TABLE folders ADD COLUMN subscribed INTEGER NOT NULL DEFAULT 1;
         UPDATE folders SET subscribed = 0, uidvalidity = {far} WHERE name = 'Hidden';
         DELETE FROM subscriptions;
         UPDATE users SET last_uidvalidity = 0;
         UPDATE meta SET value = '3' WHERE key = 'schema_version';"
    ))
    .unwrap();
    drop(c);

    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(
        store.list_subscriptions(u.id).await.unwrap(),
        ["INBOX".to_string(), "Lists/rust".to_string()]
    );
    let f = store.create_folder(u.id, "New", None).await.unwrap();
    assert_eq!(i64::from(f.uidvalidity), far + 1);
    // Done once: a later unsubscribe stays.
    store
        .set_subscription(u.id, "Lists/rust", false)
        .await
        .unwrap();
    drop(store);
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(
        store.list_subscriptions(u.id).await.unwrap(),
        ["INBOX".to_string()]
    );
}
