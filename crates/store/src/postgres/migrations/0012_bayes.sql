-- The Bayesian classifier (FILTER-2): per token hash, the learned spam and ham messages that
-- had it and when it was last learned (Unix seconds); the learned messages by key with their
-- class; the message totals in one row (made by the first message learned).
CREATE TABLE bayes_tokens (
    hash BIGINT PRIMARY KEY,
    spam BIGINT NOT NULL,
    ham BIGINT NOT NULL,
    seen BIGINT NOT NULL
);
CREATE INDEX bayes_tokens_age ON bayes_tokens ((seen / 86400), (spam + ham));
CREATE TABLE bayes_messages (
    key TEXT PRIMARY KEY,
    spam BOOLEAN NOT NULL,
    learned_at BIGINT NOT NULL
);
CREATE TABLE bayes_totals (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    spam BIGINT NOT NULL,
    ham BIGINT NOT NULL
);
