//! The metadata store interface. Every backend (SQLite now, PostgreSQL later) implements
//! [`Store`]; callers hold an `Arc<dyn Store>` and never see the backend.
//!
//! Durability: when a write method returns `Ok`, the change is on disk (the backend commits
//! and syncs before replying; concurrent writes share one commit). Message bytes are written
//! to the [`BlobStore`](crate::blob::BlobStore) first, so a committed record never names
//! missing bytes.
//!
//! [`Store`] is made of one trait per area; the traits are grouped in files by area:
//! `directory` ([`DirectoryStore`]), `mail` ([`MailStore`], [`AclStore`]), `spool`
//! ([`SpoolStore`], [`ArchiveStore`]), `server` ([`SettingsStore`], [`TokenStore`],
//! [`SecretStore`], [`NodeStore`], [`AdminSessionStore`]), `filter` ([`BayesStore`],
//! [`GreylistStore`], [`ThrottleStore`], [`LimitStore`]), `reports` ([`StatsStore`],
//! [`DmarcStore`], [`TlsRptStore`]) and `pop_retrieval` ([`PopRetrievalStore`]). All are
//! re-exported here, so callers name them `crate::traits::X` whichever file holds them.

use async_trait::async_trait;

use crate::events::Subscription;

mod directory;
mod filter;
mod mail;
mod pop_retrieval;
mod reports;
mod server;
mod spool;

pub use directory::DirectoryStore;
pub use filter::{BayesStore, GreylistStore, LimitStore, ThrottleStore};
pub use mail::{AclStore, MailStore};
pub use pop_retrieval::PopRetrievalStore;
pub use reports::{DmarcStore, StatsStore, TlsRptStore};
pub use server::{AdminSessionStore, NodeStore, SecretStore, SettingsStore, TokenStore};
pub use spool::{ArchiveStore, SpoolStore};

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

    /// A count of directory changes that grows with every change to domains, users, aliases
    /// or DKIM keys, so callers may keep directory records while it stays the same.
    /// PostgreSQL counts the changes published in this process
    /// ([`crate::EventBus::directory_generation`]), other nodes' arriving by notification;
    /// SQLite reads a stamp every process bumps in the committing transaction. `None`: no
    /// such count, read the store every time.
    fn directory_generation(&self) -> Option<u64> {
        None
    }
}
