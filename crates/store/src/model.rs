//! Plain records the store keeps. No behaviour beyond small helpers: the rules that govern
//! them (limits, policies, address resolution) live in the `directory` crate.
//!
//! Invariants: names (domain names, local parts) are stored lower-case; ids are assigned by the
//! store and never reused within one database.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Row id of a domain.
pub type DomainId = i64;
/// Row id of a user.
pub type UserId = i64;
/// Row id of a folder.
pub type FolderId = i64;
/// Identifier of a message's bytes in the blob store.
pub type BlobId = String;

/// A message as handed to the store: the header lines this server puts in front (Return-Path,
/// Received, Authentication-Results) and the bytes as they were received, kept apart so that
/// a received message is never copied to add them, and one body can go to the spool and to
/// the mailboxes at once. The store keeps them as one message, prefix first.
///
/// Invariant: `prefix` is whole header lines, each ending in a line break, with no empty
/// line, so the joined message's header block is the prefix followed by the body's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageBytes {
    pub prefix: Vec<u8>,
    pub body: std::sync::Arc<Vec<u8>>,
}

impl MessageBytes {
    /// The prefix lines in front of a shared body.
    pub fn new(prefix: Vec<u8>, body: std::sync::Arc<Vec<u8>>) -> Self {
        Self { prefix, body }
    }

    /// The length of the joined message.
    pub fn len(&self) -> usize {
        self.prefix.len() + self.body.len()
    }

    /// Whether the joined message is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The joined message in one new buffer (for messages kept inside the database).
    pub fn joined(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        out.extend_from_slice(&self.prefix);
        out.extend_from_slice(&self.body);
        out
    }

    /// The joined message as a vector, without a copy when there is no prefix and the body
    /// is not shared.
    pub fn into_vec(self) -> Vec<u8> {
        if self.prefix.is_empty() {
            return std::sync::Arc::try_unwrap(self.body).unwrap_or_else(|b| (*b).clone());
        }
        self.joined()
    }
}

impl From<Vec<u8>> for MessageBytes {
    fn from(body: Vec<u8>) -> Self {
        Self {
            prefix: Vec::new(),
            body: std::sync::Arc::new(body),
        }
    }
}

/// Server-wide counts for the dashboard.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub domains: u64,
    pub users: u64,
    /// Messages in all mailboxes (a message delivered to three mailboxes counts three times).
    pub messages: u64,
    /// Bytes used by all mailboxes, as counted against quotas.
    pub bytes: u64,
}

/// Per-domain limits (DOM-4). `0` means unlimited everywhere.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainLimits {
    /// Disk space for all mailboxes of the domain, in MB.
    pub disk_mb: u64,
    /// Number of domain aliases.
    pub domain_aliases: u32,
    /// Number of users.
    pub users: u32,
    /// Number of user aliases.
    pub user_aliases: u32,
    /// Number of mailing lists.
    pub mailing_lists: u32,
    /// POP-retrieval accounts per user.
    pub pop_retrieval_accounts: u32,
    /// Largest message a user of the domain may send, in KB.
    pub max_message_kb: u64,
    /// Recipients per message.
    pub recipients_per_message: u32,
    /// Messages the domain's users may send per hour together (DOM-7; 0 = unlimited);
    /// `None`: the server's `throttle.messages_per_hour`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages_per_hour: Option<u64>,
    /// MB the domain's users may send per hour together (DOM-7; 0 = unlimited); `None`: the
    /// server's `throttle.mb_per_hour`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mb_per_hour: Option<u64>,
    /// Bounces the domain may receive per hour (DOM-7; 0 = unlimited); `None`: the server's
    /// `throttle.bounces_per_hour`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounces_per_hour: Option<u64>,
}

impl Default for DomainLimits {
    /// The defaults of DOM-4.
    fn default() -> Self {
        Self {
            disk_mb: 500,
            domain_aliases: 2,
            users: 100,
            user_aliases: 1000,
            mailing_lists: 0,
            pop_retrieval_accounts: 10,
            max_message_kb: 10_000,
            recipients_per_message: 200,
            messages_per_hour: None,
            mb_per_hour: None,
            bounces_per_hour: None,
        }
    }
}

/// A user's own sending throttles (DOM-7; 0 = unlimited); `None`: the server's
/// `throttle.user_*` setting applies.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserThrottle {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages_per_hour: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mb_per_hour: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounces_per_hour: Option<u64>,
}

/// A hosted domain (DOM-1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    pub id: DomainId,
    /// Lower-case domain name.
    pub name: String,
    /// A disabled domain neither sends nor receives; its users cannot log in.
    pub disabled: bool,
    pub limits: DomainLimits,
    /// Local part or address that receives mail for unknown recipients, if any (DOM-10).
    pub catch_all: Option<String>,
    /// Users must authenticate to send (DOM-2).
    pub require_smtp_auth: bool,
    /// IP address the domain is bound to (BIND-4), if any.
    pub bind_ip: Option<String>,
    /// DOM-2: an alternate SMTP port the domain's users (and other servers) may use besides
    /// the standard one, on the domain's IP or every SMTP address; `None` for none.
    pub smtp_alt_port: Option<u16>,
    /// Unix seconds.
    pub created_at: i64,
    /// The domain's own spam-filter settings (FILTER-3, DOM-3).
    pub filter: FilterOverrides,
    /// Mail to the domain is greylisted when greylisting is on (SEC-3, DOM-2); default true.
    pub greylisting: bool,
    /// The domain's own archiving rule (OPS-5); `None` follows `archive.rule`.
    pub archive_rule: Option<crate::archive::ArchiveRule>,
    /// The domain's own folder auto-clean rules (OPS-6), in the `autoclean.rules` syntax;
    /// empty: none. They apply when the server lets domains override (see
    /// `heron_settings::autoclean::effective`).
    pub autoclean_rules: String,
    /// Whether the domain's users may override its auto-clean rules with their own (OPS-6);
    /// default true.
    pub autoclean_user_override: bool,
    /// The domain's POP-retrieval switch (DOM-3, ACCESS-4): off, its users' POP-retrieval
    /// accounts are neither fetched nor added; default true.
    pub pop_retrieval: bool,
}

/// Spam-filter settings a domain or a user sets for itself (FILTER-3) and the domain's
/// content-filtering switch (DOM-3): names of `filter.` settings without the prefix
/// (`level_medium`, `action_high`, `text_low`, `enabled`) to values in the settings' text
/// form. Which names are allowed, and whether they apply, is the filter's business; the
/// store keeps them as given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FilterOverrides(pub BTreeMap<String, String>);

/// Fields needed to create a domain.
#[derive(Clone, Debug, Default)]
pub struct NewDomain {
    pub name: String,
    pub limits: DomainLimits,
}

/// Role of an account (DOM-13). The system administrator is an [`Admin`], not a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    User,
    DomainAdmin,
}

impl Role {
    /// Stable text form used in the database and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::DomainAdmin => "domain-admin",
        }
    }
    /// Inverse of [`Role::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(Role::User),
            "domain-admin" => Some(Role::DomainAdmin),
            _ => None,
        }
    }
}

/// A mailbox owner (DOM-9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub domain_id: DomainId,
    /// Lower-case local part.
    pub local: String,
    /// Stored credentials in their storage form (never plaintext).
    pub credentials: String,
    pub display_name: String,
    /// Mailbox quota in bytes; 0 = only the domain's limit applies.
    pub quota_bytes: u64,
    /// Bytes currently used by the user's messages.
    pub used_bytes: u64,
    pub disabled: bool,
    pub role: Role,
    /// Addresses mail is forwarded to, if any.
    pub forward_to: Vec<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last successful login, if any.
    pub last_login: Option<i64>,
    /// The user's own spam-filter settings (FILTER-3).
    pub filter: FilterOverrides,
    /// Mail to the user is greylisted when greylisting is on and the server lets users turn
    /// it off (SEC-3); default true.
    pub greylisting: bool,
    /// The user's own folder auto-clean rules (OPS-6), in the `autoclean.rules` syntax;
    /// empty: none. They apply when the server and the domain let users override.
    pub autoclean_rules: String,
}

impl User {
    /// Whether this row is the hidden owner of its domain's public folders
    /// ([`crate::rules::public`]), not a user.
    pub fn is_public_owner(&self) -> bool {
        self.local == crate::rules::public::PUBLIC_OWNER
    }
}

/// Fields needed to create a user.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub domain_id: DomainId,
    pub local: String,
    pub credentials: String,
    pub display_name: String,
    pub role: Role,
    pub quota_bytes: u64,
}

/// An alias: one address delivering to one or more targets (DOM-10).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    pub id: i64,
    pub domain_id: DomainId,
    pub local: String,
    /// Full addresses or local parts of the same domain.
    pub targets: Vec<String>,
}

/// A mailing list record (DOM-11); behaviour comes later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailingList {
    pub id: i64,
    pub domain_id: DomainId,
    pub local: String,
    pub members: Vec<String>,
    pub moderated: bool,
}

/// The system administrator account of the admin UI (DOM-13).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admin {
    pub username: String,
    pub credentials: String,
    /// True until the first password change (admin/admin must be changed at first login).
    pub must_change_password: bool,
}

/// What a folder counts against quota: the rule lives in [`crate::rules::quota`].
pub use crate::rules::quota::{FOLDER_OVERHEAD, folder_cost};

/// A mail folder of one user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Folder {
    pub id: FolderId,
    pub user_id: UserId,
    pub name: String,
    /// RFC 6154 attribute such as `\Sent`, if any.
    pub special_use: Option<String>,
    pub uidvalidity: u32,
    /// The UID the next message will get; strictly increasing, never reused.
    pub uidnext: u32,
    pub highestmodseq: u64,
    /// Messages with a UID above this are `\Recent` for the next IMAP session that claims
    /// them ([`crate::MailStore::claim_recent`], RFC 3501 §2.3.2): each is recent in one
    /// session only.
    pub recent_uid: u32,
}

/// How long an expunged message's bytes stay readable (Unix seconds). An IMAP session learns
/// of another session's expunge only at its next command that may announce it, and until
/// then it may FETCH the message (RFC 9051 §7.5.1). A silent session is logged out well
/// before this (`imap.command_timeout`, 15 minutes by default), so a client that was told a
/// message exists does not find it gone. The space is given back to the quota at once.
pub const EXPUNGED_HOLD_SECS: i64 = 3600;

/// The most message bytes a reader asks for in one [`crate::MailStore::read_messages`]
/// call (a larger message is read alone): fewer round trips to the database for a FETCH of
/// many small messages, a bounded amount in memory.
pub const READ_BATCH_BYTES: u64 = 1024 * 1024;

/// What STATUS reports of a folder, counted by the store in one read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FolderCounts {
    pub messages: u32,
    /// Messages without `\Seen`.
    pub unseen: u32,
    /// Messages with `\Deleted`, and their bytes.
    pub deleted: u32,
    pub deleted_bytes: u64,
    /// All messages' bytes.
    pub bytes: u64,
    /// Messages above the folder's `recent_uid`: not yet claimed as `\Recent`.
    pub recent: u32,
    /// The highest UID and modseq of a message (0 when empty).
    pub max_uid: u32,
    pub max_modseq: u64,
}

/// Which part of a message's search text a text search looks in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextPart {
    /// The header fields (FROM, TO, CC, BCC, SUBJECT, HEADER).
    Head,
    /// The body text (BODY).
    Body,
    /// Both (TEXT).
    All,
}

/// Metadata of one stored message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageMeta {
    pub folder_id: FolderId,
    pub uid: u32,
    pub modseq: u64,
    /// System flags (`\Seen`, ...) and keywords, in insertion order, no duplicates.
    pub flags: Vec<String>,
    /// Unix seconds.
    pub internal_date: i64,
    pub size: u64,
    pub blob: BlobId,
}

/// A message to add to a folder.
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub flags: Vec<String>,
    /// Unix seconds; `None` means now.
    pub internal_date: Option<i64>,
}

/// A domain's DKIM signing key (FILTER-7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimRecord {
    /// Lower-case domain name the key signs for (`d=`).
    pub domain: String,
    pub selector: String,
    /// `rsa` or `ed25519`.
    pub algorithm: String,
    /// The private key in its text form (PEM).
    pub private_key: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// A bearer token of the admin API. Only a hash of the secret is kept: the secret is shown
/// once, when the token is made, and cannot be recovered from the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: i64,
    /// The administrator's label for it (what it is for).
    pub name: String,
    /// Lower-case hex SHA-256 of the secret.
    pub hash: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// One recipient of a spooled message, with its delivery state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpoolRecipient {
    pub address: String,
    /// RFC 3461 NOTIFY and ORCPT parameters as received, if any.
    pub notify: Option<String>,
    pub orcpt: Option<String>,
    /// `pending`, `delivered`, `failed`.
    pub status: String,
    /// Last reply or error seen for this recipient.
    pub last_reply: Option<String>,
    /// Host name of the server that gave `last_reply`, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    /// Attempts that failed because the domain does not exist in DNS.
    #[serde(default)]
    pub dns_failures: u32,
    /// A "delayed" notification was sent (RFC 3461 NOTIFY=DELAY), so it is not sent again.
    #[serde(default)]
    pub delay_notified: bool,
}

impl SpoolRecipient {
    /// A recipient waiting for its first attempt.
    pub fn pending(address: impl Into<String>) -> Self {
        Self {
            address: address.into(),
            status: SPOOL_PENDING.into(),
            ..Self::default()
        }
    }
    /// Still to be delivered.
    pub fn is_pending(&self) -> bool {
        self.status == SPOOL_PENDING
    }
}

/// Recipient states.
pub const SPOOL_PENDING: &str = "pending";
pub const SPOOL_DELIVERED: &str = "delivered";
pub const SPOOL_FAILED: &str = "failed";

/// A message waiting in the spool for remote delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpoolEntry {
    pub id: i64,
    /// Envelope sender; empty for the null sender.
    pub sender: String,
    pub recipients: Vec<SpoolRecipient>,
    pub blob: BlobId,
    pub size: u64,
    /// 1..=10, higher leaves first (DOM-6).
    pub priority: u8,
    /// RFC 3461 RET and ENVID, if any.
    pub ret: Option<String>,
    pub envid: Option<String>,
    pub attempts: u32,
    /// Unix seconds.
    pub created_at: i64,
    pub next_attempt_at: i64,
    /// While a delivery runs, the time its lease ends (0 when not leased).
    pub leased_until: i64,
    /// Unix seconds of the last attempt, if any.
    pub last_attempt_at: Option<i64>,
    /// REQUIRETLS (RFC 8689): send only over verified TLS to a server offering REQUIRETLS.
    pub requiretls: bool,
}

/// Fields needed to add a spool entry.
#[derive(Clone, Debug)]
pub struct NewSpoolEntry {
    pub sender: String,
    pub recipients: Vec<SpoolRecipient>,
    pub priority: u8,
    pub ret: Option<String>,
    pub envid: Option<String>,
    pub next_attempt_at: i64,
    /// REQUIRETLS (RFC 8689) was asked for.
    pub requiretls: bool,
}

/// The result of a delivery attempt, written back in one transaction.
#[derive(Clone, Debug)]
pub struct SpoolAttempt {
    pub recipients: Vec<SpoolRecipient>,
    pub attempts: u32,
    pub next_attempt_at: i64,
    pub priority: u8,
    pub last_attempt_at: i64,
}

/// An administrator's change to a spool entry (SPOOL-5 actions).
#[derive(Clone, Debug, Default)]
pub struct SpoolChange {
    pub priority: Option<u8>,
    /// Attempt at this time (force: now).
    pub next_attempt_at: Option<i64>,
    /// Reset retries: attempts back to 0 and failed recipients pending again.
    pub reset: bool,
}

impl SpoolChange {
    /// Force: attempt at `now`.
    pub fn force(now: i64) -> Self {
        Self {
            next_attempt_at: Some(now),
            ..Self::default()
        }
    }
    /// Reset retries and attempt at `now`.
    pub fn reset(now: i64) -> Self {
        Self {
            reset: true,
            ..Self::force(now)
        }
    }
    /// Change the priority only.
    pub fn priority(p: u8) -> Self {
        Self {
            priority: Some(p),
            ..Self::default()
        }
    }
}

/// What changed in a folder after some modseq (for refreshing a session's view cheaply).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FolderChanges {
    /// The folder's HIGHESTMODSEQ when read; the next call asks from here.
    pub highestmodseq: u64,
    /// Messages added or changed after the modseq asked for, in UID order.
    pub changed: Vec<MessageMeta>,
    /// UIDs expunged after that modseq, ascending.
    pub vanished: Vec<u32>,
}

/// The UIDs, modseqs and flags of a folder's messages, compactly (what a session's view of
/// a mailbox starts from): each distinct flag list once, messages referring to it by index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FolderFlags {
    /// In UID order.
    pub messages: Vec<MessageFlags>,
    /// The distinct flag lists, each as [`MessageMeta::flags`] would hold it.
    pub lists: Vec<Vec<String>>,
}

/// One message of a [`FolderFlags`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageFlags {
    pub uid: u32,
    /// Index into [`FolderFlags::lists`].
    pub flags: u32,
    pub modseq: u64,
}

/// How a flag change applies (IMAP STORE FLAGS, +FLAGS, -FLAGS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagOp {
    Replace,
    Add,
    Remove,
}

/// The result of a flag change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlagUpdate {
    /// Messages whose flags changed: UID, new modseq, new flags.
    pub changed: Vec<(u32, u64, Vec<String>)>,
    /// Messages left alone because they changed after `unchanged_since` (RFC 7162 §3.1.3).
    pub modified: Vec<u32>,
    /// UIDs asked for that the folder no longer holds (expunged by another session).
    pub missing: Vec<u32>,
}

/// How often a running server records that it is alive ([`NodeStore::node_heartbeat`](crate::NodeStore::node_heartbeat)).
pub const NODE_BEAT_SECS: i64 = 5;
/// A node whose last heartbeat is older than this is gone: its spool leases and holds are
/// free for the others. Six missed beats, so a slow database does not make a live node look
/// dead.
pub const NODE_STALE_SECS: i64 = 30;

/// A server process sharing the store, as its heartbeats show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// The process's store handle id; its spool leases and holds carry it.
    pub id: String,
    pub hostname: String,
    pub version: String,
    /// Unix seconds.
    pub started_at: i64,
    /// Unix seconds of the last heartbeat.
    pub heartbeat_at: i64,
    /// The services an administrator stopped on this node alone (names such as `imap`, in
    /// order); it runs the others as the cluster-wide switches say.
    pub stopped_services: Vec<String>,
}

impl Node {
    /// Whether the node has beaten recently enough at `now` to count as running.
    pub fn is_alive(&self, now: i64) -> bool {
        self.heartbeat_at >= now - NODE_STALE_SECS
    }
}

/// A login session of the admin UI and API, as every node sees it. The store keeps only a
/// hash of the session id (the cookie), so its rows cannot be used to log in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminSession {
    /// Hex SHA-256 of the session id.
    pub id_hash: String,
    /// Who it belongs to, as the admin service names accounts (`admin`, `user:a@b.test`).
    pub account: String,
    pub csrf_token: String,
    /// Seconds of disuse after which the session is gone.
    pub idle_secs: i64,
    /// The admin service's record of an impersonation, when an administrator acts as
    /// `account` (opaque here).
    pub impersonation: Option<String>,
    /// Unix seconds; refreshed at most every [`SESSION_TOUCH_SECS`] to spare writes.
    pub last_used: i64,
}

/// Use of a session is written at most this often; its idle limit is that much less exact.
pub const SESSION_TOUCH_SECS: i64 = 30;

/// One change of a metadata entry (RFC 5464): a new value, or `None` to remove the entry.
/// `name` is the entry name in lower case (entry names are case-insensitive, §3.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetadataChange {
    pub name: String,
    pub value: Option<Vec<u8>>,
}

/// What [`MailStore::set_metadata`](crate::MailStore::set_metadata) did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataWrite {
    /// Every change was applied.
    Written,
    /// The entries would exceed the limit: nothing was changed (RFC 5464 §4.3 TOOMANY).
    TooMany,
}

/// The most access-control entries one folder may have (RFC 4314 grants to users of the
/// folder owner's domain); [`crate::AclStore::set_rights`] refuses a new entry beyond it.
pub const MAX_ACL_ENTRIES: usize = 100;

/// One access-control entry of a folder (RFC 4314 §2): who it grants and the rights letters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AclEntry {
    /// The user granted, or `None` for `anyone` of the owner's domain.
    pub grantee: Option<UserId>,
    /// The grantee's local part, or `anyone`.
    pub name: String,
    /// The rights letters, as stored (canonical RFC 4314 letters).
    pub rights: String,
}

/// A folder another user shares with a user ([`crate::AclStore::shared_with`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedFolder {
    /// The owner's local part (owner and grantee share a domain).
    pub owner_local: String,
    pub folder: Folder,
    /// The rights the user holds: those granted to the user and to `anyone`, together.
    pub rights: String,
}

/// The learned counts of one token of the Bayesian classifier (FILTER-2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BayesCount {
    /// The token's 64-bit hash.
    pub hash: i64,
    /// Learned spam messages that had the token.
    pub spam: u64,
    /// Learned ham messages that had the token.
    pub ham: u64,
}

/// The size of the Bayesian classifier's database.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BayesTotals {
    /// Messages learned as spam (and not relearned as ham since).
    pub spam: u64,
    /// Messages learned as ham.
    pub ham: u64,
    /// Tokens kept.
    pub tokens: u64,
}

/// What learning one message did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BayesLearned {
    /// A message not learned before: its tokens were counted in its class.
    New,
    /// A message learned before in the other class: its counts moved to this one.
    Moved,
    /// Already learned in this class: nothing changed.
    Known,
}

/// Greylisting's periods (SEC-3), in seconds: an unknown triplet is deferred for `block`, must
/// be retried within `pass` of its first attempt, and once passed passes for `keep` after its
/// last pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GreylistTimes {
    pub block: i64,
    pub pass: i64,
    pub keep: i64,
}

/// A greylisted triplet as kept: its first attempt, whether it passed, and when the record
/// may go (Unix seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GreylistRecord {
    pub first_seen: i64,
    pub passed: bool,
    pub expires: i64,
}

/// What greylisting says of one attempt (SEC-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GreylistVerdict {
    /// First seen (or seen again too late): deferred, the block period starts.
    New,
    /// Retried within the block period: deferred.
    Early,
    /// Retried after the block period, within the pass window: passes from now on.
    Passed,
    /// Passed before and within the record's lifetime: passes.
    Known,
}

impl GreylistVerdict {
    /// Whether the attempt is accepted.
    pub fn passes(self) -> bool {
        matches!(self, Self::Passed | Self::Known)
    }

    /// The rule's name for the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new triplet",
            Self::Early => "retried within the block period",
            Self::Passed => "retried after the block period",
            Self::Known => "passed before",
        }
    }
}

/// Id of a POP-retrieval account.
pub type PopAccountId = i64;

/// How a POP-retrieval connection is secured (ACCESS-4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PopTls {
    /// Plain text (only sensible towards a trusted network).
    None,
    /// Plain connection upgraded with STLS (RFC 2595) before the login.
    #[default]
    Starttls,
    /// TLS from the first byte (POP3S, usually port 995).
    Tls,
}

impl PopTls {
    /// The stored name: `none`, `starttls` or `tls`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Starttls => "starttls",
            Self::Tls => "tls",
        }
    }

    /// The mode of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Some(Self::None),
            "starttls" | "stls" => Some(Self::Starttls),
            "tls" | "ssl" => Some(Self::Tls),
            _ => None,
        }
    }
}

/// A user's external POP3 account fetched into its mailbox (ACCESS-4). The password is kept
/// encrypted (`password` holds the sealed bytes; the store never sees it in clear).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PopAccount {
    /// 0 for an account not stored yet.
    pub id: PopAccountId,
    pub user_id: UserId,
    pub host: String,
    pub port: u16,
    pub tls: PopTls,
    /// Whether the server's certificate is verified (off only for test or private servers).
    pub verify_tls: bool,
    pub login: String,
    /// The sealed password (nonce and ciphertext).
    pub password: Vec<u8>,
    /// Keep fetched messages on the remote server (no DELE).
    pub leave_on_server: bool,
    /// The folder messages are delivered to.
    pub folder: String,
    pub enabled: bool,
    /// When the last run ended (Unix seconds; 0: never).
    pub last_run: i64,
    /// What went wrong on the last run (empty when it succeeded).
    pub last_error: String,
}
