//! The crate's error type: failures that end a command with a generic reply (store and
//! directory errors, logged with context) or end the session (the connection broke).

use heron_directory::{AuthError, DirectoryError};
use heron_store::StoreError;

/// A failure inside a command.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// The store failed; the command gets `NO [UNAVAILABLE]` and the session goes on.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The directory failed.
    #[error("directory: {0}")]
    Directory(#[from] DirectoryError),
    /// Writing to or reading from the client failed; the session ends.
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    /// The client went away or stayed silent too long.
    #[error("connection closed")]
    Closed,
    /// Long work inside a command was stopped by its watch (time budget, session end,
    /// hang-up); the command answers it itself.
    #[error("stopped: {0:?}")]
    Stopped(heron_net::watch::Stopped),
}

impl From<heron_net::watch::Stopped> for ImapError {
    fn from(why: heron_net::watch::Stopped) -> Self {
        ImapError::Stopped(why)
    }
}

impl From<AuthError> for ImapError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Internal(d) => ImapError::Directory(d),
            AuthError::Failed(why) => ImapError::Directory(DirectoryError::Invalid(why.into())),
        }
    }
}

/// Result alias for commands.
pub type Result<T> = std::result::Result<T, ImapError>;
