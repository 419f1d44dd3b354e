//! Backend-neutral rules: what a stored record must look like and how an operation changes
//! it, apart from how a backend keeps records. Every backend (SQLite and PostgreSQL) calls
//! these, so the backends cannot drift apart on them. `nodes`, `sessions` and `limits` also
//! hold the SQL text both backends run for them (plain SQL both accept; `?N` becomes `$N`).
//!
//! Invariant: nothing here does I/O or reads a clock other than [`now`]; the same inputs
//! always give the same answer, except for fresh ids, which are random.

pub mod acl;
pub mod bayes;
pub mod blob_id;
pub mod dmarc;
pub mod flags;
pub mod folders;
pub mod greylist;
pub mod head;
pub mod json;
pub mod limits;
pub mod metadata;
pub mod names;
pub mod nodes;
pub mod pop_retrieval;
pub mod public;
pub mod quota;
pub mod search;
pub mod sessions;
pub mod spool;
pub mod stats;
pub mod throttle;
pub mod tlsrpt;

/// The store's clock: the current Unix time in seconds, for creation times, default
/// INTERNALDATEs and UIDVALIDITY values.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
