//! The one error type of the crate.
//!
//! Every variant names the path it concerns, and its message is a sentence a
//! user can act on without knowing the crate's internals.

use std::path::PathBuf;

use crate::check::NotMail;

/// Why a source could not be opened or a message could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// No source path was given.
    #[error("no source path given: expected a Maildir, an mbox file or a message file")]
    EmptyPath,
    /// The path does not exist.
    #[error("{}: no such file or directory", .0.display())]
    NotFound(PathBuf),
    /// Reading the path failed.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file or directory being read.
        path: PathBuf,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },
    /// The path exists but is not something this crate can import.
    #[error("{} is not a mail source: {reason}", path.display())]
    NotASource {
        /// The rejected path.
        path: PathBuf,
        /// What was found and what was expected instead.
        reason: String,
    },
    /// A file, or one message of an mbox file, is not a mail message; nothing of it is
    /// imported. Reading carries on with the next message or file.
    #[error("{}{}: not a mail message: {reason}", path.display(), Position(*message))]
    NotMail {
        /// The file.
        path: PathBuf,
        /// For an mbox file, the message's position in it, from 1.
        message: Option<usize>,
        /// What is wrong with it.
        reason: NotMail,
    },
}

/// Formats an mbox message position as `, message N` (nothing for a whole file).
struct Position(Option<usize>);

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(n) => write!(f, ", message {n}"),
            None => Ok(()),
        }
    }
}

impl ImportError {
    /// Wraps an I/O error, mapping "not found" to [`ImportError::NotFound`].
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if source.kind() == std::io::ErrorKind::NotFound {
            Self::NotFound(path)
        } else {
            Self::Io { path, source }
        }
    }
}
