//! PostgreSQL's errors as store errors, and the backend's own failure type inside a
//! transaction.
//!
//! Invariants: an integrity-constraint violation (SQLSTATE class 23: unique, foreign key,
//! check) is a [`StoreError::Conflict`], as on SQLite; every other database failure is a
//! [`StoreError::Db`]. Inside a write transaction failures stay [`Fail`] so that a deadlock or
//! serialization failure can be told apart and the transaction run again; they become
//! `StoreError`s only when they leave the backend.

use tokio_postgres::error::SqlState;

use crate::error::StoreError;

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) if db.code().code().starts_with("23") => {
                StoreError::Conflict(db.message().to_owned())
            }
            Some(db) => StoreError::Db(format!("{}: {}", db.code().code(), db.message())),
            None => StoreError::Db(with_causes(&e)),
        }
    }
}

/// An error's text followed by its causes' (a failed connect says only "error connecting to
/// server"; its cause says why: refused, timed out, no such host...).
fn with_causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        StoreError::Db(format!("no database connection: {e}"))
    }
}

/// Why a transaction's work failed: the database (possibly worth another try) or a rule of
/// the store (never retried).
#[derive(Debug)]
pub(crate) enum Fail {
    Pg(tokio_postgres::Error),
    Store(StoreError),
}

impl Fail {
    /// Whether running the whole transaction again may succeed: PostgreSQL chose it as the
    /// victim of a deadlock or of a serialization conflict.
    pub(crate) fn retryable(&self) -> bool {
        let Fail::Pg(e) = self else { return false };
        e.code().is_some_and(|c| {
            *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE
        })
    }
}

impl From<tokio_postgres::Error> for Fail {
    fn from(e: tokio_postgres::Error) -> Self {
        Fail::Pg(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

impl From<Fail> for StoreError {
    fn from(f: Fail) -> Self {
        match f {
            Fail::Pg(e) => e.into(),
            Fail::Store(e) => e,
        }
    }
}

/// A missing record, as a transaction failure.
pub(crate) fn not_found(what: String) -> Fail {
    Fail::Store(StoreError::NotFound(what))
}

/// What the work inside a write transaction returns.
pub(crate) type TxResult<T> = std::result::Result<T, Fail>;
