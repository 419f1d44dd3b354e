-- \Recent claims (RFC 3501 §2.3.2) in a row of their own, so a session claiming new messages
-- never waits for the folder row, which a batch of mail writes holds until its commit. A
-- folder's mark is the greater of this row's and folders.recent_uid (the mark a folder had
-- before this table, or brought by `heron store copy`).
CREATE TABLE recent_marks (
    folder_id BIGINT PRIMARY KEY REFERENCES folders (id) ON DELETE CASCADE,
    recent_uid BIGINT NOT NULL
);
