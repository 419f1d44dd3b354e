//! Mailbox records: the bytes of a message as handed to the store, folders, message metadata,
//! flag changes, what changed in a folder, metadata entries (RFC 5464) and access-control
//! entries (RFC 4314).
//!
//! Invariants: a folder's UIDs strictly increase and are never reused (`uidnext`); flag lists
//! keep insertion order without duplicates; a message's `prefix` is whole header lines.

use serde::{Deserialize, Serialize};

use super::{BlobId, FolderId, UserId};

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

/// What changed in a folder after some modseq (for refreshing a session's view cheaply).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FolderChanges {
    /// The folder's HIGHESTMODSEQ when read; the next call asks from here.
    pub highestmodseq: u64,
    /// Messages added or changed after the modseq asked for, in UID order (shared: many
    /// sessions catching up on one folder read the same entries).
    pub changed: Vec<std::sync::Arc<MessageMeta>>,
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
