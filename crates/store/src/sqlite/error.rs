//! SQLite's errors as store errors: this backend converts its own failures, so the store's
//! error type names no database library.
//!
//! Invariant: a unique or other constraint violation is a [`StoreError::Conflict`] (a user
//! error: the record exists); every other SQLite failure is a [`StoreError::Db`].

use crate::error::StoreError;

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
