//! Plain records the store keeps. No behaviour beyond small helpers: the rules that govern
//! them (limits, policies, address resolution) live in the `directory` crate.
//!
//! Invariants: names (domain names, local parts) are stored lower-case; ids are assigned by the
//! store and never reused within one database.
//!
//! The records are grouped by area, one file each: `directory` (domains, users, aliases, lists,
//! the admin account, DKIM keys), `mail` (the bytes of a message, folders, messages, flags,
//! metadata, access control), `spool` (the outbound queue), `server` (nodes, admin sessions,
//! API tokens), `filter` (the Bayesian classifier, greylisting) and `pop_retrieval`. Every
//! record is re-exported here, so callers name it `crate::model::X` (or `heron_store::X`)
//! whichever file holds it.

mod directory;
mod filter;
mod mail;
mod pop_retrieval;
mod server;
mod spool;

pub use directory::*;
pub use filter::*;
pub use mail::*;
pub use pop_retrieval::*;
pub use server::*;
pub use spool::*;

/// Row id of a domain.
pub type DomainId = i64;

/// Row id of a user.
pub type UserId = i64;

/// Row id of a folder.
pub type FolderId = i64;

/// Identifier of a message's bytes in the blob store.
pub type BlobId = String;
