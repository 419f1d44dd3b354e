-- Greylisting (SEC-3): per triplet key, its first attempt, whether it passed and when the
-- record may go (Unix seconds); the remote addresses local users wrote to; and the domain's
-- and the user's greylisting switches (DOM-2).
CREATE TABLE greylist (
    key TEXT PRIMARY KEY,
    first_seen BIGINT NOT NULL,
    passed BOOLEAN NOT NULL,
    expires BIGINT NOT NULL
);
CREATE INDEX greylist_expires ON greylist (expires);
CREATE TABLE greylist_correspondents (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    remote TEXT NOT NULL,
    expires BIGINT NOT NULL,
    PRIMARY KEY (user_id, remote)
);
CREATE INDEX greylist_correspondents_expires ON greylist_correspondents (expires);
ALTER TABLE domains ADD COLUMN greylisting BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE users ADD COLUMN greylisting BOOLEAN NOT NULL DEFAULT true;
