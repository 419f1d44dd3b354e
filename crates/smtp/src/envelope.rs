//! One mail transaction (RFC 5321 §3.3): the reverse-path, its parameters, and the accepted
//! recipients split into local mailboxes and addresses for the spool.
//!
//! Invariant: every recipient listed here was accepted with a 250 reply; a local mailbox
//! appears once however many addresses resolved to it.

use heron_directory::{Resolution, SubFolders};
use heron_proto_smtp::reply::{self, Reply};
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
    /// Largest message accepted in this transaction, and whose limit that is.
    pub max_size: SizeLimit,
    pub local: Vec<User>,
    /// The folder a sub-address named for a local mailbox (`user+tag@`).
    pub folders: SubFolders,
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
            if let Some(f) = r.folders.of(u.id) {
                self.folders.note(u.id, f);
            }
            self.local.push(u.clone());
        }
    }

    /// Add a remote address, skipping duplicates.
    pub fn add_remote(&mut self, address: String, params: RcptParams) {
        if !self.remote.iter().any(|r| r.address == address) {
            self.remote.push(RemoteRcpt { address, params });
        }
    }
}

/// The largest message a transaction takes and whose limit that is (this server's, or a
/// domain's: the sender's when authenticated, each local recipient's), for the 552 text.
#[derive(Clone, Debug, Default)]
pub struct SizeLimit {
    /// Bytes; 0 = unlimited.
    pub bytes: u64,
    /// Whose limit it is: "this server", "domain example.com".
    pub owner: String,
}

impl SizeLimit {
    /// Take `bytes` (0 = none) of `owner` when it is tighter than the limit so far.
    pub fn tighten(&mut self, bytes: u64, owner: impl Into<String>) {
        if bytes != 0 && (self.bytes == 0 || bytes < self.bytes) {
            self.bytes = bytes;
            self.owner = owner.into();
        }
    }

    /// Whether a message of `size` bytes is over the limit.
    pub fn exceeded_by(&self, size: u64) -> bool {
        self.bytes != 0 && size > self.bytes
    }

    /// The limit for a body reader: `usize::MAX` when unlimited.
    pub fn reader_limit(&self) -> usize {
        if self.bytes == 0 {
            usize::MAX
        } else {
            usize::try_from(self.bytes).unwrap_or(usize::MAX)
        }
    }

    /// The 552 reply that states the limit and whose it is (RFC 1870 §6).
    pub fn refusal(&self) -> Reply {
        reply::MESSAGE_TOO_BIG.with_text(format!(
            "Message exceeds the {} size limit of {}",
            human_size(self.bytes),
            self.owner
        ))
    }
}

/// `31457280` → `30 MB`, `10240` → `10 KB`, else bytes.
fn human_size(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * KB;
    match bytes {
        b if b >= MB && b % MB == 0 => format!("{} MB", b / MB),
        b if b >= KB && b % KB == 0 => format!("{} KB", b / KB),
        b => format!("{b} bytes"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tightest_limit_and_its_owner_win() {
        let mut l = SizeLimit::default();
        assert!(!l.exceeded_by(u64::MAX));
        l.tighten(30 * 1024 * 1024, "this server");
        l.tighten(0, "domain a.test");
        l.tighten(40 * 1024 * 1024, "domain b.test");
        assert_eq!(l.owner, "this server");
        l.tighten(10 * 1024, "domain c.test");
        assert!(l.exceeded_by(10 * 1024 + 1) && !l.exceeded_by(10 * 1024));
        let r = l.refusal();
        assert_eq!(r.code, 552);
        assert!(
            r.text.contains("10 KB size limit of domain c.test"),
            "{}",
            r.text
        );
        assert_eq!(human_size(1000), "1000 bytes");
        assert_eq!(human_size(3 * 1024 * 1024), "3 MB");
    }
}
