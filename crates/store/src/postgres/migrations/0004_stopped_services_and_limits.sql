-- The services stopped on one node alone (kept as long as the node's record), and failure
-- limits (failed admin logins per client IP) shared by every node.
CREATE TABLE stopped_services (
    node TEXT NOT NULL,
    service TEXT NOT NULL,
    PRIMARY KEY (node, service)
);
CREATE TABLE failure_limits (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    failures TEXT NOT NULL,
    blocked_until BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX failure_limits_expiry ON failure_limits (expires_at);
