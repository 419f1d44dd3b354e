-- Statistics (OPS-3): counters per scope (server, domain, user), key (0, domain id, user id),
-- bucket length (3600 or 86400 seconds) and bucket start (Unix seconds, UTC). Nodes add to
-- the rows with upserts; hourly and daily rows are pruned by age.
CREATE TABLE stat_counts (
    scope TEXT NOT NULL,
    key BIGINT NOT NULL,
    span BIGINT NOT NULL,
    start BIGINT NOT NULL,
    messages_in BIGINT NOT NULL DEFAULT 0,
    bytes_in BIGINT NOT NULL DEFAULT 0,
    messages_out BIGINT NOT NULL DEFAULT 0,
    bytes_out BIGINT NOT NULL DEFAULT 0,
    spam BIGINT NOT NULL DEFAULT 0,
    virus BIGINT NOT NULL DEFAULT 0,
    bounces BIGINT NOT NULL DEFAULT 0,
    logins_imap BIGINT NOT NULL DEFAULT 0,
    logins_pop3 BIGINT NOT NULL DEFAULT 0,
    logins_smtp BIGINT NOT NULL DEFAULT 0,
    logins_web BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, key, span, start)
);
CREATE INDEX stat_counts_age ON stat_counts (span, start);
