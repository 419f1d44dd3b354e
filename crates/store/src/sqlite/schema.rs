//! The SQLite schema. Applied at open; every statement is idempotent so opening an existing
//! database is safe. `schema_version` in `meta` says which migrations ran.

/// Pragmas applied to every connection. WAL with `synchronous=FULL` makes every commit durable
/// (the WAL is fsync'd at commit) while readers never block the writer.
pub const PRAGMAS: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA foreign_keys = ON;
PRAGMA busy_timeout = 15000;
PRAGMA journal_size_limit = 67108864;
";

/// Pragmas of the pooled read connections: the database file is mapped, so a read (a
/// message's inline bytes above all) copies from the page cache once instead of through a
/// `pread` into SQLite's own cache.
pub const READER_PRAGMAS: &str = "PRAGMA mmap_size = 1073741824;";

/// Version written by [`SCHEMA`]. Version 3 counts folders against quota
/// ([`crate::model::folder_cost`]): opening an older database recounts `used_bytes` once.
/// Version 4 keeps subscriptions in their own table and each user's highest UIDVALIDITY:
/// opening an older database copies the subscribed folders' names and the users' highest
/// folder UIDVALIDITY once. Version 5 adds the `metadata` table (RFC 5464 entries), created
/// at open like every table, so an older database needs no other step. Version 6 adds the
/// `acl` table (shared folders, RFC 4314); nothing to copy.
/// Version 7 keeps each message's search text (`message_text`, `text_pending`): opening an
/// older database lists every message as pending once, and the server's indexer
/// ([`crate::textindex`]) keeps their text in the background.
/// Version 8 adds the Bayesian classifier's tables (`bayes_tokens`, `bayes_messages`,
/// `bayes_totals`), created at open like every table; an older database starts with an
/// empty classifier.
/// Version 9 adds DMARC aggregate reporting (`dmarc_collected`: results collected for the
/// domains that ask for reports; `dmarc_reports`: reports received for hosted domains),
/// created at open like every table; nothing to copy.
/// Version 11 adds TLS reporting (`tlsrpt_results`: outcomes of outbound TLS sessions per
/// policy domain and day), created at open like every table, and `spool.requiretls`
/// (RFC 8689), added at open with its default; nothing to copy.
/// Version 12 adds `directory_stamp`, a count of committed directory changes that lets
/// processes keep domains between lookups ([`crate::Store::directory_generation`]),
/// created at open like every table; nothing to copy.
pub const VERSION: i64 = 12;

/// Counts a committed directory change (in the committing transaction).
pub const DIRECTORY_STAMP_BUMP: &str =
    "UPDATE directory_stamp SET generation = generation + 1 WHERE id = 1";

/// How many directory changes were committed, by any process.
pub const DIRECTORY_STAMP_READ: &str = "SELECT generation FROM directory_stamp WHERE id = 1";

/// First version whose `used_bytes` include folder costs.
pub const FOLDERS_IN_QUOTA: i64 = 3;

/// First version with the `subscriptions` table and `users.last_uidvalidity`.
pub const SUBSCRIPTIONS_APART: i64 = 4;

/// First version with the search text tables.
pub const TEXT_INDEX: i64 = 7;

/// Columns added after version 1, as (table, column, definition); added at open when missing.
pub const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    ("spool", "leased_until", "INTEGER NOT NULL DEFAULT 0"),
    ("spool", "last_attempt_at", "INTEGER"),
    ("folders", "recent_uid", "INTEGER NOT NULL DEFAULT 0"),
    ("users", "last_uidvalidity", "INTEGER NOT NULL DEFAULT 0"),
    ("domains", "filter", "TEXT NOT NULL DEFAULT '{}'"),
    ("users", "filter", "TEXT NOT NULL DEFAULT '{}'"),
    ("domains", "greylisting", "INTEGER NOT NULL DEFAULT 1"),
    ("users", "greylisting", "INTEGER NOT NULL DEFAULT 1"),
    ("spool", "requiretls", "INTEGER NOT NULL DEFAULT 0"),
    ("domains", "smtp_alt_port", "INTEGER"),
    ("domains", "archive_rule", "TEXT"),
    ("domains", "autoclean_rules", "TEXT NOT NULL DEFAULT ''"),
    (
        "domains",
        "autoclean_user_override",
        "INTEGER NOT NULL DEFAULT 1",
    ),
    ("domains", "pop_retrieval", "INTEGER NOT NULL DEFAULT 1"),
    ("users", "autoclean_rules", "TEXT NOT NULL DEFAULT ''"),
];

/// Tables and indexes.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS domains (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    disabled INTEGER NOT NULL DEFAULT 0,
    limits TEXT NOT NULL,
    catch_all TEXT,
    require_smtp_auth INTEGER NOT NULL DEFAULT 0,
    bind_ip TEXT,
    created_at INTEGER NOT NULL,
    filter TEXT NOT NULL DEFAULT '{}',
    greylisting INTEGER NOT NULL DEFAULT 1,
    smtp_alt_port INTEGER,
    archive_rule TEXT,
    autoclean_rules TEXT NOT NULL DEFAULT '',
    autoclean_user_override INTEGER NOT NULL DEFAULT 1,
    pop_retrieval INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS domain_aliases (
    name TEXT PRIMARY KEY,
    domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    local TEXT NOT NULL,
    credentials TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    quota_bytes INTEGER NOT NULL DEFAULT 0,
    used_bytes INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    role TEXT NOT NULL,
    forward_to TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    last_login INTEGER,
    last_uidvalidity INTEGER NOT NULL DEFAULT 0,
    filter TEXT NOT NULL DEFAULT '{}',
    greylisting INTEGER NOT NULL DEFAULT 1,
    autoclean_rules TEXT NOT NULL DEFAULT '',
    UNIQUE (domain_id, local)
);
CREATE TABLE IF NOT EXISTS aliases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    local TEXT NOT NULL,
    targets TEXT NOT NULL,
    UNIQUE (domain_id, local)
);
CREATE TABLE IF NOT EXISTS lists (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    local TEXT NOT NULL,
    members TEXT NOT NULL DEFAULT '[]',
    moderated INTEGER NOT NULL DEFAULT 0,
    UNIQUE (domain_id, local)
);
CREATE TABLE IF NOT EXISTS admin (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    username TEXT NOT NULL,
    credentials TEXT NOT NULL,
    must_change INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS folders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    special_use TEXT,
    uidvalidity INTEGER NOT NULL,
    uidnext INTEGER NOT NULL,
    highestmodseq INTEGER NOT NULL,
    recent_uid INTEGER NOT NULL DEFAULT 0,
    UNIQUE (user_id, name)
);
-- Subscribed mailbox names (RFC 9051 §6.3.7), apart from folders: a name may have none.
CREATE TABLE IF NOT EXISTS subscriptions (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (user_id, name)
) WITHOUT ROWID;
-- Metadata entries (RFC 5464): per user, on a folder or (folder_id NULL) on the server.
-- Rows go with their folder and keep its id through a rename.
CREATE TABLE IF NOT EXISTS metadata (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    folder_id INTEGER REFERENCES folders(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS metadata_entry
    ON metadata (user_id, coalesce(folder_id, 0), name);
CREATE INDEX IF NOT EXISTS metadata_folder ON metadata (folder_id) WHERE folder_id IS NOT NULL;
-- Access-control entries of folders (RFC 4314): a NULL grantee is `anyone` of the owner's
-- domain. One entry per folder and grantee.
CREATE TABLE IF NOT EXISTS acl (
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    grantee_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
    rights TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS acl_entry ON acl (folder_id, coalesce(grantee_id, 0));
CREATE INDEX IF NOT EXISTS acl_grantee ON acl (grantee_id);
CREATE TABLE IF NOT EXISTS blobs (
    id TEXT PRIMARY KEY,
    refs INTEGER NOT NULL,
    size INTEGER NOT NULL,
    data BLOB
);
CREATE TABLE IF NOT EXISTS messages (
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uid INTEGER NOT NULL,
    modseq INTEGER NOT NULL,
    flags TEXT NOT NULL,
    internal_date INTEGER NOT NULL,
    size INTEGER NOT NULL,
    blob_id TEXT NOT NULL,
    PRIMARY KEY (folder_id, uid)
) WITHOUT ROWID;
-- What changed since a modseq (every IMAP command's update check, CONDSTORE, QRESYNC).
CREATE INDEX IF NOT EXISTS messages_modseq ON messages (folder_id, modseq);
CREATE TABLE IF NOT EXISTS blob_headers (
    blob_id TEXT PRIMARY KEY REFERENCES blobs(id) ON DELETE CASCADE,
    data BLOB NOT NULL
) WITHOUT ROWID;
-- The search text of each message (heron_message::searchtext), folded, for SEARCH's text
-- keys: a full-text table of trigrams whose rowid is the message's folder id times 2^32
-- plus its UID, so a folder's messages are one rowid range. A deleted message's row is
-- listed in text_gone at once (searches skip it) and removed by the indexer in its next
-- batch: removing it takes tokenising its text again, which the deleting transaction (an
-- expunge, held by every commit behind it) should not wait for.
CREATE VIRTUAL TABLE IF NOT EXISTS message_text
    USING fts5(head, body, tokenize = 'trigram case_sensitive 1');
DROP TRIGGER IF EXISTS message_text_gone;
CREATE TABLE IF NOT EXISTS text_gone (doc INTEGER PRIMARY KEY);
CREATE TRIGGER IF NOT EXISTS message_text_unlisted AFTER DELETE ON messages BEGIN
    INSERT OR IGNORE INTO text_gone (doc) VALUES ((old.folder_id << 32) | old.uid);
END;
-- Messages whose search text is not all in message_text: not kept yet (cut = 0, for the
-- indexer) or cut at the size limit (cut = 1). Searches treat them as candidates.
CREATE TABLE IF NOT EXISTS text_pending (
    folder_id INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    cut INTEGER NOT NULL,
    PRIMARY KEY (folder_id, uid),
    FOREIGN KEY (folder_id, uid) REFERENCES messages (folder_id, uid) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS text_pending_todo ON text_pending (cut);
CREATE TABLE IF NOT EXISTS expunged (
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uid INTEGER NOT NULL,
    modseq INTEGER NOT NULL,
    PRIMARY KEY (folder_id, uid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS expunged_modseq ON expunged (folder_id, modseq);
-- Expunged messages whose bytes stay readable for a while (model::EXPUNGED_HOLD): an IMAP
-- session not yet told of the expunge may still fetch them. Each row holds one reference to
-- its blob; no foreign key, so a deleted folder's rows are released by the same sweep.
CREATE TABLE IF NOT EXISTS held_messages (
    folder_id INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    modseq INTEGER NOT NULL,
    flags TEXT NOT NULL,
    internal_date INTEGER NOT NULL,
    size INTEGER NOT NULL,
    blob_id TEXT NOT NULL,
    held_until INTEGER NOT NULL,
    PRIMARY KEY (folder_id, uid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS held_messages_until ON held_messages (held_until);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS nodes (
    id TEXT PRIMARY KEY,
    hostname TEXT NOT NULL,
    version TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS admin_sessions (
    id_hash TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    idle_secs INTEGER NOT NULL,
    impersonation TEXT,
    last_used INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS admin_sessions_account ON admin_sessions (account);
CREATE TABLE IF NOT EXISTS holds (
    name TEXT PRIMARY KEY,
    node TEXT NOT NULL,
    taken_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS stopped_services (
    node TEXT NOT NULL,
    service TEXT NOT NULL,
    PRIMARY KEY (node, service)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS failure_limits (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    failures TEXT NOT NULL,
    blocked_until INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS failure_limits_expiry ON failure_limits (expires_at);
CREATE TABLE IF NOT EXISTS spool (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sender TEXT NOT NULL,
    recipients TEXT NOT NULL,
    blob_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    priority INTEGER NOT NULL,
    ret TEXT,
    envid TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    leased_until INTEGER NOT NULL DEFAULT 0,
    last_attempt_at INTEGER,
    requiretls INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS spool_due ON spool (leased_until, next_attempt_at);
CREATE INDEX IF NOT EXISTS spool_lease ON spool (leased_until, priority DESC, next_attempt_at, id);
CREATE TABLE IF NOT EXISTS dkim_keys (
    domain TEXT PRIMARY KEY,
    selector TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    private_key TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
-- The Bayesian classifier (FILTER-2): per token hash, the learned spam and ham messages that
-- had it and when it was last learned (Unix seconds); the learned messages by key with their
-- class (1 spam, 0 ham); the message totals in one row.
CREATE TABLE IF NOT EXISTS bayes_tokens (
    hash INTEGER PRIMARY KEY,
    spam INTEGER NOT NULL,
    ham INTEGER NOT NULL,
    seen INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS bayes_tokens_age ON bayes_tokens (seen / 86400, spam + ham);
CREATE TABLE IF NOT EXISTS bayes_messages (
    key TEXT PRIMARY KEY,
    spam INTEGER NOT NULL,
    learned_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS bayes_messages_age ON bayes_messages (learned_at);
CREATE TABLE IF NOT EXISTS bayes_totals (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    spam INTEGER NOT NULL,
    ham INTEGER NOT NULL
);
-- DMARC aggregate reporting (RFC 7489 §7.2): per day and row key (a hash of the results),
-- the messages that got those results, to report to the policy domain's `rua` addresses; and
-- the reports received for hosted domains, their rows as a JSON array.
CREATE TABLE IF NOT EXISTS dmarc_collected (
    day INTEGER NOT NULL,
    key INTEGER NOT NULL,
    domain TEXT NOT NULL,
    policy TEXT NOT NULL,
    rua TEXT NOT NULL,
    source_ip TEXT NOT NULL,
    header_from TEXT NOT NULL,
    envelope_from TEXT NOT NULL,
    spf TEXT NOT NULL,
    dkim TEXT NOT NULL,
    disposition TEXT NOT NULL,
    dkim_aligned INTEGER NOT NULL,
    spf_aligned INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (day, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dmarc_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    org TEXT NOT NULL,
    email TEXT NOT NULL,
    report_id TEXT NOT NULL,
    begin_at INTEGER NOT NULL,
    end_at INTEGER NOT NULL,
    policy_domain TEXT NOT NULL,
    policy TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    messages INTEGER NOT NULL,
    row_count INTEGER NOT NULL,
    rows_json TEXT NOT NULL,
    UNIQUE (domain_id, org, report_id)
);
CREATE INDEX IF NOT EXISTS dmarc_reports_received ON dmarc_reports (received_at);
-- Statistics (OPS-3): counters per scope, key, bucket length and start (see
-- crate::stats); added to by upserts, pruned by age. Created at open; no version needed.
CREATE TABLE IF NOT EXISTS stat_counts (
    scope TEXT NOT NULL,
    key INTEGER NOT NULL,
    span INTEGER NOT NULL,
    start INTEGER NOT NULL,
    messages_in INTEGER NOT NULL DEFAULT 0,
    bytes_in INTEGER NOT NULL DEFAULT 0,
    messages_out INTEGER NOT NULL DEFAULT 0,
    bytes_out INTEGER NOT NULL DEFAULT 0,
    spam INTEGER NOT NULL DEFAULT 0,
    virus INTEGER NOT NULL DEFAULT 0,
    bounces INTEGER NOT NULL DEFAULT 0,
    logins_imap INTEGER NOT NULL DEFAULT 0,
    logins_pop3 INTEGER NOT NULL DEFAULT 0,
    logins_smtp INTEGER NOT NULL DEFAULT 0,
    logins_web INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, key, span, start)
);
CREATE INDEX IF NOT EXISTS stat_counts_age ON stat_counts (span, start);
CREATE TABLE IF NOT EXISTS tlsrpt_results (
    day INTEGER NOT NULL,
    key INTEGER NOT NULL,
    domain TEXT NOT NULL,
    policy_type TEXT NOT NULL,
    policy TEXT NOT NULL,
    mx_host TEXT NOT NULL,
    result TEXT NOT NULL,
    receiving_ip TEXT NOT NULL,
    detail TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (day, key)
);
-- Greylisting (SEC-3): per triplet key, its first attempt, whether it passed and when the
-- record may go (Unix seconds); and the remote addresses local users wrote to.
CREATE TABLE IF NOT EXISTS greylist (
    key TEXT PRIMARY KEY,
    first_seen INTEGER NOT NULL,
    passed INTEGER NOT NULL,
    expires INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS greylist_expires ON greylist (expires);
CREATE TABLE IF NOT EXISTS greylist_correspondents (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    remote TEXT NOT NULL,
    expires INTEGER NOT NULL,
    PRIMARY KEY (user_id, remote)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS greylist_correspondents_expires ON greylist_correspondents (expires);
-- Sending throttles (DOM-7): per scope, key and window start (Unix seconds), a count.
CREATE TABLE IF NOT EXISTS throttle_counts (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (scope, key, window_start)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS throttle_counts_window ON throttle_counts (window_start);
-- A user's own throttle values (JSON of `UserThrottle`).
CREATE TABLE IF NOT EXISTS user_throttles (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    limits TEXT NOT NULL
);
-- POP retrieval (ACCESS-4): users' external POP3 accounts (password sealed with the
-- server's POP-retrieval key) and the UIDLs already fetched from each.
CREATE TABLE IF NOT EXISTS pop_accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    host TEXT NOT NULL,
    port INTEGER NOT NULL,
    tls TEXT NOT NULL,
    verify_tls INTEGER NOT NULL,
    login TEXT NOT NULL,
    password BLOB NOT NULL,
    leave_on_server INTEGER NOT NULL,
    folder TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    last_run INTEGER NOT NULL,
    last_error TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pop_accounts_user ON pop_accounts (user_id);
CREATE TABLE IF NOT EXISTS pop_uidls (
    account_id INTEGER NOT NULL REFERENCES pop_accounts(id) ON DELETE CASCADE,
    uidl TEXT NOT NULL,
    fetched_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, uidl)
) WITHOUT ROWID;
-- Message archive (OPS-5, crate::archive): one row per archived message, holding one
-- reference to its own blob; the domain by name so rows outlive the domain.
CREATE TABLE IF NOT EXISTS archive (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    domain TEXT NOT NULL,
    direction TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    head TEXT NOT NULL,
    archived_at INTEGER NOT NULL,
    size INTEGER NOT NULL,
    blob_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS archive_domain ON archive (domain, id);
CREATE INDEX IF NOT EXISTS archive_time ON archive (archived_at);
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    origin TEXT NOT NULL,
    event TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS directory_stamp (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT OR IGNORE INTO directory_stamp (id, generation) VALUES (1, 0);
";
