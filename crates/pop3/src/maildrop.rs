//! The maildrop a session works on: the INBOX as it was at login, numbered 1..n (RFC 1939
//! §5), with deletion marks. New mail arriving during the session is not shown, as the RFC
//! requires stable message numbers.

use heron_store::{FolderId, MessageMeta, User};

use crate::lock::LockGuard;

/// The locked INBOX snapshot of an authenticated session.
pub struct Maildrop {
    pub user: User,
    pub folder: FolderId,
    pub uidvalidity: u32,
    pub msgs: Vec<MessageMeta>,
    pub deleted: Vec<bool>,
    /// The exclusive lock on the maildrop, given back at QUIT or when the session ends.
    pub lock: LockGuard,
}

impl Maildrop {
    /// The message numbered `n` (1-based) unless it is out of range or marked deleted.
    pub fn get(&self, n: u32) -> Option<&MessageMeta> {
        let i = (n as usize).checked_sub(1)?;
        (!*self.deleted.get(i)?).then(|| &self.msgs[i])
    }

    /// Undeleted messages with their numbers.
    pub fn live(&self) -> impl Iterator<Item = (u32, &MessageMeta)> {
        self.msgs
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.deleted[*i])
            .map(|(i, m)| (i as u32 + 1, m))
    }

    /// Count and total size of undeleted messages.
    pub fn stat(&self) -> (usize, u64) {
        self.live()
            .fold((0, 0), |(n, s), (_, m)| (n + 1, s + m.size))
    }

    /// The unique-id of a message (RFC 1939 §7: 1..70 printable characters, stable across
    /// sessions): UIDVALIDITY and UID together.
    pub fn uid_string(&self, m: &MessageMeta) -> String {
        format!("{:08x}{:08x}", self.uidvalidity, m.uid)
    }

    /// UIDs of the messages marked deleted.
    pub fn deleted_uids(&self) -> Vec<u32> {
        self.msgs
            .iter()
            .zip(&self.deleted)
            .filter(|(_, d)| **d)
            .map(|(m, _)| m.uid)
            .collect()
    }
}
