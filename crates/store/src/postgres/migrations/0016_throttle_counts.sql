-- Sending throttles (DOM-7): per scope, key and window start (Unix seconds), a count.
CREATE TABLE throttle_counts (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (scope, key, window_start)
);
CREATE INDEX throttle_counts_window ON throttle_counts (window_start);
-- A user's own throttle values (JSON of `UserThrottle`).
CREATE TABLE user_throttles (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    limits TEXT NOT NULL
);
