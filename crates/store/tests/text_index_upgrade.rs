//! A database last opened by a version without the search text index (schema version 4)
//! lists every message as pending at open; until the indexer has kept their text, every
//! search takes them as candidates, and afterwards the index answers alone.
#![allow(clippy::unwrap_used)]

use heron_store::*;

const FOX: &[u8] = b"Subject: Old one\r\n\r\nThe quick brown fox\r\n";
const DOG: &[u8] = b"Subject: Older one\r\n\r\nA lazy dog\r\n";

#[tokio::test]
async fn opening_a_version_4_database_indexes_its_messages() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let u = suite::one_user(&store, "old.test", "u", &[("INBOX", None)]).await;
    let inbox = store.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    let none = NewMessage {
        flags: Vec::new(),
        internal_date: None,
    };
    let batch = vec![(FOX.to_vec(), none.clone()), (DOG.to_vec(), none.clone())];
    store.append_batch(inbox.id, batch).await.unwrap();
    drop(store);

    // As version 4 left it: no search text tables.
    let c = rusqlite::Connection::open(dir.path().join("heron.db")).unwrap();
    c.execute_batch(
        "DROP TRIGGER message_text_unlisted;
         DROP TABLE text_gone;
         DROP TABLE message_text;
         DROP TABLE text_pending;
         UPDATE meta SET value = '4' WHERE key = 'schema_version';",
    )
    .unwrap();
    drop(c);

    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(
        store.schema_version().await.unwrap(),
        Some(SqliteStore::current_schema_version())
    );
    // Not indexed yet: both are candidates.
    let ask = |n: &'static str| {
        let store = store.clone();
        async move {
            store
                .text_candidates(inbox.id, TextPart::Body, n)
                .await
                .unwrap()
        }
    };
    assert_eq!(ask("brown fox").await, [1, 2]);
    assert_eq!(store.index_pending(1).await.unwrap(), 1);
    assert_eq!(store.index_pending(100).await.unwrap(), 1);
    assert_eq!(store.index_pending(100).await.unwrap(), 0);
    assert_eq!(ask("brown fox").await, [1]);
    assert_eq!(ask("lazy dog").await, [2]);
    // Done once: opening again lists nothing more.
    drop(store);
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.index_pending(100).await.unwrap(), 0);
}
