//! The directory's records: domains with their limits and overrides, users, aliases, mailing
//! lists, the system administrator account, DKIM keys, and the server-wide totals.
//!
//! Invariants: domain names and local parts are lower-case; credentials are kept in their
//! storage form, never in plaintext.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{DomainId, UserId};

/// Server-wide counts for the dashboard.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub domains: u64,
    pub users: u64,
    /// Messages in all mailboxes (a message delivered to three mailboxes counts three times).
    pub messages: u64,
    /// Bytes used by all mailboxes, as counted against quotas.
    pub bytes: u64,
}

/// Per-domain limits (DOM-4). `0` means unlimited everywhere.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainLimits {
    /// Disk space for all mailboxes of the domain, in MB.
    pub disk_mb: u64,
    /// Number of domain aliases.
    pub domain_aliases: u32,
    /// Number of users.
    pub users: u32,
    /// Number of user aliases.
    pub user_aliases: u32,
    /// Number of mailing lists.
    pub mailing_lists: u32,
    /// POP-retrieval accounts per user.
    pub pop_retrieval_accounts: u32,
    /// Largest message a user of the domain may send, in KB.
    pub max_message_kb: u64,
    /// Recipients per message.
    pub recipients_per_message: u32,
    /// Messages the domain's users may send per hour together (DOM-7; 0 = unlimited);
    /// `None`: the server's `throttle.messages_per_hour`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages_per_hour: Option<u64>,
    /// MB the domain's users may send per hour together (DOM-7; 0 = unlimited); `None`: the
    /// server's `throttle.mb_per_hour`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mb_per_hour: Option<u64>,
    /// Bounces the domain may receive per hour (DOM-7; 0 = unlimited); `None`: the server's
    /// `throttle.bounces_per_hour`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounces_per_hour: Option<u64>,
}

impl Default for DomainLimits {
    /// The defaults of DOM-4.
    fn default() -> Self {
        Self {
            disk_mb: 500,
            domain_aliases: 2,
            users: 100,
            user_aliases: 1000,
            mailing_lists: 0,
            pop_retrieval_accounts: 10,
            max_message_kb: 10_000,
            recipients_per_message: 200,
            messages_per_hour: None,
            mb_per_hour: None,
            bounces_per_hour: None,
        }
    }
}

/// A user's own sending throttles (DOM-7; 0 = unlimited); `None`: the server's
/// `throttle.user_*` setting applies.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserThrottle {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages_per_hour: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mb_per_hour: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounces_per_hour: Option<u64>,
}

/// A hosted domain (DOM-1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    pub id: DomainId,
    /// Lower-case domain name.
    pub name: String,
    /// A disabled domain neither sends nor receives; its users cannot log in.
    pub disabled: bool,
    pub limits: DomainLimits,
    /// Local part or address that receives mail for unknown recipients, if any (DOM-10).
    pub catch_all: Option<String>,
    /// Users must authenticate to send (DOM-2).
    pub require_smtp_auth: bool,
    /// IP address the domain is bound to (BIND-4), if any.
    pub bind_ip: Option<String>,
    /// DOM-2: an alternate SMTP port the domain's users (and other servers) may use besides
    /// the standard one, on the domain's IP or every SMTP address; `None` for none.
    pub smtp_alt_port: Option<u16>,
    /// Unix seconds.
    pub created_at: i64,
    /// The domain's own spam-filter settings (FILTER-3, DOM-3).
    pub filter: FilterOverrides,
    /// Mail to the domain is greylisted when greylisting is on (SEC-3, DOM-2); default true.
    pub greylisting: bool,
    /// The domain's own archiving rule (OPS-5); `None` follows `archive.rule`.
    pub archive_rule: Option<crate::archive::ArchiveRule>,
    /// The domain's own folder auto-clean rules (OPS-6), in the `autoclean.rules` syntax;
    /// empty: none. They apply when the server lets domains override (see
    /// `heron_settings::autoclean::effective`).
    pub autoclean_rules: String,
    /// Whether the domain's users may override its auto-clean rules with their own (OPS-6);
    /// default true.
    pub autoclean_user_override: bool,
    /// The domain's POP-retrieval switch (DOM-3, ACCESS-4): off, its users' POP-retrieval
    /// accounts are neither fetched nor added; default true.
    pub pop_retrieval: bool,
}

/// Spam-filter settings a domain or a user sets for itself (FILTER-3) and the domain's
/// content-filtering switch (DOM-3): names of `filter.` settings without the prefix
/// (`level_medium`, `action_high`, `text_low`, `enabled`) to values in the settings' text
/// form. Which names are allowed, and whether they apply, is the filter's business; the
/// store keeps them as given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FilterOverrides(pub BTreeMap<String, String>);

/// Fields needed to create a domain.
#[derive(Clone, Debug, Default)]
pub struct NewDomain {
    pub name: String,
    pub limits: DomainLimits,
}

/// Role of an account (DOM-13). The system administrator is an [`Admin`], not a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    User,
    DomainAdmin,
}

impl Role {
    /// Stable text form used in the database and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::DomainAdmin => "domain-admin",
        }
    }
    /// Inverse of [`Role::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(Role::User),
            "domain-admin" => Some(Role::DomainAdmin),
            _ => None,
        }
    }
}

/// A mailbox owner (DOM-9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub domain_id: DomainId,
    /// Lower-case local part.
    pub local: String,
    /// Stored credentials in their storage form (never plaintext).
    pub credentials: String,
    pub display_name: String,
    /// Mailbox quota in bytes; 0 = only the domain's limit applies.
    pub quota_bytes: u64,
    /// Bytes currently used by the user's messages.
    pub used_bytes: u64,
    pub disabled: bool,
    pub role: Role,
    /// Addresses mail is forwarded to, if any.
    pub forward_to: Vec<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last successful login, if any.
    pub last_login: Option<i64>,
    /// The user's own spam-filter settings (FILTER-3).
    pub filter: FilterOverrides,
    /// Mail to the user is greylisted when greylisting is on and the server lets users turn
    /// it off (SEC-3); default true.
    pub greylisting: bool,
    /// The user's own folder auto-clean rules (OPS-6), in the `autoclean.rules` syntax;
    /// empty: none. They apply when the server and the domain let users override.
    pub autoclean_rules: String,
}

impl User {
    /// Whether this row is the hidden owner of its domain's public folders
    /// ([`crate::rules::public`]), not a user.
    pub fn is_public_owner(&self) -> bool {
        self.local == crate::rules::public::PUBLIC_OWNER
    }
}

/// Fields needed to create a user.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub domain_id: DomainId,
    pub local: String,
    pub credentials: String,
    pub display_name: String,
    pub role: Role,
    pub quota_bytes: u64,
}

/// An alias: one address delivering to one or more targets (DOM-10).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    pub id: i64,
    pub domain_id: DomainId,
    pub local: String,
    /// Full addresses or local parts of the same domain.
    pub targets: Vec<String>,
}

/// A mailing list record (DOM-11); behaviour comes later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailingList {
    pub id: i64,
    pub domain_id: DomainId,
    pub local: String,
    pub members: Vec<String>,
    pub moderated: bool,
}

/// The system administrator account of the admin UI (DOM-13).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admin {
    pub username: String,
    pub credentials: String,
    /// True until the first password change (admin/admin must be changed at first login).
    pub must_change_password: bool,
}

/// A domain's DKIM signing key (FILTER-7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimRecord {
    /// Lower-case domain name the key signs for (`d=`).
    pub domain: String,
    pub selector: String,
    /// `rsa` or `ed25519`.
    pub algorithm: String,
    /// The private key in its text form (PEM).
    pub private_key: String,
    /// Unix seconds.
    pub created_at: i64,
}
