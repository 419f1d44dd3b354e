//! Heron's storage: metadata ([`Store`]) and message bytes ([`BlobStore`]).
//!
//! Callers hold an `Arc<dyn Store>` and never name a backend. The traits, the records
//! ([`model`]), the backend-neutral [`rules`] and the test [`suite`] compile without any
//! backend; each backend sits behind its own cargo feature. The embedded backend is
//! `SqliteStore` (feature `sqlite`, on by default: SQLite + files in the data directory); the
//! shared one `PgStore` (feature `postgres`: metadata and message bytes in PostgreSQL, for
//! several nodes).
//! Every backend applies the same [`rules`] and passes the backend-neutral suite in [`suite`].
//!
//! Durability rule: a write call that returns `Ok` has its bytes and records on disk.

pub mod archive;
pub mod blob;
pub mod bodycache;
pub mod changelog;
#[cfg(all(feature = "sqlite", feature = "postgres"))]
pub mod copy;
pub(crate) mod countcache;
pub mod dmarc;
pub mod error;
pub mod events;
pub mod heartbeat;
pub mod held;
pub mod model;
pub mod orphans;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod rules;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod stats;
pub mod suite;
pub mod textindex;
pub mod tlsrpt;
pub mod traits;

pub use blob::{BlobStore, FileBlobStore};
pub use dmarc::{DmarcCollected, DmarcReport, DmarcReportRow};
pub use error::{Result, StoreError};
pub use events::{Event, EventBus, Subscription};
pub use model::*;
pub use orphans::{ORPHAN_MIN_AGE, ORPHAN_SWEEP_EVERY};
#[cfg(feature = "postgres")]
pub use postgres::PgStore;
pub use rules::public::PUBLIC_OWNER;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
pub use tlsrpt::TlsRptResult;
pub use traits::{
    AclStore, AdminSessionStore, ArchiveStore, BayesStore, DirectoryStore, DmarcStore,
    GreylistStore, LimitStore, MailStore, NodeStore, PopRetrievalStore, SecretStore, SettingsStore,
    SpoolStore, StatsStore, Store, ThrottleStore, TlsRptStore, TokenStore,
};
