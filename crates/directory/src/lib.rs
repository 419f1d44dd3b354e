//! Domains, users, aliases and their rules: DOM-1 domains, DOM-4 limits, DOM-9 users,
//! DOM-10 aliases / catch-alls / domain aliases, DOM-5 public folders, DOM-12 domain defaults, DOM-13 roles, SEC-9 password policy, and the
//! SASL mechanisms every protocol shares.
//!
//! [`Directory`] is the one place that enforces the rules; the store below only keeps records.
//! Passwords never leave this crate except as [`password::StoredCredentials`] (argon2id,
//! SCRAM keys, and optionally CRAM-MD5 contexts).

pub mod address;
mod admin;
mod auth;
pub mod autoclean;
pub mod blocks;
mod defaults;
mod domain_cache;
mod domains;
pub mod hashing;
mod login_cache;
pub mod password;
pub mod policy;
mod postmaster;
pub mod public;
mod resolve;
pub mod sasl;
mod secrets;
mod users;

use std::sync::Arc;

use heron_settings::Settings;
use heron_store::{Store, StoreError};

pub use address::Address;
pub use auth::AuthError;
pub use defaults::DefaultField;
pub use domains::{DomainChange, check_bind_ip};
pub use postmaster::POSTMASTER;
pub use public::PublicFolder;
pub use resolve::{Resolution, SubFolders, split_subaddress};

/// The default folders of a new mailbox and their RFC 6154 attributes (DOM-9).
pub const DEFAULT_FOLDERS: &[(&str, Option<&str>)] = &[
    ("INBOX", None),
    ("Sent Items", Some("\\Sent")),
    ("Drafts", Some("\\Drafts")),
    ("Deleted Items", Some("\\Trash")),
    ("Junk E-Mail", Some("\\Junk")),
];

/// A directory operation that could not be done.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// Bad input: the message says what and how to fix it.
    #[error("{0}")]
    Invalid(String),
    #[error("{0} does not exist")]
    NotFound(String),
    #[error("{0} already exists")]
    Exists(String),
    /// A DOM-4 limit would be exceeded.
    #[error("limit reached: {0}")]
    Limit(String),
    /// The password breaks the policy; each rule broken is listed.
    #[error("password rejected: {}", .0.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("; "))]
    Policy(Vec<policy::PolicyViolation>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Result alias for directory operations.
pub type Result<T> = std::result::Result<T, DirectoryError>;

/// Domains, accounts and authentication over a store.
#[derive(Clone)]
pub struct Directory {
    store: Arc<dyn Store>,
    settings: Arc<Settings>,
    /// Read from the store on first use (`secrets.rs`).
    unknown_user_key: Arc<tokio::sync::OnceCell<sasl::UnknownUserKey>>,
    /// Domains looked up, when the store's reads are remote (`domains.rs`).
    domains: Arc<domain_cache::DomainCache>,
    /// Passwords verified at recent logins, so repeated logins skip argon2 (`auth.rs`).
    logins: Arc<login_cache::LoginCache>,
}

impl Directory {
    /// A directory over `store`, reading policies from `settings`.
    pub fn new(store: Arc<dyn Store>, settings: Arc<Settings>) -> Self {
        Self {
            store,
            settings,
            unknown_user_key: Arc::default(),
            domains: Arc::default(),
            logins: Arc::default(),
        }
    }

    /// The underlying store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The settings in force.
    pub fn settings(&self) -> &Arc<Settings> {
        &self.settings
    }
}

/// Map a store conflict on create to a friendly "already exists".
fn exists_or(e: StoreError, what: &str) -> DirectoryError {
    match e {
        StoreError::Conflict(_) => DirectoryError::Exists(what.to_owned()),
        e => DirectoryError::Store(e),
    }
}
