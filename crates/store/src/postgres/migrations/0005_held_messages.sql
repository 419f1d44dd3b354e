-- Expunged messages whose bytes stay readable for a while (model::EXPUNGED_HOLD): an IMAP
-- session not yet told of the expunge may still fetch them. Each row holds one reference to
-- its blob; no foreign key to folders, so a deleted folder's rows are released by the same
-- sweep.
CREATE TABLE held_messages (
    folder_id BIGINT NOT NULL,
    uid BIGINT NOT NULL,
    modseq BIGINT NOT NULL,
    flags TEXT NOT NULL,
    internal_date BIGINT NOT NULL,
    size BIGINT NOT NULL,
    blob_id TEXT NOT NULL REFERENCES blobs (id) DEFERRABLE INITIALLY DEFERRED,
    held_until BIGINT NOT NULL,
    PRIMARY KEY (folder_id, uid)
);
CREATE INDEX held_messages_until ON held_messages (held_until);
