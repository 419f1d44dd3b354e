//! What can go wrong fetching a POP-retrieval account. The text of each variant is what the
//! account's `last_error` and the POP-retrieval log show: never a password.

/// A failed POP-retrieval run (or part of one).
#[derive(Debug, thiserror::Error)]
pub enum RetrievalError {
    /// Connecting, reading or writing failed.
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
    /// The server did not answer within the deadline.
    #[error("timed out {0}")]
    Timeout(&'static str),
    /// The server closed the connection.
    #[error("connection closed by the server")]
    Closed,
    /// The server said something that is not POP3.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The server answered `-ERR` to a command.
    #[error("{cmd} refused: {text}")]
    Refused { cmd: &'static str, text: String },
    /// TLS could not be set up.
    #[error("TLS: {0}")]
    Tls(String),
    /// The account's password cannot be unsealed (or sealed).
    #[error("password: {0}")]
    Seal(&'static str),
    /// The local store failed.
    #[error("store: {0}")]
    Store(#[from] heron_store::StoreError),
    /// The user's mailbox (or its domain) has no room for the next message.
    #[error("mailbox full: the rest stays on the remote server")]
    Full,
    /// A limit refuses the change (DOM-4).
    #[error("{0}")]
    Limit(String),
    /// POP retrieval is off for the user's domain (DOM-3).
    #[error("{0}")]
    Off(String),
    /// No such account (of that user).
    #[error("{0}")]
    NotFound(String),
    /// The account is not usable (bad host, missing folder, ...).
    #[error("{0}")]
    Invalid(String),
}
