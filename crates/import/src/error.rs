//! The one error type of the crate.
//!
//! Every variant names the path it concerns, and its message is a sentence a
//! user can act on without knowing the crate's internals.

use std::path::PathBuf;

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
