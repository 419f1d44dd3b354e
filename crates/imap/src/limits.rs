//! Bounds on a user's mailboxes: how many (`imap.max_mailboxes`), how deep a name may be
//! (`imap.max_mailbox_depth`) and how long (`imap.max_mailbox_name`, in bytes of the stored
//! UTF-8 name). Without them one CREATE of a long `a/a/a/...` name made thousands of
//! mailboxes, at a cost quadratic in the depth.
//!
//! Invariants: CREATE and RENAME check every name they would write, and the number of
//! mailboxes the user would have, with [`check`] before they write anything, and refuse
//! with `NO [LIMIT]` (RFC 5530); the length and depth are checked before any store read,
//! so an oversized name costs no I/O. Two sessions of one user creating at the same moment
//! may each pass the count check, so the count can be passed by at most one mailbox per
//! concurrent session. Each mailbox also counts against the user's storage quota
//! ([`folder_cost`]: its name and a fixed overhead), checked by [`over_quota`] with the
//! other limits.

use heron_directory::Directory;
use heron_proto_imap::names::DELIMITER;
use heron_proto_imap::response::code;
use heron_settings::{Settings, defs};
use heron_store::folder_cost;
use imap_codec::imap_types::response::Code;

use crate::done::Done;
use crate::error::Result;
use crate::session::Authed;

/// The limits in force; 0 means unlimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MailboxLimits {
    pub max_mailboxes: u64,
    pub max_depth: u64,
    pub max_name: u64,
}

impl MailboxLimits {
    /// The limits the settings give now.
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            max_mailboxes: settings.get(defs::IMAP_MAX_MAILBOXES),
            max_depth: settings.get(defs::IMAP_MAX_MAILBOX_DEPTH),
            max_name: settings.get(defs::IMAP_MAX_MAILBOX_NAME),
        }
    }

    /// Check one name a command would write: its length, then its depth.
    pub fn check_name(&self, name: &str) -> std::result::Result<(), Done> {
        let len = name.len() as u64;
        if self.max_name != 0 && len > self.max_name {
            return Err(limit(format!(
                "mailbox name too long ({len} bytes, at most {})",
                self.max_name
            )));
        }
        let depth = depth(name);
        if self.max_depth != 0 && depth > self.max_depth {
            return Err(limit(format!(
                "mailbox name too deep ({depth} levels, at most {})",
                self.max_depth
            )));
        }
        Ok(())
    }

    /// Check that a user with `existing` mailboxes may get `added` more.
    pub fn check_count(&self, existing: usize, added: usize) -> std::result::Result<(), Done> {
        let would = (existing + added) as u64;
        if added > 0 && self.max_mailboxes != 0 && would > self.max_mailboxes {
            return Err(limit(format!(
                "too many mailboxes (at most {} per user)",
                self.max_mailboxes
            )));
        }
        Ok(())
    }
}

/// `NO [OVERQUOTA]` (RFC 9208 §4.3) when mailboxes named `added` (written anew) in place of
/// `removed` (renamed away) would take the user past their storage quota.
pub async fn over_quota(
    dir: &Directory,
    user: &Authed,
    added: &[String],
    removed: &[String],
) -> Result<Option<Done>> {
    let cost = |names: &[String]| names.iter().map(|n| folder_cost(n)).sum::<u64>();
    let grows = cost(added).saturating_sub(cost(removed));
    if grows > 0 && crate::quota::would_exceed(dir, user.user.id, grows).await? {
        return Ok(Some(
            Done::no("no room for the mailbox within the quota").with(Code::OverQuota),
        ));
    }
    Ok(None)
}

/// Levels of a stored name: `a/b/c` has 3.
pub fn depth(name: &str) -> u64 {
    name.matches(DELIMITER).count() as u64 + 1
}

/// `NO [LIMIT]` (RFC 5530 §3) with the reason.
fn limit(text: String) -> Done {
    Done::no(text).with(code("LIMIT"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: MailboxLimits = MailboxLimits {
        max_mailboxes: 10,
        max_depth: 3,
        max_name: 12,
    };

    fn is_limit(r: std::result::Result<(), Done>) -> bool {
        matches!(r, Err(d) if d.code == Some(code("LIMIT")))
    }

    #[test]
    fn names_within_and_past_the_limits() {
        assert!(L.check_name("a/b/c").is_ok());
        assert!(L.check_name("twelve bytes").is_ok());
        assert!(is_limit(L.check_name("thirteen byte")));
        assert!(is_limit(L.check_name("a/b/c/d")));
        // Bytes, not characters.
        assert!(is_limit(L.check_name("ééééééé")));
        let open = MailboxLimits {
            max_mailboxes: 0,
            max_depth: 0,
            max_name: 0,
        };
        assert!(open.check_name(&"a/".repeat(4000)[..7999]).is_ok());
        assert!(open.check_count(1_000_000, 5).is_ok());
    }

    #[test]
    fn counts() {
        assert!(L.check_count(9, 1).is_ok());
        assert!(is_limit(L.check_count(10, 1)));
        assert!(is_limit(L.check_count(5, 6)));
        // Renaming within the limit adds nothing, even at the limit.
        assert!(L.check_count(10, 0).is_ok());
        assert!(L.check_count(12, 0).is_ok());
    }

    #[test]
    fn depth_counts_levels() {
        assert_eq!(depth("INBOX"), 1);
        assert_eq!(depth("a/b/c"), 3);
    }
}
