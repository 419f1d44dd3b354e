//! A database last opened by schema version 4 (no `metadata` table) gets the table at open,
//! keeps everything else, and opening it again changes nothing.
#![allow(clippy::unwrap_used)]

use heron_store::*;

#[tokio::test]
async fn opening_a_version_4_database_adds_the_metadata_table() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let u = suite::one_user(&store, "old.test", "u", &[("INBOX", None)]).await;
    drop(store);

    // As version 4 left it.
    let c = rusqlite::Connection::open(dir.path().join("heron.db")).unwrap();
    c.execute_batch(
        "DROP TABLE metadata;
         UPDATE meta SET value = '4' WHERE key = 'schema_version';",
    )
    .unwrap();
    drop(c);

    let note = MetadataChange {
        name: "/private/comment".into(),
        value: Some(b"kept".to_vec()),
    };
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(
        store.schema_version().await.unwrap(),
        Some(SqliteStore::current_schema_version())
    );
    let inbox = store.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    let w = store
        .set_metadata(u.id, Some(inbox.id), &[note], 10)
        .await
        .unwrap();
    assert_eq!(w, MetadataWrite::Written);
    drop(store);
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(
        store.get_metadata(u.id, Some(inbox.id)).await.unwrap(),
        vec![("/private/comment".to_string(), b"kept".to_vec())]
    );
}
