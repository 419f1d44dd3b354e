//! DOM-10 recipient resolution: an address of a hosted domain (or of one of its domain
//! aliases) becomes the set of local mailboxes and remote addresses it delivers to.
//!
//! Rules, in order: a user wins; then an alias (expanded recursively, each address visited
//! once, so loops are cut); then a sub-address (RFC 5233): `user+tag` with no user or alias
//! of that exact name is tried as `user`, remembering `tag` as the folder to deliver into;
//! then, for `postmaster`, the postmaster stand-in (RFC 5321 §4.5.1, `postmaster.rs`); then
//! the domain's catch-all, when catch-alls are enabled server-wide (SEC-10). Disabled users
//! and domains receive nothing. Expansion stops after [`MAX_EXPANSION`] addresses.

use std::collections::{HashSet, VecDeque};

use heron_settings::defs;
use heron_store::{Folder, User, UserId};

use crate::address::Address;
use crate::{Directory, DirectoryError, Result};

/// Most addresses one recipient may expand to.
pub const MAX_EXPANSION: usize = 1000;

/// Where mail for one address goes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolution {
    /// Local mailboxes, each once.
    pub mailboxes: Vec<User>,
    /// The folder a sub-address named for a mailbox above; delivery puts the message there
    /// when the user has such a folder ([`Directory::delivery_folder`]).
    pub folders: SubFolders,
    /// Addresses outside the hosted domains (to be relayed).
    pub remote: Vec<String>,
}

impl Resolution {
    /// Nothing to deliver to: the address is unknown.
    pub fn is_empty(&self) -> bool {
        self.mailboxes.is_empty() && self.remote.is_empty()
    }

    fn add_mailbox(&mut self, u: User, folder: Option<&str>) {
        if u.disabled || self.mailboxes.iter().any(|m| m.id == u.id) {
            return;
        }
        if let Some(f) = folder {
            self.folders.note(u.id, f);
        }
        self.mailboxes.push(u);
    }
}

/// The folder a sub-address named, per local mailbox (`user+tag@` gives `tag`), kept from
/// resolution to delivery. A mailbox reached by several addresses keeps the first folder
/// named for it; an empty tag names none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubFolders(Vec<(UserId, String)>);

impl SubFolders {
    /// The folder named for `user`, if any.
    pub fn of(&self, user: UserId) -> Option<&str> {
        self.0
            .iter()
            .find(|(id, _)| *id == user)
            .map(|(_, f)| f.as_str())
    }

    /// Remember `folder` for `user` unless one is already named or it is empty.
    pub fn note(&mut self, user: UserId, folder: &str) {
        if !folder.is_empty() && self.of(user).is_none() {
            self.0.push((user, folder.to_owned()));
        }
    }
}

/// Split a local part at the first of `separators` into user and tag (RFC 5233
/// sub-addressing); `None` when there is no separator or nothing before it.
pub fn split_subaddress<'a>(local: &'a str, separators: &str) -> Option<(&'a str, &'a str)> {
    let at = local.find(|c| separators.contains(c))?;
    if at == 0 {
        return None;
    }
    let sep = local[at..].chars().next()?;
    Some((&local[..at], &local[at + sep.len_utf8()..]))
}

impl Directory {
    /// Whether `domain` (or a domain alias) is hosted here and enabled.
    pub async fn is_local_domain(&self, domain: &str) -> Result<bool> {
        Ok(self.find_domain(domain).await?.is_some_and(|d| !d.disabled))
    }

    /// Resolve a recipient address. Unknown local addresses give an empty resolution;
    /// addresses of other domains resolve to themselves as remote.
    pub async fn resolve(&self, address: &str) -> Result<Resolution> {
        let mut out = Resolution::default();
        let Ok(start) = Address::parse(address) else {
            return Ok(out);
        };
        let mut seen = HashSet::new();
        let mut queue = VecDeque::from([(start, true)]);
        let catch_alls = self.settings.get(defs::CATCH_ALLS);
        let separators = self.settings.get(defs::ADDRESS_SUBADDRESS_SEPARATORS);
        let folders = self.settings.get(defs::ADDRESS_SUBADDRESS_FOLDERS);
        while let Some((a, first)) = queue.pop_front() {
            if !seen.insert(a.clone()) || seen.len() > MAX_EXPANSION {
                continue;
            }
            let Some(d) = self.find_domain(&a.domain).await? else {
                out.remote.push(a.to_string());
                continue;
            };
            if d.disabled {
                continue;
            }
            if let Some(u) = self.store.get_user(d.id, &a.local).await? {
                out.add_mailbox(u, None);
                continue;
            }
            if let Some(alias) = self.store.get_alias(d.id, &a.local).await? {
                expand(&alias.targets, &mut queue);
                continue;
            }
            if let Some((user, tag)) = split_subaddress(&a.local, &separators) {
                if let Some(u) = self.store.get_user(d.id, user).await? {
                    out.add_mailbox(u, folders.then_some(tag));
                    continue;
                }
                if let Some(alias) = self.store.get_alias(d.id, user).await? {
                    expand(&alias.targets, &mut queue);
                    continue;
                }
            }
            // RFC 5321 §4.5.1: postmaster@ every hosted domain is deliverable.
            if a.local == crate::POSTMASTER
                && let Some(t) = self.postmaster_stand_in(&d).await?
            {
                queue.push_back((t, false));
                continue;
            }
            // The catch-all applies only to the address asked about, not to alias targets,
            // so a mistyped alias target cannot silently land in the catch-all.
            if first
                && catch_alls
                && let Some(target) = &d.catch_all
            {
                let t = if target.contains('@') {
                    target.clone()
                } else {
                    format!("{target}@{}", d.name)
                };
                if let Ok(t) = Address::parse(&t) {
                    queue.push_back((t, false));
                }
            }
        }
        Ok(out)
    }

    /// Check a target an administrator enters for an alias or a catch-all (a bare local part
    /// is taken in `domain`): it must be a valid address, and when its domain is hosted here
    /// something must receive mail at it (a user, an alias, a sub-address of either, or
    /// postmaster), so that mail is not accepted for a target that drops it. The target as
    /// stored (lower-cased `local@domain`).
    pub async fn check_target(&self, target: &str, domain: &str) -> Result<String> {
        let target = target.trim();
        let full = if target.contains('@') {
            target.to_owned()
        } else {
            format!("{target}@{domain}")
        };
        let a = Address::parse(&full)
            .map_err(|e| DirectoryError::Invalid(format!("target {target:?}: {e}")))?;
        let Some(d) = self.find_domain(&a.domain).await? else {
            return Ok(a.to_string());
        };
        let separators = self.settings.get(defs::ADDRESS_SUBADDRESS_SEPARATORS);
        let mut names = vec![a.local.as_str()];
        names.extend(split_subaddress(&a.local, &separators).map(|(user, _)| user));
        for name in names {
            if self.store.get_user(d.id, name).await?.is_some()
                || self.store.get_alias(d.id, name).await?.is_some()
            {
                return Ok(a.to_string());
            }
        }
        if a.local == crate::POSTMASTER {
            return Ok(a.to_string());
        }
        Err(DirectoryError::Invalid(format!(
            "target {a} does not exist: {} is hosted here and has no user or alias {}; add it first",
            a.domain, a.local
        )))
    }

    /// The folder mail for `user` is delivered into: the folder `tag` names (a sub-address,
    /// compared without regard to case, never created) when the user has one, else INBOX.
    /// The Sent and Drafts folders are never a sub-address's: mail from outside must not pass
    /// there for something the user wrote.
    pub async fn delivery_folder(&self, user: UserId, tag: Option<&str>) -> Result<Folder> {
        if let Some(tag) = tag.filter(|t| !t.is_empty()) {
            let tag = tag.to_lowercase();
            let own = |f: &Folder| matches!(f.special_use.as_deref(), Some("\\Sent" | "\\Drafts"));
            let folders = self.store.list_folders(user).await?;
            if let Some(f) = folders
                .into_iter()
                .find(|f| f.name.to_lowercase() == tag && !own(f))
            {
                return Ok(f);
            }
        }
        self.store
            .get_folder(user, "INBOX")
            .await?
            .ok_or_else(|| DirectoryError::NotFound(format!("INBOX of user #{user}")))
    }
}

/// Queue an alias's targets for expansion.
fn expand(targets: &[String], queue: &mut VecDeque<(Address, bool)>) {
    for t in targets {
        if let Ok(t) = Address::parse(t) {
            queue.push_back((t, false));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_subaddress;

    #[test]
    fn subaddress_split() {
        assert_eq!(split_subaddress("ann+lists", "+"), Some(("ann", "lists")));
        assert_eq!(split_subaddress("ann+a+b", "+"), Some(("ann", "a+b")));
        assert_eq!(split_subaddress("ann-x+y", "+-"), Some(("ann", "x+y")));
        assert_eq!(split_subaddress("ann+", "+"), Some(("ann", "")));
        assert_eq!(split_subaddress("+ann", "+"), None);
        assert_eq!(split_subaddress("ann", "+"), None);
        assert_eq!(split_subaddress("ann+x", ""), None);
        assert_eq!(split_subaddress("añn·x", "·"), Some(("añn", "x")));
    }
}
