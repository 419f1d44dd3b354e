//! The store's error type. Callers tell "the thing you asked about is not there or already
//! exists" (user errors) from "the store itself failed" (internal errors).

/// Failure of a store call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named record does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// A record with the same unique key exists.
    #[error("{0} already exists")]
    Conflict(String),
    /// The database failed.
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

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(f, _) = &e
            && f.code == rusqlite::ErrorCode::ConstraintViolation
        {
            return StoreError::Conflict(e.to_string());
        }
        StoreError::Db(e.to_string())
    }
}

/// Result alias for store calls.
pub type Result<T> = std::result::Result<T, StoreError>;
