//! One mail transaction (RFC 5321 §3.3): the reverse-path, its parameters, and the accepted
//! recipients split into local mailboxes and addresses for the spool.
//!
//! Invariant: every recipient listed here was accepted with a 250 reply; a local mailbox
//! appears once however many addresses resolved to it.

use heron_directory::Resolution;
use heron_proto_smtp::{MailParams, Notify, RcptParams};
use heron_store::{User, UserId};

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
    /// The folder a sub-address named for a local mailbox (`user+tag@`), by user id.
    pub folders: Vec<(UserId, String)>,
    pub remote: Vec<RemoteRcpt>,
    /// Recipients accepted (addresses as given), for the count limit and the trace header.
    pub accepted: Vec<String>,
}

impl Transaction {
    /// Add the local mailboxes of a resolved recipient, skipping ones already present (a
    /// mailbox named twice keeps the first address's folder).
    pub fn add_local(&mut self, r: &Resolution) {
        for u in &r.mailboxes {
            if self.local.iter().any(|l| l.id == u.id) {
                continue;
            }
            if let Some(f) = r.folder_of(u.id) {
                self.folders.push((u.id, f.to_owned()));
            }
            self.local.push(u.clone());
        }
    }

    /// The folder a sub-address named for local mailbox `user`.
    pub fn folder_of(&self, user: UserId) -> Option<&str> {
        self.folders
            .iter()
            .find(|(id, _)| *id == user)
            .map(|(_, f)| f.as_str())
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
