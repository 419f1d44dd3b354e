-- Login sessions of the admin UI and API, shared by every node; ids kept as their SHA-256.
CREATE TABLE admin_sessions (
    id_hash TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    idle_secs BIGINT NOT NULL,
    impersonation TEXT,
    last_used BIGINT NOT NULL
);
CREATE INDEX admin_sessions_account ON admin_sessions (account);
