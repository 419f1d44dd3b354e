-- OPS-6: a domain's and a user's own folder auto-clean rules (the `autoclean.rules` syntax;
-- empty: none) and whether the domain's users may override its rules; DOM-3: the domain's
-- POP-retrieval switch (ACCESS-4).
ALTER TABLE domains ADD COLUMN autoclean_rules TEXT NOT NULL DEFAULT '';
ALTER TABLE domains ADD COLUMN autoclean_user_override BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE domains ADD COLUMN pop_retrieval BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE users ADD COLUMN autoclean_rules TEXT NOT NULL DEFAULT '';
