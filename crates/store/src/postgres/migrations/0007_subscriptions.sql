-- Subscribed mailbox names (RFC 9051 §6.3.7), apart from folders: a name may have no folder,
-- deleting a folder keeps its subscription and creating one does not subscribe it.
CREATE TABLE subscriptions (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (user_id, name)
);
INSERT INTO subscriptions (user_id, name) SELECT user_id, name FROM folders WHERE subscribed;
ALTER TABLE folders DROP COLUMN subscribed;
-- The highest UIDVALIDITY any folder of the user has had: a new folder's is above it, so a
-- folder deleted and created again within the same second still gets a new one.
ALTER TABLE users ADD COLUMN last_uidvalidity BIGINT NOT NULL DEFAULT 0;
UPDATE users SET last_uidvalidity =
    coalesce((SELECT max(uidvalidity) FROM folders WHERE folders.user_id = users.id), 0);
