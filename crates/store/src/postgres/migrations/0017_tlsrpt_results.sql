-- SMTP TLS reporting (RFC 8460): outcomes of outbound TLS sessions per day and policy domain,
-- one row per day and outcome key (a hash of the fields that tell outcomes apart).
CREATE TABLE tlsrpt_results (
    day BIGINT NOT NULL,
    key BIGINT NOT NULL,
    domain TEXT NOT NULL,
    policy_type TEXT NOT NULL,
    policy TEXT NOT NULL,
    mx_host TEXT NOT NULL,
    result TEXT NOT NULL,
    receiving_ip TEXT NOT NULL,
    detail TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (day, key)
);
-- REQUIRETLS (RFC 8689) asked for by the sender of a spooled message.
ALTER TABLE spool ADD COLUMN requiretls BOOLEAN NOT NULL DEFAULT false;
