//! Records of POP retrieval (ACCESS-4): users' external POP3 accounts and how their
//! connections are secured.
//!
//! Invariant: an account's password is kept sealed; the store never sees it in clear.

use serde::{Deserialize, Serialize};

use super::UserId;

/// Id of a POP-retrieval account.
pub type PopAccountId = i64;

/// How a POP-retrieval connection is secured (ACCESS-4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PopTls {
    /// Plain text (only sensible towards a trusted network).
    None,
    /// Plain connection upgraded with STLS (RFC 2595) before the login.
    #[default]
    Starttls,
    /// TLS from the first byte (POP3S, usually port 995).
    Tls,
}

impl PopTls {
    /// The stored name: `none`, `starttls` or `tls`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Starttls => "starttls",
            Self::Tls => "tls",
        }
    }

    /// The mode of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Some(Self::None),
            "starttls" | "stls" => Some(Self::Starttls),
            "tls" | "ssl" => Some(Self::Tls),
            _ => None,
        }
    }
}

/// A user's external POP3 account fetched into its mailbox (ACCESS-4). The password is kept
/// encrypted (`password` holds the sealed bytes; the store never sees it in clear).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PopAccount {
    /// 0 for an account not stored yet.
    pub id: PopAccountId,
    pub user_id: UserId,
    pub host: String,
    pub port: u16,
    pub tls: PopTls,
    /// Whether the server's certificate is verified (off only for test or private servers).
    pub verify_tls: bool,
    pub login: String,
    /// The sealed password (nonce and ciphertext).
    pub password: Vec<u8>,
    /// Keep fetched messages on the remote server (no DELE).
    pub leave_on_server: bool,
    /// The folder messages are delivered to.
    pub folder: String,
    pub enabled: bool,
    /// When the last run ended (Unix seconds; 0: never).
    pub last_run: i64,
    /// What went wrong on the last run (empty when it succeeded).
    pub last_error: String,
}
