-- The search text of each message (heron_message::searchtext), folded, for SEARCH's text
-- keys: trigram indexes (pg_trgm, a trusted extension since PostgreSQL 13) answer
-- "which rows hold this substring" (LIKE '%needle%'). A row goes with its message.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE message_text (
    folder_id BIGINT NOT NULL,
    uid BIGINT NOT NULL,
    head TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (folder_id, uid),
    FOREIGN KEY (folder_id, uid) REFERENCES messages (folder_id, uid) ON DELETE CASCADE
);
CREATE INDEX message_text_head ON message_text USING gin (head gin_trgm_ops);
CREATE INDEX message_text_body ON message_text USING gin (body gin_trgm_ops);
-- Messages whose search text is not all in message_text: not kept yet (for the indexer) or
-- cut at the size limit. Searches take them as candidates.
CREATE TABLE text_pending (
    folder_id BIGINT NOT NULL,
    uid BIGINT NOT NULL,
    cut BOOLEAN NOT NULL,
    PRIMARY KEY (folder_id, uid),
    FOREIGN KEY (folder_id, uid) REFERENCES messages (folder_id, uid) ON DELETE CASCADE
);
CREATE INDEX text_pending_todo ON text_pending (folder_id, uid) WHERE NOT cut;
-- Messages stored before: the indexer keeps their text in the background.
INSERT INTO text_pending (folder_id, uid, cut) SELECT folder_id, uid, false FROM messages;
