-- Messages with a UID above recent_uid are \Recent for the next IMAP session that claims
-- them (RFC 3501 §2.3.2).
ALTER TABLE folders ADD COLUMN recent_uid BIGINT NOT NULL DEFAULT 0;
