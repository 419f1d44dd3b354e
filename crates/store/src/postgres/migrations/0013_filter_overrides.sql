-- A domain's and a user's own spam-filter settings (FILTER-3) and the domain's content-
-- filtering switch (DOM-3): a JSON object of setting names to values.
ALTER TABLE domains ADD COLUMN filter TEXT NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN filter TEXT NOT NULL DEFAULT '{}';
-- Learned messages are pruned oldest first (FILTER-2 memory cap).
CREATE INDEX bayes_messages_age ON bayes_messages (learned_at);
