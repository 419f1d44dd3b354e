//! Mailboxes: folders, messages, flags, subscriptions, metadata (RFC 5464), the search index,
//! and the access-control lists that share folders (RFC 4314).
//!
//! Invariant (quota): a user's `used_bytes` is kept equal to what their folders and messages
//! count, in the same transaction as every change to them.

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::{Result, StoreError};
use crate::model::{
    AclEntry, DomainId, FlagOp, FlagUpdate, Folder, FolderChanges, FolderCounts, FolderFlags,
    FolderId, MessageBytes, MessageMeta, MetadataChange, MetadataWrite, NewMessage, SharedFolder,
    TextPart, UserId,
};

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
    /// Shared bytes: a message kept in memory ([`crate::bodycache`]) is not copied.
    async fn read_messages(&self, ms: &[MessageMeta]) -> Result<Vec<Option<Arc<[u8]>>>> {
        let mut out = Vec::with_capacity(ms.len());
        for m in ms {
            match self.read_message(m).await {
                Ok(b) => out.push(Some(Arc::from(b))),
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
    /// [`Self::folder_counts`] of a folder just read (its HIGHESTMODSEQ, `\Recent` mark and
    /// UIDNEXT as read): counts at least as new as that read. A backend that keeps counts by
    /// those values answers from them without asking the database whether they moved.
    async fn folder_counts_of(&self, folder: &Folder) -> Result<FolderCounts> {
        self.folder_counts(folder.id).await
    }
    /// Claim a folder's `\Recent` messages for one IMAP session: returns `(a, b)`, the
    /// messages with UIDs `a+1..=b` are recent in that session alone, and the next claim
    /// starts after `b` (RFC 3501 §2.3.2). `a == b` when there was nothing new. `seen` is
    /// the highest UID the session knows of: when every UID up to it is known to be claimed
    /// already, the store may answer `a == b` without looking further (newer messages are
    /// claimed when a session sees them).
    async fn claim_recent(&self, folder: FolderId, seen: u32) -> Result<(u32, u32)>;
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
