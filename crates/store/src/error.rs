//! The store's error type. Callers tell "the thing you asked about is not there or already
//! exists" (user errors) from "the store itself failed" (internal errors).
//!
//! Invariant: the type names no backend; each backend converts its own failures into it (a
//! uniqueness violation becomes [`StoreError::Conflict`], any other database failure
//! [`StoreError::Db`] with the database's message).

/// Failure of a store call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named record does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// A record with the same unique key exists.
    #[error("{0} already exists")]
    Conflict(String),
    /// The database failed (the backend's message).
    #[error("database error: {0}")]
    Db(String),
    /// Reading or writing a file failed.
    #[error("i/o error on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The store is closing or its writer stopped.
    #[error("store is shut down")]
    Closed,
    /// A stored value could not be decoded.
    #[error("corrupt record: {0}")]
    Corrupt(String),
}

/// Result alias for store calls.
pub type Result<T> = std::result::Result<T, StoreError>;
