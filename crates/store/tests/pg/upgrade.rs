//! A database made before subscriptions were kept apart from folders (schema version 6) is
//! brought up to date at connect: the subscribed folders' names become subscriptions, the
//! `subscribed` column goes, and each user's highest folder UIDVALIDITY is kept so the next
//! folder gets a larger one.
#![allow(clippy::unwrap_used)]

use heron_store::*;

use super::{TestDb, with_db};

#[tokio::test]
async fn version_6_subscriptions_move_to_their_table() {
    with_db(
        "version_6_subscriptions_move_to_their_table",
        |db| async move {
            let mut sql = String::from(
                "CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, \
             applied_at BIGINT NOT NULL);",
            );
            for m in postgres::MIGRATIONS.iter().filter(|m| m.version <= 6) {
                sql.push_str(m.sql);
                sql.push_str(&format!(
                    "\nINSERT INTO migrations VALUES ({}, '{}', 1);\n",
                    m.version, m.name
                ));
            }
            // Far ahead of the clock, so only a kept maximum can explain a larger new value.
            let far = 4_000_000_000_i64;
            sql.push_str(&format!(
            "INSERT INTO domains (id, name, limits, created_at) VALUES (1, 'old.test', '{{}}', 1);
             INSERT INTO users (id, domain_id, local, credentials, role, created_at)
                 VALUES (1, 1, 'u', 'x', 'user', 1);
             INSERT INTO folders (user_id, name, uidvalidity, uidnext, highestmodseq, subscribed)
                 VALUES (1, 'INBOX', 10, 1, 1, true), (1, 'Hidden', {far}, 1, 1, false),
                        (1, 'Lists/rust', 12, 1, 1, true);"
        ));
            TestDb::exec(&db.config(), &sql).await;
            let s = db.connect().await;
            assert_eq!(
                s.migrations().await.unwrap().len(),
                postgres::MIGRATIONS.len()
            );
            assert_eq!(
                s.list_subscriptions(1).await.unwrap(),
                ["INBOX".to_string(), "Lists/rust".to_string()]
            );
            assert_eq!(
                db.count(
                    "SELECT count(*) FROM information_schema.columns \
                 WHERE table_name = 'folders' AND column_name = 'subscribed'"
                )
                .await,
                0
            );
            let f = s.create_folder(1, "New", None).await.unwrap();
            assert_eq!(i64::from(f.uidvalidity), far + 1);
            db
        },
    )
    .await;
}

/// A database made before the search text index (schema version 7): its messages are listed
/// as pending, candidates of every search until the indexer has kept their text.
#[tokio::test]
async fn version_7_messages_are_indexed_afterwards() {
    with_db("version_7_messages_are_indexed_afterwards", |db| async move {
        let mut sql = String::from(
            "CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, \
             applied_at BIGINT NOT NULL);",
        );
        for m in postgres::MIGRATIONS.iter().filter(|m| m.version <= 7) {
            sql.push_str(m.sql);
            sql.push_str(&format!(
                "\nINSERT INTO migrations VALUES ({}, '{}', 1);\n",
                m.version, m.name
            ));
        }
        sql.push_str(
            "INSERT INTO domains (id, name, limits, created_at) VALUES (1, 'old.test', '{}', 1);
             INSERT INTO users (id, domain_id, local, credentials, role, created_at)
                 VALUES (1, 1, 'u', 'x', 'user', 1);
             INSERT INTO folders (id, user_id, name, uidvalidity, uidnext, highestmodseq)
                 VALUES (1, 1, 'INBOX', 10, 3, 3);
             INSERT INTO blobs (id, refs, size, head) VALUES
                 ('b1', 1, 35, 'Subject: a\r\n\r\n'::bytea), ('b2', 1, 26, 'Subject: b\r\n\r\n'::bytea);
             INSERT INTO blob_chunks (blob_id, seq, data) VALUES
                 ('b1', 0, convert_to(E'Subject: a\\r\\n\\r\\nThe quick brown fox\\r\\n', 'UTF8')),
                 ('b2', 0, convert_to(E'Subject: b\\r\\n\\r\\nA lazy dog\\r\\n', 'UTF8'));
             INSERT INTO messages (folder_id, uid, modseq, flags, internal_date, size, blob_id)
                 VALUES (1, 1, 1, '', 1, 35, 'b1'), (1, 2, 2, '', 1, 26, 'b2');",
        );
        TestDb::exec(&db.config(), &sql).await;
        let s = db.connect().await;
        let body = TextPart::Body;
        assert_eq!(s.text_candidates(1, body, "brown fox").await.unwrap(), [1, 2]);
        assert_eq!(s.index_pending(100).await.unwrap(), 2);
        assert_eq!(s.index_pending(100).await.unwrap(), 0);
        assert_eq!(s.text_candidates(1, body, "brown fox").await.unwrap(), [1]);
        assert_eq!(s.text_candidates(1, body, "lazy dog").await.unwrap(), [2]);
        db
    })
    .await;
}
