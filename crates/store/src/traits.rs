//! The metadata store interface. Every backend (SQLite now, PostgreSQL later) implements
//! [`Store`]; callers hold an `Arc<dyn Store>` and never see the backend.
//!
//! Durability: when a write method returns `Ok`, the change is on disk (the backend commits
//! and syncs before replying; concurrent writes share one commit). Message bytes are written
//! to the [`BlobStore`](crate::blob::BlobStore) first, so a committed record never names
//! missing bytes.

use async_trait::async_trait;

use crate::archive::{ArchiveQuery, Archived, NewArchived};
use crate::dmarc::{DmarcCollected, DmarcReport, DmarcReportRow};
use crate::error::{Result, StoreError};
use crate::events::Subscription;
use crate::model::*;
use crate::rules::limits::{LimitBlock, Rule};
use crate::stats::{Counts, Scope, Span, StatRow};
use crate::tlsrpt::TlsRptResult;

/// Statistics (OPS-3; see [`crate::stats`]): counters per scope, key and bucket, written in
/// batches by each node's recorder and only ever added to.
#[async_trait]
pub trait StatsStore: Send + Sync {
    /// Add each row's counts to the stored row of the same scope, key, span and start (made
    /// when missing), all in one transaction. Rows should come in key order
    /// ([`crate::stats::sort`]).
    async fn stats_add(&self, rows: &[StatRow]) -> Result<()>;
    /// The stored rows of one scope and key and span whose bucket starts in `from..to`, by
    /// start (buckets without counts have no row).
    async fn stats_series(
        &self,
        scope: Scope,
        key: i64,
        span: Span,
        from: i64,
        to: i64,
    ) -> Result<Vec<StatRow>>;
    /// Per key of `scope`, the sum of its `span` rows whose bucket starts in `from..to`, by
    /// key (keys without rows are left out).
    async fn stats_totals(
        &self,
        scope: Scope,
        span: Span,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, Counts)>>;
    /// Delete the `span` rows whose bucket starts before `before`; how many went.
    async fn stats_prune(&self, span: Span, before: i64) -> Result<u64>;
}

/// Domains, domain aliases, users, aliases, lists and the admin account.
#[async_trait]
pub trait DirectoryStore: Send + Sync {
    async fn create_domain(&self, d: NewDomain) -> Result<Domain>;
    /// Update every mutable field of a domain, matched by id.
    async fn update_domain(&self, d: &Domain) -> Result<()>;
    /// A domain by its own name (not by a domain alias).
    async fn get_domain(&self, name: &str) -> Result<Option<Domain>>;
    async fn get_domain_by_id(&self, id: DomainId) -> Result<Option<Domain>>;
    async fn list_domains(&self) -> Result<Vec<Domain>>;
    /// Delete a domain with all its users, aliases, folders and messages.
    async fn delete_domain(&self, id: DomainId) -> Result<()>;

    /// Make `alias` (a domain name) deliver to `domain`'s mailboxes.
    async fn add_domain_alias(&self, alias: &str, domain: DomainId) -> Result<()>;
    async fn remove_domain_alias(&self, alias: &str) -> Result<()>;
    /// The domain a domain alias points at.
    async fn resolve_domain_alias(&self, alias: &str) -> Result<Option<DomainId>>;
    async fn list_domain_aliases(&self, domain: DomainId) -> Result<Vec<String>>;

    /// Create a user and its default folders (`folders`: name and special-use attribute),
    /// each subscribed so mail clients show it.
    async fn create_user(&self, u: NewUser, folders: &[(&str, Option<&str>)]) -> Result<User>;
    async fn update_user(&self, u: &User) -> Result<()>;
    async fn get_user(&self, domain: DomainId, local: &str) -> Result<Option<User>>;
    async fn get_user_by_id(&self, id: UserId) -> Result<Option<User>>;
    async fn list_users(&self, domain: DomainId) -> Result<Vec<User>>;
    async fn count_users(&self, domain: DomainId) -> Result<u64>;
    /// One page of a domain's users in local-part order, those whose local part or display
    /// name contains `needle` (case-insensitive) when given: how many match in all, and the
    /// page `offset..offset+limit`.
    async fn search_users(
        &self,
        domain: DomainId,
        needle: Option<&str>,
        limit: u64,
        offset: u64,
    ) -> Result<(u64, Vec<User>)>;
    /// A domain's enabled domain administrators, oldest account first.
    async fn domain_admins(&self, domain: DomainId) -> Result<Vec<User>>;
    /// Bytes used by all mailboxes of a domain (DOM-4 disk limit).
    async fn domain_usage(&self, domain: DomainId) -> Result<u64>;
    /// Domains, users, messages and bytes in the whole store.
    async fn totals(&self) -> Result<Totals>;
    /// Delete a user with its folders and messages.
    async fn delete_user(&self, id: UserId) -> Result<()>;
    /// Record a successful login.
    async fn touch_login(&self, id: UserId, at: i64) -> Result<()>;
    /// Users who have not logged in since `before` (Unix seconds) or never, of one domain or
    /// of all, ordered by domain name then local part: how many in all, and the page
    /// `offset..offset+limit` as (address, last login).
    async fn inactive_users(
        &self,
        before: i64,
        domain: Option<DomainId>,
        limit: u64,
        offset: u64,
    ) -> Result<(u64, Vec<(String, Option<i64>)>)>;

    async fn create_alias(
        &self,
        domain: DomainId,
        local: &str,
        targets: &[String],
    ) -> Result<Alias>;
    async fn get_alias(&self, domain: DomainId, local: &str) -> Result<Option<Alias>>;
    async fn list_aliases(&self, domain: DomainId) -> Result<Vec<Alias>>;
    async fn count_aliases(&self, domain: DomainId) -> Result<u64>;
    async fn delete_alias(&self, id: i64) -> Result<()>;

    async fn create_list(&self, domain: DomainId, local: &str) -> Result<MailingList>;
    async fn get_list(&self, domain: DomainId, local: &str) -> Result<Option<MailingList>>;
    async fn count_lists(&self, domain: DomainId) -> Result<u64>;

    /// The system administrator account, if initialised.
    async fn get_admin(&self) -> Result<Option<Admin>>;
    /// Create or replace the system administrator account.
    async fn put_admin(&self, a: &Admin) -> Result<()>;

    /// Create or replace a domain's DKIM signing key (FILTER-7).
    async fn put_dkim_key(&self, k: &DkimRecord) -> Result<()>;
    async fn get_dkim_key(&self, domain: &str) -> Result<Option<DkimRecord>>;
    /// Remove a domain's key; signing stops. NotFound when there is none.
    async fn delete_dkim_key(&self, domain: &str) -> Result<()>;
}

/// Folders and messages.
///
/// Quota: a user's `used_bytes` is the size of every message in their folders (a copy counts
/// again) plus [`folder_cost`](crate::model::folder_cost) of each folder; every call that adds,
/// removes or renames either keeps it so in the same transaction.
#[async_trait]
pub trait MailStore: Send + Sync {
    async fn create_folder(
        &self,
        user: UserId,
        name: &str,
        special_use: Option<&str>,
    ) -> Result<Folder>;
    async fn get_folder(&self, user: UserId, name: &str) -> Result<Option<Folder>>;
    async fn list_folders(&self, user: UserId) -> Result<Vec<Folder>>;

    /// Store one message's bytes once and add it to each folder (local delivery to several
    /// recipients, or import). Returns the UID it got in each folder, in order.
    async fn deliver(
        &self,
        bytes: MessageBytes,
        targets: &[(FolderId, NewMessage)],
    ) -> Result<Vec<u32>>;
    /// Add many messages to one folder in one commit (import). Returns their UIDs.
    async fn append_batch(
        &self,
        folder: FolderId,
        msgs: Vec<(Vec<u8>, NewMessage)>,
    ) -> Result<Vec<u32>>;
    /// Messages of a folder in UID order.
    async fn list_messages(&self, folder: FolderId) -> Result<Vec<MessageMeta>>;
    /// UIDs, modseqs and flags of a folder's messages in UID order, in one read, without
    /// the rest of their metadata (what an IMAP session keeps of a selected mailbox).
    async fn list_flags(&self, folder: FolderId) -> Result<FolderFlags>;
    /// The listed messages of a folder that it still holds, in UID order; UIDs not present
    /// are left out. For readers that keep only UIDs and flags and look up the rest (size,
    /// internal date, blob) for the messages a request names.
    async fn get_messages(&self, folder: FolderId, uids: &[u32]) -> Result<Vec<MessageMeta>>;
    /// The header block of every message of a folder, in UID order, in one read: what
    /// header searches look at. `None` for a message stored without one.
    async fn list_headers(&self, folder: FolderId) -> Result<Vec<(u32, Option<Vec<u8>>)>>;
    /// A message's bytes.
    async fn read_message(&self, m: &MessageMeta) -> Result<Vec<u8>>;
    /// The bytes of several messages in one read, in the order given: `None` for one whose
    /// bytes are gone (expunged and released meanwhile). The caller bounds the batch: the
    /// messages' sizes add up to [`crate::READ_BATCH_BYTES`] at most, or it holds one message.
    async fn read_messages(&self, ms: &[MessageMeta]) -> Result<Vec<Option<Vec<u8>>>> {
        let mut out = Vec::with_capacity(ms.len());
        for m in ms {
            match self.read_message(m).await {
                Ok(b) => out.push(Some(b)),
                Err(StoreError::NotFound(_)) => out.push(None),
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
    /// Remove messages by UID; UIDs not present are ignored. Returns the UIDs removed. The
    /// messages stay readable through [`MailStore::held_messages`] for
    /// [`crate::EXPUNGED_HOLD_SECS`].
    async fn expunge(&self, folder: FolderId, uids: &[u32]) -> Result<Vec<u32>>;
    /// Counts of a folder's messages for STATUS, without reading them one by one.
    async fn folder_counts(&self, folder: FolderId) -> Result<FolderCounts>;
    /// Claim a folder's `\Recent` messages for one IMAP session: returns `(a, b)`, the
    /// messages with UIDs `a+1..=b` are recent in that session alone, and the next claim
    /// starts after `b` (RFC 3501 §2.3.2). `a == b` when there was nothing new.
    async fn claim_recent(&self, folder: FolderId) -> Result<(u32, u32)>;
    /// The listed UIDs of a folder that were expunged and are still held readable, in UID
    /// order (for an IMAP session that has not yet announced their expunge).
    async fn held_messages(&self, folder: FolderId, uids: &[u32]) -> Result<Vec<MessageMeta>>;
    /// Release the held expunged messages whose time is up at `now` (Unix seconds), or
    /// whose folder is gone; their bytes are deleted when nothing else refers to them.
    /// Returns how many were released.
    async fn release_held(&self, now: i64) -> Result<usize>;
    /// A folder by id.
    async fn get_folder_by_id(&self, id: FolderId) -> Result<Option<Folder>>;
    /// Change flags; with `unchanged_since`, messages changed after that modseq are left alone
    /// and reported (CONDSTORE). Messages whose flags end up the same keep their modseq.
    async fn store_flags(
        &self,
        folder: FolderId,
        uids: &[u32],
        op: FlagOp,
        flags: &[String],
        unchanged_since: Option<u64>,
    ) -> Result<FlagUpdate>;
    /// Copy messages (sharing their bytes), keeping flags and internal dates. Returns
    /// (source UID, new UID) pairs in source order.
    async fn copy_messages(
        &self,
        from: FolderId,
        uids: &[u32],
        to: FolderId,
    ) -> Result<Vec<(u32, u32)>>;
    /// Copy then expunge from the source, in one transaction.
    async fn move_messages(
        &self,
        from: FolderId,
        uids: &[u32],
        to: FolderId,
    ) -> Result<Vec<(u32, u32)>>;
    /// Rename a folder and every folder below it (names starting with `from` + delimiter).
    async fn rename_folder(
        &self,
        user: UserId,
        from: &str,
        to: &str,
        delimiter: char,
    ) -> Result<()>;
    /// Delete a folder with its messages.
    async fn delete_folder(&self, folder: FolderId) -> Result<()>;
    /// The user's subscriptions (RFC 9051 §6.3.7), sorted: names, kept apart from folders,
    /// so a name may have no folder (deleting a folder keeps its subscription, renaming one
    /// does not move it) and creating a folder does not subscribe it.
    async fn list_subscriptions(&self, user: UserId) -> Result<Vec<String>>;
    /// Subscribe the user to `name` (`on`) or unsubscribe; doing what is already done is
    /// not an error.
    async fn set_subscription(&self, user: UserId, name: &str, on: bool) -> Result<()>;
    /// Metadata entries (RFC 5464) of the user's server entries (`folder` None) or of one of
    /// their folders, sorted by name. Both `/private` and `/shared` entries are kept per
    /// user; a folder's entries are deleted with it and follow it through a rename.
    async fn get_metadata(
        &self,
        user: UserId,
        folder: Option<FolderId>,
    ) -> Result<Vec<(String, Vec<u8>)>>;
    /// Apply `changes` to those entries in one transaction. When the entries would number
    /// more than `max_entries` afterwards, nothing changes ([`MetadataWrite::TooMany`]).
    async fn set_metadata(
        &self,
        user: UserId,
        folder: Option<FolderId>,
        changes: &[MetadataChange],
        max_entries: usize,
    ) -> Result<MetadataWrite>;
    /// Everything that changed in a folder after `modseq`, read consistently in one go.
    async fn changes_since(&self, folder: FolderId, modseq: u64) -> Result<FolderChanges>;
    /// UIDs expunged after `modseq` (QRESYNC VANISHED, RFC 7162 §3.2.10).
    async fn vanished_since(&self, folder: FolderId, modseq: u64) -> Result<Vec<u32>>;
    /// The UIDs of `folder`'s messages, ascending, that may contain `needle` (folded as
    /// `heron_message::search::needle` folds it) in `part` of their search text
    /// (`heron_message::searchtext`): every message whose kept text holds it, and every
    /// message whose text is not all kept (not indexed yet, or cut). A superset of the
    /// messages the matcher finds; every UID of the folder when the needle is not
    /// `searchtext::indexable`.
    async fn text_candidates(
        &self,
        folder: FolderId,
        part: TextPart,
        needle: &str,
    ) -> Result<Vec<u32>>;
    /// Keep the search text of up to `limit` messages that have none yet (stored before the
    /// index existed, or copied in from another store). Returns how many were looked at;
    /// 0 when none is left.
    /// A message whose bytes are gone stays pending for good (a candidate of every search).
    async fn index_pending(&self, limit: usize) -> Result<usize>;
}

/// Runtime settings as text values keyed by dotted names; typing lives in `settings`.
#[async_trait]
pub trait SettingsStore: Send + Sync {
    async fn get_setting(&self, key: &str) -> Result<Option<String>>;
    async fn set_setting(&self, key: &str, value: &str) -> Result<()>;
    /// Forget a stored value so the default applies again.
    async fn reset_setting(&self, key: &str) -> Result<()>;
    async fn list_settings(&self) -> Result<Vec<(String, String)>>;
}

/// The outbound spool's records (delivery itself lives in the queue).
///
/// Leases: a scheduler takes due entries with [`spool_lease`](SpoolStore::spool_lease), which
/// marks them in flight until a deadline; [`spool_finish`](SpoolStore::spool_finish) writes the
/// attempt's outcome and clears the lease. An entry whose lease is still set at start-up was in
/// flight when the process stopped and is retried (delivery is at-least-once).
#[async_trait]
pub trait SpoolStore: Send + Sync {
    /// Store the bytes and the entry durably.
    async fn spool_insert(&self, bytes: MessageBytes, e: NewSpoolEntry) -> Result<SpoolEntry>;
    /// Every entry, highest priority first.
    async fn spool_list(&self) -> Result<Vec<SpoolEntry>>;
    async fn spool_get(&self, id: i64) -> Result<Option<SpoolEntry>>;
    async fn spool_delete(&self, id: i64) -> Result<()>;
    /// The message bytes of an entry.
    async fn spool_read(&self, e: &SpoolEntry) -> Result<Vec<u8>>;
    /// Up to `limit` entries due at `now` and not leased, highest priority first then oldest,
    /// leased until `until` in the same transaction.
    async fn spool_lease(&self, now: i64, until: i64, limit: usize) -> Result<Vec<SpoolEntry>>;
    /// Write an attempt's outcome and clear the lease; an entry with no pending recipient left
    /// is removed with its bytes. Returns whether the entry still exists.
    async fn spool_finish(&self, id: i64, a: SpoolAttempt) -> Result<bool>;
    /// Clear leases that are set at `now` (in flight when the process stopped, or expired);
    /// returns the ids released.
    async fn spool_release(&self, now: i64) -> Result<Vec<i64>>;
    /// The earliest `next_attempt_at` of an entry not leased, if any.
    async fn spool_next_due(&self) -> Result<Option<i64>>;
    /// How many entries the spool holds, and when the oldest arrived (Unix seconds), for
    /// the metrics; one aggregate read.
    async fn spool_summary(&self) -> Result<(u64, Option<i64>)>;
    /// Apply an administrator's change; the entry as it is afterwards.
    async fn spool_change(&self, id: i64, c: SpoolChange) -> Result<SpoolEntry>;
}

/// Bearer tokens of the admin API, kept by the hash of their secret.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Record a new token; `hash` is unique (Conflict otherwise).
    async fn create_token(&self, name: &str, hash: &str, created_at: i64) -> Result<ApiToken>;
    /// Every token, oldest first.
    async fn list_tokens(&self) -> Result<Vec<ApiToken>>;
    /// Remove a token; NotFound when there is none with that id.
    async fn delete_token(&self, id: i64) -> Result<()>;
    /// The token whose secret hashes to `hash`, if any.
    async fn find_token(&self, hash: &str) -> Result<Option<ApiToken>>;
}

/// Server secrets made once and kept with the data for good (such as the key behind the SCRAM
/// salts of unknown users): apart from settings, so they are never listed or shown.
#[async_trait]
pub trait SecretStore: Send + Sync {
    /// The secret called `name`. When there is none yet, `fresh` is stored under that name and
    /// returned; callers racing to create it (threads, processes, nodes) all get the one that
    /// was stored first.
    async fn secret_or_insert(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>>;
}

/// The server processes (nodes) sharing the store, and exclusive holds among them.
///
/// Each store handle has an id ([`node_id`](NodeStore::node_id)); a running server records a
/// heartbeat under it every [`NODE_BEAT_SECS`] seconds. A node silent for
/// [`NODE_STALE_SECS`] is gone: another node may take over its spool leases and holds.
#[async_trait]
pub trait NodeStore: Send + Sync {
    /// This handle's id among the nodes.
    fn node_id(&self) -> &str;
    /// Take `id` as this node's lasting id (kept by `heron serve` in its data directory, so a
    /// restart is the same node: its per-node stops stay, its old leases and holds are its
    /// own). Only before the node records anything; false when an id was already adopted.
    fn adopt_node_id(&self, id: &str) -> bool;
    /// Record that this node is alive at `now` (the first call adds it).
    async fn node_heartbeat(
        &self,
        hostname: &str,
        version: &str,
        started_at: i64,
        now: i64,
    ) -> Result<()>;
    /// Every node that has recorded a heartbeat, by host name then start time.
    async fn list_nodes(&self) -> Result<Vec<Node>>;
    /// This node stops: its record and its holds go.
    async fn node_stopped(&self) -> Result<()>;
    /// Take the hold called `name` (such as a POP3 maildrop) for this node at `now`: true
    /// when it was free, held by this node, or held by a node that is gone; false while
    /// another running node holds it.
    async fn hold_take(&self, name: &str, now: i64) -> Result<bool>;
    /// Give back this node's hold called `name` (nothing when it holds none).
    async fn hold_release(&self, name: &str) -> Result<()>;
    /// Stop (`stopped`) the service called `service` on node `node` alone, or no longer
    /// (nothing changes when it already is so); the node's own services follow at once
    /// ([`Event::NodeServices`](crate::events::Event::NodeServices)). NotFound when no node
    /// `node` is listed. The stop lasts as long as the node's record.
    async fn set_service_stopped(&self, node: &str, service: &str, stopped: bool) -> Result<()>;
    /// The services stopped on node `node` alone, in order (none for a node not listed).
    async fn stopped_services(&self, node: &str) -> Result<Vec<String>>;
}

/// Failures and blocks per key (failed admin logins per client IP), kept in the store so a
/// restart or another node goes on counting. The caller gives the rule; the store applies it
/// ([`rules::limits`](crate::rules::limits)) to one key at a time, whichever node writes.
#[async_trait]
pub trait LimitStore: Send + Sync {
    /// Seconds left of the block of `key` in `scope` at `now`; `None` when it is not blocked.
    async fn limit_blocked(&self, scope: &str, key: &str, now: i64) -> Result<Option<i64>>;
    /// Count a failure of `key` in `scope` at `now` under `rule`; true when it starts a block.
    /// Records with nothing left to remember go; a scope keeps at most `max_keys` records
    /// (the oldest unblocked ones go first).
    async fn limit_failure(
        &self,
        scope: &str,
        key: &str,
        rule: &Rule,
        max_keys: usize,
        now: i64,
    ) -> Result<bool>;
    /// Forget the failures of `key` in `scope` (a success), unless it is blocked at `now`.
    async fn limit_success(&self, scope: &str, key: &str, now: i64) -> Result<()>;
    /// The blocks in force at `now`, of every scope, ordered by scope and key.
    async fn limit_blocks(&self, now: i64) -> Result<Vec<LimitBlock>>;
    /// Lift the block of `key` in `scope` and forget its failures; false when there was no
    /// record of it.
    async fn limit_remove(&self, scope: &str, key: &str) -> Result<bool>;
    /// The failure times (Unix seconds) remembered for `key` in `scope`, oldest first; empty
    /// when there is no record (they may include times past the window, until the next
    /// failure of any key prunes them).
    async fn limit_failures(&self, scope: &str, key: &str) -> Result<Vec<i64>>;
}

/// Login sessions of the admin UI and API, shared by every node (a restart or another node
/// keeps a user logged in).
#[async_trait]
pub trait AdminSessionStore: Send + Sync {
    /// Record a new session. Expired sessions go first; then, while `max` or more remain, the
    /// least recently used.
    async fn session_insert(&self, s: &AdminSession, max: usize, now: i64) -> Result<()>;
    /// The session with this id hash if it has not been idle past its limit at `now` (an
    /// expired one is removed), its use recorded.
    async fn session_use(&self, id_hash: &str, now: i64) -> Result<Option<AdminSession>>;
    /// End a session (nothing when there is none).
    async fn session_delete(&self, id_hash: &str) -> Result<()>;
    /// End every session of `account` except the one whose id hash is `keep`.
    async fn session_delete_account(&self, account: &str, keep: Option<&str>) -> Result<()>;
}

/// Access-control lists of folders (RFC 4314): entries granting rights letters to a user of
/// the owner's domain or to `anyone` of it. Entries go with their folder, their owner and
/// their grantee. The store keeps letters; what they allow is the IMAP server's rule.
#[async_trait]
pub trait AclStore: Send + Sync {
    /// Set the rights `grantee` (`None`: `anyone`) holds on `folder`, replacing any entry
    /// it had. Returns false, changing nothing, when the entry would be new and the folder
    /// already has `max` entries. NotFound when the folder or the grantee does not exist.
    async fn set_rights(
        &self,
        folder: FolderId,
        grantee: Option<UserId>,
        rights: &str,
        max: usize,
    ) -> Result<bool>;
    /// Remove the entry of `grantee` on `folder`; returns whether there was one.
    async fn delete_rights(&self, folder: FolderId, grantee: Option<UserId>) -> Result<bool>;
    /// The entries of a folder, `anyone` first then by grantee local part.
    async fn list_rights(&self, folder: FolderId) -> Result<Vec<AclEntry>>;
    /// The folders of other users that grant `user` rights, directly or through `anyone`
    /// of its domain, by owner local part then folder name (public folders are not among
    /// them).
    async fn shared_with(&self, user: UserId) -> Result<Vec<SharedFolder>>;
    /// The hidden account that owns `domain`'s public folders
    /// ([`rules::public`](crate::rules::public)); when there is none yet, made if `create`
    /// (concurrent calls get the same one), else `None`.
    async fn public_owner(&self, domain: DomainId, create: bool) -> Result<Option<UserId>>;
    /// The public folders of `user`'s domain that grant it rights, directly or through
    /// `anyone`, by folder name (`owner_local` is [`PUBLIC_OWNER`](crate::PUBLIC_OWNER)).
    async fn public_shared_with(&self, user: UserId) -> Result<Vec<SharedFolder>>;
}

/// The learned token counts of the Bayesian spam classifier (FILTER-2), one database per
/// server. A token is a 64-bit hash; each keeps how many learned spam and ham messages had it
/// and when it was last learned. Learned messages are kept by key (the caller's stable name
/// for the message, e.g. its blob id) with their class, so learning a message again in the
/// same class changes nothing and learning it in the other class moves its counts.
#[async_trait]
pub trait BayesStore: Send + Sync {
    /// Learn the message `key` with `tokens` (duplicates are counted once) as spam or ham,
    /// at `now` (Unix seconds), in one transaction with the message totals.
    async fn bayes_learn(
        &self,
        key: &str,
        tokens: &[i64],
        spam: bool,
        now: i64,
    ) -> Result<BayesLearned>;
    /// The counts of those of `tokens` that were learned (unknown tokens are left out).
    async fn bayes_counts(&self, tokens: &[i64]) -> Result<Vec<BayesCount>>;
    /// Learned messages of each class: spam, ham (one row read, what every classification
    /// asks).
    async fn bayes_learned(&self) -> Result<(u64, u64)>;
    /// Learned messages of each class and the number of tokens kept (counting the tokens
    /// reads them all: for reports, not for every message).
    async fn bayes_totals(&self) -> Result<BayesTotals>;
    /// Keep at most `max_tokens` tokens: those no longer in any learned message go first,
    /// then the least recently learned (by day), rarest first; and at most `max_messages`
    /// learned messages' keys, the most recently learned (a forgotten message learned again
    /// counts again). Returns how many tokens went.
    async fn bayes_prune(&self, max_tokens: u64, max_messages: u64) -> Result<u64>;
    /// Forget everything learned.
    async fn bayes_reset(&self) -> Result<()>;
}

/// DMARC aggregate reporting (RFC 7489 §7.2): the results collected about arriving mail, to
/// be reported once a day to the domains that ask, and the reports received for the hosted
/// domains.
#[async_trait]
pub trait DmarcStore: Send + Sync {
    /// Add `row.count` messages to the collected row of the same day and results
    /// ([`DmarcCollected::key`]), taking the row's latest reporting addresses; a new row is
    /// made only while the day has fewer than `max_rows` rows (0: no limit). Returns whether
    /// the messages were counted.
    async fn dmarc_collect(&self, row: &DmarcCollected, max_rows: u64) -> Result<bool>;
    /// The collected rows of the days up to `last_day`, by day and policy domain.
    async fn dmarc_collected(&self, last_day: i64) -> Result<Vec<DmarcCollected>>;
    /// Take the collected rows of the days up to `last_day` for reporting: they are read and
    /// deleted in one transaction, so whichever of several nodes asks, each row is reported
    /// once.
    async fn dmarc_take(&self, last_day: i64) -> Result<Vec<DmarcCollected>>;
    /// Delete the collected rows of the days before `first_day`; how many went.
    async fn dmarc_forget(&self, first_day: i64) -> Result<u64>;
    /// Keep a received report with its rows; `None` when the same domain already has the
    /// report (same organisation and report id), else its id.
    async fn dmarc_report_add(
        &self,
        report: &DmarcReport,
        rows: &[DmarcReportRow],
    ) -> Result<Option<i64>>;
    /// One page of the received reports, newest first, of one hosted domain or of all: how
    /// many there are in all, and the page `offset..offset+limit`.
    async fn dmarc_reports(
        &self,
        domain: Option<DomainId>,
        limit: u64,
        offset: u64,
    ) -> Result<(u64, Vec<DmarcReport>)>;
    /// A received report and its rows.
    async fn dmarc_report(&self, id: i64) -> Result<Option<(DmarcReport, Vec<DmarcReportRow>)>>;
    /// Delete the reports received before `before` (Unix seconds); how many went.
    async fn dmarc_reports_forget(&self, before: i64) -> Result<u64>;
}

/// TLS reporting (RFC 8460): the outcomes of outbound TLS sessions, collected per policy
/// domain and day and reported once a day to the domains that ask.
#[async_trait]
pub trait TlsRptStore: Send + Sync {
    /// Add `row.count` sessions to the row of the same day and outcome
    /// ([`TlsRptResult::key`]); a new row is made only while the day has fewer than
    /// `max_rows` rows (0: no limit). Returns whether the sessions were counted.
    async fn tlsrpt_add(&self, row: &TlsRptResult, max_rows: u64) -> Result<bool>;
    /// The rows of the days up to `last_day`, by day and policy domain.
    async fn tlsrpt_results(&self, last_day: i64) -> Result<Vec<TlsRptResult>>;
    /// Take the rows of the days up to `last_day` for reporting: read and deleted in one
    /// transaction, so each row is reported by one node.
    async fn tlsrpt_take(&self, last_day: i64) -> Result<Vec<TlsRptResult>>;
    /// Delete the rows of the days before `first_day`; how many went.
    async fn tlsrpt_forget(&self, first_day: i64) -> Result<u64>;
}

/// Greylisting's state (SEC-3): one record per triplet key (see
/// [`crate::rules::greylist::triplet_key`]), and the remote addresses local users wrote to
/// (their correspondents, exempt from greylisting towards that user). Shared by every node of
/// a cluster, so they agree on a triplet.
#[async_trait]
pub trait GreylistStore: Send + Sync {
    /// Read the triplet's record, decide with [`crate::rules::greylist::decide`] and write the
    /// outcome in one transaction; also removes a bounded number of expired records.
    async fn greylist_check(
        &self,
        key: &str,
        now: i64,
        times: GreylistTimes,
    ) -> Result<GreylistVerdict>;
    /// Remember at `now` that `user` wrote to `remote` (lower-cased by the caller), until
    /// `expires` (Unix seconds); also removes a bounded number of expired correspondents.
    async fn correspondent_note(
        &self,
        user: UserId,
        remote: &str,
        now: i64,
        expires: i64,
    ) -> Result<()>;
    /// Whether `user` wrote to `remote` and the record has not expired at `now`.
    async fn correspondent_known(&self, user: UserId, remote: &str, now: i64) -> Result<bool>;
}

/// Sending-throttle counters (DOM-7): one count per scope (what is counted, e.g.
/// `user_messages`), key (whose, e.g. a user id or domain name) and window (its start, Unix
/// seconds), shared by every node of a cluster. Counters are transient: old windows go.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// The count of `key` in `scope` for the window starting at `window`; 0 when none.
    async fn throttle_count(&self, scope: &str, key: &str, window: i64) -> Result<u64>;
    /// Add `n` to that count in one atomic statement and return the new count; counts of
    /// windows that started before `window` (any scope and key) are removed.
    async fn throttle_add(&self, scope: &str, key: &str, window: i64, n: u64) -> Result<u64>;
    /// A user's own throttle values (all `None` when it has none).
    async fn user_throttle(&self, user: UserId) -> Result<UserThrottle>;
    /// Set a user's own throttle values (all `None` removes them); they go with the user.
    async fn set_user_throttle(&self, user: UserId, t: &UserThrottle) -> Result<()>;
}

/// POP-retrieval accounts (ACCESS-4): users' external POP3 accounts and the UIDLs already
/// fetched from each. Accounts go with their user; UIDLs with their account.
#[async_trait]
pub trait PopRetrievalStore: Send + Sync {
    /// The accounts of `user`, or of every user when `None`, by id.
    async fn pop_accounts(&self, user: Option<UserId>) -> Result<Vec<PopAccount>>;
    /// One account.
    async fn pop_account(&self, id: PopAccountId) -> Result<Option<PopAccount>>;
    /// Store a new account (its `id`, `last_run` and `last_error` are ignored); returns its id.
    async fn pop_account_add(&self, a: &PopAccount) -> Result<PopAccountId>;
    /// Change an account's settings (not its run record); false when there is none.
    async fn pop_account_update(&self, a: &PopAccount) -> Result<bool>;
    /// Record the end of a run at `at` and its error (empty: success).
    async fn pop_account_ran(&self, id: PopAccountId, at: i64, error: &str) -> Result<()>;
    /// Remove an account and its UIDLs; false when there was none.
    async fn pop_account_remove(&self, id: PopAccountId) -> Result<bool>;
    /// The UIDLs fetched from an account.
    async fn pop_uidls(&self, id: PopAccountId) -> Result<Vec<String>>;
    /// Record that `uidl` was fetched (and stored) at `at`; recording it again does nothing.
    async fn pop_uidl_add(&self, id: PopAccountId, uidl: &str, at: i64) -> Result<()>;
    /// Forget UIDLs (those the remote server no longer lists).
    async fn pop_uidls_forget(&self, id: PopAccountId, uidls: &[String]) -> Result<()>;
}

/// The message archive (OPS-5, [`crate::archive`]): copies of a domain's traffic, kept
/// apart from mailboxes, each its own blob held by its row.
#[async_trait]
pub trait ArchiveStore: Send + Sync {
    /// Store a copy of a message and its record durably; returns the record.
    async fn archive_add(&self, bytes: MessageBytes, e: NewArchived) -> Result<Archived>;
    /// The records matching `q`, newest first: how many match in all, and the page
    /// `offset..offset+limit`.
    async fn archive_search(
        &self,
        q: &ArchiveQuery,
        limit: u64,
        offset: u64,
    ) -> Result<(u64, Vec<Archived>)>;
    /// The records of these ids that exist, in the order given.
    async fn archive_get(&self, ids: &[i64]) -> Result<Vec<Archived>>;
    /// An archived message's bytes; NotFound when it was pruned meanwhile.
    async fn archive_read(&self, a: &Archived) -> Result<Vec<u8>>;
    /// Remove up to `limit` records archived before `before` (Unix seconds), oldest first,
    /// with their bytes; returns how many went.
    async fn archive_prune(&self, before: i64, limit: u64) -> Result<u64>;
}

/// Everything a running server needs from its storage.
#[async_trait]
pub trait Store:
    DirectoryStore
    + MailStore
    + SettingsStore
    + SpoolStore
    + TokenStore
    + SecretStore
    + NodeStore
    + AdminSessionStore
    + LimitStore
    + AclStore
    + BayesStore
    + DmarcStore
    + TlsRptStore
    + GreylistStore
    + ThrottleStore
    + PopRetrievalStore
    + StatsStore
    + ArchiveStore
{
    /// Receive change events committed by this process or, for backends that share the
    /// database between processes or nodes, by any of them.
    fn subscribe(&self) -> Subscription;

    /// For a store whose reads cost a round trip to a database server: the count of directory
    /// changes published in this process so far ([`crate::EventBus::directory_generation`]),
    /// so callers may keep directory records while it stays the same. `None` where reads are
    /// local and cheap and other processes' changes arrive only by polling (SQLite): read
    /// the store every time.
    fn directory_generation(&self) -> Option<u64> {
        None
    }
}
