//! The crate's error: why a check that talks to a daemon or a program got no answer. A check
//! never passes it on: it becomes the "why" of [`Verdict::unanswered`](crate::Verdict).

/// Why an external scanner gave no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Connecting, writing or reading failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The daemon or program took longer than its timeout.
    #[error("timed out")]
    Timeout,
    /// The answer does not follow the protocol.
    #[error("bad answer: {0}")]
    Protocol(String),
    /// The daemon answered that it could not do the work.
    #[error("{0}")]
    Refused(String),
}
