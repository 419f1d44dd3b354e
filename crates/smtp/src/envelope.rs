//! One mail transaction (RFC 5321 §3.3): the reverse-path, its parameters, and the accepted
//! recipients split into local mailboxes and addresses for the spool.
//!
//! Invariant: every recipient listed here was accepted with a 250 reply; a local mailbox
//! appears once however many addresses resolved to it.

use heron_proto_smtp::{MailParams, Notify, RcptParams};
use heron_store::User;

/// A remote recipient and its DSN parameters (RFC 3461).
#[derive(Clone, Debug)]
pub struct RemoteRcpt {
    pub address: String,
    pub params: RcptParams,
}

/// The transaction in progress.
#[derive(Debug, Default)]
pub struct Transaction {
    /// Envelope sender; empty for `<>`.
    pub sender: String,
    pub params: MailParams,
    /// Largest message accepted in this transaction, in bytes; 0 = unlimited.
    pub max_size: u64,
    pub local: Vec<User>,
    pub remote: Vec<RemoteRcpt>,
    /// Recipients accepted (addresses as given), for the count limit and the trace header.
    pub accepted: Vec<String>,
}

impl Transaction {
    /// Add local mailboxes, skipping ones already present.
    pub fn add_local(&mut self, users: Vec<User>) {
        for u in users {
            if !self.local.iter().any(|l| l.id == u.id) {
                self.local.push(u);
            }
        }
    }

    /// Add a remote address, skipping duplicates.
    pub fn add_remote(&mut self, address: String, params: RcptParams) {
        if !self.remote.iter().any(|r| r.address == address) {
            self.remote.push(RemoteRcpt { address, params });
        }
    }
}

/// The NOTIFY value as stored with a spool entry (`SUCCESS,FAILURE`, `NEVER`).
pub fn notify_text(n: &Option<Vec<Notify>>) -> Option<String> {
    n.as_ref().map(|v| {
        v.iter()
            .map(|n| match n {
                Notify::Never => "NEVER",
                Notify::Success => "SUCCESS",
                Notify::Failure => "FAILURE",
                Notify::Delay => "DELAY",
            })
            .collect::<Vec<_>>()
            .join(",")
    })
}
