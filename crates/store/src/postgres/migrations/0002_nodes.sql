-- The server processes sharing the database, by their heartbeats, and exclusive holds among
-- them (POP3 maildrops).
CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    hostname TEXT NOT NULL,
    version TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);
CREATE TABLE holds (
    name TEXT PRIMARY KEY,
    node TEXT NOT NULL,
    taken_at BIGINT NOT NULL
);
CREATE INDEX holds_node ON holds (node);
