//! Certificates from an ACME certificate authority (RFC 8555), such as Let's Encrypt: the
//! account, orders answered by HTTP-01 or TLS-ALPN-01 (RFC 8737) challenges, the issued
//! certificate kept in the data directory ([`files`]) and renewed before it expires
//! ([`manager`]), and handed to every TLS listener without a restart.
//!
//! The settings are `acme.*` ([`config`]). Each node obtains and keeps its own certificate:
//! nodes sharing a PostgreSQL store do not share certificates (each needs its names to reach
//! it, or a name of its own).
#![forbid(unsafe_code)]

pub mod certinfo;
pub mod config;
pub mod files;
pub mod manager;
pub mod order;

use std::path::Path;

pub use config::{AcmeConfig, Challenge};
pub use files::AcmeFiles;
pub use manager::{HostedDomains, start};

/// What went wrong obtaining a certificate.
#[derive(Debug, thiserror::Error)]
pub enum AcmeError {
    /// The ACME protocol or the authority's HTTPS connection failed.
    #[error("{0}")]
    Protocol(#[from] instant_acme::Error),
    /// The authority refused or did not validate.
    #[error("{0}")]
    Refused(String),
    /// A challenge could not be answered.
    #[error("{0}")]
    Challenge(#[from] heron_net::NetError),
    /// A file under `DATA/tls/acme/` could not be read or written.
    #[error("{path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A stored file does not hold what it should.
    #[error("{0}")]
    Stored(String),
}

impl AcmeError {
    fn file(path: &Path, source: std::io::Error) -> Self {
        AcmeError::File {
            path: path.display().to_string(),
            source,
        }
    }
}
