-- Metadata entries (RFC 5464): per user, on a folder or (folder_id NULL) on the server.
-- Rows go with their folder and keep its id through a rename.
CREATE TABLE metadata (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    folder_id BIGINT REFERENCES folders (id) ON DELETE CASCADE,
    name TEXT COLLATE "C" NOT NULL,
    value BYTEA NOT NULL
);
CREATE UNIQUE INDEX metadata_entry ON metadata (user_id, coalesce(folder_id, 0), name);
CREATE INDEX metadata_folder ON metadata (folder_id) WHERE folder_id IS NOT NULL;
