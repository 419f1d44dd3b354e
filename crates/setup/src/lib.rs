//! Client setup and DNS (BIND-4, client configuration): what mail clients and DNS need to know
//! about this server, computed from the settings in force, never typed in twice.
//!
//! - [`endpoints`]: the client-facing servers (IMAP, POP3, submission) of a domain, with ports
//!   and TLS modes taken from `bind.listeners`, and the host name clients should use.
//! - [`autoconfig`], [`autodiscover`], [`mobileconfig`]: the Thunderbird, Outlook and Apple
//!   configuration documents built from those endpoints.
//! - [`records`]: every DNS record a hosted domain should publish; [`check`] looks each up
//!   through the configured resolver (`dns.servers`) and says whether it is there.
//!
//! Invariants: every document is built from escaped text only (no value reaches XML or a
//! property list unescaped); nothing here writes to the store.
#![forbid(unsafe_code)]

pub mod autoconfig;
pub mod autodiscover;
pub mod check;
pub mod endpoints;
pub mod mobileconfig;
pub mod records;
pub mod report;
mod xml;

/// What can go wrong while computing setup data.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The certificate in use could not be read or parsed.
    #[error("certificate {path}: {why}")]
    Certificate { path: String, why: String },
    /// The DKIM key in the store could not be used.
    #[error("DKIM key of {domain}: {why}")]
    Dkim { domain: String, why: String },
    /// The resolver could not be built.
    #[error("DNS: {0}")]
    Dns(String),
}
