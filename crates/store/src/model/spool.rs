//! The outbound spool's records: entries, their recipients with delivery state, the outcome
//! of an attempt and an administrator's change.
//!
//! Invariant: a recipient's `status` is one of [`SPOOL_PENDING`], [`SPOOL_DELIVERED`] and
//! [`SPOOL_FAILED`]; an entry stays while one recipient is pending.

use serde::{Deserialize, Serialize};

use super::BlobId;

/// One recipient of a spooled message, with its delivery state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpoolRecipient {
    pub address: String,
    /// RFC 3461 NOTIFY and ORCPT parameters as received, if any.
    pub notify: Option<String>,
    pub orcpt: Option<String>,
    /// `pending`, `delivered`, `failed`.
    pub status: String,
    /// Last reply or error seen for this recipient.
    pub last_reply: Option<String>,
    /// Host name of the server that gave `last_reply`, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    /// Attempts that failed because the domain does not exist in DNS.
    #[serde(default)]
    pub dns_failures: u32,
    /// A "delayed" notification was sent (RFC 3461 NOTIFY=DELAY), so it is not sent again.
    #[serde(default)]
    pub delay_notified: bool,
}

impl SpoolRecipient {
    /// A recipient waiting for its first attempt.
    pub fn pending(address: impl Into<String>) -> Self {
        Self {
            address: address.into(),
            status: SPOOL_PENDING.into(),
            ..Self::default()
        }
    }
    /// Still to be delivered.
    pub fn is_pending(&self) -> bool {
        self.status == SPOOL_PENDING
    }
}

/// Recipient states.
pub const SPOOL_PENDING: &str = "pending";

pub const SPOOL_DELIVERED: &str = "delivered";

pub const SPOOL_FAILED: &str = "failed";

/// A message waiting in the spool for remote delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpoolEntry {
    pub id: i64,
    /// Envelope sender; empty for the null sender.
    pub sender: String,
    pub recipients: Vec<SpoolRecipient>,
    pub blob: BlobId,
    pub size: u64,
    /// 1..=10, higher leaves first (DOM-6).
    pub priority: u8,
    /// RFC 3461 RET and ENVID, if any.
    pub ret: Option<String>,
    pub envid: Option<String>,
    pub attempts: u32,
    /// Unix seconds.
    pub created_at: i64,
    pub next_attempt_at: i64,
    /// While a delivery runs, the time its lease ends (0 when not leased).
    pub leased_until: i64,
    /// Unix seconds of the last attempt, if any.
    pub last_attempt_at: Option<i64>,
    /// REQUIRETLS (RFC 8689): send only over verified TLS to a server offering REQUIRETLS.
    pub requiretls: bool,
}

/// Fields needed to add a spool entry.
#[derive(Clone, Debug)]
pub struct NewSpoolEntry {
    pub sender: String,
    pub recipients: Vec<SpoolRecipient>,
    pub priority: u8,
    pub ret: Option<String>,
    pub envid: Option<String>,
    pub next_attempt_at: i64,
    /// REQUIRETLS (RFC 8689) was asked for.
    pub requiretls: bool,
}

/// The result of a delivery attempt, written back in one transaction.
#[derive(Clone, Debug)]
pub struct SpoolAttempt {
    pub recipients: Vec<SpoolRecipient>,
    pub attempts: u32,
    pub next_attempt_at: i64,
    pub priority: u8,
    pub last_attempt_at: i64,
}

/// An administrator's change to a spool entry (SPOOL-5 actions).
#[derive(Clone, Debug, Default)]
pub struct SpoolChange {
    pub priority: Option<u8>,
    /// Attempt at this time (force: now).
    pub next_attempt_at: Option<i64>,
    /// Reset retries: attempts back to 0 and failed recipients pending again.
    pub reset: bool,
}

impl SpoolChange {
    /// Force: attempt at `now`.
    pub fn force(now: i64) -> Self {
        Self {
            next_attempt_at: Some(now),
            ..Self::default()
        }
    }
    /// Reset retries and attempt at `now`.
    pub fn reset(now: i64) -> Self {
        Self {
            reset: true,
            ..Self::force(now)
        }
    }
    /// Change the priority only.
    pub fn priority(p: u8) -> Self {
        Self {
            priority: Some(p),
            ..Self::default()
        }
    }
}
